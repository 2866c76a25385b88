"""Warm kernels for report runs: a fork server that hands every report a fresh kernel.

Where the time of a small report goes: starting a Python kernel (about 1.5 s) and
importing pandas, Altair and the toolkit in it (2–3 s) cost more than the analysis. A
batch of 30 reports pays that 30 times. Reusing one kernel for several reports would
save it, but then one report's variables, module settings, environment and working
folder leak into the next, and one report that kills its kernel takes the others down.

This module does neither. :class:`KernelForkServer` starts one *template* process that
imports everything the reports will import (the modules their notebooks' cells import,
plus pandas, Altair, IPython and ipykernel) and then waits. Each report's kernel is a
``fork()`` of that template: a new process that starts with the modules already
imported, exactly as a fresh kernel would have them right after its imports, and
nothing else (no earlier report ever ran in the template). So

- no state passes between reports: each kernel is a separate process forked from the
  same untouched template, with the requesting report's environment and working folder;
- a kernel that dies (a crash, ``os._exit``, the OOM killer) fails only its own report:
  the template and the other kernels are separate processes;
- a kernel costs a fork and ipykernel's set-up (a few tenths of a second) instead of a
  start-up and the imports.

How jupyter_client drives it
    :class:`ReportKernelManager` (an ``AsyncKernelManager``) launches
    ``_kernel_launcher.py``, a standard-library script, as "the kernel". The launcher
    sends the connection file, working folder and environment to the template over a
    Unix socket; the template forks; the child becomes an ipykernel on that connection
    file. The launcher forwards interrupt and terminate signals to the kernel and exits
    with its status; if the launcher is killed, the template kills the kernel. Kernels
    talk over ``ipc`` (Unix socket files in a private folder) rather than TCP ports, so
    kernels started at the same moment never race for a port (papermill#511).

``ReportKernelManager`` is built on first access (``toolkit.reports.kernels.ReportKernelManager``)
so that importing this module does not import jupyter_client.

Where ``os.fork`` does not exist (Windows) :func:`fork_server_available` is false and
reports start ordinary kernels.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "KernelForkServer",
    "fork_server_available",
    "notebook_imports",
]

LAUNCHER = Path(__file__).resolve().parent / "_kernel_launcher.py"

#: Imported by every template, whatever the notebooks import.
BASE_IMPORTS = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.core.interactiveshell",
    "IPython.display",
    "pandas",
    "altair",
    "toolkit.reports.context",
    "toolkit.charts.theme",
)


def fork_server_available() -> bool:
    """True where kernels can be forked from a template (POSIX with ``os.fork``)."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and sys.platform != "win32"


def notebook_imports(sources: Iterable[str]) -> list[str]:
    r"""The modules a notebook's code cells import at their top level.

    Parameters
    ----------
    sources : iterable of str
        Code cell sources.

    Returns
    -------
    list of str
        Module names in first-seen order (``from a.b import c`` gives ``a.b``); cells
        that are not valid Python (magics) are skipped.

    Examples
    --------
    >>> notebook_imports(["import pandas as pd\nfrom toolkit.charts.needs import x", "%time 1"])
    ['pandas', 'toolkit.charts.needs']
    """
    found: dict[str, None] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.setdefault(node.module, None)
    return list(found)


# ----------------------------------------------------------------------------- the server


class KernelForkServer:
    """A template process that forks a fresh, pre-imported kernel for each report.

    Parameters
    ----------
    imports : iterable of str
        Modules to import in the template besides :data:`BASE_IMPORTS`. A module that
        fails to import is skipped (the notebook that needs it fails on its own, with
        its own error).

    Notes
    -----
    Use it as a context manager, or call :meth:`start` and :meth:`stop`. :meth:`start`
    returns at once; the template imports in the background while the caller does other
    work, and the first kernel request waits for it.
    """

    def __init__(self, imports: Iterable[str] = ()):
        self.imports = list(dict.fromkeys([*BASE_IMPORTS, *imports]))
        self.folder: Path | None = None
        self.socket_path: str | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> KernelForkServer:
        self.folder = Path(tempfile.mkdtemp(prefix="tk-kernels-"))
        self.socket_path = str(self.folder / "server.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.reports.kernels", self.socket_path, *self.imports],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def manager_class(self, env: dict[str, str] | None = None) -> type:
        """A :class:`ReportKernelManager` subclass bound to this server (and ``env``)."""
        return type(
            "BoundReportKernelManager",
            (__getattr__("ReportKernelManager"),),
            {
                "server_socket": self.socket_path,
                "server_pid": self.process.pid,
                "extra_env": dict(env or {}),
                "ipc_folder": str(self.folder),
            },
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()  # the template kills its kernels, then exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.folder is not None:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> KernelForkServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _import_all(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the notebook reports its own import error
            continue
    try:  # build the report renderer's lazy pieces too: they are the same for every report
        import altair as alt

        alt.renderers.get()
    except Exception:  # noqa: BLE001
        pass


def _serve(socket_path: str, modules: list[str]) -> None:
    """The template's main loop: accept requests, fork kernels, report their exits."""
    _import_all(modules)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path + ".tmp")
    os.replace(socket_path + ".tmp", socket_path)  # clients see the socket only when ready
    listener.listen(64)
    kernels: dict[int, socket.socket] = {}  # kernel pid -> its launcher's connection
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    runner = os.getppid()
    while not stopping:
        if os.getppid() != runner:  # the runner died without stopping us: stop too
            break
        watched = [listener, *kernels.values()]
        try:
            ready, _, _ = select.select(watched, [], [], 0.1)
        except InterruptedError:
            ready = []
        for sock in ready:
            if sock is listener:
                conn, _ = listener.accept()
                pid = _fork_kernel(conn, listener, kernels)
                if pid:
                    kernels[pid] = conn
            else:  # a launcher closed its end: it was killed, so kill its kernel
                pid = next((p for p, c in kernels.items() if c is sock), None)
                if pid is not None and not _peek_open(sock):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        _reap(kernels)
    for pid in list(kernels):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while kernels and time.monotonic() < deadline:
        _reap(kernels)
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.unlink(socket_path)


def _peek_open(sock: socket.socket) -> bool:
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return True
    except OSError:
        return False


def _reap(kernels: dict[int, socket.socket]) -> None:
    while kernels:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):
            conn.sendall(f"exit {code}\n".encode())
        conn.close()


def _fork_kernel(conn: socket.socket, listener: socket.socket, kernels: dict) -> int | None:
    data = b""
    conn.settimeout(10)
    try:
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        request = json.loads(data)
    except (OSError, ValueError):
        conn.close()
        return None
    conn.settimeout(None)
    pid = os.fork()
    if pid:
        conn.sendall(f"pid {pid}\n".encode())
        return pid
    # ---- the child: a fresh kernel
    try:
        listener.close()
        for other in kernels.values():
            other.close()
        conn.close()
        _become_kernel(request)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _become_kernel(request: dict) -> None:
    os.setsid()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    # As a new process would: fresh random state (the template's was shared by all).
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    # Output to the launcher's stdout/stderr is not needed: ipykernel sends everything
    # over the connection. Keep fds 0-2 pointing at /dev/null (inherited).
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
    app = IPKernelApp.instance()
    app.initialize(["-f", request["connection_file"]])
    app.start()


def _die_with_parent() -> None:
    """Linux: the kernel gets SIGKILL if the template dies, so no kernel is orphaned."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# ----------------------------------------------------------------------------- jupyter_client


def _manager_base():
    from jupyter_client.manager import AsyncKernelManager

    return AsyncKernelManager


def __getattr__(name: str):
    if name == "ReportKernelManager":  # built on first use: jupyter_client loads lazily
        cls = _build_manager_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build_manager_class() -> type:
    from jupyter_client.kernelspec import KernelSpec

    base = _manager_base()

    class ReportKernelManager(base):
        """An ``AsyncKernelManager`` for report runs.

        Class attributes (set by :meth:`KernelForkServer.manager_class`):
        ``server_socket``: the fork server's socket, or None for an ordinary kernel;
        ``extra_env``: variables added to the kernel's environment; ``ipc_folder``:
        where the kernel's ``ipc`` socket files go.
        """

        server_socket: str | None = None
        server_pid: int = 0
        extra_env: dict = {}
        ipc_folder: str | None = None

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if self.ipc_folder:
                self.transport = "ipc"
                self.ip = str(Path(self.ipc_folder) / f"k-{uuid.uuid4().hex[:12]}")

        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                base_spec = self.kernel_spec_manager.get_kernel_spec(self.kernel_name or "python3")
                spec = base_spec.to_dict()
                spec["env"] = {**(spec.get("env") or {}), **self.extra_env}
                if self.server_socket:
                    spec["argv"] = [
                        sys.executable,
                        "-I",
                        str(LAUNCHER),
                        self.server_socket,
                        str(self.server_pid),
                        "{connection_file}",
                    ]
                    spec["interrupt_mode"] = "signal"
                self._kernel_spec = KernelSpec(resource_dir=base_spec.resource_dir, **spec)
            return self._kernel_spec

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart)
            self._remove_ipc_files()

        cleanup_resources = _async_cleanup_resources

        def _remove_ipc_files(self) -> None:
            if self.transport == "ipc" and self.ipc_folder:
                for path in Path(self.ipc_folder).glob(Path(self.ip).name + "-*"):
                    with contextlib.suppress(OSError):
                        path.unlink()

    return ReportKernelManager


if __name__ == "__main__":  # python -m toolkit.reports.kernels SOCKET MODULE...
    from toolkit._startup import skip_unused_rfc3987

    skip_unused_rfc3987()  # before the template imports Altair; its forks inherit it
    _serve(sys.argv[1], sys.argv[2:])
