"""Process-wide settings for the processes the toolkit itself starts.

Importing ``toolkit`` changes nothing outside the toolkit: a host program (a notebook, a
web app, a test run) keeps every other package as it loaded it. Only processes the
toolkit starts and owns call :func:`skip_unused_rfc3987` at their entry: the CLI
(``service-toolkit``), the report kernels' template (``python -m toolkit.reports.kernels``),
the forms server (``python -m toolkit.forms.voila_app``) and the forms kernels it starts.
"""

from __future__ import annotations

import os
import sys

__all__ = ["KEEP_RFC3987_ENV", "skip_unused_rfc3987"]

KEEP_RFC3987_ENV = "SERVICE_TOOLKIT_KEEP_RFC3987"
"""Set to ``1`` to keep the rfc3987-syntax package importable in the toolkit's processes."""


def skip_unused_rfc3987() -> bool:
    """Mark the optional ``rfc3987_syntax`` package absent in this process.

    Altair imports jsonschema, which compiles the 38 grammars of rfc3987-syntax at import
    when that package is installed (Jupyter's event schemas pull it in): about 1.3 s of a
    kernel's 2 s ``import altair``, for an "iri" format check Altair never uses. Marking
    it absent makes jsonschema skip that one format checker.

    Call it first thing in a process the toolkit starts, before anything imports Altair
    or jsonschema; never on ``import toolkit``. It does nothing when the package is
    already imported or when ``SERVICE_TOOLKIT_KEEP_RFC3987=1`` is set.

    Returns
    -------
    bool
        True when the package is now marked absent in this process.
    """
    if os.environ.get(KEEP_RFC3987_ENV, "") not in ("", "0"):
        return False
    if "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    return sys.modules["rfc3987_syntax"] is None
