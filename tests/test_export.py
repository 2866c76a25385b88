"""Reports as PDF and slides (issue #20, item 3): formats, slides, the index's links.

The slides are made from small executed notebooks built here: one whose findings output
carries ``{"service_toolkit": {"findings": [...]}}`` metadata, one without (a slide per
section). The PDF itself needs Chromium: tests/browser/test_report_formats.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from toolkit.charts.theme import report_renderer
from toolkit.errors import DataValidationError, ReportError
from toolkit.reports import export
from toolkit.reports.context import Table
from toolkit.reports.export import parse_formats, report_slides, write_pptx
from toolkit.reports.index import write_index

# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("text", "formats"),
    [
        (None, ("html",)),
        ("html", ("html",)),
        ("pdf", ("pdf",)),
        ("PPTX, html", ("html", "pptx")),
        ("html,pdf,pptx,pdf", ("html", "pdf", "pptx")),
        (".pdf", ("pdf",)),
    ],
)
def test_formats_are_read_from_a_comma_list(text, formats):
    assert parse_formats(text) == formats


@pytest.mark.parametrize("text", ["docx", "html,", "html;pdf", ",", "html,svg"])
def test_an_unknown_or_empty_format_is_refused_naming_the_choices(text):
    if text == "html,":
        assert parse_formats(text) == ("html",)  # a trailing comma is forgiven
        return
    with pytest.raises(DataValidationError, match="html, pdf, pptx"):
        parse_formats(text)


def test_the_command_line_exits_2_on_an_unknown_format_before_running_anything(
    run, engagement, no_kernels
):
    result = run("report", engagement.path, "--format", "html,docx")
    assert result.exit_code == 2
    assert '"docx" is not a report format. Choose from html, pdf, pptx' in result.stderr
    assert not list(engagement.path.glob("reports/*/run.json"))


def test_pdf_without_chromium_is_refused_before_any_report_runs(
    run, engagement, no_kernels, monkeypatch, tmp_path
):
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    monkeypatch.delenv("SERVICE_TOOLKIT_CHROMIUM", raising=False)
    result = run("report", engagement.path, "--format", "pdf")
    assert result.exit_code == 1
    assert "Writing PDF needs Chromium, which was not found" in result.stderr
    assert "apt-get install chromium" in result.stderr
    monkeypatch.setenv("SERVICE_TOOLKIT_CHROMIUM", str(tmp_path / "nothing"))
    with pytest.raises(ReportError, match="not a program that can be run"):
        export.find_chromium()


# ----------------------------------------------------------------------------- slides

SPEC = {
    "title": "Share naming each need",
    "description": "A bar per need",
    "data": {"values": [{"need": "Milk", "share": 0.37}, {"need": "Transport", "share": 0.12}]},
    "mark": "bar",
    "encoding": {
        "y": {"field": "need", "type": "nominal"},
        "x": {"field": "share", "type": "quantitative"},
    },
}
OTHER = {**SPEC, "title": "Satisfaction over time", "mark": "point"}
FINDINGS = [
    {
        "text": "Fresh milk is the need residents name most — 37% (31–43%) — and no staff "
        "member listed it.",
        "anchor": "What-stands-out",
        "chart": "Share naming each need",
    },
    {
        "text": "Satisfaction rose from 3.1 to 3.6 (difference 0.5, 0.2 to 0.8).",
        "anchor": "Over-time",
        "chart": None,
    },
    {"text": "No section, no chart: still a slide.", "anchor": None, "chart": None},
]


def _display(data: dict, metadata: dict | None = None):
    return new_output("display_data", data=data, metadata=metadata or {})


def _chart(spec: dict):
    return _display(report_renderer(spec))


def _notebook(findings: list | None) -> nbformat.NotebookNode:
    table = Table(
        pd.DataFrame(
            {
                "Need": [f"Need number {i}" for i in range(14)],
                "Share": [f"{40 - i}%" for i in range(14)],
                "Groups": ["Residents\nBoard"] * 14,
            }
        ),
        caption="Needs several groups share",
    )
    header = {
        "engagement": "riverside",
        "organisation": "Riverside Partners",
        "fingerprint": "abc123",
    }
    cells = [
        new_markdown_cell(
            "# Assumed vs stated needs\n\nWhat staff believe, beside what customers said."
        ),
        new_code_cell(
            "report.header()",
            outputs=[
                _display(
                    {"text/markdown": "## Riverside Partners", "text/plain": ""},
                    {"text/markdown": {"service_toolkit": {"header": header}}},
                )
            ],
        ),
    ]
    if findings is not None:
        cells.append(
            new_code_cell(
                "report.findings()",
                outputs=[
                    _display(
                        {"text/markdown": "## What we found\n\n- one\n- two", "text/plain": ""},
                        {"service_toolkit": {"findings": findings}},
                    )
                ],
            )
        )
    cells += [
        new_markdown_cell("## What stands out\n\nThe needs where staff and customers differ most."),
        new_code_cell(
            "show()",
            outputs=[
                _display(
                    {
                        "text/markdown": "Customers' most-named need is **Milk** (37%).",
                        "text/plain": "",
                    }
                ),
                _chart(SPEC),
            ],
        ),
        new_markdown_cell("## Over time\n\nHow satisfaction moved. A second sentence."),
        new_code_cell(
            "show()", outputs=[_chart(OTHER), _display({"text/html": table._repr_html_()})]
        ),
        new_markdown_cell("## About this report\n\nParameters and run details."),
        new_code_cell("about()", outputs=[_display({"text/html": table._repr_html_()})]),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["service_toolkit"] = {
        "report": "needs-gap",
        "title": "Assumed vs stated needs",
        "value": None,
    }
    return nb


def _slides(path: Path):
    from pptx import Presentation

    return list(Presentation(str(path)).slides)


def _texts(slide) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text]


def test_slides_show_a_title_then_one_slide_per_finding_with_its_chart_then_the_tables(tmp_path):
    path = write_pptx(_notebook(FINDINGS), tmp_path / "needs-gap.pptx")
    slides = _slides(path)
    title, *findings, table = slides
    assert "Assumed vs stated needs" in _texts(title)[0]
    assert any("Riverside Partners" in t for t in _texts(title))
    assert any("abc123" in t for t in _texts(title))
    assert len(findings) == len(FINDINGS)
    for slide, finding in zip(findings, FINDINGS, strict=True):
        assert finding["text"] in _texts(slide)
    pictures = [[s for s in slide.shapes if s.shape_type == 13] for slide in findings]
    # The first names its chart; the second gets its section's first chart; the third none.
    assert [len(p) for p in pictures] == [1, 1, 0]
    assert _texts(findings[0])[0] == "What stands out"
    assert _texts(findings[1])[0] == "Over time"
    # The key table: the first of each section but "About this report", as a real table.
    tables = [s for s in table.shapes if s.has_table]
    assert len(tables) == 1
    grid = tables[0].table
    assert [c.text for c in grid.rows[0].cells] == ["Need", "Share", "Groups"]
    assert grid.cell(1, 0).text == "Need number 0" and grid.cell(1, 2).text == "Residents\nBoard"
    assert len(grid.rows) == export.TABLE_ROWS + 1
    assert any("The first 10 of 14 rows" in t for t in _texts(table))


def test_the_chart_a_finding_names_is_the_one_on_its_slide(tmp_path):
    findings = [
        {
            "text": "Over time, by name.",
            "anchor": "What-stands-out",
            "chart": "Satisfaction over time",
        }
    ]
    slides, _ = report_slides(_notebook(findings))
    assert slides[0].chart[0]["title"] == "Satisfaction over time"
    assert slides[0].title == "What stands out"


def test_without_findings_each_section_gets_a_slide_with_its_first_chart(tmp_path):
    slides, tables = report_slides(_notebook(None))
    assert [s.title for s in slides] == ["What stands out", "Over time"]
    # The analysis's own sentence is preferred to the section's introduction.
    assert slides[0].text == "Customers' most-named need is Milk (37%)."
    assert slides[1].text == "How satisfaction moved."
    assert [s.chart[0]["title"] for s in slides] == [
        "Share naming each need",
        "Satisfaction over time",
    ]
    assert [t.caption for t in tables] == ["Needs several groups share"]
    path = write_pptx(_notebook(None), tmp_path / "sections.pptx")
    assert len(_slides(path)) == 1 + 2 + 1


def test_every_text_fits_its_box_and_every_shape_is_on_the_slide(tmp_path):
    long = "A finding written at length, " * 12 + "ending here."
    nb = _notebook([{"text": long, "anchor": "What-stands-out", "chart": None}])
    path = write_pptx(nb, tmp_path / "long.pptx")
    from pptx import Presentation

    prs = Presentation(str(path))
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (number, shape.name)
            assert shape.top + shape.height <= prs.slide_height, (number, shape.name)
            if shape.has_text_frame and shape.text_frame.text:
                assert _text_fits(shape), (number, shape.text_frame.text[:60])


def _text_fits(shape) -> bool:
    """Lay the text out with a real sans-serif face (DejaVu, wider than Calibri)."""
    from PIL import ImageFont

    try:
        font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        ImageFont.truetype(font_path, 10)
    except OSError:
        pytest.skip("DejaVu Sans is not installed")
    width_pt = shape.width / 12700
    lines = 0
    height = 0.0
    for paragraph in shape.text_frame.paragraphs:
        size = paragraph.font.size.pt
        font = ImageFont.truetype(font_path, int(size))
        line, count = "", 1
        for word in paragraph.text.split():
            trial = f"{line} {word}".strip()
            if font.getlength(trial) > width_pt and line:
                count, line = count + 1, word
            else:
                line = trial
        lines += count
        height += count * size * 1.2
    return height <= shape.height / 12700 + 0.5


# ----------------------------------------------------------------------------- the index


def test_the_index_links_every_format_a_report_was_written_in(tmp_path):
    folder = tmp_path / "reports" / "2024-01-01T00-00-00Z"
    folder.mkdir(parents=True)
    run = {
        "run_id": folder.name,
        "status": "ok",
        "engagement": "riverside",
        "started": "2024-01-01T00:00:00+00:00",
        "reports": 2,
        "failed": 0,
        "results": [
            {
                "name": "needs-gap",
                "status": "ok",
                "html": f"{folder.name}/needs-gap.html",
                "pdf": f"{folder.name}/needs-gap.pdf",
                "pptx": f"{folder.name}/needs-gap.pptx",
                "notebook": f"{folder.name}/needs-gap.ipynb",
            },
            {"name": "satisfaction", "status": "ok", "pdf": f"{folder.name}/satisfaction.pdf"},
        ],
    }
    (folder / "run.json").write_text(json.dumps(run))
    page = write_index(tmp_path / "reports").read_text()
    for suffix, label in (
        ("html", "report"),
        ("pdf", "PDF"),
        ("pptx", "slides"),
        ("ipynb", "notebook"),
    ):
        assert f'<a href="{folder.name}/needs-gap.{suffix}">{label}</a>' in page
    assert f'<a href="{folder.name}/satisfaction.pdf">PDF</a>' in page
    assert "satisfaction.html" not in page


def test_each_value_gets_its_slides_and_the_json_names_them(run, tmp_path):
    from toolkit.demo import init_demo

    engagement = init_demo(tmp_path / "riverside", "neighbourhood")
    result = run(
        "report",
        engagement.path,
        "needs-gap",
        "--each",
        "segment",
        "-y",
        "{subset: {segment: [Residents, Board]}}",
        "--format",
        "html,pptx",
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    files = {r["value"]: r for r in summary["results"]}
    assert set(files) == {"Residents", "Board"}
    for value, r in files.items():
        assert r["pptx"].endswith(f"needs-gap--{value.lower()}.pptx") and Path(r["pptx"]).exists()
        assert r["html"] and r["pdf"] is None
    page = (engagement.path / "reports" / "index.html").read_text()
    assert page.count(">slides</a>") == 2
