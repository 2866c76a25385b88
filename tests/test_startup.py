"""Importing the toolkit has no side effects; the processes it starts set themselves up.

See :mod:`toolkit._startup`: ``rfc3987_syntax`` is marked absent (saving ~1.3 s of every
``import altair``) only in the CLI, the report kernels and the forms kernels.
"""

import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from toolkit._startup import KEEP_RFC3987_ENV
from toolkit.reports.kernels import KernelForkServer, fork_server_available

PROBE = "import sys; print(repr(sys.modules.get('rfc3987_syntax', 'absent')))"


def _python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != KEEP_RFC3987_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_toolkit_changes_no_other_package():
    code = (
        "import sys; before = set(sys.modules)\n"
        "import toolkit, toolkit.store, toolkit.catalog, toolkit.charts, toolkit.reports\n"
        "assert 'rfc3987_syntax' not in sys.modules, 'import toolkit marked rfc3987_syntax'\n"
        "blocked = [n for n, m in sys.modules.items() if m is None and n not in before]\n"
        "assert not blocked, blocked\n"
        "print('clean')"
    )
    assert _python(code) == "clean"


def test_the_startup_call_marks_rfc3987_absent_unless_kept():
    code = (
        f"from toolkit._startup import skip_unused_rfc3987; print(skip_unused_rfc3987()); {PROBE}"
    )
    assert _python(code).splitlines() == ["True", "None"]
    assert _python(code, **{KEEP_RFC3987_ENV: "1"}).splitlines()[0] == "False"


def test_the_cli_process_skips_rfc3987():
    code = (
        "import sys\n"
        "from toolkit.cli import main\n"
        "try:\n    main(['table', '--help'], standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print(repr(sys.modules.get('rfc3987_syntax', 'absent')))"
    )
    assert _python(code).splitlines()[-1] == "None"


@pytest.mark.skipif(not fork_server_available(), reason="report kernels are forked on POSIX only")
def test_a_report_kernel_starts_without_rfc3987(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    with KernelForkServer() as server:
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_manager_class=server.manager_class(),
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    (output,) = nb.cells[0].outputs
    assert output["text"].strip() == "None"


def test_a_forms_kernel_skips_rfc3987_and_a_users_kernel_does_not(tmp_path):
    from toolkit.forms.serve import ENGAGEMENT_ENV
    from toolkit.store import Engagement

    folder = Engagement.init(tmp_path / "eng", name="Forms").path
    code = f"from toolkit.forms import forms_app; forms_app({str(folder)!r}); {PROBE}"
    # service-toolkit forms starts Voilà with the engagement in the environment
    assert _python(code, **{ENGAGEMENT_ENV: str(folder)}).splitlines()[-1] == "None"
    # the same call in someone's own notebook leaves their packages alone
    assert _python(code).splitlines()[-1] != "None"
