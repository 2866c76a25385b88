"""Blank input templates and the data dictionary, written from the canonical schema.

Everything here is generated from :data:`toolkit.schema.TABLES`, so the templates a
person fills in always carry the fields the importer expects, in schema order:

- one header-only CSV per table, named with the command-line spelling
  (``service-links.csv``);
- ``service-toolkit-templates.xlsx``: a "Read me" sheet, one sheet per table (required
  headers shaded, a note on every header, drop-down lists and range checks on the
  data rows) and a "Data dictionary" sheet;
- ``data-dictionary.md``: the same dictionary as Markdown.

Regenerate the shipped copies after changing the schema::

    python -m toolkit.templates            # writes into the repository's templates/
    python -m toolkit.templates FOLDER     # writes anywhere else

The output is reproducible: the same schema gives the same bytes on every run (the
workbook's creation and modification times and its zip entry times are fixed).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from toolkit.schema.tables import TABLES, Field, Table

__all__ = [
    "WORKBOOK_NAME",
    "DICTIONARY_NAME",
    "README_SHEET",
    "DICTIONARY_SHEET",
    "DICTIONARY_COLUMNS",
    "IMPORT_COMMAND",
    "template_names",
    "dictionary_rows",
    "dictionary_markdown",
    "write_templates",
    "copy_templates",
    "copy_notebook",
    "NOTEBOOKS",
]

#: File name of the workbook that holds every table.
WORKBOOK_NAME = "service-toolkit-templates.xlsx"
#: File name of the Markdown data dictionary.
DICTIONARY_NAME = "data-dictionary.md"
#: Title of the workbook's first sheet.
README_SHEET = "Read me"
#: Title of the workbook's data-dictionary sheet.
DICTIONARY_SHEET = "Data dictionary"
#: Columns of the data dictionary, in order.
DICTIONARY_COLUMNS = (
    "table",
    "field",
    "required",
    "type",
    "allowed values / range",
    "description",
    "example",
)
#: The command that imports a filled template (``TABLE`` is the table's CLI spelling).
IMPORT_COMMAND = "service-toolkit import ENGAGEMENT FILE --table TABLE"

#: Default output folder: the repository's templates/ folder, beside the package.
_DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "templates"
#: Data rows that carry drop-down lists and range checks in the workbook.
_FIRST_ROW, _LAST_ROW = 2, 1000
#: The fixed timestamp written into the workbook, so that it is reproducible.
_FIXED_TIME = dt.datetime(2024, 1, 1)
_GENERATED_BY = "python -m toolkit.templates"

_KIND_WORDS = {
    "text": "text",
    "integer": "whole number",
    "number": "number",
    "date": "date",
    "datetime": "date and time",
    "choice": "choice from a list",
}

# Workbook look: required headers amber, optional headers pale grey.
_REQUIRED_FILL = "FFD966"
_OPTIONAL_FILL = "EDEDED"
_TITLE_FILL = "DDEBF7"


# --------------------------------------------------------------------------- the words


def template_names() -> dict[str, str]:
    """Map each table's name to the file name of its CSV template.

    Returns
    -------
    dict of str to str
        ``{"customers": "customers.csv", "service_links": "service-links.csv", ...}``
        in schema order.

    Examples
    --------
    >>> template_names()["service_links"]
    'service-links.csv'
    """
    return {name: f"{table.cli_name}.csv" for name, table in TABLES.items()}


def _import_command(table: Table) -> str:
    return IMPORT_COMMAND.replace("TABLE", table.cli_name)


def _allowed(table: Table, fld: Field) -> str:
    """Say what a valid value looks like, with the uniqueness and reference rules."""
    words = fld.expected()
    if table.key == fld.name:
        words += "; unique within the table"
    if fld.references:
        other, column = fld.references.split(".")
        words += f"; must match a {column} in {other.replace('_', '-')}"
    return words


def dictionary_rows() -> list[tuple[str, str, str, str, str, str, str]]:
    """List every field of every table as one data-dictionary row.

    Returns
    -------
    list of tuple
        One tuple per field, in schema order, with the values of
        :data:`DICTIONARY_COLUMNS`: table (CLI spelling), field, required (``"yes"`` or
        ``"no"``), type in words, allowed values or range, description, example.

    Examples
    --------
    >>> dictionary_rows()[0][:4]
    ('customers', 'customer_id', 'yes', 'text')
    """
    return [
        (
            table.cli_name,
            fld.name,
            "yes" if fld.required else "no",
            _KIND_WORDS.get(fld.kind, fld.kind),
            _allowed(table, fld),
            fld.description,
            fld.example,
        )
        for table in TABLES.values()
        for fld in table.fields
    ]


def _md_cell(text: str, *, code: bool = False) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    if code and text:
        return f"`{text}`"
    return text


def dictionary_markdown() -> str:
    """Write the data dictionary as Markdown, one section per table.

    Returns
    -------
    str
        The text of ``data-dictionary.md``, ending in one newline.

    Examples
    --------
    >>> dictionary_markdown().splitlines()[0]
    '# Data dictionary'
    """
    lines = [
        "# Data dictionary",
        "",
        f"<!-- Generated from toolkit/schema.py by `{_GENERATED_BY}`; do not edit by hand. -->",
        "",
        "Every table the toolkit stores, and every field (column) in it. The blank templates in "
        f"this folder (one CSV per table, and `{WORKBOOK_NAME}` with one sheet per table) carry "
        "exactly these column names, in this order, so a filled template imports without a map:",
        "",
        "```",
        IMPORT_COMMAND,
        "```",
        "",
        "Only the required fields must be filled; leave any other cell blank if you do not "
        "know it. Columns you add beyond these are kept as extra attributes (campus, language, "
        "age band…) and can be used to split results. Write dates as year-month-day "
        "(2024-03-07).",
        "",
        "| table | one row is | required fields |",
        "| --- | --- | --- |",
    ]
    for table in TABLES.values():
        required = ", ".join(f"`{name}`" for name in table.required) or "none"
        lines.append(f"| [{table.cli_name}](#{table.cli_name}) | {table.one_row_is} | {required} |")
    for table in TABLES.values():
        lines += [
            "",
            f"## {table.cli_name}",
            "",
            f"{table.description}",
            "",
            f"One row is {table.one_row_is}. Template: `{table.cli_name}.csv`, or the "
            f"`{table.cli_name}` sheet of `{WORKBOOK_NAME}`. Import with "
            f"`{_import_command(table)}`.",
            "",
            "| " + " | ".join(DICTIONARY_COLUMNS[1:]) + " |",
            "| " + " | ".join("---" for _ in DICTIONARY_COLUMNS[1:]) + " |",
        ]
        for row in dictionary_rows():
            if row[0] != table.cli_name:
                continue
            _, name, required, kind, allowed, description, example = row
            cells = (
                _md_cell(name, code=True),
                required,
                kind,
                _md_cell(allowed),
                _md_cell(description),
                _md_cell(example, code=True),
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _readme_lines() -> list[tuple[str, str]]:
    """The "Read me" sheet as (style, text) pairs: style is title, heading or text."""
    order = "codebook, customers, service-links, assumed-needs, stated-needs, responses, events"
    lines = [
        ("title", "Service Strategy Toolkit: blank templates"),
        (
            "text",
            "This workbook has one sheet per table. Fill in the sheets you need and "
            "leave the others empty.",
        ),
        ("heading", "How to fill a sheet"),
        (
            "text",
            "1. One row is one record (each table's row is described below). Start on "
            "row 2; keep row 1, the header, exactly as it is.",
        ),
        (
            "text",
            "2. Amber headers are required: every row needs a value there. Grey headers "
            "are optional: leave a cell blank if you do not know it.",
        ),
        (
            "text",
            "3. Hover over a header to see what it means; the Data dictionary sheet lists "
            "every field with its allowed values and an example.",
        ),
        (
            "text",
            "4. Columns with a drop-down list accept only its values; ratings accept a "
            "whole number from 1 to 5.",
        ),
        ("text", "5. Write dates as year-month-day, such as 2024-03-07."),
        (
            "text",
            "6. Do not rename a sheet or a header. You may add columns of your own "
            "(campus, language, age band…): they are kept and can be used to split results.",
        ),
        (
            "text",
            "7. Do not write people's names, e-mail addresses or phone numbers in ids "
            "or notes. Use a made-up id such as resp-017.",
        ),
        ("heading", "How to import"),
        ("text", "Save the workbook as .xlsx, then import one table at a time:"),
        ("code", IMPORT_COMMAND),
        (
            "text",
            f"for example: service-toolkit import riverside {WORKBOOK_NAME} --table customers",
        ),
        (
            "text",
            "The sheet named after the table is read, so --sheet is not needed. Use "
            "--sheet NAME only if you renamed or copied a sheet. Each sheet can also be saved "
            "as CSV (or use the matching .csv template) and imported the same way.",
        ),
        (
            "text",
            f"Import in this order, so that every id a row refers to already exists: {order}.",
        ),
        (
            "text",
            "If a value is wrong, nothing is imported and the message names the sheet, "
            "the row, the column and the fix. Correct the cell and import again.",
        ),
        ("heading", "The sheets"),
    ]
    for table in TABLES.values():
        required = ", ".join(table.required) or "none"
        lines.append(
            (
                "text",
                f"{table.cli_name}: one row is {table.one_row_is}. Required: {required}. "
                f"Import: {_import_command(table)}",
            )
        )
    return lines


# --------------------------------------------------------------------------- the files


def _write_csv(path: Path, header: Sequence[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _validation(fld: Field, column: str):
    """A data-validation rule for a field's data rows, or None when it needs none."""
    from openpyxl.worksheet.datavalidation import DataValidation

    cells = f"{column}{_FIRST_ROW}:{column}{_LAST_ROW}"
    common = {
        "allow_blank": True,
        "showErrorMessage": True,
        "showInputMessage": True,
        "errorTitle": fld.name[:32],
        "error": f"Expected {fld.expected()}."[:255],
        "promptTitle": fld.name[:32],
        "prompt": fld.description[:255],
    }
    if fld.kind == "choice":
        listed = ",".join(fld.choices)
        if any("," in c or '"' in c for c in fld.choices) or len(listed) > 255:
            raise ValueError(
                f"The choices of {fld.name} cannot be written as an Excel drop-down list "
                "(a comma or quote in a choice, or more than 255 characters in all). "
                "Shorten them in toolkit/schema.py."
            )
        rule = DataValidation(type="list", formula1=f'"{listed}"', **common)
    elif fld.kind in ("integer", "number") and fld.low is not None:
        kind = "whole" if fld.kind == "integer" else "decimal"
        if fld.high is not None:
            rule = DataValidation(
                type=kind,
                operator="between",
                formula1=f"{fld.low:g}",
                formula2=f"{fld.high:g}",
                **common,
            )
        else:
            rule = DataValidation(
                type=kind, operator="greaterThanOrEqual", formula1=f"{fld.low:g}", **common
            )
    elif fld.kind == "integer":
        rule = DataValidation(
            type="whole",
            operator="between",
            formula1="-2147483648",
            formula2="2147483647",
            **common,
        )
    else:
        return None
    rule.add(cells)
    return rule


def _number_format(fld: Field) -> str | None:
    """The column format that keeps what a person types as they meant it."""
    return {"text": "@", "choice": "@", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}.get(
        fld.kind
    )


def _width(texts: Iterable[str], *, least: int = 10, most: int = 45) -> float:
    return float(min(most, max(least, *(len(t) + 3 for t in texts))))


def _table_sheet(workbook, table: Table) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    sheet = workbook.create_sheet(table.cli_name)
    bold = Font(bold=True)
    edge = Border(bottom=Side(style="thin", color="808080"))
    for index, fld in enumerate(table.fields, start=1):
        column = _column_letter(index)
        cell = sheet.cell(row=1, column=index, value=fld.name)
        cell.font = bold
        cell.border = edge
        cell.alignment = Alignment(vertical="center")
        colour = _REQUIRED_FILL if fld.required else _OPTIONAL_FILL
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        note = [
            ("Required. " if fld.required else "Optional. ") + fld.description,
            f"Expected: {_allowed(table, fld)}.",
        ]
        if fld.example:
            note.append(f"Example: {fld.example}")
        cell.comment = Comment("\n".join(note), "Service Strategy Toolkit", width=320, height=140)
        dimension = sheet.column_dimensions[column]
        dimension.width = _width([fld.name, fld.example, *fld.choices], least=12, most=40)
        number_format = _number_format(fld)
        if number_format:
            dimension.number_format = number_format
        rule = _validation(fld, column)
        if rule is not None:
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"


def _readme_sheet(workbook) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = workbook.active
    sheet.title = README_SHEET
    sheet.column_dimensions["A"].width = 110
    styles = {
        "title": Font(bold=True, size=14),
        "heading": Font(bold=True, size=12),
        "code": Font(name="Consolas"),
        "text": Font(),
    }
    for row, (style, text) in enumerate(_readme_lines(), start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = styles[style]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "title":
            cell.fill = PatternFill(
                fill_type="solid", start_color=_TITLE_FILL, end_color=_TITLE_FILL
            )
    sheet.sheet_properties.tabColor = "4472C4"


def _dictionary_sheet(workbook) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(DICTIONARY_SHEET)
    rows = dictionary_rows()
    sheet.append(list(DICTIONARY_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    widths = (16, 20, 10, 18, 45, 60, 30)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{_column_letter(len(DICTIONARY_COLUMNS))}{len(rows) + 1}"
    sheet.sheet_properties.tabColor = "4472C4"


def _workbook_bytes() -> bytes:
    """Build the workbook and return it as reproducible .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    _readme_sheet(workbook)
    for table in TABLES.values():
        _table_sheet(workbook, table)
    _dictionary_sheet(workbook)
    workbook.active = 0

    props = workbook.properties
    props.creator = "Service Strategy Toolkit"
    props.lastModifiedBy = None
    props.title = "Service Strategy Toolkit templates"
    props.created = props.modified = _FIXED_TIME

    # openpyxl's save() stamps the current time as "modified"; its ExcelWriter (which
    # save() wraps) leaves the properties alone. The zip entries are then rewritten
    # with a fixed time, so the same schema always gives the same bytes.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    stamp = _FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def write_templates(folder: Path) -> list[Path]:
    """Write the blank templates and the data dictionary into a folder.

    Parameters
    ----------
    folder : Path
        Where to write; created if missing. Files of the same names are replaced.

    Returns
    -------
    list of Path
        The files written, in this order: one header-only CSV per table (schema order,
        named with the command-line spelling such as ``service-links.csv``; UTF-8
        without a byte-order mark; the header is the table's field names), the workbook
        :data:`WORKBOOK_NAME` (sheets: "Read me", one per table named like the CSV,
        "Data dictionary"), and the Markdown dictionary :data:`DICTIONARY_NAME`.

    Notes
    -----
    The templates have no example row, since a filled-in example would be imported as
    data by mistake; examples are in the data dictionary and in each header's note.
    Output is reproducible byte for byte.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_templates(Path(tmp))][-3:]
    ['outreach.csv', 'service-toolkit-templates.xlsx', 'data-dictionary.md']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, file_name in template_names().items():
        path = folder / file_name
        _write_csv(path, TABLES[name].field_names)
        written.append(path)
    workbook = folder / WORKBOOK_NAME
    workbook.write_bytes(_workbook_bytes())
    written.append(workbook)
    dictionary = folder / DICTIONARY_NAME
    dictionary.write_bytes(dictionary_markdown().encode("utf-8"))
    written.append(dictionary)
    return written


# ----------------------------------------------------------------------------- copying out

#: The shipped folders a person does not fill in: the report's HTML template and Voilà's.
_NOT_FOR_PEOPLE = frozenset({"report", "jupyter"})

#: The notebooks ``service-toolkit notebook`` copies out: name -> file.
NOTEBOOKS = {
    "needs-gap": "needs_gap.ipynb",
    "customer-map": "customer_map.ipynb",
    "satisfaction": "satisfaction.ipynb",
    "you-said-we-did": "you_said_we_did.ipynb",
    "forms": "forms.ipynb",
}


def _refuse_existing(targets: Iterable[Path], force: bool) -> None:
    from toolkit.errors import DataValidationError

    there = [p for p in targets if p.exists()]
    if there and not force:
        names = ", ".join(str(p) for p in there[:5]) + (" and more" if len(there) > 5 else "")
        raise DataValidationError(
            f"{names}: already there, and not replaced. Choose another folder, or add --force "
            "to replace them."
        )


def copy_templates(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the shipped blank templates, guides, survey maps and starter codebooks out.

    Parameters
    ----------
    folder : str or Path
        Where to copy them; created if missing.
    force : bool
        Replace files of the same names (refused otherwise, before anything is copied).

    Returns
    -------
    list of Path
        The files written (``README.md``, one CSV per table, the workbook, the data
        dictionary, the starter codebooks, ``guides/``, ``maps/``).

    Raises
    ------
    DataValidationError
        A file of the same name is there already (without ``force``), or the folder
        cannot be written.
    """
    import shutil

    from toolkit._files import path_problem
    from toolkit._resources import resource_dir
    from toolkit.errors import DataValidationError

    source = resource_dir("templates")
    folder = Path(folder).expanduser()
    files = sorted(
        p
        for p in source.rglob("*")
        if p.is_file() and p.relative_to(source).parts[0] not in _NOT_FOR_PEOPLE
    )
    targets = [folder / p.relative_to(source) for p in files]
    _refuse_existing(targets, force)
    try:
        for src, dst in zip(files, targets, strict=True):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    except OSError as err:
        raise DataValidationError(
            f"{folder}: cannot copy the templates there ({path_problem(err)}). Give a folder "
            "you can write to."
        ) from err
    return targets


def copy_notebook(
    name: str, folder: str | Path, engagement: str | Path, *, force: bool = False
) -> Path:
    """Copy a shipped notebook out with its ``engagement`` parameter set.

    Parameters
    ----------
    name : str
        ``needs-gap``, ``customer-map``, ``satisfaction``, ``you-said-we-did`` or ``forms``
        (:data:`NOTEBOOKS`).
    folder : str or Path
        Where to write it; created if missing.
    engagement : str or Path
        The engagement folder the notebook opens (written as an absolute path, so the
        notebook runs from anywhere: JupyterLab, papermill, Voilà).
    force : bool
        Replace a notebook of the same name.

    Returns
    -------
    Path
        The notebook written (``FOLDER/needs_gap.ipynb``, …), without outputs.

    Raises
    ------
    DataValidationError
        Not a notebook name, a notebook there already (without ``force``), or the folder
        cannot be written.
    StoreError
        ``engagement`` is not an engagement folder.
    """
    import json
    import re

    from toolkit._files import path_problem, write_atomic
    from toolkit._resources import resource_dir
    from toolkit.errors import DataValidationError
    from toolkit.store import Engagement

    key = str(name).strip().lower().replace("_", "-")
    if key not in NOTEBOOKS:
        raise DataValidationError(
            f'"{name}" is not a notebook. Choose from: {", ".join(NOTEBOOKS)}.'
        )
    eng = Engagement.open(Path(engagement).expanduser())  # refuses a folder that is not one
    source = resource_dir("notebooks") / NOTEBOOKS[key]
    nb = json.loads(source.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    text = "".join(cell["source"])
    value = json.dumps(str(eng.path.resolve()), ensure_ascii=False)
    text, found = re.subn(r'(?m)^engagement: str = ""', f"engagement: str = {value}", text)
    if found != 1:  # pragma: no cover - every shipped notebook declares it so
        raise DataValidationError(f"{source.name}: its parameters cell declares no engagement.")
    cell["source"] = text.splitlines(keepends=True)
    target = Path(folder).expanduser() / NOTEBOOKS[key]
    _refuse_existing([target], force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    except OSError as err:
        raise DataValidationError(
            f"{target.parent}: cannot write the notebook there ({path_problem(err)})."
        ) from err
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the templates from the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        The exit code: 0 on success, 1 when the folder cannot be written.
    """
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.templates",
        description="Write the blank CSV/XLSX templates and the data dictionary from the schema.",
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=_DEFAULT_FOLDER,
        help=f"where to write them (default: {_DEFAULT_FOLDER})",
    )
    args = parser.parse_args(argv)
    try:
        paths = write_templates(args.folder)
    except OSError as err:
        print(f"Could not write the templates into {args.folder}: {err}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
