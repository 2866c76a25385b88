"""CI's PostgreSQL cluster: ``.ci/run`` stops when the cluster does not start (instead of
running the tests without it), and scripts/postgres-test-cluster.sh stops and deletes
what it started when a later step of its start fails.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_SCRIPT = ROOT / "scripts" / "postgres-test-cluster.sh"


def _run(args, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def ci_copy(tmp_path):
    """A copy of .ci/run in a folder of its own, beside stub scripts and a Makefile whose
    ``test`` target leaves a file ``tests-ran``; the cluster stub does what STUB_START says
    and records what ``stop`` was given in ``stopped``.
    """
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts").mkdir()
    _executable(tmp_path / "scripts" / "install-chromium.sh", "#!/usr/bin/env bash\nexit 0\n")
    _executable(
        tmp_path / "scripts" / "postgres-test-cluster.sh",
        '#!/usr/bin/env bash\ncase "$1" in\n'
        '  start) eval "$STUB_START" ;;\n'
        '  stop) echo "$2" > "$(dirname "$0")/../stopped" ;;\n'
        "esac\n",
    )
    (tmp_path / "Makefile").write_text("test:\n\ttouch tests-ran\n")
    return tmp_path


def _ci(folder: Path, start: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STUB_START": start}
    env.pop("SERVICE_TOOLKIT_TEST_POSTGRES", None)
    env.pop("SERVICE_TOOLKIT_TEST_CLUSTER", None)
    return _run(["bash", str(folder / ".ci" / "run")], cwd=folder, env=env)


@pytest.mark.parametrize(
    "start",
    [
        'echo "initdb: could not create directory" >&2; exit 1',
        "exit 0",  # nothing printed: no server to test against either
    ],
)
def test_ci_stops_loudly_when_the_cluster_does_not_start(ci_copy, start):
    done = _ci(ci_copy, start)
    assert not (ci_copy / "tests-ran").exists()  # no tests run without the server
    assert done.returncode != 0
    assert "PostgreSQL test cluster" in done.stderr


def test_ci_runs_the_tests_against_the_cluster_and_stops_it(ci_copy):
    done = _ci(
        ci_copy,
        "echo export SERVICE_TOOLKIT_TEST_POSTGRES=postgresql://toolkit@127.0.0.1:1/t; "
        "echo export SERVICE_TOOLKIT_TEST_CLUSTER=/tmp/the-cluster",
    )
    assert done.returncode == 0, done.stderr
    assert (ci_copy / "tests-ran").exists()
    assert (ci_copy / "stopped").read_text().strip() == "/tmp/the-cluster"


def _postgres_bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        bindir = Path(_run([found, "--bindir"], cwd=ROOT).stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if candidates:
        return candidates[-1].parent
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true, and no PostgreSQL server binaries (initdb) are installed")
    pytest.skip("no PostgreSQL server binaries (initdb) are installed")


def _servers_in(folder: Path) -> list[str]:
    """The running postgres servers whose data directory is under ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmdline and str(folder) in cmdline:
            found.append(cmdline)
    return found


@pytest.fixture
def cluster_tmpdir(request):
    """A TMPDIR the cluster's owner (``postgres`` under root) can reach, in a folder of its
    own (also reachable); anything a start leaves in it is stopped and deleted at the end.
    """
    base = Path(tempfile.mkdtemp(prefix="toolkit-ci-test."))
    base.chmod(0o755)
    folder = base / "tmp"
    folder.mkdir(mode=0o755)

    def clean():
        for left in folder.glob("toolkit-pg.*"):
            if (left / "data").is_dir():
                _run(["bash", str(CLUSTER_SCRIPT), "stop", str(left)], cwd=ROOT)
        shutil.rmtree(base, ignore_errors=True)

    request.addfinalizer(clean)
    return folder


@pytest.mark.slow
def test_a_start_that_fails_after_the_server_is_up_stops_it_and_deletes_its_folder(
    cluster_tmpdir,
):
    real = _postgres_bindir()
    bindir = cluster_tmpdir.parent / "bin"  # the real server binaries, a createdb that fails
    bindir.mkdir(mode=0o755)
    for name in ("initdb", "pg_ctl", "postgres"):
        (bindir / name).symlink_to(real / name)
    _executable(bindir / "createdb", '#!/bin/sh\necho "createdb: refused" >&2\nexit 1\n')
    _executable(bindir / "pg_config", f'#!/bin/sh\necho "{bindir}"\n')
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "TMPDIR": str(cluster_tmpdir),
    }
    done = _run(["bash", str(CLUSTER_SCRIPT), "start"], cwd=ROOT, env=env)
    assert done.returncode != 0
    assert done.stdout == ""  # nothing for a caller to evaluate
    assert "createdb: refused" in done.stderr
    assert list(cluster_tmpdir.iterdir()) == []
    assert _servers_in(cluster_tmpdir) == []


@pytest.mark.slow
def test_a_cluster_starts_and_stops(cluster_tmpdir):
    _postgres_bindir()
    env = {**os.environ, "TMPDIR": str(cluster_tmpdir)}
    done = _run(["bash", str(CLUSTER_SCRIPT), "start"], cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    assert exports["SERVICE_TOOLKIT_TEST_POSTGRES"].startswith("postgresql://toolkit@127.0.0.1:")
    folder = Path(exports["SERVICE_TOOLKIT_TEST_CLUSTER"])
    assert folder.parent == cluster_tmpdir and _servers_in(folder)
    stopped = _run(["bash", str(CLUSTER_SCRIPT), "stop", str(folder)], cwd=ROOT)
    assert stopped.returncode == 0, stopped.stderr
    assert not folder.exists() and _servers_in(folder) == []
