"""Planner forms: ipywidgets tabs served by Voilà (``service-toolkit forms PATH``).

:mod:`toolkit.forms.records`
    What each form asks for and how typed values become records (no widgets).
:mod:`toolkit.forms.app`
    The widgets: one :class:`~toolkit.forms.app.EntryForm` per tab, the coding tab, and
    :func:`~toolkit.forms.app.forms_app`, the whole page.
:mod:`toolkit.forms.wizard`
    The survey import wizard.
:mod:`toolkit.forms.serve`
    Serving ``notebooks/forms.ipynb`` with Voilà on 127.0.0.1.

Importing this package loads no widgets; :func:`forms_app` does.
"""

from __future__ import annotations

__all__ = ["forms_app"]


def forms_app(engagement=None):
    """The planner page (see :func:`toolkit.forms.app.forms_app`)."""
    from toolkit.forms.app import forms_app as build

    return build(engagement)
