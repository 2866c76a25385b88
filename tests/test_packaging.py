"""The wheel carries notebooks/ and templates/, so a plain `pip install .` can run every command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_ships_templates_notebooks_and_the_command(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("service_strategy_toolkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*"):
        if template.is_file():
            assert f"toolkit/_shipped/templates/{template.relative_to(ROOT / 'templates')}" in names
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"toolkit/_shipped/notebooks/{notebook.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "service-toolkit = toolkit.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_resources_are_found_from_a_source_tree():
    from toolkit._resources import resource_dir

    assert (resource_dir("templates") / "starter-codebook-neighbourhood.csv").is_file()
