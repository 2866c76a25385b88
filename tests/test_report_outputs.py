"""What the report command writes (issue #15, item 7): a file per value, odd --out paths
refused, and a chart that cannot be drawn failing the run, named.

Each CLI test here runs at most one papermill report.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
import vl_convert

from toolkit.charts.drawing import chart_problem, drawable, report_chart_specs
from toolkit.reports.runner import report_file_names
from toolkit.store import Engagement

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
FAILING = FIXTURES / "failing.ipynb"
BROKEN_CHART = FIXTURES / "broken_chart.ipynb"

LONG = "Campus " + "x" * 80
#: Values whose plain slugs collide: by case, punctuation, a numbered look-alike, a long
#: common start, or no letter a file name can carry.
ODD_VALUES = [
    "a-b",
    "a-b-2",
    "A b",
    "a b",
    "A-B!",
    LONG + " one",
    LONG + " two",
    "???",
    "!!!",
    "日本",
    "value",
    "Zürich",
    "zurich",
]


def test_every_value_gets_its_own_file_name_whatever_the_order():
    names = report_file_names(ODD_VALUES)
    assert set(names) == set(ODD_VALUES)
    assert len({n.lower() for n in names.values()}) == len(ODD_VALUES)  # case-blind disks too
    assert all(re.fullmatch(r"[a-z0-9-]{1,80}", n) for n in names.values())
    assert names["a-b-2"] == "a-b-2"  # a slug nobody else has is kept
    shuffled = ODD_VALUES[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert report_file_names(shuffled) == names
    assert report_file_names(["North", 7, "7"]) == {"North": "north", "7": "7"}


def test_a_value_spelled_like_another_values_name_still_gets_its_own():
    first = report_file_names(["a b", "a-b"])
    clash = first["a b"]  # "a-b-<digest>": now add a value whose plain slug is exactly that
    names = report_file_names(["a b", "a-b", clash])
    assert len(set(names.values())) == 3 and names[clash] == clash


@pytest.fixture(scope="module")
def eng(tmp_path_factory) -> Engagement:
    engagement = Engagement.init(tmp_path_factory.mktemp("outputs") / "eng")
    engagement.import_frame(
        pd.DataFrame(
            {
                "respondent_id": [f"p{i}" for i in range(len(ODD_VALUES))],
                "segment": "Residents",
                "need": "A quiet room",
                "collected_on": "2024-03-01",
                'camp"us': ODD_VALUES,
            }
        ),
        table="stated_needs",
    )
    return engagement


def test_each_writes_one_file_per_value_and_the_index_links_each(run, eng, tmp_path):
    out = tmp_path / "out"
    result = run(
        "report", eng.path, FAILING, "-p", "when", "never", "--each", 'camp"us', "--out", out,
        "--json", "--jobs", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["failed"] == 0 and sorted(r["value"] for r in data["results"]) == sorted(ODD_VALUES)
    files = [Path(r["html"]) for r in data["results"]]
    assert len(set(files)) == len(ODD_VALUES) and all(f.exists() for f in files)
    for r in data["results"]:  # each file is the report of its own value
        made_for = nbformat.read(r["notebook"], as_version=4).metadata["service_toolkit"]["value"]
        assert made_for == r["value"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for f in files:
        assert index.count(f"{f.parent.name}/{f.name}") == 1


@pytest.mark.parametrize(
    "where", ["/dev/null", "/proc/self", "file.txt/reports", "/dev/null/reports"]
)
def test_odd_out_paths_are_a_clear_error(run, eng, tmp_path, where):
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / where
    result = run("report", eng.path, FAILING, "--out", out)
    assert result.exit_code == 1
    assert re.search(r"Error: \S+: cannot make a reports folder there \(", result.stderr)
    if "null" in where or "file" in where:
        assert "is a file, not a folder)" in result.stderr
    assert "Give --out a folder you can write to" in result.stderr


def test_a_chart_that_cannot_be_drawn_fails_the_run_naming_report_and_chart(run, eng, tmp_path):
    result = run("report", eng.path, BROKEN_CHART, "--out", tmp_path)
    assert result.exit_code == 3
    assert "0 written, 1 failed" in result.stdout
    assert (
        'Error: broken-chart: broken_chart.ipynb, cell In [5] (section "A broken chart"): the '
        "chart could not be drawn: Chart: The broken chart: " in result.stderr
    )
    assert "The good chart" not in result.stderr and "Traceback" not in result.output


# ----------------------------------------------------------------------------- odd characters

ODD_CHARACTERS = [
    "Line\u2028break",
    "Para\u2029graph",
    "Next\u0085line",
    "\u200fRTL\u202e",
    "Nul\x00l",
]


@pytest.mark.parametrize("name", ODD_CHARACTERS)
def test_a_sorted_chart_with_any_odd_character_draws(name):
    data = pd.DataFrame({"name": [name, "Plain"], "n": [1, 2]})
    chart = alt.Chart(data).mark_bar().encode(x="n:Q", y=alt.Y("name:N", sort=[name, "Plain"]))
    if "\u2028" in name or "\u2029" in name:  # the attack: Vega refuses it as it stands
        with pytest.raises(ValueError, match="Unexpected token"):
            vl_convert.vegalite_to_svg(chart.to_dict())
    odd = [c for c in name if c in "\u2028\u2029\u0085\x00"]  # what drawable() cleans
    problem = chart_problem(chart.to_dict())
    assert (problem is None) if not odd else (f"holds U+{ord(odd[0]):04X}" in problem)
    assert chart_problem(drawable(chart.to_dict())) is None
    assert "\u2028" not in json.dumps(drawable(chart.to_dict()), ensure_ascii=False)


def test_customer_names_with_odd_characters_leave_every_chart_drawable(run, tmp_path):
    eng = Engagement.init(tmp_path / "eng")
    names = [n for n in ODD_CHARACTERS if "\x00" not in n] + ["Plain one", "Plain two"]
    eng.import_frame(
        pd.DataFrame(
            {
                "customer_id": [f"c{i}" for i in range(len(names))],
                "name": names,
                "kind": [("external", "internal")[i % 2] for i in range(len(names))],
                "segment": "Residents",
                **{c: [1 + (i + k) % 5 for i in range(len(names))] for k, c in enumerate(
                    ["mission_alignment", "clout", "resource_control", "history",
                     "alternatives", "power", "interest"]
                )},
            }
        ),
        table="customers",
    )  # fmt: skip
    result = run("report", eng.path, "customer-map", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    html = Path(json.loads(result.stdout)["results"][0]["html"]).read_text(encoding="utf-8")
    specs = report_chart_specs(html)
    assert len(specs) >= 2, [s.get("description") for s, _ in specs]
    assert [chart_problem(spec, mode) for spec, mode in specs] == [None] * len(specs)
    assert "Line break" in json.dumps(specs, ensure_ascii=False), [
        s.get("description") for s, _ in specs
    ]


def test_charts_checked_from_many_threads_at_once_all_finish():
    """A batch checks its reports' charts in parallel threads (``--jobs``), beside the
    warm-up: two threads in vl-convert at once deadlocked a CI run, so every call takes
    the one lock (toolkit.charts.drawing.vega)."""
    import threading

    from toolkit.charts.drawing import warm_up

    spec = {
        "data": {"values": [{"a": i, "b": f"n{i}"} for i in range(200)]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "a", "type": "quantitative"},
            "y": {"field": "b", "sort": "-x"},
        },
    }
    results: list = []
    threads = [warm_up()] + [
        threading.Thread(target=lambda: results.append(chart_problem(spec)), daemon=True)
        for _ in range(6)
    ]
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a chart check never finished"
    assert results == [None] * 6
