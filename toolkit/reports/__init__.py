"""Report runs: notebooks run by papermill into offline HTML.

:mod:`toolkit.reports.runner`
    Planning and running report notebooks (papermill, ``--each``, ``--jobs``).
:mod:`toolkit.reports.parameters`
    A notebook's declared parameters, checked before any kernel starts.
:mod:`toolkit.reports.html`, :mod:`toolkit.reports.index`
    The offline HTML of one report; the index of every run.
:mod:`toolkit.reports.export`
    A report as PDF (Chromium's print) and as slides (python-pptx): ``--format``.
:mod:`toolkit.reports.kernels`
    Fresh kernels forked from a pre-imported template.
:mod:`toolkit.reports.context`
    What every report notebook calls: opening an engagement, its tables, the first screen.
:mod:`toolkit.reports.needs`, :mod:`~toolkit.reports.customers`, :mod:`~toolkit.reports.satisfaction`
    Each report's words.
:mod:`toolkit.reports.you_said`, :mod:`toolkit.reports.strings`
    The "you said, we did" page for customers, and its fixed words per language.

``run_reports`` and ``run_report`` (and the other public names of the runner) are
re-exported here: ``from toolkit.reports import run_reports``.
"""

from toolkit.reports import runner  # standard library only: cheap to load
from toolkit.reports.runner import *  # noqa: F403 - the names runner.__all__ lists

__all__ = list(runner.__all__)
