"""Damaged files of every import format: each gets a clear message and leaves the store as it was.

The small files are in ``tests/fixtures/damaged`` (written by its ``make_damaged.py``); the
large ones (a 10 MB single line, zip bombs posing as workbooks) are made here, in a
temporary folder. A few damaged-looking files are right to accept (markup in text is data;
a cp1252 or semicolon file is what Excel writes): those must land exactly as written.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from toolkit.errors import DataValidationError
from toolkit.store import Engagement

DAMAGED = Path(__file__).parent / "fixtures" / "damaged"
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
sys.path.insert(0, str(DAMAGED))
from make_damaged import HTML  # noqa: E402

SAT = "How satisfied are you with our service overall?"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
#: How each format is imported (as the tests of each reader do).
ARGS = {
    "template": {"table": "responses"},
    "customers": {"table": "customers"},
    "qualtrics": {
        "table": "responses",
        "metrics": [("csat", "Q1"), ("nps", NPS)],
        "columns": {"segment": "Which of these describes you?"},
    },
    "surveymonkey": {"table": "responses", "metrics": {"csat": SAT, "nps": NPS}},
    "google": {"table": "responses", "metrics": {"csat": SAT, "nps": NPS}},
    "ms": {"table": "responses", "metrics": {"csat": SAT, "nps": NPS}},
    "kobo": {
        "table": "responses",
        "metrics": {"csat": "visit/satisfaction", "nps": "visit/recommend"},
    },
}

ROW = r"row \d+ \(spreadsheet row \d+\)"
FIX_DATE = "is not a date, or a date and time"
NO_RESPONSES = "but no responses below them"
NOT_XLSX = r"is not a valid \.xlsx file \(it is not a zip archive"

#: (file, extra import arguments, the message's expected fragment: a regular expression)
REJECTED = [
    # CSV template
    ("template-empty.csv", {}, "the file is empty"),
    ("template-blank-lines.csv", {}, "the file is empty"),
    ("template-header-only.csv", {}, r"has a header row \(spreadsheet row 1\) but no data rows"),
    ("template-truncated-in-quote.csv", {}, "EOF inside string"),
    ("template-binary-junk.csv", {}, r"not a text \(CSV\) file; it looks like binary data"),
    ("template-binary-junk-no-nul.csv", {}, "looks like binary data"),
    ("template-utf16-no-bom.csv", {}, "looks like binary data"),
    ("template-cp1252.csv", {"encoding": "utf-8"}, r"is not valid utf-8 text .* at byte \d+"),
    (
        "template-semicolons.csv",
        {"delimiter": ","},
        r'has no "submitted_on", "metric", "score" columns',
    ),
    (
        "template-row-wider.csv",
        {},
        r"spreadsheet row 6 has 14 cells but the header row \(spreadsheet row 1\) has 13",
    ),
    (
        "template-duplicate-ids.csv",
        {},
        rf'{ROW}, column "response_id": "r1" appears more than once',
    ),
    ("template-duplicate-header.csv", {}, r'has two columns named "score" \(columns H and N'),
    (
        "template-near-miss-header.csv",
        {},
        r'column "segmnet": is not a column of responses; did you mean "segment"\?',
    ),
    (
        "template-out-of-scale.csv",
        {},
        r'"7" is outside the csat scale 1–5.*"11" is outside the nps scale 0–10',
    ),
    ("template-reversed-scale.csv", {}, r'column "scale_max": "1(\.0)?" is not above scale_min'),
    (
        "template-not-a-number.csv",
        {},
        r'"five" is not a number.*"NaN" is not a number.*"1e400" is not a number',
    ),
    (
        "template-impossible-dates.csv",
        {},
        rf'"2023-02-29" {FIX_DATE}.*"31/04/2024" {FIX_DATE}.*"2024-13-01" {FIX_DATE}',
    ),
    (
        "template-formula-in-score.csv",
        {},
        r'spreadsheet row 3\), column "score": "=2\+3" is not a number',
    ),
    ("template-unknown-metric.csv", {}, r'"happiness" is not one of "csat", "nps", "ces"'),
    (
        "customers-duplicate-ids.csv",
        {},
        r'"residents" appears more than once \(first on row 1 \(spreadsheet row 2\)\)',
    ),
    (
        "customers-bad-choices.csv",
        {},
        r'"maybe" is not one of "internal", "external".*"9" is not a whole number from 1 to 5',
    ),
    # XLSX template
    ("template-empty.xlsx", {}, NOT_XLSX),
    ("template-truncated.xlsx", {}, NOT_XLSX),
    ("template-csv-renamed.xlsx", {}, NOT_XLSX),
    ("template-binary-junk.xlsx", {}, NOT_XLSX),
    ("template-zip-not-workbook.xlsx", {}, r"could not be opened as an Excel workbook"),
    (
        "template-broken-sheet-xml.xlsx",
        {},
        r'sheet "Sheet1" is damaged and could not be read to its end \(ParseError',
    ),
    ("template-header-only.xlsx", {}, r"has a header row \(spreadsheet row 1\) but no data rows"),
    ("template-no-data.xlsx", {}, r'sheet "responses" has no data'),
    (
        "template-out-of-scale.xlsx",
        {},
        r'spreadsheet row 2\), column "score": "6" is outside the csat scale 1–5',
    ),
    ("template-impossible-dates.xlsx", {}, rf'column "submitted_on": "2024-02-30" {FIX_DATE}'),
    # Formulas written by a program carry no saved value: read, they would be blank.
    (
        "template-formulas.xlsx",
        {},
        r'sheet "responses" has formulas with no saved value \(cell H2: =2\+3, and 1 more\)',
    ),
    ("template-duplicate-ids.xlsx", {}, r'"r1" appears more than once'),
    # Qualtrics
    ("qualtrics-truncated-in-header.csv", {}, NO_RESPONSES),
    ("qualtrics-header-rows-only.csv", {}, rf"down to spreadsheet row 3\) {NO_RESPONSES}"),
    (
        "qualtrics-truncated-mid-row.csv",
        {},
        r"looks cut off: its last line \(spreadsheet row 7\) stops after 1 of 25 cells",
    ),
    (
        "qualtrics-out-of-scale.csv",
        {},
        r'spreadsheet row 4\), column "Overall, how satisfied are you with the Riverside food bank\?": "9" is outside the csat scale 1–5',
    ),
    ("qualtrics-duplicate-ids.csv", {}, r'"R_1a-csat" appears more than once'),
    (
        "qualtrics-impossible-date.csv",
        {},
        rf'spreadsheet row 6\), column "Recorded Date": "2024-02-30 18:02:44" {FIX_DATE}',
    ),
    (
        "qualtrics-unknown-answer.csv",
        {},
        r'"Over the moon" is not a number, a numbered label or an answer on a standard scale',
    ),
    # SurveyMonkey
    (
        "surveymonkey-truncated.csv",
        {},
        r"looks cut off: its last line \(spreadsheet row 2\) stops after 12 of 19 cells",
    ),
    ("surveymonkey-header-only.csv", {}, rf"down to spreadsheet row 2\) {NO_RESPONSES}"),
    (
        "surveymonkey-unknown-answer.csv",
        {},
        r'spreadsheet row 3\), column "How satisfied are you with our service overall\?": "Delighted" is not',
    ),
    ("surveymonkey-duplicate-ids.csv", {}, r'"11385638160-csat" appears more than once'),
    (
        "surveymonkey-impossible-date.csv",
        {},
        rf'column "End Date": "02/30/2024 06:02:44 PM" {FIX_DATE}',
    ),
    ("surveymonkey-truncated.xlsx", {}, NOT_XLSX),
    # Google Forms
    # One survey row gives a csat and an nps row: the bad date they share is said once.
    (
        "google-forms-impossible-date.csv",
        {},
        rf'rejected: 1 problem on 1 row\. .*spreadsheet row 3\), column "Timestamp": "2/30/2024 14:30:05" {FIX_DATE}[^\n]*\nFix these',
    ),
    ("google-forms-out-of-scale.csv", {}, r'"11" is outside the nps scale 0–10'),
    ("google-forms-junk-tail.csv", {}, "looks like binary data"),
    # Microsoft Forms
    ("ms-forms-truncated.xlsx", {}, NOT_XLSX),
    ("ms-forms-header-only.xlsx", {}, rf"down to spreadsheet row 1\) {NO_RESPONSES}"),
    ("ms-forms-duplicate-ids.xlsx", {}, r'"1-csat" appears more than once'),
    (
        "ms-forms-impossible-date.xlsx",
        {},
        rf'column "Completion time": "31/02/2024 10:00" {FIX_DATE}',
    ),
    ("ms-forms-out-of-scale.xlsx", {}, r'"12" is outside the nps scale 0–10'),
    # KoboToolbox
    ("kobo-truncated.csv", {}, "has a header row .* but no data rows"),
    (
        "kobo-duplicate-ids.csv",
        {},
        r'"9f1c2b3a-0000-4000-8000-000000000001-csat" appears more than once',
    ),
    ("kobo-out-of-scale.csv", {}, r'column "visit/recommend": "12" is outside the nps scale 0–10'),
    (
        "kobo-impossible-date.csv",
        {},
        rf'column "_submission_time": "2024-02-31T14:30:05" {FIX_DATE}',
    ),
    (
        "kobo-mixed-encoding.csv",
        {},
        r"mixes two text encodings: it has UTF-8 accented letters, but line 2 has a character that is not UTF-8",
    ),
]


def _args(name: str) -> dict:
    return ARGS[name.split("-")[0]]


def _state(engagement: Engagement) -> tuple:
    status = engagement.status()
    return engagement.fingerprint(), status["tables"], len(status["imports"]), status["segments"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Engagement:
    """One engagement with data in it, shared by the rejections (each must leave it as it was)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = Engagement.init(tmp_path_factory.mktemp("corpus") / "eng", name="Corpus")
        eng.import_file(EXPORTS / "qualtrics-numeric.csv", **ARGS["qualtrics"])
    return eng


def test_the_corpus_is_what_its_script_writes_and_covers_every_format():
    from make_damaged import files

    written = files()
    on_disk = {p.name for p in DAMAGED.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert on_disk == set(written)
    changed = [n for n, data in written.items() if (DAMAGED / n).read_bytes() != data]
    assert not changed, f"run tests/fixtures/damaged/make_damaged.py: {changed} differ"
    assert len(written) >= 40
    assert {name.split("-")[0] for name in written} == set(ARGS)


@pytest.mark.parametrize(("name", "extra", "expected"), REJECTED, ids=[r[0] for r in REJECTED])
def test_a_damaged_file_is_refused_with_a_clear_message_and_nothing_changes(
    store, name, extra, expected
):
    before = _state(store)
    with pytest.raises(DataValidationError) as caught:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.import_file(DAMAGED / name, **{**_args(name), **extra})
    message = str(caught.value)
    assert name in message
    assert re.search(expected, message, re.S), message
    assert "Traceback" not in message and len(message) < 6000
    assert _state(store) == before


# ----------------------------------------------------------------------------- accepted


def _comments(engagement: Engagement) -> list:
    return engagement.responses.sort_values("response_id")["comment"].tolist()


def test_markup_and_script_in_text_is_data_and_round_trips_exactly(engagement, tmp_path):
    engagement.import_file(DAMAGED / "template-html-in-text.csv", table="responses")
    rows = engagement.responses.set_index("response_id")
    assert rows.at["r1", "comment"] == HTML
    assert rows.at["r2", "touchpoint"] == "<img src=x onerror=alert(1)>"
    engagement.export("responses", tmp_path / "out.csv")
    again = Engagement.init(tmp_path / "again")
    again.import_file(tmp_path / "out.csv", table="responses")
    assert again.responses.set_index("response_id").at["r1", "comment"] == HTML


COMMENT = {"columns": {"comment": "Anything else you would like to tell us?"}}


def test_markup_in_a_survey_comment_is_kept_exactly(engagement):
    engagement.import_file(
        DAMAGED / "google-forms-html-in-comment.csv", **ARGS["google"], **COMMENT
    )
    assert HTML in set(engagement.responses["comment"])


def test_formula_text_in_a_text_cell_is_kept_as_written(engagement):
    engagement.import_file(DAMAGED / "template-formula-in-text.csv", table="responses")
    rows = engagement.responses.set_index("response_id")["comment"]
    assert rows["r1"] == '=HYPERLINK("http://x.example","click")'
    assert rows["r2"] == "@SUM(A1:A9)" and rows["r3"] == "-2 stars"


@pytest.mark.parametrize(
    ("name", "column", "text", "details"),
    [
        ("template-cp1252.csv", "comment", "Très bien, merci — café", {"encoding": "cp1252"}),
        ("qualtrics-cp1252.csv", "comment", "Très bien", {"encoding": "cp1252"}),
        ("kobo-cp1252.csv", "about_you/segment", "résidents", {"encoding": "cp1252"}),
        ("template-semicolons.csv", "comment", "Friendly", {"delimiter": ";"}),
        ("google-forms-semicolons.csv", "comment", "Friendly staff", {"delimiter": ";"}),
    ],
)
def test_what_excel_writes_in_other_locales_is_read_right(engagement, name, column, text, details):
    args = dict(_args(name))
    if name.startswith("qualtrics"):
        args["columns"] = {**args["columns"], "comment": "Q6"}
    elif not name.startswith(("template", "kobo")):
        args.update(COMMENT)
    result = engagement.import_file(DAMAGED / name, **args)
    assert result.rows_added > 0
    assert details.items() <= result.details.items()
    assert text in set(engagement.responses[column])


# ----------------------------------------------------------------------------- large files


def _patch_central_size(data: bytes, member: bytes, size: int) -> bytes:
    """Set the unpacked size the zip's directory declares for ``member``."""
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_len = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + name_len] == member:
            return data[: at + 24] + struct.pack("<I", size) + data[at + 28 :]
        at += 4


def _template_xlsx(tmp_path: Path) -> bytes:
    from make_damaged import GOOD_RESPONSES, RESPONSES_HEADER, xlsx_bytes

    return xlsx_bytes([RESPONSES_HEADER, *GOOD_RESPONSES], sheet="responses")


def _large_files(tmp_path: Path) -> list[tuple[Path, str]]:
    made = []
    line = tmp_path / "template-one-line.csv"
    line.write_bytes(b"a," * (5 * 1024 * 1024))  # 10 MB, no line break
    made.append((line, r"line 1 is longer than 4 MB; .* \(the line_mb limit\)"))
    plain = tmp_path / "template-one-long-word.csv"
    plain.write_bytes(b"x" * (10 * 1024 * 1024))
    made.append((plain, r"line 1 is longer than 4 MB; .* \(the line_mb limit\)"))
    sheet = b"xl/worksheets/sheet1.xml"
    good = _template_xlsx(tmp_path)
    huge = tmp_path / "template-bomb-3gb.xlsx"
    huge.write_bytes(_patch_central_size(good, sheet, 3 * 1024**3))
    made.append((huge, r"unpacks to 3\.0 GB, more than the 2 GB"))
    dense = tmp_path / "template-bomb-ratio.xlsx"
    dense.write_bytes(_patch_central_size(good, sheet, 900 * 1024**2))
    made.append(
        (dense, r"xl/worksheets/sheet1\.xml unpacks from .* times larger, as no real workbook does")
    )
    lying = tmp_path / "template-bomb-lying.xlsx"
    lying.write_bytes(_patch_central_size(good, sheet, 700))  # says 700 bytes, holds more
    made.append((lying, r"is damaged and could not be read \(BadZipFile: Bad CRC-32"))
    return made


@pytest.mark.slow
def test_large_damaged_files_are_refused_quickly(store, tmp_path):
    import time

    for path, expected in _large_files(tmp_path):
        before = _state(store)
        start = time.perf_counter()
        with pytest.raises(DataValidationError, match=expected):
            store.import_file(path, table="responses")
        # A bound for a hang (e.g. reading a lying file forever), not a speed measurement.
        assert time.perf_counter() - start < 120, path.name
        assert _state(store) == before, path.name


# ----------------------------------------------------------------------------- the CLI


CLI_SAMPLE = [
    "template-binary-junk.csv",
    "template-broken-sheet-xml.xlsx",
    "qualtrics-truncated-mid-row.csv",
    "kobo-out-of-scale.csv",
    "ms-forms-header-only.xlsx",
]


def _cli_args(name: str) -> list[str]:
    args = ["--table", _args(name)["table"]]
    metrics = _args(name).get("metrics") or {}
    for metric, column in metrics.items() if isinstance(metrics, dict) else metrics:
        args += ["--metric", f"{metric}={column}"]
    for field, column in (_args(name).get("columns") or {}).items():
        args += ["--column", f"{field}={column}"]
    return args


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_the_cli_says_what_is_wrong_without_a_traceback(store, tmp_path, name):
    folder = tmp_path / "eng"
    shutil.copytree(store.path, folder)
    before = _state(Engagement.open(folder))
    expected = next(e for n, _, e in REJECTED if n == name)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "import",
            str(folder),
            str(DAMAGED / name),
            *_cli_args(name),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip() == ""
    assert re.search(expected, done.stderr, re.S), done.stderr
    assert _state(Engagement.open(folder)) == before


# ----------------------------------------------------------------------------- not damage


def test_a_separator_ending_every_data_line_is_a_style_not_a_shifted_row(engagement, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name,kind\nc1,C1,external,\nc2,C2,internal,\n")
    assert engagement.import_file(path, table="customers").rows_added == 2
    assert list(engagement.customers["kind"]) == ["external", "internal"]


def test_a_short_last_row_that_ends_its_line_is_not_cut_off(engagement, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name,kind,segment\nc1,C1,external,Residents\nc2,C2,internal\n")
    assert engagement.import_file(path, table="customers").rows_added == 2
    cut = tmp_path / "cut.csv"
    cut.write_text("customer_id,name,kind,segment\nc1,C1,external,Residents\nc2,C2,inter")
    with pytest.raises(DataValidationError, match="looks cut off"):
        engagement.import_file(cut, table="customers")


def test_formulas_with_saved_values_read_as_their_values(engagement, tmp_path):
    """As Excel saves them: the formula and its value beside it."""
    import zipfile

    source = zipfile.ZipFile(DAMAGED / "template-formulas.xlsx")
    path = tmp_path / "saved-by-excel.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                # an empty value is <v />, <v/> or <v></v>, as openpyxl's XML writer spells it
                empty = rb"<v ?/>|<v></v>"
                body = re.sub(rb"<f>2\+3</f>(?:" + empty + rb")", b"<f>2+3</f><v>5</v>", body)
                body = re.sub(rb"<f>B2\*2</f>(?:" + empty + rb")", b"<f>B2*2</f><v>4</v>", body)
            out.writestr(info, body)
    engagement.import_file(path, table="responses")
    scores = engagement.responses.set_index("response_id")["score"]
    assert scores["r1"] == 5 and scores["r2"] == 4
