"""Survey-export benchmarks: detecting a file's format, and importing a large tracker.

- Detection reads only a file's first rows: detecting a 1,000,000-row Qualtrics export
  costs under 1.2× detecting a 100-row one.
- Importing a 1,000,000-row tracker (500,000 Qualtrics responses × 2 metrics, choice
  text recoded, previews and unfinished responses excluded) stays within 2× of the
  floor: pandas.read_csv of the export, the same recoding and melting with pandas,
  and one executemany of the same rows into the store's own table, with the store's
  own SQLite settings and its index built after the rows.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_foundation import bulk_insert, store_connection
from benchmarks.timing import RUNS, figure, pairs

SAT = np.array(
    [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ]
)
IDS = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "DistributionChannel",
    "UserLanguage",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
]
TEXTS = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Distribution Channel",
    "User Language",
    "Overall, how satisfied are you?",
    "How likely is it that you would recommend us to a friend or colleague?",
    "Which campus?",
    "Which of these describes you?",
]


def write_qualtrics_export(path: Path, responses: int, seed: int = 11) -> None:
    """A realistic Qualtrics choice-text export: three header rows, 1 in 50 a preview."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2022-01-01") + pd.to_timedelta(
        rng.integers(0, 3 * 365 * 86400, responses), unit="s"
    )
    preview = rng.random(responses) < 0.02
    finished = rng.random(responses) > 0.01
    frame = pd.DataFrame(
        {
            "StartDate": when.strftime("%Y-%m-%d %H:%M:%S"),
            "EndDate": when.strftime("%Y-%m-%d %H:%M:%S"),
            "Status": np.where(preview, "Survey Preview", "IP Address"),
            "IPAddress": np.char.add("203.0.113.", rng.integers(1, 255, responses).astype(str)),
            "Progress": np.where(finished, "100", "40"),
            "Duration (in seconds)": rng.integers(30, 900, responses).astype(str),
            "Finished": np.where(finished, "True", "False"),
            "RecordedDate": when.strftime("%Y-%m-%d %H:%M:%S"),
            "ResponseId": np.char.add("R_", np.arange(responses).astype(str)),
            "DistributionChannel": np.where(preview, "preview", "anonymous"),
            "UserLanguage": rng.choice(np.array(["EN", "ES", "VI"]), responses),
            "Q1": rng.choice(SAT, responses),
            "Q2": rng.integers(0, 11, responses).astype(str),
            "Q3": np.char.add(
                "Campus ", np.char.zfill(rng.integers(1, 31, responses).astype(str), 2)
            ),
            "Q4": rng.choice(np.array(["Students", "Faculty", "Staff", "Employers"]), responses),
        }
    )
    header = pd.DataFrame([TEXTS, [f'{{"ImportId":"{i}"}}' for i in IDS]], columns=IDS)
    pd.concat([header, frame], ignore_index=True).to_csv(path, index=False)


_LANDING = [
    "response_id",
    "ResponseId",
    "RecordedDate",
    "Q4",
    "metric",
    "score",
    "scale_min",
    "scale_max",
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "DistributionChannel",
    "UserLanguage",
    "Q3",
]
_STORE_COLUMNS = [
    "response_id",
    "source_id",
    "submitted_on",
    "segment",
    "metric",
    "score",
    "scale_min",
    "scale_max",
]


def _floor(path: Path, store: Path) -> int:
    """pandas reads, recodes and melts the export; plain SQL lands the rows in the store's
    own responses table (attribute columns added as the toolkit adds them), with the
    store's settings and its index built after the rows."""
    frame = pd.read_csv(path, skiprows=[1, 2], dtype=str, keep_default_na=False)
    frame = frame[(frame["Status"] != "Survey Preview") & (frame["Finished"] == "True")]
    csat = frame.assign(
        metric="csat",
        score=frame["Q1"].map({s: i + 1 for i, s in enumerate(SAT)}).astype(float),
        scale_min=1.0,
        scale_max=5.0,
    )
    nps = frame.assign(metric="nps", score=frame["Q2"].astype(float), scale_min=0.0, scale_max=10.0)
    rows = pd.concat([csat, nps], ignore_index=True)
    rows["response_id"] = rows["ResponseId"] + "-" + rows["metric"]
    con = store_connection(store)
    try:
        for column in _LANDING[len(_STORE_COLUMNS) :]:
            con.execute(f'ALTER TABLE responses ADD COLUMN "{column}" TEXT')
        import_id = con.execute(
            "INSERT INTO imports (table_name, file_name, sha256, source_format, rows_in, "
            "rows_added, rows_excluded, imported_at, toolkit_version) VALUES ('responses', 'f', "
            "'x', 'qualtrics', 0, 0, 0, 'now', '0')"
        ).lastrowid
        landing = rows[_LANDING].rename(
            columns={"ResponseId": "source_id", "RecordedDate": "submitted_on", "Q4": "segment"}
        )
        landing.insert(0, "_tk_import", import_id)
        bulk_insert(con, "responses", landing)
    finally:
        con.close()
    return len(rows)


def detection_speed(quick: bool = False) -> list[dict]:
    from toolkit.sources.detect import detect_format

    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.csv", Path(tmp) / "big.csv"
        write_qualtrics_export(small, 100)
        write_qualtrics_export(big, rows)
        detect_format(big)  # warm the imports and the page cache alike
        pair = pairs(
            lambda: detect_format(big).format, lambda: detect_format(small).format, runs=15
        )
    assert pair.last["action"] == pair.last["floor"] == "qualtrics"
    return [
        figure(
            f"detect format of a {rows:,}-row Qualtrics export",
            pair,
            "detect a 100-row export",
            1.2,
        ),
    ]


def tracker_import_speed(quick: bool = False) -> list[dict]:
    from toolkit.store import Engagement

    responses = 50_000 if quick else 500_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "tracker.csv"
        write_qualtrics_export(path, responses)

        def fresh() -> None:
            shutil.rmtree(folder / "eng", ignore_errors=True)
            Engagement.init(folder / "eng", starter_codebook=False)

        def toolkit() -> int:
            done = Engagement.open(folder / "eng").import_file(
                path,
                table="responses",
                metrics=[("csat", "Q1"), ("nps", "Q2")],
                columns={"segment": "Q4", "campus": "Q3"},
            )
            return done.rows_added

        pair = pairs(
            toolkit,
            lambda: _floor(path, folder / "eng" / "data.sqlite"),
            runs=3 if quick else RUNS,
            before=fresh,
        )
    rows = pair.last["action"]
    assert rows == pair.last["floor"], pair.last
    return [
        figure(
            f"import a {rows:,}-row Qualtrics tracker ({responses:,} responses × 2 metrics)",
            pair,
            "read_csv + recode + melt + executemany into the store's table, same pragmas",
            2.0,
        )
    ]


def sources(quick: bool = False) -> list[dict]:
    """The suite registered in benchmarks/run.py as ``sources``."""
    return detection_speed(quick) + tracker_import_speed(quick)
