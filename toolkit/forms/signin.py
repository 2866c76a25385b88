"""Sign-in for ``service-toolkit forms --team``: each planner with their own account.

Used by :mod:`toolkit.forms.voila_app` when the server runs for a team:

- :class:`Sessions` issues and reads the signed session cookie (tornado's signed values
  under the server's random secret): a planner's name, when they signed in and a stamp
  of their password hash. A session ends after ``hours``, at sign-out, when the
  planner's password is reset or their account removed, and when the server stops.
- :class:`SignInLimiter` slows and then stops guessing: each wrong password is answered
  after a pause, and too many in a while (for one name, or from one address) stop that
  name or address signing in until the while has passed.
- :class:`PlannerIdentityProvider` tells jupyter_server's handlers (pages, kernels,
  websockets) who is signed in; the application refuses every request from no one
  before any handler runs (:meth:`Sessions.planner_of`).
- :func:`note_planner` writes beside a kernel's connection file which planner's page
  holds it; the kernel reads it (:func:`toolkit.forms.planner.current_planner`) to
  record who saved an entry and to keep each planner's drafts apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import html
import json
import os
import secrets
import time
from collections import deque
from pathlib import Path
from urllib.parse import quote

import tornado.web
from jupyter_server.auth.identity import IdentityProvider, User

from toolkit.forms.accounts import planner_name, session_stamp, verify_password

__all__ = [
    "FAIL_DELAY_SECONDS",
    "PlannerIdentityProvider",
    "Sessions",
    "SignInLimiter",
    "note_planner",
    "PAGE_PLANNER",
    "sign_in_page",
]

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"

FAIL_DELAY_SECONDS = 1.0
"""How long a wrong password waits for its answer."""

LIMIT_WINDOW_SECONDS = 15 * 60
NAME_LIMIT = 5
"""Wrong passwords for one name within the window that stop that name signing in."""
ADDRESS_LIMIT = 20
"""Wrong passwords from one address within the window that stop it signing anyone in."""

_ACCOUNT_CHECK_SECONDS = 10.0
"""How long a session's account check is trusted before the store is asked again."""

PAGE_PLANNER: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "forms_page_planner", default=None
)
"""The planner, session and password stamp whose page request is being answered (the
page handler's): the stamp the page's own cookie carries, noted beside its kernel."""


class SignInLimiter:
    """Counts wrong passwords per name and per address over a sliding window."""

    def __init__(self, clock=time.monotonic, window: float = LIMIT_WINDOW_SECONDS):
        self.clock, self.window = clock, window
        self._failures: dict[tuple[str, str], deque] = {}

    def _recent(self, key: tuple[str, str]) -> deque:
        times = self._failures.setdefault(key, deque())
        while times and self.clock() - times[0] >= self.window:
            times.popleft()
        return times

    def refusal(self, name: str, address: str) -> str | None:
        """Why no sign-in may be tried now for ``name`` from ``address``, or None."""
        for key, limit, whom in (
            (("name", name), NAME_LIMIT, "for this name"),
            (("address", address), ADDRESS_LIMIT, "from this computer"),
        ):
            times = self._recent(key)
            if len(times) >= limit:
                wait = max(1, round((times[0] + self.window - self.clock()) / 60))
                return (
                    f"Too many wrong passwords {whom}. Wait {wait} minute"
                    f"{'s' if wait != 1 else ''} and try again, or ask the person who runs "
                    "the forms to give you a new password."
                )
        return None

    def failed(self, name: str, address: str) -> float:
        """Count a try for ``name`` from ``address`` as wrong; returns when, for
        :meth:`succeeded`. A try is counted before its password is checked, so guesses
        sent at once are counted (and stopped) as they come, not after their checks.
        """
        now = self.clock()
        self._recent(("name", name)).append(now)
        self._recent(("address", address)).append(now)
        return now

    def succeeded(self, name: str, address: str | None = None, at: float | None = None) -> None:
        """The password was right: ``name``'s wrong tries are forgotten, and the try
        counted at ``at`` from ``address`` (:meth:`failed`) no longer counts.
        """
        self._failures.pop(("name", name), None)
        times = self._failures.get(("address", address))
        if times is not None and at in times:
            times.remove(at)


class Sessions:
    """The signed session cookie of one forms server, and the accounts behind it."""

    def __init__(
        self, engagement, secret: bytes, port: int, *, secure: bool, hours: float, clock=time.time
    ):
        self.engagement, self.secret, self.secure = engagement, secret, secure
        self.hours, self.clock = hours, clock
        # Per port: two forms servers on one machine keep their sign-ins apart.
        self.cookie = f"service-toolkit-forms-{port}"
        self._checked: dict[str, tuple[str | None, float]] = {}
        self.limiter = SignInLimiter()
        # Sessions signed out (a copied cookie is no use), by when each started; and each
        # session's pages' kernels, by when its first page opened. Both forget a session
        # once it would have expired anyway: they hold only the last ``hours``' sessions.
        self.ended: dict[str, float] = {}
        self.pages: dict[str, tuple[float, set[str]]] = {}

    def stamp(self, name: str, *, fresh: bool = False) -> str | None:
        """The stamp of ``name``'s password hash; None when they have no account."""
        stamp, at = self._checked.get(name, (None, -1e18))
        if fresh or time.monotonic() - at > _ACCOUNT_CHECK_SECONDS:
            stored = self.engagement.planner_hash(name)
            stamp = session_stamp(stored) if stored else None
            self._checked[name] = (stamp, time.monotonic())
        return stamp

    def value(self, name: str) -> bytes:
        """A new session's signed cookie value for ``name`` (just signed in)."""
        data = json.dumps(
            {
                "u": name,
                "t": self.clock(),
                "s": self.stamp(name, fresh=True),
                "i": secrets.token_urlsafe(12),
            }
        )
        return tornado.web.create_signed_value(self.secret, self.cookie, data)

    def _read(self, value: str | None) -> dict | None:
        if not value:
            return None
        days = self.hours / 24 + 1  # the signature's own limit; the hours are checked below
        raw = tornado.web.decode_signed_value(self.secret, self.cookie, value, max_age_days=days)
        try:
            data = json.loads(raw or b"")
            return {"u": str(data["u"]), "t": float(data["t"]), "s": data["s"], "i": data["i"]}
        except (ValueError, KeyError, TypeError):
            return None

    def session(self, value: str | None) -> tuple[str, str, str] | None:
        """The planner a cookie value signs in, the session's id and the stamp of the
        password it signed in with (:func:`session_stamp`), or None: unsigned, expired,
        signed out, or the account's password changed or the account removed.
        """
        data = self._read(value)
        if data is None or data["i"] in self.ended:
            return None
        name, started, stamp = data["u"], data["t"], data["s"]
        if not 0 <= self.clock() - started < self.hours * 3600:
            return None
        if stamp is None or self.stamp(name) != stamp:
            return None
        return name, data["i"], stamp

    def planner(self, value: str | None) -> str | None:
        """The planner a cookie value signs in, or None (see :meth:`session`)."""
        found = self.session(value)
        return found[0] if found else None

    def session_of(self, request) -> tuple[str, str, str] | None:
        """The planner, session id and password stamp signed in on ``request`` (tornado's),
        or None (see :meth:`session`).
        """
        morsel = request.cookies.get(self.cookie)
        return self.session(morsel.value if morsel is not None else None)

    def planner_of(self, request) -> str | None:
        """The planner signed in on ``request`` (a tornado HTTPServerRequest), or None."""
        found = self.session_of(request)
        return found[0] if found else None

    def set_cookie(self, handler: tornado.web.RequestHandler, name: str) -> None:
        handler.set_cookie(
            self.cookie,
            self.value(name).decode("ascii"),
            httponly=True,
            secure=self.secure,
            samesite="Lax",
            path="/",
            expires_days=None,  # a browser session cookie; the server ends it at `hours`
        )

    def end(self, handler: tornado.web.RequestHandler) -> set[str]:
        """Sign out: this session ends here, and the browser forgets its cookie.

        Returns the kernels of the pages the session opened (to be shut down: a page
        left open in another tab saves nothing more).
        """
        morsel = handler.request.cookies.get(self.cookie)
        data = self._read(morsel.value if morsel is not None else None)
        handler.clear_cookie(self.cookie, path="/")
        if data is None:
            return set()
        self._forget_expired()
        self.ended[data["i"]] = data["t"]
        return self.pages.pop(data["i"], (0.0, set()))[1]

    def page_opened(self, session: str, kernel_id: str) -> None:
        """Session ``session``'s page holds kernel ``kernel_id`` (stopped at sign-out)."""
        self._forget_expired()
        self.pages.setdefault(session, (self.clock(), set()))[1].add(kernel_id)

    def _forget_expired(self) -> None:
        """Forget the sessions that have expired: their cookies are refused by age."""
        oldest = self.clock() - self.hours * 3600
        self.ended = {i: t for i, t in self.ended.items() if t > oldest}
        self.pages = {i: page for i, page in self.pages.items() if page[0] > oldest}


def note_planner(kernel_manager, kernel_id: str, planner: str, stamp: str) -> None:
    """Write which planner's page holds kernel ``kernel_id``, beside its connection file,
    with the stamp of the password they signed in with (:func:`session_stamp`).

    The connection directory is the server's own (created owner-only); the kernel
    reads the file when it saves (:func:`toolkit.forms.planner.current_planner`), and
    refuses to save once the password has been reset.
    """
    connection = Path(kernel_manager.get_kernel(kernel_id).connection_file)
    path = connection.with_suffix(".planner")
    staged = path.with_name(path.name + ".new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"{planner}\n{stamp}")
    os.replace(staged, path)


class PlannerIdentityProvider(IdentityProvider):
    """jupyter_server's view of who is signed in: the planner of the session cookie."""

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_user(self, handler: tornado.web.RequestHandler) -> User | None:
        sessions: Sessions = handler.settings["forms_sessions"]
        name = sessions.planner_of(handler.request)
        return User(username=name, name=name, display_name=name) if name else None

    def get_handlers(self) -> list:
        return [(LOGIN_PATH, SignInHandler), (LOGOUT_PATH, SignOutHandler)]


_PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  background: #f4f5f7; color: #1d2330; }
main { max-width: 26rem; margin: 8vh auto; background: #fff; padding: 2rem 2.25rem;
  border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.45rem; margin: 0 0 .5rem; }
p { line-height: 1.45; }
label { display: block; font-weight: 600; margin: 1.1rem 0 .3rem; }
input { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .55rem .6rem;
  border: 1px solid #8a93a6; border-radius: 4px; }
input:focus { outline: 3px solid #9cc3ff; border-color: #1f5fbf; }
button { margin-top: 1.4rem; font-size: 1rem; padding: .6rem 1.4rem; border: 0;
  border-radius: 4px; background: #1f5fbf; color: #fff; cursor: pointer; }
button:hover { background: #174a96; }
.alert { background: #fdecea; color: #8a1c13; border-left: 4px solid #c0392b;
  padding: .6rem .8rem; margin: 1rem 0 0; }
.note { color: #4a5366; font-size: .92rem; margin-top: 1.6rem; }
@media (max-width: 30rem) { main { margin: 0; border-radius: 0; box-shadow: none; } }
"""


def sign_in_page(
    *, message: str = "", name: str = "", next_path: str = "/", hours: float = 12
) -> str:
    """The sign-in page: plain words, a name and a password, the reason a try failed."""
    alert = f'<p class="alert" role="alert">{html.escape(message)}</p>' if message else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Sign in · listening forms</title><style>{_PAGE_CSS}</style></head><body>"
        "<main><h1>Sign in to the listening forms</h1>"
        "<p>Use the name and password you were given for these forms. Everything you "
        "save is recorded under your name.</p>"
        f"{alert}"
        f'<form method="post" action="login?next={quote(next_path, safe="/")}">'
        '<label for="name">Your name</label>'
        f'<input id="name" name="name" autocomplete="username" required '
        f'autocapitalize="none" spellcheck="false" value="{html.escape(name)}"'
        f"{'' if name else ' autofocus'}>"
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        f'autocomplete="current-password" required{" autofocus" if name else ""}>'
        '<button type="submit">Sign in</button></form>'
        f'<p class="note">You stay signed in on this browser for {hours:g} hours, or until '
        "you sign out. No account yet, or forgot your password? Ask the person who runs the "
        "forms to add you or to give you a new password.</p>"
        "</main></body></html>"
    )


def _safe_next(path: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    path = path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


class _PlainPage(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "same-origin")  # no-referrer makes Origin "null"
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'",
        )

    @property
    def sessions(self) -> Sessions:
        return self.settings["forms_sessions"]

    def check_xsrf_cookie(self) -> None:
        """The sign-in form needs none: Origin is checked before any handler runs."""


class SignInHandler(_PlainPage):
    """``/login``: the sign-in page (GET) and the sign-in itself (POST)."""

    def get(self) -> None:
        next_path = _safe_next(self.get_argument("next", "/"))
        if self.sessions.planner_of(self.request):
            self.redirect(next_path)
            return
        self.finish(sign_in_page(next_path=next_path, hours=self.sessions.hours))

    async def post(self) -> None:
        next_path = _safe_next(self.get_argument("next", "/"))
        typed = self.get_body_argument("name", "").strip()
        password = self.get_body_argument("password", "")
        try:
            name = planner_name(typed)
        except ValueError:
            name = typed.lower()[:64] or "-"
        address = self.request.remote_ip or "-"
        limiter = self.sessions.limiter
        refusal = limiter.refusal(name, address)
        if refusal is None:
            at = limiter.failed(name, address)  # counted now: tries sent at once are too
            stored = self.sessions.engagement.planner_hash(name)
            loop = asyncio.get_running_loop()
            if await loop.run_in_executor(None, verify_password, password, stored):
                limiter.succeeded(name, address, at)
                self.sessions.set_cookie(self, name)
                self.redirect(next_path)
                return
            await asyncio.sleep(FAIL_DELAY_SECONDS)
            refusal = limiter.refusal(name, address) or (
                "That name and password do not match an account here. Check both "
                "(passwords are case-sensitive) and try again."
            )
        self.set_status(401)
        self.finish(
            sign_in_page(
                message=refusal, name=typed, next_path=next_path, hours=self.sessions.hours
            )
        )


class SignOutHandler(_PlainPage):
    """``/logout``: a POST from the forms' own pages ends this browser's session; a GET
    (a link, typed or planted on another site) only offers the button.
    """

    def get(self) -> None:
        self.finish(
            _sign_out_page(
                "Sign out of the listening forms?",
                "<p>Signing out stops the forms pages open in this browser.</p>"
                '<form method="post" action="logout"><button type="submit">Sign out</button>'
                "</form>",
            )
        )

    async def post(self) -> None:
        # Another site's Origin was refused before any handler ran (GuardedApplication);
        # a POST with none at all is no browser's form either.
        if self.request.headers.get("Origin") is None:
            self.set_status(403)
            self.finish(
                _sign_out_page(
                    "Not signed out",
                    "<p>Use the Sign out button on the forms page.</p>"
                    '<p><a href="logout">Sign out</a></p>',
                )
            )
            return
        manager = self.settings.get("kernel_manager")
        for kernel_id in self.sessions.end(self):
            with contextlib.suppress(Exception):  # closed already, with its page
                await manager.shutdown_kernel(kernel_id)
        self.finish(
            _sign_out_page(
                "You are signed out",
                "<p>Nothing more can be saved from this browser until someone signs in "
                "again: forms pages still open in other tabs have stopped.</p>"
                '<p><a href="login">Sign in again</a></p>',
            )
        )


def _sign_out_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} · listening forms</title><style>{_PAGE_CSS}</style>"
        f"</head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


def refusal_for(request, sessions: Sessions) -> tuple[int, str] | None:
    """What to answer a request from no one signed in: (302, sign-in address) for a
    page, (403, reason) for anything else; None when it may go on.
    """
    if request.path in (LOGIN_PATH, LOGOUT_PATH) or sessions.planner_of(request):
        return None
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    if request.method == "GET" and not upgrade and not request.path.startswith("/api/"):
        return 302, f"{LOGIN_PATH}?next={quote(request.path, safe='/')}"
    return 403, (
        "Sign in first: these forms answer only planners who have signed in. Open the "
        "forms' address in a browser and sign in with your name and password."
    )
