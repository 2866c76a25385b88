"""Moved to :mod:`toolkit.charts.theme`; this name keeps working (the same module object)."""

import sys

import toolkit.charts.theme  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.charts.theme"]
