"""The customer-map charts, tested on their Vega-Lite specs (``to_dict()``), not on pixels.

The frames come from the two demo registers (a neighbourhood nonprofit with 15
customers, a university system office with 47, thirty of them campus HR offices that tie
on every rating) and from a synthetic 60-customer service chain. Label positions are
checked in pixels with the same text-width estimate the charts use, so "no overlap"
means the placement found a clear spot for every label, not that a font was measured.
"""

from __future__ import annotations

import itertools

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from toolkit import customers as cm
from toolkit.charts._layout import text_width as _text_width
from toolkit.charts.customers import (
    power_interest_chart,
    priority_chart,
    service_chain_chart,
    weights_in_words,
)
from toolkit.charts.theme import OKABE_ITO
from toolkit.demo.build import build_demo
from toolkit.errors import DataValidationError


@pytest.fixture(scope="module")
def demos() -> dict[str, dict[str, pd.DataFrame]]:
    return {name: build_demo(name) for name in ("neighbourhood", "university")}


def synthetic_chain(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """60 customers: 4 central units, 16 district offices, 30 public groups, 10 partners."""
    rng = np.random.default_rng(seed)
    central = [
        "System finance office",
        "System IT services",
        "System HR and payroll",
        "Data and planning office",
    ]
    places = [
        "North",
        "South",
        "East",
        "West",
        "Harbour",
        "Valley",
        "Lakeside",
        "Hilltop",
        "Riverside",
        "Old Town",
        "Airport",
        "University",
        "Market",
        "Forest",
        "Bridgeport",
        "Meadow",
    ]
    groups = [
        "Tenants",
        "Small businesses",
        "Parents",
        "Older residents",
        "Commuters",
        "Students",
        "Job seekers",
        "Farmers",
        "Visitors",
        "Carers",
    ]
    partners = [
        "Regional employers",
        "State legislators",
        "Chamber of commerce",
        "Health board",
        "Transit authority",
        "School districts",
        "Food bank network",
        "Housing trust",
        "Police service",
        "Community foundation",
    ]
    rows = [(f"c{i}", n, "internal") for i, n in enumerate(central)]
    rows += [(f"d{i}", f"{p} district office", "internal") for i, p in enumerate(places)]
    rows += [
        (f"g{i}", f"{g} ({area})", "external")
        for i, (area, g) in enumerate(itertools.product(["north", "south", "east"], groups))
    ]
    rows += [(f"p{i}", n, "external") for i, n in enumerate(partners)]
    register = pd.DataFrame(rows, columns=["customer_id", "name", "kind"])
    register["segment"] = register["kind"].map({"internal": "Staff", "external": "Public"})
    for criterion in ("mission_alignment", "clout", "resource_control", "history", "alternatives"):
        register[criterion] = rng.integers(1, 6, size=len(register))
    register["mandate"] = rng.choice(["none", "informal", "formal"], size=len(register))
    links = [(f"c{c}", f"d{i}") for i in range(16) for c in rng.choice(4, 2, replace=False)]
    links += [
        (f"d{d}", f"g{j}") for j in range(30) for d in rng.choice(16, rng.integers(1, 3), False)
    ]
    links += [(f"g{g}", f"p{k}") for k in range(10) for g in rng.choice(30, 2, replace=False)]
    links.append(("p3", "d2"))  # a partner serving a district office: runs back upstream
    frame = pd.DataFrame(links, columns=["provider_id", "customer_id"]).drop_duplicates()
    return register, frame.assign(service="Service")


# ----------------------------------------------------------------------------- helpers


def layers(spec: dict) -> list[dict]:
    """Every unit spec inside a (possibly nested) layer / concat spec."""
    found = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for part in spec.get(key, []):
            found += layers(part)
    if "mark" in spec:
        found.append(spec)
    return found


def rows_of(spec: dict, unit: dict | None = None) -> list[dict]:
    name = (unit or spec).get("data", {}).get("name")
    return spec["datasets"].get(name, []) if name else []


def all_rows(spec: dict) -> int:
    return sum(len(rows) for rows in spec["datasets"].values())


def encoded(spec: dict, channel: str) -> set[str]:
    return {
        unit["encoding"][channel]["field"]
        for unit in layers(spec)
        if "field" in unit.get("encoding", {}).get(channel, {})
    }


def tooltip_titles(spec: dict) -> set[str]:
    return {
        t.get("title")
        for unit in layers(spec)
        for t in unit.get("encoding", {}).get("tooltip", [])
        if isinstance(t, dict)
    }


def compiles(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    vega = vlc.vegalite_to_vega(spec)
    assert vega["marks"] or vega.get("layout")
    return spec


def overlap(a: tuple, b: tuple) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def label_boxes(rows, *, x, y, width, height, font, to_px) -> list[tuple]:
    boxes = []
    for row in rows:
        px, py = to_px(row[x], row[y])
        w = _text_width(row["label"], font)
        left = px - {"left": 0, "right": w, "center": w / 2}[row["label_align"]]
        half = font * 0.62
        boxes.append((left, py - half, left + w, py + half))
    return boxes


# ----------------------------------------------------------------------------- priorities


def test_priority_chart_ranks_every_scored_customer_with_words_and_tooltips(demos):
    ranked = cm.prioritise_customers(demos["university"]["customers"])
    spec = compiles(priority_chart(ranked))
    assert spec["title"]["text"] == "Which customers come first"
    assert "Weights: all six criteria count equally." in spec["title"]["subtitle"]
    assert spec["description"].startswith("Bar chart of 47 customers ranked by priority score")
    assert "First: Provosts, score 4.83 (high)" in spec["description"]
    rows = rows_of(spec)
    assert [r["name"] for r in rows] == ranked["name"].tolist()
    assert len(rows) == len(ranked)  # one row per customer, nothing else
    advising = next(r for r in rows if r["name"] == "Campus advising centres")
    assert advising["range_text"] == "12–42"
    assert advising["rank_said"] == "#12 of 47; #12 to #42 when any one weight moves ±25%"
    assert advising["score_text"] == "3.50 · medium"
    k12 = next(r for r in rows if r["name"] == "K-12 school districts")
    assert k12["points_history"] == "not rated"
    assert k12["rated_said"] == "5 of the criteria in use; not rated: history"
    provosts = rows[0]
    assert provosts["range_text"] == "" and provosts["points_mandate"] == "5 (formal)"
    assert {
        "Priority score",
        "Tier",
        "Rank",
        "Criteria rated",
        "Mandate (points: none 1, informal 3, formal 5)",
        "Few alternatives (points: 6 − rating)",
    } <= tooltip_titles(spec)
    assert "not rated: K-12 school districts (history)" in " ".join(spec["title"]["subtitle"])


def test_priority_chart_shows_kind_by_colour_and_shape_and_tiers_in_words(demos):
    ranked = cm.prioritise_customers(demos["neighbourhood"]["customers"])
    spec = compiles(priority_chart(ranked))
    assert encoded(spec, "color") == {"kind_label"} and encoded(spec, "shape") == {"kind_label"}
    colour = next(u for u in layers(spec) if "shape" in u.get("encoding", {}))["encoding"]
    assert colour["color"]["scale"]["range"] == [OKABE_ITO[1], OKABE_ITO[0]]
    assert colour["shape"]["scale"]["range"] == ["square", "circle"]
    notes = [r["tier_note"] for rows in spec["datasets"].values() for r in rows if "tier_note" in r]
    assert notes == ["high from 3.67", "medium from 2.33"]
    texts = [r["score_text"] for r in rows_of(spec)]
    assert texts[0] == "4.83 · high" and texts[-1] == "2.33 · medium"


def test_priority_chart_leaves_out_unscored_customers_and_honours_top_and_weights(demos):
    register = demos["neighbourhood"]["customers"].copy()
    for criterion in cm.PRIORITY_CRITERIA:
        register.loc[register["customer_id"] == "volunteers", criterion] = None
    ranked = cm.prioritise_customers(register, weights={"mandate": 0, "clout": 2})
    spec = compiles(priority_chart(ranked, top=5))
    rows = rows_of(spec)
    assert len(rows) == 5 and "Volunteers" not in {r["name"] for r in rows}
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "The first 5 of 14 ranked customers." in subtitle
    assert "Not scored (no criterion rated): Volunteers." in subtitle
    assert "clout counts ×2; mission alignment" in subtitle and "mandate is left out" in subtitle
    assert "Not scored (no criterion rated): Volunteers." in spec["description"]


def test_priority_chart_refuses_a_table_ranked_per_group(demos):
    register = demos["university"]["customers"]
    ranked = pd.concat([cm.prioritise_customers(register)] * 2, ignore_index=True)
    with pytest.raises(DataValidationError, match="one row per customer.*'provost'"):
        priority_chart(ranked)
    with pytest.raises(DataValidationError, match="no column 'rank_best'"):
        priority_chart(ranked.drop(columns="rank_best"))
    with pytest.raises(DataValidationError, match="top"):
        priority_chart(cm.prioritise_customers(register), top=0)


def test_weights_in_words():
    assert weights_in_words({}) == "all six criteria count equally"
    assert weights_in_words({"mandate": 0}) == (
        "mission alignment, clout, control of resources we need, history with us and few "
        "alternatives count equally; mandate is left out (weight 0)"
    )
    assert weights_in_words({"history": 0.5}).endswith("; history with us ×0.5")


# ----------------------------------------------------------------------------- power / interest


def grid_boxes(spec: dict) -> tuple[list, list]:
    unit = next(u for u in layers(spec) if u["mark"].get("type") == "point")
    rows = rows_of(spec, spec["layer"][-1])

    def to_px(interest, power):
        return (interest - 0.5) / 5 * spec["width"], (5.5 - power) / 5 * spec["height"]

    labels = label_boxes(
        rows,
        x="label_interest",
        y="label_power",
        width=spec["width"],
        height=spec["height"],
        font=12,
        to_px=to_px,
    )
    points = []
    for row in rows:
        px, py = to_px(row["interest_at"], row["power"])
        r = 0.57 * row["size"] ** 0.5
        points.append((px - r, py - r, px + r, py + r))
    assert unit["encoding"]["size"]["scale"] is None
    return labels, points


@pytest.mark.parametrize("demo", ["neighbourhood", "university"])
def test_power_interest_chart_names_quadrants_and_labels_every_point_clear(demos, demo):
    grid = cm.power_interest(demos[demo]["customers"])
    spec = compiles(power_interest_chart(grid))
    assert spec["title"]["text"] == "Power and interest"
    corners = [
        r["quadrant"]
        for u in layers(spec)
        for r in rows_of(spec, u)
        if "quadrant" in r and "interest_at" not in r
    ]
    assert set(corners) == {"Manage closely", "Keep satisfied", "Keep informed", "Monitor"}
    rules = [u for u in layers(spec) if u["mark"].get("type") == "rule"]
    assert len(rules) == 2 and all(u["mark"]["strokeDash"] for u in rules)
    assert {r["at"] for u in rules for r in rows_of(spec, u)} == {3.5}
    assert encoded(spec, "color") == encoded(spec, "shape") == {"kind_label"}
    assert {"Customers", "Strategy", "Quadrant", "Customers at this point (n)"} <= tooltip_titles(
        spec
    )
    rows = rows_of(spec, spec["layer"][-1])
    assert sum(r["count"] for r in rows) == int(grid["quadrant"].notna().sum())
    labels, points = grid_boxes(spec)
    for (i, a), (j, b) in itertools.combinations(enumerate(labels), 2):
        assert overlap(a, b) == 0, (rows[i]["label"], rows[j]["label"])
    for i, box in enumerate(labels):
        for j, point in enumerate(points):
            assert i == j or overlap(box, point) == 0, (rows[i]["label"], rows[j]["label"])


def test_power_interest_chart_groups_customers_on_one_spot_and_dodges_kinds(demos):
    grid = cm.power_interest(demos["neighbourhood"]["customers"])
    spec = compiles(power_interest_chart(grid))
    rows = {r["label"]: r for r in rows_of(spec, spec["layer"][-1])}
    staff = rows["Volunteers and 3 more"]
    assert staff["count"] == 4 and staff["names_said"] == (
        "Volunteers, Intake team, Food program and Outreach team"
    )
    families = rows["Families with young children"]
    assert (
        (staff["interest"], staff["power"]) == (families["interest"], families["power"]) == (5, 2)
    )
    assert staff["interest_at"] < 5 < families["interest_at"]  # internal left, external right
    assert "Keep informed (low power, high interest): Residents of Riverside" in spec["description"]


def test_power_interest_chart_lists_customers_it_cannot_place():
    grid = cm.power_interest(
        pd.DataFrame(
            {
                "customer_id": ["board", "mayor"],
                "name": ["Board", "Mayor"],
                "kind": ["internal", "external"],
                "segment": ["Board", "Officials"],
                "power": [5, None],
                "interest": [4, 3],
            }
        )
    )
    spec = compiles(power_interest_chart(grid))
    assert "Not placed, a rating is missing: Mayor (power is not rated)." in " ".join(
        spec["title"]["subtitle"]
    )
    assert [r["label"] for r in rows_of(spec, spec["layer"][-1])] == ["Board"]


# ----------------------------------------------------------------------------- service chain


def chain_spec(register: pd.DataFrame, links: pd.DataFrame, *, scores: bool = True) -> tuple:
    layout = cm.chain_layout(register, links)
    if scores:
        ranked = cm.prioritise_customers(register)
        layout["nodes"] = layout["nodes"].merge(
            ranked[["customer_id", "score", "rank", "tier"]], on="customer_id", how="left"
        )
    return layout, compiles(service_chain_chart(layout))


def node_rows(spec: dict) -> list[dict]:
    unit = next(
        u for u in layers(spec) if u["mark"].get("type") == "point" and "shape" in u["encoding"]
    )
    return rows_of(spec, unit)


def check_chain_is_readable(spec: dict) -> None:
    width, height = spec["width"], spec["height"]
    nodes = node_rows(spec)
    sizes = [n.get("score_size") for n in nodes]
    radius = [
        0.57 * ((40 + (s - 1) / 4 * 200) if s is not None else n["size"]) ** 0.5
        for s, n in zip(sizes, nodes, strict=True)
    ]
    centres = [(n["x"] * width, n["y"] * height) for n in nodes]
    # No two nodes overlap: centres further apart than their radii.
    for (i, a), (j, b) in itertools.combinations(enumerate(centres), 2):
        gap = np.hypot(a[0] - b[0], a[1] - b[1])
        assert gap > radius[i] + radius[j], (nodes[i]["name"], nodes[j]["name"], gap)
    labels = label_boxes(
        nodes,
        x="label_x",
        y="label_y",
        width=width,
        height=height,
        font=11,
        to_px=lambda x, y: (x * width, y * height),
    )
    node_boxes = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(centres, radius, strict=True)]
    for (i, a), (j, b) in itertools.combinations(enumerate(labels), 2):
        assert overlap(a, b) == 0, (nodes[i]["label"], nodes[j]["label"])
    for i, box in enumerate(labels):
        for j, node in enumerate(node_boxes):
            assert i == j or overlap(box, node) == 0, (nodes[i]["label"], nodes[j]["name"])
        assert box[0] >= 0 and box[1] >= 0 and box[3] <= height  # right may spill into padding


def test_service_chain_chart_stays_readable_at_60_nodes():
    register, links = synthetic_chain()
    assert len(register) == 60
    layout, spec = chain_spec(register, links)
    nodes = node_rows(spec)
    assert len(nodes) == 60
    check_chain_is_readable(spec)
    # Internal units upstream (left) of every external customer.
    internal = max(n["x"] for n in nodes if n["kind_label"] == "Internal customer")
    external = min(n["x"] for n in nodes if n["kind_label"] == "External customer")
    assert internal < external
    assert spec["description"].startswith(
        "Network diagram of the service chain: 60 customers (20 internal units, 40 external "
        f"customers) joined by {len(links)} service links."
    )
    assert (
        "Dashed curves run back upstream: Health board → East district office."
        in (spec["description"])
    )
    assert spec["height"] >= 30 * 16  # the 30-customer layer gets 16 px a node
    png = vlc.vegalite_to_png(spec, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("demo", ["neighbourhood", "university"])
def test_service_chain_chart_on_the_demos(demos, demo):
    tables = demos[demo]
    layout, spec = chain_spec(tables["customers"], tables["service_links"])
    check_chain_is_readable(spec)
    edges = layout["edges"]
    # Backward links are dashed curves (three points each); forward ones straight rules.
    curve = next((u for u in layers(spec) if u["mark"].get("type") == "line"), None)
    rule = next(
        u for u in layers(spec) if u["mark"].get("type") == "rule" and "x2" in u["encoding"]
    )
    backward = int(edges["backward"].sum())
    assert len(rows_of(spec, rule)) == len(edges) - backward
    assert (len(rows_of(spec, curve)) if curve else 0) == 3 * backward
    arrows = next(u for u in layers(spec) if u["mark"].get("shape") == "triangle-right")
    assert len(rows_of(spec, arrows)) == len(edges)
    assert "angle" in arrows["encoding"]
    size = next(
        u for u in layers(spec) if "size" in u.get("encoding", {}) and "shape" in u["encoding"]
    )
    assert size["encoding"]["size"]["legend"]["title"] == "Priority score"
    assert {"Priority score", "Serves", "Served by", "Links (n)"} <= tooltip_titles(spec)
    assert encoded(spec, "color") == encoded(spec, "shape") == {"kind_label"}


def test_service_chain_chart_without_scores_has_no_size_legend_and_refuses_bad_input(demos):
    tables = demos["neighbourhood"]
    _, spec = chain_spec(tables["customers"], tables["service_links"], scores=False)
    node = next(u for u in layers(spec) if "shape" in u.get("encoding", {}))
    assert node["encoding"]["size"]["scale"] is None and node["encoding"]["size"]["legend"] is None
    assert "Node size" not in spec["description"]
    with pytest.raises(DataValidationError, match="chain_layout"):
        service_chain_chart(tables["customers"])
    layout = cm.chain_layout(tables["customers"], tables["service_links"])
    layout["edges"] = layout["edges"].drop(columns="x2")
    with pytest.raises(DataValidationError, match="no column 'x2'"):
        service_chain_chart(layout)


def test_self_links_get_a_ring_and_a_note():
    register = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "name": ["Unit A", "Clients"],
            "kind": ["internal", "external"],
            "segment": [None, "Clients"],
        }
    )
    links = pd.DataFrame({"provider_id": ["a", "a"], "customer_id": ["a", "b"]})
    spec = compiles(service_chain_chart(cm.chain_layout(register, links)))
    assert "Dashed rings: serves itself (Unit A)." in " ".join(spec["title"]["subtitle"])


# ----------------------------------------------------------------------------- every chart


def every_chart(demos):
    tables = demos["neighbourhood"]
    register = tables["customers"]
    ranked = cm.prioritise_customers(register)
    layout = cm.chain_layout(register, tables["service_links"])
    return {
        "priority": (priority_chart(ranked), len(ranked)),
        "power_interest": (power_interest_chart(cm.power_interest(register)), len(register)),
        "service_chain": (
            service_chain_chart(layout),
            len(layout["nodes"]) + 4 * len(layout["edges"]),
        ),
    }


def test_every_chart_has_a_title_a_description_and_only_the_rows_it_draws(demos):
    for name, (chart, bound) in every_chart(demos).items():
        spec = chart.to_dict()
        assert spec["title"]["text"] and len(spec["description"]) > 80, name
        assert all(len(line) <= 100 for line in spec["title"]["subtitle"]), name  # no wrap in Vega
        # Each chart holds at most a row per input row (a link draws as a rule, an arrow
        # and, curved, three points), plus a handful of fixed rows (corners, thresholds).
        assert all_rows(spec) <= bound + 6, name
        # Colour is never the only cue: every coloured field is also a shape.
        assert encoded(spec, "color") <= encoded(spec, "shape"), name
        assert "url" not in str(spec.get("data", {})), name


def test_charts_render_with_vl_convert(demos):
    for name, (chart, _) in every_chart(demos).items():
        svg = vlc.vegalite_to_svg(chart.to_dict())
        assert svg.startswith("<svg") and "Chart could not" not in svg, name
