"""Drafts kept in the planner's own browser: nothing typed is lost to a reload or a closed page.

:class:`DraftKeeper` is a small widget (anywidget; its JavaScript is in this module, so
nothing is fetched from anywhere) that keeps each tab's unsaved entry and the tab shown in
the browser's ``localStorage``, under a key naming the engagement. Storage is per browser:
one planner's draft never appears in another's page, and the server keeps none of it.
While a draft is unsaved the browser asks before leaving the page (``beforeunload``).

When the page opens the widget sends what the browser kept (``restored``); the page puts
it back into the forms, then tells the widget every change (``state``), which the browser
writes down at once.

On a team's server (``forms --team``) the key also names the signed-in planner, so a
draft one planner left in a shared browser never appears for another. The page learns
the planner only once the browser shows it (a warm kernel builds the page before anyone
asks for it): the widget starts with no key, says it is shown (``opened``), and reads
the browser's storage when the page sets the planner's key (:func:`draft_keeper`).
"""

from __future__ import annotations

import hashlib

import anywidget
import traitlets

__all__ = ["DraftKeeper", "draft_keeper", "storage_key"]

_ESM = """
function render({ model, el }) {
  el.style.display = "none";
  const load = () => {
    const key = model.get("key");
    if (!key) {
      model.set("opened", Date.now());
      model.save_changes();
      return;
    }
    let kept = {};
    try {
      kept = JSON.parse(window.localStorage.getItem(key) || "{}") || {};
    } catch (err) {
      kept = {};
    }
    model.set("restored", { ...kept, _at: Date.now() });
    model.save_changes();
  };
  load();
  model.on("change:key", load);
  const write = () => {
    const key = model.get("key");
    if (!key) {
      return;
    }
    const state = model.get("state") || {};
    try {
      const drafts = state.drafts || {};
      if (Object.keys(drafts).length || state.tab) {
        window.localStorage.setItem(key, JSON.stringify(state));
      } else {
        window.localStorage.removeItem(key);
      }
    } catch (err) {
      /* storage full or refused: the page still works, without drafts */
    }
  };
  model.on("change:state", write);
  const warn = (event) => {
    const drafts = (model.get("state") || {}).drafts || {};
    if (Object.keys(drafts).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  };
  window.addEventListener("beforeunload", warn);
  return () => {
    model.off("change:key", load);
    model.off("change:state", write);
    window.removeEventListener("beforeunload", warn);
  };
}
export default { render };
"""


def storage_key(engagement, planner: str | None = None) -> str:
    """The browser storage key of one engagement's drafts (its folder, hashed), and of
    one planner's on a team's server.
    """
    digest = hashlib.sha256(str(engagement.path.resolve()).encode()).hexdigest()[:16]
    key = f"service-toolkit-forms:{engagement.name}:{digest}"
    return key if planner is None else f"{key}:planner:{planner}"


class DraftKeeper(anywidget.AnyWidget):
    """The page's link to the browser's storage of drafts.

    ``key``: where the browser keeps them; ``state``: ``{"tab": int, "drafts": {form:
    {field: value}}}`` as the page has it now (the browser stores each change);
    ``restored``: what the browser had kept when the page opened.
    """

    _esm = _ESM
    key = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Dict({}).tag(sync=True)
    restored = traitlets.Dict({}).tag(sync=True)
    opened = traitlets.Float(0).tag(sync=True)


def draft_keeper(engagement) -> tuple[DraftKeeper, list]:
    """The page's :class:`DraftKeeper`, and the widgets saying who is signed in.

    On one machine: the engagement's key, and no widgets. On a team's server: no key
    until the browser shows the page; then the signed-in planner's key, and a line
    naming them with a way to sign out (none if the page does not know who they are:
    then no draft is kept, and a save says to reload).
    """
    import html

    import ipywidgets as w

    from toolkit.forms.planner import current_planner, on_team_server

    if not on_team_server():
        return DraftKeeper(key=storage_key(engagement)), []
    keeper = DraftKeeper(key="")
    line = w.HTML("")
    line.add_class("tk-signed-in")

    def shown(_change) -> None:
        try:
            planner = current_planner()
        except Exception:  # the page's planner is unknown: no drafts, saves refused
            return
        line.value = (
            f"<div class='tk-signed-in'>Signed in as <strong>{html.escape(planner)}</strong> "
            "· <form method='post' action='logout' style='display: inline'>"
            "<button type='submit' style='border: 0; padding: 0; background: none; "
            "font: inherit; color: #1f5fbf; text-decoration: underline; cursor: pointer'>"
            "Sign out</button></form></div>"
        )
        keeper.key = storage_key(engagement, planner)

    keeper.observe(shown, names="opened")
    return keeper, [line]
