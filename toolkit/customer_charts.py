"""Moved to :mod:`toolkit.charts.customers`; this name keeps working (the same module object)."""

import sys

import toolkit.charts.customers  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.charts.customers"]
