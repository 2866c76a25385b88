"""The "you said, we did" page of the neighbourhood demo in Chromium, in English and Spanish.

Each language is written once for the module as HTML, PDF and slides, as
``service-toolkit report PATH you-said-we-did -p language es --format html,pdf,pptx``
writes it. Checked: the PDF is exactly one A4 page; no text is under 12 px, on screen
(1366×768 and 768 px wide) or as printed; nothing runs off the page or is clipped; no
request leaves the file; and no respondent id, statement, action owner or personal column
value is on the page. Set ``TOOLKIT_SCREENSHOT_DIR`` to keep a screenshot of each.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pypdf
import pytest

from toolkit.demo import init_demo
from toolkit.reports.runner import run_reports
from toolkit.store import Engagement

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "es")
#: Each language's title and the demo's most named need, as the page words them.
WORDS = {
    "en": ("You said, we did", "Milk and perishable food"),
    "es": ("Lo que nos dijeron y lo que hicimos", "Leche y alimentos frescos"),
}
WIDTHS = ((1366, 768), (768, 1024))

# Every element with its own text: its font size, and whether its text is clipped (its
# content wider or taller than its box while overflow hides it) or outside the page.
MEASURE_JS = """
() => {
  const out = {smallest: Infinity, smallestText: "", clipped: [], outside: []};
  const width = document.documentElement.clientWidth;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const size = parseFloat(cs.fontSize);
    if (size < out.smallest) { out.smallest = size; out.smallestText = el.textContent.trim(); }
    const hides = /(hidden|clip|scroll|auto)/.test(cs.overflowX + cs.overflowY);
    if (hides && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      out.clipped.push(el.textContent.trim().slice(0, 60));
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 || box.left < -1) out.outside.push(el.textContent.trim().slice(0, 60));
  }
  out.pageWider = document.documentElement.scrollWidth > width + 1;
  return out;
}
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    engagement = init_demo(tmp_path_factory.mktemp("yousaid") / "riverside", "neighbourhood")
    found = {"engagement": engagement.path}
    for language in LANGUAGES:
        run = run_reports(
            engagement.path,
            ["you-said-we-did"],
            parameters={"language": language},
            formats="html,pdf,pptx",
            progress=False,
        )
        (result,) = run.results
        assert result.ok, result.error
        found[language] = result
    return found


def _personal_values(path: Path) -> set[str]:
    """What on the page would name someone: ids, statements, owners, personal columns."""
    eng = Engagement.open(path)
    tables, _ = eng.snapshot(["stated_needs", "actions", "codebook"], include_personal=True)
    stated, actions = tables["stated_needs"], tables["actions"]
    labels = {str(v).strip().lower() for c in ("label", "label_es") for v in tables["codebook"][c]}
    values = {str(v) for v in stated["respondent_id"].dropna()}
    values |= {str(v) for v in stated["source_id"].dropna()} if "source_id" in stated else set()
    # Statements in people's own words (a one-word statement such as "Childcare" is a label).
    values |= {str(v) for v in stated["need"].dropna() if str(v).strip().lower() not in labels}
    values |= {str(v) for v in actions["owner"].dropna()}
    values |= {str(v) for v in actions["notes"].dropna() if str(v).strip()}
    for column in eng.personal_columns(["stated_needs"]).get("stated_needs", {}) or ():
        values |= {str(v) for v in stated.get(column, []) if str(v).strip()}
    return {v for v in values if len(v.strip()) >= 3}


def _pdf_pages(path: Path) -> list[str]:
    reader = pypdf.PdfReader(str(path))
    return [unicodedata.normalize("NFKC", p.extract_text() or "") for p in reader.pages]


def _keep(page, name: str) -> None:
    folder = os.environ.get("TOOLKIT_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"you-said-{name}.png"), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_prints_to_exactly_one_a4_page(pages, language):
    result = pages[language]
    (text,) = _pdf_pages(result.pdf)  # exactly one page
    title, top_need = WORDS[language]
    squeezed = " ".join(text.split())
    assert title in squeezed and top_need in squeezed
    reader = pypdf.PdfReader(str(result.pdf))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(595.3, abs=1.5)  # A4 in points (Chromium rounds)
    assert float(box.height) == pytest.approx(841.9, abs=1.5)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_large_type_nothing_cut_off_nothing_fetched(
    pages, offline_context, language, width, height
):
    page = offline_context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(Path(pages[language].html).as_uri())
    measured = page.evaluate(MEASURE_JS)
    assert measured["smallest"] >= 12, measured
    assert measured["clipped"] == [] and measured["outside"] == [], measured
    assert not measured["pageWider"]
    assert page.locator("li.ysd-need").count() == 5
    assert page.locator("html").get_attribute("lang") == language
    assert offline_context.refused == [] and offline_context.errors == []
    _keep(page, f"{language}-{width}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_printed_it_fits_the_page_in_type_of_12_px_or_more(pages, offline_context, language):
    from toolkit.reports.export import PAGE_HEIGHT_PX, PAGE_WIDTH_PX

    page = offline_context.new_page()
    page.set_viewport_size({"width": PAGE_WIDTH_PX, "height": PAGE_HEIGHT_PX})
    page.goto(Path(pages[language].html).as_uri())
    page.emulate_media(media="print")
    measured = page.evaluate(MEASURE_JS)
    assert measured["smallest"] >= 12, measured
    assert measured["clipped"] == [] and measured["outside"] == [], measured
    height = page.evaluate("() => document.querySelector('.ysd').getBoundingClientRect().bottom")
    assert height <= PAGE_HEIGHT_PX, height
    _keep(page, f"{language}-print")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_personal_value_reaches_the_page_or_its_pdf(pages, language):
    result = pages[language]
    html = result.html.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    printed = " ".join(" ".join(_pdf_pages(result.pdf)).split())
    values = _personal_values(pages["engagement"])
    assert len(values) > 100  # the demo has ids, statements and owners to leak
    for shown in (text, printed):
        leaked = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", shown)]
        assert leaked == []


def test_slides_have_a_title_and_a_slide_per_need(pages):
    from pptx import Presentation

    slides = list(Presentation(str(pages["es"].pptx)).slides)
    texts = [
        " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in slides
    ]
    assert "Lo que nos dijeron y lo que hicimos" in texts[0]
    assert len(slides) == 1 + 5
    assert "Leche y alimentos frescos" in texts[1] and "Hecho" in texts[1]
