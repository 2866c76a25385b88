"""Service Strategy Toolkit: measure what customers need instead of assuming it.

Heavy modules load on first use, so ``import toolkit`` and ``service-toolkit --help``
stay quick.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

# Altair imports jsonschema, which compiles the 38 grammars of the optional rfc3987-syntax
# package at import when it is installed (Jupyter's event schemas pull it in): about 1.3 s
# of every kernel's 2 s "import altair", for an "iri" format check Altair never uses.
# Marking it absent makes jsonschema skip that one format checker. SERVICE_TOOLKIT_KEEP_RFC3987=1
# keeps it.
if "rfc3987_syntax" not in sys.modules and not __import__("os").environ.get(
    "SERVICE_TOOLKIT_KEEP_RFC3987"
):
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

from toolkit.errors import DataValidationError, ReportError, StoreError, ToolkitError

try:
    __version__ = version("service-strategy-toolkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Engagement",
    "ToolkitError",
    "DataValidationError",
    "StoreError",
    "ReportError",
    "__version__",
]

_LAZY = {"Engagement": "toolkit.store"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
