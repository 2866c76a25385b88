"""The university demo: the State University System Office and its 30 campuses.

The story's literal data (campuses, staff, profiles, comments, ...) is in
``data/university.toml`` and ``data/university_plan.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.demo._shared import (
    LARGE_ROWS,
    _assumed_needs,
    _codebook,
    _customers,
    _days,
    _events,
    _one,
    _ordinal,
    _source_ids,
    _staff_plan,
    _stated_needs,
    read_csv,
    read_customers,
    read_toml,
)

_DATA = read_toml("university.toml")


_SMALL_UNIVERSITY_ROWS = 40_000

CAMPUSES = tuple(_DATA["campuses"])

_U_MONTHS = pd.period_range("2022-01", "2024-12", freq="M")

_U_SEGMENTS = tuple(_DATA["segments"])

_U_SEG_SHARE = tuple(_DATA["seg_share"])

_U_SEG_BASE = np.array(_DATA["seg_base"])

_U_TOUCHPOINTS = tuple(_DATA["touchpoints"])

# touchpoint shares per segment (rows follow _U_SEGMENTS, columns _U_TOUCHPOINTS)
_U_TP_SHARE = np.array(_DATA["tp_share"])

_U_TP_BASE = np.array(_DATA["tp_base"])

_U_PORTAL = _DATA["portal"]

_U_ADVISING = _DATA["advising"]

_U_PAYROLL = tuple(_DATA["payroll"])

_U_COMMENTS = tuple(_DATA["comments"])


# What the generator builds into the scores besides campus, segment and touchpoint
# differences: the slow upward trend, the month-of-year pattern and the three events.
# Switching one off (for a check of what the charts find) leaves every random draw alone.
CHANGES = ("trend", "season", "payroll", "portal", "advising")


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into whole counts proportional to ``weights`` (largest remainder)."""
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        counts[np.argsort(-(share - counts), kind="stable")[:short]] += 1
    return counts


def _university_responses(rng: np.random.Generator, total: int, *, with_ids: bool, changes=CHANGES):
    """``total`` response rows over 30 campuses × 36 months, vectorised.

    ``changes`` names the built-in changes (:data:`CHANGES`) the scores carry; the rows,
    campuses, dates and noise are the same whichever are on.
    """
    on = {name: float(name in changes) for name in CHANGES}
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
    portal_lift = on["portal"] * is_portal * portal_on * portal_ramp * portal_gain[campus_r]
    latent_r = (
        campus_eff[campus_r]
        + _U_SEG_BASE[segment_r]
        + _U_TP_BASE[touch_r]
        + on["trend"] * 0.12 * years
        + on["season"] * season[month_r % 12]
        + portal_lift
        - on["advising"] * is_advising * adv_dip * 0.6 * advising_hit[campus_r]
        + on["advising"] * is_advising * adv_after * 0.25
        - on["payroll"] * (touch_r == 4) * payroll * 0.7
        + rng.normal(0, 0.95, n_resp)
    ).astype(np.float32)
    # effort drops most where the portal worked: CES gets an extra lift
    ces_extra_r = (0.5 * portal_lift).astype(np.float32)

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


_U_STAFF = tuple(_DATA["staff"])

_U_PROFILES: dict[str, dict[str, float]] = _DATA["profiles"]

_U_PLAN = [
    (
        staff,
        segment,
        unit or None,
        method,
        int(respondents),
        (int(low), int(high)),
        with_campus == "true",
    )
    for staff, segment, unit, method, respondents, low, high, with_campus in read_csv(
        "university_plan.csv"
    )
]

_U_IMPORTANCE = _DATA["importance"]

_U_PERFORMANCE = _DATA["performance"]


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
                    "wave": "2024 spring",
                    "attributes": ("campus", "unit", "wave"),
                }
            )
    return people


def _university_customers() -> pd.DataFrame:
    rows = read_customers("university_customers.csv")
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
    rows = [tuple(row) for row in read_csv("university_links.csv")]
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
