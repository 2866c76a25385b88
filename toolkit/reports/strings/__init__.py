"""The fixed words of the pages written for customers, one TOML file per language.

``en.toml``, ``es.toml``, …: each file is named by its language's two-letter code and has
the same keys as ``en.toml`` (:func:`load_strings` checks). A page's language is its
``language`` parameter, else engagement.toml's ``settings.language``, else English
(:func:`language_in_force`). Standard library only: the report runner checks a language
before any kernel starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from toolkit.errors import DataValidationError

__all__ = ["STRINGS_DIR", "language_in_force", "languages", "load_strings"]

STRINGS_DIR = Path(__file__).resolve().parent
"""One TOML file of fixed words per language, named by its code (``es.toml``)."""


def languages() -> dict[str, str]:
    """The languages the page can be written in: code → the language's own name."""
    found = {}
    for path in sorted(STRINGS_DIR.glob("*.toml")):
        with path.open("rb") as file:
            found[path.stem] = str(tomllib.load(file).get("language_name", path.stem))
    return found


def load_strings(language: str) -> dict:
    """The page's fixed words in ``language`` (a code such as ``en`` or ``es``).

    Raises
    ------
    DataValidationError
        No strings file for that language (the message lists those there are), or a
        file that lacks some of English's words.
    """
    code = str(language).strip().lower()
    available = languages()
    if code not in available:
        listed = ", ".join(f"{c} ({name})" for c, name in available.items())
        raise DataValidationError(
            f'language "{language}": the page has no words in that language. Choose one of: '
            f"{listed}. To add one, copy {STRINGS_DIR / 'en.toml'} to "
            f"{STRINGS_DIR / (code or 'xx')}.toml and translate it."
        )
    with (STRINGS_DIR / f"{code}.toml").open("rb") as file:
        words = tomllib.load(file)
    with (STRINGS_DIR / "en.toml").open("rb") as file:
        missing = sorted(set(tomllib.load(file)) - set(words))
    if missing:
        raise DataValidationError(
            f"{STRINGS_DIR / f'{code}.toml'}: has no {', '.join(missing)}, which every "
            "language's words need (see en.toml). Add them, translated."
        )
    if not isinstance(words.get("months"), list) or len(words["months"]) != 12:
        raise DataValidationError(
            f"{STRINGS_DIR / f'{code}.toml'}: months must list the twelve month names."
        )
    words["code"] = code
    return words


def language_in_force(language: str, settings: Mapping) -> str:
    """The language a page is written in: the parameter's, else engagement.toml's
    ``settings.language``, else ``en``; checked (:func:`load_strings`).

    Raises
    ------
    DataValidationError
        A language with no strings file; the message says where the language came from.
    """
    given = str(language or "").strip()
    setting = str(settings.get("language") or "").strip()
    code = (given or setting).lower() or "en"
    try:
        load_strings(code)
    except DataValidationError as err:
        if given or not setting:
            raise
        raise DataValidationError(
            f"engagement.toml, settings.language: {err} Or delete the line for English."
        ) from err
    return code
