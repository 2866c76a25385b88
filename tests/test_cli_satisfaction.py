"""The satisfaction analyses from the command line: `service-toolkit table PATH NAME`."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.demo import init_demo
from toolkit.satisfaction import satisfaction_trend
from toolkit.store import Engagement


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Engagement:
    return init_demo(tmp_path_factory.mktemp("demo") / "riverside", "neighbourhood")


def table(demo: Engagement, *args) -> tuple[int, pd.DataFrame | None, str]:
    result = CliRunner().invoke(
        main, ["table", str(demo.path), *map(str, args)], catch_exceptions=False
    )
    assert "Traceback" not in result.output + result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout)) if result.exit_code == 0 else None
    return result.exit_code, frame, result.stderr


def test_satisfaction_trend_matches_the_library_with_engagement_settings(demo):
    code, frame, _ = table(demo, "satisfaction-trend", "--by", "segment", "-p", "period", "year")
    assert code == 0
    expected = satisfaction_trend(demo.responses, by="segment", period="year", top_box=2)
    assert frame["n"].tolist() == expected["n"].tolist()
    assert frame["estimate"].tolist() == pytest.approx(expected["estimate"].tolist(), nan_ok=True)
    assert set(frame["interval"]) == {"t"} and frame["confidence"].eq(0.95).all()


def test_suppressed_groups_print_true_and_empty_estimates(demo):
    code, frame, _ = table(demo, "nps-trend", "--by", "segment", "-p", "min_n", "8")
    hidden = frame[frame["suppressed"]]
    assert code == 0 and len(hidden) > 0
    assert hidden[["estimate", "ci_low", "ci_high", "nps", "promoters"]].isna().all().all()
    assert (hidden["n"] < 8).all()
    assert set(frame["metric"]) == {"nps"}


def test_nps_trend_refuses_another_metric(demo):
    code, _, err = table(demo, "nps-trend", "-p", "metric", "csat")
    assert code == 1 and "use satisfaction-trend -p metric csat" in err


def test_period_changes_and_control_chart_take_their_own_parameters(demo):
    code, changes, _ = table(
        demo, "period-changes", "-p", "metric", "ces", "-p", "measure", "top_box"
    )
    assert code == 0 and set(changes["measure"]) == {"top_box"}
    assert {"p_value", "p_holm", "change"} <= set(changes.columns)
    code, chart, _ = table(
        demo,
        "control-chart",
        "-p",
        "chart",
        "p",
        "-p",
        "baseline",
        "6",
        "-y",
        "{rebase_at: [2023-07-01]}",
    )
    assert code == 0 and set(chart["chart"]) == {"p"}
    assert chart["phase"].tolist() == [1] * 6 + [2] * 6
    assert chart["in_baseline"].sum() == 12  # six in each phase


def test_before_after_for_one_event_with_windows(demo):
    code, frame, _ = table(
        demo,
        "before-after",
        "-p",
        "event",
        "milk and fresh food program launched",
        "-p",
        "before",
        "60",
        "-p",
        "after",
        "60",
    )
    assert code == 0 and len(frame) == 1
    row = frame.iloc[0]
    assert row["before_days"] == 60 and row["change"] == "better"
    assert row["window_before_start"] == "2023-05-02"
    assert row["its_level_change"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("satisfaction-trend", "-p", "period", "fortnight"), "period must be one of"),
        (("satisfaction-trend", "-p", "timezone", "Nowhere/Land"), "is not a time zone name"),
        (("before-after", "-p", "event", "Bus route"), "no event is labelled 'Bus route'"),
        (("control-chart", "-p", "rebase_at", "soon"), "is not a date"),
        (("control-chart", "-p", "baseline", "1"), "baseline must be a whole number of at least 2"),
        (("satisfaction-trend", "--by", "campus"), "no column 'campus'"),
    ],
)
def test_bad_values_exit_1_with_a_clear_message(demo, args, message):
    code, _, err = table(demo, *args)
    assert code == 1 and message in err


def test_help_params_lists_settings_defaults(demo):
    result = CliRunner().invoke(main, ["table", str(demo.path), "control-chart", "--help-params"])
    assert result.exit_code == 0
    assert "top_box        default engagement setting" in result.stdout
    assert "baseline       default None" in result.stdout
