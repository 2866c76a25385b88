"""Moved to :mod:`toolkit.charts.satisfaction`; this name keeps working (the same module object)."""

import sys

import toolkit.charts.satisfaction  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.charts.satisfaction"]
