"""Getting data in: templates, survey tools' exports and import maps.

:func:`reader` gives the function that reads a format ``import --source`` names into a
:class:`~toolkit.sources.survey.SurveyTable` (imported only when asked for, so that
``service-toolkit --help`` stays quick).
"""

from __future__ import annotations

import importlib

__all__ = ["reader", "READER_NAMES"]

#: Each format and the module.function that reads it.
READER_NAMES = {
    "qualtrics": "qualtrics.read_qualtrics",
    "surveymonkey": "surveymonkey.read_surveymonkey",
    "google-forms": "google_forms.read_google_forms",
    "ms-forms": "ms_forms.read_ms_forms",
    "kobo": "kobo.read_kobo",
    "csv": "plain.read_plain",
    "xlsx": "plain.read_plain",
}


def reader(fmt: str):
    """The function reading format ``fmt`` (a key of ``READER_NAMES``)."""
    module, function = READER_NAMES[fmt].split(".")
    return getattr(importlib.import_module(f"toolkit.sources.{module}"), function)
