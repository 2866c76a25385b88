"""`service-toolkit templates DIR` and `service-toolkit notebook NAME [DIR]`: working anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from toolkit._resources import resource_dir
from toolkit.cli import main
from toolkit.store import Engagement
from toolkit.templates import NOTEBOOKS

from ._notebooks import execute, opening


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_templates_copies_every_blank_template_and_guide(tmp_path):
    result = invoke("templates", tmp_path / "blank")
    assert result.exit_code == 0, result.output
    shipped = resource_dir("templates")
    for name in (
        "customers.csv",
        "stated-needs.csv",
        "service-toolkit-templates.xlsx",
        "data-dictionary.md",
        "README.md",
        "guides/interview-guide.md",
        "maps/google-forms-needs.toml",
        "starter-codebook-neighbourhood.csv",
    ):
        copied = tmp_path / "blank" / name
        assert copied.read_bytes() == (shipped / name).read_bytes(), name
    # Not the report's HTML template or Voilà's: nothing a person fills in.
    assert not (tmp_path / "blank" / "report").exists()
    assert not (tmp_path / "blank" / "jupyter").exists()
    assert result.stdout.startswith("Copied ")


def test_templates_never_replaces_a_file_without_force(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "customers.csv").write_text("my own data\n", encoding="utf-8")
    result = invoke("templates", folder)
    assert result.exit_code == 1
    assert "customers.csv" in result.stderr and "--force" in result.stderr
    assert (folder / "customers.csv").read_text(encoding="utf-8") == "my own data\n"
    assert not (folder / "codebook.csv").exists()  # refused before anything was copied
    assert invoke("templates", folder, "--force").exit_code == 0
    assert (folder / "customers.csv").read_text(encoding="utf-8").startswith("customer_id")


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    from toolkit.demo import init_demo

    return init_demo(tmp_path_factory.mktemp("copy") / "riverside", "neighbourhood")


def _engagement_parameter(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return next(line for line in cell.source.splitlines() if line.startswith("engagement:"))


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_copies_a_notebook_into_the_engagement_with_it_set(eng, name):
    result = invoke("notebook", name, eng.path, "--force")
    assert result.exit_code == 0, result.output
    path = eng.path / NOTEBOOKS[name]
    line = _engagement_parameter(path)
    assert line.startswith(f"engagement: str = {json.dumps(str(eng.path.resolve()))}")
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_notebook_elsewhere_needs_the_engagement(eng, tmp_path):
    result = invoke("notebook", "satisfaction", tmp_path / "work")
    assert result.exit_code == 1
    assert "--engagement" in result.stderr
    result = invoke("notebook", "satisfaction", tmp_path / "work", "--engagement", eng.path)
    assert result.exit_code == 0, result.output
    assert str(eng.path.resolve()) in _engagement_parameter(
        tmp_path / "work" / "satisfaction.ipynb"
    )
    again = invoke("notebook", "satisfaction", tmp_path / "work", "--engagement", eng.path)
    assert again.exit_code == 1 and "--force" in again.stderr
    wrong = invoke("notebook", "budget", tmp_path / "work", "--engagement", eng.path)
    assert (
        wrong.exit_code == 1
        and "customer-map, satisfaction, you-said-we-did, forms" in wrong.stderr
    )


def test_a_copied_notebook_runs_from_another_folder(eng, tmp_path):
    invoke("notebook", "needs-gap", tmp_path, "--engagement", eng.path)
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    done = execute(tmp_path / "needs_gap.ipynb", str(elsewhere), str(tmp_path / "out.ipynb"), {})
    assert "error" not in done, done
    line, findings, _ = opening(nbformat.read(done["path"], as_version=4))
    assert Engagement.open(eng.path).name in line and findings
