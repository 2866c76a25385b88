"""`service-toolkit forms`: only its own address with its token drives it, a bounded number
of kernels, none left behind; and it stops, with Voilà and its kernels, on every signal
that ends a command.

The attack cases of issue #15 are requests a hostile page or a careless user would make,
sent over real HTTP to a running server: no token, a foreign Host header (DNS rebinding,
even with the token), a foreign Origin (websocket and POST), a flood of 20 page loads.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.forms.serve import (
    DEFAULT_MAX_PAGES,
    PAGE_EXTENSIONS,
    TOKEN_FILE,
    WARM_PAGES,
    _descendants,
    forms_command,
    forms_token,
)
from toolkit.forms.voila_app import request_refusal
from toolkit.store import Engagement

REPO = Path(__file__).resolve().parents[1]
WAIT = 180  # a bound for a hang on a loaded machine, not a speed check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _kernels(pid: int) -> dict[int, str]:
    """The kernel processes under ``pid``, with their start times."""
    found = {}
    for child, started in _descendants(pid).items():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ipykernel" in command:
            found[child] = started
    return found


def _alive(kernels: dict[int, str]) -> list[int]:
    alive = []
    for pid, started in kernels.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == started and fields[0] != "Z":
            alive.append(pid)
    return alive


def _wait_for_kernels(pid: int, count: int) -> dict[int, str]:
    deadline = time.monotonic() + WAIT
    while len(kernels := _kernels(pid)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} kernels started"
        time.sleep(0.3)
    return kernels


def _ignore_interrupts() -> None:
    # What a non-interactive shell does to a background job (`service-toolkit forms … &`).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serving_forms(tmp_path, **popen) -> tuple[subprocess.Popen, int, Path]:
    """Start ``forms`` on a new engagement as a user would; once it listens, the command,
    its port and its log."""
    folder = tmp_path / "riverside"
    Engagement.init(folder, name="Riverside")
    port = _free_port()
    log = tmp_path / "forms.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", "forms", str(folder), "--no-browser"]
            + ["--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **popen,
        )
    deadline = time.monotonic() + WAIT
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise AssertionError(log.read_text())
        time.sleep(0.3)
    return process, port, log


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_the_forms_server_stops_with_voila_on_a_signal(stop, tmp_path):
    process, port, log = _serving_forms(tmp_path, preexec_fn=_ignore_interrupts)
    try:
        kernels = _wait_for_kernels(process.pid, 1)  # the warm kernel, in a session of its own
        process.send_signal(getattr(signal, stop))
        assert process.wait(timeout=WAIT) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 30
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _listening(port), "Voilà kept serving after the command stopped"
    assert not _alive(kernels), "kernels kept running after the command stopped"
    assert "Stopped. Everything saved is in the engagement." in log.read_text()


@pytest.mark.slow
def test_kernels_are_stopped_when_voila_dies_by_itself(tmp_path):
    """Found by a second reading: Voilà killed (for memory, say) left its kernels running,
    re-parented where the command no longer found them."""
    process, port, log = _serving_forms(tmp_path)
    try:
        kernels = _wait_for_kernels(process.pid, 1)
        time.sleep(5)  # the command notes Voilà's kernels every 2 s
        voila = [
            pid
            for pid in _descendants(process.pid)
            if b"voila_app" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert voila, "no Voilà process under the command"
        for pid in voila:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # Voilà itself, as the OOM killer would
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 30
    while _alive(kernels) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _alive(kernels), "kernels kept running after Voilà died"


@pytest.mark.slow
def test_closing_the_terminal_stops_the_forms_server(tmp_path):
    # The command runs on a terminal of its own (a pty); closing it sends SIGHUP, and the
    # messages it then writes fail (EIO): Voilà must stop all the same.
    import os
    import pty
    import select

    folder = tmp_path / "riverside"
    Engagement.init(folder, name="Riverside")
    port = _free_port()
    command = [sys.executable, "-m", "toolkit.cli", "forms", str(folder), "--no-browser"]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, with the pty as its controlling terminal
        os.execv(sys.executable, [*command, "--port", str(port)])
    shown = b""
    deadline = time.monotonic() + WAIT
    try:
        while b"Press Ctrl-C" not in shown:
            assert time.monotonic() < deadline, shown.decode(errors="replace")
            if select.select([terminal], [], [], 1)[0]:
                shown += os.read(terminal, 4096)
        kernels = _wait_for_kernels(pid, 1)
    finally:
        os.close(terminal)  # the terminal window closes
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("service-toolkit forms kept running after its terminal closed")
        time.sleep(0.3)
    assert os.waitstatus_to_exitcode(status) == 0
    deadline = time.monotonic() + 30
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _listening(port), "Voilà kept serving after the terminal closed"
    assert not _alive(kernels), "kernels kept running after the terminal closed"


# --------------------------------------------------------------------------- the token


def test_the_token_file_is_made_owner_only_and_kept(tmp_path):
    token = forms_token(tmp_path)
    path = tmp_path / TOKEN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert forms_token(tmp_path) == token  # a restart: the bookmark still works
    assert [p.name for p in tmp_path.iterdir()] == [TOKEN_FILE]  # nothing staged left


def test_a_new_token_replaces_the_old_one(tmp_path):
    old = forms_token(tmp_path)
    new = forms_token(tmp_path, new=True)
    assert new != old
    assert forms_token(tmp_path) == new
    assert stat.S_IMODE((tmp_path / TOKEN_FILE).stat().st_mode) == 0o600


def test_a_token_file_others_can_read_is_made_owner_only(tmp_path):
    token = forms_token(tmp_path)
    os.chmod(tmp_path / TOKEN_FILE, 0o644)
    assert forms_token(tmp_path) == token
    assert stat.S_IMODE((tmp_path / TOKEN_FILE).stat().st_mode) == 0o600


def test_a_token_file_that_is_not_a_token_is_replaced(tmp_path):
    (tmp_path / TOKEN_FILE).write_text("")
    token = forms_token(tmp_path)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)
    assert (tmp_path / TOKEN_FILE).read_text().strip() == token


def test_starts_at_once_agree_on_one_token(tmp_path):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: forms_token(tmp_path), range(16)))
    assert len(tokens) == 1


# --------------------------------------------------------------------------- Voilà's settings


def _option(command: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in command if a.startswith(f"--{name}=")]
    assert len(values) == 1, (name, command)
    return values[0]


def test_the_voila_command_caps_pages_culls_unwatched_kernels_and_names_its_hosts():
    command = forms_command(8123)
    assert command[1:3] == ["-m", "toolkit.forms.voila_app"]  # Voilà with Host/Origin checks
    assert int(_option(command, "FormsVoila.max_pages")) == DEFAULT_MAX_PAGES >= 4
    assert eval(_option(command, "FormsVoila.allowed_hosts")) == []  # loopback names only
    # Kernels with no page connected are culled; a page left open is not; the warm
    # kernel is never culled (Voilà's kernel manager skips its pool).
    assert 0 < int(_option(command, "MappingKernelManager.cull_idle_timeout")) <= 600
    assert 0 < int(_option(command, "MappingKernelManager.cull_interval")) <= 120
    assert _option(command, "MappingKernelManager.cull_connected") == "False"
    assert _option(command, "Voila.ip") == "127.0.0.1"
    assert not any("token" in a.lower() for a in command)  # not in other users' `ps`
    team = forms_command(8123, max_pages=9, allow_hosts=("Forms.Example.org",))
    assert int(_option(team, "FormsVoila.max_pages")) == 9
    assert eval(_option(team, "FormsVoila.allowed_hosts")) == ["forms.example.org"]


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8123", None),
        ("localhost:8123", None),
        ("[::1]:8123", None),
        ("LOCALHOST:8123", "http://localhost:8123"),
        ("127.0.0.1:8123", "http://127.0.0.1:8123"),
    ],
)
def test_loopback_names_on_the_served_port_are_answered(host, origin):
    assert request_refusal(host, origin, port=8123) is None


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("evil.example:8123", None),  # DNS rebinding
        ("evil.example:8123", "http://evil.example:8123"),
        ("127.0.0.1.evil.example:8123", None),
        ("localhost:9999", None),  # another port's name
        ("localhost", None),
        ("", None),
        (None, None),
        ("127.0.0.1:8123", "http://evil.example"),
        ("127.0.0.1:8123", "http://localhost:9999"),  # another local site
        ("127.0.0.1:8123", "https://127.0.0.1:8123"),
        ("127.0.0.1:8123", "null"),  # a sandboxed frame or a file
    ],
)
def test_foreign_hosts_and_origins_are_refused_with_a_reason(host, origin):
    refusal = request_refusal(host, origin, port=8123)
    assert refusal and "service-toolkit forms printed" in refusal
    # Allowing a team's name changes nothing for any other name.
    assert request_refusal(host, origin, port=8123, extra=frozenset({"forms.example.org"}))


def test_a_name_allowed_for_a_team_is_answered_behind_its_proxy():
    team = frozenset({"forms.example.org"})
    assert (
        request_refusal("forms.example.org", "https://forms.example.org", port=8123, extra=team)
        is None
    )
    assert request_refusal("FORMS.example.org:443", None, port=8123, extra=team) is None
    assert request_refusal("127.0.0.1:8123", None, port=8123, extra=team) is None
    assert request_refusal("evil.example", "https://forms.example.org", port=8123, extra=team)
    assert request_refusal("forms.example.org", "https://evil.example", port=8123, extra=team)


def test_kernels_starting_for_the_pool_are_not_counted_as_pages():
    """A pool refilling (kernels started, not yet ready) must not fill the cap on pages."""
    from tests._loops import run_apart
    from toolkit.forms.voila_app import FormsVoila

    class Manager:
        ids = iter(f"k{i}" for i in range(10))
        listed: list[str] = []
        _pools: dict = {}

        def new_kernel_id(self, **kwargs):
            kernel_id = next(self.ids)
            self.listed.append(kernel_id)
            return kernel_id

        def list_kernel_ids(self):
            return list(self.listed)

        async def get_rendered_notebook(self, *args, **kwargs):
            return "task", [], "k0"

    voila = FormsVoila()
    manager = voila.kernel_manager = Manager()
    voila._track_warm_kernels(manager)
    preheat = {"env": {"VOILA_PREHEAT": "True"}}
    for _ in range(3):
        manager.new_kernel_id(**preheat)  # the pool filling
    assert voila.pages_open() == 0
    assert run_apart(manager.get_rendered_notebook("forms.ipynb"))[2] == "k0"
    assert voila.pages_open() == 1  # a page took one
    manager.new_kernel_id(env={})  # a page given a kernel of its own
    assert voila.pages_open() == 2


@pytest.mark.parametrize("name", ["http://forms.example.org", "forms.example.org:8443", "a/b", ""])
def test_allow_host_takes_a_bare_name(name, tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    Engagement.init(tmp_path / "riverside", name="Riverside")
    result = CliRunner().invoke(main, ["forms", str(tmp_path / "riverside"), "--allow-host", name])
    assert result.exit_code == 2
    assert (
        "is not a host name" in result.output and "--allow-host forms.example.org" in result.output
    )
    assert not (tmp_path / "riverside" / TOKEN_FILE).exists()  # refused before anything


# --------------------------------------------------------------------------- a running server


class Forms:
    """A running `service-toolkit forms riverside --max-pages 2`, started in the folder above."""

    def __init__(self, process, port: int, token: str, folder: Path, log: Path):
        self.process, self.port, self.token, self.folder, self.log = (
            process,
            port,
            token,
            folder,
            log,
        )

    def request(self, method: str, path: str, headers=None, body=None):
        """Send one request; return (status, headers, text). Host is 127.0.0.1:PORT unless given."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            conn.request(method, path, body=body, headers={**self.host, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode(errors="replace")
        finally:
            conn.close()

    @property
    def host(self) -> dict[str, str]:
        return {"Host": f"127.0.0.1:{self.port}"}

    def kernels(self) -> dict[int, str]:
        return _kernels(self.process.pid)

    def open_page(self) -> tuple[str, dict[str, str]]:
        """Load the page with the token as a browser does; return its kernel id and cookies."""
        status, headers, text = self.request("GET", f"/?token={self.token}")
        assert status == 200, text[-2000:]
        cookies = dict(
            c.split(";", 1)[0].split("=", 1) for c in headers.get_all("Set-Cookie") or []
        )
        kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', text)
        assert kernel, text[-2000:]
        return kernel.group(1), cookies

    def close_page(self, kernel: str, cookies: dict[str, str], origin: str | None = None):
        """What the page does when it is left: POST voila/api/shutdown with its _xsrf cookie."""
        boundary = "tkboundary"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="_xsrf"\r\n\r\n'
            f"{cookies.get('_xsrf', '')}\r\n--{boundary}--\r\n"
        )
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Origin": origin or f"http://127.0.0.1:{self.port}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        return self.request("POST", f"/voila/api/shutdown/{kernel}", headers, body)


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    base = tmp_path_factory.mktemp("forms")
    Engagement.init(base / "riverside", name="Riverside")
    port = _free_port()
    log = base / "forms.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            # A relative path, from the folder above the engagement.
            [sys.executable, "-m", "toolkit.cli", "forms", "riverside", "--no-browser"]
            + ["--port", str(port), "--max-pages", "2"],
            cwd=base,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WAIT
        while not (found := re.search(r"at (http://\S+)", log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        url = found.group(1)
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        token = url.split("?token=", 1)[1]
        assert token == (base / "riverside" / TOKEN_FILE).read_text().strip()
        _wait_for_kernels(process.pid, 1)  # the warm kernel
        yield Forms(process, port, token, base / "riverside", log)
    finally:
        kernels = _kernels(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in _alive(kernels):
            os.kill(pid, signal.SIGKILL)


def _page_kernels(forms: Forms) -> int:
    return len(_alive(forms.kernels()))


@pytest.mark.slow
def test_requests_without_the_token_are_refused_and_start_no_kernel(forms):
    before = set(forms.kernels())
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: forms.request("GET", "/"), range(20)))
    for status, headers, _ in answers:
        assert status == 302 and "/login" in headers["Location"]
    status, _, text = forms.request("GET", "/login?next=%2F")
    assert status == 403
    assert "the one that ends in ?token=" in text  # says plainly what to do
    for path in ("/?token=wrong", "/api/kernels/00000000-0000-0000-0000-000000000000"):
        assert forms.request("GET", path)[0] in (302, 403)
    time.sleep(2)  # a kernel started by any of them would be a process by now
    assert set(forms.kernels()) == before


@pytest.mark.slow
def test_a_foreign_host_is_refused_even_with_the_token(forms):
    # DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends its name.
    kernel, cookies = forms.open_page()
    evil = {"Host": f"evil.example:{forms.port}", "Origin": f"http://evil.example:{forms.port}"}
    websocket = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    token = f"?token={forms.token}"
    for headers in (evil, {"Host": f"evil.example:{forms.port}"}):
        for method, path, extra in [
            ("GET", f"/{token}", {}),
            ("GET", f"/api/kernels/{kernel}{token}", {}),
            ("GET", f"/api/kernels/{kernel}/channels{token}", websocket),
            ("GET", f"/voila/query/{kernel}", websocket),
            ("DELETE", f"/api/kernels/{kernel}{token}", {}),
            ("POST", f"/voila/api/shutdown/{kernel}{token}", {}),
            ("GET", "/voila/static/voila.js", {}),
        ]:
            status, _, text = forms.request(method, path, {**extra, **headers})
            assert status == 403, (method, path, status)
            assert "answers only at http://127.0.0.1" in text
    # The page's kernel is still there: nothing above reached it.
    assert forms.request("GET", f"/api/kernels/{kernel}{token}")[0] == 200
    assert forms.close_page(kernel, cookies)[0] == 204


@pytest.mark.slow
def test_a_foreign_origin_is_refused_on_websockets_and_posts(forms):
    kernel, cookies = forms.open_page()
    token = f"?token={forms.token}"
    websocket = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    for origin in ("http://evil.example", f"http://localhost:{forms.port + 1}", "null"):
        headers = {"Origin": origin}
        status, _, text = forms.request(
            "GET", f"/api/kernels/{kernel}/channels{token}", {**websocket, **headers}
        )
        assert status == 403 and "another site" in text
        assert forms.request("POST", f"/voila/api/shutdown/{kernel}{token}", headers)[0] == 403
        assert forms.close_page(kernel, cookies, origin=origin)[0] == 403
    # The same websocket from the page's own origin is accepted (101 Switching Protocols).
    own = {**websocket, "Origin": f"http://127.0.0.1:{forms.port}"}
    assert forms.request("GET", f"/api/kernels/{kernel}/channels{token}", own)[0] == 101
    assert forms.request("GET", f"/api/kernels/{kernel}{token}")[0] == 200  # still running
    assert forms.close_page(kernel, cookies)[0] == 204


@pytest.mark.slow
def test_the_page_loads_only_the_extensions_it_uses_and_keeps_their_named_files(forms):
    status, headers, text = forms.request("GET", f"/?token={forms.token}")
    assert status == 200, text[-2000:]
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in headers.get_all("Set-Cookie") or [])
    config = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', text, re.S)
    extensions = {e["name"]: e["load"] for e in json.loads(config.group(1))["federated_extensions"]}
    # The widget manager and anywidget (drafts, charts); no code highlighting or preview.
    assert set(extensions) <= set(PAGE_EXTENSIONS)
    assert "@jupyter-widgets/jupyterlab-manager" in extensions and "anywidget" in extensions
    # A file named by its content is kept by the browser; a file named the same whatever
    # its content is asked for again (and answered 304 while unchanged).
    entry = extensions["@jupyter-widgets/jupyterlab-manager"].lstrip("./")
    base = "/voila/labextensions/@jupyter-widgets/jupyterlab-manager"
    status, headers, _ = forms.request("GET", f"{base}/{entry}")
    assert status == 200 and "immutable" in headers["Cache-Control"], headers
    status, headers, _ = forms.request("GET", f"{base}/package.json")
    assert status == 200 and headers["Cache-Control"] == "no-cache", headers
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', text).group(1)
    assert forms.close_page(kernel, cookies)[0] == 204


@pytest.mark.slow
def test_a_closed_page_has_its_kernel_shut_down(forms):
    kernel, cookies = forms.open_page()
    assert "_xsrf" in cookies  # the page's unload call sends it; without it Voilà said 403
    processes = set(forms.kernels())
    status, _, text = forms.close_page(kernel, cookies)
    assert status == 204, text
    assert forms.request("GET", f"/api/kernels/{kernel}?token={forms.token}")[0] == 404
    deadline = time.monotonic() + WAIT
    while set(forms.kernels()) >= processes:  # its process is gone (the pool may refill)
        assert time.monotonic() < deadline, "the closed page's kernel process kept running"
        time.sleep(0.3)


@pytest.mark.slow
def test_the_kernel_finds_an_engagement_given_by_a_relative_path(forms):
    kernel, cookies = forms.open_page()
    try:
        environments = []
        for pid in forms.kernels():
            with open(f"/proc/{pid}/environ", "rb") as f:
                environments.append(
                    dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
                )
        folders = {e.get(b"SERVICE_TOOLKIT_ENGAGEMENT") for e in environments}
        assert folders == {str(forms.folder.resolve()).encode()}
        status, _, text = forms.request("GET", f"/api/kernels/{kernel}?token={forms.token}")
        assert status == 200
    finally:
        forms.close_page(kernel, cookies)


@pytest.mark.slow
def test_a_flood_of_page_loads_is_bounded_by_the_cap(forms):
    # 20 loads at once with the token (a script, or a tab reloaded in a loop): at most
    # --max-pages (2) pages get a kernel; the others get a page saying what to do.
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(
            pool.map(lambda _: forms.request("GET", f"/?token={forms.token}"), range(20))
        )
    statuses = [a[0] for a in answers]
    assert set(statuses) <= {200, 503}, statuses
    assert 1 <= statuses.count(200) <= 2, statuses
    refused = next(text for status, _, text in answers if status == 503)
    assert "2 forms pages are already open" in refused and "close one" in refused.lower()
    assert "--max-pages" in refused
    time.sleep(3)
    warm = min(WARM_PAGES, 2)
    assert len(forms.kernels()) <= 2 + warm, forms.kernels()  # the pages' and the warm ones
    # Closing a page frees its place.
    for status, headers, text in answers:
        if status == 200:
            kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', text).group(1)
            cookies = dict(
                c.split(";", 1)[0].split("=", 1) for c in headers.get_all("Set-Cookie") or []
            )
            assert forms.close_page(kernel, cookies)[0] == 204
    # The cap counts pages, not the warm kernel: two pages open, the third is told.
    pages = [forms.open_page(), forms.open_page()]
    status, _, text = forms.request("GET", f"/?token={forms.token}")
    assert status == 503 and "2 forms pages are already open" in text
    for kernel, cookies in pages:
        assert forms.close_page(kernel, cookies)[0] == 204


@pytest.mark.parametrize("given", ["riverside", "./riverside", "~/riverside", "ABSOLUTE"])
def test_every_form_of_the_path_reaches_the_kernel_as_an_absolute_folder(
    given, tmp_path, monkeypatch
):
    from click.testing import CliRunner

    import toolkit.forms.serve as serve
    from toolkit.cli import main

    Engagement.init(tmp_path / "riverside", name="Riverside")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    handed = []

    def environment(engagement, token):  # what the kernels would be given; then Ctrl-C
        handed.append(engagement)
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "_environment", environment)
    path = str(tmp_path / "riverside") if given == "ABSOLUTE" else given
    result = CliRunner().invoke(main, ["forms", path, "--no-browser"])
    assert result.exit_code == 0, result.output
    assert handed == [(tmp_path / "riverside").resolve()]
    assert handed[0].is_absolute()


@pytest.mark.slow
def test_kernels_with_no_page_connected_are_culled_and_the_warm_one_is_kept(tmp_path):
    # The server's own command line with short culling times: a page loaded by a script
    # that never connects (or a tab that died without its unload call) loses its kernel.
    from toolkit.forms.serve import TOKEN_ENV, _environment

    folder = tmp_path / "riverside"
    Engagement.init(folder, name="Riverside")
    port = _free_port()
    command = forms_command(port, cull_idle_seconds=5, cull_interval_seconds=2)
    env = _environment(folder.resolve(), "t" * 43)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    log = tmp_path / "voila.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        warm_count = min(WARM_PAGES, DEFAULT_MAX_PAGES)
        first = _wait_for_kernels(process.pid, warm_count)  # warm now; the page takes one
        forms = Forms(process, port, env[TOKEN_ENV], folder, log)
        page, _cookies = forms.open_page()  # nothing connects to its kernel
        state = f"/api/kernels/{page}?token={forms.token}"
        assert forms.request("GET", state)[0] == 200
        deadline = time.monotonic() + WAIT
        while forms.request("GET", state)[0] != 404:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        while len(_alive(first)) > warm_count - 1:  # the page's kernel process ends too
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        # The pool's new warm kernel, and those still waiting, idle longer than the timeout,
        # are never culled.
        while not (warm := {p: s for p, s in _kernels(process.pid).items() if p not in first}):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        time.sleep(5 + 3 * 2)
        assert _alive(warm) == list(warm), "the warm kernel was culled"
        assert len(_alive(first)) == warm_count - 1, "a warm kernel was culled"
    finally:
        kernels = _kernels(process.pid)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=WAIT)
        for pid in _alive(kernels):
            os.kill(pid, signal.SIGKILL)


def _start_and_stop(folder: Path, *options: str, probe=()) -> tuple[str, dict[str, int]]:
    """Start `forms FOLDER`; return the printed token and what the API says to each token
    in ``probe`` and to the printed one (404: known, no such kernel; 403: refused)."""
    port = _free_port()
    log = folder.parent / f"forms-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", "forms", str(folder), "--no-browser"]
            + ["--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WAIT
        while not (found := re.search(r"\?token=(\S+)", log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        forms = Forms(process, port, found.group(1), folder, log)
        nothing = "/api/kernels/00000000-0000-0000-0000-000000000000?token="
        probes = {t: forms.request("GET", nothing + t)[0] for t in (*probe, forms.token)}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return found.group(1), probes


@pytest.mark.slow
def test_the_printed_address_survives_a_restart_until_a_new_token(tmp_path):
    folder = tmp_path / "riverside"
    Engagement.init(folder, name="Riverside")
    first, _ = _start_and_stop(folder)
    assert stat.S_IMODE((folder / TOKEN_FILE).stat().st_mode) == 0o600
    again, probes = _start_and_stop(folder)
    assert again == first and probes == {first: 404}  # known, and no such kernel
    new, probes = _start_and_stop(folder, "--new-token", probe=[first])
    assert new != first and (folder / TOKEN_FILE).read_text().strip() == new
    assert probes == {first: 403, new: 404}  # the old address no longer opens anything
    assert stat.S_IMODE((folder / TOKEN_FILE).stat().st_mode) == 0o600


def test_the_browser_is_opened_on_an_owner_only_page_not_on_the_token(tmp_path, monkeypatch):
    """Found by a second reading: ``webbrowser.open(url)`` put the token on the browser's
    command line, where ``ps`` shows it to anyone on the machine."""
    from toolkit.forms.serve import OPEN_FILE, open_page

    url = "http://127.0.0.1:8870/?token=abc_DEF-123"
    page = open_page(tmp_path, url)
    assert page == tmp_path / OPEN_FILE
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert 'content="0;url=http://127.0.0.1:8870/?token=abc_DEF-123"' in page.read_text()
    assert "token" not in page.resolve().as_uri()
    open_page(tmp_path, url.replace("abc", "xyz"))  # a restart replaces it
    assert "xyz_DEF" in page.read_text() and stat.S_IMODE(page.stat().st_mode) == 0o600
