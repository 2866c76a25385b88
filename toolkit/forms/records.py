"""What the planner forms ask for, and how typed values become records: no widgets here.

Every tab of the forms page is described by :data:`FORMS`: the table it saves into and its
fields (label, kind, help, choices, and for ratings the meaning of each level). The
functions turn what a planner typed into a record the store checks and saves
(:meth:`toolkit.store.Engagement.save_entry`), word each problem next to its field, and
read dates the way people write them. They are tested without a browser or a kernel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from toolkit.schema.tables import ACTION_STATUSES, CHANNELS

__all__ = [
    "DATE_ORDERS",
    "FIELD_LABELS",
    "FORMS",
    "FormField",
    "FormSpec",
    "LEVELS",
    "NOT_RATED",
    "date_order_for",
    "date_readings",
    "date_words",
    "entry_label",
    "field_errors",
    "label_for",
    "missing_fields",
    "parse_date",
    "record_from_inputs",
    "values_from_record",
]

NOT_RATED = "not rated"
DATE_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year"}
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        zip(
            "january february march april may june july august september october november december".split(),
            "jan feb mar apr may jun jul aug sep oct nov dec".split(),
            strict=True,
        )
    )
    for name in names
}
_MONTHS["sept"] = 9

#: The words for each stored field, the same in every tab of the forms and in the import
#: wizard (the one home of these labels: import it rather than writing a label again).
FIELD_LABELS: dict[str, str] = {
    "staff": "Staff member",
    "segment": "Customer group",
    "need": "Need",
    "importance": "Importance",
    "performance": "How well met",
    "collected_on": "Date",
    "respondent_id": "Respondent or interview",
    "method": "How we heard it",
    "notes": "Notes",
    "customer_id": "Customer code",
    "name": "Name",
    "kind": "Kind",
    "mission_alignment": "Mission alignment",
    "clout": "Clout",
    "resource_control": "Controls resources we need",
    "history": "Our history with them",
    "alternatives": "Alternatives",
    "mandate": "Mandate",
    "power": "Power",
    "interest": "Interest",
    "legitimacy": "Legitimacy",
    "urgency": "Urgency",
    "provider_id": "Provider",
    "service": "Service",
    "starts_on": "Starts on",
    "ends_on": "Ends on",
    "code": "Code",
    "label": "Label",
    "theme": "Theme",
    "keywords": "Keywords",
    "source_id": "Tool's response id",
    "coded_by": "Who coded the need",
    "match_score": "How sure the automatic code is",
    "response_id": "Answer id",
    "submitted_on": "Date answered",
    "touchpoint": "Service or place rated",
    "comment": "Comment",
    "wave": "Survey wave",
    "weight": "Weight",
    "action_id": "Reference",
    "action": "What we will do",
    "owner": "Who is responsible",
    "status": "How far it has got",
    "decided_on": "Decided on",
    "due_on": "Due by",
    "done_on": "Done on",
    "event": "Event name",
    "held_on": "Sent or held on",
    "channel": "How we asked",
    "invited": "People invited",
    "responses": "People who answered",
    "language": "Language",
}
#: Where one table words a field its own way.
_TABLE_LABELS: dict[tuple[str, str], str] = {
    ("events", "label"): "What happened",
    ("service_links", "customer_id"): "Serves",
    ("stated_needs", "need"): "Need they named",
    ("stated_needs", "code"): "Need code",
    ("assumed_needs", "code"): "Need code",
    ("stated_needs", "respondent_id"): "Respondent or interview",
    ("responses", "respondent_id"): "Respondent",
    ("actions", "code"): "Need",
}


def label_for(name: str, table: str | None = None) -> str:
    """The words a planner sees for field ``name`` (of ``table``), never the field's name.

    >>> label_for("segment"), label_for("label", "events"), label_for("wait_minutes")
    ('Customer group', 'What happened', 'Wait minutes')
    """
    name = str(name)
    if (table, name) in _TABLE_LABELS:
        return _TABLE_LABELS[(table, name)]
    return FIELD_LABELS.get(name) or name.replace("_", " ").strip().capitalize()


#: What each level of each 1–5 rating means, shown beside the control.
LEVELS: dict[str, tuple[str, str, str, str, str]] = {
    "importance": (
        "not important",
        "a little important",
        "important",
        "very important",
        "essential",
    ),
    "performance": ("not met at all", "poorly met", "partly met", "well met", "fully met"),
    "mission_alignment": (
        "outside our mission",
        "at its edge",
        "partly within it",
        "well within it",
        "at its heart",
    ),
    "clout": (
        "no influence over us",
        "a little influence",
        "some influence",
        "strong influence",
        "decisive influence",
    ),
    "resource_control": (
        "controls nothing we need",
        "a little we need",
        "some we need",
        "much we need",
        "what we cannot do without",
    ),
    "history": (
        "no history or a poor one",
        "a short or mixed history",
        "a fair history",
        "a good history",
        "a long, strong history",
    ),
    "alternatives": (
        "no one else can serve them",
        "one other could",
        "a few others could",
        "several others could",
        "many others could",
    ),
    "power": ("no power over us", "a little power", "some power", "much power", "decisive power"),
    "interest": (
        "no interest in what we do",
        "a little interest",
        "some interest",
        "keen interest",
        "it matters greatly to them",
    ),
    "legitimacy": (
        "no legitimate claim on us",
        "a weak claim",
        "a fair claim",
        "a strong claim",
        "an unquestioned claim",
    ),
    "urgency": (
        "no urgency",
        "can wait a long time",
        "within months",
        "within weeks",
        "needs us now",
    ),
}


@dataclass(frozen=True)
class FormField:
    """One field of a form.

    ``kind``: ``text``, ``long text``, ``choice`` (a fixed list), ``suggest`` (free text
    with suggestions), ``rating`` (1–5 with an explicit "not rated"), ``date``.
    ``sticky`` fields keep their value after a save (the same staff member enters several
    needs in a row). ``ask`` is the sentence shown while a required field is empty.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    sticky: bool = False
    ask: str = ""

    @property
    def missing_words(self) -> str:
        """The sentence shown when a required field is empty."""
        return self.ask or f"Fill in “{self.label}”."


@dataclass(frozen=True)
class FormSpec:
    """One tab: its title, the table it saves into, its fields and what a row is."""

    key: str
    title: str
    table: str
    fields: tuple[FormField, ...]
    intro: str = ""
    summary: tuple[str, ...] = field(default=())


def _rating(name: str, help: str = "") -> FormField:
    return FormField(name, label_for(name), "rating", help=help)


def _field(name: str, kind: str = "text", table: str | None = None, **options) -> FormField:
    return FormField(name, label_for(name, table), kind, **options)


FORMS: dict[str, FormSpec] = {
    f.key: f
    for f in (
        FormSpec(
            "assumed",
            "What we believe customers need",
            "assumed_needs",
            (
                _field(
                    "staff",
                    required=True,
                    sticky=True,
                    help="Who believes this (a name or a role).",
                    ask="Write who believes this: a name or a role.",
                ),
                _field(
                    "segment",
                    "suggest",
                    sticky=True,
                    help="Which customers have this need; pick one or type a new group.",
                ),
                _field(
                    "need",
                    "suggest",
                    required=True,
                    help="What they need, in your words; suggestions come from the codebook.",
                    ask="Write the need in your words.",
                ),
                _rating("importance", "How important you think it is to them."),
                _field("collected_on", "date", sticky=True, help="When this was written down."),
            ),
            intro="One line per need a staff member believes a customer group has.",
            summary=("staff", "segment", "need"),
        ),
        FormSpec(
            "stated",
            "What customers told us",
            "stated_needs",
            (
                _field(
                    "respondent_id",
                    help="Who said it: an interview number or a code, never a name.",
                ),
                _field(
                    "segment",
                    "suggest",
                    sticky=True,
                    help="Which customers the speaker belongs to.",
                ),
                _field(
                    "method",
                    "choice",
                    sticky=True,
                    choices=(
                        "interview",
                        "focus group",
                        "survey",
                        "listening session",
                        "workshop",
                        "observation",
                        "complaint",
                        "other",
                    ),
                ),
                _field(
                    "need",
                    "long text",
                    "stated_needs",
                    required=True,
                    help="In their words, as closely as you can.",
                    ask="Write the need as they said it.",
                ),
                _rating("importance", "How important it is to them."),
                _rating("performance", "How well it is met today."),
                _field("notes", "long text"),
                _field("collected_on", "date", sticky=True, help="When they said it."),
            ),
            intro="One line per need one person named, from an interview, a focus group or a "
            "conversation.",
            summary=("segment", "method", "need"),
        ),
        FormSpec(
            "customers",
            "Our customers",
            "customers",
            (
                _field(
                    "customer_id",
                    required=True,
                    help="A short code for this customer, such as HR-ASH; used in service links.",
                    ask="Give this customer a short code, such as HR-ASH.",
                ),
                _field("name", required=True, ask="Write the customer's name."),
                _field(
                    "kind",
                    "choice",
                    required=True,
                    choices=("external", "internal"),
                    help="Internal: coworkers, other units, bosses. External: the people "
                    "and organisations outside.",
                    ask="Pick whether this customer is internal or external.",
                ),
                _field("segment", "suggest", help="Which group this customer belongs to."),
                _field(
                    "mandate",
                    "choice",
                    choices=(NOT_RATED, "none", "informal", "formal"),
                    help="Are we required to serve them: formally (law, contract), "
                    "informally (expectation), or not at all?",
                ),
                _rating("mission_alignment"),
                _rating("clout"),
                _rating("resource_control"),
                _rating("history"),
                _rating("alternatives", "Could someone else serve them?"),
                _rating("power"),
                _rating("interest"),
                _rating("legitimacy"),
                _rating("urgency"),
            ),
            intro="The customer register: who we serve, and the ratings that set priorities.",
            summary=("customer_id", "name", "kind"),
        ),
        FormSpec(
            "links",
            "Who serves whom",
            "service_links",
            (
                _field(
                    "provider_id",
                    "choice",
                    required=True,
                    help="The unit (or customer) that provides the service.",
                    ask="Pick the unit that provides the service.",
                ),
                _field(
                    "customer_id",
                    "choice",
                    "service_links",
                    required=True,
                    help="The customer it serves.",
                    ask="Pick the customer it serves.",
                ),
                _field("service", help="What is provided, in a few words."),
            ),
            intro="Internal units serve units that serve external customers: record each link.",
            summary=("provider_id", "customer_id", "service"),
        ),
        FormSpec(
            "events",
            "Events",
            "events",
            (
                _field(
                    "starts_on",
                    "date",
                    required=True,
                    help="The day it began.",
                    ask="Write the day it began, such as 7 March 2024.",
                ),
                _field("ends_on", "date", help="Leave empty for a lasting change."),
                _field(
                    "label",
                    table="events",
                    required=True,
                    help="Such as: Milk and fresh food program launched.",
                    ask="Write what happened, in a few words.",
                ),
                _field(
                    "segment",
                    "suggest",
                    help="Leave empty when it affects every group.",
                ),
            ),
            intro="Changes customers might react to: a new service, new hours, a shortage.",
            summary=("starts_on", "label", "segment"),
        ),
        FormSpec(
            "actions",
            "What we are doing about it",
            "actions",
            (
                _field(
                    "code",
                    "suggest",
                    "actions",
                    help="The need it answers: type a few letters to find it. Leave it empty "
                    "for an action about a whole customer group.",
                ),
                _field(
                    "segment",
                    "suggest",
                    help="Who it is for; leave it empty for everyone who named the need.",
                ),
                _field(
                    "action",
                    "long text",
                    required=True,
                    help="In words a customer would understand.",
                    ask="Write what will be done, in words a customer would understand.",
                ),
                _field("owner", sticky=True, help="A name or a role."),
                _field(
                    "status",
                    "choice",
                    required=True,
                    choices=ACTION_STATUSES,
                    ask="Pick how far it has got: "
                    + ", ".join(ACTION_STATUSES[:-1])
                    + f" or {ACTION_STATUSES[-1]}.",
                ),
                _field(
                    "starts_on",
                    "date",
                    help="When customers can first notice it.",
                ),
                _field("due_on", "date"),
                _field("done_on", "date"),
                _field("decided_on", "date", sticky=True),
                _field(
                    "event",
                    help="Once under way or done, the satisfaction charts mark it on its "
                    "start day under this name, such as: Fresh milk program launched.",
                ),
                _field("notes", "long text"),
                _field("action_id", help="Your own short reference, if you keep one."),
            ),
            intro="One line per decision about a need or a customer group: what will be done, "
            "who does it and how far it has got.",
            summary=("action", "segment", "status"),
        ),
        FormSpec(
            "outreach",
            "Who we asked",
            "outreach",
            (
                _field(
                    "held_on",
                    "date",
                    required=True,
                    sticky=True,
                    help="When the invitation went out or the session was held.",
                    ask="Write when the invitation went out or the session was held.",
                ),
                _field(
                    "channel",
                    "choice",
                    required=True,
                    sticky=True,
                    choices=CHANNELS,
                    ask="Pick how people were asked.",
                ),
                _field("segment", "suggest", help="The customer group asked."),
                _field(
                    "invited",
                    help="How many were invited or approached; leave it empty when nobody "
                    "knows, as for an open link.",
                ),
                _field("responses", help="How many of them answered or took part."),
                _field("language", sticky=True),
                _field("wave", sticky=True, help="Such as 2024 spring, or the second round."),
                _field("notes", "long text"),
            ),
            intro="One line per invitation, session or round of interviews, with how many "
            "were asked and how many answered.",
            summary=("held_on", "channel", "segment"),
        ),
    )
}


# ----------------------------------------------------------------------------- dates


def date_order_for(timezone: str | None) -> str:
    """The usual order of slashed dates where the engagement is: month first in the US.

    >>> date_order_for("America/Chicago"), date_order_for("Europe/London")
    ('mdy', 'dmy')
    """
    zone = str(timezone or "")
    us = zone.startswith(("America/", "US/", "Pacific/Honolulu")) and not zone.startswith(
        (
            "America/Argentina",
            "America/Sao_Paulo",
            "America/Bogota",
            "America/Lima",
            "America/Santiago",
            "America/Caracas",
            "America/Mexico_City",
            "America/Montevideo",
        )
    )
    return "mdy" if us else "dmy"


def parse_date(text: str | None, *, order: str = "dmy") -> tuple[dt.date | None, str | None]:
    """Read a date as a planner writes it; return (date, None) or (None, what is wrong).

    Accepts ``2024-03-07``; ``7/3/2024``, ``7.3.2024`` or ``7-3-2024`` read in ``order``
    (``dmy`` or ``mdy``) unless one part is over 12 and the other is not, which settles
    it; ``7 March 2024``, ``March 7, 2024`` and ``7 Mar 2024``. Empty text is no date.

    Examples
    --------
    >>> parse_date("7/3/2024")
    (datetime.date(2024, 3, 7), None)
    >>> parse_date("7/3/2024", order="mdy")
    (datetime.date(2024, 7, 3), None)
    >>> parse_date("March 7, 2024")[0], parse_date("31/12/2024", order="mdy")[0]
    (datetime.date(2024, 3, 7), datetime.date(2024, 12, 31))
    >>> parse_date("2024-02-30")[1]
    'there is no 30 February 2024'
    """
    value = " ".join(str(text or "").split()).strip()
    if not value:
        return None, None
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
            y, mo, d = map(int, m.groups())
        elif m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", value):
            a, b, y = map(int, m.groups())
            if a > 12 >= b:
                d, mo = a, b
            elif b > 12 >= a:
                mo, d = a, b
            else:
                d, mo = (a, b) if order == "dmy" else (b, a)
        elif m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]+)\.?,? (\d{4})", value):
            d, name, y = int(m.group(1)), m.group(2).lower(), int(m.group(3))
            mo = _MONTHS[name]
        elif m := re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", value):
            name, d, y = m.group(1).lower(), int(m.group(2)), int(m.group(3))
            mo = _MONTHS[name]
        else:
            raise KeyError(value)
    except KeyError:
        example = "7/3/2024" if order == "dmy" else "3/7/2024"
        return None, (
            f"is not a date; write it as {example} ({DATE_ORDERS.get(order, order)}), "
            "7 March 2024 or 2024-03-07"
        )
    if not 1 <= mo <= 12:
        return None, f"has no month {mo}"
    try:
        return dt.date(y, mo, d), None
    except ValueError:
        month = dt.date(2000, mo, 1).strftime("%B")
        return None, f"there is no {d} {month} {y}"


def date_words(value: dt.date | pd.Timestamp | None) -> str:
    """A date nobody can misread: ``Thu 7 March 2024``; missing → ``''``.

    >>> date_words(dt.date(2024, 3, 7))
    'Thu 7 March 2024'
    """
    if value is None or pd.isna(value):
        return ""
    value = pd.Timestamp(value)
    return f"{value:%a} {value.day} {value:%B %Y}"


# ----------------------------------------------------------------------------- records


def date_readings(text: str | None) -> list[dt.date]:
    """The dates a slashed date could be: two when it reads both ways (3/11/2026), else one.

    >>> date_readings("3/11/2026")
    [datetime.date(2026, 11, 3), datetime.date(2026, 3, 11)]
    >>> date_readings("13/11/2026"), date_readings("5/5/2026"), date_readings("May 5")
    ([datetime.date(2026, 11, 13)], [datetime.date(2026, 5, 5)], [])
    """
    value = " ".join(str(text or "").split())
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", value)
    orders = ("dmy", "mdy") if m and m.group(1) != m.group(2) else ("dmy",)
    out: list[dt.date] = []
    for order in orders:
        day, problem = parse_date(value, order=order)
        if day is not None and day not in out:
            out.append(day)
    return out


def _date_sentence(raw: str, problem: str) -> str:
    """A date problem of :func:`parse_date` as a sentence naming what was typed."""
    if problem.startswith("there is"):
        return problem[0].upper() + problem[1:] + "."
    return f"“{raw.strip()}” {problem}."


def _read_date(raw: object, order: str | None) -> tuple[dt.date | None, str | None]:
    if isinstance(raw, dt.date):
        return raw, None
    text = raw if isinstance(raw, str) else ""
    if order is None and len(readings := date_readings(text)) == 2:
        first, second = (f"{d.day} {d:%B %Y}" for d in readings)
        return None, f"“{text.strip()}” could be {first} or {second}: pick the one you meant."
    value, problem = parse_date(text, order=order or "dmy")
    return value, (_date_sentence(text, problem) if problem else None)


def record_from_inputs(
    spec: FormSpec, inputs: Mapping[str, object], *, date_order: str | None = None
) -> tuple[dict, dict[str, str]]:
    """Turn what a planner typed into a record for the store, and word what is wrong.

    Parameters
    ----------
    spec : FormSpec
        The form.
    inputs : mapping
        Field → the control's value: text, a choice, a rating (1–5 or "not rated"),
        or date text.
    date_order : str, optional
        How slashed dates that read both ways are read (``dmy`` or ``mdy``). None (the
        forms): such a date is not read; its message asks which one it is.

    Returns
    -------
    (record, errors)
        ``record`` maps every field to a value for :meth:`Engagement.save_entry` (None
        for blank or not rated); ``errors`` maps a field to a sentence saying what is
        wrong with it (empty required fields and unreadable dates; the store checks
        the rest).

    Examples
    --------
    >>> record, errors = record_from_inputs(FORMS["events"], {"starts_on": "31/1/2024",
    ...     "label": " Milk program launched ", "ends_on": "", "segment": ""})
    >>> record["starts_on"], record["label"], record["segment"], errors
    (datetime.date(2024, 1, 31), 'Milk program launched', None, {})
    >>> record_from_inputs(FORMS["events"], {"starts_on": "3/11/2026"})[1]["starts_on"]
    '“3/11/2026” could be 3 November 2026 or 11 March 2026: pick the one you meant.'
    """
    record: dict = {}
    errors: dict[str, str] = {}
    for f in spec.fields:
        raw = inputs.get(f.name)
        if f.kind == "date":
            value, problem = _read_date(raw, date_order)
            if problem:
                errors[f.name] = problem
        elif f.kind == "rating":
            value = None if raw in (None, "", NOT_RATED) else int(raw)
        else:
            text = "" if raw is None else str(raw).strip()
            value = None if text in ("", NOT_RATED) else text
        if value is None and f.required and f.name not in errors:
            errors[f.name] = f.missing_words
        record[f.name] = value
    return record, errors


def missing_fields(spec: FormSpec, record: Mapping[str, object]) -> list[FormField]:
    """The required fields ``record`` leaves empty."""
    return [f for f in spec.fields if f.required and record.get(f.name) is None]


def _plain(text: str, spec: FormSpec) -> str:
    """``text`` with each field name of the form (``customer_id``) in the form's words."""
    for f in spec.fields:
        if "_" in f.name:
            text = re.sub(rf"\b{re.escape(f.name)}\b", f"“{f.label}”", text)
    return text


def field_errors(
    problems: Sequence, spec: FormSpec, reworded: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The store's problems (:class:`toolkit.schema.checks.Problem`) by form field, each
    worded as a sentence that starts with the field's label, with no field names.

    ``reworded`` maps the start of a store check's message to the form's own sentence
    for it (the check decides; the form only words it for a planner).
    """
    out: dict[str, str] = {}
    names = {f.name: f for f in spec.fields}
    for p in problems:
        column = p.column if p.column in names else "_form"
        own = [words for start, words in (reworded or {}).items() if p.message.startswith(start)]
        if own:
            out.setdefault(column, own[0])
            continue
        label = names[p.column].label if p.column in names else label_for(p.column, spec.table)
        message = _plain(f"{label} {p.message.rstrip('.')}", spec)
        fix = _plain(p.fix.rstrip("."), spec)
        fix = fix[:1].upper() + fix[1:]
        out.setdefault(column, f"{message}. {fix}." if fix else f"{message}.")
    return out


def values_from_record(spec: FormSpec, row: Mapping[str, object]) -> dict[str, object]:
    """A stored row as control values, to correct an entry (dates in words-free ISO)."""
    out: dict[str, object] = {}
    for f in spec.fields:
        value = row.get(f.name)
        missing = value is None or (not isinstance(value, str) and pd.isna(value))
        if f.kind == "rating":
            out[f.name] = NOT_RATED if missing else str(int(value))
        elif f.kind == "date":
            out[f.name] = "" if missing else pd.Timestamp(value).strftime("%Y-%m-%d")
        elif f.kind == "choice" and missing and NOT_RATED in f.choices:
            out[f.name] = NOT_RATED
        else:
            out[f.name] = "" if missing else str(value)
    return out


def entry_label(spec: FormSpec, row: Mapping[str, object], *, width: int = 70) -> str:
    """One line naming an entry in a list: ``#12 · Ana · Residents · Another food pantry``."""
    parts = []
    for name in spec.summary:
        value = row.get(name)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if isinstance(value, pd.Timestamp | dt.date):
            value = date_words(value)
        parts.append(" ".join(str(value).split()))
    text = f"#{int(row['entry'])} · " + " · ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"
