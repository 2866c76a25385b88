"""Build a folder beside its final place, then swap it in: the one home of that rule.

A folder that is built in place is half-made while it is being built and after any
failure. Building it in a staging folder beside its final place (same file system, so a
rename moves it) and renaming it into place only when complete means readers see the
old folder or the new one, never a half-made one.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "site"
>>> with building(target) as staging:
...     _ = (staging / "index.html").write_text("new", encoding="utf-8")
>>> (target / "index.html").read_text(encoding="utf-8")
'new'
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["building", "swap_in", "write_atomic", "path_problem"]


def swap_in(staging: str | Path, path: str | Path, *, replace: bool = True) -> None:
    """Move the complete folder ``staging`` to ``path``, replacing what is there.

    The folder at ``path`` (if any) is renamed aside, ``staging`` is renamed into place,
    and only then is the old folder removed. If ``staging`` cannot be moved, the old
    folder is put back and the error raised.

    Parameters
    ----------
    staging : str or Path
        The finished folder, on the same file system as ``path`` (beside it).
    path : str or Path
        Where it goes.
    replace : bool, default True
        Replace a folder that holds files. ``False`` only replaces a missing or empty
        ``path``: a folder with anything in it makes an ``OSError`` and is left alone.

    Raises
    ------
    OSError
        A rename failed (for example, another process swapped its own folder in at the
        same moment). ``path`` then holds the old folder, or the other process's one;
        ``staging`` is left for the caller to remove.
    """
    staging, path = Path(staging), Path(path)
    if not replace:
        if path.exists():
            path.rmdir()  # an OSError when it holds anything
        staging.rename(path)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".retired", dir=path.parent))
    retired = aside / path.name
    try:
        try:
            path.rename(retired)
        except FileNotFoundError:
            pass  # nothing there (or another process is swapping it at the same time)
        try:
            staging.rename(path)
        except OSError:
            if retired.exists():
                try:
                    retired.rename(path)
                except OSError:
                    pass  # another process's folder took the place; ours goes
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def building(path: str | Path, *, replace: bool = True, suffix: str = ".partial") -> Iterator[Path]:
    """Give a fresh folder to build ``path`` in; swap it in when the block succeeds.

    Parameters
    ----------
    path : str or Path
        The folder to build. Its parent is created when missing.
    replace, suffix
        ``replace`` as in :func:`swap_in`; ``suffix`` ends the name of the hidden
        staging folder made beside ``path``.

    Yields
    ------
    Path
        An empty folder named like ``path``, beside it. When the block raises, it is
        removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent))
    try:
        staging = work / path.name
        staging.mkdir()
        yield staging
        swap_in(staging, path, replace=replace)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8; or bytes as they are) to ``path``: readers see the old file or the new.

    The text goes to a hidden file beside ``path`` (named for this process and thread, so
    concurrent writers never share one), which then replaces ``path`` in one rename.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def path_problem(err: OSError) -> str:
    """Why a path could not be written, in plain words, for a message naming the path.

    >>> path_problem(NotADirectoryError(20, "Not a directory", "/dev/null/x"))
    '/dev/null is a file, not a folder'
    >>> path_problem(PermissionError(13, "Permission denied"))
    'permission denied'
    """
    if isinstance(err, FileExistsError | NotADirectoryError) and err.filename:
        path = Path(os.fsdecode(err.filename))
        for part in (path, *path.parents):
            if part.exists() and not part.is_dir():
                return f"{part} is a file, not a folder"
    if isinstance(err, IsADirectoryError):
        return "it is a folder"
    return (err.strerror or str(err)).lower()
