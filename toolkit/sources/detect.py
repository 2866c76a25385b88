"""Which survey tool wrote this file? Read only its first rows and recognise the export.

Detection costs the same for a 100-row and a 1,000,000-row file: a CSV is read in
16 KB pieces until its first rows are in, an XLSX up to its first rows (openpyxl
streams the sheet). Each
tool leaves a signature in its header rows:

==============  ==================================================================
qualtrics       ``ResponseId`` in row 1 and ``{"ImportId": …}`` in row 3; or the
                legacy exporter's ``V1, V2, …`` with ``ResponseID`` in row 2
surveymonkey    ``Respondent ID`` in row 1 and ``Response`` sub-headers in row 2
google-forms    ``Timestamp`` as the first header
ms-forms        ``ID, Start time, Completion time`` as the first headers
kobo            ``_uuid`` or ``_submission_time`` (KoboToolbox), or ``SubmissionDate``
                with ``meta-instanceID`` or ``KEY`` (ODK Central)
csv / xlsx      anything else: a template or a spreadsheet someone kept
==============  ==================================================================

Each rule is a function below, named in the tool's entry of
:data:`toolkit.sources.registry.TOOLS`; a registered tool brings its own.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import DataValidationError
from toolkit.sources.registry import TOOLS as _REGISTERED

__all__ = ["Detection", "detect_format", "detect_head", "head_rows", "describe_head", "TOOLS"]

#: The built-in survey tools detection recognises (``csv`` and ``xlsx`` are plain
#: spreadsheets); :data:`toolkit.sources.registry.TOOLS` has every registered tool.
TOOLS = tuple(name for name, tool in _REGISTERED.items() if tool.detect)
_HEAD_CHUNK = 16 * 1024
_MAX_HEAD_BYTES = 1024 * 1024  # header rows of a survey with thousands of questions
_HEAD_ROWS = 6
#: The first header of a Google Forms export, in the languages a sheet may be set to.
_TIMESTAMP = {
    "timestamp",
    "marca temporal",
    "horodateur",
    "zeitstempel",
    "carimbo de data/hora",
    "informazioni cronologiche",
    "tijdstempel",
    "sygnatura czasowa",
}


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_format` found.

    ``format`` is a tool (``qualtrics`` …) or ``csv``/``xlsx``; ``variant`` says which
    of a tool's layouts (``legacy`` for Qualtrics' V1..Vn exporter, ``central`` for
    ODK Central); ``reason`` words the signature that was seen, for the dry run.
    """

    format: str
    container: str
    variant: str = ""
    reason: str = ""


def _decode_head(raw: bytes, encoding: str | None) -> str:
    if encoding:
        from toolkit.sources.spreadsheet import check_encoding

        return raw.decode(check_encoding(encoding), errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(raw, final=False)  # a character cut at the end is left out
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def head_rows(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    rows: int = _HEAD_ROWS,
) -> tuple[list[list[str]], str]:
    """The first ``rows`` rows of a file as lists of trimmed text, and ``csv`` or ``xlsx``.

    Reads a CSV in 16 KB pieces until its first rows are in (at most 1 MB), and only
    the first rows of an XLSX sheet.
    """
    from toolkit.sources.spreadsheet import _sniff_delimiter, open_workbook, sheet_rows

    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: no such file. Check the path and try again.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = open_workbook(path)
        try:
            names = book.sheetnames
            chosen = next(
                (n for n in names if sheet and n.strip().lower() == sheet.strip().lower()), None
            )
            for name in [chosen] if chosen else names:
                head = []
                for row in sheet_rows(book, path, name, max_row=rows + 10):
                    cells = [c.strip() for c in row]
                    if any(cells):
                        head.append(cells)
                    if len(head) >= rows:
                        break
                if head:
                    return head, "xlsx"
            return [], "xlsx"
        finally:
            book.close()
    raw = b""
    with path.open("rb") as fh:
        # Read just enough for the first rows: the cost is the same for any file length.
        while len(raw) < _MAX_HEAD_BYTES and raw.count(b"\n") <= rows + 2:
            chunk = fh.read(_HEAD_CHUNK)
            if not chunk:
                break
            raw += chunk
    complete = raw.count(b"\n") > rows + 2 or len(raw) >= _MAX_HEAD_BYTES
    text = _decode_head(raw, encoding)
    lines = text.splitlines()[: rows + 3]
    if complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    text = "\n".join(lines)
    delimiter = delimiter or _sniff_delimiter(text)
    head = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            cells = [c.strip() for c in row]
            if any(cells):
                head.append(cells)
            if len(head) >= rows:
                break
    except csv.Error:
        pass
    return head, "csv"


def detect_format(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Detection:
    r"""Recognise which survey tool wrote a file, from its first rows only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "gf.csv").write_text('Timestamp,How satisfied were you?\n3/7/2024 14:30:05,Satisfied\n')
    >>> detect_format(folder / "gf.csv").format
    'google-forms'
    """
    head, container = head_rows(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return detect_head(head, container)


def detect_head(head: list[list[str]], container: str) -> Detection:
    """Recognise a tool from a file's first rows (see :func:`detect_format`).

    Tries each registered tool's rule (:data:`toolkit.sources.registry.TOOLS`) in order.
    """
    from toolkit.sources.registry import detection_rules

    if not head:
        return Detection(container, container, reason="an empty file")
    for name, rule in detection_rules():
        found = rule(head)
        if found is not None:
            variant, reason = found
            return Detection(name, container, variant, reason)
    return Detection(container, container, "", "no survey tool's signature in the first rows")


def _rows(head: list[list[str]]) -> tuple[list[str], set[str], list[str], list[str]]:
    """Row 1, its cells in lower case, row 2 and row 3, trimmed."""
    first = [c.strip() for c in head[0]]
    second = [c.strip() for c in head[1]] if len(head) > 1 else []
    third = [c.strip() for c in head[2]] if len(head) > 2 else []
    return first, {c.lower() for c in first}, second, third


# Each tool's rule: its first rows → (variant, reason) when they are its export, else None.


def qualtrics(head: list[list[str]]) -> tuple[str, str] | None:
    """Qualtrics: ResponseId and ImportIds, or the legacy V1, V2, … exporter."""
    first, lowered, second, third = _rows(head)
    if "responseid" in lowered and any(_is_import_id(c) for c in third):
        return "", 'ResponseId in row 1, {"ImportId": …} in row 3'
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        return "legacy", "V1, V2, … in row 1, ResponseID in row 2"
    if "responseid" in lowered and {"startdate", "finished"} <= lowered:
        return "", "ResponseId, StartDate and Finished in row 1"
    return None


def surveymonkey(head: list[list[str]]) -> tuple[str, str] | None:
    """SurveyMonkey: Respondent ID with Response sub-headers or a Collector ID."""
    _, lowered, second, _ = _rows(head)
    if "respondent id" in lowered and {"response", "open-ended response"} & {
        c.lower() for c in second
    }:
        return "", 'Respondent ID in row 1, "Response" in row 2'
    if "respondent id" in lowered and "collector id" in lowered:
        return "", "Respondent ID and Collector ID in row 1"
    return None


def ms_forms(head: list[list[str]]) -> tuple[str, str] | None:
    """Microsoft Forms: ID, Start time, Completion time first."""
    first = [c.strip().lower() for c in head[0][:3]]
    if first == ["id", "start time", "completion time"]:
        return "", "ID, Start time, Completion time in row 1"
    return None


def kobo(head: list[list[str]]) -> tuple[str, str] | None:
    """KoboToolbox's _uuid / _submission_time, or ODK Central's SubmissionDate and KEY."""
    _, lowered, _, _ = _rows(head)
    if {"_uuid", "_submission_time"} & lowered:
        return "", "_uuid / _submission_time in row 1"
    if "submissiondate" in lowered and {"meta-instanceid", "key", "instanceid"} & lowered:
        return "central", "SubmissionDate and meta-instanceID in row 1"
    return None


def google_forms(head: list[list[str]]) -> tuple[str, str] | None:
    """Google Forms: Timestamp (in a sheet's language) as the first header."""
    first = head[0][0].strip().lower() if head[0] else ""
    if first in _TIMESTAMP:
        return "", "Timestamp as the first column"
    return None


def _is_import_id(cell: str) -> bool:
    if not cell.startswith("{"):
        return False
    try:
        return "ImportId" in json.loads(cell)
    except ValueError:
        return False


def describe_head(head: list[list[str]], rows: int = 3, width: int = 6) -> str:
    """Word a file's first rows for a message: 'row 1: "A", "B", … ; row 2: …'."""
    parts = []
    for i, row in enumerate(head[:rows], 1):
        cells = [c if len(c) <= 40 else c[:39] + "…" for c in row[:width]]
        more = ", …" if len(row) > width else ""
        parts.append(f"row {i}: " + ", ".join(f'"{c}"' for c in cells) + more)
    return "; ".join(parts) if parts else "no rows at all"
