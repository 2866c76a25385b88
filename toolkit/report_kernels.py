"""Moved to :mod:`toolkit.reports.kernels`; this name keeps working (the same module object)."""

import sys

import toolkit.reports.kernels  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.reports.kernels"]
