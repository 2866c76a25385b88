"""Moved to :mod:`toolkit.schema.checks`; this name keeps working (the same module object)."""

import sys

import toolkit.schema.checks  # noqa: F401 - loads the module this name stands for

sys.modules[__name__] = sys.modules["toolkit.schema.checks"]
