"""Browser test harness: system Chromium, a network guard, JupyterLab and Voilà servers.

Fixtures
--------
chromium (function)
    A Playwright ``Browser`` driving the system Chromium, one for the session, launched
    again should it stop. Missing Chromium skips the test, or fails it when ``CI=true``.
offline_context (function)
    An :class:`OfflineContext`: a fresh browser context whose every request to a host
    other than 127.0.0.1 / localhost / [::1] is aborted and recorded in ``.refused``
    (WebSockets too); console errors and page errors are collected in ``.errors``.
offline_page (function)
    A ``Page`` in ``offline_context``.
close_tab (helper)
    Close a page as a person closes the tab, and wait until it has gone.
start_jupyter_lab / start_voila (module)
    Factories: call with a notebook (``nbformat.NotebookNode`` or path) and get a running
    :class:`Server` on a free loopback port; every server a factory started is stopped
    (its process group, then any kernels left behind) when the test module ends. The
    log of every running server is attached to the report of a failing test.
serve_forms (helper)
    ``service-toolkit forms FOLDER`` as a planner starts it, for a module fixture to
    ``yield from``: (url, folder, log), then Ctrl-C and a check that it stopped cleanly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: anything that slips past Playwright's routing fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
INSTALL_HINT = "apt-get install -y chromium"

# What a request for chart JavaScript looks like: Altair's CDN paths (jsdelivr), esm.sh
# (JupyterChart online), unpkg/cdnjs copies of Vega.
_CHART_URL = re.compile(r"vega|esm\.sh|lodash", re.IGNORECASE)

# Outside requests refused during the session, shown in the terminal summary.
_REFUSED_LOG: list[tuple[str, str]] = []
# Tests before which the session's Chromium was found stopped, and launched again.
_CHROMIUM_STOPPED: list[str] = []
# Servers currently running, whose logs go into the report of a failing test.
_RUNNING: list[Server] = []


# --------------------------------------------------------------------------- Chromium


def _find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


class _Chromium:
    """The session's Chromium, launched again when it has stopped.

    One browser serves every test, for speed. Should it crash, the test it crashed in
    fails, and the next test gets a new browser rather than an error at setup; the
    crash is listed at the end of the run."""

    def __init__(self, playwright, path: str) -> None:
        self._launch = lambda: playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        self._browser = None
        self._failed: Exception | None = None  # a launch that failed is not tried again

    def browser(self, nodeid: str):
        if self._failed is not None:
            raise self._failed
        if self._browser is not None and not self._browser.is_connected():
            _CHROMIUM_STOPPED.append(nodeid)
            self._browser = None
        if self._browser is None:
            try:
                self._browser = self._launch()
            except Exception as err:
                self._failed = err
                raise
        return self._browser

    def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()


@pytest.fixture(scope="session")
def _chromium_session() -> Iterator[_Chromium]:
    path = _find_chromium()
    if path is None:
        message = f"system Chromium not found (install it with: {INSTALL_HINT})"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        session = _Chromium(playwright, path)
        try:
            yield session
        finally:
            session.close()


@pytest.fixture
def chromium(_chromium_session, request):
    """A Playwright ``Browser`` running the system Chromium (headless), shared by the
    session's tests."""
    return _chromium_session.browser(request.node.nodeid)


def is_loopback(url: str) -> bool:
    """Return True for URLs that stay on this machine (loopback, file:, data:, blob:)."""
    parts = urlsplit(url)
    if parts.scheme in {"file", "data", "blob", "about"}:
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


@dataclasses.dataclass
class OfflineContext:
    """A browser context that refuses (and records) every non-loopback request."""

    context: object
    refused: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def chart_requests(self) -> list[str]:
        """Refused URLs that were after Vega, Vega-Lite, vega-embed or a CDN serving them."""
        return [url for url in self.refused if _CHART_URL.search(url)]

    def new_page(self):
        page = self.context.new_page()
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        return page


def guarded_context(browser, **options) -> OfflineContext:
    """A new context of ``browser`` (options as ``new_context``) refusing every
    non-loopback request; close its ``context`` when done."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(service_workers="block", **options)
    guarded = OfflineContext(context)

    def guard(route) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            guarded.refused.append(url)
            route.abort("blockedbyclient")

    def guard_socket(ws) -> None:
        guarded.refused.append(ws.url)
        ws.close()

    context.route("**/*", guard)
    context.route_web_socket(lambda url: not is_loopback(url), guard_socket)
    return guarded


def close_tab(page, timeout_ms: float = 30_000) -> None:
    """Close ``page`` as a person closes the tab: its ``beforeunload`` handlers run, and
    this returns once the page has gone, so that closing its context next never races a
    question still open. A page with a draft asks before leaving: the test answers with
    one ``page.on("dialog", ...)`` of its own, registered once."""
    if page.is_closed():
        return
    with page.expect_event("close", timeout=timeout_ms):
        page.close(run_before_unload=True)


@pytest.fixture
def offline_context(chromium, request) -> Iterator[OfflineContext]:
    """Yield an :class:`OfflineContext`; refused URLs are listed at the end of the run."""
    guarded = guarded_context(chromium)
    try:
        yield guarded
    finally:
        _REFUSED_LOG.extend((request.node.nodeid, url) for url in guarded.refused)
        guarded.context.close()


@pytest.fixture
def offline_page(offline_context) -> Iterator:
    """Yield a ``Page`` in :func:`offline_context`."""
    yield offline_context.new_page()


def pytest_terminal_summary(terminalreporter) -> None:
    if _CHROMIUM_STOPPED:
        terminalreporter.section("Chromium stopped and was launched again")
        for nodeid in _CHROMIUM_STOPPED:
            terminalreporter.write_line(f"found stopped before {nodeid}")
    if not _REFUSED_LOG:
        return
    terminalreporter.section("outside requests refused by the browser guard")
    for nodeid, url in _REFUSED_LOG:
        terminalreporter.write_line(f"{nodeid}: {url}")


# --------------------------------------------------------------------------- servers


@dataclasses.dataclass
class Server:
    """A server process started by a fixture."""

    name: str
    url: str
    root: Path
    notebook: str
    log_path: Path
    process: subprocess.Popen

    def log(self, tail: int = 20_000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError as err:
            return f"(log unreadable: {err})"

    def stop(self) -> None:
        _stop_process_tree(self.process)
        with contextlib.suppress(ValueError):
            _RUNNING.remove(self)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Return the ids of every descendant of *pid* (kernels run in their own sessions)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop_process_tree(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started with ``start_new_session=True``, and what it left running."""
    if process.poll() is not None:
        return
    leftovers = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # graceful: Jupyter shuts its kernels down
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    for pid in leftovers:  # kernels have their own process group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _jupyter_env(base: Path) -> dict[str, str]:
    """Environment isolating Jupyter's user config, runtime, settings and workspaces.

    The environment's own data directory (``sys.prefix/share/jupyter``, which holds the
    installed labextensions and the ``python3`` kernel) stays on Jupyter's search path.
    """
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
        "IPYTHONDIR": base / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # No news or update checks: they are toasts over the notebook and outside requests.
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env.update({key: str(path) for key, path in dirs.items()})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("CI", None)  # nothing in the servers should change behaviour on CI
    return env


def _write_notebook(notebook: nbformat.NotebookNode | str | os.PathLike, root: Path) -> str:
    if isinstance(notebook, nbformat.NotebookNode):
        name = "chart.ipynb"
        nbformat.write(notebook, root / name)
    else:
        source = Path(notebook)
        name = source.name
        shutil.copy(source, root / name)
    return name


def _wait_until_up(server: Server, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(OSError, urllib.error.URLError):
            if ready():
                return
        time.sleep(0.2)
    status = server.process.poll()
    server.stop()
    state = f"exited with {status}" if status is not None else f"no answer in {timeout:.0f} s"
    pytest.fail(
        f"{server.name} {state} at {server.url}\n--- log ---\n{server.log()}", pytrace=False
    )


def _start(
    name: str,
    command: list[str],
    *,
    port: int,
    root: Path,
    notebook: str,
    env: dict[str, str],
    ready: Callable[[str], bool],
    timeout: float,
) -> Server:
    log_path = root.parent / f"{name.lower().replace(' ', '-')}-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, f"http://127.0.0.1:{port}", root, notebook, log_path, process)
    _RUNNING.append(server)
    _wait_until_up(server, lambda: ready(server.url), timeout)
    return server


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
        return response.status == 200


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=1):
        return True


@pytest.fixture(scope="module")
def start_jupyter_lab(tmp_path_factory) -> Iterator[Callable[..., Server]]:
    """Yield ``start(notebook) -> Server`` running JupyterLab on a free loopback port.

    The server has no token or password, serves a temporary directory holding the
    notebook, and exposes ``window.jupyterapp`` so tests can run commands such as
    ``notebook:run-all-cells``. ``server.url + "/lab/tree/" + server.notebook`` opens it.
    """
    started: list[Server] = []

    def start(notebook, *, timeout: float = 60) -> Server:
        base = tmp_path_factory.mktemp("jupyter-lab")
        root = base / "root"
        root.mkdir()
        name = _write_notebook(notebook, root)
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.allow_root=True",
            "--LabApp.extension_manager=readonly",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        server = _start(
            "JupyterLab",
            command,
            port=port,
            root=root,
            notebook=name,
            env=_jupyter_env(base),
            ready=lambda url: _http_ok(url + "/api/status"),
            timeout=timeout,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def start_voila(tmp_path_factory) -> Iterator[Callable[..., Server]]:
    """Yield ``start(notebook) -> Server`` running Voilà on a free loopback port.

    ``server.url + "/"`` renders the notebook. Readiness is the port accepting
    connections: an HTTP probe of ``/`` would start a kernel.
    """
    started: list[Server] = []

    def start(notebook, *, timeout: float = 60) -> Server:
        base = tmp_path_factory.mktemp("voila")
        root = base / "root"
        root.mkdir()
        name = _write_notebook(notebook, root)
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "voila",
            name,
            "--no-browser",
            "--port",
            str(port),
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
        ]
        server = _start(
            "Voila",
            command,
            port=port,
            root=root,
            notebook=name,
            env=_jupyter_env(base),
            ready=_port_open,
            timeout=timeout,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for server in list(_RUNNING):
            report.sections.append((f"{server.name} log ({server.url})", server.log()))
    return report


def serve_forms(folder: Path, log: Path, *options: str):
    """`service-toolkit forms FOLDER --no-browser`: yield (url, folder, log); stop with Ctrl-C."""
    port = _free_port()
    env = {**os.environ, "SERVICE_TOOLKIT_MAX_UPLOAD_MB": "60"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "toolkit.cli",
                "forms",
                str(folder),
                "--no-browser",
                "--port",
                str(port),
                *options,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    # The address with its token, or a team's (--team: planners sign in).
    address = r"at (http://127\.0\.0\.1:\d+/(?:\?token=\S+)?)\s"
    while not (printed := re.search(address, log.read_text())):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"service-toolkit forms did not start:\n{log.read_text()}")
        time.sleep(0.3)
    yield printed.group(1), folder, log
    process.send_signal(signal.SIGINT)  # what Ctrl-C does
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("service-toolkit forms did not stop on Ctrl-C")
    assert process.returncode == 0, log.read_text()
    assert "Stopped." in log.read_text()
