"""The demo's reports as PDF and slides (issue #20, item 3), printed by the system Chromium.

One run writes every report of the neighbourhood demo as HTML, PDF and PPTX; the PDFs are
read back with pypdf: pages, page numbers, a new page for each section, charts as vector
drawings with their words as text, and nothing left from the screen (buttons, scripts).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

from toolkit.demo import init_demo
from toolkit.reports.runner import ReportRun, run_reports

pytestmark = pytest.mark.browser

pypdf = pytest.importorskip("pypdf")

#: Words of each report's charts that must be in its PDF as text (vectors, not pictures).
CHART_WORDS = {
    "needs-gap": "What customers need and what staff assumed",
    "customer-map": "Power and interest",
    "satisfaction": "over time",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> ReportRun:
    engagement = init_demo(tmp_path_factory.mktemp("formats") / "riverside", "neighbourhood")
    result = run_reports(engagement.path, progress=False, formats="html,pdf,pptx", jobs=2)
    assert not result.failed, [r.error for r in result.failed]
    return result


def _pages(path: Path) -> list[str]:
    """Each page's text, ligatures ("ﬀ", "ﬂ") undone."""
    reader = pypdf.PdfReader(str(path))
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]


def _headings(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [
        line[3:].strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]


@pytest.mark.parametrize("name", sorted(CHART_WORDS))
def test_each_report_prints_to_numbered_pages_a_section_a_page(run, name):
    (result,) = [r for r in run.results if r.name == name]
    assert result.pdf == result.html.with_suffix(".pdf") and result.pdf.stat().st_size > 0
    pages = _pages(result.pdf)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert re.search(rf"Page\s*{number}\s*of\s*{len(pages)}", text), (number, text[-200:])
    # Every section starts a page: its heading comes first on some page.
    firsts = [next((line.strip() for line in t.splitlines() if line.strip()), "") for t in pages]
    for heading in _headings(result.notebook):
        assert heading in firsts, (heading, firsts)
    everything = "\n".join(pages)
    for leftover in ("<button", "<script", "vegaEmbed", "function(", "hover for", "Traceback"):
        assert leftover not in everything


@pytest.mark.parametrize("name", sorted(CHART_WORDS))
def test_charts_are_printed_as_vector_drawings_not_pictures(run, name):
    (result,) = [r for r in run.results if r.name == name]
    reader = pypdf.PdfReader(str(result.pdf))
    text = "\n".join(_pages(result.pdf))
    assert CHART_WORDS[name] in text  # a chart's words are text in the PDF
    images, drawn = 0, 0
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        images += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
        content = page.get_contents()
        data = content.get_data() if content is not None else b""
        # Path operators: a line to (l), a curve (c), a rectangle (re), then a fill or stroke.
        drawn += len(re.findall(rb"\s(?:l|c|re)\s", data))
    assert images == 0
    assert drawn > 200


def test_slides_have_a_title_a_slide_per_finding_or_section_and_tables(run):
    from pptx import Presentation

    for result in [r for r in run.results if r.name in CHART_WORDS]:  # reports with charts
        assert result.pptx == result.html.with_suffix(".pptx")
        slides = list(Presentation(str(result.pptx)).slides)
        title = slides[0]
        assert any(
            s.has_text_frame and run_title(result) in s.text_frame.text for s in title.shapes
        )
        pictures = sum(1 for slide in slides for s in slide.shapes if s.shape_type == 13)
        tables = sum(1 for slide in slides for s in slide.shapes if s.has_table)
        assert len(slides) >= 4 and pictures >= 1 and tables >= 1, result.name


def run_title(result) -> str:
    nb = nbformat.read(result.notebook, as_version=4)
    return nb.metadata["service_toolkit"]["title"]


def test_the_index_links_each_format_of_each_report(run):
    page = run.index.read_text()
    for result in run.results:
        for path in (result.html, result.pdf, result.pptx, result.notebook):
            assert f'href="{run.run_id}/{path.name}"' in page


def test_pdf_alone_keeps_no_html(run):
    engagement = run.folder.parent.parent
    only = run_reports(engagement, ["needs-gap"], progress=False, formats="pdf")
    (result,) = only.results
    assert result.ok and result.html is None and result.pptx is None
    assert result.pdf.exists() and not result.pdf.with_suffix(".html").exists()
    page = only.index.read_text()
    assert f'href="{only.run_id}/needs-gap.pdf">PDF</a>' in page
    assert f'{only.run_id}/needs-gap.html"' not in page


def test_pdf_prints_from_inside_an_asyncio_loop_as_in_a_notebook(run, tmp_path):
    import asyncio

    from toolkit.reports.export import PdfPrinter

    html = run.results[0].html

    async def in_a_loop() -> Path:
        with PdfPrinter() as printer:
            return printer.print(html, tmp_path / "in-a-loop.pdf")

    # A thread of its own, so the loop runs whatever this test session's thread holds.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(asyncio.run, in_a_loop()).result()
    assert len(_pages(pdf)) >= 3


def test_printed_charts_keep_their_words_at_7_pt_when_fitted_to_a_page(run, offline_context):
    """As :class:`PdfPrinter` lays a report out for print, no chart's words fall under 7 pt.

    Charts too tall for the room below their section's heading and introduction are drawn
    smaller to share that page, but only so far as their words stay at 7 pt or more.
    """
    from toolkit.reports.export import MIN_TEXT_PX, lay_out_for_print

    from .test_chart_text import SMALLEST_TEXT_JS, measure_charts

    page = offline_context.context.new_page()
    fitted = {}
    for result in [r for r in run.results if r.name in CHART_WORDS]:
        measure_charts(page, result.html)  # opened and drawn
        fitted[result.name] = lay_out_for_print(page)
        for chart in page.evaluate(SMALLEST_TEXT_JS):
            assert chart["px"] >= MIN_TEXT_PX - 0.05, (result.name, chart)
    assert any(fitted.values()), fitted  # the demo has a chart that is fitted


def test_a_heading_shares_its_page_with_a_chart_that_fits_beside_it(run):
    """needs-gap's *By customer group*: heading, introduction and heatmap on one page."""
    (result,) = [r for r in run.results if r.name == "needs-gap"]
    (page,) = [p for p in _pages(result.pdf) if p.lstrip().startswith("By customer group")]
    assert "Share of customers naming each need" in page
    assert "Milk and perishable food" in page  # the heatmap's rows, not just its title
