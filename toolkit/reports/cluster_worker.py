"""What a Dask worker does for a cluster batch (:mod:`toolkit.reports.cluster`).

Everything here runs on the worker machines, in the worker processes, with the toolkit
installed there (the same version as the machine that asked: checked first).

:func:`worker_facts`
    What a worker says before any job: its toolkit version, its host, and whether it can
    open the engagement and see the same data (the store's fingerprint).
:func:`run_job`
    One report: runs the notebook in a fresh kernel, writes its HTML (and PDF and slides
    when asked) into a private temporary folder, and returns the files' bytes; the folder
    is removed before it returns.
:class:`KernelPlugin`
    A worker plugin, registered as :data:`PLUGIN`, that keeps one warm kernel template
    (:mod:`toolkit.reports.kernels`) on each worker from its first batch until the
    worker closes: the next batch forks its kernels from it at once. A batch whose
    notebooks import a module the template lacks registers it again with both sets
    (the old template is stopped, a new one starts).

A job names the engagement by its *location* (:func:`toolkit.reports.cluster.engagement_location`):
the folder path (an SQLite engagement the workers see at the same path), or the store's
URL with no password and the engagement's settings (a PostgreSQL engagement). For the
latter the worker writes those settings into a folder of its own and opens that folder
as any engagement is opened; the password comes from the worker's own environment
(``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass``), never from the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import platform
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

__all__ = ["PLUGIN", "KernelPlugin", "open_location", "run_job", "worker_facts"]

#: The name the warm kernel template's plugin is registered under on every worker.
PLUGIN = "service-toolkit-kernels"

#: The engagement.toml of a store-URL location, as written into the worker's folder.
SETTINGS_FILE = "engagement.toml"

_LOCK = threading.Lock()
_FOLDERS: dict[str, Path] = {}  # a store-URL location's digest -> its folder on this worker


def open_location(location: dict):
    """Open the engagement a job names, on this worker.

    Parameters
    ----------
    location : dict
        ``{"kind": "folder", "path": …}`` or ``{"kind": "store", "url": …, "settings": …,
        "folder": …}`` (the engagement.toml text, with no password, and the folder's name).

    Returns
    -------
    Engagement
    """
    from toolkit.store import Engagement

    return Engagement.open(engagement_folder(location))


def engagement_folder(location: dict) -> Path:
    """The folder this worker opens for ``location`` (made once for a store URL)."""
    if location["kind"] == "folder":
        return Path(location["path"])
    key = hashlib.sha256(f"{location['url']}\n{location['settings']}".encode()).hexdigest()[:16]
    with _LOCK:
        folder = _FOLDERS.get(key)
        if folder is None or not (folder / SETTINGS_FILE).is_file():
            # named as the engagement's own folder: a store URL without a schema means
            # the schema named after the folder
            name = Path(location.get("folder") or "engagement").name
            folder = Path(tempfile.mkdtemp(prefix="tk-engagement-")) / name
            folder.mkdir()
            (folder / SETTINGS_FILE).write_text(location["settings"], encoding="utf-8")
            _FOLDERS[key] = folder
    return folder


def worker_facts(location: dict, formats: tuple[str, ...] = (), dask_worker=None) -> dict:
    """What this worker says before any job: versions, host, the data it sees.

    Run by ``Client.run``, which passes ``dask_worker`` (the worker itself).

    Returns
    -------
    dict
        ``toolkit`` (the version this worker imports), ``python``, ``host``, and either
        ``fingerprint`` (of the engagement's store, as this worker opens it) or
        ``problem`` (why it cannot open it); ``chromium`` False when a PDF is asked for
        and this worker has no Chromium to print it; ``kernels``, the modules its warm
        kernel template imports (None without a running one).
    """
    from toolkit import __version__

    facts: dict[str, Any] = {
        "toolkit": __version__,
        "python": platform.python_version(),
        "host": socket.gethostname(),
    }
    try:
        facts["fingerprint"] = open_location(location).fingerprint()
    except Exception as err:  # noqa: BLE001 - said back to the machine that asked
        facts["problem"] = " ".join(f"{type(err).__name__}: {err}".split())[:500]
    if "pdf" in formats:
        from toolkit.reports.export import find_chromium

        facts["chromium"] = find_chromium() is not None
    facts["kernels"] = _template_imports(dask_worker)
    return facts


def _template_imports(worker=None) -> list[str] | None:
    """The modules this worker's warm template imports; None when it has none running."""
    plugin = worker.plugins.get(PLUGIN) if worker is not None else _plugin(PLUGIN)
    server = getattr(plugin, "server", None)
    return list(plugin.imports) if server is not None and server.alive() else None


def _plugin(name: str):
    with contextlib.suppress(Exception):
        from distributed import get_worker

        return get_worker().plugins.get(name)
    return None


# ----------------------------------------------------------------------------- kernels


class KernelPlugin(WorkerPlugin):
    """One warm kernel template per worker, kept between batches; stopped with the worker.

    Parameters
    ----------
    imports : list of str
        The modules the batch's notebooks import (the template imports them once).
    """

    def __init__(self, imports: list[str]):
        self.imports = list(imports)
        self.server = None

    def setup(self, worker) -> None:
        from toolkit.reports.kernels import KernelForkServer, fork_server_available

        if fork_server_available():
            self.server = KernelForkServer(self.imports).start()

    def teardown(self, worker) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        forget_folders()


def _manager(plugin_name: str, include_personal: bool):
    """The kernel manager class for a job: the warm template's when this worker has one."""
    from toolkit.reports.runner import INCLUDE_PERSONAL_ENV

    env = {INCLUDE_PERSONAL_ENV: "1" if include_personal else "0"}
    server = getattr(_plugin(plugin_name), "server", None)
    if server is not None and server.alive():
        return server.manager_class(env)
    from toolkit.reports.kernels import ReportKernelManager

    return type("EnvReportKernelManager", (ReportKernelManager,), {"extra_env": env})


_RUNTIME = threading.Lock()
_RUNTIME_READY: list[bool] = []


def _import_runtime_once() -> None:
    from toolkit.reports.runner import _import_runtime

    with _RUNTIME:
        if not _RUNTIME_READY:
            _import_runtime()
            _RUNTIME_READY.append(True)


# ----------------------------------------------------------------------------- one report


def run_job(spec: dict) -> dict:
    """Run one report on this worker and return its result and its files' bytes.

    Parameters
    ----------
    spec : dict
        ``location`` (see :func:`open_location`), ``report`` (a report name) or
        ``notebook`` (a notebook's name and text, for a notebook given by path),
        ``value``, ``stem``, ``parameters`` (without ``engagement``: this worker sets
        it), ``run_id``, ``formats``, ``timeout``, ``include_personal``, ``plugin``.

    Returns
    -------
    dict
        ``result`` (a :class:`~toolkit.reports.runner.ReportResult` whose paths are in
        ``folder``), ``folder`` (this worker's folder, gone by now), ``files``
        (``{"html": (file name, bytes), …}``) and ``worker`` (host name).
    """
    from toolkit.reports.export import write_other_formats
    from toolkit.reports.runner import ReportRun, _execute, _Job

    _import_runtime_once()
    folder = Path(tempfile.mkdtemp(prefix="tk-cluster-"))
    try:
        report = _report(spec, folder)
        parameters = {**spec["parameters"], "engagement": str(engagement_folder(spec["location"]))}
        job = _Job(report, spec["value"], spec["stem"], parameters)
        run = ReportRun(spec["run_id"], folder, folder / "index.html", "", "")
        manager = _manager(spec["plugin"], spec["include_personal"])
        result = _execute(job, folder, run, manager, spec["timeout"], spec["include_personal"])
        if result.ok:
            write_other_formats([result], spec["formats"])
        files = {}
        for key in ("html", "pdf", "pptx", "notebook"):
            path = getattr(result, key)
            if path is not None and Path(path).is_file():
                files[key] = (Path(path).name, Path(path).read_bytes())
        return {
            "result": result,
            "folder": str(folder),
            "files": files,
            "worker": socket.gethostname(),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _report(spec: dict, folder: Path):
    """The job's report: a built-in one by name, or the notebook text it carries."""
    from toolkit.reports.runner import Report, report_named

    if spec.get("notebook") is None:
        return report_named(spec["report"])
    name, text = spec["notebook"]
    notebooks = folder / "notebook"
    notebooks.mkdir()
    path = notebooks / name
    path.write_text(text, encoding="utf-8")
    return Report(spec["report"], path, ())


def forget_folders() -> None:
    """Remove the folders made for store-URL locations (when the worker closes)."""
    with _LOCK:
        for folder in _FOLDERS.values():
            shutil.rmtree(folder.parent, ignore_errors=True)
        _FOLDERS.clear()
