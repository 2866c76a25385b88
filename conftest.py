"""Collection rules for the whole repository (tests/conftest.py holds the fixtures)."""

from toolkit._compat import ALIASES

# An old module name is the new module itself (see toolkit/_compat.py): collecting its
# file for doctests would collect the new module a second time under another path.
collect_ignore = [name.replace(".", "/") + ".py" for name in ALIASES]
