"""Deterministic sample engagements that tell stories every analysis can find.

Two demos ship with the toolkit:

``neighbourhood``
    Riverside Community Partners, a neighbourhood nonprofit. Staff plan *another food
    pantry*; residents and people without housing say the pantries are enough and that
    milk and perishable food is what is missing. Business owners and people without
    housing disagree about where a drop-in centre should go. A milk and fresh food
    program launched on 2023-07-01 lifts satisfaction among residents and people without
    housing, and barely moves it among business owners.
``university``
    The State University System Office, serving 30 campus HR offices, campus IT,
    advising centres, the provost and finance (internal) and students, employers,
    legislators, an accreditor, K-12 partners and community colleges (external).
    Monthly satisfaction over 36 months across 30 campuses shows campus differences, a
    slow upward trend, a new student portal that helped in some campuses only, and an
    advising restructure that hurt for a term before it helped. ``size="large"`` makes
    exactly 1,000,000 ``responses`` rows, fully vectorised.

Every table uses the canonical field names of :mod:`toolkit.schema.tables`, plus a few
attribute columns (``language``, ``age_band``, ``channel``, ``campus``, ``unit``) for
splitting results. The same name, size and seed always give the same frames.

Examples
--------
>>> from toolkit.demo.build import build_demo, demo_settings
>>> tables = build_demo("neighbourhood")
>>> sorted(tables)
['assumed_needs', 'codebook', 'customers', 'events', 'responses', 'service_links', 'stated_needs']
>>> demo_settings("neighbourhood")["organisation"]
'Riverside Community Partners'
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._files import building
from toolkit.errors import DataValidationError, StoreError
from toolkit.store import Engagement, load_starter_codebook

__all__ = ["DEMOS", "SIZES", "LARGE_ROWS", "build_demo", "demo_settings", "rebuild_demo"]

DEMOS = ("neighbourhood", "university")
SIZES = ("small", "large")
#: Rows in the ``responses`` table of ``build_demo("university", size="large")``.
LARGE_ROWS = 1_000_000
_SMALL_UNIVERSITY_ROWS = 40_000

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
    },
}


# --------------------------------------------------------------------------- public API


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
        which stay distinguishable with colour-vision deficiencies.

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
    return {
        "name": spec["name"],
        "organisation": spec["organisation"],
        "segments": {
            "order": list(segments),
            "colours": {seg: _OKABE_ITO[colour] for seg, colour in segments.items()},
        },
    }


def build_demo(name: str, *, size: str = "small", seed: int = 20240307) -> dict[str, pd.DataFrame]:
    """Build one demo engagement's seven canonical tables.

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
        ``stated_needs``, ``codebook``, ``responses``, ``events``. Columns are canonical
        field names plus attribute columns:

        - neighbourhood ``stated_needs``: ``language``, ``age_band``;
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


# --------------------------------------------------------------------------- checks


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
        for s in np.random.SeedSequence([int(seed), DEMOS.index(name)]).spawn(4)
    ]
    if name == "neighbourhood":
        return _neighbourhood(*streams)
    return _university(*streams, size=size)


# --------------------------------------------------------------------------- wording
#
# What people say, by code. A statement is written for one code (its true code); the
# wording is varied so that the keyword coder finds most, fuzzy matching a few more, and
# a person the rest. Keep these phrases in step with templates/starter-codebook.csv: the
# tests check that most statements contain a keyword of their own code.

_SAY: dict[str, list[str]] = {
    "perishable_food": [
        "Milk for the kids",
        "Milk for the kids that doesn't run out by Wednesday",
        "Fresh food that doesn't spoil before we can eat it",
        "Perishables. The pantries only have cans",
        "The pantries only have cans, we need milk and eggs",
        "We have enough pantries. What's missing is milk",
        "Fresh fruit and vegetables for my family",
        "Somewhere to get milk at the end of the month",
        "Dairy for the baby",
        "Eggs and cheese, not just rice and beans",
        "Fresh produce that lasts more than a day",
        "A fridge at the pantries so they can give out fresh food",
        "Nothing fresh at the giveaways, only cans",
        "Milk. Every week we run out of milk",
        "Yogurt and milk for the little ones",
        "Perishable food, the kind you can't store on a shelf",
        "Fresh food for the kids, not more cans",
    ],
    "food_pantry": [
        "A food pantry closer to the apartments",
        "Food bank open more days",
        "The pantry on 3rd Street is too far to walk",
        "Emergency food when the money runs out",
        "Groceries at the end of the month",
    ],
    "healthy_food": [
        "Healthy food for my diabetic husband",
        "Halal options",
        "Food we know how to cook, food from home",
        "Nutritious meals for the kids",
        "Low sugar options",
    ],
    "hot_meals": [
        "A hot meal at night",
        "Something warm to eat in winter",
        "Soup kitchen open on Sundays",
        "A cooked meal once a day",
    ],
    "affordable_housing": [
        "Affordable housing, rents are too high",
        "Cheaper rent",
        "Rent is too high for what we earn",
        "An affordable apartment for my family",
        "Section 8 vouchers that don't take years",
    ],
    "emergency_shelter": [
        "A bed for the night",
        "More shelter beds in winter",
        "Somewhere to sleep that isn't the street",
        "A shelter that takes couples",
        "A place to sleep where my dog can stay",
        "Warming centre when it's below freezing",
    ],
    "rent_help": [
        "Help paying rent this month",
        "Help with rent after my job cut back",
        "Utility bill help in winter",
        "Behind on rent and scared of eviction",
        "Security deposit for a new place",
    ],
    "showers_hygiene": [
        "A shower",
        "Showers and a place to wash my clothes",
        "Clean restrooms open at night",
        "Laundry",
        "Hygiene kits",
    ],
    "storage": [
        "Somewhere to leave my bags during the day",
        "A locker for my things",
        "Storage so my stuff doesn't get taken",
        "Keep my stuff while I go to appointments",
    ],
    "id_documents": [
        "Help getting a state ID",
        "Replace my birth certificate",
        "Lost my ID and can't get hired without it",
        "Photo ID so I can cash a check",
    ],
    "transport": [
        "A bus pass",
        "Bus fare to get to appointments",
        "Rides to the hospital",
        "Transportation to the pantries",
        "Buses that run on Sundays",
        "Getting there is the hard part",
    ],
    "parking_foot_traffic": [
        "Parking for customers",
        "More foot traffic on Main Street",
        "Customers can't park near my shop",
        "Bring people downtown",
        "Fewer shoppers since the construction",
    ],
    "childcare": [
        "Childcare so I can work",
        "Day care that's affordable",
        "Someone to watch the kids during appointments",
        "Preschool spots",
        "Childcare at night",
    ],
    "youth_programs": [
        "Things for teens to do after school",
        "A youth center",
        "Summer program for the kids",
        "After-school program",
    ],
    "employment": [
        "A job with steady income",
        "Jobs close to home",
        "Help to find work",
        "Full-time work, not gig work",
    ],
    "job_training": [
        "Job training for adults",
        "Resume help",
        "Interview practice",
        "Learn a trade",
        "A certificate program I can afford",
    ],
    "youth_hiring": [
        "Hire local youth for the summer",
        "Place local kids in their first job",
        "Young people from the neighbourhood working in our shops",
        "Help hiring local youth",
    ],
    "small_business_support": [
        "Help with business permits",
        "A shop local campaign",
        "Grants for small business owners",
        "Marketing help for small business",
    ],
    "internet_access": [
        "Internet at home",
        "Free wifi",
        "A laptop for my son's homework",
        "Cheaper data plan",
    ],
    "health_care": [
        "A doctor who takes walk-ins",
        "Dental care",
        "Medicine I can afford",
        "A clinic nearby",
        "Health insurance help",
    ],
    "mental_health": [
        "Someone to talk to",
        "Mental health support",
        "Counseling in Spanish",
        "Help with stress and anxiety",
        "Therapy that's free",
    ],
    "substance_use": [
        "Detox beds",
        "Recovery meetings nearby",
        "Help staying sober",
    ],
    "language_access": [
        "An interpreter at the front desk",
        "Papers in Somali",
        "Staff who speak Spanish",
        "Information in my language",
    ],
    "legal_aid": [
        "Legal help with my landlord",
        "Immigration lawyer",
        "Tenant rights workshop",
    ],
    "safety": [
        "Better street lights",
        "Safety at night",
        "Break-ins at my shop",
        "Theft from the store",
        "More security downtown",
        "I don't feel safe walking home",
        "People harassing customers",
    ],
    "clean_streets": [
        "Clean up the litter",
        "Needles in the alley",
        "Trash pickup on Main Street",
        "Graffiti removal",
    ],
    "drop_in_centre": [
        "A drop-in centre downtown where we can sit during the day",
        "A day center near the businesses, where the buses stop",
        "Somewhere to go during the day",
        "A drop-in place that's open all day",
    ],
    "service_information": [
        "Knowing what exists",
        "One place to find all the services",
        "I didn't know the rent program existed",
        "Who to call when something goes wrong",
        "A list of services",
        "What's available for families like mine",
    ],
    "referrals": [
        "Warm handoff to other agencies",
        "Referrals that actually get answered",
        "Knowing where to refer people",
        "A referral form everyone uses",
    ],
    "information_sharing": [
        "Shared information about clients so people don't repeat their story",
        "Coordinate our outreach schedules",
        "A shared calendar of events",
        "Common intake across agencies",
        "Stop duplicate services",
    ],
    "opening_hours": [
        "Open later on weekdays",
        "Open on weekends",
        "Evening hours for working parents",
        "Saturday hours",
        "It's closed when I get off work",
    ],
    "wait_times": [
        "Shorter wait",
        "Long line in the cold",
        "Faster service at the front desk",
        "Waiting two hours for a food box",
    ],
    "staff_courtesy": [
        "Being treated with respect",
        "Staff who don't make us feel judged",
        "Friendly front desk",
        "Dignity when asking for help",
        "Listen to us",
    ],
    "follow_up": [
        "Someone to call back",
        "Return my call",
        "Answer the phone",
        "Follow up after the first visit",
        "Get back to us within a week",
    ],
    "simpler_paperwork": [
        "Less paperwork",
        "Simpler forms",
        "Stop asking the same questions every visit",
    ],
    "seniors_support": [
        "Home visits for seniors",
        "Meals on wheels",
        "Help for elderly neighbours",
    ],
    "community_garden": [
        "A community garden",
        "Garden plots to grow our own",
    ],
    "volunteer_support": [
        "Clearer volunteer shifts",
        "Volunteer training before the first shift",
        "Thank volunteers more often",
        "A better volunteer schedule",
    ],
    "communication": [
        "Keep us informed about changes",
        "Updates when the program changes",
        "A monthly newsletter",
        "A heads up before things change",
    ],
    "timely_data": [
        "Reports on time",
        "A dashboard we can trust",
        "Outcome data for grant reports",
        "Enrollment numbers before the budget hearings",
        "Timely data on graduation and jobs",
    ],
    "budget_clarity": [
        "A clear budget for the program",
        "Funding plan for next year",
        "Budget allocations earlier in the year",
        "Fiscal year-end instructions in October, not June",
    ],
    # university
    "advising": [
        "More time with my advisor",
        "An advisor who knows my major",
        "Advising appointments in the evening",
        "Help with my degree plan",
        "Advising that doesn't change every semester",
    ],
    "financial_aid": [
        "Financial aid that arrives before tuition is due",
        "Help with the FAFSA",
        "More scholarship information",
        "Someone to explain my aid package",
    ],
    "course_availability": [
        "Classes I need to graduate are full",
        "More sections of required courses",
        "Get into classes I need",
        "Course offerings in the evening",
    ],
    "registration": [
        "Registration that doesn't crash",
        "Holds on my account I don't understand",
        "An easier add/drop",
    ],
    "tutoring": [
        "Tutoring for math",
        "Writing center hours that fit",
        "A tutor for chemistry",
    ],
    "student_portal": [
        "One login for everything",
        "A student portal that works on my phone",
        "Self-service for transcripts",
    ],
    "degree_audit": [
        "A degree audit I can trust",
        "Knowing what I still need to graduate",
        "Degree progress in one place",
    ],
    "transfer_pathways": [
        "Credits that transfer",
        "Clear transfer pathways from community college",
        "Dual enrollment for high school students",
        "Articulation agreements that are up to date",
    ],
    "hr_support": [
        "HR questions answered the same week",
        "Onboarding that is the same on every campus",
        "Help with benefits questions",
        "Position descriptions approved faster",
    ],
    "it_support": [
        "Fewer outages",
        "One help desk ticket system",
        "Password reset without calling",
        "Software licences through the system",
    ],
    "payroll": [
        "Payroll errors fixed before the next paycheck",
        "Overtime paid on time",
        "Timesheet approvals that don't get lost",
    ],
    "procurement": [
        "Faster purchase orders",
        "System-wide vendor contracts",
        "Reimbursement in weeks, not months",
    ],
    "clear_policies": [
        "Clear policies on remote work",
        "Consistent rules across campuses",
        "Policy guidance before the deadline",
        "Procedures written down in one place",
    ],
    "accreditation": [
        "Evidence of learning outcomes",
        "Accreditation reports on schedule",
        "Support for the self-study",
    ],
    "hiring_ready_graduates": [
        "Graduates who are job-ready",
        "Internships that build practical skills",
        "Close the skills gap in nursing and IT",
        "Real-world projects in courses",
    ],
}

# Segment-specific voice for a code, where the generic wording would not fit.
_SAY_IN: dict[tuple[str, str], list[str]] = {
    ("People without housing", "perishable_food"): [
        "Fresh fruit, I don't have a can opener",
        "Milk or yogurt, anything fresh",
        "Fresh food instead of another can of beans",
        "Perishables I can eat the same day",
        "Nothing fresh in the bags, only cans",
    ],
    ("Partner agencies", "perishable_food"): [
        "Clients ask us for milk we can't provide",
        "Perishable donations need a cold room",
        "Families we refer come back asking for fresh food",
    ],
    ("Volunteers", "perishable_food"): [
        "Families keep asking us for milk",
        "We turn away fresh produce because there is no fridge",
    ],
    ("Board", "perishable_food"): [
        "Find out whether families need milk and fresh food",
    ],
    ("Business owners", "drop_in_centre"): [
        "Don't put the drop-in centre on Main Street",
        "A drop-in center next to the shops would hurt us",
        "Keep the day centre away from the storefronts",
    ],
    ("Volunteers", "opening_hours"): [
        "Fewer late evening shifts, we can't staff them",
        "No more evening hours until we have more volunteers",
    ],
    ("Board", "food_pantry"): [
        "Open the second pantry we budgeted for",
        "A food pantry on the east side",
    ],
}

# Statements written for a code that no keyword matches (typos, another language).
_UNMATCHED: dict[str, list[str]] = {
    "perishable_food": [
        "mlik for the kids",
        "fresh fod that lasts",
        "refridgerated food",
        "Leche para los niños",
        "Caano for the children",
    ],
    "emergency_shelter": ["shleter beds", "a roof for tonight"],
    "advising": ["advicing appointments", "someone who can tell me what to take next term"],
    "payroll": ["payrol mistakes"],
}

# Statements that belong to no code.
_ODD = [
    "Not sure",
    "Nothing, thank you",
    "The mural on Fifth Street is beautiful",
    "Bring back the summer festival",
    "My neighbour's dog barks all night",
    "Too many pigeons",
    "N/A",
    "Can't think of anything right now",
    "The old director was better",
    "More trees on our block",
    "Pickleball",
    "I like the new logo",
]

# How staff word the needs they assume.
_STAFF_SAY: dict[str, list[str]] = {
    "food_pantry": [
        "Another food pantry",
        "A second food pantry on the east side",
        "Open a new pantry near the apartments",
        "More food bank distribution days",
        "Expand the pantry to a second site",
        "A mobile food pantry",
    ],
    "affordable_housing": ["Affordable housing advocacy", "More low-income housing"],
    "rent_help": ["Emergency rent assistance", "Help with utility bills"],
    "employment": ["Help residents find work", "Connect residents to jobs"],
    "job_training": ["Job training workshops", "Resume and interview practice"],
    "transport": ["Bus passes", "Transportation to appointments"],
    "childcare": ["Affordable childcare", "Childcare during classes"],
    "internet_access": ["Free wifi in the community room", "Laptop lending"],
    "service_information": ["A printed resource guide", "A directory of services"],
    "health_care": ["A health clinic day", "Help finding a doctor"],
    "youth_programs": ["Summer youth program", "After-school program"],
    "emergency_shelter": ["More shelter beds", "Winter warming centre"],
    "mental_health": ["Mental health counseling", "Peer support for depression"],
    "substance_use": ["Addiction recovery referrals", "Detox referrals"],
    "id_documents": ["Help replacing identification", "Birth certificate fee waivers"],
    "showers_hygiene": ["Hygiene kits", "Shower access"],
    "safety": ["Better street lighting", "Safety patrols"],
    "small_business_support": ["Small business grants", "Business permit help"],
    "clean_streets": ["Street cleanup days", "Litter pickup"],
    "referrals": ["A referral system", "Referral agreements"],
    "information_sharing": ["Data sharing between agencies", "Coordination meetings"],
    "timely_data": ["Quarterly outcome data", "A system-wide dashboard", "Enrollment reports"],
    "budget_clarity": ["Budget transparency", "Funding forecasts"],
    "volunteer_support": ["Volunteer training", "Volunteer recognition event"],
    "communication": ["Monthly updates", "A newsletter"],
    "student_portal": [
        "A new student portal",
        "One login for all student services",
        "Modernise the student portal",
    ],
    "course_availability": ["More sections online", "Course offerings by demand"],
    "financial_aid": ["Faster financial aid processing", "Scholarship search tool"],
    "tutoring": ["Online tutoring", "More tutoring hours"],
    "hr_support": ["A new human resources system", "Standard onboarding"],
    "it_support": ["A system-wide help desk", "Network upgrades"],
    "hiring_ready_graduates": ["Internships with local employers", "Work-ready skills"],
    "transfer_pathways": ["Transfer pathways with community colleges", "Dual enrollment"],
    "clear_policies": ["Consistent policies across campuses"],
    "accreditation": ["Accreditation data on time"],
}

_DEMO_CODES = {
    "neighbourhood": [
        (
            "drop_in_centre",
            "A drop-in day centre",
            "Basic needs",
            "drop-in; drop in; day centre; day center; somewhere to go during the day",
        ),
        (
            "community_garden",
            "Community garden",
            "Food",
            "community garden; garden plots; grow our own",
        ),
    ],
    "university": [
        (
            "student_portal",
            "Student portal",
            "Students",
            "student portal; portal; one login; self-service; log in",
        ),
        (
            "degree_audit",
            "Degree audit and planning",
            "Students",
            "degree audit; degree progress; still need to graduate; graduation check",
        ),
    ],
}


def _codebook(name: str) -> pd.DataFrame:
    extra = pd.DataFrame(_DEMO_CODES[name], columns=["code", "label", "theme", "keywords"])
    return pd.concat([load_starter_codebook(), extra], ignore_index=True).astype("str")


# --------------------------------------------------------------------------- needs helpers


def _one(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _vary(rng: np.random.Generator, text: str) -> str:
    """Vary capitalisation and punctuation the way people type."""
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.25:
        text = text[0].lower() + text[1:]
    if rng.random() < 0.2:
        text += "."
    return text


def _pick(rng: np.random.Generator, weights: dict[str, float], k: int) -> list[str]:
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=float)
    k = min(k, len(codes))
    chosen = rng.choice(len(codes), size=k, replace=False, p=p / p.sum())
    return [codes[i] for i in chosen]


def _rating(rng: np.random.Generator, mean: float, spread: float = 0.8) -> int:
    return int(np.clip(np.rint(rng.normal(mean, spread)), 1, 5))


def _stated_needs(
    rng: np.random.Generator,
    respondents: list[dict],
    profiles: dict[str, dict[str, float]],
    *,
    importance: dict[str, float],
    performance: dict[str, float],
    conflicts: dict[tuple[str, str], tuple[float, str]],
) -> tuple[pd.DataFrame, pd.Series]:
    """One row per statement: each respondent names ``k`` needs from their profile."""
    rows, truth = [], []
    for person in respondents:
        segment, method = person["segment"], person["method"]
        codes = _pick(rng, profiles[person["profile"]], person["k"])
        for code in codes:
            true_code: str | None = code
            roll = rng.random()
            if roll < 0.05:
                text, true_code = _one(rng, _ODD), None
            elif roll < 0.10 and code in _UNMATCHED:
                text = _one(rng, _UNMATCHED[code])
            else:
                text = _vary(rng, _one(rng, _SAY_IN.get((segment, code), _SAY[code])))
            imp_mean, note = conflicts.get((segment, code), (importance.get(code, 3.6), None))
            imp = None if method == "listening session" else _rating(rng, imp_mean)
            perf = _rating(rng, performance.get(code, 3.0)) if method == "survey" else None
            if note is None and person.get("language", "English") not in ("English", None):
                if method != "survey" and rng.random() < 0.7:
                    note = f"Interpreted from {person['language']}"
            by_person = true_code is not None and rng.random() < 0.10
            row = {
                "source_id": person.get("source_id"),
                "respondent_id": person["respondent_id"],
                "segment": segment,
                "method": method,
                "need": text,
                "code": true_code if by_person else None,
                "coded_by": "person" if by_person else None,
                "importance": imp,
                "performance": perf,
                "notes": note,
                "collected_on": person["collected_on"],
            }
            row.update({k: person[k] for k in person.get("attributes", ())})
            rows.append(row)
            truth.append(true_code)
    frame = pd.DataFrame(rows)
    frame[["importance", "performance"]] = frame[["importance", "performance"]].astype("Int64")
    return frame, pd.Series(truth, index=frame.index, name="true_code", dtype="object")


def _assumed_needs(
    rng: np.random.Generator,
    plan: list[tuple[str, str, str, float]],
    dates: Sequence[str],
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows from ``(staff, segment, code, importance mean)``, worded in staff voice."""
    rows, truth = [], []
    for staff, segment, code, imp_mean in plan:
        by_person = rng.random() < 0.10
        rows.append(
            {
                "staff": staff,
                "segment": segment,
                "need": _vary(rng, _one(rng, _STAFF_SAY[code])),
                "code": code if by_person else None,
                "coded_by": "person" if by_person else None,
                "importance": _rating(rng, imp_mean, 0.6),
                "collected_on": _one(rng, dates),
            }
        )
        truth.append(code)
    frame = pd.DataFrame(rows).astype({"importance": "Int64"})
    return frame, pd.Series(truth, index=frame.index, name="true_code", dtype="object")


def _staff_plan(
    rng: np.random.Generator,
    staff: Sequence[str],
    segments: dict[str, tuple[dict[str, float], tuple[int, int]]],
    importance: dict[str, float],
) -> list[tuple[str, str, str, float]]:
    """Each staff member names a few needs per segment from that segment's staff beliefs."""
    plan = []
    for person in staff:
        for segment, (beliefs, (low, high)) in segments.items():
            k = int(rng.integers(low, high + 1))
            for code in _pick(rng, beliefs, k) if k else []:
                plan.append((person, segment, code, importance.get(code, 3.5)))
    return plan


def _days(rng: np.random.Generator, start: str, end: str, n: int) -> list[str]:
    """``n`` weekday dates between ``start`` and ``end`` as ISO strings."""
    days = pd.bdate_range(start, end)
    return [d.strftime("%Y-%m-%d") for d in days[rng.integers(0, len(days), n)]]


def _source_ids(rng: np.random.Generator, n: int, prefix: str = "R_") -> list[str]:
    """Survey-tool style response ids, unique."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    seen: set[str] = set()
    out = []
    while len(out) < n:
        token = prefix + "".join(alphabet[rng.integers(0, 62, 12)])
        if token not in seen:
            seen.add(token)
            out.append(token)
    return out


def _customers(rows: list[tuple]) -> pd.DataFrame:
    columns = [
        "customer_id",
        "name",
        "kind",
        "segment",
        "mission_alignment",
        "clout",
        "resource_control",
        "history",
        "alternatives",
        "mandate",
        "power",
        "interest",
        "legitimacy",
        "urgency",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    ratings = columns[4:9] + columns[10:]
    frame[ratings] = frame[ratings].astype("Int64")
    return frame


def _events(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["starts_on", "ends_on", "label", "segment"])


# --------------------------------------------------------------------------- neighbourhood

_N_STAFF = (
    "Executive director",
    "Program director",
    "Food program lead",
    "Intake coordinator",
    "Outreach worker",
    "Volunteer coordinator",
    "Case manager",
    "Development officer",
    "Operations manager",
    "Community organiser",
)

_N_LAUNCH = "2023-07-01"

_N_PROFILES: dict[str, dict[str, float]] = {
    "Residents": {
        "perishable_food": 14,
        "affordable_housing": 4,
        "childcare": 3,
        "rent_help": 3,
        "transport": 3,
        "opening_hours": 3,
        "service_information": 3,
        "employment": 2,
        "language_access": 2,
        "healthy_food": 2,
        "health_care": 2,
        "safety": 2,
        "wait_times": 2,
        "job_training": 1.5,
        "internet_access": 1.5,
        "staff_courtesy": 1.5,
        "youth_programs": 1.5,
        "food_pantry": 1,
        "seniors_support": 1,
        "community_garden": 1,
        "simpler_paperwork": 1,
        "mental_health": 1,
        "follow_up": 0.8,
        "legal_aid": 0.7,
    },
    "People without housing": {
        "perishable_food": 20,
        "emergency_shelter": 7,
        "showers_hygiene": 6,
        "id_documents": 5,
        "storage": 5,
        "drop_in_centre": 5,
        "hot_meals": 3,
        "mental_health": 3,
        "health_care": 3,
        "safety": 2,
        "staff_courtesy": 2,
        "substance_use": 2,
        "transport": 1.5,
        "employment": 1.5,
        "food_pantry": 1,
        "wait_times": 1,
    },
    "Business owners": {
        "safety": 8,
        "parking_foot_traffic": 6,
        "youth_hiring": 5,
        "clean_streets": 5,
        "drop_in_centre": 4,
        "small_business_support": 3,
        "service_information": 1,
        "transport": 0.5,
    },
    "Partner agencies": {
        "referrals": 8,
        "information_sharing": 7,
        "service_information": 3,
        "perishable_food": 3,
        "timely_data": 2,
        "opening_hours": 2,
        "language_access": 2,
        "follow_up": 2,
    },
    "Volunteers": {
        "volunteer_support": 8,
        "perishable_food": 5,
        "communication": 4,
        "opening_hours": 2,
        "staff_courtesy": 1,
    },
    "Board": {
        "timely_data": 5,
        "budget_clarity": 4,
        "food_pantry": 2,
        "perishable_food": 2,
        "communication": 2,
    },
}

_N_IMPORTANCE = {
    "perishable_food": 4.6,
    "emergency_shelter": 4.7,
    "drop_in_centre": 4.5,
    "affordable_housing": 4.4,
    "safety": 4.2,
    "referrals": 4.0,
    "information_sharing": 3.9,
    "food_pantry": 3.0,
    "community_garden": 2.6,
    "parking_foot_traffic": 3.8,
}
_N_PERFORMANCE = {
    "perishable_food": 1.5,
    "food_pantry": 4.3,
    "affordable_housing": 1.8,
    "emergency_shelter": 2.0,
    "childcare": 2.2,
    "service_information": 2.4,
    "opening_hours": 2.6,
    "safety": 2.5,
    "staff_courtesy": 4.1,
    "wait_times": 2.9,
    "transport": 2.8,
    "referrals": 2.6,
    "volunteer_support": 3.4,
}
_N_CONFLICTS = {
    ("Business owners", "drop_in_centre"): (1.4, "Against a drop-in centre on Main Street"),
    ("Volunteers", "opening_hours"): (1.6, "Wants fewer evening shifts"),
}

# (segment, method, respondents, statements each low–high)
_N_PLAN = [
    ("Residents", "survey", 70, (2, 4)),
    ("Residents", "interview", 8, (3, 5)),
    ("Residents", "focus group", 9, (2, 4)),
    ("Residents", "listening session", 8, (1, 3)),
    ("People without housing", "survey", 20, (2, 3)),
    ("People without housing", "interview", 14, (3, 5)),
    ("People without housing", "listening session", 21, (1, 3)),
    ("Business owners", "survey", 18, (2, 4)),
    ("Business owners", "interview", 8, (3, 5)),
    ("Business owners", "focus group", 6, (2, 4)),
    ("Partner agencies", "survey", 8, (2, 4)),
    ("Partner agencies", "interview", 12, (3, 5)),
    ("Volunteers", "survey", 6, (2, 3)),
    ("Volunteers", "focus group", 6, (2, 3)),
    ("Board", "interview", 6, (2, 4)),
]
_N_LANGUAGES = {
    "Residents": {"English": 0.60, "Spanish": 0.25, "Somali": 0.12, "Vietnamese": 0.03},
    "People without housing": {"English": 0.85, "Spanish": 0.10, "Somali": 0.05},
    "Business owners": {"English": 0.80, "Spanish": 0.10, "Vietnamese": 0.10},
    "Partner agencies": {"English": 1.0},
    "Volunteers": {"English": 0.9, "Spanish": 0.1},
    "Board": {"English": 1.0},
}
_AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_N_AGES = {
    "Residents": (0.10, 0.25, 0.25, 0.15, 0.13, 0.12),
    "People without housing": (0.12, 0.22, 0.22, 0.22, 0.15, 0.07),
    "Business owners": (0.02, 0.15, 0.28, 0.28, 0.20, 0.07),
    "Volunteers": (0.20, 0.10, 0.10, 0.15, 0.20, 0.25),
}
_N_SESSION_DATES = {
    ("Residents", "focus group"): ["2024-04-10"],
    ("Business owners", "focus group"): ["2024-04-17"],
    ("Volunteers", "focus group"): ["2024-04-24"],
    ("Residents", "listening session"): ["2024-02-20", "2024-05-07"],
    ("People without housing", "listening session"): ["2024-03-12", "2024-06-04"],
}


def _choose(rng: np.random.Generator, shares: dict[str, float]) -> str:
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _neighbourhood_respondents(rng: np.random.Generator) -> list[dict]:
    people = []
    counters: dict[str, int] = {}
    prefixes = {"survey": "S", "interview": "I", "focus group": "F", "listening session": "L"}
    for segment, method, count, (low, high) in _N_PLAN:
        if method == "survey":
            dates = _days(rng, "2024-03-04", "2024-03-29", count)
            sources = _source_ids(rng, count)
        elif method == "interview":
            dates = _days(rng, "2024-02-05", "2024-04-26", count)
            sources = [None] * count
        else:
            options = _N_SESSION_DATES[(segment, method)]
            dates = [_one(rng, options) for _ in range(count)]
            sources = [None] * count
        for i in range(count):
            prefix = prefixes[method]
            counters[prefix] = counters.get(prefix, 0) + 1
            ages = _N_AGES.get(segment)
            people.append(
                {
                    "respondent_id": f"{prefix}-{counters[prefix]:04d}",
                    "segment": segment,
                    "profile": segment,
                    "method": method,
                    "k": int(rng.integers(low, high + 1)),
                    "collected_on": dates[i],
                    "source_id": sources[i],
                    "language": _choose(rng, _N_LANGUAGES[segment]),
                    "age_band": _choose(rng, dict(zip(_AGE_BANDS, ages, strict=True)))
                    if ages
                    else None,
                    "attributes": ("language", "age_band"),
                }
            )
    return people


def _neighbourhood(rng_needs, rng_staff, rng_scores, rng_misc):
    customers = _customers(
        [
            # id, name, kind, segment, mission, clout, resources, history, alternatives,
            # mandate, power, interest, legitimacy, urgency
            (
                "residents",
                "Residents of Riverside",
                "external",
                "Residents",
                5,
                3,
                2,
                5,
                2,
                "informal",
                3,
                4,
                5,
                4,
            ),
            (
                "families_with_children",
                "Families with young children",
                "external",
                "Residents",
                5,
                2,
                1,
                4,
                2,
                "none",
                2,
                5,
                5,
                5,
            ),
            (
                "older_residents",
                "Older residents",
                "external",
                "Residents",
                4,
                3,
                1,
                4,
                3,
                "none",
                2,
                4,
                5,
                3,
            ),
            (
                "people_without_housing",
                "People without housing",
                "external",
                "People without housing",
                5,
                1,
                1,
                3,
                2,
                "informal",
                1,
                5,
                5,
                5,
            ),
            (
                "business_owners",
                "Main Street business owners",
                "external",
                "Business owners",
                3,
                4,
                3,
                2,
                4,
                "none",
                4,
                3,
                3,
                2,
            ),
            (
                "business_association",
                "Riverside Business Association",
                "external",
                "Business owners",
                2,
                4,
                3,
                2,
                4,
                "none",
                4,
                2,
                3,
                None,
            ),
            (
                "regional_food_bank",
                "Regional food bank",
                "external",
                "Partner agencies",
                4,
                4,
                5,
                4,
                2,
                "formal",
                5,
                3,
                4,
                2,
            ),
            (
                "county_health",
                "County health department",
                "external",
                "Partner agencies",
                4,
                5,
                4,
                3,
                2,
                "formal",
                5,
                2,
                5,
                3,
            ),
            (
                "faith_communities",
                "Faith communities hosting pantries",
                "external",
                "Partner agencies",
                4,
                None,
                3,
                5,
                3,
                "informal",
                3,
                4,
                4,
                2,
            ),
            (
                "community_foundation",
                "Riverside Community Foundation",
                "external",
                "Partner agencies",
                4,
                4,
                5,
                3,
                3,
                "informal",
                5,
                3,
                None,
                2,
            ),
            (
                "volunteers",
                "Volunteers",
                "internal",
                "Volunteers",
                5,
                2,
                3,
                5,
                4,
                "none",
                2,
                5,
                4,
                3,
            ),
            (
                "board",
                "Board of directors",
                "internal",
                "Board",
                5,
                5,
                5,
                4,
                1,
                "formal",
                5,
                4,
                5,
                3,
            ),
            (
                "intake_team",
                "Intake team",
                "internal",
                "Staff",
                5,
                2,
                2,
                4,
                1,
                "formal",
                2,
                5,
                5,
                4,
            ),
            (
                "food_program",
                "Food program",
                "internal",
                "Staff",
                5,
                2,
                2,
                5,
                1,
                "formal",
                2,
                5,
                5,
                4,
            ),
            (
                "outreach_team",
                "Outreach team",
                "internal",
                "Staff",
                5,
                2,
                1,
                3,
                1,
                "formal",
                2,
                5,
                5,
                4,
            ),
        ]
    )
    service_links = pd.DataFrame(
        [
            ("intake_team", "food_program", "Eligibility checks and household records"),
            ("intake_team", "volunteers", "Volunteer sign-up and scheduling"),
            ("intake_team", "residents", "Front desk and referrals"),
            ("intake_team", "county_health", "Referrals for health care"),
            ("intake_team", "board", "Monthly service statistics"),
            ("volunteers", "food_program", "Pantry shifts and deliveries"),
            ("regional_food_bank", "food_program", "Wholesale food supply"),
            ("food_program", "residents", "Food distribution"),
            ("food_program", "families_with_children", "Family food boxes"),
            ("food_program", "older_residents", "Home delivery"),
            ("food_program", "people_without_housing", "Ready-to-eat food bags"),
            ("food_program", "board", "Quarterly program reports"),
            ("outreach_team", "people_without_housing", "Street outreach and referrals"),
            ("outreach_team", "business_owners", "Liaison on street concerns"),
            ("outreach_team", "business_association", "Monthly safety meeting"),
            ("county_health", "people_without_housing", "Mobile clinic"),
            ("faith_communities", "residents", "Satellite pantry sites"),
            ("community_foundation", "board", "Grant funding"),
        ],
        columns=["provider_id", "customer_id", "service"],
    )

    # Staff beliefs: everyone but one names a pantry for residents, about half for people
    # without housing; nobody names milk or perishable food.
    no_pantry = _one(rng_staff, _N_STAFF)
    plan = []
    for person in _N_STAFF:
        if person != no_pantry:
            plan.append((person, "Residents", "food_pantry", 4.7))
    for person in rng_staff.choice(_N_STAFF, size=5, replace=False):
        plan.append((str(person), "People without housing", "food_pantry", 4.3))
    beliefs = {
        "Residents": (
            {
                "affordable_housing": 3,
                "rent_help": 2,
                "employment": 3,
                "job_training": 2,
                "transport": 2,
                "childcare": 1.5,
                "internet_access": 1,
                "service_information": 1.5,
                "health_care": 1,
                "youth_programs": 1.5,
            },
            (1, 3),
        ),
        "People without housing": (
            {
                "emergency_shelter": 5,
                "mental_health": 3,
                "substance_use": 2.5,
                "health_care": 1.5,
                "id_documents": 1,
                "showers_hygiene": 1,
            },
            (1, 2),
        ),
        "Business owners": (
            {"safety": 3, "small_business_support": 2, "clean_streets": 1.5},
            (0, 2),
        ),
        "Partner agencies": (
            {"referrals": 3, "information_sharing": 2, "timely_data": 1},
            (0, 2),
        ),
    }
    plan += _staff_plan(
        rng_staff,
        _N_STAFF,
        beliefs,
        {"emergency_shelter": 4.5, "affordable_housing": 4.0, "employment": 3.8},
    )
    plan += [
        ("Volunteer coordinator", "Volunteers", "volunteer_support", 4.0),
        ("Operations manager", "Volunteers", "communication", 3.0),
        ("Executive director", "Board", "timely_data", 4.0),
        ("Development officer", "Board", "budget_clarity", 4.0),
    ]
    assumed, assumed_truth = _assumed_needs(
        rng_staff, plan, ("2024-01-16", "2024-01-16", "2024-01-16", "2024-01-23")
    )

    stated, stated_truth = _stated_needs(
        rng_needs,
        _neighbourhood_respondents(rng_needs),
        _N_PROFILES,
        importance=_N_IMPORTANCE,
        performance=_N_PERFORMANCE,
        conflicts=_N_CONFLICTS,
    )

    events = _events(
        [
            ("2022-09-12", None, "Evening opening hours on Tuesdays and Thursdays", None),
            (
                "2023-02-01",
                "2023-04-30",
                "Front desk short-staffed after the intake coordinator left",
                None,
            ),
            (_N_LAUNCH, None, "Milk and fresh food program launched", None),
            ("2024-04-15", None, "Outreach van added", "People without housing"),
        ]
    )
    tables = {
        "customers": customers,
        "service_links": service_links,
        "assumed_needs": assumed,
        "stated_needs": stated,
        "codebook": _codebook("neighbourhood"),
        "responses": _neighbourhood_responses(rng_scores, rng_misc),
        "events": events,
    }
    return tables, {"assumed_needs": assumed_truth, "stated_needs": stated_truth}


# Satisfaction model: one latent "how it went" per survey response, on a standard-normal
# scale, turned into each metric's scale. Effects are in latent standard deviations.
_N_SEG_BASE = {
    "Residents": -0.35,
    "People without housing": -0.6,
    "Business owners": 0.1,
    "Partner agencies": 0.4,
}
_N_SEG_SIZE = {
    "Residents": (110, 151),
    "People without housing": (60, 91),
    "Business owners": (60, 81),
    "Partner agencies": (2, 13),
}
# Effect of the milk and fresh food program: at the food pantry, and elsewhere.
_N_LAUNCH_EFFECT = {
    "Residents": (0.95, 0.45),
    "People without housing": (0.85, 0.4),
    "Business owners": (0.05, 0.0),
    "Partner agencies": (0.3, 0.15),
}
_N_TOUCHPOINTS = {
    "Residents": {"Food pantry": 0.6, "Front desk": 0.35, "Outreach": 0.05},
    "People without housing": {"Food pantry": 0.45, "Front desk": 0.15, "Outreach": 0.4},
    "Business owners": {"Front desk": 0.3, "Outreach": 0.7},
    "Partner agencies": {"Front desk": 0.7, "Outreach": 0.2, "Food pantry": 0.1},
}
_SEG_CODE = {
    "Residents": "RES",
    "People without housing": "PWH",
    "Business owners": "BUS",
    "Partner agencies": "AGY",
}


_N_CHANNELS = {"Paper": 0.35, "Online": 0.45, "Text message": 0.20}

_COMMENTS = {
    "praise": [
        "Friendly staff",
        "Volunteers were kind",
        "Quick and easy",
        "Felt respected",
        "They remembered my name",
    ],
    "fresh": [
        "Thank you for the milk!",
        "Finally fresh food for the kids",
        "The fresh produce makes a big difference",
        "Love that there's milk now",
    ],
    "complaint": [
        "Waited over an hour",
        "Ran out of food before my turn",
        "Hard to find the entrance",
        "Closed when I came after work",
    ],
    "no_fresh": ["No milk again", "Only cans again", "Nothing fresh this week"],
    "front_desk": ["Nobody at the front desk", "Nobody called me back"],
    "business": [
        "Outreach team responds quickly",
        "Still people sleeping in doorways",
        "Appreciate the monthly safety meeting",
    ],
    "agency": ["Referrals are smooth", "Hard to reach the intake team"],
}


def _ordinal(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """1 + how many cut points the latent value passes."""
    return 1 + np.searchsorted(np.asarray(cuts), latent).astype(np.int64)


def _scores(rng: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """CSAT 1–5, NPS 0–10 and CES 1–7 (7 = easy) from one latent value per response."""
    n = latent.shape[0]
    csat = _ordinal(latent + rng.normal(0, 0.5, n), (-1.5, -0.6, 0.25, 1.1))
    nps = np.clip(np.rint(6.6 + 1.9 * (latent + rng.normal(0, 0.6, n))), 0, 10)
    ces = np.clip(np.rint(4.7 + 1.2 * (latent + rng.normal(0, 0.7, n))), 1, 7)
    return {"csat": csat.astype(np.int64), "nps": nps.astype(np.int64), "ces": ces.astype(np.int64)}


def _neighbourhood_responses(rng: np.random.Generator, rng_text: np.random.Generator):
    quarters = pd.period_range("2022Q1", "2024Q4", freq="Q")
    launch = pd.Timestamp(_N_LAUNCH)
    # two quarters where the partner agencies group is too small to report
    tiny = set(rng.choice(len(quarters), size=2, replace=False).tolist())
    pools = {
        seg: [f"RCP-{i:05d}" for i in range(k, k + n)]
        for seg, k, n in (
            ("Residents", 1, 900),
            ("People without housing", 1001, 500),
            ("Business owners", 2001, 120),
            ("Partner agencies", 3001, 30),
        )
    }
    frames = []
    for qi, quarter in enumerate(quarters):
        wave = f"{quarter.year} Q{quarter.quarter}"
        start = quarter.start_time
        for segment, base in _N_SEG_BASE.items():
            low, high = _N_SEG_SIZE[segment]
            n = int(rng.integers(low, high))
            if segment == "Partner agencies" and qi in tiny:
                n = int(rng.integers(2, 5))
            # fielded over the quarter's last six weeks
            offset = rng.integers(int(pd.Timedelta(days=45).total_seconds()), size=n)
            when = (start + pd.Timedelta(days=46)) + pd.to_timedelta(offset, unit="s")
            touch = np.array(list(_N_TOUCHPOINTS[segment]))
            tp_p = np.array(list(_N_TOUCHPOINTS[segment].values()))
            touchpoint = touch[rng.choice(len(touch), size=n, p=tp_p)]
            at_pantry, elsewhere = _N_LAUNCH_EFFECT[segment]
            after = np.asarray(when >= launch)
            # the program builds up over its first months
            ramp = np.clip((np.asarray(when - launch) / np.timedelta64(120, "D")), 0, 1)
            effect = np.where(touchpoint == "Food pantry", at_pantry, elsewhere) * after
            effect = effect * (0.6 + 0.4 * ramp)
            latent = (
                base
                + 0.015 * qi
                + effect
                + 0.12 * np.asarray(when >= pd.Timestamp("2022-09-12"))
                - 0.6
                * (touchpoint == "Front desk")
                * np.asarray(
                    (when >= pd.Timestamp("2023-02-01")) & (when < pd.Timestamp("2023-05-01"))
                )
                + 0.35
                * (segment == "People without housing")
                * (touchpoint == "Outreach")
                * np.asarray(when >= pd.Timestamp("2024-04-15"))
                + rng.normal(0, 0.9, n)
            )
            scores = _scores(rng, latent)
            source = [
                f"RCP{quarter.year}Q{quarter.quarter}-{_SEG_CODE[segment]}-{i:04d}"
                for i in range(1, n + 1)
            ]
            respondent = np.array(pools[segment])[rng.integers(0, len(pools[segment]), n)]
            language = [_choose(rng_text, _N_LANGUAGES[segment]) for _ in range(n)]
            channel = [_choose(rng_text, _N_CHANNELS) for _ in range(n)]
            comment = [
                _comment(rng_text, segment, tp, int(c), w >= launch, w)
                for tp, c, w in zip(touchpoint, scores["csat"], when, strict=True)
            ]
            answered_ces = rng.random(n) >= 0.08
            for metric in ("csat", "nps", "ces"):
                keep = answered_ces if metric == "ces" else np.ones(n, dtype=bool)
                frames.append(
                    pd.DataFrame(
                        {
                            "response_id": [f"{s}-{metric}" for s in source],
                            "source_id": source,
                            "respondent_id": respondent,
                            "submitted_on": when,
                            "segment": segment,
                            "touchpoint": touchpoint,
                            "metric": metric,
                            "score": scores[metric].astype("float64"),
                            "comment": comment if metric == "csat" else None,
                            "wave": wave,
                            "language": language,
                            "channel": channel,
                        }
                    )[keep]
                )
    out = pd.concat(frames, ignore_index=True)
    out["comment"] = out["comment"].astype("object").where(out["comment"].notna(), None)
    order = pd.Categorical(out["metric"], ["csat", "nps", "ces"], ordered=True)
    out = out.assign(_m=order).sort_values(["submitted_on", "source_id", "_m"], kind="stable")
    return out.drop(columns="_m").reset_index(drop=True)


def _comment(rng, segment, touchpoint, csat, after_launch, when) -> str | None:
    if rng.random() > 0.2:
        return None
    if segment == "Business owners":
        return _one(rng, _COMMENTS["business"])
    if segment == "Partner agencies":
        return _one(rng, _COMMENTS["agency"])
    short_staffed = pd.Timestamp("2023-02-01") <= when < pd.Timestamp("2023-05-01")
    if touchpoint == "Front desk" and short_staffed and csat <= 3:
        return _one(rng, _COMMENTS["front_desk"])
    if touchpoint == "Food pantry" and csat <= 3 and not after_launch:
        return _one(rng, _COMMENTS["no_fresh"])
    if touchpoint == "Food pantry" and csat >= 4 and after_launch:
        return _one(rng, _COMMENTS["fresh"])
    return _one(rng, _COMMENTS["praise" if csat >= 4 else "complaint"])


# --------------------------------------------------------------------------- university

CAMPUSES = (
    "Ashford",
    "Bayview",
    "Cedar Falls",
    "Clearwater",
    "Dunmore",
    "Eastbrook",
    "Fairhaven",
    "Glenwood",
    "Granite Peak",
    "Harbor City",
    "Highland",
    "Kingsbridge",
    "Lakeshore",
    "Maple Ridge",
    "Millbrook",
    "Northgate",
    "Oak Hollow",
    "Pine Valley",
    "Prairie View",
    "Redwood",
    "Ridgecrest",
    "Silver Lake",
    "Southport",
    "Stonebridge",
    "Summit",
    "Twin Rivers",
    "Valleyview",
    "Westfield",
    "Willow Creek",
    "Woodland",
)
_U_MONTHS = pd.period_range("2022-01", "2024-12", freq="M")
_U_SEGMENTS = ("Students", "Faculty", "Staff", "Employers")
_U_SEG_SHARE = (0.72, 0.10, 0.12, 0.06)
_U_SEG_BASE = np.array([0.0, -0.15, -0.1, 0.2])
_U_TOUCHPOINTS = (
    "Student portal",
    "Advising",
    "Financial aid",
    "IT help desk",
    "HR services",
    "Career services",
)
# touchpoint shares per segment (rows follow _U_TOUCHPOINTS)
_U_TP_SHARE = np.array(
    [
        [0.35, 0.25, 0.25, 0.15, 0.00, 0.00],  # Students
        [0.00, 0.00, 0.00, 0.55, 0.45, 0.00],  # Faculty
        [0.00, 0.00, 0.00, 0.45, 0.55, 0.00],  # Staff
        [0.00, 0.00, 0.00, 0.00, 0.00, 1.00],  # Employers
    ]
)
_U_TP_BASE = np.array([-0.25, 0.05, -0.2, 0.1, 0.0, 0.25])
_U_PORTAL = "2023-01-09"
_U_ADVISING = "2023-08-21"
_U_PAYROLL = ("2022-10-01", "2022-12-16")
_U_COMMENTS = (
    "The new portal is so much easier",
    "Could not log in again",
    "My advisor was great",
    "Advising appointments are booked for weeks",
    "Aid arrived late",
    "Help desk fixed it in minutes",
    "Payroll mistake still not fixed",
    "Career fair was well organised",
)


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into whole counts proportional to ``weights`` (largest remainder)."""
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        counts[np.argsort(-(share - counts), kind="stable")[:short]] += 1
    return counts


def _university_responses(rng: np.random.Generator, total: int, *, with_ids: bool):
    """``total`` response rows over 30 campuses × 36 months, vectorised."""
    n_campus, n_month = len(CAMPUSES), len(_U_MONTHS)
    campus_size = rng.lognormal(0.0, 0.5, n_campus)
    month_of_year = np.arange(n_month) % 12
    season_volume = np.array([1.1, 0.9, 1.2, 1.3, 0.9, 0.5, 0.45, 0.8, 1.2, 1.3, 1.3, 0.8])
    growth = 1 + 0.1 * np.arange(n_month) / n_month
    cell_weights = np.outer(campus_size, season_volume[month_of_year] * growth).ravel()
    rows_per_cell = _allocate(total, cell_weights)  # cell = campus * 36 + month

    # respondents: each answers csat, nps, ces in turn; the last in a cell may stop early
    resp_per_cell = -(-rows_per_cell // 3)
    n_resp = int(resp_per_cell.sum())
    cell_of_resp = np.repeat(np.arange(n_campus * n_month), resp_per_cell)
    campus_r, month_r = np.divmod(cell_of_resp, n_month)
    segment_r = rng.choice(len(_U_SEGMENTS), size=n_resp, p=_U_SEG_SHARE)
    # touchpoint by inverse-CDF per segment
    cdf = np.cumsum(_U_TP_SHARE, axis=1)
    u = rng.random(n_resp)
    touch_r = (u[:, None] > cdf[segment_r]).sum(axis=1)
    touch_r = np.minimum(touch_r, len(_U_TOUCHPOINTS) - 1)

    month_start = _U_MONTHS.start_time.values.astype("datetime64[s]")
    month_len = (_U_MONTHS.end_time - _U_MONTHS.start_time).total_seconds().to_numpy()
    offset = (rng.random(n_resp) * month_len[month_r]).astype(np.int64)
    when_r = month_start[month_r] + offset.astype("timedelta64[s]")

    # campus differences: a spread, one struggling campus and one standout
    campus_eff = rng.normal(0, 0.28, n_campus)
    campus_eff[6] -= 0.6
    campus_eff[18] += 0.45
    # the portal helped where campuses trained staff and students for it
    responsive = np.zeros(n_campus, dtype=bool)
    responsive[rng.choice(n_campus, size=12, replace=False)] = True
    portal_gain = np.where(responsive, 0.85, 0.08)
    advising_hit = rng.uniform(0.3, 1.1, n_campus)
    season = np.array([-0.15, 0, 0, 0, 0.05, 0.1, 0.1, -0.15, -0.1, 0, 0, 0.05])

    years = (when_r - np.datetime64("2022-01-01", "s")) / np.timedelta64(365 * 86400, "s")
    portal_on = when_r >= np.datetime64(_U_PORTAL, "s")
    portal_ramp = np.clip(
        (when_r - np.datetime64(_U_PORTAL, "s")) / np.timedelta64(60 * 86400, "s"), 0, 1
    )
    adv_start = np.datetime64(_U_ADVISING, "s")
    adv_dip = (when_r >= adv_start) & (when_r < adv_start + np.timedelta64(120 * 86400, "s"))
    adv_after = when_r >= adv_start + np.timedelta64(120 * 86400, "s")
    payroll = (when_r >= np.datetime64(_U_PAYROLL[0], "s")) & (
        when_r <= np.datetime64(_U_PAYROLL[1], "s")
    )
    is_portal = touch_r == 0
    is_advising = touch_r == 1
    latent_r = (
        campus_eff[campus_r]
        + _U_SEG_BASE[segment_r]
        + _U_TP_BASE[touch_r]
        + 0.12 * years
        + season[month_r % 12]
        + is_portal * portal_on * portal_ramp * portal_gain[campus_r]
        - is_advising * adv_dip * 0.6 * advising_hit[campus_r]
        + is_advising * adv_after * 0.25
        - (touch_r == 4) * payroll * 0.7
        + rng.normal(0, 0.95, n_resp)
    ).astype(np.float32)
    # effort drops most where the portal worked: CES gets an extra lift
    ces_extra_r = (is_portal * portal_on * portal_ramp * 0.5 * portal_gain[campus_r]).astype(
        np.float32
    )

    # expand respondents to rows
    first_resp_of_cell = np.concatenate(([0], np.cumsum(resp_per_cell)[:-1]))
    first_row_of_cell = np.concatenate(([0], np.cumsum(rows_per_cell)[:-1]))
    cell_of_row = np.repeat(np.arange(n_campus * n_month), rows_per_cell)
    within = np.arange(total) - first_row_of_cell[cell_of_row]
    metric = (within % 3).astype(np.int8)
    resp = first_resp_of_cell[cell_of_row] + within // 3

    latent = latent_r[resp]
    noise = rng.normal(0, 0.55, total).astype(np.float32)
    csat = _ordinal(latent + noise, (-1.5, -0.6, 0.25, 1.1))
    nps = np.clip(np.rint(6.6 + 1.9 * (latent + noise)), 0, 10)
    ces = np.clip(np.rint(4.7 + 1.2 * (latent + ces_extra_r[resp] + noise)), 1, 7)
    score = np.choose(metric, (csat, nps, ces)).astype(np.float64)

    comment_code = np.full(total, -1, dtype=np.int8)
    says = (metric == 0) & (rng.random(total) < 0.04)
    tp = touch_r[resp]
    good = score >= 4
    pick = {
        0: np.where(good, 0, 1),
        1: np.where(good, 2, 3),
        2: np.where(good, 2, 4),
        3: np.where(good, 5, 1),
        4: np.where(good, 5, 6),
        5: np.where(good, 7, 6),
    }
    for t, choice in pick.items():
        mask = says & (tp == t)
        comment_code[mask] = choice[mask]

    labels = [f"{p.year}-{p.month:02d}" for p in _U_MONTHS]
    frame = pd.DataFrame(
        {
            "submitted_on": when_r[resp],
            "campus": pd.Categorical.from_codes(campus_r[resp], CAMPUSES),
            "segment": pd.Categorical.from_codes(segment_r[resp], _U_SEGMENTS),
            "touchpoint": pd.Categorical.from_codes(touch_r[resp], _U_TOUCHPOINTS),
            "metric": pd.Categorical.from_codes(metric, ("csat", "nps", "ces")),
            "score": score,
            "comment": pd.Categorical.from_codes(comment_code, _U_COMMENTS),
            "wave": pd.Categorical.from_codes(month_r[resp], labels),
        }
    )
    if with_ids:
        source = np.array([f"SUS-{i:07d}" for i in range(n_resp)], dtype=object)[resp]
        names = np.array(["csat", "nps", "ces"], dtype=object)[metric]
        frame.insert(0, "source_id", source)
        frame.insert(0, "response_id", source + "-" + names)
        for column in ("campus", "segment", "touchpoint", "metric", "comment", "wave"):
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame


_U_STAFF = (
    "Chief information officer",
    "Associate vice chancellor for HR",
    "Director of institutional research",
    "Vice chancellor for academic affairs",
    "Budget director",
    "Student success lead",
    "Government relations director",
    "Registrar",
)

_U_PROFILES: dict[str, dict[str, float]] = {
    "Students": {
        "advising": 6,
        "course_availability": 6,
        "financial_aid": 5,
        "degree_audit": 3,
        "registration": 3,
        "mental_health": 3,
        "student_portal": 0.7,
        "tutoring": 2,
        "food_pantry": 1.5,
        "transport": 1.5,
        "internet_access": 1,
        "childcare": 1,
    },
    "Faculty": {
        "it_support": 4,
        "hr_support": 3,
        "clear_policies": 3,
        "payroll": 2,
        "course_availability": 2,
        "budget_clarity": 2,
        "student_portal": 1,
    },
    "HR office": {
        "payroll": 5,
        "clear_policies": 5,
        "hr_support": 4,
        "follow_up": 4,
        "it_support": 2,
        "timely_data": 1,
    },
    "Campus IT": {
        "it_support": 4,
        "information_sharing": 3,
        "procurement": 3,
        "clear_policies": 2,
        "budget_clarity": 2,
    },
    "Advising centre": {"degree_audit": 5, "advising": 3, "student_portal": 3, "timely_data": 2},
    "Provost's office": {"timely_data": 5, "accreditation": 3, "budget_clarity": 3},
    "Finance office": {"budget_clarity": 5, "procurement": 4, "payroll": 2, "timely_data": 3},
    "Employers": {"hiring_ready_graduates": 8, "follow_up": 3, "communication": 2},
    "Legislators": {"timely_data": 6, "clear_policies": 3, "transfer_pathways": 2},
    "Accreditor": {"accreditation": 6, "timely_data": 3},
    "K-12 partners": {"transfer_pathways": 5, "communication": 3, "service_information": 2},
    "Community colleges": {"transfer_pathways": 7, "advising": 2, "timely_data": 2},
}
# (profile, segment, unit, method, respondents, statements low–high, with campus)
_U_PLAN = [
    ("Students", "Students", None, "survey", 30, (2, 3), True),
    ("Students", "Students", None, "focus group", 10, (2, 4), True),
    ("Faculty", "Faculty", None, "interview", 8, (2, 4), True),
    ("HR office", "Campus units", "HR office", "listening session", 20, (2, 3), True),
    ("Campus IT", "Campus units", "IT", "interview", 6, (2, 4), True),
    ("Advising centre", "Campus units", "Advising centre", "interview", 6, (2, 3), True),
    ("Provost's office", "Campus units", "Provost's office", "interview", 2, (2, 3), False),
    ("Finance office", "Campus units", "Finance office", "interview", 4, (2, 3), True),
    ("Employers", "Employers", None, "interview", 8, (2, 3), False),
    ("Legislators", "Policy makers", "Legislative staff", "interview", 3, (2, 3), False),
    ("Accreditor", "Policy makers", "Accreditor", "interview", 2, (2, 3), False),
    ("K-12 partners", "Education partners", "K-12", "interview", 3, (2, 3), False),
    (
        "Community colleges",
        "Education partners",
        "Community college",
        "interview",
        3,
        (2, 3),
        False,
    ),
]
_U_IMPORTANCE = {
    "advising": 4.4,
    "course_availability": 4.5,
    "financial_aid": 4.5,
    "payroll": 4.6,
    "timely_data": 4.3,
    "hiring_ready_graduates": 4.4,
    "transfer_pathways": 4.3,
    "student_portal": 2.8,
}
_U_PERFORMANCE = {
    "advising": 2.3,
    "course_availability": 2.1,
    "financial_aid": 2.6,
    "student_portal": 3.8,
    "mental_health": 2.4,
}


def _university_respondents(rng: np.random.Generator) -> list[dict]:
    people = []
    counter = 0
    for profile, segment, unit, method, count, (low, high), with_campus in _U_PLAN:
        if method == "survey":
            dates = _days(rng, "2024-02-05", "2024-02-23", count)
            sources = _source_ids(rng, count)
        elif method == "interview":
            dates = _days(rng, "2024-01-15", "2024-04-26", count)
            sources = [None] * count
        elif method == "focus group":
            dates = [_one(rng, ("2024-03-06", "2024-03-13")) for _ in range(count)]
            sources = [None] * count
        else:
            dates = [_one(rng, ("2024-02-14", "2024-02-28")) for _ in range(count)]
            sources = [None] * count
        for i in range(count):
            counter += 1
            people.append(
                {
                    "respondent_id": f"U-{counter:04d}",
                    "segment": segment,
                    "profile": profile,
                    "method": method,
                    "k": int(rng.integers(low, high + 1)),
                    "collected_on": dates[i],
                    "source_id": sources[i],
                    "campus": _one(rng, CAMPUSES) if with_campus else None,
                    "unit": unit,
                    "attributes": ("campus", "unit"),
                }
            )
    return people


def _university_customers() -> pd.DataFrame:
    rows = [
        # the system office's own units
        (
            "system_it",
            "System IT",
            "internal",
            "System office",
            5,
            3,
            4,
            4,
            1,
            "formal",
            3,
            4,
            5,
            3,
        ),
        (
            "system_hr",
            "System HR",
            "internal",
            "System office",
            5,
            3,
            3,
            4,
            1,
            "formal",
            3,
            4,
            5,
            3,
        ),
        (
            "payroll_services",
            "Payroll services",
            "internal",
            "System office",
            5,
            2,
            3,
            4,
            1,
            "formal",
            3,
            4,
            5,
            4,
        ),
        (
            "institutional_research",
            "Institutional research",
            "internal",
            "System office",
            5,
            3,
            3,
            4,
            2,
            "formal",
            3,
            4,
            5,
            3,
        ),
        (
            "academic_affairs",
            "Academic affairs",
            "internal",
            "System office",
            5,
            4,
            4,
            4,
            1,
            "formal",
            4,
            4,
            5,
            3,
        ),
        # campus units (internal customers)
        (
            "campus_it",
            "Campus IT departments",
            "internal",
            "Campus units",
            4,
            3,
            3,
            3,
            2,
            "formal",
            3,
            4,
            5,
            3,
        ),
        (
            "advising_centres",
            "Campus advising centres",
            "internal",
            "Campus units",
            5,
            2,
            2,
            3,
            2,
            "formal",
            2,
            5,
            5,
            4,
        ),
        ("provost", "Provosts", "internal", "Campus units", 5, 5, 5, 4, 1, "formal", 5, 4, 5, 3),
        (
            "finance_offices",
            "Campus finance offices",
            "internal",
            "Campus units",
            4,
            3,
            5,
            3,
            1,
            "formal",
            4,
            3,
            5,
            2,
        ),
        ("faculty", "Faculty", "internal", "Faculty", 4, 4, 2, 3, 2, "informal", 3, 3, 5, 2),
        (
            "campus_staff",
            "Campus staff",
            "internal",
            "Staff",
            4,
            2,
            1,
            3,
            2,
            "informal",
            2,
            3,
            5,
            2,
        ),
        # external customers
        ("students", "Students", "external", "Students", 5, 4, 3, 4, 2, "formal", 4, 4, 5, 4),
        (
            "employers",
            "Regional employers",
            "external",
            "Employers",
            4,
            4,
            3,
            2,
            4,
            "none",
            4,
            3,
            4,
            3,
        ),
        (
            "legislators",
            "State legislators",
            "external",
            "Policy makers",
            3,
            5,
            5,
            3,
            1,
            "formal",
            5,
            3,
            5,
            None,
        ),
        (
            "accreditation_agency",
            "Regional accreditation agency",
            "external",
            "Policy makers",
            4,
            5,
            4,
            4,
            1,
            "formal",
            5,
            2,
            5,
            3,
        ),
        (
            "k12_partners",
            "K-12 school districts",
            "external",
            "Education partners",
            4,
            2,
            2,
            None,
            3,
            "informal",
            2,
            4,
            4,
            2,
        ),
        (
            "community_colleges",
            "Community colleges",
            "external",
            "Education partners",
            5,
            3,
            2,
            4,
            3,
            "informal",
            3,
            4,
            4,
            3,
        ),
    ]
    for campus in CAMPUSES:
        slug = campus.lower().replace(" ", "_")
        rows.append(
            (
                f"hr_{slug}",
                f"{campus} HR office",
                "internal",
                "Campus units",
                4,
                2,
                2,
                3,
                1,
                "formal",
                2,
                5,
                5,
                3,
            )
        )
    return _customers(rows)


def _university_links() -> pd.DataFrame:
    rows = [
        ("system_it", "campus_it", "Network, identity and the student information system"),
        ("campus_it", "students", "Student portal and help desk"),
        ("campus_it", "advising_centres", "Advising and degree-audit tools"),
        ("campus_it", "faculty", "Learning platform and help desk"),
        ("advising_centres", "students", "Academic advising"),
        ("academic_affairs", "provost", "Program approval and policy"),
        ("academic_affairs", "community_colleges", "Transfer agreements"),
        ("academic_affairs", "k12_partners", "Dual enrollment"),
        ("provost", "faculty", "Course scheduling and workload"),
        ("provost", "advising_centres", "Advising policy"),
        ("faculty", "students", "Teaching"),
        ("institutional_research", "legislators", "Enrollment and outcome reports"),
        ("institutional_research", "accreditation_agency", "Evidence of learning outcomes"),
        ("institutional_research", "provost", "Dashboards"),
        ("institutional_research", "finance_offices", "Enrollment forecasts"),
        ("finance_offices", "provost", "Budget allocations"),
        ("students", "employers", "Graduates"),
        ("payroll_services", "system_hr", "Payroll runs"),
    ]
    for campus in CAMPUSES:
        office = "hr_" + campus.lower().replace(" ", "_")
        rows += [
            ("system_hr", office, "Benefits, policy and HR system"),
            (office, "faculty", "Hiring and benefits"),
            (office, "campus_staff", "Hiring and benefits"),
        ]
    return pd.DataFrame(rows, columns=["provider_id", "customer_id", "service"])


def _university(rng_needs, rng_staff, rng_scores, _spare, *, size: str):
    beliefs = {
        "Students": (
            {"course_availability": 2, "financial_aid": 2, "tutoring": 1},
            (0, 1),
        ),
        "Campus units": ({"hr_support": 3, "it_support": 3, "timely_data": 2}, (1, 2)),
        "Employers": ({"hiring_ready_graduates": 1}, (0, 1)),
        "Policy makers": ({"timely_data": 3, "accreditation": 1}, (0, 1)),
        "Education partners": ({"transfer_pathways": 1}, (0, 1)),
    }
    # the system office's plan: a new student portal (students rarely ask for one)
    skip = _one(rng_staff, _U_STAFF)
    plan = [(person, "Students", "student_portal", 4.6) for person in _U_STAFF if person != skip]
    plan += _staff_plan(
        rng_staff,
        _U_STAFF,
        beliefs,
        {"student_portal": 4.6, "hr_support": 4.0, "timely_data": 4.2},
    )
    assumed, assumed_truth = _assumed_needs(rng_staff, plan, ("2024-01-10", "2024-01-11"))
    stated, stated_truth = _stated_needs(
        rng_needs,
        _university_respondents(rng_needs),
        _U_PROFILES,
        importance=_U_IMPORTANCE,
        performance=_U_PERFORMANCE,
        conflicts={},
    )
    total = LARGE_ROWS if size == "large" else _SMALL_UNIVERSITY_ROWS
    responses = _university_responses(rng_scores, total, with_ids=size == "small")
    events = _events(
        [
            (_U_PAYROLL[0], _U_PAYROLL[1], "Payroll system cut-over", None),
            (_U_PORTAL, None, "New student portal", "Students"),
            (_U_ADVISING, None, "Advising restructure", "Students"),
        ]
    )
    tables = {
        "customers": _university_customers(),
        "service_links": _university_links(),
        "assumed_needs": assumed,
        "stated_needs": stated,
        "codebook": _codebook("university"),
        "responses": responses,
        "events": events,
    }
    return tables, {"assumed_needs": assumed_truth, "stated_needs": stated_truth}


_IMPORT_ORDER = (
    "codebook",
    "customers",
    "service_links",
    "assumed_needs",
    "stated_needs",
    "responses",
    "events",
)


def init_demo(
    path: str | Path,
    name: str = "neighbourhood",
    *,
    size: str = "small",
    engagement_name: str | None = None,
    organisation: str | None = None,
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
        for table in _IMPORT_ORDER:
            if table in frames and len(frames[table]):
                engagement.import_frame(frames[table], table=table, source=f"demo:{name}")

    return Engagement.init(
        path,
        name=engagement_name or settings["name"],
        organisation=organisation or settings["organisation"],
        settings={"demo": name, "settings": {"segments": settings["segments"]}},
        fill=fill,
        starter_codebook=False,
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
