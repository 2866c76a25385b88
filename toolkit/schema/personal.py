"""Which attribute columns identify people, and why: by their header and by their values.

Only attribute columns (the columns an import keeps beyond a table's canonical fields)
are ever classified; canonical fields such as ``respondent_id`` or ``submitted_on`` never
are. A column is **personal** in one of two kinds:

``direct``
    It names or reaches one person on its own: a name, e-mail address, phone number,
    IP address, precise location, street address, exact date of birth, username, or a
    national, passport, student or staff id number. Refused for ``report --each``, a
    ``subset`` and ``table --by`` unless ``--include-personal``.
``quasi``
    It narrows people down only combined with other columns: a postcode or a year of
    birth. Allowed for ``table --by``, where every group smaller than ``min_n`` is
    suppressed; refused for ``--each`` and ``subset`` like a direct identifier.

Both kinds are kept in the store and left out of every report, table and export unless
``--include-personal`` is given. Each flag carries its reason, worded for the import
summary ("header says e-mail", "values look like e-mail addresses").

:func:`header_flag` reads a header against a vocabulary after normalising it (case,
punctuation, camelCase, a trailing colon or question mark, plurals, and openings such as
"what is your …", "please enter your …" or "your …"). A place or a thing's name
(``Campus name``, ``Service name``) is not a person's: "name", "address", "location",
"contact" and "id" count only alone or with a word about a person.

:func:`values_flag` looks at a bounded, evenly spread sample of a column's filled cells
(:data:`SAMPLE` at most, so a million rows cost the same as a few thousand) and flags it
when most of them (:data:`SHARE`) look like e-mail addresses, phone numbers, IP
addresses, map coordinates, US social security or UK national insurance numbers, id
numbers, or dates of birth.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DIRECT",
    "QUASI",
    "SAMPLE",
    "SHARE",
    "PersonalFlag",
    "header_flag",
    "values_flag",
    "column_flag",
    "sample_values",
    "stricter",
    "looks_personal",
    "personal_refusal",
    "personal_in_text",
]

DIRECT = "direct"
QUASI = "quasi"
_LEVELS = {"": 0, QUASI: 1, DIRECT: 2}

#: At most this many filled cells of a column are looked at (evenly spread over it).
SAMPLE = 1000
#: The share of the sampled filled cells that must look alike for a column to be flagged.
SHARE = 0.8
#: Fewer filled cells than this never flag a column by dates or id numbers.
_MIN_FOR_PATTERN = 5


@dataclass(frozen=True)
class PersonalFlag:
    """Why a column is (or, set by a map, is not) personal.

    ``kind`` is :data:`DIRECT`, :data:`QUASI` or ``""`` (not personal: only a map says
    that); ``reason`` is worded for people ("header says e-mail"); ``by`` is what decided:
    ``header``, ``values``, ``survey tool``, ``map`` or ``earlier version``.
    """

    kind: str
    reason: str
    by: str

    @property
    def level(self) -> int:
        """0 not personal, 1 quasi-identifier, 2 direct identifier (the store's number)."""
        return _LEVELS[self.kind]

    @classmethod
    def from_level(cls, level: int, reason: str, by: str) -> PersonalFlag:
        kind = {v: k for k, v in _LEVELS.items()}[int(level)]
        return cls(kind, reason, by)

    def __str__(self) -> str:
        return self.reason


def stricter(first: PersonalFlag | None, second: PersonalFlag | None) -> PersonalFlag | None:
    """The flag that keeps the column further out of sight (the first on a tie)."""
    if first is None or (second is not None and second.level > first.level):
        return second
    return first


# ----------------------------------------------------------------------------- headers

# Openings a header may start with that say nothing about its subject.
_OPENINGS = (
    ("what", "is", "your"),
    ("what", "are", "your"),
    ("whats", "your"),
    ("what", "your"),
    ("please", "enter", "your"),
    ("please", "provide", "your"),
    ("please", "give", "your"),
    ("please", "give", "us", "your"),
    ("please", "type", "your"),
    ("please", "write", "your"),
    ("enter", "your"),
    ("provide", "your"),
    ("give", "your"),
    ("your",),
    ("please",),
)
# Longer than this (after the opening), a header is a question and only its values count.
_MAX_WORDS = 6
_NOT_PLURAL = {"gps", "sms", "nhs", "ss", "address", "campus", "status", "bus", "yes"}

# (phrase, kind, reason): a phrase anywhere in the normalised header flags it.
_PHRASES: tuple[tuple[str, str, str], ...] = (
    ("email", DIRECT, "e-mail"),
    ("emailaddress", DIRECT, "e-mail"),
    ("ip", DIRECT, "IP address"),
    ("ipaddress", DIRECT, "IP address"),
    ("date of birth", DIRECT, "date of birth"),
    ("birth date", DIRECT, "date of birth"),
    ("birthdate", DIRECT, "date of birth"),
    ("birthday", DIRECT, "date of birth"),
    ("dob", DIRECT, "date of birth"),
    ("born on", DIRECT, "date of birth"),
    ("ssn", DIRECT, "social security number"),
    ("social security", DIRECT, "social security number"),
    ("national insurance", DIRECT, "national insurance number"),
    ("nino", DIRECT, "national insurance number"),
    ("national id", DIRECT, "national id number"),
    ("national identity", DIRECT, "national id number"),
    ("tax file number", DIRECT, "tax file number"),
    ("tfn", DIRECT, "tax file number"),
    ("passport", DIRECT, "passport number"),
    ("driver licence", DIRECT, "driver licence number"),
    ("driver license", DIRECT, "driver licence number"),
    ("driving licence", DIRECT, "driver licence number"),
    ("medicare", DIRECT, "medicare number"),
    ("nhs number", DIRECT, "NHS number"),
    ("username", DIRECT, "username"),
    ("user name", DIRECT, "username"),
    ("login", DIRECT, "username"),
    ("screen name", DIRECT, "username"),
    ("surname", DIRECT, "name"),
    ("forename", DIRECT, "name"),
    ("firstname", DIRECT, "name"),
    ("lastname", DIRECT, "name"),
    ("fullname", DIRECT, "name"),
    ("nickname", DIRECT, "name"),
    ("signature", DIRECT, "signature"),
    ("latitude", DIRECT, "map coordinates"),
    ("longitude", DIRECT, "map coordinates"),
    ("lat", DIRECT, "map coordinates"),
    ("lon", DIRECT, "map coordinates"),
    ("lng", DIRECT, "map coordinates"),
    ("gps", DIRECT, "map coordinates"),
    ("geolocation", DIRECT, "map coordinates"),
    ("geo location", DIRECT, "map coordinates"),
    ("geopoint", DIRECT, "map coordinates"),
    ("coordinate", DIRECT, "map coordinates"),
    ("street", DIRECT, "street address"),
    ("house number", DIRECT, "street address"),
    ("postcode", QUASI, "postcode"),
    ("post code", QUASI, "postcode"),
    ("postal code", QUASI, "postcode"),
    ("zip", QUASI, "postcode"),
    ("zipcode", QUASI, "postcode"),
    ("year of birth", QUASI, "year of birth"),
    ("birth year", QUASI, "year of birth"),
    ("yob", QUASI, "year of birth"),
)
# Ways to reach someone: personal unless the header is about the channel itself
# ("Phone service", "Email consent", "Mobile app").
_CHANNELS = {
    "phone": "phone number",
    "telephone": "phone number",
    "tel": "phone number",
    "mobile": "phone number",
    "cell": "phone number",
    "cellphone": "phone number",
    "landline": "phone number",
    "fax": "phone number",
    "whatsapp": "phone number",
    "phonenumber": "phone number",
    "mobilenumber": "phone number",
    "telephonenumber": "phone number",
}
_ABOUT_CHANNEL = {
    "service", "support", "app", "line", "call", "banking", "newsletter", "update",
    "reminder", "consent", "opt", "optin", "survey", "channel", "satisfaction", "rating",
    "rate", "experience", "wait", "queue", "hold", "menu", "signal", "coverage", "network",
    "plan", "model", "type", "ok", "okay", "permission", "agree", "marketing",
    "access", "use", "usage", "own", "owner", "have", "data", "device", "friendly",
}  # fmt: skip
# Words about a person (or their home) that make "name", "address", "id" … personal.
_PERSON = {
    "first", "last", "full", "given", "family", "middle", "maiden", "nick", "preferred",
    "legal", "respondent", "recipient", "customer", "client", "contact", "student", "staff",
    "employee", "parent", "guardian", "child", "kid", "patient", "member", "membership",
    "participant", "applicant", "owner", "resident", "user", "person", "personal", "my",
    "his", "her", "their", "teacher", "manager", "supervisor", "caregiver", "carer",
    "interviewee", "partner", "spouse", "mother", "father", "emergency", "kin", "submitter",
    "volunteer", "tenant", "visitor", "caller", "learner", "pupil", "sender", "home",
    "billing", "shipping", "delivery", "postal", "mailing", "residential", "physical",
    "permanent", "current", "exact", "precise", "live", "passport", "national", "licence",
    "license", "tax", "social", "insurance",
}  # fmt: skip
# Words about a place or a thing that keep "address" from being a person's.
_PLACE = {
    "web", "website", "url", "site", "office", "campus", "branch", "venue", "event",
    "clinic", "school", "service", "business", "company", "organisation", "organization",
    "server", "mac", "program", "programme", "library", "store", "shop", "centre", "center",
}  # fmt: skip
# "Contact" is a person's details unless the header is about contacting.
_ABOUT_CONTACT = {
    "method", "preference", "reason", "type", "channel", "frequency", "date", "time", "mode",
    "outcome", "point", "us", "permission", "consent", "agree", "ok", "okay", "may", "can",
    "happy", "willing", "made", "count", "how", "when", "why", "did", "last",
    "first", "attempt",
}  # fmt: skip
_ID_WORDS = {"id", "number", "no", "num", "#", "identifier", "code"}
_FILLER = {"of", "the", "a", "an", "and", "or", "for", "to", "on", "in", "s"}


def _words(header: object) -> list[str]:
    """The header's words, lower case, singular, with a leading "what is your …" dropped."""
    text = str(header).replace("\ufeff", "")
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)  # "Email (optional)"
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)  # camelCase: RecipientEmail
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)  # IPAddress
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"\be[\s_.\-]?mail", "email", text)  # E-mail, e mail, e_mail
    text = re.sub(r"(\w)'s\b", r"\1", text)  # driver's, what's
    words = re.findall(r"[^\W_]+|#", text)
    stripped = True
    while stripped and words:
        stripped = False
        for opening in _OPENINGS:
            if tuple(words[: len(opening)]) == opening and len(words) > len(opening):
                words = words[len(opening) :]
                stripped = True
                break
    return [_singular(w) for w in words]


def _singular(word: str) -> str:
    if word in _NOT_PLURAL or len(word) <= 2:
        return word
    if word == "ids":
        return "id"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def header_flag(header: object) -> PersonalFlag | None:
    """Classify a column by its header alone; None when the header says nothing personal.

    >>> [str(header_flag(h)) for h in ("Email:", "What is your email?", "Full Name:", "Postal code")]
    ['header says e-mail', 'header says e-mail', 'header says name', 'header says postcode']
    >>> header_flag("Postal code").kind, header_flag("Campus name"), header_flag("Service location")
    ('quasi', None, None)
    """
    words = _words(header)
    if not words or len(words) > _MAX_WORDS:
        return None
    if words[0] == "recipient":  # Qualtrics' RecipientEmail, RecipientFirstName, …
        return PersonalFlag(DIRECT, "header says recipient details", "header")
    found = _phrase(words) or _channel(words) or _head_noun(words)
    if found is None:
        return None
    kind, what = found
    return PersonalFlag(kind, f"header says {what}", "header")


def _phrase(words: list[str]) -> tuple[str, str] | None:
    spaced = f" {' '.join(words)} "
    for phrase, kind, what in _PHRASES:
        if f" {phrase} " in spaced and not (what == "e-mail" and _ABOUT_CHANNEL & set(words)):
            return kind, what
    return None


def _channel(words: list[str]) -> tuple[str, str] | None:
    for word in words:
        if word in _CHANNELS and not (_ABOUT_CHANNEL & set(words)):
            return DIRECT, _CHANNELS[word]
    return None


def _head_noun(words: list[str]) -> tuple[str, str] | None:
    """Name, address, location, contact and id count only alone or with a person's word."""
    others = {w for w in words if w not in _FILLER}
    if "name" in words:
        qualifiers = others - {"name"}
        if not qualifiers or qualifiers & _PERSON:
            return DIRECT, "name"
    if "address" in words:
        qualifiers = others - {"address"}
        if not (qualifiers & _PLACE) or qualifiers & _PERSON:
            return DIRECT, "address"
    if "location" in words:
        qualifiers = others - {"location"}
        if not qualifiers or qualifiers & _PERSON:
            return DIRECT, "location"
    if "contact" in words and not (others & _ABOUT_CONTACT):
        return DIRECT, "contact details"
    if others & _ID_WORDS and others & (_PERSON - {"first", "last", "current", "home"}):
        return DIRECT, "a person's id number"
    return None


def looks_personal(header: object) -> bool:
    """Say whether a column's header names data that identifies a person.

    Names, e-mails, phone numbers, IP addresses, locations, postcodes and recipient fields
    are personal: kept in the store but never shown in a report, table or export unless
    asked for with ``--include-personal``. :func:`header_flag` says which kind and why.

    >>> looks_personal("Recipient Email"), looks_personal("IPAddress"), looks_personal("campus")
    (True, True, False)
    """
    return header_flag(header) is not None


# ----------------------------------------------------------------------------- values

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s.,;<>0-9]{2,}")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]", re.IGNORECASE)
_IP = re.compile(r"(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}")
_COORDS = re.compile(r"-?\d{1,3}\.\d{3,}\s*[,; ]\s*-?\d{1,3}\.\d{3,}(\s+[-\d.]+)*")
_PHONE = re.compile(r"(\+|00|\()?\d[\d\s().\-]{5,}\d")
_DECIMAL = re.compile(r"-?\d+\.\d+")
_ID = re.compile(r"([A-Za-z]{1,3}|0)?\d{5,12}")
_DATES = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), (0, 1, 2)),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), (2, 1, 0)),
)
# Headers about something that happened (a visit, an event, a submission): their dates
# are not birthdays however old they are.
_EVENT_WORDS = {
    "visit", "event", "submitted", "submission", "start", "started", "end", "ended",
    "joined", "join", "created", "updated", "modified", "due", "appointment", "registered",
    "registration", "enrolled", "enrolment", "enrollment", "opened", "closed", "completed",
    "recorded", "booking", "booked", "arrival", "departure", "purchase", "order", "issued",
    "expiry", "expires", "renewal", "founded", "established", "built", "last", "next",
}  # fmt: skip


def sample_values(values) -> list[str]:
    """Up to :data:`SAMPLE` filled cells of a column, evenly spread over it, as text.

    ``values`` is any sequence of cells (text, numbers, None); blank cells are skipped.
    Bounded work: a few thousand evenly spread cells are looked at first, and the whole
    column only when too few of them are filled.
    """
    import numpy as np  # here: the CLI's --help imports this module and stays light
    import pandas as pd

    column = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    picked = column.iloc[_spread(len(column), 4 * SAMPLE)]
    filled = picked[picked.notna() & picked.astype(str).str.strip().ne("")]
    if len(filled) < SAMPLE and len(picked) < len(column):
        filled = column[column.notna() & column.ne("")]  # cells of spaces dropped below
    filled = filled.iloc[_spread(len(filled), SAMPLE)]
    return [text for text in (str(v).strip() for v in np.asarray(filled, dtype=object)) if text]


def _spread(length: int, cap: int):
    import numpy as np

    if length <= cap:
        return np.arange(length)
    return np.linspace(0, length - 1, cap).astype(np.int64)


def _share(values: Sequence[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values)


def _is_phone(value: str) -> bool:
    if not _PHONE.fullmatch(value) or _DECIMAL.fullmatch(value) or _date_year(value):
        return False
    digits = sum(c.isdigit() for c in value)
    if not 8 <= digits <= 15:
        return False
    if value[0] in "+(" or len(re.findall(r"\d+", value)) >= 3:
        return True
    return value[0] == "0" and (value[1] == "0" or 9 <= digits <= 11)


def _date_year(value: str) -> int | None:
    for pattern, (y, m, d) in _DATES:
        match = pattern.fullmatch(value)
        if match:
            parts = [int(g) for g in match.groups()]
            month, day = parts[m], parts[d]
            if not (1 <= min(month, day) <= 12 and max(month, day) <= 31):
                return None
            return parts[y]
    return None


_VALUE_TESTS = (
    ("e-mail addresses", lambda v: "@" in v and bool(_EMAIL.fullmatch(v))),
    ("US social security numbers", lambda v: bool(_SSN.fullmatch(v))),
    ("national insurance numbers", lambda v: bool(_NINO.fullmatch(v))),
    ("IP addresses", lambda v: bool(_IP.fullmatch(v))),
    ("map coordinates", lambda v: bool(_COORDS.fullmatch(v))),
    ("phone numbers", _is_phone),
)


def values_flag(header: object, values: Sequence[str]) -> PersonalFlag | None:
    """Classify a column by a sample of its filled cells (see :func:`sample_values`).

    Flags it (as a direct identifier) when at least :data:`SHARE` of the cells look like
    e-mail addresses, phone numbers, IP addresses, map coordinates, social security or
    national insurance numbers, id numbers (letters or a 0 then digits, or digits under an
    id header, nearly all different), or dates of birth (dates spread over many years, none
    in the last 12, under a header that is not about an event).

    >>> values_flag("Contact", ["jo@example.org", "sam@example.com", ""]).reason
    'values look like e-mail addresses'
    >>> values_flag("Q7", ["Yes", "No", "Yes"]) is None
    True
    """
    values = [v for v in (str(x).strip() for x in values) if v]
    if not values:
        return None
    if not any(c.isdigit() or c == "@" for v in values[:50] for c in v):
        return None  # plain words: nothing below could match
    for what, test in _VALUE_TESTS:
        if _share(values, test) >= SHARE:
            return PersonalFlag(DIRECT, f"values look like {what}", "values")
    if len(values) < _MIN_FOR_PATTERN:
        return None
    words = set(_words(header))
    what = _id_numbers(values, words, str(header)) or _birth_dates(values, words)
    return None if what is None else PersonalFlag(DIRECT, f"values look like {what}", "values")


def _id_numbers(values: Sequence[str], words: set[str], header: str) -> str | None:
    matching = [v for v in values if _ID.fullmatch(v)]
    if len(matching) < SHARE * len(values) or len(set(matching)) < 0.9 * len(matching):
        return None
    coded = sum(1 for v in matching if not v[0].isdigit() or v[0] == "0")
    if coded >= SHARE * len(matching):
        return "id numbers, nearly all different"
    if words & _ID_WORDS and not header.startswith("_"):  # "_id": a survey tool's record number
        return "id numbers, nearly all different, under an id header"
    return None


def _birth_dates(values: Sequence[str], words: set[str]) -> str | None:
    if words & _EVENT_WORDS:
        return None
    years = [y for y in (_date_year(v) for v in values) if y is not None]
    if len(years) < SHARE * len(values):
        return None
    this_year = dt.date.today().year
    plausible = [y for y in years if this_year - 110 <= y <= this_year - 12]
    if len(plausible) < 0.95 * len(years) or len(set(plausible)) < min(5, len(plausible)):
        return None
    if len(set(values)) < 0.5 * len(values):
        return None
    return "dates of birth"


def column_flag(header: object, values=None) -> PersonalFlag | None:
    """Classify an attribute column by its header, then (if that says nothing) its values.

    ``values`` is the column's cells (any sequence; a bounded sample is taken).
    """
    flag = header_flag(header)
    if flag is not None or values is None:
        return flag
    return values_flag(header, sample_values(values))


def personal_refusal(option: str, column: str, flag: PersonalFlag, *, use: str) -> str:
    """The one wording of a refusal to use a personal column (``--each``, ``subset``, ``--by``)."""
    kind = "identifies people" if flag.kind == DIRECT else "narrows people down"
    return (
        f'{option} "{column}": the column {kind} ({flag.reason}), so it is not used {use} '
        "unless asked for. Add --include-personal if that is really what you want, or set "
        f'the column\'s flag in the import map ([personal] "{column}" = false) if it does not '
        "identify anyone."
    )


#: What :func:`personal_in_text` looks for inside free text, and how it words each.
_IN_TEXT = (
    ("an e-mail address", _EMAIL, lambda v: True),
    ("a US social security number", _SSN, lambda v: True),
    ("a national insurance number", _NINO, lambda v: True),
    ("a phone number", _PHONE, _is_phone),
)


def personal_in_text(text: object) -> str | None:
    """What in a piece of free text looks like it reaches one person, or None.

    For text written to be shown to others (an action's words on a customer page): an
    e-mail address, a phone number, a social security or national insurance number
    anywhere in it. Names cannot be told from other words and are not looked for.

    >>> personal_in_text("Call Ana on +44 20 7946 0958 about the van")
    'a phone number'
    >>> personal_in_text("Fresh milk every Tuesday from 2024-07-01") is None
    True
    """
    value = str(text or "")
    for what, pattern, test in _IN_TEXT:
        if any(test(m.group(0).strip()) for m in pattern.finditer(value)):
            return what
    return None
