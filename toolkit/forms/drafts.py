"""Drafts kept in the planner's own browser: nothing typed is lost to a reload or a closed page.

:class:`DraftKeeper` is a small widget (anywidget; its JavaScript is in this module, so
nothing is fetched from anywhere) that keeps each tab's unsaved entry and the tab shown in
the browser's ``localStorage``, under a key naming the engagement. Storage is per browser:
one planner's draft never appears in another's page, and the server keeps none of it.
While a draft is unsaved the browser asks before leaving the page (``beforeunload``).

When the page opens the widget sends what the browser kept (``restored``); the page puts
it back into the forms, then tells the widget every change (``state``), which the browser
writes down at once.
"""

from __future__ import annotations

import hashlib

import anywidget
import traitlets

__all__ = ["DraftKeeper", "storage_key"]

_ESM = """
function render({ model, el }) {
  const key = model.get("key");
  el.style.display = "none";
  let kept = {};
  try {
    kept = JSON.parse(window.localStorage.getItem(key) || "{}") || {};
  } catch (err) {
    kept = {};
  }
  model.set("restored", { ...kept, _at: Date.now() });
  model.save_changes();
  const write = () => {
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
    model.off("change:state", write);
    window.removeEventListener("beforeunload", warn);
  };
}
export default { render };
"""


def storage_key(engagement) -> str:
    """The browser storage key of one engagement's drafts (its folder, hashed)."""
    digest = hashlib.sha256(str(engagement.path.resolve()).encode()).hexdigest()[:16]
    return f"service-toolkit-forms:{engagement.name}:{digest}"


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
