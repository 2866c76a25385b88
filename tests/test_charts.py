"""The needs charts, tested on their Vega-Lite specs (``to_dict()``), not on pixels.

The frames are small synthetic analysis results with the columns ``toolkit.needs``
returns, telling the neighbourhood story: customers keep asking for milk and perishable
food that staff never mention (a blind spot), while staff plan another food pantry few
customers ask for (assumed only). Business owners answered too rarely to be shown.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from toolkit.charts import needs as charts
from toolkit.charts.theme import OKABE_ITO
from toolkit.errors import DataValidationError

Z95 = 1.959964

# code, label, theme
NEEDS = [
    ("perishable_food", "Milk and perishable food", "Food"),
    ("food_pantry", "Another food pantry", "Food"),
    ("affordable_housing", "Affordable housing", "Housing"),
    ("rent_help", "Help with rent and utilities", "Housing"),
    ("employment", "Jobs", "Work and income"),
    ("opening_hours", "Opening hours and access times", "Access"),
    ("transport", "Transport", "Getting there"),
    ("childcare", "Childcare", "Family"),
    ("hot_meals", "Hot meals", "Food"),
    ("internet_access", "Internet access", "Digital access"),
]

# segment: (staff total, customer total, {code: (staff naming it, customers naming it)})
SEGMENTS = {
    "Residents": (
        20,
        80,
        {
            "perishable_food": (0, 46),
            "food_pantry": (19, 7),
            "affordable_housing": (9, 38),
            "rent_help": (6, 30),
            "employment": (8, 20),
            "opening_hours": (1, 22),
            "transport": (3, 22),
            "childcare": (2, 17),
            "hot_meals": (2, 5),
            "internet_access": (4, 6),
        },
    ),
    "People without housing": (
        20,
        30,
        {
            "perishable_food": (0, 14),
            "food_pantry": (10, 4),
            "affordable_housing": (12, 19),
            "rent_help": (1, 2),
            "employment": (5, 9),
            "opening_hours": (2, 11),
            "transport": (4, 6),
            "childcare": (0, 1),
            "hot_meals": (7, 15),
            "internet_access": (1, 5),
        },
    ),
    "Business owners": (
        20,
        3,  # below the minimum group size of 5: suppressed
        {
            "perishable_food": (0, 1),
            "food_pantry": (2, 0),
            "affordable_housing": (1, 1),
            "rent_help": (0, 0),
            "employment": (6, 2),
            "opening_hours": (3, 1),
            "transport": (9, 2),
            "childcare": (1, 0),
            "hot_meals": (0, 0),
            "internet_access": (4, 1),
        },
    ),
}
MIN_N = 5


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float, float]:
    """Share and Wilson score interval (Wilson 1927)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


def newcombe(p1, l1, u1, p2, l2, u2) -> tuple[float, float, float]:
    """Difference p1 − p2 with Newcombe's hybrid score interval (method 10, 1998)."""
    d = p1 - p2
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def classify(row: dict) -> str:
    """The four classes, from thresholds good enough for a synthetic frame."""
    if row["gap_ci_low"] > 0 and row["customer_share"] >= 0.25:
        return "blind spot"
    if row["gap_ci_high"] < 0 and row["staff_share"] >= 0.25:
        return "assumed only"
    if row["staff_share"] >= 0.2 and row["customer_share"] >= 0.2:
        return "shared priority"
    return "low priority"


def gap_rows(segment: str) -> list[dict]:
    staff_total, customer_total, counts = SEGMENTS[segment]
    suppressed = customer_total < MIN_N
    rows = []
    for code, label, theme in NEEDS:
        staff_n, customer_n = counts[code]
        staff = wilson(staff_n, staff_total)
        customer = wilson(customer_n, customer_total)
        diff = newcombe(*customer, *staff)
        row = {
            "segment": segment,
            "code": code,
            "label": label,
            "theme": theme,
            "staff_n": staff_n,
            "staff_total": staff_total,
            "staff_share": staff[0],
            "staff_ci_low": staff[1],
            "staff_ci_high": staff[2],
            "customer_n": customer_n,
            "customer_total": customer_total,
            "customer_share": customer[0],
            "customer_ci_low": customer[1],
            "customer_ci_high": customer[2],
            "staff_importance": 4.0 if staff_n else np.nan,
            "customer_importance": 3.8 if customer_n else np.nan,
            "gap": diff[0],
            "gap_ci_low": diff[1],
            "gap_ci_high": diff[2],
        }
        row["classification"] = classify(row)
        if suppressed:
            for column in row:
                if column.startswith("customer_") or column.startswith("gap"):
                    row[column] = np.nan
            row["classification"] = pd.NA
        row["suppressed"] = suppressed
        row["confidence"] = 0.95
        rows.append(row)
    return rows


def make_gap() -> pd.DataFrame:
    """``needs_gap(...)`` for residents: one row per need, no group column."""
    return pd.DataFrame(gap_rows("Residents")).drop(columns="segment")


def make_gap_by_segment() -> pd.DataFrame:
    """``needs_gap(..., by="segment")``: one row per segment and need."""
    rows = [row for segment in SEGMENTS for row in gap_rows(segment)]
    frame = pd.DataFrame(rows)
    return frame[["segment", *[c for c in frame.columns if c != "segment"]]]


# code, label, n, importance, performance (means on 1–5)
IP_NEEDS = [
    ("perishable_food", "Milk and perishable food", 64, 4.6, 1.9),
    ("affordable_housing", "Affordable housing", 58, 4.4, 2.3),
    ("opening_hours", "Opening hours and access times", 41, 3.9, 2.6),
    ("staff_courtesy", "Courtesy and respect from staff", 70, 4.2, 4.3),
    ("employment", "Jobs", 35, 3.7, 3.5),
    ("food_pantry", "Another food pantry", 22, 2.4, 4.1),
    ("hot_meals", "Hot meals", 30, 2.7, 3.9),
    ("transport", "Transport", 33, 3.1, 2.7),
    ("internet_access", "Internet access", 26, 2.5, 2.9),
]


def make_ip(crosshair: str = "mean") -> pd.DataFrame:
    """``importance_performance(...)``: one row per need, plus one suppressed need."""
    frame = pd.DataFrame(IP_NEEDS, columns=["code", "label", "n", "importance", "performance"])
    for column, sd in (("importance", 0.9), ("performance", 1.1)):
        half = 2.0 * sd / np.sqrt(frame["n"])
        frame[f"{column}_ci_low"] = frame[column] - half
        frame[f"{column}_ci_high"] = frame[column] + half
    if crosshair == "mean":
        cross_i, cross_p = frame["importance"].mean(), frame["performance"].mean()
    else:
        cross_i = cross_p = 3.0
    high_i = frame["importance"] >= cross_i
    high_p = frame["performance"] >= cross_p
    frame["quadrant"] = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
        ["Concentrate here", "Keep up the good work", "Low priority"],
        "Possible overkill",
    )
    frame["suppressed"] = False
    suppressed = {
        "code": "childcare",
        "label": "Childcare",
        "n": 3,
        "quadrant": pd.NA,
        "suppressed": True,
    }
    frame = pd.concat([frame, pd.DataFrame([suppressed])], ignore_index=True)
    frame["crosshair_importance"] = cross_i
    frame["crosshair_performance"] = cross_p
    frame["crosshair"] = crosshair
    return frame[list(charts._IP_COLUMNS)]


# ----------------------------------------------------------------- spec helpers


def layers(spec: dict) -> list[dict]:
    """Every unit spec in a (possibly nested) layer chart."""
    if "layer" in spec:
        return [unit for layer in spec["layer"] for unit in layers(layer)]
    return [spec]


def datasets(spec: dict) -> dict[str, list[dict]]:
    return spec.get("datasets", {})


def main_rows(spec: dict) -> list[dict]:
    """The rows the chart draws from (the layer chart's top-level data)."""
    return datasets(spec)[spec["data"]["name"]]


def mark(unit: dict) -> str:
    return unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]


def tooltip_fields(unit: dict) -> dict[str, str]:
    """Tooltip title → field of one layer."""
    tooltip = unit.get("encoding", {}).get("tooltip", [])
    tooltip = tooltip if isinstance(tooltip, list) else [tooltip]
    return {item.get("title", item["field"]): item["field"] for item in tooltip}


def title_text(spec: dict) -> str:
    title = spec["title"]
    return title["text"] if isinstance(title, dict) else title


def row_for(rows: list[dict], label: str) -> dict:
    matches = [row for row in rows if row.get("label") == label]
    assert len(matches) == 1, (label, matches)
    return matches[0]


def interval(low: float, high: float) -> str:
    return f"{low:.0%}–{high:.0%}"


MILK = "Milk and perishable food"
PANTRY = "Another food pantry"

BUILDERS = {
    "needs_gap_chart": lambda: (charts.needs_gap_chart(make_gap()), make_gap()),
    "needs_heatmap_chart": lambda: (
        charts.needs_heatmap_chart(make_gap_by_segment(), min_n=MIN_N),
        make_gap_by_segment(),
    ),
    "rank_slope_chart": lambda: (charts.rank_slope_chart(make_gap(), top_k=5), make_gap()),
    "importance_performance_chart": lambda: (
        charts.importance_performance_chart(make_ip()),
        make_ip(),
    ),
}


@pytest.fixture(params=sorted(BUILDERS))
def built(request):
    chart, frame = BUILDERS[request.param]()
    return request.param, chart, frame


# ----------------------------------------------------------------- every chart


def test_every_chart_is_an_unrendered_chart_with_title_and_description(built):
    name, chart, _ = built
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()  # Altair validates against the Vega-Lite schema here
    assert title_text(spec).strip()
    assert len(spec["description"]) > 40, spec["description"]
    # Fixed pixel sizes: a number or a step, never "container".
    assert spec["width"] != "container" and spec["height"] != "container"


def test_every_chart_renders_offline_to_svg(built):
    _, chart, _ = built
    svg = vlc.vegalite_to_svg(chart.to_dict())
    assert svg.startswith("<svg") and "</svg>" in svg


def test_every_chart_uses_field_and_type_never_shorthand(built):
    """Each field is a column name as is (shorthand would split "score: 1-5" at the colon)."""
    _, chart, _ = built
    spec = chart.to_dict()
    for unit in layers(spec):
        rows = datasets(spec)[unit.get("data", spec["data"])["name"]] or [{}]
        computed = {t["as"] for t in unit.get("transform", []) if "calculate" in t}
        for channel, encoding in unit.get("encoding", {}).items():
            for item in encoding if isinstance(encoding, list) else [encoding]:
                if "field" not in item:
                    continue
                if channel not in ("x2", "y2"):  # secondary channels take their type from x/y
                    assert "type" in item, (channel, item)
                assert item["field"] in set(rows[0]) | computed or rows == [{}], item


def test_every_chart_embeds_no_more_rows_than_its_input(built):
    """Only analysis rows, at most one per input row; other data is a few annotations."""
    _, chart, frame = built
    spec = chart.to_dict()
    for rows in datasets(spec).values():
        if any("label" in row for row in rows):
            assert len(rows) <= len(frame)
            assert {row["label"] for row in rows} <= set(frame["label"])
        else:
            assert len(rows) <= len(charts._QUADRANTS)


def test_every_chart_has_tooltips_on_its_marks(built):
    _, chart, _ = built
    spec = chart.to_dict()
    data_marks = [u for u in layers(spec) if "data" not in u and mark(u) != "text"]
    assert data_marks
    for unit in data_marks:
        assert tooltip_fields(unit), unit["mark"]


def test_colours_come_from_the_okabe_ito_palette_or_greys():
    allowed = {c.lower() for c in OKABE_ITO}
    for chart in (
        charts.needs_gap_chart(make_gap()),
        charts.rank_slope_chart(make_gap()),
        charts.importance_performance_chart(make_ip()),
    ):
        for unit in layers(chart.to_dict()):
            color = unit.get("encoding", {}).get("color", {})
            for value in color.get("scale", {}).get("range", []):
                grey = value[1:3] == value[3:5] == value[5:7]
                assert value.lower() in allowed or grey, value


def test_building_a_chart_does_not_enable_the_theme():
    active = alt.theme.active
    charts.needs_gap_chart(make_gap())
    assert alt.theme.active == active


# ----------------------------------------------------------------- needs_gap_chart


def test_dumbbell_sorts_the_biggest_blind_spot_first_and_assumed_only_last():
    gap = make_gap()
    spec = charts.needs_gap_chart(gap).to_dict()
    order = layers(spec)[0]["encoding"]["y"]["sort"]
    expected = gap.sort_values("gap", ascending=False)["label"].tolist()
    assert order == expected
    assert order[0] == MILK
    assert order[-1] == PANTRY
    for unit in layers(spec):
        if "y" in unit.get("encoding", {}):
            assert unit["encoding"]["y"]["sort"] == order


def test_dumbbell_draws_staff_and_customer_points_with_intervals():
    spec = charts.needs_gap_chart(make_gap()).to_dict()
    units = layers(spec)
    points = [u for u in units if mark(u) == "point"]
    assert {u["encoding"]["x"]["field"] for u in points} == {"staff_share", "customer_share"}
    rules = {
        (u["encoding"]["x"]["field"], u["encoding"]["x2"]["field"])
        for u in units
        if mark(u) == "rule"
    }
    assert {
        ("staff_share", "customer_share"),
        ("staff_ci_low", "staff_ci_high"),
        ("customer_ci_low", "customer_ci_high"),
    } <= rules
    # The legend names both sides, by colour and by shape.
    for unit in points:
        assert unit["encoding"]["color"]["scale"]["domain"] == ["Staff assumed", "Customers said"]
        assert unit["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond"]
    x = points[0]["encoding"]["x"]
    assert x["axis"]["format"] == "%"
    assert x["title"] == "Share naming this need"
    assert x["scale"]["domain"] == [0, 1]


def test_dumbbell_marks_blind_spots_with_more_than_colour():
    spec = charts.needs_gap_chart(make_gap()).to_dict()
    rows = main_rows(spec)
    assert row_for(rows, MILK)["finding"] == "Blind spot"
    assert row_for(rows, PANTRY)["finding"] == "Assumed only"
    units = layers(spec)
    # Words beside the row ...
    words = [u for u in units if mark(u) == "text" and u["encoding"]["text"]["field"] == "finding"]
    assert len(words) == 1
    # ... a bold axis label ...
    weight = units[0]["encoding"]["y"]["axis"]["labelFontWeight"]
    assert weight["condition"]["value"] == "bold"
    assert MILK in weight["condition"]["test"] and PANTRY in weight["condition"]["test"]
    assert "Transport" not in weight["condition"]["test"]
    # ... and a thicker joining rule.
    joining = next(
        u for u in units if mark(u) == "rule" and u["encoding"]["x"]["field"] == "staff_share"
    )
    assert joining["encoding"]["size"]["condition"]["test"] == "datum.finding != ''"


def test_dumbbell_tooltips_carry_n_and_intervals():
    gap = make_gap()
    spec = charts.needs_gap_chart(gap).to_dict()
    milk_in = gap.set_index("label").loc[MILK]
    milk = row_for(main_rows(spec), MILK)
    for unit in layers(spec):
        fields = tooltip_fields(unit)
        shown = " | ".join(str(milk[field]) for field in fields.values())
        assert "46 of 80 customers" in shown
        assert "0 of 20 staff" in shown
        assert interval(milk_in.customer_ci_low, milk_in.customer_ci_high) in shown
        assert interval(milk_in.staff_ci_low, milk_in.staff_ci_high) in shown
        assert f"{milk_in.gap * 100:+.0f} points" in shown and "95% interval" in shown
        assert "Blind spot" in shown


@pytest.mark.parametrize("blanked", [True, False], ids=["estimates-NaN", "estimates-kept"])
def test_dumbbell_leaves_suppressed_rows_out_and_says_so(blanked):
    """Left out on the flag alone, even if a table kept the estimates."""
    gap = make_gap()
    hidden = gap["label"] == "Transport"
    gap.loc[hidden, "suppressed"] = True
    if blanked:
        gap.loc[hidden, [c for c in gap.columns if c.startswith(("customer_", "gap"))]] = np.nan
    spec = charts.needs_gap_chart(gap).to_dict()
    labels = [row["label"] for row in main_rows(spec)]
    assert "Transport" not in labels and len(labels) == len(gap) - 1
    assert "Transport" not in layers(spec)[0]["encoding"]["y"]["sort"]
    assert "1 need left out" in " ".join(spec["title"]["subtitle"])
    assert "1 need left out" in spec["description"]


def test_dumbbell_of_an_all_suppressed_group_has_no_numbers():
    gap = make_gap_by_segment().query("segment == 'Business owners'").drop(columns="segment")
    spec = charts.needs_gap_chart(gap).to_dict()
    assert main_rows(spec) == []
    assert "10 needs left out" in spec["description"]
    vlc.vegalite_to_svg(spec)


def test_dumbbell_top_keeps_the_largest_gaps_either_way():
    gap = make_gap()
    spec = charts.needs_gap_chart(gap, top=3).to_dict()
    expected = gap.loc[gap["gap"].abs().nlargest(3).index]
    shown = layers(spec)[0]["encoding"]["y"]["sort"]
    assert shown == expected.sort_values("gap", ascending=False)["label"].tolist()
    assert shown[0] == MILK and shown[-1] == PANTRY
    assert "The 3 needs with the largest gaps, of 10" in " ".join(spec["title"]["subtitle"])


def test_dumbbell_title_can_be_given():
    spec = charts.needs_gap_chart(make_gap(), title="Residents: what they need").to_dict()
    assert title_text(spec) == "Residents: what they need"


@pytest.mark.parametrize("top", [0, -1, 2.5, "3", True])
def test_dumbbell_refuses_a_bad_top(top):
    with pytest.raises(DataValidationError, match="top must be a whole number"):
        charts.needs_gap_chart(make_gap(), top=top)


def test_dumbbell_refuses_a_grouped_table_and_says_what_to_do():
    with pytest.raises(DataValidationError, match=r"'segment'.*needs_heatmap_chart"):
        charts.needs_gap_chart(make_gap_by_segment())
    with pytest.raises(DataValidationError, match="several rows for 'perishable_food'"):
        charts.rank_slope_chart(make_gap_by_segment().drop(columns="segment"))
    ip = make_ip()
    with pytest.raises(DataValidationError, match=r"grouped by 'campus'") as caught:
        charts.importance_performance_chart(
            pd.concat([ip.assign(campus="North"), ip.assign(campus="South")])
        )
    assert "heatmap" not in str(caught.value)


def test_a_grouped_needs_gap_is_said_to_be_grouped_by_its_group_column_only():
    from toolkit.needs import needs_gap

    assumed = pd.DataFrame({"staff": ["A", "B"], "code": ["x", "y"], "segment": ["R", "S"]})
    stated = pd.DataFrame(
        {"respondent_id": list("abcd"), "code": ["x", "y", "x", "y"], "segment": list("RRSS")}
    )
    with pytest.raises(DataValidationError, match=r"grouped by 'segment':") as caught:
        charts.needs_gap_chart(needs_gap(assumed, stated, by="segment", min_n=1))
    assert "importance" not in str(caught.value)


def test_dumbbell_names_a_missing_column():
    with pytest.raises(DataValidationError, match="gap_ci_low"):
        charts.needs_gap_chart(make_gap().drop(columns="gap_ci_low"))


# ----------------------------------------------------------------- needs_heatmap_chart


def test_heatmap_puts_needs_in_rows_segments_in_columns_with_text_labels():
    gap = make_gap_by_segment()
    spec = charts.needs_heatmap_chart(gap).to_dict()
    units = layers(spec)
    rects = [u for u in units if mark(u) == "rect"]
    texts = [u for u in units if mark(u) == "text"]
    assert rects and texts
    for unit in rects + texts:
        assert unit["encoding"]["x"]["field"] == "segment"
        assert unit["encoding"]["y"]["field"] == "label"
    assert units[0]["encoding"]["x"]["sort"] == list(SEGMENTS)
    coloured = next(u for u in rects if "color" in u["encoding"])
    assert coloured["encoding"]["color"]["field"] == "customer_share"
    assert coloured["encoding"]["color"]["scale"]["scheme"] == "blues"
    rows = main_rows(spec)
    milk = next(r for r in rows if r["label"] == MILK and r["segment"] == "Residents")
    assert milk["cell_text"] == "57%"
    assert "46 of 80 customers" in milk["count_said"]
    assert "95% interval" in milk["value_said"]
    assert len(rows) == len(gap)


def test_heatmap_shows_suppressed_cells_as_too_few_without_numbers():
    spec = charts.needs_heatmap_chart(make_gap_by_segment(), min_n=MIN_N).to_dict()
    hidden = [r for r in main_rows(spec) if r["segment"] == "Business owners"]
    assert len(hidden) == len(NEEDS)
    for row in hidden:
        assert row["hidden"] is True
        assert row["customer_share"] is None
        assert row["customer_ci_low"] is None and row["customer_ci_high"] is None
        assert row["cell_text"] == "too few"
        assert row["value_said"] == "Fewer than 5 respondents in this group: not shown"
        assert not any(ch.isdigit() for ch in row["cell_text"] + row["count_said"])
    coloured = next(u for u in layers(spec) if "color" in u["encoding"] and mark(u) == "rect")
    assert coloured["transform"] == [{"filter": "!datum.hidden"}]
    assert "Business owners" in spec["description"]


def test_heatmap_without_min_n_still_explains_suppression():
    spec = charts.needs_heatmap_chart(make_gap_by_segment()).to_dict()
    row = next(r for r in main_rows(spec) if r["segment"] == "Business owners")
    assert row["value_said"] == "Too few respondents in this group: not shown"


def test_heatmap_of_staff_shares_keeps_suppressed_customer_groups():
    """Suppression is about the customer group; what staff assumed is still shown."""
    spec = charts.needs_heatmap_chart(make_gap_by_segment(), value="staff_share").to_dict()
    row = next(
        r
        for r in main_rows(spec)
        if r["segment"] == "Business owners" and r["label"] == "Transport"
    )
    assert row["hidden"] is False and row["cell_text"] == "45%"
    assert "9 of 20 staff" in row["count_said"]


def test_heatmap_of_the_gap_uses_a_diverging_scheme_centred_on_zero():
    spec = charts.needs_heatmap_chart(make_gap_by_segment(), value="gap").to_dict()
    coloured = next(u for u in layers(spec) if "color" in u["encoding"] and mark(u) == "rect")
    scale = coloured["encoding"]["color"]["scale"]
    assert scale["scheme"] == "blueorange" and scale["domainMid"] == 0
    assert scale["domain"][0] == -scale["domain"][1]
    milk = next(r for r in main_rows(spec) if r["label"] == MILK and r["segment"] == "Residents")
    assert milk["cell_text"] == "+57 pts"


def test_heatmap_keeps_a_group_column_name_with_a_colon():
    gap = make_gap_by_segment().rename(columns={"segment": "segment: wave 1"})
    spec = charts.needs_heatmap_chart(gap, by="segment: wave 1").to_dict()
    for unit in layers(spec):
        assert unit["encoding"]["x"]["field"] == "segment: wave 1"
    vlc.vegalite_to_svg(spec)


def test_heatmap_refuses_an_unknown_value_and_a_missing_group():
    with pytest.raises(DataValidationError, match="value must be one of"):
        charts.needs_heatmap_chart(make_gap_by_segment(), value="importance")
    with pytest.raises(DataValidationError, match="'campus'"):
        charts.needs_heatmap_chart(make_gap_by_segment(), by="campus")


# ----------------------------------------------------------------- rank_slope_chart


def test_slope_ranks_by_share_within_each_list_ties_at_average_rank():
    gap = make_gap()
    spec = charts.rank_slope_chart(gap).to_dict()
    rows = {row["label"]: row for row in main_rows(spec)}
    named = gap[(gap["staff_share"] > 0) | (gap["customer_share"] > 0)].set_index("label")
    staff = named["staff_share"].rank(ascending=False, method="average")
    customer = named["customer_share"].rank(ascending=False, method="average")
    for label, row in rows.items():
        assert row["staff_rank"] == staff[label]
        assert row["customer_rank"] == customer[label]
    assert rows["Childcare"]["staff_rank"] == rows["Hot meals"]["staff_rank"] == 7.5
    assert rows[PANTRY]["staff_rank"] == 1 and rows[MILK]["customer_rank"] == 1
    assert rows[MILK]["staff_end"] == f"{MILK} (not named)"
    assert rows[MILK]["customer_end"] == f"(#1) {MILK}"


@pytest.mark.parametrize("top_k", [3, 10])
def test_slope_shows_needs_in_either_top_k_and_no_tied_labels_overlap(top_k):
    """Ties (Childcare and Hot meals at staff rank 7.5) get rows of their own."""
    gap = make_gap()
    spec = charts.rank_slope_chart(gap, top_k=top_k).to_dict()
    rows = main_rows(spec)
    labels = {row["label"] for row in rows}
    assert {MILK, PANTRY, "Affordable housing"} <= labels
    for row in rows:
        assert row["staff_rank"] <= top_k or row["customer_rank"] <= top_k
    for side in ("staff", "customer"):
        slots = [row[f"{side}_slot"] for row in sorted(rows, key=lambda r: r[f"{side}_rank"])]
        assert slots == sorted(slots) and len(set(slots)) == len(slots)
    texts = [u["encoding"]["text"]["field"] for u in layers(spec) if mark(u) == "text"]
    assert {"staff_end", "customer_end"} <= set(texts)
    # Needs outside one list's top k sit below a divider that says so.
    outside = any(row["staff_rank"] > top_k or row["customer_rank"] > top_k for row in rows)
    assert ("note" in texts) == outside
    assert outside == (top_k == 3)


def test_slope_emphasises_blind_spots_and_assumed_only_by_dash_and_width():
    spec = charts.rank_slope_chart(make_gap()).to_dict()
    line = next(u for u in layers(spec) if mark(u) == "rule" and "y2" in u["encoding"])
    enc = line["encoding"]
    assert enc["strokeDash"]["field"] == "finding"
    dashes = dict(
        zip(enc["strokeDash"]["scale"]["domain"], enc["strokeDash"]["scale"]["range"], strict=True)
    )
    assert dashes["Assumed only"] != dashes["Other needs"]
    assert enc["size"]["condition"]["value"] > enc["size"]["value"]
    rows = {row["label"]: row for row in main_rows(spec)}
    assert rows[MILK]["finding"] == "Blind spot" and rows[PANTRY]["finding"] == "Assumed only"
    assert "Blind spots: Milk and perishable food" in spec["description"]


def test_slope_tooltips_carry_n_and_intervals():
    gap = make_gap()
    spec = charts.rank_slope_chart(gap).to_dict()
    pantry_in = gap.set_index("label").loc[PANTRY]
    pantry = row_for(main_rows(spec), PANTRY)
    line = next(u for u in layers(spec) if mark(u) == "rule" and "y2" in u["encoding"])
    shown = " | ".join(str(pantry[f]) for f in tooltip_fields(line).values())
    assert "19 of 20 staff" in shown and "7 of 80 customers" in shown
    assert interval(pantry_in.staff_ci_low, pantry_in.staff_ci_high) in shown
    assert "#1 of 10" in shown


def test_slope_leaves_suppressed_rows_out():
    gap = make_gap()
    hidden = gap["label"] == "Jobs"
    gap.loc[hidden, "suppressed"] = True
    gap.loc[hidden, [c for c in gap.columns if c.startswith(("customer_", "gap"))]] = np.nan
    spec = charts.rank_slope_chart(gap).to_dict()
    assert "Jobs" not in {row["label"] for row in main_rows(spec)}
    assert "1 need left out" in spec["description"]


def test_slope_refuses_a_bad_top_k():
    with pytest.raises(DataValidationError, match="top_k"):
        charts.rank_slope_chart(make_gap(), top_k=0)


# ----------------------------------------------------------------- importance_performance_chart


def test_ip_chart_names_the_four_quadrants_in_the_corners():
    spec = charts.importance_performance_chart(make_ip()).to_dict()
    corner_rows = [
        rows
        for rows in datasets(spec).values()
        if rows and "quadrant" in rows[0] and "label" not in rows[0]
    ]
    assert len(corner_rows) == 1
    corners = {row["quadrant"]: (row["performance"], row["importance"]) for row in corner_rows[0]}
    assert corners == {
        "Concentrate here": (1, 5),
        "Keep up the good work": (5, 5),
        "Low priority": (1, 1),
        "Possible overkill": (5, 1),
    }
    drawn = [
        u
        for u in layers(spec)
        if mark(u) == "text" and u["encoding"]["text"]["field"] == "quadrant"
    ]
    assert len(drawn) == 4


@pytest.mark.parametrize("crosshair", ["mean", "midpoint"])
def test_ip_chart_draws_crosshair_rules_at_the_given_values(crosshair):
    ip = make_ip(crosshair)
    spec = charts.importance_performance_chart(ip).to_dict()
    rules = [u for u in layers(spec) if mark(u) == "rule" and "data" in u]
    assert len(rules) == 2
    values = {}
    for unit in rules:
        (channel,) = [c for c in unit["encoding"] if c in ("x", "y")]
        (row,) = datasets(spec)[unit["data"]["name"]]
        values[channel] = row[unit["encoding"][channel]["field"]]
        assert unit["mark"]["strokeDash"]
    assert values["x"] == pytest.approx(ip["crosshair_performance"].iloc[0])
    assert values["y"] == pytest.approx(ip["crosshair_importance"].iloc[0])
    words = "average" if crosshair == "mean" else "middle of the scale"
    assert words in " ".join(spec["title"]["subtitle"])


def test_ip_chart_axes_are_on_the_1_to_5_scale_with_plain_titles():
    spec = charts.importance_performance_chart(make_ip()).to_dict()
    points = next(u for u in layers(spec) if mark(u) == "point")
    x, y = points["encoding"]["x"], points["encoding"]["y"]
    assert x["field"] == "performance" and y["field"] == "importance"
    assert x["scale"]["domain"] == [1, 5] and y["scale"]["domain"] == [1, 5]
    assert x["title"].startswith("How well it is met now")
    assert y["title"].startswith("How important it is")
    # Quadrant by colour and by shape.
    assert (
        points["encoding"]["color"]["field"] == points["encoding"]["shape"]["field"] == "quadrant"
    )


def test_ip_chart_labels_points_and_tooltips_carry_n_and_intervals():
    ip = make_ip()
    spec = charts.importance_performance_chart(ip).to_dict()
    labelled = [
        u
        for u in layers(spec)
        if mark(u) == "text" and u["encoding"]["text"]["field"] == "label_text"
    ]
    rows = main_rows(spec)
    # Every row gets exactly one label placement, and every placement used is drawn.
    drawn = {u["transform"][0]["filter"] for u in labelled}
    assert {f'datum.label_align == "{row["label_align"]}"' for row in rows} == drawn
    # The most important need ("Concentrate here", the widest gap) is named; any other
    # whose name would crowd is numbered, and the subtitle's key names the number.
    assert row_for(rows, MILK)["label_text"] == MILK
    key = " ".join(spec["title"]["subtitle"])
    for row in rows:
        assert row["label_text"] == row["label"] or f"{row['label_text']} {row['label']}" in key
    milk_in = ip.set_index("label").loc[MILK]
    milk = row_for(rows, MILK)
    points = next(u for u in layers(spec) if mark(u) == "point")
    shown = " | ".join(str(milk[f]) for f in tooltip_fields(points).values())
    assert "64" in shown
    assert f"{milk_in.importance_ci_low:.1f}–{milk_in.importance_ci_high:.1f}" in shown
    assert f"{milk_in.performance_ci_low:.1f}–{milk_in.performance_ci_high:.1f}" in shown


def test_ip_chart_leaves_suppressed_rows_out():
    spec = charts.importance_performance_chart(make_ip()).to_dict()
    assert "Childcare" not in {row["label"] for row in main_rows(spec)}
    assert "1 need left out" in spec["description"]


def test_ip_chart_numbers_the_needs_whose_names_would_crowd_and_keys_them():
    import pandas as pd

    from toolkit.charts._layout import FIXED_SPOTS, place_labels

    base = make_ip().iloc[[0]]
    crowd = pd.concat([base] * 12, ignore_index=True)
    crowd["code"] = [f"need{i}" for i in range(12)]
    crowd["label"] = [f"A fairly long need name number {i}" for i in range(12)]
    crowd["suppressed"] = False
    crowd["importance"] = [4.0 + 0.02 * i for i in range(12)]
    spec = charts.importance_performance_chart(crowd).to_dict()
    rows = main_rows(spec)
    numbered = [r for r in rows if r["label_text"] != r["label"]]
    assert numbered and len(numbered) < len(rows)
    key = " ".join(spec["title"]["subtitle"])
    assert "Numbered where names would crowd:" in key
    for r in numbered:
        assert r["label_text"].isdigit()
        assert f"{r['label_text']} {r['label']}" in key
    # The placer itself: a number only when no spot is clear.
    placed = place_labels(
        [50, 50],
        [50, 50],
        [5, 5],
        ["Long name here", "Another long one"],
        width=100,
        height=100,
        spots=FIXED_SPOTS,
        fixed=True,
        numbered=True,
    )
    assert [p["number"] for p in placed] == [None, 1] or [p["number"] for p in placed] == [
        None,
        None,
    ]
