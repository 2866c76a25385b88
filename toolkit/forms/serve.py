"""Serve the planner forms with Voilà (``service-toolkit forms``): on this machine only with
the engagement's token, or to a team on a network address with sign-in (``--team``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from pathlib import Path

from toolkit._resources import resource_dir
from toolkit.errors import ToolkitError

__all__ = [
    "DEFAULT_MAX_PAGES",
    "PAGE_EXTENSIONS",
    "ENGAGEMENT_ENV",
    "TOKEN_ENV",
    "TOKEN_FILE",
    "OPEN_FILE",
    "open_page",
    "forms_command",
    "forms_token",
    "serve_forms",
    "TEAM_ENV",
    "check_team",
    "host_refusal",
    "is_loopback",
    "tls_context",
]

ENGAGEMENT_ENV = "SERVICE_TOOLKIT_ENGAGEMENT"
"""The environment variable that tells ``notebooks/forms.ipynb`` which engagement to open."""

TOKEN_ENV = "SERVICE_TOOLKIT_FORMS_TOKEN"
"""The environment variable carrying the token to the server (never on its command line)."""

TEAM_ENV = "SERVICE_TOOLKIT_FORMS_TEAM"
"""Set (to 1) for a team's server and its kernels: every save needs a signed-in planner."""

HOST = "127.0.0.1"

TOKEN_FILE = ".forms-token"
"""The engagement's forms token, readable by its owner only: the address stays the same."""

DEFAULT_MAX_PAGES = 4
"""The most forms pages open at once (each holds a kernel of about 600 MB)."""

WARM_PAGES = 3
"""Kernels kept warm for pages about to open: planners opening at once each get one
(a kernel started only when the page is asked for takes several times as long)."""

REFILL_SECONDS = 15
"""How long after a warm kernel is taken the next one starts warming: pages opening at
once are not slowed by kernels starting beside them."""

CULL_IDLE_SECONDS = 300
"""A kernel with no page connected for this long is shut down (a tab closed unseen)."""

CULL_INTERVAL_SECONDS = 60
"""How often Voilà looks for such kernels."""

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,}")

PAGE_EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",
    "@voila-dashboards/widgets-manager7",
    "anywidget",
)
"""The JupyterLab extensions the forms page loads: the widget manager (Voilà keeps the one
matching ipywidgets) and anywidget (drafts kept in the browser, the coding tab's keys,
Altair's offline charts). Voilà would load every one installed (code highlighting, the
JupyterLab preview, whatever else is in the environment): each a request and a script to
run on every page opened, for nothing a planner sees."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _free_port(host: str = HOST) -> int:
    with socket.socket(_family(host)) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_taken(port: int, host: str = HOST) -> bool:
    if host in ("0.0.0.0", "::"):  # every interface: loopback is one of them
        host = HOST if host == "0.0.0.0" else "::1"
    with socket.socket(_family(host)) as s:
        return s.connect_ex((host, port)) == 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address) is this machine only."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_refusal(host: str, *, team: bool) -> str | None:
    """Why the forms may not listen on ``host``, or None.

    Only a team's server (every planner signed in) listens beyond this machine.
    """
    if team or is_loopback(host):
        return None
    return (
        f"The forms listen on {host} (reachable from other computers) only with sign-in: "
        f"add --team, after giving each planner an account (service-toolkit users PATH "
        "add NAME). Without --team the forms stay on this machine (127.0.0.1)."
    )


def check_team(
    engagement,
    *,
    host: str,
    certfile: str | None,
    keyfile: str | None,
    allow_hosts: tuple[str, ...] = (),
) -> None:
    """Refuse a team's server that no one could sign in to, or reach, or that has a
    certificate it cannot use (ToolkitError, saying what to do).
    """
    if not engagement.planners():
        raise ToolkitError(
            f"{engagement.path} has no planner accounts yet, so no one could sign in to the "
            f"forms. Add one for each planner first: service-toolkit users {engagement.path} "
            "add NAME (it asks for their password)."
        )
    if host.strip("[]") in ("0.0.0.0", "::") and not allow_hosts:
        raise ToolkitError(
            f"--host {host} listens on every network of this machine, so the forms cannot "
            "tell which address planners will type. Give that address with --host (this "
            "machine's address on the team's network) or the name with --allow-host NAME."
        )
    if certfile:
        try:
            tls_context(certfile, keyfile or "")
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            raise ToolkitError(
                f"The certificate {certfile} (key {keyfile or 'in the same file'}) cannot be "
                f"used: {err}. Give the PEM certificate with --certfile and its private "
                "key with --keyfile."
            ) from err


def forms_token(engagement: Path, *, new: bool = False) -> str:
    """The engagement's forms token, made on first use (or anew with ``new=True``).

    Kept in ``ENGAGEMENT/.forms-token``, created with mode 0600 (owner only) and put in
    place whole, so a bookmark of the address keeps working after a restart and two
    commands starting at once agree on one token. A file that is not a token (emptied,
    edited) is replaced; one that others can read is made owner-only again.
    """
    path = Path(engagement) / TOKEN_FILE
    if not new:
        with contextlib.suppress(FileNotFoundError):
            token = path.read_text(encoding="ascii", errors="replace").strip()
            if _TOKEN_SHAPE.fullmatch(token):
                if os.name == "posix" and path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)
                return token
    token = secrets.token_urlsafe(32)
    staged = path.with_name(f"{TOKEN_FILE}.{secrets.token_hex(8)}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(token + "\n")
        if new or not _link_if_absent(staged, path):
            os.replace(staged, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
    return token if new else forms_token(engagement)


#: The page the browser is pointed at: it sends the browser on to the address with the
#: token, so the token is never on a browser's command line (where ``ps`` shows it).
OPEN_FILE = ".forms-open.html"


def open_page(engagement: Path, url: str) -> Path:
    """Write ``ENGAGEMENT/.forms-open.html`` (owner only) leading to ``url``; its path.

    The way jupyter_server opens its own address (``use_redirect_file``).
    """
    import html

    path = Path(engagement) / OPEN_FILE
    quoted = html.escape(url, quote=True)
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={quoted}"><title>Forms</title></head>'
        f'<body><p><a href="{quoted}">Open the forms</a></p></body></html>\n'
    )
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(page)
    return path


def _link_if_absent(staged: Path, path: Path) -> bool:
    """Put ``staged`` at ``path`` unless a file is there; False when that cannot be done."""
    try:
        os.link(staged, path)
    except FileExistsError:
        existing = path.read_text(encoding="ascii", errors="replace").strip()
        if _TOKEN_SHAPE.fullmatch(existing):
            return True  # another start made it first: use theirs
        return False  # not a token: replace it
    except OSError:  # no hard links on this file system
        return False
    return True


def tls_context(certfile: str, keyfile: str):
    """A team's server's TLS settings: the certificate and key given, TLS 1.2 or later."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile or None)
    return context


def _team_options(team: bool, certfile: str | None, keyfile: str | None) -> list[str]:
    if not team:
        return []
    options = ["--FormsVoila.team=True"]
    if certfile:
        options.append(f"--FormsVoila.certfile={Path(certfile).resolve()}")
        options.append(f"--FormsVoila.keyfile={Path(keyfile).resolve() if keyfile else ''}")
    return options


def forms_command(
    port: int,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    allow_hosts: tuple[str, ...] = (),
    cull_idle_seconds: int = CULL_IDLE_SECONDS,
    cull_interval_seconds: int = CULL_INTERVAL_SECONDS,
    host: str = HOST,
    team: bool = False,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> list[str]:
    """The Voilà command line: loopback only, no port drift, local assets, large uploads,
    only the JupyterLab extensions the page uses (:data:`PAGE_EXTENSIONS`).

    A team's server (``team``) listens on ``host``, signs planners in and serves https with
    ``certfile`` and ``keyfile``.
    Also the page cap, the host names answered besides loopback names (``allow_hosts``), and
    the culling of kernels with no page connected (never the warm one waiting for the
    next page). The token is not here: it goes through the environment, out of sight of
    other users' process lists.
    """
    from toolkit.forms.wizard import (  # (ipywidgets, pandas: not for the kernels)
        MAX_UPLOAD_MB,
        TOO_LARGE_ADVICE,
    )

    notebook = resource_dir("notebooks") / "forms.ipynb"
    limit = (MAX_UPLOAD_MB + 20) * 1024 * 1024
    hosts = list(dict.fromkeys(h.strip().lower() for h in allow_hosts))
    return [
        sys.executable,
        "-m",
        "toolkit.forms.voila_app",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={host.strip('[]')}",
        "--Voila.port_retries=0",
        "--template=service-toolkit",
        f"--Voila.tornado_settings={{'websocket_max_message_size': {limit}}}",
        f"--VoilaConfiguration.extension_allowlist={list(PAGE_EXTENSIONS)!r}",
        "--VoilaConfiguration.resources="
        + repr({"tk_max_upload_mb": MAX_UPLOAD_MB, "tk_too_large_advice": TOO_LARGE_ADVICE}),
        # Warm kernels wait for the next planners; the page is built when they open it.
        "--preheat_kernel=True",
        f"--pool_size={max(1, min(WARM_PAGES, max_pages))}",
        f"--VoilaKernelManager.fill_delay={REFILL_SECONDS}",
        f"--FormsVoila.max_pages={max_pages}",
        f"--FormsVoila.allowed_hosts={hosts!r}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        f"--MappingKernelManager.cull_interval={cull_interval_seconds}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        *_team_options(team, certfile, keyfile),
    ]


def _environment(engagement: Path, token: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env[ENGAGEMENT_ENV] = str(engagement)
    env.pop(TEAM_ENV, None)
    env.pop(TOKEN_ENV, None)
    if token is None:  # a team's server: planners sign in
        env[TEAM_ENV] = "1"
    else:
        env[TOKEN_ENV] = token
    templates = str(resource_dir("templates") / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (templates, env.get("JUPYTER_PATH")) if p)
    return env


def serve_forms(
    engagement: Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    echo=print,
    new_token: bool = False,
    max_pages: int = DEFAULT_MAX_PAGES,
    allow_hosts: tuple[str, ...] = (),
    team: bool = False,
    host: str = HOST,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> int:
    """Run Voilà on 127.0.0.1 until Ctrl-C; return its exit code (0 after Ctrl-C).

    The engagement is handed over as an absolute path (the kernels run elsewhere); the
    address printed and opened carries the engagement's token (:func:`forms_token`).
    For a team (``team``) it listens on ``host`` instead, every planner signs in with
    their own account (no token), over https when given ``certfile`` and ``keyfile``.

    Raises
    ------
    ToolkitError
        The port is taken, ``host`` is beyond this machine without ``team``, a team's
        engagement has no accounts or its certificate cannot be used, or Voilà did not
        start (its last output is in the message).
    """
    engagement = Path(engagement).expanduser().resolve()
    refusal = host_refusal(host, team=team)
    if refusal is not None:
        raise ToolkitError(refusal)
    if team:
        from toolkit.store import Engagement

        check_team(
            Engagement.open(engagement),
            host=host,
            certfile=certfile,
            keyfile=keyfile,
            allow_hosts=allow_hosts,
        )
    port = _choose_port(port, host)
    token = None if team else forms_token(engagement, new=new_token)
    command = forms_command(
        port,
        max_pages=max_pages,
        allow_hosts=allow_hosts,
        host=host,
        team=team,
        certfile=certfile,
        keyfile=keyfile,
    )
    restore = _stop_on_signals()
    process = None
    try:
        process = subprocess.Popen(
            command,
            env=_environment(engagement, token),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        _watch_kernels(process)
        _wait_until_serving(process, port, host)
        url = _address(host, port, token, https=bool(certfile), allow_hosts=allow_hosts)
        echo(f"Forms for {engagement} at {url}")
        echo(_where_words(token))
        if open_browser:
            webbrowser.open(open_page(engagement, url).resolve().as_uri())
        for line in process.stdout or []:  # keep the pipe drained; show only errors
            if "ERROR" in line or "Traceback" in line:
                echo(line.rstrip())
        return process.wait()
    except KeyboardInterrupt:
        # After a hang-up the terminal is gone and writing to it fails (EIO): a message
        # that cannot be shown must not keep Voilà running.
        with contextlib.suppress(OSError):
            echo("Stopping the forms server…")
        if process is not None:
            _stop(process)
        with contextlib.suppress(OSError):
            echo("Stopped. Everything saved is in the engagement.")
        return 0
    finally:
        if process is not None and process.pid in _WATCHED:  # not stopped yet
            _stop(process)  # also when Voilà ended by itself (its kernels were watched)
        restore()


def _choose_port(port: int | None, host: str) -> int:
    if port is None:
        return _free_port(HOST if host.strip("[]") in ("0.0.0.0", "::") else host.strip("[]"))
    if _port_taken(port, host.strip("[]")):
        raise ToolkitError(
            f"Port {port} on {host} is already in use. Choose another with --port, or leave "
            "--port out to use a free one."
        )
    return port


def _address(
    host: str, port: int, token: str | None, *, https: bool, allow_hosts: tuple[str, ...]
) -> str:
    """The address to give planners: with the token, or a team's (no token: they sign in)."""
    if token is not None:
        return f"http://{HOST}:{port}/?token={token}"
    name = host.strip("[]")
    if name in ("0.0.0.0", "::"):
        name = allow_hosts[0]
    name = f"[{name}]" if ":" in name else name
    return f"{'https' if https else 'http'}://{name}:{port}/"


def _where_words(token: str | None) -> str:
    if token is not None:
        return (
            "Open that address in a browser on this machine; it carries the key to the forms, "
            "so share it only with people who may change this engagement. Press Ctrl-C to stop."
        )
    return (
        "Give that address to the planners: each signs in with their own name and password "
        "(service-toolkit users adds them). Press Ctrl-C to stop."
    )


def _stop_on_signals():
    """Ctrl-C (INT), TERM and a closed terminal (HUP) all stop the server.

    Each raises KeyboardInterrupt in the command, which stops Voilà. Set explicitly, so
    that Ctrl-C works even when the command was started with INT ignored (as a
    non-interactive shell starts a background job). Returns a function putting the
    handlers that were there back (nothing is changed outside the main thread).
    """

    def stop(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    signals = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    before = {sig: signal.signal(sig, stop) for sig in signals}  # no SIGHUP on Windows

    def restore() -> None:
        for sig, handler in before.items():
            signal.signal(sig, handler)

    return restore


def _wait_until_serving(process: subprocess.Popen, port: int, host: str = HOST) -> None:
    deadline = time.monotonic() + 60
    while not _port_taken(port, host.strip("[]")):
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read() if process.stdout else ""
            _stop(process)
            raise ToolkitError(
                f"The forms server did not start: {output.strip()[-800:] or 'no output'}"
            )
        time.sleep(0.2)


#: Every process Voilà started, with its start time, as last seen while Voilà ran.
_WATCHED: dict[int, dict[int, str]] = {}


def _watch_kernels(process: subprocess.Popen, every: float = 2.0) -> None:
    """Note Voilà's kernels every ``every`` seconds while it runs (a daemon thread).

    If Voilà dies by itself (killed for memory, say) its kernels are re-parented and no
    longer found under it: :func:`_stop` then stops the ones noted here.
    """
    seen = _WATCHED.setdefault(process.pid, {})

    def watch() -> None:
        while process.poll() is None:
            seen.update(_descendants(process.pid))
            time.sleep(every)

    threading.Thread(target=watch, name="forms-kernels", daemon=True).start()


def _stop(process: subprocess.Popen) -> None:
    """Stop Voilà (it shuts its kernels down), then any kernel it left running.

    Kernels run in sessions of their own, so stopping Voilà's process group does not
    reach them; those still running once Voilà has gone are killed: the ones under it now
    and the ones noted while it ran (:func:`_watch_kernels`), each only while its start
    time shows it is still the same process.
    """
    kernels = {**_WATCHED.pop(process.pid, {}), **_descendants(process.pid)}
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
    for pid, started in kernels.items():
        if _started(pid) == started:  # still that process, not a new one given its id
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _stat(pid: int) -> list[str]:
    # The fields of /proc/PID/stat after the command name (which may hold spaces).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _started(pid: int) -> str | None:
    with contextlib.suppress(OSError, IndexError):
        return _stat(pid)[19]
    return None


def _descendants(pid: int) -> dict[int, str]:
    """Every process under ``pid`` with its start time (Linux /proc; elsewhere none)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = _stat(int(stat.parent.name))
            children.setdefault(int(fields[1]), []).append((int(stat.parent.name), fields[19]))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found
