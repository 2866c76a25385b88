"""Small hostile files that once took a machine down, written byte by byte.

Each builder writes a file into a folder and returns its path. Workbooks are made as
their zip's XML directly (no spreadsheet library), so a 17-billion-cell sheet stays a
2 KB file. Run this module to write every file into a folder for a manual try:
``python -m tests._hostile_files /tmp/hostile``.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from toolkit.sources.limits import column_letters

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx(
    path: Path,
    sheet_data: str | bytes,
    *,
    shared: list[str] | None = None,
    dimension: str | None = None,
    prolog: str = "",
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write a one-sheet workbook whose sheet holds ``sheet_data`` (the <sheetData> body)."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if shared is not None
            else ""
        )
        + "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="{_REL}">'
        '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            if shared is not None
            else ""
        )
        + "</Relationships>"
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = sheet_data.encode() if isinstance(sheet_data, str) else sheet_data
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {_NS}>{dim}<sheetData>'.encode()
        + body
        + b"</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", book_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            zf.writestr(
                "xl/sharedStrings.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="{len(shared)}" '
                f'uniqueCount="{len(shared)}">{items}</sst>',
            )
    return path


def header_rows() -> str:
    """Two rows a template reader takes for a header and a data row."""
    return (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>customer_id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>c1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>Residents</t></is></c></row>'
    )


def far_cell(folder: Path) -> Path:
    """2 KB: one cell at XFD1048576 and a dimension saying the sheet reaches it."""
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return xlsx(folder / "far-cell.xlsx", header_rows() + far, dimension="A1:XFD1048576")


def sparse_sheet(folder: Path) -> Path:
    """1.5 KB: two rows and one cell at AD1000000, a grid of 30 million cells of which 5 are set."""
    far = '<row r="1000000"><c r="AD1000000"><v>1</v></c></row>'
    return xlsx(folder / "sparse.xlsx", header_rows() + far)


def scattered_values(folder: Path, rows: int = 1_000_000) -> Path:
    """A few MB: a million rows of one value each, spread over 30 columns.

    One cell in 30 is filled, so it is not the stray value far from the data; read, its
    grid of 30 million cells would cost a gigabyte.
    """
    body = "".join(
        f'<row r="{r}"><c r="{_col(r % 30)}{r}"><v>1</v></c></row>' for r in range(3, rows + 1)
    )
    return xlsx(folder / "scattered.xlsx", header_rows() + body)


def huge_dimension(folder: Path) -> Path:
    """A sheet of two rows whose <dimension> claims A1:XFD1048576: it reads as two rows."""
    return xlsx(folder / "huge-dimension.xlsx", header_rows(), dimension="A1:XFD1048576")


def repeated_shared_string(folder: Path, cells: int = 200_000) -> Path:
    """About 0.5 MB: one 32,000-character shared string in ``cells`` cells (6.4 G characters)."""
    rows = ['<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c></row>']
    per_row = 20
    for r in range(2, cells // per_row + 2):
        rows.append(
            f'<row r="{r}">'
            + "".join(f'<c r="{_col(c)}{r}" t="s"><v>0</v></c>' for c in range(per_row))
            + "</row>"
        )
    return xlsx(
        folder / "repeated-string.xlsx", "".join(rows), shared=["x" * 32_000, "customer_id", "name"]
    )


def escaped_far_cell(folder: Path) -> Path:
    """1.5 KB: the far cell with its position written as character references.

    openpyxl decodes ``&#88;FD1048576`` to XFD1048576; a scan of the raw markup does not.
    """
    far = '<row r="&#49;048576"><c r="&#88;FD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(folder / "escaped.xlsx", header_rows() + far)


def hidden_shared_string(folder: Path, cells: int = 20_000) -> Path:
    """About 0.1 MB: a 32,000-character shared string in ``cells`` cells, each with an
    element before its value, so a pattern looking for ``t="s"><v>`` counts none."""
    rows = [header_rows()]
    per_row = 20
    for r in range(3, cells // per_row + 3):
        rows.append(
            f'<row r="{r}">'
            + "".join(f'<c r="{_col(c)}{r}" t="s"><x/><v>0</v></c>' for c in range(per_row))
            + "</row>"
        )
    return xlsx(folder / "hidden-string.xlsx", "".join(rows), shared=["x" * 32_000])


def dangling_shared_string(folder: Path) -> Path:
    """A cell naming shared string 99 in a workbook with two."""
    data = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>99</v></c><c r="B2" t="s"><v>1</v></c></row>'
    )
    return xlsx(folder / "dangling.xlsx", data, shared=["customer_id", "name"])


def sheet_bomb(folder: Path) -> Path:
    """A sheet that unpacks to 100 MB of blank space from a few hundred KB."""
    return xlsx(folder / "sheet-bomb.xlsx", header_rows().encode() + b" " * (100 * 1024**2))


def billion_laughs(folder: Path) -> Path:
    """Entities that expand to 10^9 'lol's if a parser expands them."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    data = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return xlsx(folder / "billion-laughs.xlsx", data, prolog=f"<!DOCTYPE worksheet [{entities}]>")


def truncated_xlsx(folder: Path) -> Path:
    """A real workbook cut in half, as a broken download leaves it."""
    whole = xlsx(folder / "whole.xlsx", header_rows()).read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def not_a_zip(folder: Path) -> Path:
    path = folder / "renamed.xlsx"
    path.write_text("customer_id,name\nc1,Residents\n", encoding="utf-8")
    return path


def wide_csv(folder: Path, columns: int = 1_000_000, header: int = 3) -> Path:
    """A short header, then a line of ``columns`` cells (``header`` rows down): 2 MB a million."""
    path = folder / f"wide-{columns}.csv"
    with path.open("wb") as fh:
        fh.write(b"customer_id,name\n" + b"c0,Residents\n" * (header - 1))
        fh.write(b",".join([b"a"] * columns) + b"\n")
    return path


def long_line_csv(folder: Path, mb: int = 12) -> Path:
    """A header, a row, then one cell ``mb`` MB long."""
    path = folder / "long-line.csv"
    with path.open("wb") as fh:
        fh.write(b"customer_id,name\nc1,Residents\nc2,")
        fh.write(b"x" * (mb * 1024 * 1024) + b"\n")
    return path


def many_rows_csv(folder: Path, rows: int, columns: int) -> Path:
    """``rows`` rows of ``columns`` one-character cells: the cells limit's case."""
    path = folder / f"rows-{rows}x{columns}.csv"
    line = b",".join([b"1"] * columns) + b"\n"
    with path.open("wb") as fh:
        fh.write(b",".join(f"c{i}".encode() for i in range(columns)) + b"\n")
        for _ in range(rows // 10_000):
            fh.write(line * 10_000)
    return path


def _col(index: int) -> str:
    return column_letters(index + 1)


BUILDERS = (
    far_cell,
    sparse_sheet,
    huge_dimension,
    repeated_shared_string,
    dangling_shared_string,
    sheet_bomb,
    billion_laughs,
    truncated_xlsx,
    not_a_zip,
    wide_csv,
    long_line_csv,
)

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        made = build(out)
        print(f"{made}  {made.stat().st_size:,} bytes")
