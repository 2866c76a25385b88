"""The "you said, we did" page: what customers said they need most, and what was done.

``notebooks/you_said_we_did.ipynb`` opens its data with :func:`open_you_said_report` and
shows the page with :meth:`YouSaidReport.page`. Unlike the other reports it is written
for customers, to print and pin up or hand out: one A4 page, large type, plain words, no
statistics, in the customers' language.

What the page shows
    The organisation's name, how many people were heard (and when), then the needs
    customers named most (:func:`top_needs`: the needs gap's customer shares, unweighted,
    so "37%" is 37 of every 100 people heard), each with what was done, is under way or
    is planned about it (:func:`need_actions`, built on
    :func:`toolkit.loop.actions_for`), or *not decided yet*.
What it never shows
    Anyone's name, e-mail, id or own words: statements are only counted. The ``owner``
    of an action is never shown (the toolkit cannot tell a role from a person's name),
    nor its ``notes``; an action whose words hold what looks like an e-mail address or a
    phone number is shown by its status only, and the run's warnings say so. Dropped
    actions count as no action, as in the decision matrix.
Languages (:func:`languages`, :func:`load_strings`)
    The page's fixed words come from ``toolkit/reports/strings/LANG.toml`` (``en``,
    ``es``); a need's label from the codebook's ``label_LANG`` column (``label_es``),
    falling back to its ``label`` with a warning (:func:`toolkit.schema.tables.label_column`).
One page
    The page's type shrinks for print, never below 12 px, to the largest size at which a
    generous estimate of its height fits one A4 page (:func:`print_scale`); when even the
    smallest does not, a warning says to show fewer needs.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from toolkit._words import fmt_count, is_missing, pct
from toolkit.errors import DataValidationError
from toolkit.loop import NO_ACTION, actions_for
from toolkit.needs import code_needs, needs_gap
from toolkit.reports.context import ReportContext, markdown, open_report_as_called
from toolkit.reports.runner import REPORT_TABLES
from toolkit.reports.strings import STRINGS_DIR, language_in_force, languages, load_strings
from toolkit.schema.personal import personal_in_text
from toolkit.schema.tables import ACTION_STATUSES, NOT_A_NEED, label_column

__all__ = [
    "STRINGS_DIR",
    "YOU_SAID_TABLES",
    "YouSaidReport",
    "languages",
    "load_strings",
    "need_actions",
    "open_you_said_report",
    "page_document",
    "print_scale",
    "standalone_page",
    "top_needs",
]

YOU_SAID_TABLES = REPORT_TABLES["you-said-we-did"]
"""The stored tables the page reads."""

#: The most needs one printed page holds in large type.
MOST_NEEDS = 8
#: Actions shown under one need; more are counted ("and 2 more").
ACTIONS_SHOWN = 2
#: The status words' keys in a strings file, most advanced first.
_STATUS_KEYS = {
    "done": "status_done",
    "under way": "status_under_way",
    "planned": "status_planned",
    NO_ACTION: "status_not_decided",
}


# ----------------------------------------------------------------------------- content


def top_needs(
    stated: pd.DataFrame, codebook: pd.DataFrame, *, top: int = 5, min_n: int = 5
) -> tuple[pd.DataFrame, int]:
    """The needs the most people named, and how many people were heard.

    Parameters
    ----------
    stated : DataFrame
        Coded stated needs (``code``, optional ``respondent_id``).
    codebook : DataFrame
        The codebook (``code``, ``label`` and any ``label_xx`` columns).
    top : int
        How many needs to return.
    min_n : int
        Fewer people heard than this: no needs are returned (the page says so).

    Returns
    -------
    (DataFrame, int)
        At most ``top`` rows, most named first (ties by label): ``code``, ``label``,
        ``customer_n`` (people naming it), ``customer_total`` (people heard),
        ``customer_share``; and the number of people heard. Shares are the needs gap's
        customer shares, unweighted (a person who named several needs counts under
        each; *not a need* and uncoded statements count their people in the total only).
    """
    nobody = pd.DataFrame({"staff": pd.Series(dtype=object), "code": pd.Series(dtype=object)})
    gap = needs_gap(nobody, stated, codebook=codebook, min_n=min_n, weight=None)
    people = int(gap["customer_total"].max()) if len(gap) else _people(stated)
    if gap.empty or bool(gap["suppressed"].any()):
        return gap.iloc[:0][
            ["code", "label", "customer_n", "customer_total", "customer_share"]
        ], people
    named = gap[(gap["code"] != NOT_A_NEED["code"]) & (gap["customer_n"] > 0)]
    ordered = named.sort_values(["customer_share", "label"], ascending=[False, True], kind="stable")
    columns = ["code", "label", "customer_n", "customer_total", "customer_share"]
    return ordered[columns].head(top).reset_index(drop=True), people


def _people(stated: pd.DataFrame) -> int:
    """People heard when no need was coded: distinct ids, a row without one counting once."""
    if "respondent_id" not in stated:
        return len(stated)
    ids = stated["respondent_id"]
    return int(ids.dropna().nunique() + ids.isna().sum())


def need_actions(actions: pd.DataFrame | None, code, segments: Sequence | None) -> pd.DataFrame:
    """The actions about need ``code`` for the customers a page covers, most advanced first.

    Each group's actions are :func:`toolkit.loop.actions_for`'s (the need's actions for
    that group or for everyone; never a dropped one), here only those naming the need
    itself: an action about a whole group says nothing about one need on a public page.

    Parameters
    ----------
    actions : DataFrame or None
        The ``actions`` table.
    code : str
        The need.
    segments : sequence or None
        The groups the page covers; None for everyone (every group's actions count).
    """
    if actions is None or actions.empty:
        return pd.DataFrame(columns=["action", "status", "segment"])
    groups = list(segments) if segments is not None else list(actions["segment"].dropna().unique())
    found = [actions_for(actions, code, group) for group in [None, *groups]]
    rows = pd.concat([f for f in found if len(f)] or [actions.iloc[:0]])
    rows = rows[~rows.index.duplicated()]
    rows = rows[rows["code"].astype(str).str.strip().str.lower() == str(code).strip().lower()]
    advanced = rows["status"].map(lambda s: -ACTION_STATUSES.index(s))
    return rows.assign(_rank=advanced).sort_values("_rank", kind="stable").drop(columns="_rank")


# ----------------------------------------------------------------------------- the report


@dataclass
class YouSaidReport(ReportContext):
    """A :class:`ReportContext` with the page's needs, words and warnings.

    Attributes
    ----------
    language : str
        The page's language code.
    words : dict
        Its fixed words (:func:`load_strings`).
    needs : DataFrame
        :func:`top_needs`, with ``shown_label`` (in the page's language).
    people : int
        How many people were heard.
    warnings : list of str
        What the planner should know (labels not in the page's language, actions shown
        by their status only, a page that may not fit); never on the page itself.
    """

    language: str = "en"
    words: dict = field(default_factory=dict)
    needs: pd.DataFrame = None
    people: int = 0
    top: int = 5
    warnings: list = field(default_factory=list)

    @property
    def segments(self) -> list | None:
        """The groups the page covers: the subset's segments, or None for everyone."""
        chosen = self.subset.get("segment")
        if chosen is None:
            return None
        return [str(v) for v in (chosen if isinstance(chosen, list | tuple | set) else [chosen])]

    def page(self):
        """The page, for the notebook and the report (its HTML, with the page's metadata)."""
        from IPython.display import HTML

        body, scale_warning = _page_html(self)
        warnings = [*self.warnings, *([scale_warning] if scale_warning else [])]
        meta = {
            "page": {"title": self.words["title"], "lang": self.language},
            "warnings": warnings,
            "findings": _slides(self),
            "header": self._facts(),
        }
        return HTML(body, metadata={"service_toolkit": meta})

    def warning_note(self):
        """The run's warnings for a planner reading the notebook (not part of the page)."""
        _, scale_warning = _page_html(self)
        warnings = [*self.warnings, *([scale_warning] if scale_warning else [])]
        if not warnings:
            return markdown("No warnings: every need has a label in the page's language.")
        return markdown(
            "**Warnings** (not on the page):\n\n" + "\n".join(f"- {w}" for w in warnings)
        )


def open_you_said_report(
    engagement: str | os.PathLike = "",
    *,
    subset: Mapping | None = None,
    interactive: bool = True,
    language: str = "",
    top: int = 5,
    min_n: int | None = None,
    parameters: Mapping | None = None,
) -> YouSaidReport:
    """Open the data of the "you said, we did" page, and word its needs.

    Parameters
    ----------
    engagement, subset, interactive, min_n
        As for :func:`toolkit.reports.context.open_report`.
    language : str
        The page's language (``en``, ``es``, … :func:`languages`); empty for
        engagement.toml's ``settings.language``, else English.
    top : int
        How many needs to show, 1 to :data:`MOST_NEEDS`.
    parameters : mapping, optional
        The notebook's parameters as given.

    Raises
    ------
    DataValidationError
        An unknown language (listing those there are), ``top`` out of range, no stated
        needs, or a subset that keeps none.
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MOST_NEEDS:
        raise DataValidationError(
            f"top must be a whole number from 1 to {MOST_NEEDS} (got {top!r}): one printed "
            "page in large type holds that many needs."
        )
    if language and not isinstance(language, str):
        raise DataValidationError(
            f"language must be a language code such as es (got {language!r})."
        )
    called = {"confidence": None, "min_n": min_n, "language": language, "top": top}
    ctx = open_report_as_called(
        engagement, subset, interactive, parameters, called, tables=YOU_SAID_TABLES
    )
    code = language_in_force(language, ctx.engagement.settings)
    words = load_strings(code)
    if ctx.tables["stated_needs"].empty:
        raise DataValidationError(
            "There are no stated needs"
            + (
                " for this subset."
                if ctx.subset
                else ". Import them first (service-toolkit import)."
            )
        )
    codebook = ctx.tables["codebook"]
    stated = code_needs(ctx.tables["stated_needs"], codebook)  # a person's code wins
    needs, people = top_needs(stated, codebook, top=top, min_n=ctx.min_n)
    fields = {f: getattr(ctx, f) for f in ReportContext.__dataclass_fields__}
    report = YouSaidReport(**fields, language=code, words=words, people=people, top=top)
    report.needs = _labelled(needs, codebook, report)
    return report


def _labelled(needs: pd.DataFrame, codebook: pd.DataFrame, report: YouSaidReport) -> pd.DataFrame:
    """``needs`` with ``shown_label``: the codebook's label in the page's language, or
    its ``label`` (with a warning) where that is blank or missing.
    """
    column = label_column(report.language)
    own = {}
    if column in codebook:
        own = {
            str(c): str(v).strip()
            for c, v in zip(codebook["code"], codebook[column], strict=True)
            if not is_missing(v) and str(v).strip()
        }
    shown = [own.get(str(c), label) for c, label in zip(needs["code"], needs["label"], strict=True)]
    missing = [
        f"{label} ({c})"
        for c, label in zip(needs["code"], needs["label"], strict=True)
        if str(c) not in own
    ]
    if missing and column != "label":
        name = report.words["language_name"]
        report.warnings.append(
            f"{len(missing)} of the page's needs have no {name} label in the codebook "
            f"(column {column}), so their English label is shown: {'; '.join(missing)}. Add a "
            f"{column} column to the codebook and import it again to show them in {name}."
        )
    return needs.assign(shown_label=shown)


# ----------------------------------------------------------------------------- words


def _count(n: int, words: Mapping) -> str:
    return fmt_count(n).replace(",", words["thousands"])


def _share(share: float, words: Mapping) -> str:
    text = pct(share)  # the one rounding of a share
    if text.startswith("<"):
        return words["share_small"]
    return words["share"].format(percent=text.rstrip("%"))


def _month(value, words: Mapping) -> str | None:
    if is_missing(value) or value == "":
        return None
    moment = pd.Timestamp(value)
    if pd.isna(moment):
        return None
    return words["month_year"].format(month=words["months"][moment.month - 1], year=moment.year)


def _heard(report: YouSaidReport) -> str:
    words = report.words
    dates = pd.to_datetime(report.tables["stated_needs"].get("collected_on"), errors="coerce")
    period = ""
    if dates is not None and dates.notna().any():
        start, end = _month(dates.min(), words), _month(dates.max(), words)
        period = (
            words["period_one"].format(month=start)
            if start == end
            else words["period"].format(start=start, end=end)
        )
    key = "heard_one" if report.people == 1 else "heard"
    text = words[key].format(people=_count(report.people, words), period=period)
    return " ".join(text.split()).replace(" .", ".")


def _action_name(row: Mapping, code) -> str:
    """An action as a warning names it: its ``action_id``, else its need, group and
    status, never its own words (they may hold the personal data the warning is about).
    """
    given = row.get("action_id")
    if not is_missing(given) and str(given).strip():
        return f"action {str(given).strip()}"
    group = row.get("segment")
    for_group = "" if is_missing(group) or not str(group).strip() else f" for {group}"
    return f"the {row['status']} action about need {code}{for_group}"


def _action_lines(report: YouSaidReport, code) -> tuple[str, list[dict]]:
    """The need's status (most advanced) and its actions as ``{status, text, when}``."""
    found = need_actions(report.tables.get("actions"), code, report.segments)
    words = report.words
    lines = []
    for row in found.to_dict("records"):
        text = str(row["action"]).strip()
        problem = personal_in_text(text)
        if problem is not None:
            report_warning = (
                f"{_action_name(row, code)}: its words hold what looks like {problem}, so the page shows "
                "its status only. Reword it in the actions table (in words for customers)."
            )
            if report_warning not in report.warnings:
                report.warnings.append(report_warning)
            text = ""
        group = row.get("segment")
        if (
            text
            and not is_missing(group)
            and str(group).strip()
            and report.segments != [str(group)]
        ):
            text += f" ({words['for_group'].format(group=str(group).strip())})"
        if row["status"] == "done":
            month = _month(row.get("done_on"), words)
            when = words["done_when"].format(month=month) if month else ""
        else:
            month = _month(row.get("due_on"), words)
            when = words["due_when"].format(month=month) if month else ""
        lines.append({"status": row["status"], "text": text, "when": when})
    status = lines[0]["status"] if lines else NO_ACTION
    return status, lines


def _needs_content(report: YouSaidReport) -> list[dict]:
    out = []
    for row in report.needs.to_dict("records"):
        status, lines = _action_lines(report, row["code"])
        out.append(
            {
                "label": row["shown_label"],
                "share": _share(row["customer_share"], report.words),
                "status": status,
                "actions": lines,
            }
        )
    return out


def _slides(report: YouSaidReport) -> list[dict]:
    """One slide per need for ``--format pptx``: the need, its share and what was done."""
    words = report.words
    slides = []
    for need in _needs_content(report):
        said = [f"{need['share']} {words['named']}."]
        for line in need["actions"][:ACTIONS_SHOWN] or [{"status": NO_ACTION, "text": ""}]:
            status = words[_STATUS_KEYS[line["status"]]]
            text = line["text"] or (words["not_decided"] if line["status"] == NO_ACTION else "")
            said.append(
                f"{status}: {text}".rstrip(": ")
                + (f" ({line['when']})" if line.get("when") else "")
            )
        slides.append({"title": need["label"], "text": " ".join(said)})
    return slides


# ----------------------------------------------------------------------------- the page

#: Font sizes (CSS px) of the printed page at scale 1; each shrinks with the scale, never
#: below :data:`SMALLEST_PX`.
_PRINT_PX = {
    "org": 17, "title": 34, "heard": 22, "intro": 16, "pct": 30, "named": 13,
    "label": 21, "badge": 14, "action": 16, "footer": 13,
}  # fmt: skip
#: The smallest type on the page, on screen and on paper.
SMALLEST_PX = 12
#: The scales tried, largest first.
_SCALES = (1.0, 0.92, 0.85, 0.78, 0.72, 0.66)
#: The printed page's content box in CSS px (A4 less the PDF margins; export.py's).
_PAGE_W, _PAGE_H = 688, 994


def _px(name: str, scale: float) -> float:
    return max(SMALLEST_PX, _PRINT_PX[name] * scale)


def _lines(text: str, width: float, size: float) -> int:
    """Lines ``text`` takes at ``size`` px in ``width`` px, by a generous estimate."""
    per_line = max(1, int(width / (size * 0.56)))
    return max(1, -(-len(text) // per_line))


def print_scale(texts: Mapping, needs: Sequence[Mapping]) -> float | None:
    """The largest print scale at which the page fits one A4 page, None if none does.

    ``texts`` has the page's ``org``, ``title``, ``heard``, ``intro`` and ``footer``
    (a list of lines); ``needs`` each need's ``label``, ``named`` and ``actions``
    (texts, one per action line). Heights are estimated generously (0.56 em a
    character, the line heights of the page's print style).
    """
    for scale in _SCALES:
        px = {name: _px(name, scale) for name in _PRINT_PX}
        height = px["org"] * 1.3 + 4
        height += (
            _lines(texts["title"], _PAGE_W, px["title"]) * px["title"] * 1.15 + 0.4 * px["title"]
        )
        height += _lines(texts["heard"], _PAGE_W, px["heard"]) * px["heard"] * 1.35 + 6
        height += _lines(texts["intro"], _PAGE_W, px["intro"]) * px["intro"] * 1.4 + 14
        share_w = 7.2 * px["pct"] * 0.56 + 8
        body_w = _PAGE_W - share_w - 16
        for need in needs:
            left = px["pct"] * 1.1 + _lines(need["named"], share_w, px["named"]) * px["named"] * 1.3
            right = _lines(need["label"], body_w, px["label"]) * px["label"] * 1.2 + 6
            for text in need["actions"]:
                badge_room = body_w - 10 * px["badge"] * 0.6
                right += (
                    max(
                        px["badge"] * 1.7,
                        _lines(text, badge_room, px["action"]) * px["action"] * 1.4,
                    )
                    + 4
                )
            height += max(left, right) + 2 * 9 * scale + 2
        height += 14 + sum(
            _lines(t, _PAGE_W, px["footer"]) * px["footer"] * 1.4 for t in texts["footer"]
        )
        if height <= _PAGE_H * 0.95:
            return scale
    return None


_CSS = """
.ysd { --ysd-ink: #1a1a1a; --ysd-muted: #444444; --ysd-accent: #005a8c; --ysd-rule: #d0d0d0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ysd-ink); background: #ffffff; max-width: 860px; margin: 0 auto;
  padding: 2rem 1.5rem 2.5rem; font-size: 20px; line-height: 1.4; box-sizing: border-box; }
.ysd * { box-sizing: border-box; }
.ysd p, .ysd h1, .ysd h2, .ysd ol { margin: 0; padding: 0; }
.ysd-org { font-size: 20px; font-weight: 600; color: var(--ysd-accent); margin-bottom: .25em; }
.ysd h1 { font-size: 44px; line-height: 1.12; margin-bottom: .35em; }
.ysd-heard { font-size: 26px; font-weight: 600; line-height: 1.3; margin-bottom: .3em; }
.ysd-intro { font-size: 20px; color: var(--ysd-muted); margin-bottom: 1em; }
.ysd-sample { font-size: 16px; background: #fff4d6; border-left: 4px solid #b36b00;
  padding: .3em .6em; margin-bottom: 1em; }
.ysd-needs { list-style: none; }
.ysd-need { display: flex; gap: 1.25rem; padding: 1rem 0; border-top: 2px solid var(--ysd-rule);
  break-inside: avoid; page-break-inside: avoid; }
.ysd-share { flex: 0 0 9rem; }
.ysd-pct { display: block; font-size: 42px; font-weight: 700; line-height: 1.1; color: var(--ysd-accent); }
.ysd-named { display: block; font-size: 15px; line-height: 1.3; color: var(--ysd-muted); }
.ysd-body { flex: 1 1 auto; min-width: 0; }
.ysd-body h2 { font-size: 28px; line-height: 1.2; margin-bottom: .3em; }
.ysd-action { display: flex; gap: .6rem; align-items: baseline; margin-top: .25em; }
.ysd-badge { flex: 0 0 auto; font-size: 16px; font-weight: 700; padding: .1em .6em;
  border-radius: 1em; white-space: nowrap; }
.ysd-done { background: #1b6e35; color: #ffffff; }
.ysd-under-way { background: #005a8c; color: #ffffff; }
.ysd-planned { background: #fbe3bd; color: #5c3200; }
.ysd-not-decided { background: #e6e6e6; color: #2b2b2b; }
.ysd-text { font-size: 20px; overflow-wrap: anywhere; }
.ysd-when { color: var(--ysd-muted); white-space: nowrap; }
.ysd-more { font-size: 16px; color: var(--ysd-muted); margin-top: .2em; }
.ysd-footer { border-top: 2px solid var(--ysd-rule); padding-top: .8em; margin-top: .2em;
  font-size: 16px; color: var(--ysd-muted); }
.ysd-footer p + p { margin-top: .3em; }
.ysd-thanks { font-weight: 600; color: var(--ysd-ink); }
@media (max-width: 640px) {
  .ysd { padding: 1.2rem 1rem; }
  .ysd h1 { font-size: 34px; }
  .ysd-need { flex-direction: column; gap: .3rem; }
  .ysd-share { flex: none; }
}
@media print {
  @page { size: A4; margin: 16mm 14mm 18mm; }
  .ysd { max-width: none; padding: 0; }
  .ysd-org { font-size: max(12px, calc(17px * var(--ysd-scale, 1))); }
  .ysd h1 { font-size: max(12px, calc(34px * var(--ysd-scale, 1))); }
  .ysd-heard { font-size: max(12px, calc(22px * var(--ysd-scale, 1))); line-height: 1.35; }
  .ysd-intro { font-size: max(12px, calc(16px * var(--ysd-scale, 1))); margin-bottom: .8em; }
  .ysd-sample, .ysd-more, .ysd-footer { font-size: max(12px, calc(13px * var(--ysd-scale, 1))); }
  .ysd-need { padding: calc(9px * var(--ysd-scale, 1)) 0; gap: 16px; }
  .ysd-share { flex: 0 0 calc(30px * 7.2 * 0.56 * var(--ysd-scale, 1) + 8px); }
  .ysd-pct { font-size: max(12px, calc(30px * var(--ysd-scale, 1))); }
  .ysd-named { font-size: max(12px, calc(13px * var(--ysd-scale, 1))); }
  .ysd-body h2 { font-size: max(12px, calc(21px * var(--ysd-scale, 1))); margin-bottom: .25em; }
  .ysd-badge { font-size: max(12px, calc(14px * var(--ysd-scale, 1))); }
  .ysd-text { font-size: max(12px, calc(16px * var(--ysd-scale, 1))); }
  .ysd-footer { padding-top: .6em; }
  .ysd-done, .ysd-under-way, .ysd-planned, .ysd-not-decided, .ysd-sample {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _page_html(report: YouSaidReport) -> tuple[str, str | None]:
    """The page as an HTML fragment (with its own style), and a warning if it may not fit."""
    e = html.escape
    words = report.words
    organisation = report.engagement.settings_data.get("organisation") or report.engagement.name
    heard = _heard(report)
    needs = _needs_content(report)
    if report.people < report.min_n:
        intro = words["too_few"].format(min_n=report.min_n)
        needs = []
    elif not needs:
        intro = words["no_needs"]
    else:
        intro = words["intro"]
    date = words["date"].format(
        day=report.started.day,
        month=words["months"][report.started.month - 1],
        year=report.started.year,
    )
    footer = [
        words["counting"],
        words["thanks"],
        words["made_on"].format(organisation=organisation, date=date),
    ]
    if not needs:
        footer = footer[1:]
    items, estimate = [], []
    for need in needs:
        shown = need["actions"][:ACTIONS_SHOWN]
        rows, texts = [], []
        for line in shown or [{"status": NO_ACTION, "text": words["not_decided"], "when": ""}]:
            status = line["status"]
            css = {"done": "done", "under way": "under-way", "planned": "planned"}.get(
                status, "not-decided"
            )
            when = f' <span class="ysd-when">({e(line["when"])})</span>' if line.get("when") else ""
            rows.append(
                f'<p class="ysd-action"><span class="ysd-badge ysd-{css}">'
                f"{e(words[_STATUS_KEYS[status]])}</span>"
                f'<span class="ysd-text">{e(line["text"])}{when}</span></p>'
            )
            texts.append(f"{line['text']} ({line.get('when', '')})")
        more = len(need["actions"]) - len(shown)
        if more > 0:
            rows.append(f'<p class="ysd-more">{e(words["more_actions"].format(count=more))}</p>')
            texts.append(words["more_actions"])
        items.append(
            f'<li class="ysd-need"><p class="ysd-share"><span class="ysd-pct">{e(need["share"])}</span>'
            f'<span class="ysd-named">{e(words["named"])}</span></p>'
            f'<div class="ysd-body"><h2>{e(need["label"])}</h2>{"".join(rows)}</div></li>'
        )
        estimate.append({"label": need["label"], "named": words["named"], "actions": texts})
    sample = f'<p class="ysd-sample">{e(words["sample"])}</p>' if report.demo else ""
    texts = {
        "org": organisation,
        "title": words["title"],
        "heard": heard,
        "intro": intro,
        "footer": footer,
    }
    scale, shown = print_scale(texts, estimate), len(items)
    while scale is None and shown > 1:  # fewer needs rather than a second page
        shown -= 1
        scale = print_scale(texts, estimate[:shown])
    warning = None
    if shown < len(items):
        warning = (
            f"The page shows {shown} of the {len(items)} needs asked for: more would not fit "
            "on one printed page (long need labels or actions). Shorten the actions' words to "
            "show more."
        )
        items = items[:shown]
    if scale is None:
        scale = _SCALES[-1]
        warning = (
            "The page may not fit on one printed page even with one need: shorten its "
            "label or its actions' words."
        )
    needs_list = f'<ol class="ysd-needs">{"".join(items)}</ol>' if items else ""
    footer_html = "".join(
        f'<p class="ysd-thanks">{e(t)}</p>' if t == words["thanks"] else f"<p>{e(t)}</p>"
        for t in footer
    )
    body = (
        f'<div class="ysd" lang="{e(report.language)}" style="--ysd-scale: {scale}">'
        f"<style>{_CSS}</style>"
        f'<header><p class="ysd-org">{e(str(organisation))}</p><h1>{e(words["title"])}</h1>'
        f'<p class="ysd-heard">{e(heard)}</p><p class="ysd-intro">{e(intro)}</p>{sample}</header>'
        f"{needs_list}"
        f'<footer class="ysd-footer">{footer_html}</footer></div>'
    )
    return body, warning


def page_document(fragment: str, *, title: str, lang: str) -> str:
    """A page fragment as one offline HTML document (no script, no outside request)."""
    e = html.escape
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="Service Strategy Toolkit">\n'
        f"<title>{e(title)}</title>\n"
        "<style>html, body { margin: 0; background: #ffffff; }</style>\n"
        f"</head><body>\n{fragment}\n</body></html>\n"
    )


def standalone_page(nb) -> str | None:
    """An executed notebook's customer page as a whole HTML document, or None if it has none.

    The page is the output whose ``service_toolkit`` metadata holds ``page`` (from
    :meth:`YouSaidReport.page`); nothing else of the notebook is written.
    """
    from toolkit.reports.html import _toolkit_metadata, page_output

    output = page_output(nb)
    if output is None:
        return None
    fragment = output.get("data", {}).get("text/html", "")
    fragment = "".join(fragment) if isinstance(fragment, list) else fragment
    page = _toolkit_metadata(output)["page"] or {}
    return page_document(
        fragment,
        title=str(page.get("title") or "Page"),
        lang=str(page.get("lang") or "en"),
    )
