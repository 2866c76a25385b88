"""Report runs: notebooks run by papermill into offline HTML.

:mod:`toolkit.reports.runner`
    Parameters, running notebooks, the HTML export and the index of runs.
:mod:`toolkit.reports.kernels`
    Fresh kernels forked from a pre-imported template.
:mod:`toolkit.reports.context`
    What every report notebook calls: opening an engagement, its tables, the first screen.
:mod:`toolkit.reports.needs`, :mod:`~toolkit.reports.customers`, :mod:`~toolkit.reports.satisfaction`
    Each report's words.

``run_reports`` and ``run_report`` (and the other public names of the runner) are
re-exported here: ``from toolkit.reports import run_reports``.
"""

from toolkit._lazy import lazy_exports

_HOMES = {
    name: "toolkit.reports.runner"
    for name in (
        "REPORTS",
        "REPORT_TABLES",
        "Parameter",
        "Report",
        "ReportResult",
        "ReportRun",
        "export_html",
        "notebook_parameters",
        "report_named",
        "run_report",
        "run_reports",
        "value_slug",
        "write_index",
    )
}
__all__ = list(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
