"""Every command the README and docs/ show works as written.

Each test a page cites as holding a promise (``tests/FILE.py::TEST``) exists. Each
``service-toolkit`` and ``papermill`` line in a ```bash block is parsed by the real
command-line interface (a renamed command, option or choice fails here); each ``make``
target named exists; the README's walk-through from a first survey file to a client report is run for real, step by
step, in an empty folder.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests._loops import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _commands(path: Path) -> list[list[str]]:
    """Each shell command of the file's bash blocks, as words (comments and ``\\`` folded)."""
    commands = []
    for block in _blocks(path):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def _documented(program: str) -> list:
    return [
        pytest.param(words, id=f"{path.name}: {shlex.join(words)[:70]}")
        for path in DOCS
        for words in _commands(path)
        if words[0] == program
    ]


def _parse(group: click.Group, words: list[str]) -> None:
    """Parse ``words`` as the group's command line would, running nothing."""
    ctx = group.make_context(words[0], words[1:])
    name, command, rest = group.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
    command.make_context(name, rest, parent=ctx)


def _files_named_by_options(words: list[str], here: Path) -> None:
    """Files a command reads with ``-f`` exist (as an empty mapping) in ``here``."""
    for option, value in zip(words, words[1:], strict=False):
        if option in ("-f", "--params-file"):
            (here / value).write_text("{}\n", encoding="utf-8")


def test_the_docs_show_commands():
    # The parametrised tests below would pass on no command at all.
    assert len(_documented("service-toolkit")) >= 20
    assert _documented("papermill")


@pytest.mark.parametrize("words", _documented("service-toolkit"))
def test_a_documented_command_parses(words, tmp_path, monkeypatch):
    from toolkit.cli import main

    monkeypatch.chdir(tmp_path)
    _files_named_by_options(words, tmp_path)
    _parse(main, words)


@pytest.mark.parametrize("words", _documented("papermill"))
def test_a_documented_papermill_command_parses(words):
    from papermill.cli import papermill

    _parse_papermill = papermill.make_context("papermill", words[1:])
    notebook = _parse_papermill.params["notebook_path"]
    assert notebook.endswith(".ipynb")
    assert any(_opens_a_real_notebook(path, notebook) for path in DOCS), notebook


def test_every_documented_make_target_exists():
    targets = {words[1] for path in DOCS for words in _commands(path) if words[0] == "make"}
    assert targets >= {"demo", "test"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


def _written_by_notebook_commands(path: Path) -> set[str]:
    """The notebooks a page's ``service-toolkit notebook NAME [FOLDER]`` commands write."""
    from toolkit.templates import NOTEBOOKS

    written = set()
    for words in _commands(path):
        if words[:2] == ["service-toolkit", "notebook"]:
            args = [w for w in words[2:] if not w.startswith("-")]
            folder = args[1] if len(args) > 1 else "."
            written.add(str(Path(folder) / NOTEBOOKS[args[0]]))
    return written


def _opens_a_real_notebook(path: Path, notebook: str) -> bool:
    return (ROOT / notebook).is_file() or notebook in _written_by_notebook_commands(path)


def test_the_notebooks_the_docs_open_exist():
    opened = [
        (path, words[2])
        for path in DOCS
        for words in _commands(path)
        if words[:2] == ["jupyter", "lab"]
    ]
    assert opened
    for path, notebook in opened:
        assert _opens_a_real_notebook(path, notebook), (path.name, notebook)


#: The walk-through's steps, in order (the first two words of each command).
WALK_THROUGH = [
    ["python3", "-m"],
    ["service-toolkit", "init"],
    ["service-toolkit", "templates"],
    ["cp", "blank/customers.csv"],
    ["service-toolkit", "import"],
    ["cp", "blank/assumed-needs.csv"],
    ["service-toolkit", "import"],
    ["service-toolkit", "import"],
    ["service-toolkit", "import"],
    ["service-toolkit", "import"],
    ["service-toolkit", "status"],
    ["service-toolkit", "table"],
    ["service-toolkit", "table"],
    ["service-toolkit", "report"],
    ["service-toolkit", "notebook"],
    ["jupyter", "lab"],
]


def _walk_through() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From your first survey file to a client report", 1)[1]
    section = section.split("\n## ", 1)[0]
    steps = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        steps += [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    return steps


#: What a person types into the templates before importing them: a few rows each.
FILLED = {
    "customers.csv": [
        {
            "customer_id": "residents",
            "name": "Residents",
            "kind": "external",
            "segment": "Residents",
            "mission_alignment": "5",
            "clout": "3",
        },
        {
            "customer_id": "students",
            "name": "Students",
            "kind": "external",
            "segment": "Students",
            "mission_alignment": "4",
            "clout": "2",
        },
        {
            "customer_id": "partners",
            "name": "Partner agencies",
            "kind": "external",
            "segment": "Partner agencies",
            "mission_alignment": "3",
            "clout": "4",
        },
        {
            "customer_id": "board",
            "name": "Board",
            "kind": "internal",
            "segment": "Board",
            "mission_alignment": "5",
            "clout": "5",
        },
    ],
    "assumed-needs.csv": [
        {"staff": f"staff-{i}", "segment": segment, "need": need}
        for i in range(8)
        for segment, need in (("Residents", "Food pantry access"), ("Students", "Help with rent"))
    ],
}


def _fill(template: Path, target: Path) -> None:
    import csv

    header = template.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for row in FILLED[target.name]:
            writer.writerow({name: row.get(name, "") for name in header})


def _google_form(path: Path, rows: int = 120) -> None:
    """A Google Form's "Download responses (.csv)", as the walk-through's map reads it."""
    import csv
    import random

    pick = random.Random(20)
    head = [
        "Timestamp",
        "Email Address",
        "How satisfied are you with our service overall?",
        "How likely is it that you would recommend us to a friend or colleague?",
        "Which of these describes you?",
        "What do you need most? (Select all that apply)",
        "Anything else you would like to tell us?",
    ]
    answers = [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(head)
        for i in range(rows):
            needs = pick.sample(["Milk", "Fresh produce", "Help with rent"], k=pick.randint(1, 2))
            if i % 11 == 0:
                needs.append("Diapers, wipes and formula")
            month = 1 + 3 * (i * 4 // rows)
            writer.writerow(
                [
                    f"2024/{month:02d}/{1 + i % 27:02d} 9:15:02 AM GMT-7",
                    f"p{i}@example.org",
                    pick.choice(answers),
                    str(pick.randint(0, 10)),
                    pick.choice(["Residents", "Residents", "Students", "Partner agencies"]),
                    ";".join(needs),
                    "",
                ]
            )


@pytest.mark.slow
def test_the_walk_through_runs_from_an_empty_folder(tmp_path):
    """The README's walk-through, run for real in an empty folder outside the repository."""
    import json

    steps = _walk_through()
    assert [w[:2] for w in steps] == WALK_THROUGH
    assert steps[0][:4] == ["python3", "-m", "venv", ".venv"]  # the virtual environment line
    _google_form(tmp_path / "form.csv")  # "Download your survey tool's export"
    for words in steps[1:]:
        if words[0] == "cp":  # "fill it in, in any spreadsheet program"
            _fill(tmp_path / words[1], tmp_path / words[2])
            continue
        if words[0] == "jupyter":  # the notebook the step before copied out is there
            assert (tmp_path / words[2]).is_file()
            continue
        done = subprocess.run(
            [sys.executable, "-m", "toolkit.cli", *words[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (words, done.stderr)
        assert "Traceback" not in done.stderr
    reports = tmp_path / "riverside" / "reports"
    (run,) = [json.loads(p.read_text(encoding="utf-8")) for p in reports.glob("*/run.json")]
    assert run["status"] == "ok" and run["skipped"] == []
    names = ["needs-gap", "customer-map", "satisfaction", "you-said-we-did"]
    assert [r["name"] for r in run["results"]] == names
    for result in run["results"]:
        page = (reports / result["html"]).read_text(encoding="utf-8")
        if result["name"] == "you-said-we-did":  # the page for customers: needs and actions
            assert 'class="ysd-need"' in page
        else:
            assert 'id="What-we-found"' in page and "<li>" in page
        # the walk-through asks for every format: a PDF and slides beside each report
        for fmt in ("pdf", "pptx"):
            assert (reports / result[fmt]).stat().st_size > 0, (result["name"], fmt)


def _cited_tests() -> list:
    """Every ``tests/FILE.py::TEST`` the docs cite as holding a promise."""
    return [
        pytest.param(path, test, id=f"{path.name}: {test}")
        for path in DOCS
        for test in re.findall(r"`(tests/[\w/]+\.py::\w+)`", path.read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize(("path", "test"), _cited_tests())
def test_every_test_the_docs_cite_exists(path, test):
    """docs/security.md says which test holds each promise: each such test is real."""
    file, name = test.split("::")
    source = (ROOT / file).read_text(encoding="utf-8")
    assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path.name} cites {test}"


def test_the_security_page_cites_its_tests():
    assert len([p for p in _cited_tests() if p.values[0].name == "security.md"]) >= 30


def test_the_statistics_page_cites_its_tests():
    assert len([p for p in _cited_tests() if p.values[0].name == "statistics.md"]) >= 40


# Files the closing-the-loop page imports, as a planner would fill them in.
_LOOP_FILES = {
    "actions.csv": (
        "action_id,code,segment,action,owner,status,starts_on,event\n"
        "A8,childcare,Residents,Drop-in childcare during appointments,Intake coordinator,"
        "under way,2025-05-05,Childcare during appointments\n"
    ),
    "outreach.csv": (
        "held_on,channel,segment,invited,responses,language,wave\n"
        "2025-05-12,paper,Business owners,40,11,English,2025 spring\n"
    ),
}


def test_closing_the_loop_runs_as_written(tmp_path):
    """docs/closing-the-loop.md: every command, in order, on the neighbourhood demo."""
    from click.testing import CliRunner

    from toolkit.cli import main

    page = ROOT / "docs" / "closing-the-loop.md"
    steps = [w for w in _commands(page) if w[0] == "service-toolkit"]
    assert [w[1] for w in steps[:3]] == ["init", "import", "export"]
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        for name, text in _LOOP_FILES.items():
            (Path(here) / name).write_text(text, encoding="utf-8")
        for words in steps:
            result = runner.invoke(main, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, (words, result.output, result.stderr)
            assert "Traceback" not in result.output + result.stderr
        from toolkit.store import Engagement

        riverside = Engagement.open(Path(here) / "riverside")
        assert "Childcare during appointments" in set(riverside.events["label"])
        assert (Path(here) / "participation.xlsx").stat().st_size > 0
        assert set(riverside.weighting_schemes()["name"]) == {"post-stratify-segment"}


def _section(page: Path, title: str) -> str:
    text = page.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


@pytest.mark.slow
def test_serving_forms_to_a_team_runs_as_written(tmp_path):
    """docs/team.md, "Serving forms to a team": every line of its bash blocks, in order,
    run by bash in an empty folder with a new engagement; each `forms` server runs until
    it prints its address, then Ctrl-C. Only a `--port` is changed, to a free one."""
    import json
    import os
    import signal
    import time

    from toolkit.store import Engagement

    section = _section(ROOT / "docs" / "team.md", "Serving forms to a team")
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", section, re.S)
        for line in block.replace("\\\n", " ").splitlines()
        if shlex.split(line, comments=True)
    ]
    assert any("--password-stdin" in line for line in lines)
    assert sum(" forms " in line for line in lines) == 2
    shim = tmp_path / "bin" / "service-toolkit"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m toolkit.cli "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PASSWORD": "a password for li",
    }
    here = tmp_path / "work"
    here.mkdir()
    Engagement.init(here / "riverside", name="riverside")
    typed = "correct horse battery\ncorrect horse battery\n"  # at a password prompt, twice

    for line in lines:
        if " status " in line:  # something to count: an entry Maria saved in the forms
            Engagement.open(here / "riverside").save_entry(
                "events", {"label": "Open day", "starts_on": "2026-03-07"}, saved_by="maria.lopez"
            )
        if line.startswith("service-toolkit forms "):
            command = re.sub(r"--port \d+", f"--port {free_port()}", line)
            log = tmp_path / "forms.log"
            with log.open("w") as out:
                server = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    cwd=here,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            deadline = time.monotonic() + 180
            while "Forms for" not in log.read_text():
                assert server.poll() is None, (line, log.read_text())
                assert time.monotonic() < deadline, (line, log.read_text())
                time.sleep(0.3)
            server.send_signal(signal.SIGINT)
            try:
                assert server.wait(timeout=60) == 0, (line, log.read_text())
            finally:
                if server.poll() is None:
                    os.killpg(server.pid, signal.SIGKILL)
            continue
        done = subprocess.run(
            ["bash", "-c", line], cwd=here, env=env, input=typed, capture_output=True, text=True
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr
        if line.startswith("service-toolkit status riverside --json"):
            assert json.loads(done.stdout)["saved_by"][0]["person"] == "maria.lopez"
        elif line.startswith("service-toolkit status"):
            assert "Saved in the forms, by person:" in done.stdout
    riverside = Engagement.open(here / "riverside")
    assert [p["name"] for p in riverside.planners()] == ["maria.lopez"]  # li.wei removed


#: The database docs/team.md names; the test runs its commands against the test server.
_DOCS_STORE = "postgresql://planner@db.example.org/toolkit"


class _Section:
    """Text standing in for a page (what :func:`_blocks` reads)."""

    def __init__(self, text: str):
        self.text = text

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.text


def test_moving_an_engagement_to_postgresql_runs_as_written(tmp_path):
    """docs/team.md, "Moving an engagement to PostgreSQL": every command, in order, on a
    database of its own on the test server (skipped without one; a failure under CI=true).
    """
    from click.testing import CliRunner

    from tests._postgres import postgres_url
    from toolkit.cli import main

    url = postgres_url()
    section = _Section(_section(ROOT / "docs" / "team.md", "Moving an engagement to PostgreSQL"))
    steps = [w for w in _commands(section) if w[0] == "service-toolkit"]
    assert [w[1] for w in steps] == ["init", "copy-store", "status", "imports"] + [
        "init",
        "status",
        "copy-store",
        "status",
    ]
    assert all(_DOCS_STORE in w for w in steps if "--store" in w)
    import psycopg

    database = "docs_" + tmp_path.name.lower().replace("-", "_")[-40:]
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{database}"')
    own = url.rsplit("/", 1)[0] + "/" + database
    runner = CliRunner()
    try:
        with runner.isolated_filesystem(temp_dir=tmp_path) as here:
            for words in steps:
                args = [own if w == _DOCS_STORE else w for w in words[1:]]
                result = runner.invoke(main, args, catch_exceptions=False)
                assert result.exit_code == 0, (words, result.output, result.stderr)
                assert "Traceback" not in result.output + result.stderr
            from toolkit.store import Engagement

            team = Engagement.open(Path(here) / "riverside-team")
            assert team.status()["store"].endswith("(schema riverside_team)")
            local, archive = (
                Engagement.open(Path(here) / n) for n in ("riverside", "riverside-archive")
            )
            assert local.status()["tables"] == archive.status()["tables"] == team.status()["tables"]
            assert Engagement.open(Path(here) / "harbour").status()["tables"]["codebook"] > 0
            team.close()
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _section_steps(page: Path, title: str) -> list[list[str]]:
    """Each command of one ``## title`` section's bash blocks, as words."""
    text = _section(page, title)
    steps = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        steps += [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    return steps


#: The cluster section's steps, in order (the first two words of each command).
CLUSTER_STEPS = [
    ["pip", "install"],
    ["openssl", "req"],
    ["dask", "scheduler"],
    ["dask", "worker"],
    ["export", "DASK_DISTRIBUTED__COMM__TLS__CA_FILE=$PWD/cluster.pem"],
    ["export", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT=$PWD/cluster.pem"],
    ["export", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY=$PWD/cluster-key.pem"],
    ["service-toolkit", "init"],
    ["service-toolkit", "report"],
]


@pytest.mark.slow
def test_the_cluster_batch_runs_as_written(tmp_path):
    """docs/team.md, Report batches on a cluster: every step, on this machine.

    ``scheduler.example.org:8786`` stands for a free loopback port; the scheduler and the
    workers run in the background until the end, and are stopped (with everything they
    started) whatever happens.
    """
    import json
    import os
    import signal
    import tomllib

    if os.environ.get("CI") != "true":  # CI installs the [cluster] extra: never skipped there
        pytest.importorskip(
            "distributed", reason='needs the [cluster] extra: pip install -e ".[cluster]"'
        )
    steps = _section_steps(ROOT / "docs" / "team.md", "Report batches on a cluster")
    assert [w[:2] for w in steps] == CLUSTER_STEPS
    port = free_port()
    here = f"127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    background = []

    def words_here(words):
        out = []
        for w in words:
            w = w.replace("scheduler.example.org:8786", here).replace("$PWD", str(tmp_path))
            out.append(str(port) if out and out[-1] == "--port" else w)
        return out

    try:
        for words in steps:
            words = words_here(words)
            if words[0] == "pip":  # the extra it installs is the package's
                extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                assert words[2] == "service-strategy-toolkit[cluster]"
                assert "cluster" in extras["project"]["optional-dependencies"]
            elif words[0] == "export":
                name, value = words[1].split("=", 1)
                env[name] = value
            elif words[0] == "dask":
                extra = ["--host", "127.0.0.1"]  # this machine's loopback stands for the network
                background.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "dask", *words[1:], *extra],
                        cwd=tmp_path,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                )
                if words[1] == "scheduler":
                    _wait_for_port(port)
                else:
                    _wait_for_workers(here, tmp_path, 1)
            else:
                command = (
                    [sys.executable, "-m", "toolkit.cli", *words[1:]]
                    if words[0] == "service-toolkit"
                    else words
                )
                done = subprocess.run(
                    command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
                )
                assert done.returncode == 0, (words, done.stdout, done.stderr)
                assert "Traceback" not in done.stderr
    finally:
        for process in background[::-1]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in background[::-1]:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    (run,) = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (tmp_path / "university" / "reports").glob("*/run.json")
    ]
    assert run["status"] == "ok"
    assert sorted(r["value"] for r in run["results"]) == ["Ashford", "Summit"]
    for r in run["results"]:
        assert (tmp_path / "university" / "reports" / r["html"]).stat().st_size > 0


def _wait_for_port(port: int, seconds: float = 120) -> None:
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.5)
    raise AssertionError(f"the scheduler did not listen on port {port}")


def _wait_for_workers(address: str, folder: Path, n: int) -> None:
    from distributed import Client, Security

    cert, key = str(folder / "cluster.pem"), str(folder / "cluster-key.pem")
    security = Security(
        tls_ca_file=cert, tls_client_cert=cert, tls_client_key=key, require_encryption=True
    )
    with Client(f"tls://{address}", security=security, timeout=120) as client:
        client.wait_for_workers(n, timeout=180)
