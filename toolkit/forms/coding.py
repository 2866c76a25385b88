"""The "Code the needs" tab, and the live count of needs the forms page shows.

:func:`coding_queue` lists the statements waiting for a person (no code matched, or an
automatic code to check); :class:`CodingTab` shows them one at a time and files each
through the store (:meth:`toolkit.store.Engagement.set_codes`, undone with
``restore_codes``); :func:`need_share` gives the headline share a filing changes.
"""

from __future__ import annotations

import asyncio
import functools
import html

import altair as alt
import ipywidgets as w
import pandas as pd

from toolkit.errors import DataValidationError
from toolkit.store import Engagement

__all__ = [
    "CodingTab",
    "coding_queue",
    "need_share",
    "share_change_words",
    "needs_by_segment",
    "needs_by_segment_chart",
]


def needs_by_segment(engagement: Engagement) -> pd.DataFrame:
    """Needs recorded per customer group: ``segment``, ``list`` (staff/customers), ``n``.

    Counted in SQL (:meth:`toolkit.store.Engagement.segment_counts`): no table is read.
    """
    counts = engagement.segment_counts(["assumed_needs", "stated_needs"])
    who = {"assumed_needs": "Staff assumed", "stated_needs": "Customers stated"}
    out = pd.DataFrame(
        {
            "segment": counts["segment"].fillna("(no group)").astype(str),
            "n": counts["n"].astype(int),
            "list": counts["table"].map(who),
        }
    )
    out = out.groupby(["list", "segment"], sort=False, as_index=False)["n"].sum()
    return out.sort_values(["list", "n"], ascending=[False, False], kind="stable")[
        ["segment", "n", "list"]
    ].reset_index(drop=True)


def needs_by_segment_chart(engagement: Engagement) -> alt.Chart | None:
    """Bars of the needs recorded per customer group, staff and customers side by side.

    None when no need is recorded yet (an empty chart draws nothing useful).
    """
    data = needs_by_segment(engagement)
    total = int(data["n"].sum())
    if total == 0:
        return None
    biggest = data.groupby("segment")["n"].sum().nlargest(8).index
    left_out = data["segment"].nunique() - len(biggest)
    data = data[data["segment"].isin(biggest)]
    subtitle = f"{total:,} in all, by customer group" + (
        f" (the 8 largest groups; {left_out} more not shown)" if left_out > 0 else ""
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                field="segment",
                type="nominal",
                title=None,
                sort="-x",
                axis=alt.Axis(labelLimit=220),
            ),
            x=alt.X(field="n", type="quantitative", title="Needs recorded"),
            color=alt.Color(
                field="list", type="nominal", title=None, legend=alt.Legend(orient="bottom")
            ),
            yOffset=alt.YOffset(field="list", type="nominal"),
            tooltip=[
                alt.Tooltip(field="segment", type="nominal", title="Customer group"),
                alt.Tooltip(field="list", type="nominal", title="List"),
                alt.Tooltip(field="n", type="quantitative", title="Needs"),
            ],
        )
        .properties(
            width=380,
            height=alt.Step(30),
            title=alt.Title("Needs recorded so far", subtitle=subtitle),
            description=f"Bar chart of {total} needs recorded, by customer group and list.",
        )
    )


# ----------------------------------------------------------------------------- the queue

QUEUE_COLUMNS = [
    "id",
    "list",
    "statement",
    "segments",
    "methods",
    "first_date",
    "last_date",
    "statements",
    "proposed_code",
    "kind",
    "score",
]


def coding_queue(engagement: Engagement) -> pd.DataFrame:
    """Every statement waiting for a person, one row per distinct text of each list.

    Two kinds wait: statements no code matched (``proposed_code`` empty), and automatic
    codes a person should check (the ``coding-review`` rule,
    :func:`toolkit.coding.needs_review`). Filing ``id`` (the first statement saying it,
    ``S12`` or ``A3``) files every statement of its list with the same words.

    Reads only the statements that wait, and of them only what is shown (of 100,000
    statements a keyword matched surely, none).

    Returns
    -------
    DataFrame
        ``id``, ``list`` (customers or staff), ``statement``, ``segments`` and
        ``methods`` (the groups and ways of asking, joined), ``first_date`` and
        ``last_date`` (when it was said), ``statements`` (how many say it),
        ``proposed_code``, ``kind`` (how it was matched), ``score``; the most frequent
        first, statements with no code before codes to check.
    """
    rows = _waiting_rows(engagement)
    if rows.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    key = rows["id"].str[0] + "\x1f" + rows["need"].astype(str)
    grouped = rows.assign(_key=key).groupby("_key", sort=False)
    queue = pd.DataFrame(
        {
            "id": grouped["id"].first(),
            "list": grouped["list"].first(),
            "statement": grouped["need"].first(),
            "segments": _joined(key, rows["segment"]),
            "methods": _joined(key, rows["method"]),
            "first_date": grouped["collected_on"].min(),
            "last_date": grouped["collected_on"].max(),
            "statements": grouped.size(),
            "proposed_code": grouped["code"].first(),
            "kind": grouped["coded_by"].first(),
            "score": grouped["match_score"].first(),
        }
    )
    queue["_checking"] = queue["proposed_code"].notna()
    return queue.sort_values(
        ["statements", "_checking", "statement"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)[QUEUE_COLUMNS]


def _waiting_rows(engagement: Engagement) -> pd.DataFrame:
    """The statements that wait, with their ``id``, ``list`` and the code matched.

    What a person coded never waits, so it is not read: the words of the other
    statements are listed in SQL (:meth:`toolkit.store.Engagement.automatic_needs`) and
    coded once each, as a full read would code them (:func:`toolkit.coding.code_needs`
    codes each distinct text alone); then only the statements with words that wait are
    read, with the few columns the queue shows.
    """
    from toolkit.coding import code_needs, needs_review
    from toolkit.store import CODED_TABLES

    waiting: dict[str, pd.DataFrame] = {}
    with engagement.reading() as con:
        codebook = engagement.table("codebook", con=con)
        for table, words in engagement.automatic_needs(con).items():
            coded = code_needs(pd.DataFrame({"need": pd.Series(words, dtype=object)}), codebook)
            said = coded["need"].notna() & coded["need"].astype(str).str.strip().ne("")
            waiting[table] = coded.loc[(said & coded["code"].isna()) | needs_review(coded)]
        if all(coded.empty for coded in waiting.values()):
            return pd.DataFrame()
        read = engagement.automatic_statements(
            {table: coded["need"].tolist() for table, coded in waiting.items()}, con
        )
    parts = []
    for table, listed in (("stated_needs", "customers"), ("assumed_needs", "staff")):
        found = waiting[table].set_index("need")[["code", "coded_by", "match_score"]]
        rows = read[table].join(found, on="need", how="inner")
        ids = CODED_TABLES[table] + rows["entry"].astype(str)
        if len(rows):  # an empty part would make the ids plain objects, not text
            parts.append(rows.assign(id=ids.to_numpy(), list=listed))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _joined(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per key, its distinct filled values sorted and joined with ", " (one pass in
    Python: a group-by with a Python function per group costs seconds at 100,000 rows).
    """
    pairs = pd.DataFrame({"k": keys, "v": values.fillna("").astype(str)})
    pairs = pairs[pairs["v"] != ""].drop_duplicates().sort_values(["k", "v"])
    out: dict[str, str] = {}
    for k, v in zip(pairs["k"].tolist(), pairs["v"].tolist(), strict=True):
        out[k] = f"{out[k]}, {v}" if k in out else v
    return pd.Series(out, dtype=object).reindex(pd.unique(keys)).fillna("")


# ----------------------------------------------------------------------------- the headline


def need_share(engagement: Engagement, code: str, *, segment: str | None, staff: bool) -> dict:
    """The share of one group naming one need, as the needs-gap headline counts it.

    Reads only that group's statements of one list (narrowed in the store) and runs
    :func:`toolkit.needs.needs_gap` on them: customers' share over respondents (weighted
    where the rows carry weights), staff's over staff members, with the engagement's
    small-group rules (``min_n``, ``min_staff_n``).

    Returns
    -------
    dict
        ``share`` (None when the group is too small to show one), ``n`` (naming it),
        ``total`` (naming any need).
    """
    from toolkit.needs import code_needs, needs_gap

    table = "assumed_needs" if staff else "stated_needs"
    subset = {"segment": segment} if segment else None
    tables = engagement.read_tables(["codebook", table], subset=subset)
    mine = code_needs(tables[table], tables["codebook"])
    none = pd.DataFrame({"staff": pd.Series(dtype=object), "code": pd.Series(dtype=object)})
    assumed, stated = (mine, none) if staff else (none, mine)
    settings = engagement.settings
    gap = needs_gap(
        assumed,
        stated,
        codebook=tables["codebook"],
        min_n=int(settings.get("min_n", 5)),
        min_staff_n=int(settings.get("min_staff_n", 5)),
    )
    side = "staff" if staff else "customer"
    row = gap[gap["code"] == code]
    if row.empty:  # no one names it: its share is 0 of the group's total, if shown
        named = (mine if staff else stated).assign(code=code)
        everyone = needs_gap(
            named if staff else none,
            none if staff else named,
            min_n=int(settings.get("min_n", 5)),
            min_staff_n=int(settings.get("min_staff_n", 5)),
        )
        if everyone.empty:
            return {"share": None, "n": 0, "total": 0}
        share = 0.0 if pd.notna(everyone[f"{side}_share"].iloc[0]) else None
        return {"share": share, "n": 0, "total": int(everyone[f"{side}_total"].iloc[0])}
    share = row[f"{side}_share"].iloc[0]
    return {
        "share": None if pd.isna(share) else float(share),
        "n": int(row[f"{side}_n"].iloc[0]),
        "total": int(row[f"{side}_total"].iloc[0]),
    }


def share_change_words(label: str, before: dict, after: dict, who: str) -> str:
    """``Fresh milk: 37% → 38% of Residents`` (counts when the group is too small).

    >>> share_change_words("Fresh milk", {"share": 0.37, "n": 37, "total": 100},
    ...                    {"share": 0.38, "n": 38, "total": 100}, "Residents")
    'Fresh milk: 37% → 38% of Residents.'
    >>> share_change_words("Fresh milk", {"share": None, "n": 1, "total": 3},
    ...                    {"share": None, "n": 2, "total": 3}, "Board")
    'Fresh milk: 1 → 2 of 3 in Board (too few to show a share).'
    """
    from toolkit._words import fmt_count, pct

    if before["n"] == after["n"] and before["share"] == after["share"]:
        now = (
            pct(after["share"])
            if after["share"] is not None
            else f"{fmt_count(after['n'])} of {fmt_count(after['total'])}"
        )
        return f"{label}: {now} of {who}, unchanged (the code proposed already counted there)."
    if before["share"] is None or after["share"] is None:
        return (
            f"{label}: {fmt_count(before['n'])} → {fmt_count(after['n'])} of "
            f"{fmt_count(after['total'])} in {who} (too few to show a share)."
        )
    return f"{label}: {pct(before['share'])} → {pct(after['share'])} of {who}."


# ----------------------------------------------------------------------------- keys


_KEYS_JS = """
const KEYS = ["Enter", "Escape", "n", "s", "u", "undo", "ArrowRight",
              "1", "2", "3", "4", "5", "6", "7", "8", "9"];
function render({ model, el }) {
  el.style.display = "none";
  const onKey = (event) => {
    const tab = el.closest(".tk-form-coding");
    if (!tab || tab.offsetParent === null || event.altKey || event.metaKey) return;
    const target = event.target || document.body;
    const tag = (target.tagName || "").toUpperCase();
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(tag) || target.isContentEditable;
    const search = typing && target.closest && target.closest(".tk-coding-search");
    let key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.ctrlKey) {
      if (key !== "z" || typing) return;
      key = "undo";
    }
    if (tag === "BUTTON" && (key === "Enter" || key === " ")) return;
    if (key === "/" && !typing) {
      const box = tab.querySelector(".tk-coding-search input");
      if (box) { event.preventDefault(); box.focus(); }
      return;
    }
    if (typing && !(search && (key === "Enter" || key === "Escape"))) return;
    if (!KEYS.includes(key)) return;
    event.preventDefault();
    model.send({ key: key, search: Boolean(search) });
    if (search && key === "Escape") target.blur();  // the keys work again
  };
  // Capture: the widgets stop keydown from bubbling out of their boxes.
  document.addEventListener("keydown", onKey, true);
  return () => document.removeEventListener("keydown", onKey, true);
}
export default { render };
"""


_NEEDS_JS = """
function render({ model, el }) {
  el.classList.add("tk-codes");
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "Needs to file the statement under");
  let byKey = false;  // the last button was pressed with Enter or Space, not clicked
  const draw = () => {
    // A keyboard user who filed with a button keeps the focus among the buttons: on
    // the same need's button, else at the same place, when the next statement comes.
    const focused = byKey && el.contains(document.activeElement) ? document.activeElement : null;
    const place = focused ? [...el.children].indexOf(focused) : -1;
    byKey = false;
    el.replaceChildren(...model.get("needs").map((need) => {
      const button = document.createElement("button");
      button.className = "jupyter-widgets jupyter-button widget-button"
        + (need.info ? " mod-info" : "");
      button.textContent = need.text;
      button.title = need.tip;
      button.dataset.code = need.code;
      button.addEventListener("click", (event) => {
        byKey = event.detail === 0;  // (a click's detail counts the clicks)
        // Clicked: the button lets the focus go, so Enter confirms the next proposal.
        if (!byKey) button.blur();
        model.send({ file: need.code });
      });
      return button;
    }));
    if (focused && el.children.length) {
      const same = [...el.children].find((b) => b.dataset.code === focused.dataset.code);
      (same || el.children[Math.min(place, el.children.length - 1)]).focus();
    }
  };
  model.on("change:needs", draw);
  draw();
  return () => model.off("change:needs", draw);
}
export default { render };
"""


@functools.cache
def _need_buttons_class():
    import anywidget
    import traitlets

    class NeedButtons(anywidget.AnyWidget):
        """The coding tab's need buttons, drawn in the browser from one list (``needs``:
        code, text, tip, info): one widget, not three per need, so the tab opens at once.
        """

        _esm = _NEEDS_JS
        needs = traitlets.List([]).tag(sync=True)

    return NeedButtons


def _keys_widget():
    """An invisible widget whose bundled JavaScript sends the coding tab's keys to Python
    (None where anywidget is missing: the buttons still work).
    """
    try:
        import anywidget
    except ImportError:  # pragma: no cover - anywidget is a dependency
        return None

    class CodingKeys(anywidget.AnyWidget):
        _esm = _KEYS_JS

    return CodingKeys()


# ----------------------------------------------------------------------------- the tab

_SHOWN_CODES = 9  # numbered 1–9 for the keyboard
_FEW_CODES = 24  # more than this and the box of need buttons likely scrolls
_CODES_HEIGHT = "166px"  # five and a half rows of need buttons: the half row says it scrolls
_CARD_CSS = """
<style>
.tk-form-coding .tk-card { border: 1px solid #c8c8c8; border-radius: 6px; padding: 10px 14px;
  max-width: 860px; background: #fafafa; }
.tk-form-coding .tk-said { font-size: 18px; line-height: 1.4; margin: 0 0 6px 0; }
.tk-form-coding .tk-said mark { background: #ffe08a; padding: 0 2px; border-radius: 2px; }
.tk-form-coding .tk-codes { display: flex; flex-wrap: wrap; gap: 4px; max-width: 880px; }
.tk-form-coding .tk-codes .widget-button { width: auto; margin: 0; height: 26px;
  font-size: 12.5px; padding: 0 8px; }
.tk-form-coding button:disabled { opacity: 0.4; cursor: not-allowed;
  background: #e0e0e0 !important; color: #555 !important; }
.tk-form-coding .tk-keys { color: #444; font-size: 13px; }
.tk-form-coding .tk-headline { font-size: 15px; font-weight: 600; color: #1b5e20; }
</style>
"""


class CodingTab:
    """The "Code the needs" tab: one waiting statement at a time, filed with a click or a key.

    Each statement shows its words (the matched keyword highlighted), who said it (list,
    groups, how many), how and when; the code proposed, if any, with how it was matched.
    The planner confirms it, picks another of the engagement's needs by label (a search
    box narrows the buttons), marks it *not a need*, or skips it; Undo takes the last
    action back through the store, so the statement waits again. After each action the
    share of its group naming the need is shown before and after
    (:func:`need_share`).

    Keys (when the tab is shown): Enter confirms the proposed code (in the search box:
    files under the first need shown), 1–9 file under the numbered need, N not a need,
    S or → skips, U or Ctrl+Z undoes, / goes to the search box, Escape empties it.

    The tab refreshes when shown (:meth:`shown`) if a save elsewhere changed the
    statements while it was hidden.

    Parameters
    ----------
    page : toolkit.forms.app.Page
        The shared page: its engagement, and who to tell of a change.
    """

    def __init__(self, page):
        self.page = page
        self.engagement = page.engagement
        self.queue = pd.DataFrame(columns=QUEUE_COLUMNS)
        self.position = 0
        self.history: list[dict] = []  # undoable actions, the last one last
        self.stale = False
        self._pending = False  # the first read waits for the tab to be on the page
        self._saving = False
        self.codebook = pd.DataFrame(columns=["code", "label"])
        self.summary = w.HTML()
        self.card = w.HTML()
        self.confirm_button = w.Button(
            description="Confirm",
            icon="check",
            button_style="success",
            tooltip="Key: Enter",
            layout=w.Layout(width="auto", min_width="148px"),
        )
        self.not_a_need_button = w.Button(
            description="Not a need", icon="ban", tooltip="Key: N (the answer names no need)"
        )
        self.skip_button = w.Button(description="Skip", icon="forward", tooltip="Key: S or →")
        self.undo_button = w.Button(
            description="Undo", icon="undo", disabled=True, tooltip="Key: U or Ctrl+Z"
        )
        self.confirm_button.on_click(lambda _: self.confirm())
        self.not_a_need_button.on_click(lambda _: self.not_a_need())
        self.skip_button.on_click(lambda _: self.skip())
        self.undo_button.on_click(lambda _: self.undo())
        self.search = w.Text(
            placeholder="Find a need: type part of its name or a keyword (key: /)",
            layout=w.Layout(width="100%", max_width="520px"),
            continuous_update=True,
        )
        self.search.add_class("tk-coding-search")
        self.search.observe(lambda _: self._show_codes(), names="value")
        self.code_labels: dict[str, str] = {}  # code → label, of the needs one may choose
        self._shown: list[str] = []
        # A box of fixed height that scrolls: however long the codebook, the tab stays short.
        self.codes_box = _need_buttons_class()(
            layout=w.Layout(max_height=_CODES_HEIGHT, overflow="auto")
        )
        self.codes_box.on_msg(lambda _, content, __: self._clicked(content))
        self.codes_note = w.HTML()
        self.status = w.HTML()
        self.headline = w.HTML()
        self.keys = _keys_widget()
        if self.keys is not None:
            self.keys.on_msg(lambda _, content, __: self.key(**_key_message(content)))
        # The codebook's form is built when its section is first opened (or asked for):
        # the tab opens with a hundred widgets fewer.
        self._codebook: object | None = None
        self.add_need = w.Accordion(children=[w.VBox()], selected_index=None)
        self.add_need.set_title(0, "No need fits? Add one to the codebook")
        self.add_need.observe(lambda _: self.codebook_form, names="selected_index")
        self.actions = w.HBox(
            [self.confirm_button, self.not_a_need_button, self.skip_button, self.undo_button]
        )
        self.root = w.VBox(
            [
                w.HTML(
                    _CARD_CSS + "<h3>Code the needs</h3><p>Statements that wait for a person: "
                    "those no need in the codebook matched, and codes the toolkit guessed "
                    "that someone should check. File each under the need it names; every "
                    "statement with the same words is filed with it.</p>"
                ),
                self.summary,
                self.card,
                self.actions,
                self.status,
                self.headline,
                w.HTML(
                    "<p class='tk-keys'>Keys: Enter confirms · 1–9 files under the numbered "
                    "need · N not a need · S skips · U undoes · / finds a need.</p>"
                    "<strong>File it under another need</strong>"
                ),
                self.search,
                self.codes_box,
                self.codes_note,
                *([self.keys] if self.keys is not None else []),
                self.add_need,
            ]
        )
        self.root.add_class("tk-form")
        self.root.add_class("tk-form-coding")
        page.listen(self._elsewhere)
        self._refresh_soon()

    @property
    def codebook_form(self):
        """The form adding a need to the codebook, built on first use."""
        if self._codebook is None:
            self.page.building, outer = "coding", self.page.building
            try:
                self._codebook = self._new_codebook_form()
            finally:
                self.page.building = outer
            # The needs are the buttons above: their list, to correct one, stays folded.
            form = self._codebook
            listing = w.Accordion(children=[form.list_box], selected_index=None)
            listing.set_title(0, "Correct or delete a need of the codebook")
            form.root.children = [c for c in form.root.children if c is not form.list_box]
            form.root.children += (listing,)
            self.add_need.children = [form.root]
        return self._codebook

    def _new_codebook_form(self):
        from toolkit.forms.app import EntryForm, FormField, FormSpec

        return EntryForm(
            self.page,
            FormSpec(
                "codebook",
                "Add a need to the codebook",
                "codebook",
                (
                    FormField(
                        "code",
                        "Code",
                        required=True,
                        help="A short name without spaces, such as perishable_food.",
                    ),
                    FormField(
                        "label", "Label", required=True, help="How the need reads in reports."
                    ),
                    FormField("theme", "Theme", help="A broader heading, such as Food."),
                    FormField(
                        "keywords",
                        "Keywords",
                        help="Words and phrases that mean this need, separated by ; (milk; fresh food).",
                    ),
                ),
                intro="When no need fits, add one; it appears among the needs above at once.",
                summary=("code", "label"),
            ),
        )

    # -- refreshing -------------------------------------------------------------

    def _elsewhere(self, table: str) -> None:
        if table == "codebook":  # the form below, or an imported codebook
            self.refresh()
        elif table in ("assumed_needs", "stated_needs") and not self._saving:
            self.stale = True  # saved in another tab: refresh when shown

    def shown(self) -> None:
        """The page shows this tab: catch up with what was saved while it was hidden."""
        if self.stale:
            self.refresh()

    def _refresh_soon(self) -> None:
        """Read the queue now or, in a running kernel, just after the tab is on the page:
        a large engagement's queue takes a moment to read, and the tab shows at once,
        saying what it is doing, instead of staying blank.
        """
        try:
            loop = asyncio.get_running_loop() if _in_kernel() else None
        except RuntimeError:
            loop = None
        if loop is None:  # plain Python (a test, a script; a loop of its own): at once
            self.refresh()
            return
        self.summary.value = _echo("Reading the statements that wait for a person…")
        for button in (self.confirm_button, self.not_a_need_button, self.skip_button):
            button.disabled = True
        self._pending = True
        loop.call_soon(self._refresh_late)

    def _refresh_late(self) -> None:
        if not self._pending:  # read already (a save of the codebook, say)
            return
        try:
            self.refresh()
        except Exception as err:  # the store failed: say so in the tab, not in a log
            self.summary.value = _alert(
                f"The statements could not be read ({err}). Reload the page to try again."
            )

    def refresh(self) -> None:
        """Read the queue and the codebook again; show the first waiting statement."""
        self.stale = self._pending = False
        self.codebook = self.engagement.table("codebook")
        self.queue = coding_queue(self.engagement)
        self.position = 0
        self._build_code_buttons()
        self._show()

    def _build_code_buttons(self) -> None:
        from toolkit.schema.tables import NOT_A_NEED

        labels: dict[str, str] = {}
        for code, label in zip(self.codebook["code"], self.codebook["label"], strict=True):
            if code != NOT_A_NEED["code"] and code not in labels:
                labels[code] = str(label if isinstance(label, str) and label else code)
        self.code_labels = labels
        self._show_codes()

    def _clicked(self, content: object) -> None:
        """A need button clicked in the browser: file the statement under its need."""
        code = content.get("file") if isinstance(content, dict) else None
        if isinstance(code, str) and code in self.code_labels:
            self.file(code)

    def _label(self, code: object) -> str:
        match = self.codebook.loc[self.codebook["code"] == code, "label"]
        label = match.iloc[0] if len(match) else None
        return str(label) if isinstance(label, str) and label else str(code)

    # -- what is shown ----------------------------------------------------------

    @property
    def current(self) -> dict | None:
        """The statement shown, as a row of :func:`coding_queue` (None: nothing waits)."""
        if self.position >= len(self.queue):
            return None
        return self.queue.iloc[self.position].to_dict()

    def _show(self) -> None:
        row = self.current
        waiting = len(self.queue)
        checking = int(self.queue["proposed_code"].notna().sum()) if waiting else 0
        self.summary.value = _echo(
            "Nothing waits: every statement is coded."
            if not waiting
            else f"{waiting:,} waiting: {waiting - checking:,} no need matched, {checking:,} "
            "automatic codes to check. The most frequent come first."
        )
        for button in (self.confirm_button, self.not_a_need_button, self.skip_button):
            button.disabled = row is None
        if row is None:
            self.card.value = ""
            self.confirm_button.description = "Confirm"
        else:
            self.card.value = self._card(row)
            proposed = row["proposed_code"]
            has = isinstance(proposed, str) and bool(proposed)
            self.confirm_button.disabled = not has
            self.confirm_button.description = (
                f"Confirm: {self._label(proposed)}"[:60] if has else "Confirm"
            )
            self.confirm_button.tooltip = (
                f"File it under {self._label(proposed)} (key: Enter)"
                if has
                else "No need was proposed: choose one below"
            )
        self.undo_button.disabled = not self.history
        self._show_codes()

    def _card(self, row: dict) -> str:
        from toolkit.coding import matched_spans

        text = str(row["statement"])
        proposed = row["proposed_code"]
        spans = matched_spans(text, proposed, self.codebook) if isinstance(proposed, str) else []
        said = _highlighted(text, spans)
        people = "customer" if row["list"] == "customers" else "staff member"
        n = int(row["statements"])
        facts = [
            f"said {n} time{'s' if n != 1 else ''} by {people}s"
            if n != 1
            else f"said by a {people}"
        ]
        if row["segments"]:
            facts.append(f"customer group: {row['segments']}")
        if isinstance(row.get("methods"), str) and row["methods"]:
            facts.append(f"asked by {row['methods']}")
        facts.append(_when(row["first_date"], row["last_date"]))
        if isinstance(proposed, str):
            how = _MATCHED.get(str(row["kind"]), str(row["kind"]))
            sure = "" if pd.isna(row["score"]) else f", {row['score']:.0%} sure"
            proposal = (
                f"Proposed need: <strong>{html.escape(self._label(proposed))}</strong> "
                f"({html.escape(how)}{sure}). Confirm it, or choose the right one."
            )
        else:
            proposal = "No need in the codebook matched it. Choose one, or mark it not a need."
        place = f"Statement {self.position + 1:,} of {len(self.queue):,}"
        return (
            f'<div class="tk-card" role="region" aria-label="Statement to code">'
            f'<p class="tk-said">“{said}”</p>'
            f'<p class="tk-echo">{html.escape(" · ".join(f for f in facts if f))}. {place}.</p>'
            f"<p>{proposal}</p></div>"
        )

    def _show_codes(self) -> None:
        """The need buttons the search keeps, the first nine numbered for the keyboard."""
        wanted = self.search.value.strip().lower()
        proposed = (self.current or {}).get("proposed_code")
        matching = _matching_codes(self.codebook, wanted, first=proposed)
        shown = [c for c in matching if c in self.code_labels]
        self._shown = shown
        self.codes_box.needs = [
            {
                "code": code,
                "text": f"{i + 1} {self.code_labels[code]}"
                if i < _SHOWN_CODES
                else self.code_labels[code],
                "tip": f"File it under {self.code_labels[code]}",
                "info": code == proposed,
            }
            for i, code in enumerate(shown)
        ]
        if not shown:
            self.codes_note.value = _echo(
                f"No need matches “{self.search.value.strip()}”. Add it to the codebook below, "
                "or search for other words."
            )
        else:
            hint = " match." if wanted else ". Type to narrow them down"
            if not wanted:
                hint += ", or scroll the list." if len(shown) > _FEW_CODES else "."
            self.codes_note.value = _echo(f"{len(shown)} of {len(self.code_labels)} needs{hint}")

    @property
    def shown_codes(self) -> list[str]:
        """The codes of the need buttons shown, in order."""
        return list(self._shown)

    # -- actions ----------------------------------------------------------------

    def key(self, key: str, search: bool = False) -> None:
        """A key pressed while the tab is shown (see the class docstring)."""
        if self._pending:  # still reading, as the tab says: no statement to act on yet
            return
        if key == "Enter":
            if search and self.shown_codes:
                self.file(self.shown_codes[0])
            elif not search:
                self.confirm()
        elif key == "Escape":
            self.search.value = ""
        elif key.isdigit() and 0 < int(key) <= min(_SHOWN_CODES, len(self.shown_codes)):
            self.file(self.shown_codes[int(key) - 1])
        elif key == "n":
            self.not_a_need()
        elif key in ("s", "ArrowRight"):
            self.skip()
        elif key in ("u", "undo"):
            self.undo()

    def confirm(self) -> None:
        """File the statement shown under its proposed code."""
        row = self.current
        if row is None or not isinstance(row["proposed_code"], str):
            self._say(_alert("No need was proposed for this statement: choose one below."))
            return
        self.file(row["proposed_code"], verb="Confirmed")

    def not_a_need(self) -> None:
        """File the statement shown under the built-in *not a need*."""
        from toolkit.schema.tables import NOT_A_NEED

        self.file(NOT_A_NEED["code"], verb="Marked")

    def skip(self) -> None:
        """Leave the statement shown for later; show the next one."""
        if self.current is None:
            return
        self.position = (self.position + 1) % len(self.queue)
        self.status.value = self.headline.value = ""
        self._show()

    def file(self, code: str, *, verb: str = "Filed") -> bool:
        """File the statement shown (and every one of its list with the same words)
        under ``code``, through the store; show what it did to the headline.
        """
        from toolkit.store import statement_key

        row = self.current
        if row is None:
            return False
        key = statement_key(row["id"])
        staff = key[0] == "assumed_needs"
        segment = row["segments"] if row["segments"] and "," not in row["segments"] else None
        watched = self._watched(code, row)
        try:
            before = need_share(self.engagement, watched, segment=segment, staff=staff)
            previous: list = []
            count = self.engagement.set_codes({key: code}, previous=previous)
            after = need_share(self.engagement, watched, segment=segment, staff=staff)
        except DataValidationError as err:
            self._say(_alert(str(err)))
            return False
        self.history.append(
            {
                "row": row,
                "previous": previous,
                "watched": watched,
                "staff": staff,
                "segment": segment,
            }
        )
        self.queue = self.queue.drop(index=self.queue.index[self.position]).reset_index(drop=True)
        if self.position >= len(self.queue):
            self.position = 0
        self.search.value = ""
        label = self._label(code)
        what = (
            f"“{row['statement']}” as not a need"
            if verb == "Marked"
            else f"“{row['statement']}” under {label}"
        )
        others = f" ({count} statements with these words)" if count > 1 else ""
        self._say(
            f'<span role="status" class="tk-ok">{verb} {html.escape(what)}{others}.</span>',
            _who(segment, staff, watched, self._label(watched), before, after),
        )
        self._show()
        self._tell(key[0])
        return True

    def undo(self) -> bool:
        """Take the last action back: the statements get their codes from before it and
        wait again, shown first.
        """
        if not self.history:
            self._say(_alert("Nothing to undo."))
            return False
        last = self.history[-1]
        staff, segment, watched = last["staff"], last["segment"], last["watched"]
        try:
            before = need_share(self.engagement, watched, segment=segment, staff=staff)
            restored = self.engagement.restore_codes(last["previous"])
            after = need_share(self.engagement, watched, segment=segment, staff=staff)
        except DataValidationError as err:
            self._say(_alert(str(err)))
            return False
        self.history.pop()
        row = last["row"]
        self.queue = pd.concat(
            [
                self.queue.iloc[: self.position],
                pd.DataFrame([row]),
                self.queue.iloc[self.position :],
            ],
            ignore_index=True,
        )[QUEUE_COLUMNS]
        kept = len(last["previous"]) - restored
        gone = (
            f" ({kept} of its statements someone has coded again since keep that code)"
            if kept
            else ""
        )
        self._say(
            f'<span role="status" class="tk-ok">Undone: “{html.escape(str(row["statement"]))}” '
            f"waits again{gone}.</span>",
            _who(segment, staff, watched, self._label(watched), before, after),
        )
        self._show()
        self._tell("assumed_needs" if staff else "stated_needs")
        return True

    def _tell(self, table: str) -> None:
        """Tell the page's other tabs (the chart, the lists) of a change made here."""
        self._saving = True
        try:
            self.page.saved(table)
        finally:
            self._saving = False

    def _watched(self, code: str, row: dict) -> str:
        """The need whose share the action changes: the one filed under, or for *not a
        need* the one proposed before.
        """
        from toolkit.schema.tables import NOT_A_NEED

        proposed = row["proposed_code"]
        if code == NOT_A_NEED["code"] and isinstance(proposed, str):
            return proposed
        return code

    def _say(self, status: str, headline: str = "") -> None:
        self.status.value = status
        self.headline.value = (
            f'<p class="tk-headline" role="status">{html.escape(headline)}</p>' if headline else ""
        )


_MATCHED = {
    "exact": "the whole answer is the need",
    "keyword": "matched a keyword",
    "fuzzy": "matched a keyword written with a typo",
}


def _key_message(content: object) -> dict:
    """A key message from the page, checked (the page may send anything)."""
    if not isinstance(content, dict):
        return {"key": ""}
    return {"key": str(content.get("key", ""))[:20], "search": bool(content.get("search"))}


def _highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped for HTML, with ``spans`` marked."""
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _when(first: object, last: object) -> str:
    from toolkit.forms.records import date_words

    if pd.isna(first):
        return "no date"
    if pd.isna(last) or pd.Timestamp(first).date() == pd.Timestamp(last).date():
        return f"on {date_words(first)}"
    return f"between {date_words(first)} and {date_words(last)}"


def _matching_codes(codebook: pd.DataFrame, wanted: str, *, first: object = None) -> list[str]:
    """The codes whose label, theme, code or keywords hold ``wanted`` (all when blank):
    labels that begin with it first, then labels that hold it, then the rest; the code
    ``first`` (the proposed one) leads when it matches.
    """
    from toolkit.schema.tables import keyword_columns

    columns = ["label", "theme", "code", *keyword_columns(codebook.columns)]
    text = {
        c: codebook[c].fillna("").astype(str).str.lower() if c in codebook else None
        for c in columns
    }
    label = text["label"]
    rank = pd.Series(3, index=codebook.index)
    if wanted:
        other = pd.Series(False, index=codebook.index)
        for c in columns[1:]:
            if text[c] is not None:
                other |= text[c].str.contains(wanted, regex=False)
        rank = rank.where(~other, 2)
        rank = rank.where(~label.str.contains(wanted, regex=False), 1)
        rank = rank.where(~label.str.startswith(wanted), 0)
        keep = rank < 3
    else:
        keep = pd.Series(True, index=codebook.index)
    if first is not None:
        rank = rank.where(codebook["code"] != first, -1)
    order = codebook.assign(_rank=rank, _label=label)[keep].sort_values(
        ["_rank", "_label"], kind="stable"
    )
    return list(dict.fromkeys(order["code"].astype(str)))


def _who(segment: str | None, staff: bool, code: str, label: str, before: dict, after: dict) -> str:
    """The headline change an action made, in words."""
    from toolkit.schema.tables import NOT_A_NEED

    if code == NOT_A_NEED["code"]:
        return (
            "Shares do not change: whoever said it still counts in the group's total, "
            "under no need."
        )
    if staff:
        who = f"staff for {segment}" if segment else "staff"
    else:
        who = segment or "all customers"
    return share_change_words(label, before, after, who)


def _alert(text: str) -> str:
    return f'<span role="alert" class="tk-alert">{html.escape(text)}</span>' if text else ""


def _echo(text: str) -> str:
    return f'<span class="tk-echo">{html.escape(text)}</span>' if text else ""


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a page's): only there does the tab read its
    queue just after it shows; a script's or a test's own event loop reads at once.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
