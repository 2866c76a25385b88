"""`service-toolkit forms` stops, with Voilà, on every signal that ends a command."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from toolkit.store import Engagement

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ignore_interrupts() -> None:
    # What a non-interactive shell does to a background job (`service-toolkit forms … &`).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_the_forms_server_stops_with_voila_on_a_signal(stop, tmp_path):
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
            preexec_fn=_ignore_interrupts,
        )
    try:
        deadline = time.monotonic() + 120  # a bound for a hang, not a speed check
        while not _listening(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        process.send_signal(getattr(signal, stop))
        assert process.wait(timeout=120) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 30
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _listening(port), "Voilà kept serving after the command stopped"
    assert "Stopped. Everything saved is in the engagement." in log.read_text()


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
    deadline = time.monotonic() + 120  # a bound for a hang, not a speed check
    try:
        while b"Press Ctrl-C" not in shown:
            assert time.monotonic() < deadline, shown.decode(errors="replace")
            if select.select([terminal], [], [], 1)[0]:
                shown += os.read(terminal, 4096)
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
