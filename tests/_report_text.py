"""The visible text of rendered report HTML, for comparing reports before and after a change.

Usage: ``python tests/_report_text.py REPORTS_DIR OUT_DIR`` writes, for every
``<run>/<name>.html`` under REPORTS_DIR, ``OUT_DIR/<name>.txt`` with one block of visible
text per line: scripts and styles dropped, entities unescaped, whitespace collapsed, and
the run id and times replaced by ``<run>`` / ``<time>`` so two runs compare equal.
"""

from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

_BLOCK = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "table", "section"}
_RUN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}[-:]\d{2}(?:[-:]\d{2})?(?:\.\d+)?Z?")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? ?s\b|\bin \d+(?:\.\d+)? seconds\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in _BLOCK or tag == "td" or tag == "th":
            self.parts.append("\n" if tag in _BLOCK else " | ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> list[str]:
    """The visible lines of an HTML page, whitespace collapsed, run ids and times masked.

    Examples
    --------
    >>> visible_text("<p>A &amp;  b</p><script>x()</script><p>Run 2026-01-02T10-11-12Z</p>")
    ['A & b', 'Run <run>']
    """
    parser = _Text()
    parser.feed(page)
    lines = []
    for line in "".join(parser.parts).splitlines():
        line = " ".join(html.unescape(line).split())
        line = _TIME.sub("<time>", _RUN.sub("<run>", line))
        line = _SECONDS.sub("<seconds>", line)
        if line and line != "|":
            lines.append(line)
    return lines


def main(reports: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for page in sorted(reports.glob("*/*.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        (out / f"{page.stem}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
