"""The "Assumed vs stated needs" report: its data and the words and tables it shows.

``notebooks/needs_gap.ipynb`` opens its data with :func:`open_needs_report` and shows each
section with one helper: :func:`needs_compared`, :func:`needs_headline`, :func:`how_sure`,
:func:`group_findings`, :func:`common_ground_summary`,
:func:`importance_performance_summary`, :func:`statements_to_code`, and the live panel
:func:`needs_explorer`. The statistics come from :mod:`toolkit.needs`; this module only
words them for a leadership audience.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from toolkit._words import importance_words
from toolkit.catalog import coded_needs
from toolkit.errors import DataValidationError
from toolkit.reports.context import (
    ReportContext,
    Table,
    count_words,
    fmt_number,
    is_missing,
    join_words,
    level_words,
    markdown,
    md_escape,
    open_report_as_called,
    pct,
    pct_range,
    show_table,
)
from toolkit.reports.runner import REPORT_TABLES

__all__ = [
    "NEEDS_TABLES",
    "NeedsReport",
    "common_ground_summary",
    "group_findings",
    "how_sure",
    "importance_performance_summary",
    "needs_compared",
    "needs_explorer",
    "needs_headline",
    "open_needs_report",
    "statements_to_code",
]

NEEDS_TABLES = REPORT_TABLES["needs-gap"]
"""The stored tables the needs-gap report reads."""


@dataclass
class NeedsReport(ReportContext):
    """A :class:`ReportContext` with the needs coded against the codebook.

    Attributes
    ----------
    assumed, stated : DataFrame
        The staff-assumed and customer-stated needs, coded (a person's code wins).
    by : str
        The column for the per-group comparison.
    top_k : int
        How many top needs of each list to compare.
    """

    assumed: pd.DataFrame = None
    stated: pd.DataFrame = None
    by: str = "segment"
    top_k: int = 5

    @property
    def codebook(self) -> pd.DataFrame:
        return self.tables["codebook"]

    def groups(self, frame: pd.DataFrame | None = None) -> list:
        """The values of ``by`` in display order: engagement.toml's segment order first."""
        data = self.stated if frame is None else frame
        present = list(pd.unique(data[self.by].dropna())) if self.by in data else []
        order = self.engagement.segments() if self.by == "segment" else []
        first = [s for s in order if s in present]
        return first + [s for s in present if s not in first]

    def one_group_note(self):
        """Say why there is no comparison between groups when the data hold only one.

        Returns
        -------
        IPython.display.Markdown
        """
        groups = self.groups()
        word = md_escape(self.by.replace("_", " "))
        if not groups:
            return markdown(f"No customer statement names a {word}, so there are no groups.")
        return markdown(
            f"This report covers one {word} only ({md_escape(groups[0])}), so there is no "
            f"comparison between groups. Run it without a subset to compare every {word}."
        )

    def in_group_order(self, frame: pd.DataFrame, column: str | None = None) -> pd.DataFrame:
        """Sort ``frame`` by its group column in :meth:`groups` order (stable otherwise)."""
        column = column or self.by
        position = {g: i for i, g in enumerate(self.groups())}
        key = frame[column].map(lambda g: position.get(g, len(position)))
        return (
            frame.assign(_order=key)
            .sort_values("_order", kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )


def open_needs_report(
    engagement: str | os.PathLike = "",
    *,
    subset: Mapping | None = None,
    interactive: bool = True,
    confidence: float | None = None,
    min_n: int | None = None,
    top_k: int = 5,
    by: str = "segment",
    parameters: Mapping | None = None,
) -> NeedsReport:
    """Open the data of the "Assumed vs stated needs" report, coded and checked.

    Reads the codebook, the assumed and the stated needs in one read transaction,
    applies ``subset``, codes both lists against the codebook and switches on the
    offline chart display (see :func:`toolkit.reports.context.open_report`).

    Parameters
    ----------
    engagement, subset, interactive, confidence, min_n
        As for :func:`toolkit.reports.context.open_report`.
    top_k : int
        How many top needs of each list the rank agreement compares.
    by : str
        A column both need tables have, for the per-group comparison.
    parameters : mapping, optional
        The notebook's parameters as given, for the first screen.

    Returns
    -------
    NeedsReport

    Raises
    ------
    StoreError
        No engagement at that path.
    DataValidationError
        A bad parameter, a ``by`` column the tables lack, or a subset that keeps no needs.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise DataValidationError(f"top_k must be a whole number of at least 1 (got {top_k!r}).")
    called = {"confidence": confidence, "min_n": min_n, "top_k": top_k, "by": by}
    ctx = open_report_as_called(
        engagement, subset, interactive, parameters, called, tables=NEEDS_TABLES
    )
    if by not in ctx.tables["stated_needs"]:
        # A column only staff have cannot group customers; one only customers have can
        # (each group's customers against all staff).
        usable = sorted(
            set(ctx.tables["stated_needs"].columns)
            - {"need", "code", "coded_by", "match_score", "importance", "collected_on"}
        )
        raise DataValidationError(
            f"by={by!r}: the stated needs have no column {by!r}, so customers cannot be "
            f"grouped by it. Columns the stated needs have: {', '.join(usable) or 'none'}."
        )
    if ctx.tables["assumed_needs"].empty and ctx.tables["stated_needs"].empty:
        raise DataValidationError(
            "There are no needs to compare: neither staff nor customer needs are in the store"
            + (
                " for this subset."
                if ctx.subset
                else ". Import them first (service-toolkit import)."
            )
        )
    assumed, stated = coded_needs(ctx.tables, warn=False)
    fields = {f: getattr(ctx, f) for f in ReportContext.__dataclass_fields__}
    return NeedsReport(**fields, assumed=assumed, stated=stated, by=by, top_k=top_k)


def needs_compared(ctx: NeedsReport):
    """What the report compares: who, how many statements, which methods, what went uncoded.

    Returns
    -------
    IPython.display.Markdown
    """
    from toolkit.needs import all_staff_compared, all_staff_note, codebook_version

    assumed, stated = ctx.assumed, ctx.stated
    staff = int(assumed["staff"].nunique()) + int(assumed["staff"].isna().any())
    respondents = int(_respondent_keys(stated).nunique())
    methods = (
        stated["method"].fillna("not recorded").value_counts()
        if "method" in stated
        else pd.Series(dtype=int)
    )
    method_words = join_words([f"{md_escape(m)} ({n:,})" for m, n in methods.items()])
    groups = ctx.groups()
    lines = [
        f"We compared **{count_words(len(assumed), 'need')} that {count_words(staff, 'staff member')} "
        f"believe customers have** with **{count_words(len(stated), 'statement')} from "
        f"{count_words(respondents, 'customer')}**"
        + (f", gathered by {method_words}." if method_words else "."),
    ]
    if groups:
        sizes = stated.groupby(ctx.by, sort=False).apply(
            lambda g: _respondent_keys(g).nunique(), include_groups=False
        )
        lines.append(
            f"Customers by {md_escape(ctx.by.replace('_', ' '))}: "
            + join_words([f"{md_escape(g)} {int(sizes.get(g, 0)):,}" for g in groups])
            + "."
        )
    if groups and all_staff_compared(assumed, ctx.by):
        lines.append(all_staff_note(ctx.by, staff))
    uncoded_staff = int(assumed["code"].isna().sum())
    uncoded_customers = int(stated["code"].isna().sum())
    version = codebook_version(ctx.codebook)
    total = len(assumed) + len(stated)
    left = uncoded_staff + uncoded_customers
    coding = (
        f"Every statement was matched to a need in the codebook (version `{version}`, "
        f"{count_words(len(ctx.codebook), 'need category', 'need categories')})."
        if not left
        else f"The codebook (version `{version}`, "
        f"{count_words(len(ctx.codebook), 'need category', 'need categories')}) matched "
        f"{total - left:,} of {total:,} statements to a need. **{left:,} could not be coded** "
        f"({uncoded_customers:,} from customers, {uncoded_staff:,} from staff): they count "
        "in the totals but under no need until a person codes them (see *Statements to code*)."
    )
    lines.append(coding)
    unreviewed = _unreviewed_sentence(ctx)
    if unreviewed:
        lines.append(unreviewed)
    return markdown("\n\n".join(lines))


def _unreviewed_sentence(ctx: NeedsReport) -> str:
    """How many statements carry an automatic code no person has reviewed (fuzzy or low
    score), and customers' most-named need with those codes taken away.
    """
    from toolkit.coding import needs_review

    waiting = [needs_review(frame) for frame in (ctx.assumed, ctx.stated)]
    count = int(sum(w.sum() for w in waiting))
    if not count:
        return ""
    before = _top_customer_need(ctx, ctx.assumed, ctx.stated)
    after = _top_customer_need(
        ctx,
        *(
            f.assign(code=f["code"].mask(w, None))
            for f, w in zip((ctx.assumed, ctx.stated), waiting, strict=True)
        ),
    )
    start = (
        f"**{count_words(count, 'statement')}** carry an automatic code (a fuzzy or low-score "
        f"match) no person has reviewed yet (`service-toolkit table {ctx.shell_path()} coding-review`)"
    )
    if before is None or after is None:
        return start + "."
    still = "still " if after.label == before.label else ""
    return (
        start + f"; without their codes, customers' most-named need is {still}"
        f"**{md_escape(after.label)}** ({pct(after.customer_share)} of customers, "
        f"{_of_staff(after)})."
    )


def _top_customer_need(ctx: NeedsReport, assumed: pd.DataFrame, stated: pd.DataFrame):
    """The row of customers' most-named need (as the headline picks it), None if none."""
    from toolkit.needs import needs_gap

    gap = _usable(
        needs_gap(
            assumed,
            stated,
            codebook=ctx.codebook,
            confidence=ctx.confidence,
            min_n=ctx.min_n,
            min_staff_n=ctx.min_staff_n,
        )
    )
    if gap.empty:
        return None
    order = gap.sort_values(
        ["customer_share", "staff_share"], ascending=[False, True], kind="stable"
    )
    return order.iloc[0]


def _respondent_keys(stated: pd.DataFrame) -> pd.Series:
    rows = pd.Series("\x00row" + stated.index.astype(str), index=stated.index)
    if "respondent_id" not in stated:
        return rows
    ids = stated["respondent_id"]
    return ids.astype(object).where(ids.notna(), rows).astype(str)


def _usable(gap: pd.DataFrame) -> pd.DataFrame:
    suppressed = gap["suppressed"].astype("boolean").fillna(False).astype(bool)
    return gap[~suppressed & gap["customer_share"].notna()]


def _staff_hidden(row) -> bool:
    """True where the staff side was too small for shares (``min_staff_n``)."""
    return bool(getattr(row, "staff_suppressed", False)) and row.staff_n > 0


def _staff_words(row) -> str:
    if row.staff_total == 0:
        return "no staff member (staff listed no needs for this group)"
    if row.staff_n == 0:
        return "**no staff member**"
    if _staff_hidden(row):
        return (
            f"some of the {count_words(int(row.staff_total), 'staff member')} who listed "
            "needs (too few to show a share)"
        )
    return f"{pct(row.staff_share)} of {count_words(int(row.staff_total), 'staff member')}"


def _small_staff_words(usable: pd.DataFrame) -> str:
    """The explanation's sentence on small groups, from the staff side when it is shown."""
    shown = usable[usable["staff_share"].notna()]
    if shown.empty:
        return "Staff shares from too few staff members are not shown; counts are. "
    staff = shown.sort_values("staff_share", ascending=False).iloc[0]
    return (
        f"Small groups give wide intervals: {pct(staff.staff_share)} of "
        f"{staff.staff_total:,} staff members named **{md_escape(staff.label)}**, with an "
        f"interval of {pct_range(staff.staff_ci_low, staff.staff_ci_high)}. "
    )


def _of_staff(row) -> str:
    """The staff side for lists: "12% of staff", "no staff" or "too few staff for a share"."""
    if row.staff_n == 0:
        return "no staff"
    if _staff_hidden(row):
        return "too few staff for a share"
    return f"{pct(row.staff_share)} of staff"


_CLASS_ENDINGS = {
    "blind spot": " — **a blind spot**.",
    "assumed only": " — **assumed only**: staff expect it, customers rarely ask for it.",
    "possible blind spot": " — **a possible blind spot**: customers name it often, staff "
    "rarely or never, but too few staff listed needs to be sure.",
    "possibly assumed only": " — **possibly assumed only**: staff expect it more than "
    "customers ask for it, but too few answered to be sure.",
    "shared priority": " — a shared priority.",
    "low priority": ".",
}


def _blind_spot_list(usable: pd.DataFrame, shown: set, kind: str) -> str:
    """The needs of class ``kind`` not named yet, most-named first, in words ("" if none)."""
    rows = usable[usable["classification"].eq(kind) & ~usable["label"].isin(shown)]
    rows = rows.sort_values("customer_share", ascending=False, kind="stable")
    return join_words(
        [
            f"**{md_escape(b.label)}** ({pct(b.customer_share)} of customers, {_of_staff(b)})"
            for b in rows.itertuples()
        ],
        limit=5,
    )


def _other_findings(usable: pd.DataFrame, shown: set, first_class: str) -> list[str]:
    """Sentences for the blind spots, possible ones and assumed-only needs not yet named."""
    sentences = []
    blind = _blind_spot_list(usable, shown, "blind spot")
    if blind:
        sentences.append(
            ("Other blind spots" if first_class == "blind spot" else "Blind spots")
            + f" (customers name them, staff rarely do): {blind}."
        )
    possible = _blind_spot_list(usable, shown, "possible blind spot")
    if possible:
        sentences.append(
            "Possible blind spots (customers name them, staff rarely or never do, but too few "
            f"staff listed needs to be sure): {possible}."
        )
    assumed = usable[usable["classification"].eq("assumed only") & ~usable["label"].isin(shown)]
    assumed = assumed.sort_values("staff_share", ascending=False, kind="stable")
    if len(assumed):
        sentences.append(
            "Also assumed by staff but rarely named by customers: "
            + join_words(
                [
                    f"{md_escape(a.label)} ({pct(a.staff_share)} of staff, "
                    f"{pct(a.customer_share)} of customers)"
                    for a in assumed.itertuples()
                ],
                limit=6,
            )
            + "."
        )
    return sentences


def needs_headline(gap: pd.DataFrame, agreement: pd.DataFrame | None = None, *, min_n=None):
    """The sentences that open the report: the loudest blind spot and assumed-only need.

    Parameters
    ----------
    gap : DataFrame
        :func:`toolkit.needs.needs_gap` for one group (no ``by``).
    agreement : DataFrame, optional
        :func:`toolkit.needs.rank_agreement` of ``gap``; adds a sentence on how far the
        two priority orders agree.
    min_n : int, optional
        The minimum group size used, to say why a small group shows nothing.

    Returns
    -------
    IPython.display.Markdown
        Sentences such as "Customers' most-named need, **Milk and perishable food** (37%
        of 220 respondents, 95% CI 31%–43%), was named by **no staff member** — **a blind
        spot**." and "Staff's most-named need, **Food pantry or food bank access** (100%
        of 10 staff), was named by 5% of customers (95% CI 2%–8%) — **assumed only** …",
        then the other blind spots and assumed-only needs. User text is escaped.

    Examples
    --------
    >>> gap = pd.DataFrame({
    ...     "label": ["Milk", "Pantry"], "staff_n": [0, 10], "staff_total": [10, 10],
    ...     "staff_share": [0.0, 1.0], "customer_n": [81, 10],
    ...     "customer_total": [220, 220], "customer_share": [0.368, 0.0455],
    ...     "customer_ci_low": [0.307, 0.025], "customer_ci_high": [0.434, 0.082],
    ...     "classification": ["blind spot", "assumed only"], "suppressed": [False, False],
    ...     "confidence": [0.95, 0.95]})
    >>> print(needs_headline(gap).data)  # doctest: +NORMALIZE_WHITESPACE
    Customers' most-named need, **Milk** (37% of 220 respondents, 95% CI 31%–43%), was
    named by **no staff member** — **a blind spot**.
    <BLANKLINE>
    Staff's most-named need, **Pantry** (100% of 10 staff members), was named by 5% of
    customers (95% CI 2%–8%) — **assumed only**: staff expect it, customers rarely ask
    for it.
    """
    if gap.empty:
        return markdown(
            "No needs were coded for these customers yet, so there is nothing to compare."
        )
    usable = _usable(gap)
    if usable.empty:
        why = f"fewer than {min_n} respondents" if min_n else "too few respondents"
        total = int(gap["customer_total"].max()) if len(gap) else 0
        return markdown(
            f"Only {count_words(total, 'customer')} answered here — {why} — so no shares are shown: "
            "with so few answers they would say more about individuals than about the group."
        )
    level = level_words(usable["confidence"].iloc[0])
    sentences = []
    top_customer = usable.sort_values(
        ["customer_share", "staff_share"], ascending=[False, True], kind="stable"
    ).iloc[0]
    r = top_customer
    sentences.append(
        f"Customers' most-named need, **{md_escape(r.label)}** ({pct(r.customer_share)} of "
        f"{count_words(int(r.customer_total), 'respondent')}, {level} CI "
        f"{pct_range(r.customer_ci_low, r.customer_ci_high)}), was named by {_staff_words(r)}"
        + _CLASS_ENDINGS.get(str(r.classification), ".")
    )
    staff_named = usable[(usable["staff_n"] > 0) & usable["staff_share"].notna()]
    if usable["staff_n"].gt(0).any() and not len(staff_named):
        sentences.append(
            f"Only {count_words(int(usable['staff_total'].max()), 'staff member')} listed "
            "needs for these customers, too few to show staff shares; needs no staff member "
            "named are still shown as such."
        )
        shown = {r.label}
    elif len(staff_named):
        s = staff_named.sort_values(
            ["staff_share", "customer_share"], ascending=[False, True], kind="stable"
        ).iloc[0]
        if s.label == r.label:
            sentences.append(
                f"It is also staff's most-named need ({pct(s.staff_share)} of "
                f"{count_words(int(s.staff_total), 'staff member')})."
            )
        else:
            sentences.append(
                f"Staff's most-named need, **{md_escape(s.label)}** ({pct(s.staff_share)} of "
                f"{count_words(int(s.staff_total), 'staff member')}), was named by "
                f"{pct(s.customer_share)} of customers ({level} CI "
                f"{pct_range(s.customer_ci_low, s.customer_ci_high)})"
                + _CLASS_ENDINGS.get(str(s.classification), ".")
            )
        shown = {r.label, s.label}
    else:
        sentences.append(
            "Staff named no needs for these customers, so every need customers "
            "named is one staff did not assume."
        )
        shown = {r.label}
    sentences += _other_findings(usable, shown, str(r.classification))
    if agreement is not None and len(agreement):
        sentence = _agreement_sentence(agreement.iloc[0])
        if sentence:
            sentences.append(sentence)
    return markdown("\n\n".join(sentences))


def _agreement_words(rho: float) -> str:
    if rho < -0.1:
        return "pull in opposite directions"
    if rho < 0.3:
        return "barely agree"
    if rho < 0.6:
        return "partly agree"
    return "largely agree"


def _agreement_sentence(row) -> str:
    if is_missing(row.spearman):
        return ""
    level = level_words(row.confidence)
    shared = [md_escape(x) for x in str(row.top_k_shared or "").split("; ") if x]
    overlap = int(row.top_k_overlap) if not is_missing(row.top_k_overlap) else 0
    text = (
        f"Overall, staff's and customers' priority orders {_agreement_words(row.spearman)} "
        f"(Spearman's ρ = {fmt_number(row.spearman)}, {level} CI {fmt_number(row.spearman_ci_low)} to "
        f"{fmt_number(row.spearman_ci_high)}, over {count_words(int(row.needs), 'need')}). Of each side's "
        f"top {int(row.top_k)} needs, "
    )
    if overlap == 0:
        return text + "none is on both lists."
    verb = "is" if overlap == 1 else "are"
    return text + f"{overlap} {verb} on both lists: {join_words(shared)}."


def how_sure(gap: pd.DataFrame, agreement: pd.DataFrame):
    """How sure we are: intervals in one paragraph, the classes, and rank agreement.

    Parameters
    ----------
    gap : DataFrame
        :func:`toolkit.needs.needs_gap` (one group).
    agreement : DataFrame
        :func:`toolkit.needs.rank_agreement` of ``gap``.

    Returns
    -------
    IPython.display.Markdown
    """
    usable = _usable(gap)
    if usable.empty:
        return markdown("Too few customers answered to estimate anything with confidence.")
    level = level_words(usable["confidence"].iloc[0])
    example = usable.sort_values("customer_share", ascending=False).iloc[0]
    priority = float(usable["priority_threshold"].iloc[0])
    rare = float(usable["rare_threshold"].iloc[0])
    paragraphs = [
        f"Every share in this report comes from the people who answered, not from every "
        f"customer, so each comes with a {level} interval: the range of values the answers "
        f"are consistent with. For example, {pct(example.customer_share)} of "
        f"{example.customer_total:,} customers named **{md_escape(example.label)}**; the "
        f"interval, {pct_range(example.customer_ci_low, example.customer_ci_high)}, says the "
        f"share among all customers like these is very likely in that range. "
        + _small_staff_words(usable)
        + "Groups with fewer respondents than the minimum size are not shown at all.",
        f"A need is a **priority** for a list when at least {pct(priority)} of it names the "
        f"need, and **rare** when fewer than {pct(rare)} do. A *blind spot* is a customer "
        f"priority that is rare among staff; *assumed only* is the reverse; a *shared "
        f"priority* is a priority for either list otherwise. A blind spot or assumed-only "
        f"need also needs the {level} interval of the gap to leave out zero; where it does "
        f"not, the need is a *possible* blind spot or *possibly* assumed only.",
    ]
    if len(agreement):
        a = agreement.iloc[0]
        if is_missing(a.spearman):
            paragraphs.append(
                "There are too few needs, or too little variety among them, to measure how "
                "far the two priority orders agree."
            )
        else:
            chance = (
                " An agreement this weak could be chance: the interval includes zero."
                if a.spearman_ci_low <= 0 <= a.spearman_ci_high
                else ""
            )
            shared = [md_escape(x) for x in str(a.top_k_shared or "").split("; ") if x]
            only = [md_escape(x) for x in str(a.customer_only_needs or "").split("; ") if x]
            paragraphs.append(
                f"**Do staff and customers rank needs the same way?** Ranking the "
                f"{count_words(int(a.needs), 'need')} either list names by how often each side "
                f"names them, the two orders {_agreement_words(a.spearman)}: Spearman's ρ = "
                f"{fmt_number(a.spearman)} ({level} CI {fmt_number(a.spearman_ci_low)} to "
                f"{fmt_number(a.spearman_ci_high)}), Kendall's τ = {fmt_number(a.kendall)} "
                f"({fmt_number(a.kendall_ci_low)} to {fmt_number(a.kendall_ci_high)}); 1 would be the same "
                f"order, 0 no relation.{chance}"
            )
            top = (
                f"Of each side's top {int(a.top_k)} needs, {int(a.top_k_overlap)} "
                f"{'is' if int(a.top_k_overlap) == 1 else 'are'} on both lists"
                + (f": {join_words(shared)}." if shared else ".")
            )
            if only:
                top += (
                    f" Customers named {count_words(len(only), 'need')} no staff member did, "
                    f"led by {join_words(only[:3])}."
                )
            paragraphs.append(top)
    return markdown("\n\n".join(paragraphs))


def group_findings(
    gap_by: pd.DataFrame, agreement_by: pd.DataFrame, *, by: str, min_n: int | None = None
) -> pd.DataFrame:
    """One row per group: its size, blind spots, assumed-only needs and rank agreement.

    Parameters
    ----------
    gap_by : DataFrame
        ``needs_gap(..., by=by)``.
    agreement_by : DataFrame
        ``rank_agreement(gap_by, by=by)``.
    by : str
        The group column.
    min_n : int, optional
        The minimum group size, to explain suppressed groups.

    Returns
    -------
    DataFrame
        ``[by]``, ``respondents``, ``staff_members``, ``blind_spots`` and ``assumed_only``
        (lists of labels with their shares, most named first), ``spearman`` with ``spearman_ci_low`` /
        ``spearman_ci_high``, ``top_k_overlap``, ``suppressed``. For a suppressed group the
        two lists say why nothing is shown. Groups keep the order of ``gap_by``.
    """
    rows = []
    agreement = agreement_by.set_index(by) if len(agreement_by) else pd.DataFrame()
    why = (
        f"fewer than {min_n} respondents: not shown" if min_n else "too few respondents: not shown"
    )
    for group, g in gap_by.groupby(by, sort=False):
        suppressed = bool(g["suppressed"].astype("boolean").fillna(False).any())
        row = {
            by: group,
            "respondents": int(g["customer_total"].max()),
            "staff_members": int(g["staff_total"].max()),
            "suppressed": suppressed,
        }
        if suppressed:
            row.update(blind_spots=why, assumed_only=why)
        else:
            blind = g[g["classification"].isin(["blind spot", "possible blind spot"])]
            blind = blind.sort_values("customer_share", ascending=False)
            assumed = g[g["classification"].eq("assumed only")].sort_values(
                "staff_share", ascending=False
            )
            row["blind_spots"] = [
                f"{b.label} ({pct(b.customer_share)} of customers"
                + ("; possible)" if b.classification == "possible blind spot" else ")")
                for b in blind.itertuples()
            ] or ["none"]
            row["assumed_only"] = [
                f"{a.label} ({pct(a.staff_share)} of staff)" for a in assumed.itertuples()
            ] or ["none"]
        a = agreement.loc[group] if group in agreement.index else None
        for col in ("spearman", "spearman_ci_low", "spearman_ci_high", "top_k_overlap"):
            row[col] = float("nan") if a is None or suppressed else a[col]
        rows.append(row)
    columns = [
        by,
        "respondents",
        "staff_members",
        "blind_spots",
        "assumed_only",
        "spearman",
        "spearman_ci_low",
        "spearman_ci_high",
        "top_k_overlap",
        "suppressed",
    ]
    return pd.DataFrame(rows, columns=columns)


def common_ground_summary(cg: pd.DataFrame, *, groups: Sequence | None = None):
    """Common ground and conflicts across customer groups, in words and two tables.

    Parameters
    ----------
    cg : DataFrame
        :func:`toolkit.needs.common_ground`.
    groups : sequence, optional
        The groups compared, in display order (for the sentence on shared needs).

    Returns
    -------
    (Markdown, DataFrame, DataFrame)
        A paragraph; the shared needs (``label``, ``groups`` naming it as a priority,
        ``pairs`` of groups sharing it, ``in_every_segment``); and the conflicts
        (``label``, ``segment_a``, ``importance_a`` with ``importance_n_a`` ratings and
        ``importance_ci_low_a``/``importance_ci_high_a``, the same for ``segment_b``,
        ``importance_difference`` with its Welch interval, ``share_a``, ``share_b``).
        A conflict is two mean ratings at least the threshold apart whose difference's
        interval excludes zero (:func:`toolkit.needs.common_ground`).
    """
    empty_shared = pd.DataFrame(columns=["label", "groups", "pairs", "in_every_segment"])
    empty_conflicts = pd.DataFrame(
        columns=[
            "label",
            "segment_a",
            "importance_a",
            "importance_n_a",
            "importance_ci_low_a",
            "importance_ci_high_a",
            "segment_b",
            "importance_b",
            "importance_n_b",
            "importance_ci_low_b",
            "importance_ci_high_b",
            "importance_difference",
            "importance_difference_ci_low",
            "importance_difference_ci_high",
            "share_a",
            "share_b",
        ]
    )
    if cg.empty or "relation" not in cg or cg["relation"].isna().all():
        text = (
            "Only one customer group is in this report, so there is nothing to compare."
            if groups is not None and len(groups) < 2
            else "No need is shared by two groups, held by one alone, or disputed."
        )
        return markdown(text), empty_shared, empty_conflicts
    live = cg[~cg["suppressed"].astype(bool)]
    common = live[live["relation"].eq("common ground")]
    priority_of: dict[str, list] = {}
    for r in common.itertuples():
        for seg in (r.segment_a, r.segment_b):
            priority_of.setdefault(r.label, [])
            if seg not in priority_of[r.label]:
                priority_of[r.label].append(seg)
    order = {g: i for i, g in enumerate(groups or [])}
    shared = pd.DataFrame(
        [
            {
                "label": label,
                "groups": ", ".join(sorted(segs, key=lambda s: order.get(s, len(order)))),
                "pairs": int(common["label"].eq(label).sum()),
                "in_every_segment": bool(
                    live.loc[live["label"].eq(label), "in_every_segment"].any()
                ),
            }
            for label, segs in priority_of.items()
        ],
        columns=empty_shared.columns,
    )
    if len(shared):
        shared["_n"] = shared["groups"].str.count(",") + 1
        shared = shared.sort_values(["_n", "pairs"], ascending=False, kind="stable").drop(
            columns="_n"
        )
    conflicts = live[live["relation"].eq("conflict")][list(empty_conflicts.columns)]
    n_groups = (
        len(groups) if groups is not None else cg[["segment_a", "segment_b"]].stack().nunique()
    )
    sentences = []
    if len(shared):
        top = shared.iloc[0]
        count = top["groups"].count(",") + 1
        everywhere = shared[shared["in_every_segment"]]
        sentences.append(
            f"The broadest common ground is **{md_escape(top['label'])}**, a priority for "
            f"{count} of {n_groups} groups ({md_escape(top['groups'])})."
            + (
                f" A priority in every group: {join_words([md_escape(x) for x in everywhere['label']])}."
                if len(everywhere)
                else ""
            )
        )
    else:
        sentences.append("No need is a priority for two groups at once.")
    if len(conflicts):
        c = conflicts.iloc[0]
        sentences.append(
            f"**{count_words(len(conflicts), 'conflict')}**: groups rate the same need very "
            f"differently, by more than chance explains. For example, "
            f"{md_escape(c.segment_a)} rate **{md_escape(c.label)}** {_rating_words(c, 'a')} "
            f"and {md_escape(c.segment_b)} {_rating_words(c, 'b')}: plan it with both in the "
            "room."
        )
    else:
        sentences.append("No two groups rate the same need in clearly opposite ways.")
    suppressed = cg[cg["suppressed"].astype(bool)]
    if len(suppressed):
        small = sorted(set(suppressed["segment_a"]) | set(suppressed["segment_b"]))
        sentences.append(
            f"Pairs involving a group below the minimum size are left out ({md_escape(', '.join(map(str, small)))})."
        )
    return (
        markdown(" ".join(sentences)),
        shared.reset_index(drop=True),
        conflicts.reset_index(drop=True),
    )


def _rating_words(row, side: str) -> str:
    """One side's mean importance in a conflict: mean, interval and ratings."""
    return importance_words(
        *(getattr(row, f"importance{part}_{side}") for part in ("", "_ci_low", "_ci_high", "_n"))
    )


def importance_performance_summary(ip: pd.DataFrame, *, min_n: int | None = None):
    """The "Concentrate here" needs, in words and as a table.

    Parameters
    ----------
    ip : DataFrame
        :func:`toolkit.needs.importance_performance` (one group).
    min_n : int, optional
        The minimum number of ratings, to explain needs left unplaced.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph and the needs in *Concentrate here*, most important first.
    """
    if ip.empty:
        return markdown(
            "No customer rated both how important a need is and how well it is met, so "
            "there is no importance–performance grid."
        ), ip
    focus = ip[ip["quadrant"].eq("Concentrate here")].sort_values(
        ["importance", "performance"], ascending=[False, True], kind="stable"
    )
    unplaced = int(ip["suppressed"].astype(bool).sum())
    where = (
        "the middle of the 1–5 scale"
        if (ip["crosshair"] == "midpoint").all()
        else "the average ratings"
    )
    text = [
        f"Customers rated each need they named for importance and for how well it is met "
        f"today (1–5). The lines cross at {where}."
    ]
    if len(focus):
        top = focus.iloc[0]
        text.append(
            f"**{count_words(len(focus), 'need')} fall in *Concentrate here*** (important, poorly "
            f"met), led by **{md_escape(top.label)}**: importance {fmt_number(top.importance, 1)}, "
            f"performance {fmt_number(top.performance, 1)} ({top.n:,} ratings)."
        )
    else:
        text.append("No need falls in *Concentrate here*.")
    if unplaced:
        why = f"fewer than {min_n} ratings" if min_n else "too few ratings"
        text.append(
            f"{count_words(unplaced, 'need')} with {why} {'is' if unplaced == 1 else 'are'} not placed."
        )
    return markdown(" ".join(text)), focus.reset_index(drop=True)


def statements_to_code(ctx: NeedsReport, *, top: int = 10):
    """The statements the codebook could not code, most frequent first.

    Returns
    -------
    (Markdown, DataFrame)
        A paragraph and the top ``top`` rows of :func:`toolkit.needs.uncoded_needs`
        (``list`` staff/customers, ``need``, ``statements``).
    """
    from toolkit.needs import codebook_version, uncoded_needs

    both = pd.concat(
        [ctx.assumed.assign(list="staff"), ctx.stated.assign(list="customers")],
        ignore_index=True,
    )
    uncoded = uncoded_needs(both, by="list")
    total = int(uncoded["statements"].sum()) if len(uncoded) else 0
    if not total:
        return markdown("Every statement was coded: nothing is waiting for a person."), uncoded
    shown = uncoded.head(top)
    covered = int(shown["statements"].sum())
    text = (
        f"{count_words(total, 'statement')} ({count_words(len(uncoded), 'distinct wording')}) matched "
        f"no need in codebook version `{codebook_version(ctx.codebook)}`. They still count in "
        f"the totals. Coding the {len(shown)} below would settle {covered:,} of them. Add a "
        f"keyword to the codebook, or import the rows with the `code` column filled: a "
        f"person's code always wins. The full list: "
        f"`service-toolkit table {ctx.shell_path()} uncoded`."
    )
    return markdown(text), shown.reset_index(drop=True)


# ----------------------------------------------------------------------------- live panel


def needs_explorer(ctx: NeedsReport, *, chart_needs: int = 15):
    """A small panel for exploring the gap live: group, minimum group size, top k.

    Only for interactive use (JupyterLab, Voilà): report runs must not create it, so no
    widget state reaches a report.

    Parameters
    ----------
    ctx : NeedsReport
        The opened report.
    chart_needs : int
        How many needs (largest gaps) the dumbbell chart shows.

    Returns
    -------
    ipywidgets.VBox
        A dropdown of the groups (and "All"), a minimum-group-size slider and a top-k
        slider above an ``Output`` that redraws the headline, the dumbbell chart, the
        blind-spot table and the rank slope chart whenever a control changes.
    """
    import ipywidgets as w
    from IPython.display import display

    from toolkit.charts.needs import needs_gap_chart, rank_slope_chart
    from toolkit.needs import needs_gap, rank_agreement

    everyone = object()  # the "All" choice: no group can equal it
    group = w.Dropdown(
        options=[("All", everyone), *((str(g), g) for g in ctx.groups())],
        value=everyone,
        description=ctx.by.replace("_", " ").capitalize(),
        style={"description_width": "initial"},
    )
    min_n = _count_slider("Min group size", ctx.min_n, 30)
    top_k = _count_slider("Top k", ctx.top_k, 15)
    out = w.Output()

    def draw(_change=None) -> None:
        assumed, stated = ctx.assumed, ctx.stated
        if group.value is not everyone:
            if ctx.by in assumed:  # else: the group's customers against all staff
                assumed = assumed[assumed[ctx.by] == group.value]
            stated = stated[stated[ctx.by] == group.value]
        gap = needs_gap(
            assumed,
            stated,
            codebook=ctx.codebook,
            confidence=ctx.confidence,
            min_n=min_n.value,
            min_staff_n=ctx.min_staff_n,
        )
        agreement = rank_agreement(gap, confidence=ctx.confidence, top_k=top_k.value)
        with out:
            out.clear_output(wait=True)
            display(needs_headline(gap, agreement, min_n=min_n.value))
            if len(_usable(gap)):
                display(needs_gap_chart(gap, top=chart_needs))
                display(_finding_table(gap))
                display(rank_slope_chart(gap, top_k=top_k.value))

    for control in (group, min_n, top_k):
        control.observe(draw, names="value")
    # The report above already shows everyone at these sizes: the panel draws only once a
    # control changes, so no chart appears twice.
    title = w.HTML(
        "<h3>Explore</h3><p>Pick a group or change a size: the headline, the charts and the "
        "table for that choice appear below.</p>"
    )
    return w.VBox([title, w.HBox([group, min_n, top_k]), out])


def _count_slider(description: str, value: int, top: int):
    """A slider for a whole number from 1 to ``top`` (or ``value``, when larger), read on release."""
    import ipywidgets as w

    return w.IntSlider(
        value=value,
        min=1,
        max=max(top, value),
        description=description,
        style={"description_width": "initial"},
        continuous_update=False,
    )


def _finding_table(gap: pd.DataFrame) -> Table:
    flagged = gap[
        gap["classification"].isin(
            ["blind spot", "assumed only", "possible blind spot", "possibly assumed only"]
        )
    ]
    return show_table(
        flagged,
        columns={
            "label": "Need",
            "classification": "Finding",
            "customer_share": "Customers",
            "staff_share": "Staff",
        },
        percent=["customer_share", "staff_share"],
        intervals={
            "customer_share": ("customer_ci_low", "customer_ci_high"),
            "staff_share": ("staff_ci_low", "staff_ci_high"),
        },
        caption="Blind spots and needs only staff assumed",
    )
