"""``reports/index.html``: every report run, newest first (:func:`write_index`)."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from pathlib import Path
from urllib.parse import quote

from toolkit._files import write_atomic


def write_index(out: str | os.PathLike) -> Path:
    """Rewrite ``index.html`` in a reports folder: every run, newest first.

    Parameters
    ----------
    out : str or path-like
        The reports folder (holding one folder per run, each with its ``run.json``).

    Returns
    -------
    Path
        The index file. Each report is listed with its name (and ``each`` value), its
        parameters, its time, its status and links to each of its files (HTML, PDF,
        slides, notebook); failures
        show their error. All text is HTML-escaped.
    """
    out = Path(out)
    runs = []
    for run_json in out.glob("*/run.json"):
        try:
            runs.append(json.loads(run_json.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    runs.sort(key=lambda r: (r.get("started", ""), r.get("run_id", "")), reverse=True)
    e = html.escape
    sections = []
    for run in runs:
        rows = []
        for r in run.get("results", []):
            name = e(str(r["name"])) + (
                f" — {e(str(r['value']))}" if r.get("value") is not None else ""
            )
            params = ", ".join(
                f"{e(str(k))} = {e(json.dumps(v, ensure_ascii=False, default=str))}"
                for k, v in (r.get("parameters") or {}).items()
                if not (k == "subset" and not v)
            )
            links = []
            for key, label in (("html", "report"), ("pdf", "PDF"), ("pptx", "slides")):
                if r.get(key):
                    links.append(f'<a href="{e(quote(r[key]))}">{label}</a>')
            if r.get("notebook"):
                links.append(f'<a href="{e(quote(r["notebook"]))}">notebook</a>')
            status = e(r.get("status", ""))
            error = f'<div class="error">{e(r["error"])}</div>' if r.get("error") else ""
            error += "".join(f'<div class="note">{e(w)}</div>' for w in r.get("warnings") or ())
            rows.append(
                f'<tr class="{status}"><td>{name}</td><td>{params or "defaults"}</td>'
                f'<td>{e(str(r.get("seconds", "")))} s</td><td class="status">{status}{error}</td>'
                f"<td>{' · '.join(links)}</td></tr>"
            )
        for skip in run.get("skipped", []):
            rows.append(
                f'<tr class="skipped"><td>{e(str(skip.get("report", "")))}</td><td></td><td></td>'
                f'<td class="status">skipped<div class="note">{e(str(skip.get("reason", "")))}'
                "</div></td><td></td></tr>"
            )
        notes = "".join(f'<p class="note">{e(n)}</p>' for n in run.get("notes", []))
        each = f" — one report per {e(run['each'])}" if run.get("each") else ""
        sections.append(
            f"<section><h2>{e(_when(run.get('started', '')))}"
            f'<span class="run {e(run.get("status", ""))}">{e(run.get("status", ""))}</span></h2>'
            f'<p class="meta">Run <code>{e(run.get("run_id", ""))}</code>, engagement '
            f"{e(str(run.get('engagement', '')))}{each}; {run.get('reports', 0)} report{'' if run.get('reports', 0) == 1 else 's'}, "
            f"{run.get('failed', 0)} failed"
            + (f", {len(run['skipped'])} skipped" if run.get("skipped") else "")
            + f".</p>{notes}"
            "<table><thead><tr><th>Report</th><th>Parameters</th><th>Took</th><th>Status</th>"
            f"<th>Open</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
        )
    body = "\n".join(sections) or "<p>No report runs yet.</p>"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reports</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.15rem; margin: 2rem 0 .3rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .92rem; }}
th, td {{ text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }}
.meta, .note {{ color: #555; margin: .2rem 0 .6rem; }}
.run {{ font-size: .8rem; margin-left: .6rem; padding: .1rem .4rem; border-radius: 3px; background: #eee; }}
.run.failed, tr.failed .status {{ color: #a00; }} .run.ok {{ color: #064; }}
.error {{ color: #a00; font-size: .85rem; margin-top: .2rem; }}
</style></head>
<body><h1>Reports</h1>
<p class="meta">Every report run, newest first. Each report opens offline in any browser.</p>
{body}
</body></html>
"""
    index = out / "index.html"
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(index, page)
    return index


def _when(iso: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment.day} {moment:%B %Y, %H:%M:%S} UTC"
