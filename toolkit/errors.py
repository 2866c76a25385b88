"""The toolkit's exceptions: every error a user can act on is a ToolkitError.

The command line prints a ToolkitError's message and exits 1, with no traceback;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ToolkitError", "DataValidationError", "StoreError", "ReportError"]


class ToolkitError(Exception):
    """A problem the user can fix; its message says where, what and how."""


class DataValidationError(ToolkitError, ValueError):
    """Input data or an argument is invalid. Nothing was changed."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class StoreError(ToolkitError):
    """The engagement folder or its store cannot be used as asked."""


class ReportError(ToolkitError):
    """A report could not be run or written."""
