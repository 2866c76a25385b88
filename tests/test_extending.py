"""docs/extending.md's recipes, run end to end: a toy metric and a toy survey tool.

The toy tool reads a made-up ``.toy`` format (a ``#TOYSURVEY`` line, then ``|``-separated
rows); the toy metric ``calm`` is on a 1–4 scale. Both are registered for one test and
removed after it, so no other test sees them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit import schema, sources
from toolkit.schema import METRICS, Metric, register_metric, unregister_metric
from toolkit.sources import TOOLS, Tool, register_tool, unregister_tool
from toolkit.sources.detect import detect_format
from toolkit.sources.registry import FORMATS, guess_metrics
from toolkit.store import Engagement

CALM = Metric(
    "calm",
    (1, 4),
    title="Calm (toy)",
    words="calm (toy)",
    short="CALM",
    described="how calm the wait felt, 1–4",
    question=r"\bcalm\b",
)


def read_toy(path, *, sheet=None, encoding=None, delimiter=None, date_order=None):
    """The toy tool's reader: the header is row 2, answers below it."""
    from toolkit.sources.survey import SurveyTable

    lines = Path(path).read_text(encoding=encoding or "utf-8").splitlines()
    header, *rows = (line.split("|") for line in lines[1:] if line.strip())
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    return SurveyTable(
        frame=frame,
        rows=np.arange(3, 3 + len(frame)),
        header_row=2,
        file=Path(path).name,
        format="toy",
        questions={"calm_q": "How calm was the wait?", "when": "When", "who": "Who"},
    )


def detect_toy(head):
    """The toy tool's detection rule: its first line says #TOYSURVEY."""
    if head[0] and head[0][0].startswith("#TOYSURVEY"):
        return "", "#TOYSURVEY in row 1"
    return None


@pytest.fixture
def toy():
    register_metric(CALM)
    register_tool(Tool("toy", read_toy, detect_toy, aliases=("toy-survey",), label="a toy file"))
    try:
        yield
    finally:
        unregister_tool("toy")
        unregister_metric("calm")


def toy_file(folder: Path) -> Path:
    days = pd.date_range("2024-01-03", periods=24, freq="3D")
    lines = ["#TOYSURVEY v1", "who|when|calm_q"]
    lines += [f"p{i}|{d:%Y-%m-%d}|{1 + (i * 7) % 4}" for i, d in enumerate(days)]
    path = folder / "wave1.toy"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_toy_metric_and_tool_run_from_import_to_chart(toy, tmp_path, run):
    # Every registry reader sees them.
    assert "calm" in METRICS and schema.DEFAULT_SCALES["calm"] == (1, 4)
    assert "toy" in FORMATS and sources.READER_NAMES["toy"] is read_toy
    assert guess_metrics({"calm_q": "How calm was the wait?"}) == {"calm": "calm_q"}
    path = toy_file(tmp_path)
    assert detect_format(path).format == "toy"

    eng = Engagement.init(tmp_path / "eng")
    assert eng.settings["scales"]["calm"] == [1, 4]  # engagement.toml shows its default
    result = eng.import_file(
        path,
        table="responses",
        source="toy-survey",
        columns={"respondent_id": "who", "submitted_on": "When"},
        metrics={"calm": "How calm was the wait?"},
    )
    assert result.rows_added == 24
    again = eng.import_file(
        path, table="responses", metrics={"calm": "calm_q"}, columns={"submitted_on": "when"}
    )
    assert again.rows_added == 0 and again.source_format == "toy"  # detected, not re-added

    # docs/extending.md's command
    out = run("table", eng.path, "satisfaction-trend", "-p", "metric", "calm")
    assert out.exit_code == 0, out.stderr
    trend = pd.read_csv(io.StringIO(out.stdout))
    assert len(trend) and set(trend["metric"]) == {"calm"}
    assert set(trend["scale_max"]) == {4} and trend["mean"].between(1, 4).all()

    from toolkit.charts.satisfaction import satisfaction_trend_chart
    from toolkit.satisfaction import satisfaction_trend

    frame = satisfaction_trend(eng.read_tables(["responses"])["responses"], metric="calm")
    spec = satisfaction_trend_chart(frame).to_dict()
    assert "Calm (toy) over time" in str(spec)


def test_registration_is_undone_and_checked():
    assert "calm" not in METRICS and "toy" not in TOOLS
    from toolkit.errors import DataValidationError

    with pytest.raises(DataValidationError, match="already registered"):
        register_metric(METRICS["csat"])
    with pytest.raises(DataValidationError, match="already a format name"):
        register_tool(Tool("odk", read_toy))
