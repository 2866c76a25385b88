"""Getting data in: templates, survey tools' exports and import maps.

:mod:`toolkit.sources.registry` holds the survey tools (:data:`TOOLS`): each one's
reader, detection rule and aliases; :func:`register_tool` adds one. :func:`reader` gives
the function that reads a format ``import --source`` names into a
:class:`~toolkit.sources.survey.SurveyTable` (imported only when asked for, so that
``service-toolkit --help`` stays quick).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from toolkit.sources.registry import TOOLS, Tool, register_tool, resolve, unregister_tool

__all__ = ["reader", "READER_NAMES", "TOOLS", "Tool", "register_tool", "unregister_tool"]


class _ReaderNames(Mapping):
    """Each format and the ``module:function`` (or function) that reads it (a live view)."""

    def __getitem__(self, name: str):
        return TOOLS[name].reader

    def __iter__(self) -> Iterator[str]:
        return iter(TOOLS)

    def __len__(self) -> int:
        return len(TOOLS)


#: Each format and the function that reads it, from the registry.
READER_NAMES: Mapping = _ReaderNames()


def reader(fmt: str):
    """The function reading format ``fmt`` (a name in :data:`TOOLS`)."""
    return resolve(TOOLS[fmt].reader)
