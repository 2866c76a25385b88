"""Where the shipped notebooks and templates are, installed or in a source tree."""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_dir"]

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder of shipped files called ``name`` (``notebooks`` or ``templates``).

    A wheel carries them inside the package (``toolkit/_shipped/NAME``); a source
    checkout or an editable install has them beside the package.
    """
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"The toolkit's {name}/ folder is missing from {_PACKAGE}; reinstall the toolkit."
    )
