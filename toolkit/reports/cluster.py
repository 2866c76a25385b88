"""Report batches on a Dask distributed cluster: ``report PATH --each COLUMN --cluster ADDRESS``.

::

    run_reports("university", ["satisfaction"], each="campus",
                cluster="tls://scheduler.example.org:8786")

The batch is planned here exactly as a local one (parameters checked, one job per
``--each`` value, reports whose data is not there yet skipped), then each report is
handed to the cluster's workers as one task. Each worker runs the notebook in a fresh
kernel forked from a warm template (:class:`~toolkit.reports.cluster_worker.KernelPlugin`,
as a local batch does; the template stays on the worker for the next batch), writes the HTML (and the PDF and slides when asked) into a
temporary folder and sends the files' bytes back; this machine writes them into the
run's folder, shows progress, records each failure by name, and writes the index once
at the end. The exit codes are a local batch's (3 when a report failed).

Before any job (:func:`check_workers`)
    Every worker must run the toolkit at this machine's version, and open the same
    engagement with the same data: the store's fingerprint each worker sees must equal
    this machine's. A worker that cannot is named, with both versions or what it could
    not open, and nothing runs.

Where the data is (:func:`engagement_location`)
    A job names the engagement, never its password. An engagement whose engagement.toml
    says ``[store] url = "postgresql://…"`` travels as that URL and its settings; each
    worker opens it with its own password (``PGPASSWORD``, ``PGPASSFILE`` or
    ``~/.pgpass`` on that worker). An SQLite engagement travels as its folder's path, and
    runs only where every worker sees that folder with the same store (a shared file
    system); otherwise the check says to move it to PostgreSQL (docs/team.md).

Connections (:func:`cluster_security`)
    ``tls://HOST:PORT`` uses Dask's TLS security: the certificates come from Dask's
    configuration (``distributed.comm.tls.ca-file``, ``.client.cert``, ``.client.key``,
    also as ``DASK_DISTRIBUTED__COMM__TLS__…`` environment variables) or from the
    ``security`` argument (a :class:`distributed.Security`). ``tcp://`` (no encryption)
    is refused for any host but this machine's loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from toolkit.errors import ReportError
from toolkit.reports.html import _now_iso
from toolkit.reports.index import write_index
from toolkit.reports.runner import (
    ReportResult,
    ReportRun,
    _Job,
    _new_run_folder,
    _progress,
    _read_json,
    _source,
    _write_run_json,
)
from toolkit.store_pg import is_store_url, redact_url, url_has_password

__all__ = [
    "CONNECT_SECONDS",
    "check_workers",
    "cluster_security",
    "engagement_location",
    "job_specs",
    "run_on_cluster",
]

#: How long to wait for the scheduler to answer.
CONNECT_SECONDS = 30

INSTALL = 'pip install "service-strategy-toolkit[cluster]"'
TEAM_PAGE = "docs/team.md"
TEAM_DOC = f"{TEAM_PAGE} (Report batches on a cluster)"


# ----------------------------------------------------------------------------- connecting


def cluster_security(address: str, security=None):
    """The Dask security for ``address``: checked, before anything connects.

    Parameters
    ----------
    address : str
        ``tls://HOST:PORT``, or ``tcp://HOST:PORT`` for this machine's loopback only.
    security : distributed.Security, optional
        Explicit certificates; by default Dask's configuration's.

    Returns
    -------
    distributed.Security or None

    Raises
    ------
    ReportError
        Dask is not installed; not a ``tls://`` or ``tcp://`` address; ``tcp://`` to
        another machine; ``tls://`` with no certificates configured.
    """
    try:
        from distributed import Security
    except ImportError as err:
        raise ReportError(
            f"--cluster needs Dask's distributed scheduler, which is not installed: {INSTALL}"
        ) from err
    text = str(address).strip()
    scheme, host = _scheme_and_host(text)
    if scheme == "tcp":
        if not _loopback(host):
            raise ReportError(
                f"--cluster {text}: refused: a tcp:// connection is not encrypted, and the "
                "jobs and the reports (your engagement's data) would cross the network in "
                f"the clear. Run the scheduler and workers with TLS and use tls://{host}:… "
                f"instead; {TEAM_DOC} shows how."
            )
        return security
    security = security if security is not None else Security()
    if not security.tls_ca_file or not security.tls_client_cert:
        raise ReportError(
            f"--cluster {text}: no TLS certificates for this machine. Set "
            "distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
            "distributed.comm.tls.client.key in Dask's configuration (or the environment "
            "variables DASK_DISTRIBUTED__COMM__TLS__CA_FILE, …__CLIENT__CERT and "
            f"…__CLIENT__KEY); {TEAM_DOC} shows how."
        )
    return security


def _scheme_and_host(address: str) -> tuple[str, str]:
    scheme, _, rest = address.rpartition("://") if "://" in address else ("tcp", "", address)
    scheme = scheme.lower()
    if scheme not in ("tls", "tcp"):
        raise ReportError(
            f"--cluster {address}: give the scheduler's address as tls://HOST:PORT "
            f"(for example tls://scheduler.example.org:8786); {TEAM_DOC} shows how."
        )
    try:
        host = urlsplit(f"//{rest}").hostname
    except ValueError:
        host = None
    if not host:
        raise ReportError(
            f"--cluster {address}: no host in it. Give the scheduler's address as "
            "tls://HOST:PORT, for example tls://scheduler.example.org:8786."
        )
    return scheme, host


def _loopback(host: str) -> bool:
    """True when every address ``host`` names is this machine's loopback."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)


def _connect(address: str, security):
    from distributed import Client

    try:
        return Client(address, security=security, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        reason = " ".join(str(err).split())[:300] or type(err).__name__
        raise ReportError(
            f"--cluster {address}: cannot connect to the scheduler ({reason}). Check the "
            "address, that `dask scheduler` runs there, and (tls://) that its certificates "
            f"and this machine's come from the same authority; {TEAM_DOC}."
        ) from err


# ----------------------------------------------------------------------------- the engagement


def engagement_location(engagement) -> dict:
    """How a job names ``engagement``: its folder, or its store's URL and settings.

    Returns
    -------
    dict
        ``{"kind": "folder", "path": …}`` for an SQLite engagement;
        ``{"kind": "store", "url": …, "settings": …, "folder": …}`` (engagement.toml's
        text and the folder's name) when engagement.toml names a PostgreSQL store in
        ``[store] url``.

    Raises
    ------
    ReportError
        engagement.toml holds the store's password: a password never travels in a job.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit.store import Engagement
    >>> engagement_location(Engagement.init(tempfile.mkdtemp() + "/e"))["kind"]
    'folder'
    """
    store = engagement.settings_data.get("store")
    url = str(store.get("url") or "") if isinstance(store, dict) else ""
    if not is_store_url(url):
        return {"kind": "folder", "path": str(Path(engagement.path).resolve())}
    settings = Path(engagement.path) / "engagement.toml"
    keys = [k for k in store if "pass" in str(k).lower()]
    if url_has_password(url) or keys:
        raise ReportError(
            f"{settings}: [store] holds the database password; it never goes in the "
            "engagement folder nor in a cluster's jobs. Remove it, and give each machine "
            "the password in PGPASSWORD or its ~/.pgpass file."
        )
    return {
        "kind": "store",
        "url": url,
        "settings": settings.read_text(encoding="utf-8"),
        "folder": Path(engagement.path).name,  # the default schema is named after it
    }


# ----------------------------------------------------------------------------- the checks


def check_workers(client, location: dict, fingerprint: str, formats: Sequence[str] = ()) -> dict:
    """Ask every worker for its versions and the data it sees; refuse before any job.

    Returns
    -------
    dict
        Each worker's facts (:func:`toolkit.reports.cluster_worker.worker_facts`).

    Raises
    ------
    ReportError
        No workers; a worker runs another version of the toolkit (or none); a worker
        cannot open the engagement, or sees other data; a PDF is asked for and a worker
        has no Chromium. The message names each such worker.
    """
    from toolkit import __version__
    from toolkit.reports.cluster_worker import worker_facts

    facts = client.run(worker_facts, location, tuple(formats), on_error="return")
    if not facts:
        raise ReportError(
            f"The cluster at {client.scheduler.address} has no workers. Start some "
            f"(dask worker {client.scheduler.address} …) and run the batch again."
        )
    problems = [
        p
        for worker, said in sorted(facts.items())
        if (p := _worker_problem(worker, said, location, fingerprint, __version__))
    ]
    if problems:
        raise ReportError(
            f"The cluster at {client.scheduler.address} cannot run this batch (no report "
            "was started):\n  " + "\n  ".join(problems)
        )
    return facts


def _worker_problem(worker, said, location, fingerprint, version) -> str | None:
    if isinstance(said, BaseException):
        return (
            f"worker {worker} cannot run the toolkit ({type(said).__name__}: "
            f"{' '.join(str(said).split())[:200]}). Install it there: "
            f'pip install "service-strategy-toolkit[cluster]=={version}".'
        )
    where = f"worker {worker} ({said.get('host')})"
    if said.get("toolkit") != version:
        return (
            f"{where} runs toolkit {said.get('toolkit')}; this machine runs {version}. "
            "Install one version on this machine and every worker, for example "
            f'pip install "service-strategy-toolkit[cluster]=={version}" there.'
        )
    if "problem" in said or said.get("fingerprint") != fingerprint:
        return _data_problem(where, said, location, fingerprint)
    if said.get("chromium") is False:
        return f"{where} has no Chromium to print PDFs: install the chromium package there."
    return None


def _data_problem(where: str, said: dict, location: dict, fingerprint: str) -> str:
    if "problem" in said:
        seen = f"cannot open the engagement ({said['problem']})"
    else:
        seen = f"sees other data (store fingerprint {said.get('fingerprint')}, here {fingerprint})"
    if location["kind"] == "folder":
        return (
            f"{where} {seen} at {location['path']}. An SQLite engagement runs on a cluster "
            "only where every worker opens the same folder on a shared file system; move "
            f"the engagement to PostgreSQL instead ({TEAM_PAGE}, Moving an engagement to "
            "PostgreSQL) and run the batch again."
        )
    return (
        f"{where} {seen} through {redact_url(location['url'])}. Check that the worker can reach the "
        "database server and has the password in PGPASSWORD or its ~/.pgpass."
    )


# ----------------------------------------------------------------------------- the batch


def job_specs(
    planned: Sequence[_Job],
    location: dict,
    *,
    run_id: str,
    formats: Sequence[str],
    timeout: float | None,
    include_personal: bool,
    plugin: str,
) -> list[dict]:
    """What each task carries: the engagement's location, the report and its parameters.

    The ``engagement`` parameter stays behind (each worker sets its own); a notebook
    given by path travels as its text. Nothing else: no settings of this machine, no
    environment, no password.
    """
    specs = []
    for job in planned:
        report = job.report
        notebook = (
            None if report.tables else (report.notebook.name, report.notebook.read_text("utf-8"))
        )
        specs.append(
            {
                "location": location,
                "report": report.name,
                "notebook": notebook,
                "value": job.value,
                "stem": job.stem,
                "parameters": {k: v for k, v in job.parameters.items() if k != "engagement"},
                "run_id": run_id,
                "formats": tuple(formats),
                "timeout": timeout,
                "include_personal": include_personal,
                "plugin": plugin,
            }
        )
    return specs


def run_on_cluster(
    address: str,
    engagement,
    reports,
    planned: Sequence[_Job],
    *,
    notes: list,
    skipped: list,
    each: str | None,
    out,
    include_personal: bool,
    progress: bool | None,
    timeout: float | None,
    on_result: Callable[[ReportResult], None] | None,
    formats: Sequence[str],
    security=None,
) -> ReportRun:
    """Run a planned batch on the cluster at ``address`` (see the module's docstring).

    Called by :func:`toolkit.reports.runner.run_reports` with ``cluster=``; the
    arguments are its own, after planning.

    Raises
    ------
    ReportError
        A refused address, no connection, or a worker that fails the checks (before any
        job runs).
    """
    security = cluster_security(address, security)
    location = engagement_location(engagement)
    fingerprint = engagement.fingerprint()
    client = _connect(address, security)
    try:
        facts = check_workers(client, location, fingerprint, formats)
        out_dir = (Path(out).expanduser() if out else engagement.path / "reports").resolve()
        run_id, folder = _new_run_folder(out_dir)
        run = ReportRun(
            run_id, folder, out_dir / "index.html", engagement.name, _now_iso(), each=each
        )
        run.notes, run.skipped = notes, skipped
        _write_run_json(run)
        if planned:
            _run_batch(
                client,
                run,
                reports,
                planned,
                location,
                formats,
                timeout,
                include_personal,
                progress,
                on_result,
                facts,
            )
        run.finished = _now_iso()
        _write_run_json(run)
        write_index(out_dir)
        return run
    finally:
        client.close()


def _run_batch(
    client,
    run,
    reports,
    planned,
    location,
    formats,
    timeout,
    include_personal,
    progress,
    on_result,
    facts,
) -> None:
    """Hand every job to the cluster; land each result as it comes back."""
    from distributed import as_completed

    from toolkit.reports.cluster_worker import PLUGIN as plugin

    batch = uuid.uuid4().hex[:12]
    specs = job_specs(
        planned,
        location,
        run_id=run.run_id,
        formats=formats,
        timeout=timeout,
        include_personal=include_personal,
        plugin=plugin,
    )
    _warm_kernels(client, reports, facts)
    results: list[ReportResult | None] = [None] * len(planned)
    bar = _progress(len(planned), progress)
    futures = {}
    try:
        from toolkit.reports.cluster_worker import run_job

        for i, spec in enumerate(specs):
            key = f"service-toolkit-report-{batch}-{i}"
            futures[client.submit(run_job, spec, key=key, pure=False)] = i
        for future in as_completed(futures, loop=client.loop):
            i = futures[future]
            result = _land(future, planned[i], run.folder)
            results[i] = result
            run.results = [r for r in results if r is not None]
            _write_run_json(run)
            if bar is not None:
                bar.update(1)
            if on_result is not None:
                on_result(result)
    finally:
        if bar is not None:
            bar.close()
        client.cancel(list(futures))
    run.results = [r for r in results if r is not None]


def _warm_kernels(client, reports, facts: dict) -> None:
    """Give every worker a warm kernel template importing what the notebooks import.

    A worker keeps its template between batches (stopped when the worker closes); it is
    registered again only when a worker has none or lacks a module these notebooks
    import, with the modules of both.
    """
    from toolkit.reports.cluster_worker import PLUGIN, KernelPlugin
    from toolkit.reports.kernels import notebook_imports

    sources = [
        _source(c)
        for r in reports
        for c in _read_json(r.notebook).get("cells", [])
        if c.get("cell_type") == "code"
    ]
    needed = set(notebook_imports(sources))
    have = [said.get("kernels") if isinstance(said, dict) else None for said in facts.values()]
    if have and all(h is not None and needed <= set(h) for h in have):
        return
    known = {m for h in have if h for m in h}
    client.register_plugin(KernelPlugin(sorted(needed | known)), name=PLUGIN)


def _land(future, job: _Job, folder: Path) -> ReportResult:
    """Write a finished task's files into the run's folder; its result, paths made local."""
    try:
        back = future.result()
    except Exception as err:  # noqa: BLE001 - one lost task must not stop the batch
        label = job.report.name + (f" ({job.value})" if job.value is not None else "")
        shown = {k: v for k, v in job.parameters.items() if k not in ("engagement", "interactive")}
        what = " ".join(f"{type(err).__name__}: {err}".split())[:500].rstrip(".")
        return ReportResult(
            job.report.name,
            job.value,
            shown,
            "failed",
            None,
            None,
            error=f"{label}: the cluster could not run it: {what}.",
        )
    result: ReportResult = back["result"]
    for key in ("html", "pdf", "pptx", "notebook"):
        setattr(result, key, None)
    for key, (name, data) in back["files"].items():
        target = folder / Path(name).name
        target.write_bytes(data)
        setattr(result, key, target)
    if result.error:
        result.error = result.error.replace(back["folder"], str(folder))
    return result
