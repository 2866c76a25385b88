"""The neighbourhood demo: Riverside Community Partners, a neighbourhood nonprofit.

Staff plan *another food pantry*; residents and people without housing say the pantries
are enough and that milk and perishable food is what is missing. The story's literal data
(staff, profiles, plan, comments, ...) is in ``data/neighbourhood.toml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.demo._shared import (
    _assumed_needs,
    _choose,
    _codebook,
    _customers,
    _days,
    _events,
    _one,
    _scores,
    _source_ids,
    _staff_plan,
    _stated_needs,
    loop_tables,
    read_csv,
    read_customers,
    read_toml,
)

_DATA = read_toml("neighbourhood.toml")


_N_STAFF = tuple(_DATA["staff"])

_N_LAUNCH = _DATA["launch"]

_N_PROFILES: dict[str, dict[str, float]] = _DATA["profiles"]

_N_IMPORTANCE = _DATA["importance"]

_N_PERFORMANCE = _DATA["performance"]

_N_CONFLICTS = {
    (row["segment"], row["code"]): (row["strength"], row["says"]) for row in _DATA["conflicts"]
}

# (segment, method, respondents, statements each low–high)
_N_PLAN = [
    (row["segment"], row["method"], row["respondents"], tuple(row["statements"]))
    for row in _DATA["plan"]
]

_N_LANGUAGES = _DATA["languages"]

_AGE_BANDS = tuple(_DATA["age_bands"])

_N_AGES = {segment: tuple(shares) for segment, shares in _DATA["ages"].items()}

_N_SESSION_DATES = {(row["segment"], row["method"]): row["dates"] for row in _DATA["session_dates"]}


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


_LOOP = _DATA["loop"]
#: The population of each group (and language), as engagement.toml's [settings.population].
POPULATION: dict[str, dict[str, int]] = _LOOP["population"]


def _later_rounds(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """The later listening rounds' statements, each row with its ``wave``.

    A stream of its own, so the first round's statements are the same as before.
    """
    people = []
    prefixes = {"survey": "S", "listening session": "L"}
    for number, round_ in enumerate(_LOOP["rounds"], start=2):
        start, end = round_["dates"]
        for segment, method, count, low, high, profile in round_["groups"]:
            dates = _days(rng, start, end, count)
            sources = _source_ids(rng, count, prefix=f"R{number}_") if method == "survey" else None
            for i in range(count):
                ages = _N_AGES.get(segment)
                people.append(
                    {
                        "respondent_id": f"{prefixes[method]}{number}-{len(people) + 1:04d}",
                        "segment": segment,
                        "profile": profile,
                        "method": method,
                        "k": int(rng.integers(low, high + 1)),
                        "collected_on": dates[i],
                        "source_id": sources[i] if sources else None,
                        "language": _choose(rng, _N_LANGUAGES[segment]),
                        "age_band": _choose(rng, dict(zip(_AGE_BANDS, ages, strict=True)))
                        if ages
                        else None,
                        "wave": round_["wave"],
                        "attributes": ("language", "age_band", "wave"),
                    }
                )
    return _stated_needs(
        rng,
        people,
        _LOOP["round_profiles"],
        importance=_N_IMPORTANCE,
        performance={**_N_PERFORMANCE, **_LOOP["round_performance"]},
        conflicts=_N_CONFLICTS,
    )


def _neighbourhood(rng_needs, rng_staff, rng_scores, rng_misc, rng_rounds):
    customers = _customers(read_customers("neighbourhood_customers.csv"))
    service_links = pd.DataFrame(
        read_csv("neighbourhood_links.csv"),
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

    later, later_truth = _later_rounds(rng_rounds)
    stated = pd.concat([stated.assign(wave=_LOOP["first_wave"]), later], ignore_index=True)
    stated_truth = pd.concat([stated_truth, later_truth], ignore_index=True)

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
        **loop_tables(_LOOP),
    }
    return tables, {"assumed_needs": assumed_truth, "stated_needs": stated_truth}


_N_SEG_BASE = _DATA["seg_base"]

_N_SEG_SIZE = {segment: tuple(size) for segment, size in _DATA["seg_size"].items()}

# Effect of the milk and fresh food program: at the food pantry, and elsewhere.
_N_LAUNCH_EFFECT = {segment: tuple(e) for segment, e in _DATA["launch_effect"].items()}

_N_TOUCHPOINTS = _DATA["touchpoints"]

_SEG_CODE = _DATA["seg_code"]

_N_CHANNELS = _DATA["channels"]

_COMMENTS = _DATA["comments"]


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
