"""Report batches on a Dask cluster (``report … --each COLUMN --cluster ADDRESS``).

A real local cluster: a TLS scheduler and two worker *processes*
(``LocalCluster(processes=True, n_workers=2)`` with ``Security.temporary()``), the
university demo, and the same batch run locally to compare with. Every cluster and
worker process is stopped at the end of the module (checked).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

if os.environ.get("CI") != "true":  # CI (`make setup-test`) installs the [cluster] extra: no skip
    pytest.importorskip(
        "distributed", reason='needs the [cluster] extra: pip install -e ".[cluster]"'
    )

from distributed import Client, LocalCluster, Security  # noqa: E402

from tests._report_text import visible_text  # noqa: E402
from toolkit.errors import ReportError  # noqa: E402
from toolkit.reports import cluster as cluster_module  # noqa: E402
from toolkit.reports.cluster import (  # noqa: E402
    check_workers,
    cluster_security,
    engagement_location,
)
from toolkit.reports.runner import run_reports  # noqa: E402

FAILING = Path(__file__).parent / "fixtures" / "notebooks" / "failing.ipynb"
SECRET = "pg-secret-9f1c2b"  # a password this machine has: it must never travel


def _children() -> list:
    import psutil

    return [
        p
        for p in psutil.Process().children(recursive=True)
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]


@pytest.fixture(scope="module")
def tls_cluster():
    """A TLS scheduler with two worker processes, one thread each; all stopped after."""
    before = {p.pid for p in _children()}
    security = Security.temporary()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        security=security,
        dashboard_address="127.0.0.1:0",  # its HTTP routes on loopback only
    )
    templates = []
    try:
        assert cluster.scheduler_address.startswith("tls://")
        yield cluster.scheduler_address, security
        with Client(cluster.scheduler_address, security=security) as client:
            templates = [p for p in client.run(_template_pid).values() if p]
    finally:
        cluster.close()
    import psutil

    # the warm kernel templates the workers kept (started in new sessions, so not this
    # process's descendants once their worker is gone) stopped with their workers
    assert templates  # the batches ran on them
    running = []
    for pid in templates:
        try:
            running.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(running, timeout=30)
    assert not alive, [" ".join(p.cmdline()) for p in alive]

    # multiprocessing's resource tracker is this test process's own helper (it lives as long
    # as this process does); every other process the cluster started must be gone.
    left = [
        p
        for p in _children()
        if p.pid not in before and "resource_tracker" not in " ".join(p.cmdline())
    ]
    _, alive = psutil.wait_procs(left, timeout=30)
    assert not alive, [" ".join(p.cmdline()) for p in alive]


def _template_pid(dask_worker) -> int | None:
    """On a worker (by Client.run): its warm kernel template's process id (None without one)."""
    from toolkit.reports.cluster_worker import PLUGIN

    server = getattr(dask_worker.plugins.get(PLUGIN), "server", None)
    return server.process.pid if server is not None and server.alive() else None


@pytest.fixture(scope="module")
def university(tmp_path_factory):
    from toolkit.demo import init_demo

    return init_demo(tmp_path_factory.mktemp("cluster") / "university", "university")


@pytest.fixture
def client(tls_cluster):
    address, security = tls_cluster
    with Client(address, security=security, set_as_default=False) as client:
        yield client


def _texts(run) -> dict[str, list[str]]:
    return {
        Path(r.html).name: visible_text(Path(r.html).read_text(encoding="utf-8"))
        for r in run.results
    }


# ----------------------------------------------------------------------------- a batch


@pytest.mark.slow
def test_a_cluster_batch_writes_the_same_reports_as_the_local_batch(tls_cluster, university):
    """Every campus of the university demo: the same reports, text for text."""
    address, security = tls_cluster
    shown = []
    on_cluster = run_reports(
        university.path,
        ["satisfaction"],
        each="campus",
        cluster=address,
        security=security,
        out=university.path / "cluster-reports",
        on_result=shown.append,
    )
    local = run_reports(
        university.path, ["satisfaction"], each="campus", out=university.path / "local-reports"
    )
    campuses = sorted(set(university.responses["campus"]))
    assert len(campuses) == 30
    assert on_cluster.status == "ok" and local.status == "ok"
    assert [r.value for r in on_cluster.results] == [r.value for r in local.results]
    assert sorted(r.value for r in on_cluster.results) == campuses
    assert len(shown) == 30  # progress: each result as it came back
    cluster_texts, local_texts = _texts(on_cluster), _texts(local)
    assert cluster_texts.keys() == local_texts.keys()
    for name, text in cluster_texts.items():
        assert text == local_texts[name], name
    for r in on_cluster.results:
        assert r.value in " ".join(cluster_texts[Path(r.html).name])
    for r in on_cluster.results:  # the files came back to this machine, into the run's folder
        assert Path(r.html).parent == on_cluster.folder and Path(r.notebook).is_file()
    # the index, written once at the end, lists the run and its 30 reports
    index = (university.path / "cluster-reports" / "index.html").read_text(encoding="utf-8")
    assert on_cluster.run_id in index and index.count("satisfaction — ") == 30
    data = json.loads((on_cluster.folder / "run.json").read_text(encoding="utf-8"))
    assert data["status"] == "ok" and data["reports"] == 30


@pytest.fixture(scope="module")
def university_pg(tmp_path_factory):
    """The university demo in a PostgreSQL store (a fresh schema, dropped after)."""
    from tests._postgres import drop_schema, new_schema, postgres_url
    from toolkit.demo import init_demo

    url, schema = postgres_url(), new_schema()
    try:
        yield init_demo(
            tmp_path_factory.mktemp("cluster-pg") / "university", "university",
            store=url, schema=schema,
        )  # fmt: skip
    finally:
        drop_schema(url, schema)


def _spy_on_submit(monkeypatch) -> list:
    """Every ``Client.submit`` call, as (function, args, kwargs), the jobs still sent."""
    submitted = []
    real_submit = Client.submit

    def spy(self, func, *args, **kwargs):
        submitted.append((func, args, kwargs))
        return real_submit(self, func, *args, **kwargs)

    monkeypatch.setattr(Client, "submit", spy)
    return submitted


@pytest.mark.slow
def test_a_cluster_batch_on_a_postgresql_engagement_matches_the_local_batch(
    tls_cluster, university_pg, monkeypatch
):
    """The workers open the store from its URL, with the password from their own environment."""
    password = os.environ.get("PGPASSWORD", "")
    submitted = _spy_on_submit(monkeypatch)
    address, security = tls_cluster
    eng = university_pg
    on_cluster = run_reports(
        eng.path, ["satisfaction"], each="campus", cluster=address, security=security,
        out=eng.path / "cluster-reports",
    )  # fmt: skip
    monkeypatch.undo()
    local = run_reports(eng.path, ["satisfaction"], each="campus", out=eng.path / "local-reports")
    assert on_cluster.status == "ok", [r.error for r in on_cluster.failed]
    assert local.status == "ok", [r.error for r in local.failed]
    campuses = sorted(set(eng.responses["campus"]))
    assert sorted(r.value for r in on_cluster.results) == campuses
    assert [r.value for r in on_cluster.results] == [r.value for r in local.results]
    cluster_texts, local_texts = _texts(on_cluster), _texts(local)
    assert cluster_texts.keys() == local_texts.keys()
    for name, text in cluster_texts.items():
        assert text == local_texts[name], name
    # each job named the store by its URL and settings; no password went with any of them
    import cloudpickle

    assert len(submitted) == len(campuses)
    for func, (spec,), kwargs in submitted:
        assert spec["location"]["kind"] == "store"
        assert spec["location"]["url"] == eng.settings_data["store"]["url"]
        sent = cloudpickle.dumps((func, spec, kwargs))
        assert b"PGPASS" not in sent
        if password:
            assert password.encode() not in sent


def test_a_failing_report_is_named_and_the_others_come_back(tls_cluster, university, tmp_path):
    """The command line, as a user types it: exit 3, each failure named, the rest written."""
    import dask
    from click.testing import CliRunner

    from toolkit.cli import main

    address, security = tls_cluster
    tls = {
        "distributed.comm.tls.ca-file": security.tls_ca_file,
        "distributed.comm.tls.client.cert": security.tls_client_cert,
        "distributed.comm.tls.client.key": security.tls_client_key,
    }
    out = tmp_path / "reports"
    with dask.config.set(tls):  # the certificates from Dask's configuration
        result = CliRunner().invoke(
            main,
            [
                "report",
                str(university.path),
                str(FAILING),
                "needs-gap",
                "--each",
                "campus",
                "-y",
                "subset: {campus: [Ashford, Summit]}",
                "--cluster",
                address,
                "--out",
                str(out),
                "--format",
                "html,pdf,pptx",
            ],
        )
    assert result.exit_code == 3, result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    (run_json,) = out.glob("*/run.json")
    run = json.loads(run_json.read_text(encoding="utf-8"))
    failed = {r["value"]: r for r in run["results"] if r["status"] == "failed"}
    assert set(failed) == {"Ashford", "Summit"}
    for campus, r in failed.items():
        line = next(x for x in result.stderr.splitlines() if f"failing ({campus})" in x)
        assert 'failing.ipynb, cell In [4] (section "Trouble ahead") failed: ValueError' in line
        partial = out / r["notebook"]  # the partial notebook came back too; the error says where
        assert partial.is_file() and str(partial) in r["error"]
    written = [r for r in run["results"] if r["status"] == "ok"]
    assert sorted(r["value"] for r in written) == ["Ashford", "Summit"]
    for r in written:  # HTML, the PDF and the slides, made on the worker, written here
        assert (out / r["html"]).read_bytes().startswith(b"<!DOCTYPE html>")
        assert (out / r["pdf"]).read_bytes().startswith(b"%PDF-")
        assert (out / r["pptx"]).read_bytes().startswith(b"PK")  # a zip, as .pptx files are
    assert (out / "index.html").is_file()


# ----------------------------------------------------------------------------- refused first


def test_a_worker_keeps_its_warm_kernels_between_batches(tls_cluster, university, client, tmp_path):
    """The second batch forks its kernels from the templates the first one started."""
    address, security = tls_cluster

    def batch(out):
        run = run_reports(
            university.path, ["needs-gap"], each="campus",
            parameters={"subset": {"campus": ["Ashford", "Bayview", "Summit"]}},
            cluster=address, security=security, out=tmp_path / out,
        )  # fmt: skip
        assert run.status == "ok" and len(run.results) == 3, [r.error for r in run.failed]
        return client.run(_template_pid)

    first = batch("one")
    assert all(first.values()) and len(first) == 2
    assert batch("two") == first  # the same template processes, still running


def _no_jobs(monkeypatch) -> list:
    submitted = []
    for name in ("submit", "map", "register_plugin"):
        monkeypatch.setattr(Client, name, lambda self, *a, _n=name, **k: submitted.append(_n))
    return submitted


def test_another_toolkit_version_on_a_worker_is_refused_before_any_job(
    tls_cluster, university, client, monkeypatch, tmp_path
):
    def pretend(version):
        import toolkit

        toolkit.__version__, old = version, toolkit.__version__
        return old

    worker = sorted(client.scheduler_info()["workers"])[0]
    real = client.run(pretend, "0.0.1-old", workers=[worker])[worker]
    try:
        submitted = _no_jobs(monkeypatch)
        address, security = tls_cluster
        with pytest.raises(ReportError) as info:
            run_reports(
                university.path,
                ["needs-gap"],
                each="campus",
                cluster=address,
                security=security,
                out=tmp_path / "reports",
            )
    finally:
        client.run(pretend, real, workers=[worker])
    message = str(info.value)
    assert f"worker {worker}" in message and "runs toolkit 0.0.1-old" in message
    assert f"this machine runs {real}" in message and "no report was started" in message
    assert submitted == [] and not (tmp_path / "reports").exists()


def test_a_worker_that_sees_other_data_is_named_and_sqlite_is_sent_to_postgresql(university):
    class FakeClient:
        class scheduler:  # noqa: N801 - as distributed.Client's attribute
            address = "tls://scheduler.example.org:8786"

        def run(self, *args, **kwargs):
            return {
                "tls://10.0.0.7:40001": {"toolkit": __import__("toolkit").__version__,
                                         "host": "w7", "fingerprint": "0123abcd0123"},
                "tls://10.0.0.8:40001": {"toolkit": __import__("toolkit").__version__,
                                         "host": "w8", "problem": "StoreError: no such folder"},
                "tls://10.0.0.9:40001": ModuleNotFoundError("No module named 'toolkit'"),
            }  # fmt: skip

    location = engagement_location(university)
    with pytest.raises(ReportError) as info:
        check_workers(FakeClient(), location, university.fingerprint())
    lines = str(info.value).splitlines()
    assert "tls://scheduler.example.org:8786 cannot run this batch" in lines[0]
    assert "tls://10.0.0.7:40001 (w7) sees other data (store fingerprint 0123abcd0123" in lines[1]
    assert "cannot open the engagement (StoreError: no such folder)" in lines[2]
    for line in lines[1:3]:
        assert str(university.path.resolve()) in line
        assert "move the engagement to PostgreSQL" in line and "docs/team.md" in line
    assert "tls://10.0.0.9:40001 cannot run the toolkit (ModuleNotFoundError" in lines[3]
    assert "pip install" in lines[3]


# ----------------------------------------------------------------------------- no password


def test_a_job_carries_the_engagement_and_parameters_and_no_password(
    tls_cluster, university, monkeypatch, tmp_path
):
    """Inspect what is handed to the cluster: a password this machine has is not in it."""
    monkeypatch.setenv("PGPASSWORD", SECRET)
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"*:*:*:*:{SECRET}\n", encoding="utf-8")
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    submitted = _spy_on_submit(monkeypatch)
    address, security = tls_cluster
    run = run_reports(
        university.path,
        ["needs-gap"],
        each="campus",
        parameters={"subset": {"campus": ["Bayview"]}},
        cluster=address,
        security=security,
        out=tmp_path / "reports",
    )
    assert run.status == "ok", [r.error for r in run.failed]
    ((func, (spec,), kwargs),) = submitted
    assert func.__name__ == "run_job"
    assert set(spec) == {
        "location", "report", "notebook", "value", "stem", "parameters", "run_id", "formats",
        "timeout", "include_personal", "plugin",
    }  # fmt: skip
    assert spec["location"] == {"kind": "folder", "path": str(university.path.resolve())}
    assert spec["parameters"] == {"interactive": False, "subset": {"campus": "Bayview"}}
    import cloudpickle

    sent = cloudpickle.dumps((func, spec, kwargs))
    assert SECRET.encode() not in sent and b"PGPASS" not in sent


def _with_store(engagement, folder: Path, store: str) -> object:
    """A copy of ``engagement``'s folder whose engagement.toml names a PostgreSQL store.

    Only its folder and settings are read (no database is opened): what
    :func:`engagement_location` reads of an engagement.
    """
    from types import SimpleNamespace

    from toolkit.settings import load_settings

    copy = folder / "engagement"
    shutil.copytree(engagement.path, copy)
    with (copy / "engagement.toml").open("a", encoding="utf-8") as toml:
        toml.write(f"\n[store]\n{store}\n")
    return SimpleNamespace(path=copy, settings_data=load_settings(copy / "engagement.toml"))


def test_a_postgresql_engagement_travels_as_its_url_and_settings(university, tmp_path):
    eng = _with_store(university, tmp_path, 'url = "postgresql://planner@db.example.org/uni"')
    location = engagement_location(eng)
    assert location["kind"] == "store"
    assert location["url"] == "postgresql://planner@db.example.org/uni"
    assert location["settings"] == (eng.path / "engagement.toml").read_text(encoding="utf-8")
    assert location["folder"] == "engagement"  # a worker's folder is named the same
    from toolkit.reports.cluster_worker import engagement_folder, forget_folders

    try:
        there = engagement_folder(location)
        assert there.name == "engagement" and there != eng.path
        assert (there / "engagement.toml").read_text(encoding="utf-8") == location["settings"]
        assert engagement_folder(location) == there  # made once per worker
    finally:
        forget_folders()
    assert not there.exists()
    spec = cluster_module.job_specs(
        [], location, run_id="r", formats=("html",), timeout=None, include_personal=False,
        plugin="p",
    )  # fmt: skip
    assert spec == []


@pytest.mark.parametrize(
    "store",
    [
        f'url = "postgresql://planner:{SECRET}@db.example.org/uni"',
        f'url = "postgresql://planner@db.example.org/uni?password={SECRET}"',
        f'url = "postgresql://planner@db.example.org/uni"\npassword = "{SECRET}"',
    ],
)
def test_a_password_in_engagement_toml_is_refused_before_it_can_travel(university, tmp_path, store):
    eng = _with_store(university, tmp_path, store)
    with pytest.raises(ReportError, match=r"\[store\] holds the database password") as info:
        engagement_location(eng)
    assert SECRET not in str(info.value) and "PGPASSWORD" in str(info.value)


# ----------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address", ["tcp://10.1.2.3:8786", "10.1.2.3:8786", "tcp://scheduler.example.org:8786"]
)
def test_plain_tcp_to_another_machine_is_refused_with_the_reason(address):
    with pytest.raises(ReportError) as info:
        cluster_security(address)
    assert "not encrypted" in str(info.value) and "tls://" in str(info.value)


def test_tcp_on_this_machine_is_allowed():
    assert cluster_security("tcp://127.0.0.1:8786") is None
    assert cluster_security("localhost:8786") is None


def test_tls_without_certificates_says_where_to_set_them(monkeypatch):
    import dask

    with dask.config.set({"distributed.comm.tls.ca-file": None}):
        with pytest.raises(ReportError, match="no TLS certificates") as info:
            cluster_security("tls://scheduler.example.org:8786")
    assert "DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in str(info.value)


@pytest.mark.parametrize("address", ["ucx://host:8786", "tls://:8786", "inproc://x"])
def test_an_address_that_is_not_tls_or_tcp_is_refused(address):
    with pytest.raises(ReportError, match="tls://HOST:PORT"):
        cluster_security(address)


def test_no_scheduler_there_is_a_clear_error(university, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 2)
    with pytest.raises(ReportError, match="cannot connect to the scheduler"):
        run_reports(
            university.path,
            ["needs-gap"],
            cluster="tcp://127.0.0.1:9",
            out=tmp_path / "reports",
        )
    assert not (tmp_path / "reports").exists()


def test_jobs_with_a_cluster_is_a_usage_error(university):
    from click.testing import CliRunner

    from toolkit.cli import main

    result = CliRunner().invoke(
        main, ["report", str(university.path), "--cluster", "tls://h:8786", "--jobs", "2"]
    )
    assert result.exit_code == 2 and "--jobs is for a run on this machine" in result.output
