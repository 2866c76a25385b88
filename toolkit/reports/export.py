"""A report as PDF (Chromium's print) and as slides (python-pptx).

``service-toolkit report PATH --format html,pdf,pptx`` writes, next to each report's
HTML and executed notebook, ``NAME.pdf`` and ``NAME.pptx``:

PDF (:class:`PdfPrinter`)
    The report's own HTML printed by Chromium (the system browser, driven by
    Playwright, every outside request refused): A4, a new page before each section
    (``report.css``), every chart drawn as vectors (Vega's SVG), page numbers in the
    footer, and nothing interactive (``report.css`` hides buttons and inputs in print).
    A chart wider than the page is scaled to its width; the charts are drawn narrow
    enough that their words stay at 7 pt or more on paper. A chart too tall for the
    room below its section's heading and introduction is drawn smaller to share their
    page when its words stay at 7 pt (:func:`lay_out_for_print`); else it starts the
    next page, whole.
    One Chromium serves a whole run.
Slides (:func:`write_pptx`)
    A title slide; one slide per finding, with its sentence and its chart; then the key
    tables as PowerPoint tables. The findings are those the report's findings output
    lists in its metadata (``{"service_toolkit": {"findings": [{"text", "anchor",
    "chart"}]}}``); a notebook without them gets one slide per section instead, with
    the section's heading, first sentence and first chart. The key tables are the first
    table of each section (but *About this report*), at most :data:`TABLE_ROWS` rows a
    slide. Charts are drawn as PNG by vl-convert (:func:`toolkit.charts.drawing.vega`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from toolkit._files import write_atomic
from toolkit.errors import DataValidationError, ReportError

__all__ = [
    "FORMATS",
    "PdfPrinter",
    "Slide",
    "find_chromium",
    "lay_out_for_print",
    "parse_formats",
    "report_slides",
    "write_pptx",
]

#: The formats a report can be written in; HTML is the default.
FORMATS = ("html", "pdf", "pptx")

#: Rows of a table on one slide; longer tables say how many rows the report has.
TABLE_ROWS = 10

CHROMIUM_HINT = (
    "install it with `sudo apt-get install chromium` (Debian, Ubuntu) or "
    "`bash scripts/install-chromium.sh`, or set SERVICE_TOOLKIT_CHROMIUM to its path"
)


def parse_formats(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """The formats named in ``text`` (``"html,pdf"``), in :data:`FORMATS` order.

    >>> parse_formats("pptx, html")
    ('html', 'pptx')
    >>> parse_formats(None)
    ('html',)
    >>> parse_formats("html,docx")
    Traceback (most recent call last):
    ...
    toolkit.errors.DataValidationError: "docx" is not a report format. Choose from html, pdf, pptx (a comma-separated list, such as html,pdf,pptx).
    """
    if text is None:
        return ("html",)
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = [str(p).strip().lower().lstrip(".") for p in parts if str(p).strip()]
    for name in names:
        if name not in FORMATS:
            raise DataValidationError(
                f'"{name}" is not a report format. Choose from {", ".join(FORMATS)} '
                "(a comma-separated list, such as html,pdf,pptx)."
            )
    if not names:
        raise DataValidationError(
            f"No report format given. Choose from {', '.join(FORMATS)} (such as html,pdf)."
        )
    return tuple(f for f in FORMATS if f in names)


def check_formats(formats: Iterable[str]) -> None:
    """Raise :class:`ReportError` now, before any report runs, when a format cannot be made."""
    if "pdf" in formats:
        find_chromium()
        _need("playwright", "PDF", "playwright")
    if "pptx" in formats:
        _need("pptx", "slides (pptx)", "python-pptx")


def _need(module: str, what: str, package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ReportError(
            f"Writing {what} needs the Python package {package}, which is not installed: "
            f"pip install {package} (it comes with the toolkit), or leave it out of --format."
        )


def find_chromium() -> str:
    """The system Chromium's path (``SERVICE_TOOLKIT_CHROMIUM`` first); ReportError if none."""
    named = os.environ.get("SERVICE_TOOLKIT_CHROMIUM")
    if named:
        if os.access(named, os.X_OK):
            return named
        raise ReportError(
            f"SERVICE_TOOLKIT_CHROMIUM is {named}, which is not a program that can be run. "
            "Give the path of Chromium or Chrome, or unset it."
        )
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(f"Writing PDF needs Chromium, which was not found: {CHROMIUM_HINT}.")


# ----------------------------------------------------------------------------- PDF

#: True when every chart of the page is drawn (or says why it is not).
_CHARTS_DRAWN = (
    "() => document.readyState === 'complete' && [...document.querySelectorAll('div.tk-chart')]"
    ".every(d => d.querySelector('svg, canvas') || d.textContent.trim())"
)

#: The printed page's content box in CSS pixels: A4 less the margins of :meth:`PdfPrinter._print`.
PAGE_WIDTH_PX, PAGE_HEIGHT_PX = 688, 994

#: The smallest chart text on paper, in CSS pixels (7 pt).
MIN_TEXT_PX = 7 * 4 / 3

#: A chart that does not fit below its section's heading and introduction is drawn smaller
#: to share their page, when its smallest text stays at least :data:`MIN_TEXT_PX`; else it
#: starts the next page as it is. Runs in the page laid out for print at the page's width.
_FIT_CHARTS = f"""
() => {{
  const fitted = [];
  for (const div of document.querySelectorAll('div.tk-chart')) {{
    const svg = div.querySelector('svg');
    if (!svg) continue;
    let cell = div.closest('.jp-Cell'), start = null;
    for (let c = cell; c && !start; c = c.previousElementSibling)
      start = c.querySelector('.celltag_tk-section');
    if (!start) continue;
    const top = div.getBoundingClientRect().top - start.getBoundingClientRect().top;
    const r = svg.getBoundingClientRect();
    const room = {PAGE_HEIGHT_PX} - top - 24;
    if (top >= {PAGE_HEIGHT_PX} || r.height <= room + 24 || room <= 0) continue;
    let smallest = Infinity;
    for (const t of svg.querySelectorAll('text')) {{
      if (!t.textContent.trim()) continue;
      const m = t.getScreenCTM();
      smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b));
    }}
    if (smallest * room / r.height < {MIN_TEXT_PX}) continue;
    svg.style.maxHeight = room + 'px';
    fitted.push(svg.getAttribute('aria-label') || div.id);
  }}
  return fitted;
}}
"""

_FOOTER = (
    '<div style="width:100%;font-size:8px;color:#555;padding:0 14mm;'
    'font-family:system-ui,sans-serif;display:flex;justify-content:space-between">'
    '<span class="title"></span><span>Page <span class="pageNumber"></span> of '
    '<span class="totalPages"></span></span></div>'
)


class PdfPrinter:
    """One headless Chromium printing report pages to PDF; use it as a context manager.

    Playwright runs in a thread of its own: its synchronous API refuses a thread with an
    asyncio loop running (a notebook's, or a caller's), so every call goes to that thread.

    Used as (the browser tests run it for real)::

        with PdfPrinter() as printer:
            printer.print(Path("needs-gap.html"), Path("needs-gap.pdf"))
    """

    def __init__(self, timeout_s: float = 120.0):
        self.timeout_ms = timeout_s * 1000
        self._thread = None
        self._playwright = None
        self._browser = None

    def _run(self, fn, *args):
        return self._thread.submit(fn, *args).result()

    def __enter__(self) -> PdfPrinter:
        from concurrent.futures import ThreadPoolExecutor

        path = find_chromium()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-printer")
        try:
            self._run(self._start, path)
        except BaseException:
            self._thread.shutdown()
            raise
        return self

    def _start(self, path: str) -> None:
        from playwright.sync_api import sync_playwright

        args = ["--disable-gpu", "--no-first-run", "--disable-background-networking"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start as root otherwise
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=path, headless=True, args=args
            )
        except Exception as err:
            self._playwright.stop()
            raise ReportError(
                f"Chromium ({path}) did not start: {str(err).splitlines()[0]}. "
                f"Check that it runs, or {CHROMIUM_HINT}."
            ) from err

    def __exit__(self, *exc) -> None:
        try:
            self._run(self._stop)
        finally:
            self._thread.shutdown()

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def print(self, html: Path, pdf: Path) -> Path:
        """Print the report ``html`` to ``pdf`` (written whole or not at all)."""
        data = self._run(self._print, Path(html))
        write_atomic(Path(pdf), data)
        return Path(pdf)

    def _print(self, html: Path) -> bytes:
        page = self._browser.new_page(viewport={"width": 1100, "height": 1400})
        try:
            page.route("**/*", _local_only)
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_function(_CHARTS_DRAWN, timeout=self.timeout_ms)
            lay_out_for_print(page)
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=_FOOTER,
                margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
                outline=True,
                tagged=True,
            )
        finally:
            page.close()


def lay_out_for_print(page) -> list[str]:
    """Lay the open report ``page`` out as it prints; the charts drawn smaller to fit a page.

    The page is shown as print media at the A4 page's content width, then each chart too
    tall for the room below its section's heading and introduction is drawn smaller to
    share their page, if its words stay at :data:`MIN_TEXT_PX` or more
    (:data:`_FIT_CHARTS`). Returns those charts' titles.
    """
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PAGE_WIDTH_PX, "height": PAGE_HEIGHT_PX})
    return page.evaluate(_FIT_CHARTS)


def _local_only(route) -> None:
    """A report prints from its own file: every other request is refused."""
    url = route.request.url
    if url.startswith(("file:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        route.abort()


# ----------------------------------------------------------------------------- slides


@dataclass
class Slide:
    """One finding (or, without findings, one section) as a slide."""

    title: str
    text: str
    chart: tuple[dict, str] | None = None  # (spec, mode)


@dataclass
class _Section:
    heading: str
    anchor: str
    sentences: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)  # the sentences the analysis wrote
    charts: list[tuple[dict, str]] = field(default_factory=list)
    tables: list[_TableData] = field(default_factory=list)


@dataclass
class _TableData:
    caption: str | None
    header: list[str]
    rows: list[list[str]]


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-")


def _plain(markdown: str) -> str:
    """Markdown text as plain words (emphasis, links and code marks dropped)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)
    return " ".join(text.split())


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _sections(nb) -> tuple[list[_Section], list[dict]]:
    """The notebook's ``##`` sections with their text, charts and tables; and its findings."""
    from toolkit.charts.drawing import report_chart_specs
    from toolkit.reports.html import _toolkit_metadata

    sections = [_Section("", "")]
    findings: list[dict] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            _read_markdown(cell.source, sections)
            continue
        for output in cell.get("outputs", []):
            meta = _toolkit_metadata(output)
            if meta.get("findings"):
                findings.extend(f for f in meta["findings"] if isinstance(f, Mapping))
                continue
            data = output.get("data", {})
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            sections[-1].charts.extend(report_chart_specs(html))
            if "<table" in html:
                sections[-1].tables.extend(_html_tables(html))
            markdown = data.get("text/markdown")
            if markdown and "header" not in meta:
                markdown = "".join(markdown) if isinstance(markdown, list) else markdown
                _read_markdown(markdown, sections, results=True)
    return [s for s in sections if s.heading or s.charts or s.tables], findings


def _read_markdown(source: str, sections: list[_Section], results: bool = False) -> None:
    for block in re.split(r"\n\s*\n", source):
        block = block.strip()
        if block.startswith("## "):
            heading = block.splitlines()[0][3:].strip()
            sections.append(_Section(_plain(heading), _slug(_plain(heading))))
            block = "\n".join(block.splitlines()[1:]).strip()
        if block and not block.startswith(("#", "|", "<", "```")):
            (sections[-1].results if results else sections[-1].sentences).append(_plain(block))


def _is_about(section: _Section) -> bool:
    return section.anchor.startswith("about-this-report")


def _chart_named(name: str, sections: list[_Section]) -> tuple[dict, str] | None:
    wanted = _slug(name)
    for section in sections:
        for spec, mode in section.charts:
            title = spec.get("title")
            if isinstance(title, Mapping):
                title = title.get("text")
            if isinstance(title, list):
                title = " ".join(map(str, title))
            names = (spec.get("name"), title, spec.get("description"))
            if any(n and _slug(str(n)) == wanted for n in names):
                return spec, mode
    return None


def report_slides(nb) -> tuple[list[Slide], list[_TableData]]:
    """The slides after the title slide: findings (or sections), then the key tables."""
    sections, findings = _sections(nb)
    by_anchor = {s.anchor: s for s in sections if s.anchor}
    slides = []
    for finding in findings:
        section = by_anchor.get(_slug(str(finding.get("anchor") or "")))
        chart = None
        if finding.get("chart"):
            chart = _chart_named(str(finding["chart"]), sections)
        if chart is None and section is not None and section.charts:
            chart = section.charts[0]
        title = finding.get("title") or (
            section.heading if section is not None else "What we found"
        )
        slides.append(Slide(title, _plain(str(finding.get("text") or "")), chart))
    if not findings:
        for section in sections:
            if not section.heading or _is_about(section):
                continue
            said = section.results or section.sentences
            text = _first_sentence(said[0]) if said else ""
            chart = section.charts[0] if section.charts else None
            if text or chart:
                slides.append(Slide(section.heading, text, chart))
    tables = [s.tables[0] for s in sections if s.tables and not _is_about(s)]
    return slides, tables


class _TableParser(HTMLParser):
    """``<p class="tk-caption">`` and ``<table>`` contents, ``<br>`` as a new line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[_TableData] = []
        self._caption: str | None = None
        self._in_caption = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "p" and "tk-caption" in classes:
            self._in_caption, self._caption = True, ""
        elif tag == "table":
            self.tables.append(_TableData(self._caption, [], []))
            self._caption = None
        elif tag == "thead":
            self._head = True
        elif tag == "tbody":
            self._head = False
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "p" and self._in_caption:
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell)
            self._row.append("\n".join(" ".join(line.split()) for line in text.split("\n")))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if self._head and not table.header:
                table.header = self._row
            else:
                table.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def _html_tables(html: str) -> list[_TableData]:
    parser = _TableParser()
    parser.feed(html)
    return [t for t in parser.tables if t.header or t.rows]


# 16:9, in inches
_WIDE, _HIGH, _EDGE = 13.333, 7.5, 0.6


def _fit_points(text: str, width_in: float, height_in: float, largest: int, smallest: int) -> int:
    """The largest font size (points) at which ``text`` fits a box, by a generous estimate.

    A character is taken as 0.55 em wide (wider than the average of a sans-serif face)
    and a line as 1.25 em high.
    """
    for size in range(largest, smallest - 1, -1):
        per_line = max(1, int(width_in * 72 / (size * 0.55)))
        lines = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        if lines * size * 1.25 <= height_in * 72:
            return size
    return smallest


def _text_box(slide, text: str, box: tuple[float, float, float, float], largest, smallest, **kw):
    from pptx.util import Inches, Pt

    left, top, width, height = box
    shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = shape.text_frame
    frame.word_wrap = True
    for side in ("left", "right", "top", "bottom"):
        setattr(frame, f"margin_{side}", 0)
    size = _fit_points(text, width, height, largest, smallest)
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = kw.get("bold", False)
        if kw.get("color"):
            from pptx.dml.color import RGBColor

            paragraph.font.color.rgb = RGBColor.from_string(kw["color"])
    return shape


def _chart_png(spec: dict, mode: str) -> bytes:
    from toolkit.charts.drawing import vega

    return vega("vega_to_png" if mode == "vega" else "vegalite_to_png", spec, scale=2)


def _picture(slide, png: bytes, box: tuple[float, float, float, float]) -> None:
    """``png`` as large as fits ``box``, centred, its proportions kept."""
    import io

    from PIL import Image
    from pptx.util import Inches

    left, top, width, height = box
    with Image.open(io.BytesIO(png)) as image:
        w, h = image.size
    scale = min(width / w, height / h)
    shown_w, shown_h = w * scale, h * scale
    slide.shapes.add_picture(
        io.BytesIO(png),
        Inches(left + (width - shown_w) / 2),
        Inches(top + (height - shown_h) / 2),
        Inches(shown_w),
        Inches(shown_h),
    )


def _title_slide(prs, title: str, lines: list[str]) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text_box(slide, title, (_EDGE, 2.2, _WIDE - 2 * _EDGE, 1.6), 40, 24, bold=True)
    _text_box(slide, "\n".join(lines), (_EDGE, 4.0, _WIDE - 2 * _EDGE, 2.4), 20, 12, color="555555")


def _finding_slide(prs, number: int, slide_info: Slide) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = _WIDE - 2 * _EDGE
    _text_box(slide, slide_info.title, (_EDGE, 0.4, width, 0.6), 28, 18, bold=True)
    text_h = 1.3 if slide_info.chart else 4.5
    if slide_info.text:
        _text_box(
            slide, slide_info.text, (_EDGE, 1.1, width, text_h), 22 if slide_info.chart else 28, 12
        )
    if slide_info.chart is not None:
        top = 1.1 + (text_h + 0.15 if slide_info.text else 0)
        _picture(slide, _chart_png(*slide_info.chart), (_EDGE, top, width, _HIGH - top - 0.35))
    _text_box(
        slide, str(number), (_WIDE - _EDGE - 0.6, _HIGH - 0.4, 0.6, 0.3), 10, 10, color="777777"
    )


def _table_slide(prs, table: _TableData, fallback_title: str) -> None:
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = _WIDE - 2 * _EDGE
    _text_box(slide, table.caption or fallback_title, (_EDGE, 0.4, width, 0.6), 26, 16, bold=True)
    columns = max([len(table.header)] + [len(r) for r in table.rows])
    header = table.header + [""] * (columns - len(table.header))
    widths = _column_inches(header, table.rows[:TABLE_ROWS], width)
    top, bottom = 1.2, _HIGH - 0.8  # room for the note under a cut table
    size, shown = _table_fit(header, table.rows[:TABLE_ROWS], widths, bottom - top)
    rows = table.rows[:shown]
    shape = slide.shapes.add_table(
        len(rows) + 1, columns, Inches(_EDGE), Inches(top), Inches(width), Inches(0.3)
    )
    grid = shape.table
    for c, w in enumerate(widths):
        grid.columns[c].width = Inches(w)
    for r, values in enumerate([header, *rows]):
        grid.rows[r].height = Inches(_row_inches(values, widths, size))
        for c in range(columns):
            cell = grid.cell(r, c)
            cell.text = values[c] if c < len(values) else ""
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = Pt(size)
                paragraph.font.bold = r == 0
    if len(table.rows) > len(rows):
        note = f"The first {len(rows)} of {len(table.rows)} rows; the report has them all."
        _text_box(slide, note, (_EDGE, _HIGH - 0.6, width, 0.35), 12, 10, color="555555")


#: A table cell's margins (python-pptx's defaults): 0.1 in each side, 0.05 in above and below.
_CELL_SIDES, _CELL_ENDS = 0.2, 0.1


def _column_inches(header: list[str], rows: list[list[str]], width: float) -> list[float]:
    """Each column's share of ``width``: by its typical text, at least its longest word."""
    weights = []
    for c, head in enumerate(header):
        cells = [str(r[c]) for r in rows if c < len(r)]
        typical = sum(len(v) for v in cells) / len(cells) if cells else 0
        longest_word = max((len(w) for v in [head, *cells] for w in v.split()), default=1)
        weights.append(max(typical, longest_word + 2, min(len(head), 14), 4))
    return [width * w / sum(weights) for w in weights]


def _row_inches(values: list[str], widths: list[float], size: int) -> float:
    """A row's height with its longest cell wrapped at ``size`` points (a generous estimate)."""
    lines = 1
    for c, w in enumerate(widths):
        text = str(values[c]) if c < len(values) else ""
        per_line = max(1, int((w - _CELL_SIDES) * 72 / (size * 0.55)))
        lines = max(lines, sum(max(1, -(-len(part) // per_line)) for part in text.split("\n")))
    return lines * size * 1.25 / 72 + _CELL_ENDS


def _table_fit(header, rows, widths, height: float) -> tuple[int, int]:
    """The largest font size (14 to 9 points) showing every row; else as many rows as fit at 9."""
    for size in range(14, 8, -1):
        if _rows_that_fit(header, rows, widths, size, height) == len(rows):
            return size, len(rows)
    return 9, max(1, _rows_that_fit(header, rows, widths, 9, height))


def _rows_that_fit(header, rows, widths, size: int, height: float) -> int:
    used = _row_inches(header, widths, size)
    for shown, row in enumerate(rows):
        used += _row_inches(row, widths, size)
        if used > height:
            return shown
    return len(rows)


def write_pptx(nb, path: str | os.PathLike) -> Path:
    """Write an executed report notebook as slides: title, findings, key tables.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed report notebook, as the runner keeps it (its ``service_toolkit``
        metadata names the report).
    path : str or path-like
        The ``.pptx`` file to write (whole or not at all).
    """
    import io

    from pptx import Presentation
    from pptx.util import Inches

    info = dict(nb.metadata.get("service_toolkit") or {})
    header = _header(nb)
    title = str(
        _header(nb, "page").get("title") or info.get("title") or info.get("report") or "Report"
    )
    if info.get("value") is not None:
        title += f": {info['value']}"
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(_WIDE), Inches(_HIGH)
    lines = [
        str(header.get("organisation") or header.get("engagement") or ""),
        " · ".join(
            str(p)
            for p in (
                header.get("run_at_text") or header.get("run_at"),
                header.get("fingerprint") and f"data {header['fingerprint']}",
            )
            if p
        ),
    ]
    if header.get("demo"):
        lines.append("Sample data: the toolkit's bundled demo engagement, not real answers.")
    _title_slide(prs, title, [line for line in lines if line])
    slides, tables = report_slides(nb)
    for number, slide_info in enumerate(slides, start=2):
        _finding_slide(prs, number, slide_info)
    for table in tables:
        _table_slide(prs, table, title)
    buffer = io.BytesIO()
    prs.save(buffer)
    write_atomic(Path(path), buffer.getvalue())
    return Path(path)


def _header(nb, key: str = "header") -> dict[str, Any]:
    """The report's facts (or, with ``key="page"``, a customer page's title and language)."""
    from toolkit.reports.html import _toolkit_metadata

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = _toolkit_metadata(output)
            if key in meta:
                return dict(meta[key] or {})
    return {}


# ----------------------------------------------------------------------------- a run's files


def write_other_formats(results: list, formats: Iterable[str]) -> None:
    """Give each written report (a :class:`~toolkit.reports.runner.ReportResult`) its other formats.

    The PDF is printed from the report's HTML, the slides made from its executed notebook;
    one Chromium prints them all. A report whose PDF or slides cannot be written is marked
    failed, with what went wrong; the others still get theirs. Without ``html`` in
    ``formats`` the HTML is removed once printed.
    """
    import contextlib
    import time

    formats = tuple(formats)
    printer = PdfPrinter() if "pdf" in formats and results else contextlib.nullcontext()
    with printer:
        for result in results:
            started = time.monotonic()
            for fmt in ("pdf", "pptx"):
                if fmt in formats and result.status == "ok":
                    _write_one(result, fmt, printer)
            # The HTML goes only once the formats asked for are written: a report whose PDF
            # or slides failed keeps the HTML it has.
            if "html" not in formats and result.html is not None and result.status == "ok":
                Path(result.html).unlink(missing_ok=True)
                result.html = None
            result.seconds = round(result.seconds + time.monotonic() - started, 3)


def _write_one(result, fmt: str, printer) -> None:
    html = Path(result.html)
    target = html.with_suffix(f".{fmt}")
    try:
        if fmt == "pdf":
            printer.print(html, target)
        else:
            import nbformat

            write_pptx(nbformat.read(result.notebook, as_version=4), target)
    except Exception as err:  # noqa: BLE001 - one report's file must not stop the others
        label = result.name + (f" ({result.value})" if result.value is not None else "")
        what = "the PDF" if fmt == "pdf" else "the slides (pptx)"
        first = (str(err).strip().splitlines() or [""])[0]
        result.status = "failed"
        result.error = f"{label}: writing {what} failed: {type(err).__name__}: {first}."
    else:
        setattr(result, fmt, target)
