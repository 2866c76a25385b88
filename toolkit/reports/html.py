"""An executed report notebook as one self-contained, offline HTML file (:func:`export_html`).

The template ``templates/report/`` (extending nbconvert's ``lab``) drops code and
prompts, inlines Vega once and puts the first screen above the report.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Mapping
from pathlib import Path

from toolkit._files import write_atomic


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _template_dir() -> Path:
    from toolkit._resources import resource_dir

    return resource_dir("templates")


def export_html(nb, path: str | os.PathLike) -> Path:
    """Write an executed report notebook as one self-contained, offline HTML file.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed report notebook (papermill's output).
    path : str or path-like
        The ``.html`` file to write.

    Returns
    -------
    Path

    Notes
    -----
    Code, prompts, the parameters cells and empty code cells are left out; the
    notebook's ``# title`` becomes the first screen's heading, and its header table
    (from :meth:`toolkit.reports.context.ReportContext.header`) becomes the first screen. Every
    value on the first screen is HTML-escaped here; the notebook's own outputs escape
    data text where they are made (:func:`toolkit.reports.context.md_escape`, ``Table``).
    """
    import copy

    from nbconvert import HTMLExporter

    from toolkit.charts._vega_bundle import vega_script

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    info = dict(nb.metadata.get("service_toolkit") or {})
    header = None
    cells = []
    title = info.get("title")
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & {"parameters", "injected-parameters", "remove_cell", "papermill-error-cell-tag"}:
            continue
        if cell.cell_type == "code":
            kept = []
            for output in cell.get("outputs", []):
                meta = _toolkit_metadata(output)
                if "header" in meta and header is None:
                    header = meta["header"]
                    continue
                kept.append(output)
            cell.outputs = kept
            if not kept:
                continue
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            if lines and lines[0].startswith("# ") and not cells:
                title = title or lines[0][2:].strip()
                cell.source = "\n".join(lines[1:]).strip()
                if not cell.source:
                    continue
            if cell.source.lstrip().startswith("## "):
                cell.metadata["tags"] = sorted(tags | {"tk-section"})
        cells.append(cell)
    nb.cells = cells
    title = title or info.get("report") or "Report"
    nb.metadata["title"] = _plain_title(title, info)
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(_template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "tk_vega_script": vega_script(),
        "tk_cover": _cover_html(title, info, header),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    path = Path(path)
    write_atomic(path, body)
    return path


def _toolkit_metadata(output: Mapping) -> dict:
    """An output's ``service_toolkit`` metadata (IPython files it under the mimetype)."""
    metadata = output.get("metadata", {}) or {}
    found = metadata.get("service_toolkit")
    if found is None:
        for value in metadata.values():
            if isinstance(value, Mapping) and "service_toolkit" in value:
                found = value["service_toolkit"]
                break
    return dict(found or {})


def _plain_title(title: str, info: Mapping) -> str:
    value = info.get("value")
    return f"{title}: {value}" if value is not None else title


def _cover_html(title: str, info: Mapping, header: Mapping | None) -> str:
    """The first screen: what, for whom, from which data, when, with which settings."""
    from toolkit import __version__

    e = html.escape
    header = dict(header or {})
    value = info.get("value")
    facts: list[tuple[str, str]] = [("Report", e(str(info.get("report") or "")))]
    engagement = (
        header.get("engagement") or Path(str(info.get("parameters", {}).get("engagement", ""))).name
    )
    facts.append(
        ("Engagement", e(str(engagement)) + (" (demo data)" if header.get("demo") else ""))
    )
    if header.get("organisation"):
        facts.append(("Organisation", e(str(header["organisation"]))))
    facts.append(
        ("Customers included", e(str(header.get("customers_included") or _subset_text(info))))
    )
    params = header.get("parameters")
    if params is None:
        params = {
            k: v
            for k, v in (info.get("parameters") or {}).items()
            if k not in ("engagement", "subset", "interactive")
        }
    items = "".join(f"<li><code>{e(str(k))}</code> = {e(str(v))}</li>" for k, v in params.items())
    facts.append(("Parameters", f"<ul>{items}</ul>" if items else "defaults"))
    facts.append(
        ("Data fingerprint", f"<code>{e(str(header.get('fingerprint') or 'not recorded'))}</code>")
    )
    facts.append(("Toolkit version", e(str(header.get("toolkit_version") or __version__))))
    facts.append(
        ("Run at", e(str(header.get("run_at_text") or header.get("run_at") or _now_iso())))
    )
    if info.get("run_id"):
        facts.append(("Run", f"<code>{e(str(info['run_id']))}</code>"))
    if info.get("include_personal") or header.get("include_personal"):
        facts.append(("Personal data", "<strong>included</strong> (run with --include-personal)"))
    rows = "\n".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    organisation = header.get("organisation")
    min_n = header.get("min_n")
    suppressed = (
        f"Groups with fewer than {e(str(min_n))} people are suppressed: their numbers are not "
        "shown and the tables say so. This protects the people in them, and so few answers say "
        "little about a group."
        if min_n
        else "Groups below the engagement's minimum size are suppressed, and the tables say so."
    )
    demo = (
        '<p class="tk-demo">Sample data: the toolkit\'s bundled demo engagement, not real answers.</p>'
        if header.get("demo")
        else ""
    )
    subtitle = f' <span class="tk-value">{e(str(value))}</span>' if value is not None else ""
    return f"""<header class="tk-cover" aria-label="About this report">
<p class="tk-kicker">{e(str(organisation or engagement))}</p>
<h1 class="tk-title">{e(title)}{subtitle}</h1>
{demo}
<dl class="tk-facts">
{rows}
</dl>
<p class="tk-suppressed">{suppressed}</p>
</header>"""


def _subset_text(info: Mapping) -> str:
    subset = (info.get("parameters") or {}).get("subset") or {}
    if not subset:
        return "everyone"
    return "; ".join(f"{k} = {v}" for k, v in subset.items())
