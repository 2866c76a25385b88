"""The demo engagement the report notebooks open when no folder is given.

Built once into :func:`demo_cache_dir` and rebuilt only when the toolkit's version or
any file of the :mod:`toolkit.demo` package (code or data) changes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from toolkit._files import swap_in
from toolkit.demo.build import is_demo, rebuild_demo
from toolkit.errors import StoreError

__all__ = ["cached_demo", "demo_cache_dir"]

_CACHE_ENV = "SERVICE_TOOLKIT_CACHE"
_STAMP_FILE = ".demo-stamp"
_PACKAGE = Path(__file__).parent


def demo_cache_dir(name: str = "neighbourhood") -> Path:
    """The folder where the bundled demo engagement ``name`` is built once and reused.

    ``$SERVICE_TOOLKIT_CACHE`` if set, else ``$XDG_CACHE_HOME/service-toolkit`` (by
    default ``~/.cache/service-toolkit``), with ``demo-<name>`` inside.
    """
    root = os.environ.get(_CACHE_ENV)
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(base) / "service-toolkit")
    return Path(root).expanduser() / f"demo-{name}"


def cached_demo(name: str = "neighbourhood") -> Path:
    """The folder of the bundled demo ``name``, built first when missing or out of date.

    Raises
    ------
    StoreError
        The cache folder cannot be written, or holds something that is not a toolkit
        demo (left alone); the message says which variable chooses another folder.
    """
    path = demo_cache_dir(name)
    if not _current_demo(path, _demo_stamp(name)):
        try:
            _build_demo(path, name)
        except OSError as err:
            raise StoreError(
                f"{path}: cannot build the demo engagement there ({err}). Set {_CACHE_ENV} "
                "to a folder you can write to, or give an engagement folder."
            ) from err
    return path


def _demo_stamp(name: str) -> str:
    """Changes whenever a file of the demo package (code or data) or the toolkit changes."""
    from toolkit import __version__

    digest = hashlib.sha256()
    for file in sorted(_PACKAGE.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
            digest.update(file.relative_to(_PACKAGE).as_posix().encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return f"{name} {__version__} {digest.hexdigest()[:16]}"


def _current_demo(path: Path, stamp: str) -> bool:
    try:
        return (path / _STAMP_FILE).read_text(encoding="utf-8") == stamp
    except OSError:
        return False


def _build_demo(path: Path, name: str) -> None:
    """Build the demo beside ``path`` and move it into place in one rename.

    Safe when several notebooks start at once: each builds its own copy, the first
    rename wins and the others throw their copy away. An out-of-date demo is swapped
    for the new one; a folder that is not a toolkit demo is never touched.
    """
    stamp = _demo_stamp(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f".{path.name}.", suffix=".building", dir=path.parent, ignore_cleanup_errors=True
    ) as staging:
        built = Path(staging) / path.name
        rebuild_demo(built, name)
        (built / _STAMP_FILE).write_text(stamp, encoding="utf-8")
        if path.exists():
            if _current_demo(path, stamp):
                return  # another process finished first
            if not _is_demo(path):
                raise StoreError(
                    f"{path}: the demo cache folder holds something that is not a toolkit "
                    f"demo; it was left alone. Move it away, or set {_CACHE_ENV} to another folder."
                )
        try:
            swap_in(built, path)
        except OSError:
            if not path.is_dir():  # not a lost race: a real problem
                raise


def _is_demo(path: Path) -> bool:
    return is_demo(path)
