"""Serve the planner forms with Voilà on this machine only (``service-toolkit forms``)."""

from __future__ import annotations

import contextlib
import os
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
from toolkit.forms.wizard import MAX_UPLOAD_MB

__all__ = ["ENGAGEMENT_ENV", "forms_command", "serve_forms"]

ENGAGEMENT_ENV = "SERVICE_TOOLKIT_ENGAGEMENT"
"""The environment variable that tells ``notebooks/forms.ipynb`` which engagement to open."""

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


def forms_command(port: int) -> list[str]:
    """The Voilà command line: loopback only, no port drift, local assets, large uploads."""
    notebook = resource_dir("notebooks") / "forms.ipynb"
    limit = (MAX_UPLOAD_MB + 20) * 1024 * 1024
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--template=service-toolkit",
        f"--Voila.tornado_settings={{'websocket_max_message_size': {limit}}}",
        f"--VoilaConfiguration.resources={{'tk_max_upload_mb': {MAX_UPLOAD_MB}}}",
        # A warm kernel waits for the next planner; the page is built when they open it.
        "--preheat_kernel=True",
        "--pool_size=1",
    ]


def _environment(engagement: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[ENGAGEMENT_ENV] = str(engagement)
    templates = str(resource_dir("templates") / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (templates, env.get("JUPYTER_PATH")) if p)
    return env


def serve_forms(
    engagement: Path, *, port: int | None = None, open_browser: bool = True, echo=print
) -> int:
    """Run Voilà on 127.0.0.1 until Ctrl-C; return its exit code (0 after Ctrl-C).

    Raises
    ------
    ToolkitError
        The port is taken, or Voilà did not start (its last output is in the message).
    """
    if port is None:
        port = _free_port()
    elif _port_taken(port):
        raise ToolkitError(
            f"Port {port} on {HOST} is already in use. Choose another with --port, or leave "
            "--port out to use a free one."
        )
    restore = _stop_on_signals()
    process = None
    try:
        process = subprocess.Popen(
            forms_command(port),
            env=_environment(engagement),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        _wait_until_serving(process, port)
        url = f"http://{HOST}:{port}/"
        echo(f"Forms for {engagement} at {url}")
        echo("Open that address in a browser on this machine. Press Ctrl-C to stop.")
        if open_browser:
            webbrowser.open(url)
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
        restore()


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


def _wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while not _port_taken(port):
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read() if process.stdout else ""
            _stop(process)
            raise ToolkitError(
                f"The forms server did not start: {output.strip()[-800:] or 'no output'}"
            )
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
