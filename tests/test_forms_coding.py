"""The "Code the needs" tab without a browser: the queue, filing, not a need, undo, keys,
the headline change, and refreshing only when shown."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.store import Engagement

#: Residents: 10 respondents; 4 name milk ("milk", "mlik" typo), 1 gives an answer no
#: keyword matches, 1 says "nothing really", the rest name the pantry.
RESIDENTS = [
    ("r1", "Milk for the kids"),
    ("r2", "Fresh milk please"),
    ("r3", "milk"),
    ("r4", "mlik for the kids"),
    ("r5", "Qwxz blorf plink"),
    ("r6", "Qwxz blorf plink"),
    ("r7", "A food pantry nearby"),
    ("r8", "A food pantry nearby"),
    ("r9", "Canned goods at the pantry"),
    ("r10", "Something else entirely"),
]


@pytest.fixture
def app(tmp_path):
    from toolkit.forms.app import forms_app

    engagement = Engagement.init(tmp_path / "riverside", name="riverside")
    rows = [
        {
            "respondent_id": rid,
            "segment": "Residents",
            "method": "survey" if i % 2 else "interview",
            "need": need,
            "collected_on": f"2024-03-{i + 1:02d}",
        }
        for i, (rid, need) in enumerate(RESIDENTS)
    ]
    rows.append({"respondent_id": "b1", "segment": "Board", "need": "Qwxz blorf plink"})
    engagement.import_frame(pd.DataFrame(rows), table="stated_needs", source="test rows")
    return forms_app(engagement), engagement


def stored(engagement, need):
    frame = engagement.table("stated_needs")
    return frame.loc[frame["need"] == need, ["code", "coded_by"]].drop_duplicates().values.tolist()


def show(coding, statement):
    """Skip to the statement with these words."""
    for _ in range(len(coding.queue)):
        if coding.current["statement"] == statement:
            return
        coding.skip()
    raise AssertionError(f"{statement!r} does not wait")


def test_the_queue_holds_what_no_code_matched_and_codes_to_check_with_their_context(app):
    from toolkit.forms.coding import coding_queue

    _, engagement = app
    queue = coding_queue(engagement).set_index("statement")
    blorf = queue.loc["Qwxz blorf plink"]
    assert blorf["statements"] == 3 and blorf["segments"] == "Board, Residents"
    assert pd.isna(blorf["proposed_code"]) and blorf["list"] == "customers"
    assert blorf["methods"] == "interview, survey"
    typo = queue.loc["mlik for the kids"]
    assert (typo["proposed_code"], typo["kind"]) == ("perishable_food", "fuzzy")
    assert typo["first_date"] == pd.Timestamp("2024-03-04")
    assert "Milk for the kids" not in queue.index  # a sure keyword match waits for no one
    assert coding_queue(engagement)["statement"].iloc[0] == "Qwxz blorf plink"  # most said


def test_a_statement_is_shown_with_its_group_method_date_and_the_keyword_highlighted(app):
    page, _ = app
    coding = page.coding
    assert "Statement 1 of" in coding.card.value and "Qwxz blorf plink" in coding.card.value
    assert "No need in the codebook matched it" in coding.card.value
    assert coding.confirm_button.disabled  # nothing proposed to confirm
    show(coding, "mlik for the kids")
    card = coding.card.value
    assert "“<mark>mlik</mark> for the kids”" in card
    assert "customer group: Residents" in card and "asked by survey" in card
    assert "on Mon 4 March 2024" in card and "said by a customer" in card
    assert "Milk and perishable food" in card and "typo" in card
    assert not coding.confirm_button.disabled
    assert coding.confirm_button.description == "Confirm: Milk and perishable food"
    assert coding.shown_codes[0] == "perishable_food"  # the proposed need leads


def test_confirming_files_under_the_label_and_shows_the_headline_change(app):
    page, engagement = app
    coding = page.coding
    show(coding, "mlik for the kids")
    assert coding.confirm() is None and coding.history
    assert stored(engagement, "mlik for the kids") == [["perishable_food", "person"]]
    assert "Confirmed “mlik for the kids” under Milk and perishable food." in coding.status.value
    assert "perishable_food" not in coding.status.value  # the label, never the code
    # The automatic code already counted: 4 of 10 residents name milk, before and after.
    assert "Milk and perishable food: 40% of Residents, unchanged" in coding.headline.value
    coding.undo()
    show(coding, "Qwxz blorf plink")
    coding.file("perishable_food")  # said in two groups: 4 → 7 of all 11 customers
    assert "Milk and perishable food: 36% → 64% of all customers." in coding.headline.value
    assert "Qwxz blorf plink" not in coding.queue["statement"].tolist()


def test_the_headline_share_is_the_needs_gap_share(app):
    from toolkit.catalog import run_analysis
    from toolkit.forms.coding import need_share

    _, engagement = app
    with pytest.warns(UserWarning, match="matched no code"):
        gap = run_analysis(engagement, "needs-gap", by="segment")
    row = gap[(gap["segment"] == "Residents") & (gap["code"] == "food_pantry")].iloc[0]
    share = need_share(engagement, "food_pantry", segment="Residents", staff=False)
    assert share == {
        "share": pytest.approx(row["customer_share"]),
        "n": row["customer_n"],
        "total": row["customer_total"],
    }
    small = need_share(engagement, "food_pantry", segment="Board", staff=False)
    assert small == {"share": None, "n": 0, "total": 1}  # one respondent: too few to show
    nobody = need_share(engagement, "childcare", segment="Residents", staff=False)
    assert nobody == {"share": 0.0, "n": 0, "total": 10}


def test_search_narrows_the_needs_by_label_or_keyword_and_keys_file(app):
    page, engagement = app
    coding = page.coding
    show(coding, "Qwxz blorf plink")
    coding.search.value = "pantr"
    assert coding.shown_codes[0] == "food_pantry"
    assert coding.codes_box.needs[0]["text"] == "1 Food pantry or food bank access"
    coding.search.value = "yogurt"  # a keyword, not in the label
    assert coding.shown_codes == ["perishable_food"]
    coding.search.value = "zzzz nothing"
    assert coding.shown_codes == [] and "No need matches" in coding.codes_note.value
    coding.key("Escape", search=True)
    assert coding.search.value == "" and len(coding.shown_codes) == len(coding.code_labels)
    coding.search.value = "opening"
    coding.key("Enter", search=True)  # Enter in the search box: the first need shown
    assert stored(engagement, "Qwxz blorf plink") == [["opening_hours", "person"]]
    assert coding.search.value == ""
    coding.key("2")  # the second need shown
    assert len(coding.history) == 2


def test_the_need_buttons_are_one_widget_and_a_click_in_the_page_files(app):
    """#18: the tab opens at once: the need buttons are drawn in the browser from one
    widget's list (not three widgets per need); a click there files the statement."""
    import ipywidgets as w

    page, engagement = app
    coding = page.coding
    show(coding, "Qwxz blorf plink")
    needs = coding.codes_box.needs
    assert len(needs) == len(coding.code_labels) > 20
    assert [n["code"] for n in needs] == coding.shown_codes
    assert needs[0]["text"].startswith("1 ") and not needs[9]["text"][0].isdigit()

    def widgets(box):
        yield box
        for child in getattr(box, "children", ()):
            yield from widgets(child)

    buttons = [c for c in widgets(coding.root) if isinstance(c, w.Button)]
    assert len(buttons) < 10  # the tab's own buttons (Confirm, Skip, …), none per need
    coding.codes_box._handle_custom_msg({"file": "no_such_code"}, [])  # ignored
    assert not coding.history
    coding.codes_box._handle_custom_msg({"file": "opening_hours"}, [])
    assert stored(engagement, "Qwxz blorf plink") == [["opening_hours", "person"]]


def test_not_a_need_and_undo_put_the_statement_back_through_the_store(app):
    from toolkit.forms.coding import coding_queue

    page, engagement = app
    coding = page.coding
    show(coding, "Qwxz blorf plink")
    coding.key("n")
    assert stored(engagement, "Qwxz blorf plink") == [["not_a_need", "person"]]
    assert "Marked “Qwxz blorf plink” as not a need (3 statements" in coding.status.value
    assert "Shares do not change" in coding.headline.value
    coding.key("u")
    assert stored(engagement, "Qwxz blorf plink") == [[None, None]]
    assert "Qwxz blorf plink" in coding_queue(engagement)["statement"].tolist()
    assert coding.current["statement"] == "Qwxz blorf plink"  # shown again, first
    assert "waits again" in coding.status.value and coding.undo_button.disabled
    # Not a need for an automatic code: the proposed need's share falls.
    show(coding, "mlik for the kids")
    coding.not_a_need()
    assert "Milk and perishable food: 40% → 30% of Residents." in coding.headline.value
    coding.undo()
    assert stored(engagement, "mlik for the kids") == [[None, None]]
    assert "Milk and perishable food: 30% → 40% of Residents." in coding.headline.value
    assert coding.undo() is False and "Nothing to undo" in coding.status.value


def test_undo_keeps_a_code_someone_set_since(app):
    page, engagement = app
    coding = page.coding
    show(coding, "Qwxz blorf plink")
    coding.file("opening_hours")
    rows = engagement.coding_tables()["stated_needs"]
    first = int(rows.loc[rows["need"] == "Qwxz blorf plink", "entry"].iloc[0])
    engagement.set_codes({("stated_needs", first): "food_pantry"})  # another planner
    coding.undo()
    assert "1 of its statements someone has coded again since keep" in coding.status.value
    codes = engagement.coding_tables()["stated_needs"].set_index("entry")["code"]
    assert codes[first] == "food_pantry"  # kept
    assert codes[rows.loc[rows["need"] == "Qwxz blorf plink", "entry"]].isna().sum() == 2


def test_skip_walks_the_queue_and_keys_from_the_page_are_checked(app):
    from toolkit.forms.coding import _key_message

    page, _ = app
    coding = page.coding
    first = coding.current["id"]
    coding.key("s")
    assert coding.current["id"] != first and coding.position == 1
    coding.key("ArrowRight")
    assert coding.position == 2
    assert _key_message("junk") == {"key": ""}
    assert _key_message({"key": "n" * 100, "search": 1}) == {"key": "n" * 20, "search": True}
    coding.key("")  # an unknown key does nothing
    coding.search.value = "yogurt"
    coding.key("9")  # a number with no need shown under it does nothing
    assert coding.position == 2 and not coding.history
    assert coding.keys is not None and "keydown" in coding.keys._esm


def test_a_save_elsewhere_refreshes_the_tab_only_when_it_is_shown(app, monkeypatch):
    import toolkit.forms.coding as module

    page, engagement = app
    coding = page.coding
    assert not coding.stale  # built now
    reads = []
    real = module.coding_queue
    monkeypatch.setattr(module, "coding_queue", lambda e: reads.append(1) or real(e))
    page.forms["stated"].controls["need"].value = "Zzyzx wibble"
    page.forms["stated"].submit()
    assert not reads  # hidden: not read (the page keeps the change for when it is shown)
    assert "Zzyzx wibble" not in coding.queue["statement"].tolist()
    page.tabs.selected_index = 2  # the page shows "Code the needs"
    assert reads == [1] and not coding.stale
    assert "Zzyzx wibble" in coding.queue["statement"].tolist()
    coding.shown()  # nothing new: no read
    assert reads == [1]
    coding.search.value = "opening"
    coding.key("Enter", search=True)  # the tab's own save does not mark it stale
    assert not coding.stale


def test_a_need_added_to_the_codebook_appears_among_the_buttons(app):
    page, _ = app
    coding = page.coding
    form = coding.codebook_form
    form.controls["code"].value = "pigeons"
    form.controls["label"].value = "Fewer pigeons"
    form.submit()
    coding.search.value = "pigeon"
    assert coding.shown_codes == ["pigeons"]


def test_in_a_running_kernel_the_tab_shows_at_once_and_reads_the_queue_just_after(app, monkeypatch):
    """#18: no tab blank for more than a second: built while the kernel's loop runs (a
    click on the tab), the tab says it is reading; the queue fills in just after."""
    import asyncio

    from tests._loops import run_apart
    from toolkit.forms import coding as coding_module

    page, _ = app
    monkeypatch.setattr(coding_module, "_in_kernel", lambda: True)

    async def open_tab():
        coding = page.coding
        before = (coding.summary.value, coding.current, coding.skip_button.disabled)
        coding.key("Enter")  # pressed at once: nothing to confirm yet, and no alarm
        said = coding.status.value
        await asyncio.sleep(0.01)
        return coding, before, said

    coding, (summary, current, skip_off), said = run_apart(open_tab())
    assert "Reading the statements" in summary and current is None and skip_off
    assert "No need was proposed" not in said
    assert coding.current is not None and "waiting" in coding.summary.value
    assert not coding.skip_button.disabled and coding.shown_codes


def test_outside_a_kernel_a_running_loop_still_reads_the_queue_at_once(app):
    """A script's or test's own event loop (Playwright's, in the full test run) is no
    page: the tab reads its queue at once there."""
    from tests._loops import run_apart

    page, _ = app

    async def open_tab():
        return page.coding

    coding = run_apart(open_tab())
    assert coding.current is not None and "waiting" in coding.summary.value


# ----------------------------------------------------------------------------- narrowed reads


def _queue_from_whole_tables(engagement):
    """The queue as it was built before the reads were narrowed: every statement of both
    tables read and coded, then kept. The narrowed queue must equal it.
    """
    from toolkit.catalog import coded_with_ids
    from toolkit.coding import needs_review
    from toolkit.forms.coding import QUEUE_COLUMNS, _joined

    coded = coded_with_ids(engagement.coding_tables())
    said = coded["need"].notna() & coded["need"].astype(str).str.strip().ne("")
    rows = coded.loc[(said & coded["code"].isna()) | needs_review(coded)]
    if rows.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    method = rows["method"] if "method" in rows else pd.Series(None, index=rows.index)
    key = rows["id"].str[0] + "\x1f" + rows["need"].astype(str)
    grouped = rows.assign(_key=key).groupby("_key", sort=False)
    queue = pd.DataFrame(
        {
            "id": grouped["id"].first(),
            "list": grouped["list"].first(),
            "statement": grouped["need"].first(),
            "segments": _joined(key, rows["segment"]),
            "methods": _joined(key, method),
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


def _same_queue(engagement):
    from toolkit.forms.coding import coding_queue

    text = {"id": object, "list": object}  # text either way (an empty list reads as objects)
    narrowed = coding_queue(engagement)
    pd.testing.assert_frame_equal(
        narrowed.astype(text), _queue_from_whole_tables(engagement).astype(text)
    )
    return narrowed


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_store(request, tmp_path):
    """Make a demo engagement in each store (PostgreSQL skips without a test server)."""
    from toolkit.demo.build import init_demo

    schemas = []

    def make(name):
        if request.param == "sqlite":
            return init_demo(tmp_path / name, name)
        from tests._postgres import new_schema, postgres_url

        schemas.append(new_schema())
        return init_demo(tmp_path / name, name, store=postgres_url(), schema=schemas[-1])

    yield make
    if schemas:
        from tests._postgres import drop_schema, postgres_url

        for schema in schemas:
            drop_schema(postgres_url(), schema)


@pytest.mark.parametrize("demo", ["neighbourhood", "university"])
@pytest.mark.parametrize("narrow", [2000, 3])
def test_the_narrowed_queue_is_the_queue_of_the_whole_tables(demo_store, demo, narrow, monkeypatch):
    """The queue reads only the statements that wait, and only what it shows of them;
    it is the queue a read of both whole tables gives: uncoded statements, fuzzy and
    unsure codes, *not a need* matched or set, a person's codes left out, labels read
    through the crosswalk, a method column of the staff's list, in the same order.
    ``narrow`` 3: more waiting words than the store keeps in SQL (filtered after).
    """
    import toolkit.store
    from toolkit.schema.tables import NOT_A_NEED

    monkeypatch.setattr(toolkit.store, "_NARROW_NEEDS", narrow)
    engagement = demo_store(demo)
    queue = _same_queue(engagement)
    before_filing = queue.set_index("id")
    assert {"fuzzy", "keyword"} <= set(queue["kind"].dropna()) and queue["kind"].isna().any()
    # Planners file some: a person's code, not a need, and not a need proposed by keyword.
    first, second = queue["id"].iloc[0], queue["id"].iloc[1]
    engagement.set_codes(
        {
            ("stated_needs" if first[0] == "S" else "assumed_needs", int(first[1:])): NOT_A_NEED[
                "code"
            ]
        }
    )
    engagement.set_codes(
        {("stated_needs" if second[0] == "S" else "assumed_needs", int(second[1:])): "food_pantry"}
    )
    said = pd.DataFrame(
        {
            "staff": ["Ana", "Ben", "Cy"],
            "segment": ["Tenants", "Tenants", None],
            "need": ["nothing really", "Qwxz blorf plink", "Qwxz blorf plink"],
            "method": ["meeting", None, "call"],
            "collected_on": ["2024-05-02", None, "2024-04-01"],
        }
    )
    engagement.import_frame(said, table="assumed_needs", source="staff notes")
    segments = engagement.segments()
    engagement.alias_segment("Tenants", segments[0])
    queue = _same_queue(engagement)
    waiting = dict(zip(queue["statement"], queue["statements"], strict=False))
    for before in (first, second):  # filed: fewer of them wait
        row = before_filing.loc[before]
        assert waiting.get(row["statement"], 0) < row["statements"]
    staff = queue[queue["list"] == "staff"].set_index("statement")
    assert staff.loc["Qwxz blorf plink", "methods"] == "call"
    assert staff.loc["Qwxz blorf plink", "segments"] == segments[0]
    assert "nothing really" not in staff.index  # not a need, surely: it waits for no one


def test_the_queue_reads_no_statement_when_every_code_is_sure(tmp_path, monkeypatch):
    """Sure keyword matches wait for no one: the queue reads their words only."""
    from toolkit.forms.coding import coding_queue

    engagement = Engagement.init(tmp_path / "e", name="e")
    said = pd.DataFrame({"need": ["More milk", "Evening hours"] * 50, "segment": "Residents"})
    engagement.import_frame(said, table="stated_needs", source="survey")
    read = []
    original = engagement.automatic_statements
    monkeypatch.setattr(
        engagement, "automatic_statements", lambda *a, **k: read.append(a) or original(*a, **k)
    )
    monkeypatch.setattr(engagement, "coding_tables", None)  # never the whole tables
    assert coding_queue(engagement).empty and not read
    engagement.import_frame(pd.DataFrame({"need": ["Qwxz"]}), table="stated_needs", source="x")
    queue = coding_queue(engagement)
    assert queue["statement"].tolist() == ["Qwxz"] and queue["id"].tolist() == ["S101"]
    assert read == [({"stated_needs": ["Qwxz"], "assumed_needs": []}, read[0][1])]
