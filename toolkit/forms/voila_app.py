"""The Voilà application ``service-toolkit forms`` runs: Voilà with its doors checked.

Started as ``python -m toolkit.forms.voila_app NOTEBOOK [Voilà options]`` by
:mod:`toolkit.forms.serve`. On top of Voilà 0.5 it adds, before any handler runs:

- **Host and Origin checked on every request** (pages, kernels, websockets, static files,
  the kernels' own ``voila/query`` socket): the Host header must be a name in
  ``LOOPBACK_NAMES`` with the served port, or one of ``FormsVoila.allowed_hosts``; an
  Origin header, when a browser sends one, must be ``http://`` such a host and port (or
  an allowed host).
  Voilà sets ``allow_remote_access=True``, which turns jupyter_server's own Host check
  off; a DNS-rebinding page (``evil.example`` resolving to 127.0.0.1) is refused here.
- **The token** from the ``SERVICE_TOOLKIT_FORMS_TOKEN`` environment variable (removed
  from the environment before any kernel starts, and never on the command line, where
  other users of the machine could read it). A request without it is sent to a page that
  says how to get the address with its token.
- **A cap on pages**: at most ``FormsVoila.max_pages`` pages hold a kernel (the warm
  kernel waiting for the next page is not counted); past it a page says so in plain words.
- **A team's server** (``FormsVoila.team``, from ``forms --team``): no token; every request
  but signing in needs a planner's signed-in session (:mod:`toolkit.forms.signin`), checked
  here before any handler; the Host may also be the address served (``--host``); https
  with ``FormsVoila.certfile`` and ``keyfile``; each page's kernel is told whose page it is.
- **Scripts kept by returning browsers**: the JupyterLab extensions' files whose names
  carry a hash of their content (``remoteEntry.c8c9eed2cdefdeac.js``) are served as
  immutable (:class:`ExtensionFileHandler`); Voilà serves them all ``no-cache``, so every
  page opened asked again for each of them.
- **A closed page's kernel shut down**: Voilà's page calls ``voila/api/shutdown`` when it
  is left, with the ``_xsrf`` cookie it finds; Voilà never sets that cookie, so the call
  was refused (403). The page handler sets it.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from urllib.parse import urlsplit

import tornado.web
from jupyter_server.base.handlers import FileFindHandler
from tornado.httputil import split_host_and_port
from traitlets import Bool, Float, Int, List, Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from toolkit.forms.serve import DEFAULT_MAX_PAGES, ENGAGEMENT_ENV, TOKEN_ENV, tls_context
from toolkit.forms.signin import PAGE_PLANNER, PlannerIdentityProvider, Sessions, note_planner

__all__ = ["LOOPBACK_NAMES", "FormsVoila", "main", "request_refusal"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
"""Host names accepted in the Host and Origin headers unless ``--allow-host`` adds more."""

NO_TOKEN_MESSAGE = (
    "This forms page needs its full address, the one that ends in ?token=…. "
    "Use the address service-toolkit forms printed when it started (or a bookmark of it). "
    "Lost it? Stop the command and run it again: it prints the same address."
)


def _host_name(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _host_refusal(
    host: str | None, *, extra: frozenset[str], port: int, names: tuple[str, ...], scheme: str
) -> str | None:
    name, given_port = split_host_and_port((host or "").strip().lower())
    name = _host_name(name)
    if (name in names and given_port == port) or name in extra:
        return None
    served = "127.0.0.1" if names[0] in LOOPBACK_NAMES else names[0]
    served = f"[{served}]" if ":" in served else served
    also = " (or localhost)" if served == "127.0.0.1" else ""
    return (
        f"This forms server answers only at {scheme}://{served}:{port}/{also}, "
        f"not at {host or 'an address with no host name'}. Open the address "
        "service-toolkit forms printed."
    )


def _origin_refusal(
    origin: str, *, extra: frozenset[str], port: int, names: tuple[str, ...], scheme: str
) -> str | None:
    parts = urlsplit(origin.strip().lower())
    try:
        origin_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        origin_port = None
    name = parts.hostname or ""
    # A server serving https itself is one site: its scheme and port, whatever the name.
    # Behind a proxy (plain http here) an allowed name comes as the proxy serves it.
    own = name in names or (name in extra and scheme == "https")
    if own and parts.scheme == scheme and origin_port == port:
        return None
    if not own and parts.scheme in ("http", "https") and name in extra:
        return None
    return (
        f"This forms server refuses requests made by another site ({origin}). "
        "Open the address service-toolkit forms printed in its own tab."
    )


def request_refusal(
    host: str | None,
    origin: str | None,
    *,
    port: int,
    extra: frozenset[str] = frozenset(),
    names: tuple[str, ...] = LOOPBACK_NAMES,
    scheme: str = "http",
) -> str | None:
    """Why a request with these Host and Origin headers is refused, or None to serve it.

    ``host`` is the Host header (``name:port``); ``origin`` the Origin header, None when
    the request has none (a typed address, a script). A loopback name must come with the
    served ``port`` (another port on this machine is another site); a name in ``extra``
    (``--allow-host``) too when the server serves https itself (``scheme``), and otherwise
    (a team behind a proxy of its own) with any port, over http or https. Names compare
    without case, IPv6 addresses without their brackets.
    A team's server (``forms --team --host``) is also answered at its own address
    (``names``), and over https when it has a certificate (``scheme``).
    """
    where = {"extra": extra, "port": port, "names": names, "scheme": scheme}
    refusal = _host_refusal(host, **where)
    if refusal is None and origin is not None:
        refusal = _origin_refusal(origin, **where)
    return refusal


def _page(title: str, message: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family: sans-serif; max-width: 40em; margin: 3em auto'>"
        f"<h1>{html.escape(title)}</h1><p role='alert'>{html.escape(message)}</p></body></html>"
    )


class RefusedHandler(tornado.web.RequestHandler):
    """Answers every method with a status and a page saying why, and does nothing else."""

    def initialize(self, status: int, title: str, message: str) -> None:
        self.status, self.title, self.message = status, title, message

    def prepare(self) -> None:
        self.set_status(self.status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(_page(self.title, self.message))


class GuardedApplication(tornado.web.Application):
    """A tornado application that checks Host and Origin before finding any handler."""

    extra_hosts: frozenset[str] = frozenset()
    served_port: int = 0
    served_names: tuple[str, ...] = LOOPBACK_NAMES
    scheme: str = "http"
    sessions = None  # a team's server: toolkit.forms.signin.Sessions
    ssl_context = None

    def find_handler(self, request, **kwargs):
        headers = request.headers
        origin = headers.get("Origin", headers.get("Sec-Websocket-Origin"))
        refusal = request_refusal(
            headers.get("Host"),
            origin,
            port=self.served_port,
            extra=self.extra_hosts,
            names=self.served_names,
            scheme=self.scheme,
        )
        if refusal is not None:
            return self._refuse(request, 403, "Refused", refusal)
        if self.sessions is not None:
            return self._signed_in(request, **kwargs)
        if request.path == self.settings.get("login_url"):
            return self._refuse(request, 403, "This address needs its token", NO_TOKEN_MESSAGE)
        return super().find_handler(request, **kwargs)

    def _signed_in(self, request, **kwargs):
        """A team's server: nothing but signing in for anyone not signed in."""
        from toolkit.forms.signin import refusal_for

        refused = refusal_for(request, self.sessions)
        if refused is None:
            return super().find_handler(request, **kwargs)
        status, text = refused
        if status == 302:
            return self.get_handler_delegate(
                request, tornado.web.RedirectHandler, {"url": text, "permanent": False}
            )
        return self._refuse(request, status, "Sign in first", text)

    def listen(self, port, address="", **kwargs):
        if self.ssl_context is not None:
            kwargs["ssl_options"] = self.ssl_context
        return super().listen(port, address, **kwargs)

    def _refuse(self, request, status: int, title: str, message: str):
        kwargs = {"status": status, "title": title, "message": message}
        return self.get_handler_delegate(request, RefusedHandler, kwargs)


#: A file name carrying a hash of its content (webpack's ``[name].[contenthash].js``): a
#: new version of the file is a new name, so a browser may keep it for good.
HASHED_NAME = re.compile(r"/[\w-]+\.[0-9a-f]{8,}\.js$")


class ExtensionFileHandler(FileFindHandler):
    """Voilà's handler of the JupyterLab extensions' files, letting browsers keep the files
    named by their content for a year without asking again (others: ``no-cache``, as
    Voilà serves them: asked again each time, answered 304 when unchanged).
    """

    def set_headers(self) -> None:
        super().set_headers()
        if HASHED_NAME.search(self.request.path):
            self.set_header("Cache-Control", "private, max-age=31536000, immutable")


class FormsPageHandler(TornadoVoilaHandler):
    """Voilà's page, within the cap on pages, setting the cookie its unload call sends."""

    @tornado.web.authenticated
    async def get(self, path=None):
        voila = self.settings["forms_voila"]
        if voila.pages_open() >= voila.max_pages:
            self.set_status(503)
            self.set_header("Cache-Control", "no-store")
            self.finish(_page("Too many forms pages open", voila.cap_message()))
            return
        self.xsrf_token  # noqa: B018 - sets the _xsrf cookie the page's shutdown call sends
        # A page given the warm kernel holds a kernel already counted; any other page is
        # counted while its kernel starts (until then the kernel manager does not list it).
        starting = 0 if self._takes_the_warm_kernel() else 1
        voila.starting += starting
        planner = self._planner()
        try:
            await super().get(path)
        finally:
            voila.starting -= starting
            if planner is not None:
                PAGE_PLANNER.reset(planner)

    def _planner(self):
        """On a team's server, note whose page this is (its kernel is told, see
        :meth:`FormsVoila._note_planners`); a token for PAGE_PLANNER.reset, else None.
        """
        sessions = self.settings.get("forms_sessions")
        found = None if sessions is None else sessions.session_of(self.request)
        return None if found is None else PAGE_PLANNER.set(found)

    def _takes_the_warm_kernel(self) -> bool:
        # Voilà's own test (should_use_rendered_notebook), with the warm kernel ready.
        if self.get_argument("template", None) or self.get_argument("theme", None):
            return False
        pool = getattr(self.kernel_manager, "_pools", {}).get(self.notebook_path) or []
        return bool(pool) and _ready(pool[0]) is not None


def _ready(task) -> str | None:
    """The kernel id of a pool entry whose kernel has started, else None."""
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result().get("kernel_id")
    return None


class FormsVoila(Voila):
    """Voilà with Host and Origin checked, a token from the environment and a page cap."""

    name = "service-toolkit-forms"

    allowed_hosts = List(
        Unicode(),
        help="Host names this server answers to besides the loopback names, on any port.",
    ).tag(config=True)

    max_pages = Int(
        DEFAULT_MAX_PAGES, help="The most forms pages open at once, each with its kernel."
    ).tag(config=True)

    team = Bool(False, help="Serve a team: every planner signs in with their own account.").tag(
        config=True
    )

    certfile = Unicode("", help="A team's server: the TLS certificate (PEM) to serve https.").tag(
        config=True
    )

    keyfile = Unicode("", help="A team's server: the certificate's private key (PEM).").tag(
        config=True
    )

    session_hours = Float(12.0, help="A team's server: hours a sign-in lasts.").tag(config=True)

    starting = 0  # pages whose kernel is starting: the kernel manager does not list it yet
    warm: set[str] = set()  # kernels started for the pool and not yet given to a page

    def initialize(self, argv=None):
        token = os.environ.pop(TOKEN_ENV, "")
        super().initialize(argv)
        if self.team:  # each planner signs in; no shared token
            self.identity_provider_class = PlannerIdentityProvider
        elif token:
            self.token = token

    def init_settings(self):
        settings = super().init_settings()
        settings["forms_voila"] = self
        self._track_warm_kernels(self.kernel_manager)
        if self.team:
            from toolkit.store import Engagement

            settings["forms_sessions"] = Sessions(
                Engagement.open(os.environ[ENGAGEMENT_ENV]),
                self.cookie_secret,
                self.port,
                secure=bool(self.certfile),
                hours=self.session_hours,
            )
            self._note_planners(self.kernel_manager)
        return settings

    def _note_planners(self, manager) -> None:
        """Tell each kernel a page takes whose page it is (:func:`note_planner`): the warm
        kernel a page is given, or the kernel started for it.
        """
        start_kernel = manager.start_kernel

        async def started(*args, **kwargs):
            kernel_id = await start_kernel(*args, **kwargs)
            if (kwargs.get("env") or {}).get("VOILA_PREHEAT") != "True":
                self._note(manager, kernel_id)
            return kernel_id

        manager.start_kernel = started
        rendered = getattr(manager, "get_rendered_notebook", None)
        if rendered is None:
            return

        async def taken(*args, **kwargs):
            task, cache, kernel_id = await rendered(*args, **kwargs)
            self._note(manager, kernel_id)
            return task, cache, kernel_id

        manager.get_rendered_notebook = taken

    def _note(self, manager, kernel_id: str) -> None:
        """Kernel ``kernel_id`` is the page of the planner being answered, if any."""
        found = PAGE_PLANNER.get()
        if found is not None:
            planner, session, stamp = found  # the stamp of the cookie the page came with
            note_planner(manager, kernel_id, planner, stamp)
            self.app.sessions.page_opened(session, kernel_id)

    def _track_warm_kernels(self, manager) -> None:
        """Keep the ids of the warm kernels (Voilà's pool), from the moment each starts
        until a page takes it: a kernel starting for the pool is no page.
        """
        self.warm: set[str] = set()
        new_kernel_id = manager.new_kernel_id

        def named(**kwargs) -> str:
            kernel_id = new_kernel_id(**kwargs)
            if (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True":
                self.warm.add(kernel_id)
            return kernel_id

        manager.new_kernel_id = named
        rendered = getattr(manager, "get_rendered_notebook", None)
        if rendered is None:  # no pool
            return

        async def taken(*args, **kwargs):
            task, cache, kernel_id = await rendered(*args, **kwargs)
            self.warm.discard(kernel_id)
            return task, cache, kernel_id

        manager.get_rendered_notebook = taken

    def init_handlers(self):
        handlers = []
        for route, target, *rest in super().init_handlers():
            if target is TornadoVoilaHandler:
                target = FormsPageHandler
            elif target is FileFindHandler and route.endswith("/voila/labextensions/(.*)"):
                target = ExtensionFileHandler
            handlers.append((route, target, *rest))
        return handlers

    def start(self):
        # Voilà's own start (voila 0.5), with the guarded application in place of
        # tornado's: every request is checked before any handler is found.
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        settings = self.init_settings()
        self.app = GuardedApplication(**settings)
        self.app.extra_hosts = frozenset(h.strip().lower() for h in self.allowed_hosts)
        self.app.served_port = self.port
        if self.team:
            self.app.sessions = settings["forms_sessions"]
            self.app.served_names = (self.ip.lower(), *LOOPBACK_NAMES)
            if self.certfile:
                self.app.scheme = "https"
                self.app.ssl_context = tls_context(self.certfile, self.keyfile)
        self.app.settings.update(self.tornado_settings)
        self.app.add_handlers(".*$", self.init_handlers())
        self.listen()

    def pages_open(self) -> int:
        """Kernels held by pages (the warm one left out), and pages whose kernel is starting."""
        manager = self.kernel_manager
        warm = {_ready(t) for pool in getattr(manager, "_pools", {}).values() for t in pool}
        warm |= getattr(self, "warm", set())
        held = [k for k in manager.list_kernel_ids() if k not in warm]
        return len(held) + self.starting

    def cap_message(self) -> str:
        n = self.max_pages
        return (
            f"{n} forms pages are already open, the most this server runs at once. "
            "Close one of them (its tab or window) and reload this page, or ask whoever "
            "started service-toolkit forms to start it with a higher --max-pages."
        )


def main() -> None:
    """Run the forms server (the command line is Voilà's, with ``FormsVoila`` options)."""
    from toolkit._startup import skip_unused_rfc3987

    skip_unused_rfc3987()
    FormsVoila.launch_instance()


if __name__ == "__main__":
    main()
