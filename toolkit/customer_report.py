"""Moved to :mod:`toolkit.reports.customers`; this name keeps working (the same module object)."""

import sys

import toolkit.reports.customers  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.reports.customers"]
