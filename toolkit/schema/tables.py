"""The canonical tables: their fields, types, vocabularies and checks.

Everything that reads, writes or describes a table (the store's SQL, the importers'
validation, the templates and their data dictionary, the README) is built from the
definitions here, so they cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toolkit.schema.metrics import DEFAULT_SCALES, METRICS

__all__ = [
    "Field",
    "Table",
    "TABLES",
    "TABLE_NAMES",
    "LOAD_ORDER",
    "METRICS",
    "DEFAULT_SCALES",
    "table_named",
    "normalise_header",
    "NOT_A_NEED",
    "STARTERS",
    "keyword_columns",
    "label_column",
    "ACTION_STATUSES",
    "LAUNCHED",
    "CHANNELS",
]


@dataclass(frozen=True)
class Field:
    """One canonical column.

    ``kind`` is one of ``text``, ``integer``, ``number``, ``date``, ``datetime``,
    ``choice``. ``low``/``high`` bound numbers; ``choices`` lists a vocabulary.
    """

    name: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    example: str = ""
    references: str | None = None  # "table.field" this field must exist in

    @property
    def sql_type(self) -> str:
        return {"integer": "INTEGER", "number": "REAL"}.get(self.kind, "TEXT")

    def expected(self) -> str:
        """Say in words what a valid value looks like."""
        if self.kind == "choice":
            return "one of " + ", ".join(f'"{c}"' for c in self.choices)
        if self.kind == "integer" and self.low is not None and self.high is not None:
            return f"a whole number from {self.low:g} to {self.high:g}"
        if self.kind == "integer" and self.low is not None:
            return f"a whole number, {self.low:g} or more"
        if self.kind == "integer":
            return "a whole number"
        if self.kind == "number" and self.low is not None and self.high is not None:
            return f"a number from {self.low:g} to {self.high:g}"
        if self.kind == "number" and self.low is not None:
            return f"a number, {self.low:g} or more"
        if self.kind == "number":
            return "a number"
        if self.kind == "date":
            return "a date such as 2024-03-07 (year-month-day)"
        if self.kind == "datetime":
            return "a date, or a date and time, such as 2024-03-07 or 2024-03-07 14:30"
        return "text"


@dataclass(frozen=True)
class Table:
    """One canonical table: its SQL name, its key and its fields."""

    name: str
    description: str
    fields: tuple[Field, ...]
    key: str | None = None  # a field unique across the table
    source_key: str | None = None  # the survey tool's id, deduplicated across imports
    one_row_is: str = ""
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def cli_name(self) -> str:
        return self.name.replace("_", "-")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def _rating(name: str, description: str, **kw) -> Field:
    return Field(name, "integer", description, low=1, high=5, example="4", **kw)


CODED_BY = ("person", "exact", "keyword", "fuzzy")
METHODS = (
    "survey",
    "interview",
    "focus group",
    "listening session",
    "workshop",
    "observation",
    "complaint",
    "other",
)


#: What an action's ``status`` may be, in the order an action moves through them.
ACTION_STATUSES = ("planned", "under way", "done", "dropped")
#: The statuses of an action customers can notice: with an ``event`` label and a
#: ``starts_on`` date it becomes an ``events`` row (the store links them).
LAUNCHED = ("under way", "done")
#: How an outreach reached people (``outreach.channel``).
CHANNELS = (
    "survey link",
    "paper",
    "interview",
    "listening session",
    "focus group",
    "phone",
    "other",
)


def _metric_help() -> str:
    """'csat (satisfaction), nps (…) or ces (effort).', from the metrics registry."""
    named = [f"{m.name} ({m.described})" for m in METRICS.values()]
    return ", ".join(named[:-1]) + " or " + named[-1] + "."


def _scale_help(end: int) -> str:
    """'csat 1, nps 0, ces 1': each metric's default lowest (0) or highest (1) score."""
    return ", ".join(f"{name} {scale[end]:g}" for name, scale in DEFAULT_SCALES.items())


_CODE = Field(
    "code",
    "text",
    "The codebook code this need is filed under. Leave blank to let the toolkit code it; "
    "a code you fill in is kept as set by a person.",
    example="perishable_food",
    references="codebook.code",
)
_CODED_BY = Field(
    "coded_by",
    "choice",
    "Who or what set the code: person, exact, keyword or fuzzy. Blank with a code means a person.",
    choices=CODED_BY,
    example="person",
)
_MATCH = Field(
    "match_score",
    "number",
    "How closely the text matched the code when the toolkit coded it (0 to 1); leave blank.",
    low=0,
    high=1,
    example="0.92",
)
_SEGMENT = Field(
    "segment",
    "text",
    "The customer group, as in the engagement's segment list (new ones are added).",
    example="Residents",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            "The customer register: every customer or customer group, internal or external, "
            "with the ratings used to set priorities among them.",
            (
                Field(
                    "customer_id",
                    "text",
                    "A short unique id you choose.",
                    required=True,
                    example="residents",
                ),
                Field(
                    "name",
                    "text",
                    "The customer or group's name.",
                    required=True,
                    example="Residents",
                ),
                Field(
                    "kind",
                    "choice",
                    "internal (coworkers, other units, bosses) or external (the public, partners).",
                    required=True,
                    choices=("internal", "external"),
                    example="external",
                ),
                _SEGMENT,
                _rating(
                    "mission_alignment",
                    "How closely serving them fits our mission (1 low – 5 high).",
                ),
                _rating("clout", "Their influence over us and others (1 low – 5 high)."),
                _rating(
                    "resource_control", "How much they control resources we need (1 low – 5 high)."
                ),
                _rating(
                    "history",
                    "The strength of our history with them (1 little – 5 long and close).",
                ),
                _rating(
                    "alternatives",
                    "Whether others could serve them: 1 no one else can – 5 many others can.",
                ),
                Field(
                    "mandate",
                    "choice",
                    "Whether we must serve them: none, informal or formal.",
                    choices=("none", "informal", "formal"),
                    example="formal",
                ),
                _rating("power", "Their power to affect our work (1 low – 5 high)."),
                _rating("interest", "Their interest in our work (1 low – 5 high)."),
                _rating("legitimacy", "How legitimate their claim on us is (1 low – 5 high)."),
                _rating("urgency", "How urgent their claim on us is (1 low – 5 high)."),
            ),
            key="customer_id",
            one_row_is="a customer or customer group",
        ),
        Table(
            "service_links",
            "Who serves whom: one row says that the provider serves the customer.",
            (
                Field(
                    "provider_id",
                    "text",
                    "The customer_id of the unit that provides the service.",
                    required=True,
                    example="intake_team",
                    references="customers.customer_id",
                ),
                Field(
                    "customer_id",
                    "text",
                    "The customer_id of the customer it serves.",
                    required=True,
                    example="residents",
                    references="customers.customer_id",
                ),
                Field(
                    "service",
                    "text",
                    "What the provider does for them.",
                    example="Food distribution",
                ),
            ),
            one_row_is='"A serves B"',
        ),
        Table(
            "assumed_needs",
            "What staff believe customers need: one need one staff member believes a segment has.",
            (
                Field(
                    "staff",
                    "text",
                    "Who said it (a name or a role).",
                    required=True,
                    example="Program lead",
                ),
                _SEGMENT,
                Field(
                    "need",
                    "text",
                    "The need in the staff member's own words.",
                    required=True,
                    example="Another food pantry",
                ),
                _CODE,
                _CODED_BY,
                _MATCH,
                _rating("importance", "How important staff believe it is (1 low – 5 high)."),
                Field("collected_on", "date", "When it was written down.", example="2024-03-07"),
            ),
            one_row_is="one need one staff member believes a segment has",
        ),
        Table(
            "stated_needs",
            "What customers told us they need: one need one respondent stated.",
            (
                Field(
                    "source_id",
                    "text",
                    "The survey tool's response id, so cumulative exports import once.",
                    example="R_3kXy9",
                ),
                Field(
                    "respondent_id",
                    "text",
                    "Who said it (any id; rows with one id are one respondent). Blank counts as "
                    "one respondent per row.",
                    example="resp-017",
                ),
                _SEGMENT,
                Field(
                    "method",
                    "choice",
                    "How it was collected.",
                    choices=METHODS,
                    example="interview",
                ),
                Field(
                    "need",
                    "text",
                    "The need in the customer's own words.",
                    required=True,
                    example="Milk for the kids that doesn't run out",
                ),
                _CODE,
                _CODED_BY,
                _MATCH,
                _rating("importance", "How important it is to them (1 low – 5 high)."),
                _rating("performance", "How well it is met now (1 poorly – 5 very well)."),
                Field("notes", "text", "Anything else worth keeping.", example="Said twice"),
                Field(
                    "weight",
                    "number",
                    "Survey weight for this respondent (blank means 1).",
                    low=0,
                    example="1.2",
                ),
                Field("collected_on", "date", "When they said it.", example="2024-03-07"),
            ),
            source_key="source_id",
            one_row_is="one need one respondent stated",
        ),
        Table(
            "codebook",
            "The need categories statements are coded into.",
            (
                Field(
                    "code",
                    "text",
                    "A short unique code (letters, digits, underscores).",
                    required=True,
                    example="perishable_food",
                ),
                Field(
                    "label",
                    "text",
                    "The need in plain words. A label in another language goes in a column "
                    "named label_ and the language's two-letter code (label_es for Spanish): "
                    "the you-said-we-did page in that language shows it.",
                    required=True,
                    example="Milk and perishable food",
                ),
                Field("theme", "text", "A broader group of needs.", example="Food"),
                Field(
                    "keywords",
                    "text",
                    "Words and phrases that mean this need, separated by semicolons. Keywords "
                    "in another language go in a column named keywords_ and the language's "
                    "two-letter code (keywords_es for Spanish, keywords_so for Somali); "
                    "accents and capitals never matter.",
                    example="milk; fresh food; perishables",
                ),
            ),
            key="code",
            one_row_is="a need category",
        ),
        Table(
            "responses",
            "Satisfaction scores: one score for one metric from one response.",
            (
                Field(
                    "response_id",
                    "text",
                    "A unique id for this row (blank: the toolkit makes one).",
                    example="wave3-0001-csat",
                ),
                Field(
                    "source_id",
                    "text",
                    "The survey tool's response id; rows sharing it came from one survey response.",
                    example="R_3kXy9",
                ),
                Field("respondent_id", "text", "Who answered (any id).", example="resp-017"),
                Field(
                    "submitted_on",
                    "datetime",
                    "When the response was submitted.",
                    required=True,
                    example="2024-03-07",
                ),
                _SEGMENT,
                Field(
                    "touchpoint",
                    "text",
                    "Which service or contact the score is about.",
                    example="Food bank",
                ),
                Field(
                    "metric",
                    "choice",
                    _metric_help(),
                    required=True,
                    choices=METRICS,
                    example="csat",
                ),
                Field("score", "number", "The score given.", required=True, example="4"),
                Field(
                    "scale_min",
                    "number",
                    f"Lowest possible score (blank: {_scale_help(0)}).",
                    example="1",
                ),
                Field(
                    "scale_max",
                    "number",
                    f"Highest possible score (blank: {_scale_help(1)}).",
                    example="5",
                ),
                Field("comment", "text", "What they wrote, if anything.", example="Friendly staff"),
                Field("wave", "text", "The survey wave's label.", example="2024 Q1"),
                Field("weight", "number", "Survey weight (blank means 1).", low=0, example="1"),
            ),
            key="response_id",
            source_key="source_id",
            one_row_is="one satisfaction score",
        ),
        Table(
            "events",
            "Changes customers might react to, drawn on the satisfaction charts.",
            (
                Field("starts_on", "date", "When it started.", required=True, example="2024-07-01"),
                Field(
                    "ends_on", "date", "When it ended (blank: a one-off or ongoing).", example=""
                ),
                Field(
                    "label",
                    "text",
                    "What happened.",
                    required=True,
                    example="Launched the milk program",
                ),
                Field(
                    "segment",
                    "text",
                    "The customer group it affected (blank: everyone).",
                    example="",
                ),
            ),
            one_row_is="a change customers might react to",
        ),
        Table(
            "actions",
            "What was decided about a need or a customer group: one decision, its owner and "
            "how far it has got.",
            (
                Field(
                    "action_id",
                    "text",
                    "A short unique id you choose (optional).",
                    example="A1",
                ),
                Field(
                    "code",
                    "text",
                    "The need it answers: a code from the codebook (blank: it is about a "
                    "customer group as a whole).",
                    example="perishable_food",
                    references="codebook.code",
                ),
                Field(
                    "segment",
                    "text",
                    "The customer group it is for (blank: everyone who named the need). Give "
                    "a code, a group or both.",
                    example="Parents",
                ),
                Field(
                    "action",
                    "text",
                    "What will be done, in words a customer would understand.",
                    required=True,
                    example="Weekly fresh milk delivery from the dairy co-op",
                ),
                Field("owner", "text", "Who is responsible (a name or a role).", example="Ana"),
                Field(
                    "status",
                    "choice",
                    "How far it has got: planned, under way, done or dropped.",
                    required=True,
                    choices=ACTION_STATUSES,
                    example="under way",
                ),
                Field("decided_on", "date", "When it was decided.", example="2024-05-02"),
                Field(
                    "starts_on",
                    "date",
                    "When customers can first notice it (the event's date when it has one).",
                    example="2024-07-01",
                ),
                Field("due_on", "date", "When it should be done.", example="2024-12-31"),
                Field("done_on", "date", "When it was done.", example=""),
                Field(
                    "event",
                    "text",
                    "The event it becomes once under way or done, as the satisfaction charts "
                    "should label it (blank: none). An event with this label is made, or the "
                    "one already recorded is used.",
                    example="Launched the milk program",
                ),
                Field("notes", "text", "Anything else worth keeping.", example=""),
            ),
            key="action_id",
            one_row_is="one decision about a need or a customer group",
        ),
        Table(
            "outreach",
            "How customers were asked: one invitation, session or round of interviews, with "
            "how many were invited and how many answered.",
            (
                Field(
                    "held_on",
                    "date",
                    "When the invitation went out or the session was held.",
                    required=True,
                    example="2024-03-07",
                ),
                Field(
                    "channel",
                    "choice",
                    "How people were asked.",
                    required=True,
                    choices=CHANNELS,
                    example="survey link",
                ),
                Field(
                    "segment",
                    "text",
                    "The customer group asked (blank: no one group).",
                    example="Residents",
                ),
                Field(
                    "invited",
                    "integer",
                    "How many people were invited or approached (blank: not known, as for an "
                    "open link).",
                    low=0,
                    example="120",
                ),
                Field(
                    "responses",
                    "integer",
                    "How many of them answered or took part.",
                    low=0,
                    example="34",
                ),
                Field("language", "text", "The language it was run in.", example="Spanish"),
                Field("wave", "text", "The survey wave or listening round.", example="2024 Q1"),
                Field("notes", "text", "Anything else worth keeping.", example=""),
            ),
            one_row_is="one invitation, session or round of interviews",
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


#: The tables in the order they are created and loaded: each after the tables its fields
#: refer to (the codebook before the needs coded with it, customers before the links
#: between them). The store creates them and the demos import them in this order.
LOAD_ORDER: tuple[str, ...] = (
    "codebook",
    "customers",
    "service_links",
    "assumed_needs",
    "stated_needs",
    "responses",
    "events",
    "actions",
    "outreach",
)


def table_named(name: str) -> Table:
    """Return the table called ``name``, spelled with hyphens or underscores."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in TABLES:
        from toolkit.errors import DataValidationError

        listed = ", ".join(t.cli_name for t in TABLES.values())
        raise DataValidationError(f'There is no table "{name}". The tables are: {listed}.')
    return TABLES[key]


def normalise_header(header: object) -> str:
    """Spell a column header the way canonical fields are spelled.

    ``" Customer ID"`` → ``"customer_id"``; ``"Scale-Max"`` → ``"scale_max"``.
    """
    text = str(header).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


# ----------------------------------------------------------------------------- codebook
#
# A codebook's keywords: ``keywords`` and, per language, ``keywords_xx`` (the language's
# ISO 639 code: keywords_es, keywords_so). The coder reads them all.

_KEYWORD_COLUMN = re.compile(r"keywords(_[a-z]{2,3})?")


def keyword_columns(columns) -> list[str]:
    """The codebook columns that hold keywords: ``keywords`` and ``keywords_xx`` ones."""
    return [c for c in columns if isinstance(c, str) and _KEYWORD_COLUMN.fullmatch(c)]


def label_column(language: str) -> str:
    """The codebook column holding a need's label in ``language``: ``label`` for English
    (``en``), else ``label_`` and the language's code (``label_es`` for Spanish).

    >>> label_column("en"), label_column("ES")
    ('label', 'label_es')
    """
    code = str(language).strip().lower()
    return "label" if code in ("", "en") else f"label_{code}"


#: The built-in *not a need* code every codebook has (added when missing): statements
#: filed under it count their respondents in the totals and under no need. Its keywords
#: match a whole statement only ("N/A", "Nothing, thank you"), never words inside one.
NOT_A_NEED: dict[str, str] = {
    "code": "not_a_need",
    "label": "Not a need",
    "theme": "No need",
    "keywords": (
        "n/a; na; none; nothing; no; nope; nothing, thank you; nothing thanks; no thanks; "
        "nothing else; nothing really; nothing at the moment; not applicable; no need; "
        "none at this time"
    ),
    "keywords_es": "nada; ninguno; ninguna; no; nada, gracias; no gracias; no aplica",
}

#: The starter codebooks a new engagement may start from (templates/starter-codebook-NAME.csv).
STARTERS: tuple[str, ...] = ("neighbourhood", "university")
