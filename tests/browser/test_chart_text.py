"""Every chart of the demo reports legible (issue #20, item 2), measured in Chromium.

Each report of each demo is written, opened in Chromium at 1366×768 and, in every chart,
every visible text element measured: its box is its own outline (``getBBox`` through the
element's transform, so a slanted label is a slanted box), and the test fails on

- two texts whose boxes overlap (a halo, the same text drawn twice in one place, is one);
- a text outside its chart's SVG, or an SVG wider than the report gives it;
- a text cut short with "…".

The demos: the neighbourhood demo, the university demo at its default size (30 campuses,
the same needs, customers, events and periods as the large demo: only the number of
responses differs) and, marked ``slow``, the large university demo itself (1,000,000
responses, a few minutes). Set ``TOOLKIT_SCREENSHOT_DIR`` to keep a PNG of every chart.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.demo import init_demo
from toolkit.reports.runner import run_reports

from .test_offline_charts import RENDER_TIMEOUT_MS

pytestmark = pytest.mark.browser

#: For each ``div.tk-chart``: its texts' problems. Runs in the page.
MEASURE_JS = """
() => {
  const shown = (el, svg) => {
    for (let e = el; e && e !== svg.parentNode; e = e.parentNode) {
      if (!(e instanceof Element)) continue;
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden" || parseFloat(cs.opacity) === 0)
        return false;
      if (e.getAttribute("opacity") === "0" || e.getAttribute("fill-opacity") === "0") return false;
    }
    return true;
  };
  // A text's outline on the page: its own box through its transform (4 corners).
  const outline = (t) => {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e + scrollX, m.b * x + m.d * y + m.f + scrollY]);
  };
  // Separating axes: two convex outlines overlap by more than `slack` pixels on every axis.
  const overlap = (p, q, slack) => {
    for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const len = Math.hypot(x2 - x1, y2 - y1) || 1, nx = (y1 - y2) / len, ny = (x2 - x1) / len;
      const proj = (s) => s.map(([x, y]) => x * nx + y * ny);
      const a = proj(p), b = proj(q);
      if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= slack)
        return false;
    }
    return true;
  };
  const charts = [];
  document.querySelectorAll("div.tk-chart").forEach((div, index) => {
    const svg = div.querySelector("svg");
    const title = (svg && svg.getAttribute("aria-label")) || div.id;
    if (!svg) { charts.push({index, id: div.id, title, texts: 0, problems: ["not drawn"]}); return; }
    const r = svg.getBoundingClientRect();
    const frame = {left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY};
    const seen = new Set(), boxes = [];
    for (const t of svg.querySelectorAll("text")) {
      const text = t.textContent.trim();
      if (!text || !shown(t, svg)) continue;
      const corners = outline(t);
      const key = text + "|" + corners.map(c => c.map(Math.round).join(",")).join(";");
      if (seen.has(key)) continue;  // a halo: the same text drawn twice in one place
      seen.add(key);
      boxes.push({text: text.slice(0, 70), corners});
    }
    const problems = [];
    const d = div.getBoundingClientRect();
    if (r.width > d.width + 0.5) problems.push(`wider than its place: ${Math.round(r.width)} > ${Math.round(d.width)} px`);
    for (const b of boxes) {
      const xs = b.corners.map(c => c[0]), ys = b.corners.map(c => c[1]);
      if (Math.min(...xs) < frame.left - 0.5 || Math.max(...xs) > frame.right + 0.5 ||
          Math.min(...ys) < frame.top - 0.5 || Math.max(...ys) > frame.bottom + 0.5)
        problems.push(`outside the chart: "${b.text}"`);
      if (b.text.endsWith("…")) problems.push(`cut short: "${b.text}"`);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++)
      if (overlap(boxes[i].corners, boxes[j].corners, 1))
        problems.push(`overlap: "${boxes[i].text}" / "${boxes[j].text}"`);
    charts.push({index, id: div.id, title, texts: boxes.length, problems});
  });
  return charts;
}
"""

DEMOS = [
    pytest.param(("neighbourhood", "small"), id="neighbourhood"),
    pytest.param(("university", "small"), id="university"),
    pytest.param(("university", "large"), id="university-large", marks=pytest.mark.slow),
]


def measure_charts(page, html: Path) -> list[dict]:
    """Open ``html`` and measure every chart's texts (:data:`MEASURE_JS`)."""
    page.goto(html.resolve().as_uri())
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.tk-chart')]"
        ".every(d => d.querySelector('svg, canvas') || d.textContent.trim())",
        timeout=RENDER_TIMEOUT_MS,
    )
    return page.evaluate(MEASURE_JS)


@pytest.fixture(scope="module", params=DEMOS)
def demo_reports(request, tmp_path_factory) -> tuple[str, list[Path]]:
    name, size = request.param
    folder = tmp_path_factory.mktemp(f"{name}-{size}") / "engagement"
    engagement = init_demo(folder, name, size=size)
    run = run_reports(engagement.path, progress=False, jobs=2)
    assert not run.failed, [r.error for r in run.failed]
    charted = [r.html for r in run.results if r.name != "you-said-we-did"]  # a page, no charts
    return f"{name}-{size}", charted


def test_every_chart_of_the_demo_reports_has_room_for_every_word(demo_reports, offline_context):
    label, reports = demo_reports
    page = offline_context.context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    keep = os.environ.get("TOOLKIT_SCREENSHOT_DIR")
    problems, counted = [], {}
    for html in reports:
        charts = measure_charts(page, html)
        counted[html.stem] = len(charts)
        for chart in charts:
            assert chart["texts"] > 0 or chart["problems"], chart
            problems += [
                f"{html.stem}, chart {chart['index'] + 1} ({chart['title'][:60]}): {p}"
                for p in chart["problems"]
            ]
            if keep:
                page.locator(f"#{chart['id']}").screenshot(
                    path=str(Path(keep) / f"{label}-{html.stem}-{chart['index'] + 1}.png")
                )
    assert all(counted.values()), counted  # every report drew charts
    assert not problems, "\n".join(problems)


#: For each ``div.tk-chart``: its smallest visible text as drawn, in CSS pixels, and which.
SMALLEST_TEXT_JS = """
() => [...document.querySelectorAll("div.tk-chart")].map((div, index) => {
  const svg = div.querySelector("svg");
  if (!svg) return {index, title: div.id, px: null, text: ""};
  let px = Infinity, text = "";
  for (const t of svg.querySelectorAll("text")) {
    const words = t.textContent.trim();
    if (!words || t.closest('[opacity="0"], [fill-opacity="0"]')) continue;
    const cs = getComputedStyle(t);
    if (cs.display === "none" || cs.visibility === "hidden") continue;
    const m = t.getScreenCTM();
    const size = parseFloat(cs.fontSize) * Math.hypot(m.a, m.b);
    if (size < px) { px = size; text = words.slice(0, 40); }
  }
  return {index, title: (svg.getAttribute("aria-label") || div.id).slice(0, 60), px, text};
})
"""


def test_every_chart_of_the_demo_reports_prints_its_words_at_7_pt_or_more(
    demo_reports, offline_context
):
    """Laid out for print at the A4 page's content width, no chart's text is under 7 pt.

    A chart wider (or taller) than the page is scaled down to fit it (``report.css``),
    and its words with it: this measures each word as drawn, font size times scale.
    """
    from toolkit.reports.export import MIN_TEXT_PX, PAGE_HEIGHT_PX, PAGE_WIDTH_PX

    label, reports = demo_reports
    page = offline_context.context.new_page()
    page.set_viewport_size({"width": PAGE_WIDTH_PX, "height": PAGE_HEIGHT_PX})
    page.emulate_media(media="print")
    small = []
    for html in reports:
        measure_charts(page, html)  # opened and drawn
        for chart in page.evaluate(SMALLEST_TEXT_JS):
            assert chart["px"] is not None, (html.stem, chart)
            if chart["px"] < MIN_TEXT_PX - 0.05:
                small.append(
                    f"{html.stem}, chart {chart['index'] + 1} ({chart['title']}): "
                    f'"{chart["text"]}" prints at {chart["px"] * 0.75:.1f} pt'
                )
    assert not small, f"{label}: under 7 pt on A4:\n" + "\n".join(small)


PROBLEM_PAGE = """<!DOCTYPE html><html><body style="margin:0">
<div class="tk-chart" id="a" style="width:300px"><svg width="200" height="100">
  <text x="10" y="20" font-size="12">Two labels here</text>
  <text x="30" y="24" font-size="12">on top of each other</text>
</svg></div>
<div class="tk-chart" id="b" style="width:300px"><svg width="200" height="100">
  <text x="150" y="50" font-size="12">Runs past the edge</text>
  <text x="10" y="80" font-size="12">Shortened…</text>
</svg></div>
<div class="tk-chart" id="c" style="width:300px"><svg width="200" height="100">
  <text x="10" y="20" font-size="12" stroke="white" stroke-width="3">Halo</text>
  <text x="10" y="20" font-size="12">Halo</text>
  <text transform="translate(40,60) rotate(-45)" font-size="11">2022-Q1</text>
  <text transform="translate(60,60) rotate(-45)" font-size="11">2022-Q2</text>
  <text x="150" y="90" font-size="12" opacity="0">Hidden by Vega</text>
  <text x="150" y="90" font-size="12">Shown</text>
</svg></div>
<div class="tk-chart" id="d" style="width:100px"><svg width="200" height="50">
  <text x="10" y="20" font-size="12">Wide</text>
</svg></div>
</body></html>"""


def test_the_measure_finds_overlaps_cut_texts_and_texts_outside(offline_context, tmp_path):
    html = tmp_path / "problems.html"
    html.write_text(PROBLEM_PAGE)
    page = offline_context.context.new_page()
    charts = {c["id"]: c["problems"] for c in measure_charts(page, html)}
    assert charts["a"] == ['overlap: "Two labels here" / "on top of each other"']
    assert sorted(charts["b"]) == [
        'cut short: "Shortened…"',
        'outside the chart: "Runs past the edge"',
    ]
    # A halo is one text; slanted labels side by side do not touch; hidden text is not read.
    assert charts["c"] == []
    assert charts["d"] == ["wider than its place: 200 > 100 px"]
