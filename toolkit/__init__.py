"""Service Strategy Toolkit: measure what customers need instead of assuming it.

Heavy modules load on first use, so ``import toolkit`` and ``service-toolkit --help``
stay quick. Importing the toolkit changes no other package's modules; the processes the
toolkit starts itself set themselves up in :mod:`toolkit._startup`.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

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
