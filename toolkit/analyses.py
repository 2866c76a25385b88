"""Moved to :mod:`toolkit.catalog`; this name keeps working (the same module object)."""

import sys

import toolkit.catalog  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.catalog"]
