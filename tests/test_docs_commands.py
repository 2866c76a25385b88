"""Every command the README and docs/ show works as written.

Each test a page cites as holding a promise (``tests/FILE.py::TEST``) exists. Each
``service-toolkit`` and ``papermill`` line in a ```bash block is parsed by the real
command-line interface (a renamed command, option or choice fails here); each ``make``
target named exists; the README's Quick start is run for real, step by step.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

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
    assert _parse_papermill.params["notebook_path"].endswith(".ipynb")
    assert (ROOT / _parse_papermill.params["notebook_path"]).is_file()


def test_every_documented_make_target_exists():
    targets = {words[1] for path in DOCS for words in _commands(path) if words[0] == "make"}
    assert targets >= {"demo", "test"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


def test_the_notebooks_the_docs_open_exist():
    opened = [
        words[2] for path in DOCS for words in _commands(path) if words[:2] == ["jupyter", "lab"]
    ]
    assert opened
    for notebook in opened:
        assert (ROOT / notebook).is_file(), notebook


def _quick_start() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```bash\n(.*?)```", section, re.S)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_the_quick_start_runs_as_written(tmp_path):
    steps = _quick_start()
    assert [w[:2] for w in steps] == [
        ["service-toolkit", "init"],
        ["cp", "templates/customers.csv"],
        ["service-toolkit", "import"],
        ["service-toolkit", "status"],
        ["service-toolkit", "export"],
    ]
    for words in steps:
        if words[0] == "cp":
            # "fill it in": the template's header row plus one customer.
            header = (ROOT / words[1]).read_text(encoding="utf-8-sig").splitlines()[0]
            row = {"customer_id": "residents", "name": "Residents", "kind": "external"}
            cells = [row.get(name, "") for name in header.split(",")]
            (tmp_path / words[2]).write_text(f"{header}\n{','.join(cells)}\n", encoding="utf-8")
            continue
        done = subprocess.run(
            [sys.executable, "-m", "toolkit.cli", *words[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (words, done.stderr)
        assert "Traceback" not in done.stderr
    from toolkit.store import Engagement

    customers = Engagement.open(tmp_path / "riverside").customers
    assert customers["customer_id"].tolist() == ["residents"]
    assert (tmp_path / "customers.xlsx").stat().st_size > 0


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
