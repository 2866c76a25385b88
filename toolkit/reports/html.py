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
    A notebook with a page for customers (the "you said, we did" page,
    :func:`toolkit.reports.you_said.standalone_page`) is written as that page alone.
    Otherwise code, prompts, the parameters cells and empty code cells are left out; the
    notebook's ``# title`` becomes the first screen's heading, and its context line
    (:meth:`toolkit.reports.context.ReportContext.context_line`) the line under it; the
    *About this report* table (:meth:`~toolkit.reports.context.ReportContext.about`) becomes
    the report's own, with the run's id (at the end, when the notebook shows none). Every
    value on the first screen is HTML-escaped here; the notebook's own outputs escape
    data text where they are made (:func:`toolkit.reports.context.md_escape`, ``Table``).
    """
    import copy

    if page_output(nb) is not None:  # a page for customers is the whole file, nothing else
        # Imported only then: the page's module brings the statistics (SciPy) with it,
        # about a second of CPU this process would spend on every other report.
        from toolkit.reports.you_said import standalone_page

        write_atomic(Path(path), standalone_page(nb))
        return Path(path)

    from nbconvert import HTMLExporter

    from toolkit.charts._vega_bundle import vega_script

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    info = dict(nb.metadata.get("service_toolkit") or {})
    header = _first_header(nb)
    about_placed = False
    cells = []
    title = info.get("title")
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & {"parameters", "injected-parameters", "remove_cell", "papermill-error-cell-tag"}:
            continue
        if cell.cell_type == "code":
            kept, placed = _report_outputs(cell, info, header)
            about_placed = about_placed or placed
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
        "tk_about": "" if about_placed else _about_section(info, header),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    path = Path(path)
    write_atomic(path, body)
    return path


def _report_outputs(cell, info: Mapping, header: Mapping | None) -> tuple[list, bool]:
    """A code cell's outputs for the report: the context line dropped (it is the cover),
    the *About* table replaced by the report's own; and whether that table was there.
    """
    kept, placed = [], False
    for output in cell.get("outputs", []):
        meta = _toolkit_metadata(output)
        if "header" in meta:
            continue
        if "about" in meta:
            kept.append(_html_output(_about_html(info, meta["about"] or header)))
            placed = True
            continue
        kept.append(output)
    return kept, placed


def page_output(nb) -> Mapping | None:
    """The output of an executed notebook holding a page for customers (its
    ``service_toolkit`` metadata names a ``page``), or None.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            if "page" in _toolkit_metadata(output):
                return output
    return None


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


def _first_header(nb) -> dict | None:
    """The report's facts from its context line (or old header table), if any."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            meta = _toolkit_metadata(output)
            if "header" in meta:
                return meta["header"]
    return None


def _html_output(text: str):
    from nbformat.v4 import new_output

    return new_output("display_data", data={"text/html": text})


def _cover_html(title: str, info: Mapping, header: Mapping | None) -> str:
    """The first screen's top: the title and one line naming the engagement, data and date.

    Parameters and the other run details are in *About this report* at the end
    (:func:`_about_html`); the findings follow the cover.
    """
    e = html.escape
    header = dict(header or {})
    value = info.get("value")
    engagement = header.get("engagement") or _engagement_name(info)
    organisation = header.get("organisation") or engagement
    parts = [f"engagement {e(str(engagement))}" + (" (demo data)" if header.get("demo") else "")]
    parts.append(
        f"data fingerprint <code>{e(str(header.get('fingerprint') or 'not recorded'))}</code>"
    )
    parts.append(e(str(header.get("run_date") or header.get("run_at_text") or _now_iso()[:10])))
    demo = (
        '<p class="tk-demo">Sample data: the toolkit\'s bundled demo engagement, not real answers.</p>'
        if header.get("demo")
        else ""
    )
    subtitle = f' <span class="tk-value">{e(str(value))}</span>' if value is not None else ""
    return f"""<header class="tk-cover" aria-label="Report">
<p class="tk-kicker">{e(str(organisation))}</p>
<h1 class="tk-title">{e(title)}{subtitle}</h1>
<p class="tk-context">{" · ".join(parts)}. <a href="#About-this-report">About this report</a></p>
{demo}
</header>"""


def _engagement_name(info: Mapping) -> str:
    return Path(str((info.get("parameters") or {}).get("engagement", ""))).name


def _about_section(info: Mapping, header: Mapping | None) -> str:
    """*About this report* with its heading, for a notebook that does not show one itself."""
    return (
        '<section class="tk-about-section"><h2 id="About-this-report">About this report</h2>\n'
        + _about_html(info, header)
        + "</section>"
    )


def _about_html(info: Mapping, header: Mapping | None) -> str:
    """What, for whom, from which data, when, with which settings: the report's end."""
    from toolkit import __version__

    e = html.escape
    header = dict(header or {})
    facts: list[tuple[str, str]] = [("Report", e(str(info.get("report") or "")))]
    engagement = header.get("engagement") or _engagement_name(info)
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
        from toolkit.reports.context import plain_value

        params = {
            k: plain_value(v)
            for k, v in (info.get("parameters") or {}).items()
            if k not in ("engagement", "subset", "interactive")
        }
    items = "".join(
        f"<li>{e(str(k).replace('_', ' '))}: {e(str(v))}</li>" for k, v in params.items()
    )
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
    min_n = header.get("min_n")
    suppressed = (
        f"Groups with fewer than {e(str(min_n))} people are suppressed: their numbers are not "
        "shown and the tables say so. This protects the people in them, and so few answers say "
        "little about a group."
        if min_n
        else "Groups below the engagement's minimum size are suppressed, and the tables say so."
    )
    return f"""<div class="tk-about" aria-label="About this report">
<dl class="tk-facts">
{rows}
</dl>
<p class="tk-suppressed">{suppressed}</p>
</div>"""


def _subset_text(info: Mapping) -> str:
    subset = (info.get("parameters") or {}).get("subset") or {}
    if not subset:
        return "everyone"
    return "; ".join(f"{k} = {v}" for k, v in subset.items())
