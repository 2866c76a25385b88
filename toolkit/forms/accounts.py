"""The planners' accounts for ``forms --team`` (``service-toolkit users``).

Each planner has a name and a password. The password is never stored: the store keeps a
salted scrypt hash (:func:`hash_password`; the standard library's ``hashlib.scrypt``,
a memory-hard key derivation function), written ``scrypt$N$r$p$SALT$HASH`` so that
stronger settings can come later without breaking the hashes already stored. Accounts
live in the engagement's store (``planners`` table, through
:meth:`toolkit.store.Engagement.set_planner` and its neighbours), so they move with
the engagement.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets

from toolkit.errors import DataValidationError

__all__ = [
    "MIN_PASSWORD",
    "add_planner",
    "check_password",
    "hash_password",
    "planner_name",
    "read_password",
    "remove_planner",
    "reset_password",
    "session_stamp",
    "users_command",
    "verify_password",
]

#: scrypt's cost (N), block size (r) and parallelism (p): 16 MiB and a few tens of
#: milliseconds a try, as recommended for interactive sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAX_MEM = 64 * 1024 * 1024

MIN_PASSWORD = 10
"""The shortest password accepted (characters)."""

_MAX_PASSWORD = 1024
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=_KEY_BYTES
    )


def hash_password(password: str) -> str:
    """The stored form of ``password``: scrypt with a new random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


@functools.cache
def _dummy() -> str:
    """Checked against when no such planner exists, so an unknown name takes as long to
    refuse as a wrong password (the time does not tell which names exist).
    """
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result).

    A missing or malformed ``stored`` is checked against a dummy hash and refused, in
    about the time a real check takes.
    """
    try:
        kind, n, r, p, salt, key = (stored or _dummy()).split("$")
        if kind != "scrypt":
            raise ValueError(kind)
        expected = base64.b64decode(key, validate=True)
        given = _derive(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, TypeError):  # not a hash this toolkit wrote
        _derive(password, b"0" * _SALT_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    return stored is not None and hmac.compare_digest(given, expected)


def session_stamp(stored: str) -> str:
    """A short fingerprint of a stored hash: a session carries it, so a password reset
    (or the account removed) ends the sessions signed in with the old password.
    """
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:16]


def planner_name(text: str) -> str:
    """A planner's account name, checked and in lower case (names ignore case).

    Raises
    ------
    DataValidationError
        Not 1–40 letters, digits, dots, dashes or underscores starting with a letter or digit.
    """
    name = str(text).strip().lower()
    if not _NAME.fullmatch(name):
        raise DataValidationError(
            f'"{text}" is not a planner name the toolkit takes. Use 1 to 40 letters, digits, '
            "dots, dashes or underscores, starting with a letter or digit (maria.lopez, say)."
        )
    return name


def check_password(password: str) -> str:
    """``password`` if it can be used, else a DataValidationError saying why."""
    if len(password) < MIN_PASSWORD:
        raise DataValidationError(
            f"That password is {len(password)} characters long; use at least {MIN_PASSWORD}. "
            "A few unrelated words make a long password that is easy to remember."
        )
    if len(password) > _MAX_PASSWORD:
        raise DataValidationError(f"That password is longer than {_MAX_PASSWORD} characters.")
    if password != password.strip():
        raise DataValidationError(
            "That password starts or ends with a space; leave spaces out of its ends."
        )
    return password


def add_planner(engagement, name: str, password: str) -> str:
    """Add a planner account; return the name as stored (lower case)."""
    name = planner_name(name)
    engagement.set_planner(name, hash_password(check_password(password)), new=True)
    return name


def reset_password(engagement, name: str, password: str) -> str:
    """Give planner ``name`` a new password (their signed-in sessions end)."""
    name = planner_name(name)
    engagement.set_planner(name, hash_password(check_password(password)), new=False)
    return name


def remove_planner(engagement, name: str) -> str:
    """Remove planner ``name`` (their sessions end; what they saved stays, with their name)."""
    name = planner_name(name)
    engagement.remove_planner(name)
    return name


def read_password(name: str, *, from_stdin: bool, stdin=None, ask=None) -> str:
    """The new password for ``name``: one line of standard input (``from_stdin``, for
    scripts), or typed twice at a prompt that does not show it.

    Raises
    ------
    DataValidationError
        Nothing on standard input, the two typed differ, or the password is too weak
        (:func:`check_password`).
    """
    import sys

    if from_stdin:
        line = (stdin or sys.stdin).readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise DataValidationError(
                "--password-stdin read no password: give it as one line on standard input "
                "(printf '%s\\n' \"$PASSWORD\" | service-toolkit users PATH add NAME "
                "--password-stdin)."
            )
        return check_password(password)
    if ask is None:
        import getpass

        ask = getpass.getpass
    password = check_password(ask(f"New password for {name}: "))
    if ask(f"The same password again, for {name}: ") != password:
        raise DataValidationError(
            "The two passwords typed differ; nothing was changed. Run the command again."
        )
    return password


def users_command(engagement, action: str | None, name: str | None, *, password_stdin: bool):
    """What ``service-toolkit users PATH [add|remove|reset-password NAME]`` does.

    Returns the sentence to print (the list of accounts when no ``action``).
    """
    if action is None:
        return _listing(engagement)
    name = planner_name(name or "")
    if action == "remove":
        remove_planner(engagement, name)
        return (
            f"Removed planner {name}: they can no longer sign in, nor save from a page "
            "they still have open; what they saved keeps their name."
        )
    if action == "add":
        if engagement.planner_hash(name) is not None:  # before asking for a password
            engagement.set_planner(name, "", new=True)  # raises, saying what to do
        add_planner(engagement, name, read_password(name, from_stdin=password_stdin))
        return f"Added planner {name}: they sign in to service-toolkit forms --team as {name}."
    if engagement.planner_hash(name) is None:
        engagement.set_planner(name, "", new=False)  # raises, naming the planners
    reset_password(engagement, name, read_password(name, from_stdin=password_stdin))
    return f"New password set for {name}; their signed-in sessions have ended."


def _listing(engagement) -> str:
    planners = engagement.planners()
    if not planners:
        return (
            f"No planner accounts yet. Add one for each planner: service-toolkit users "
            f"{engagement.path} add NAME"
        )
    lines = ["Planners who may sign in to service-toolkit forms --team:"]
    for p in planners:
        lines.append(
            f"  {p['name']:<20} added {p['created_at'][:10]}, "
            f"password set {p['changed_at'][:16].replace('T', ' ')}"
        )
    return "\n".join(lines)
