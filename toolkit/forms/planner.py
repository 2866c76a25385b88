"""Who is using this forms page: the signed-in planner on a team's server, else no one.

On a team's server (``service-toolkit forms --team``) the server writes, beside the
connection file of the kernel a page is given, the name of the planner who signed in
and asked for that page (:func:`toolkit.forms.signin.note_planner`). The kernel reads it
here, only when it needs it (when the page opens in the browser, and at each save): a
warm kernel runs the forms before anyone asks for a page.

Elsewhere (the forms on one machine, or in JupyterLab) there is no planner: entries are
recorded as saved by this machine's user (:meth:`toolkit.store.Engagement.save_entry`).
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import DataValidationError
from toolkit.forms.accounts import session_stamp
from toolkit.forms.serve import TEAM_ENV

__all__ = ["current_planner", "guard_writes", "on_team_server"]


def on_team_server() -> bool:
    """Whether this kernel serves a page of a team's forms server (sign-in required)."""
    return os.environ.get(TEAM_ENV) == "1"


def _planner_file() -> Path | None:
    try:
        from ipykernel.connect import get_connection_file

        return Path(get_connection_file()).with_suffix(".planner")
    except Exception:  # not in a kernel (a script, a test)
        return None


def current_planner(engagement=None) -> str | None:
    """The planner this page belongs to; None when the forms do not ask anyone to sign in.

    With ``engagement``, the planner must still have an account there, with the
    password they signed in with: a page left open by a planner whose account was
    removed, or whose password was reset, saves nothing more.

    Raises
    ------
    DataValidationError
        On a team's server, when the page's planner is not known (the page was opened
        in a way the server did not see), or no longer has an account: nothing may be
        saved under no name.
    """
    if not on_team_server():
        return None
    path = _planner_file()
    try:
        noted = path.read_text(encoding="utf-8").split() if path else []
    except OSError:
        noted = []
    name, stamp = (noted + ["", ""])[:2]
    if not name:
        raise DataValidationError(
            "This page does not know who you are. Reload it (sign in again if asked)."
        )
    if engagement is None:
        return name
    stored = engagement.planner_hash(name)
    if stored is None:
        raise DataValidationError(
            f"{name} no longer has an account for these forms. Ask the person who runs them."
        )
    if session_stamp(stored) != stamp:
        raise DataValidationError(
            f"The password of {name} was changed after this page was opened, so nothing "
            "more can be saved from it. Reload the page and sign in with the new password."
        )
    return name


def guard_writes(engagement) -> None:
    """On a team's server, every write the page makes to ``engagement`` (a save, a
    delete, a coding, an import, a group mapped) first checks the page's planner
    (:func:`current_planner`): a page whose planner is unknown or removed changes nothing.
    The one guard: the store calls it before each write transaction
    (:attr:`toolkit.store.Engagement.write_guard`).
    """
    if on_team_server():
        engagement.write_guard = lambda: current_planner(engagement)
