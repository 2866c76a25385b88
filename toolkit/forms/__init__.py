"""Planner forms: ipywidgets tabs served by Voilà (``service-toolkit forms PATH``).

:mod:`toolkit.forms.records`
    What each form asks for and how typed values become records (no widgets).
:mod:`toolkit.forms.app`
    The widgets: one :class:`~toolkit.forms.app.EntryForm` per tab, the coding tab, and
    :func:`~toolkit.forms.app.forms_app`, the whole page.
:mod:`toolkit.forms.loop_tabs`
    The actions tab (the need picked by its label) and the outreach tab (who has answered
    beside it).
:mod:`toolkit.forms.wizard`
    The survey import wizard.
:mod:`toolkit.forms.serve`
    Serving ``notebooks/forms.ipynb`` with Voilà on 127.0.0.1: the token, the command line,
    stopping it with its kernels.
:mod:`toolkit.forms.voila_app`
    The Voilà application it runs: Host and Origin checked on every request, the token,
    the cap on open pages, a closed page's kernel shut down.

Importing this package loads no widgets; :func:`forms_app` does.
"""

from __future__ import annotations

__all__ = ["forms_app"]


def forms_app(engagement=None):
    """The planner page (see :func:`toolkit.forms.app.forms_app`).

    ``service-toolkit forms`` has Voilà keep a warm kernel ready (``--preheat_kernel``):
    the slow part, loading pandas, ipywidgets, Altair and the store, runs before anyone
    opens the page; the page itself is built when a planner opens it, from the store as
    it is then (Voilà's ``wait_for_request``). Outside such a kernel nothing waits.
    """
    import os

    from toolkit._startup import skip_unused_rfc3987
    from toolkit.forms.serve import ENGAGEMENT_ENV

    if os.environ.get(ENGAGEMENT_ENV):  # a kernel Voilà started for service-toolkit forms
        skip_unused_rfc3987()
    from toolkit.charts.theme import enable_charts
    from toolkit.forms import app, coding, wizard  # noqa: F401 - loaded while the kernel is warm

    enable_charts(interactive=True)
    if os.environ.get("VOILA_PREHEAT", "False") != "False":
        from toolkit.charts.drawing import vega

        vega("vegalite_to_svg", {"mark": "point"})  # start its JavaScript engine now
        # What the tabs built on first open need (the coding tab's queue reads through
        # the catalog, which loads SciPy: about a second): loaded now, not while a planner
        # waits for the tab.
        from voila.utils import wait_for_request

        from toolkit import catalog  # noqa: F401

        wait_for_request()
    return app.forms_app(engagement)
