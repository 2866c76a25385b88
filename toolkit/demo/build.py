"""Deterministic sample engagements that tell stories every analysis can find.

Two demos ship with the toolkit:

``neighbourhood``
    Riverside Community Partners, a neighbourhood nonprofit. Staff plan *another food
    pantry*; residents and people without housing say the pantries are enough and that
    milk and perishable food is what is missing. Business owners and people without
    housing disagree about where a drop-in centre should go. A milk and fresh food
    program launched on 2023-07-01 lifts satisfaction among residents and people without
    housing, and barely moves it among business owners. Two later listening rounds
    (2024 autumn, 2025 spring) show the top need moving from milk to after-school
    programmes; the actions decided about the needs, every outreach with its response
    rate, and each group's population come with it.
``university``
    The State University System Office, serving 30 campus HR offices, campus IT,
    advising centres, the provost and finance (internal) and students, employers,
    legislators, an accreditor, K-12 partners and community colleges (external).
    Monthly satisfaction over 36 months across 30 campuses shows campus differences, a
    slow upward trend, a new student portal that helped in some campuses only, and an
    advising restructure that hurt for a term before it helped. ``size="large"`` makes
    exactly 1,000,000 ``responses`` rows, fully vectorised.

Every table uses the canonical field names of :mod:`toolkit.schema.tables`, plus a few
attribute columns (``language``, ``age_band``, ``wave``, ``channel``, ``campus``,
``unit``) for splitting results. The same name, size and seed always give the same frames.

Examples
--------
>>> from toolkit.demo.build import build_demo, demo_settings
>>> tables = build_demo("neighbourhood")
>>> sorted(tables)  # doctest: +NORMALIZE_WHITESPACE
['actions', 'assumed_needs', 'codebook', 'customers', 'events', 'outreach', 'responses',
 'service_links', 'stated_needs']
>>> demo_settings("neighbourhood")["organisation"]
'Riverside Community Partners'
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._files import building
from toolkit.demo._shared import LARGE_ROWS, loop_tables, read_toml
from toolkit.errors import DataValidationError, StoreError
from toolkit.schema import LOAD_ORDER
from toolkit.store import Engagement

__all__ = [
    "DEMOS",
    "SIZES",
    "LARGE_ROWS",
    "build_demo",
    "demo_settings",
    "init_demo",
    "is_demo",
    "rebuild_demo",
]

DEMOS = ("neighbourhood", "university")

SIZES = ("small", "large")

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common
# colour-vision deficiency.
_OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}

_SETTINGS = {
    "neighbourhood": {
        "name": "riverside",
        "organisation": "Riverside Community Partners",
        "segments": {
            "Residents": "orange",
            "People without housing": "sky blue",
            "Business owners": "bluish green",
            "Partner agencies": "blue",
            "Volunteers": "vermillion",
            "Board": "reddish purple",
            "Staff": "black",
        },
        "evaluate_every": {"csat": "quarter", "nps": "quarter", "needs": "half-year"},
    },
    "university": {
        "name": "state-university",
        "organisation": "State University System Office",
        "segments": {
            "Students": "blue",
            "Faculty": "orange",
            "Staff": "bluish green",
            "Employers": "vermillion",
            "Campus units": "sky blue",
            "Education partners": "reddish purple",
            "Policy makers": "yellow",
            "System office": "black",
        },
        "evaluate_every": {"csat": "month", "ces": "month", "needs": "year"},
    },
}


def demo_settings(name: str) -> dict:
    """Return what a demo's ``engagement.toml`` holds beyond the built-in defaults.

    Parameters
    ----------
    name : str
        One of :data:`DEMOS`.

    Returns
    -------
    dict
        ``name`` (the engagement's short name), ``organisation``, and ``segments`` =
        ``{"order": [...], "colours": {segment: "#RRGGBB"}}`` with Okabe–Ito colours,
        which stay distinguishable with colour-vision deficiencies; ``population`` (each
        group's size, ``[settings.population]``) and ``evaluate_every`` (how often each
        metric is asked, ``[settings.evaluate_every]``).

    Raises
    ------
    DataValidationError
        If ``name`` is not a demo (a ``ValueError``).

    Examples
    --------
    >>> settings = demo_settings("university")
    >>> settings["segments"]["order"][:2], settings["segments"]["colours"]["Students"]
    (['Students', 'Faculty'], '#0072B2')
    """
    _check_name(name)
    spec = _SETTINGS[name]
    segments = spec["segments"]
    settings = {
        "name": spec["name"],
        "organisation": spec["organisation"],
        "segments": {
            "order": list(segments),
            "colours": {seg: _OKABE_ITO[colour] for seg, colour in segments.items()},
        },
    }
    if name == "neighbourhood":
        from toolkit.demo.neighbourhood import POPULATION

        settings["population"] = POPULATION
    else:
        settings["population"] = read_toml("university_loop.toml")["population"]
    settings["evaluate_every"] = dict(spec["evaluate_every"])
    return settings


def build_demo(name: str, *, size: str = "small", seed: int = 20240307) -> dict[str, pd.DataFrame]:
    """Build one demo engagement's canonical tables.

    Parameters
    ----------
    name : str
        ``"neighbourhood"`` (Riverside Community Partners) or ``"university"`` (State
        University System Office).
    size : str, default "small"
        ``"small"``, or ``"large"`` for the university only: exactly 1,000,000
        ``responses`` rows (30 campuses × 36 months).
    seed : int, default 20240307
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same frames.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by SQL table name: ``customers``, ``service_links``, ``assumed_needs``,
        ``stated_needs``, ``codebook``, ``responses``, ``events``, ``actions``,
        ``outreach``. Columns are canonical field names plus attribute columns:

        - neighbourhood ``stated_needs``: ``language``, ``age_band``, ``wave`` (the
          listening round: 2024 spring, then two later rounds);
          ``responses``: ``language``, ``channel``.
        - university ``stated_needs``: ``campus``, ``unit``; ``responses``: ``campus``.

        Dates of needs and events are ISO ``YYYY-MM-DD`` strings; ``submitted_on`` is a
        ``datetime64`` column. Whole-number ratings are nullable ``Int64`` (blank is
        ``<NA>``), blank text is None, and ``match_score`` is absent because nothing is
        coded automatically yet. Most stated and
        assumed needs have a blank ``code`` (for the coder), about a tenth are coded by a
        person, and about one in twenty is an odd statement no keyword matches. CES is on
        the 1–7 agreement scale where 7 means "it was easy". The large university build
        has no ``response_id`` or ``source_id`` (the store makes ids) and stores
        ``campus``, ``segment``, ``touchpoint``, ``metric``, ``wave`` and ``comment`` as
        categoricals.

    Raises
    ------
    DataValidationError
        A ``ValueError``: the name is not a demo, the size is unknown, ``"large"`` was
        asked for the neighbourhood, or the seed is not a non-negative whole number.

    Examples
    --------
    >>> tables = build_demo("neighbourhood", seed=7)
    >>> tables["responses"]["metric"].unique().tolist()
    ['csat', 'nps', 'ces']
    >>> build_demo("neighbourhood", size="large")
    Traceback (most recent call last):
    ...
    toolkit.errors.DataValidationError: The large demo (size="large") is only built for "university"; "neighbourhood" comes in size "small" only.
    """
    tables, _truth = _build(name, size=size, seed=seed)
    return tables


def _check_name(name: str) -> None:
    if name not in DEMOS:
        listed = ", ".join(f'"{d}"' for d in DEMOS)
        raise DataValidationError(f'There is no demo called "{name}". The demos are: {listed}.')


def _check(name: str, size: str, seed: int) -> None:
    _check_name(name)
    if size not in SIZES:
        listed = ", ".join(f'"{s}"' for s in SIZES)
        raise DataValidationError(f'size must be one of {listed}, not "{size}".')
    if size == "large" and name != "university":
        raise DataValidationError(
            'The large demo (size="large") is only built for "university"; '
            f'"{name}" comes in size "small" only.'
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataValidationError(f"seed must be a non-negative whole number, not {seed!r}.")


def _build(name: str, *, size: str = "small", seed: int = 20240307):
    """Build the tables and, for tests, the true code behind every needs statement.

    Returns ``(tables, truth)``; ``truth`` maps ``assumed_needs`` and ``stated_needs`` to a
    Series aligned with that table, holding the code each statement was written for
    (None for the odd statements that belong to no code).
    """
    _check(name, size, seed)
    streams = [
        np.random.default_rng(s)
        for s in np.random.SeedSequence([int(seed), DEMOS.index(name)]).spawn(5)
    ]
    if name == "neighbourhood":
        from toolkit.demo.neighbourhood import _neighbourhood

        return _neighbourhood(*streams)
    from toolkit.demo.university import _university

    tables, truth = _university(*streams[:4], size=size)
    return {**tables, **_university_loop()}, truth


def _university_loop() -> dict[str, pd.DataFrame]:
    """The university demo's actions and outreach (``data/university_loop.toml``)."""
    return loop_tables(read_toml("university_loop.toml"))


def init_demo(
    path: str | Path,
    name: str = "neighbourhood",
    *,
    size: str = "small",
    engagement_name: str | None = None,
    organisation: str | None = None,
    store: str | None = None,
    schema: str | None = None,
) -> Engagement:
    """Create a new engagement folder at ``path`` holding a demo engagement.

    Parameters
    ----------
    path : str or Path
        The folder; it must not exist yet, or be empty.
    name : {"neighbourhood", "university"}
        The demo (see :func:`build_demo`).
    size : {"small", "large"}
        The university demo's size (large: 1,000,000 responses).
    engagement_name, organisation : str, optional
        Written to engagement.toml instead of the demo's own.
    store, schema : str, optional
        A PostgreSQL store for it (:meth:`Engagement.init`'s ``store`` and ``schema``).

    Returns
    -------
    Engagement
        The new engagement, opened. engagement.toml says ``demo = "<name>"``.

    Raises
    ------
    DataValidationError
        The name is not a demo, or the size does not go with it.
    StoreError
        The folder exists and is not empty.

    Examples
    --------
    >>> import tempfile
    >>> eng = init_demo(tempfile.mkdtemp() + "/riverside")
    >>> eng.name
    'riverside'
    """
    _check(name, size, 0)
    frames = build_demo(name, size=size)
    settings = demo_settings(name)

    def fill(engagement: Engagement) -> None:
        for table in LOAD_ORDER:
            if table in frames and len(frames[table]):
                engagement.import_frame(frames[table], table=table, source=f"demo:{name}")

    return Engagement.init(
        path,
        name=engagement_name or settings["name"],
        organisation=organisation or settings["organisation"],
        settings={
            "demo": name,
            "settings": {
                "segments": settings["segments"],
                "population": settings["population"],
                "evaluate_every": settings["evaluate_every"],
            },
        },
        fill=fill,
        starter_codebook=False,
        store=store,
        schema=schema,
    )


def rebuild_demo(
    path: str | Path, name: str = "neighbourhood", *, size: str = "small"
) -> Engagement:
    """Build a demo engagement at ``path``, replacing an earlier demo there.

    The new demo is built beside the folder and swapped in only when complete. A
    folder that holds anything other than a demo engagement is never touched.

    Raises
    ------
    StoreError
        ``path`` exists, is not empty, and is not a demo engagement.
    """
    path = Path(path)
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return init_demo(path, name, size=size)
    if not is_demo(path):
        raise StoreError(
            f"{path}: already exists and is not a demo engagement, so the demo will not "
            "overwrite it. Give the demo another folder: service-toolkit demo NEW_FOLDER"
        )
    with building(path, suffix=".rebuild") as staging:
        init_demo(staging, name, size=size)
    return Engagement.open(path)


def is_demo(path: str | Path) -> bool:
    """Whether the folder ``path`` holds a demo engagement (its engagement.toml says so)."""
    try:
        text = (Path(path) / "engagement.toml").read_text(encoding="utf-8")
        return tomllib.loads(text).get("demo") in DEMOS
    except (OSError, tomllib.TOMLDecodeError):
        return False
