"""Moved to :mod:`toolkit.reports.satisfaction`; this name keeps working (the same module object)."""

import sys

import toolkit.reports.satisfaction  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.reports.satisfaction"]
