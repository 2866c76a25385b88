"""Driving a notebook in JupyterLab from Playwright."""

from __future__ import annotations

from playwright.sync_api import expect

CHART = '[aria-roledescription="visualization"]'

KERNEL_IDLE = """() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  return panel?.sessionContext?.session?.kernel?.status === "idle";
}"""


def wait_for_idle_kernel(page, timeout_ms: int) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms)


def run_all_cells(page, server, timeout_ms: int) -> None:
    """Open the server's notebook, wait for its kernel, and run every cell."""
    page.goto(f"{server.url}/lab/tree/{server.notebook}")
    wait_for_idle_kernel(page, timeout_ms)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def run_notebook(page, server, timeout_ms: int, *, charts: int, drawn=()) -> None:
    """Run every cell; wait for ``charts`` charts, then check each chart whose label starts
    with a text in ``drawn`` has marks, the kernel is idle, and no cell wrote an error."""
    run_all_cells(page, server, timeout_ms)
    expect(page.locator(CHART).nth(charts - 1)).to_be_visible(timeout=3 * timeout_ms)
    wait_for_idle_kernel(page, timeout_ms)
    for start in drawn:
        # An entry may be a tuple of labels, any of which will do (the chart a rule picks).
        starts = start if isinstance(start, tuple) else (start,)
        chart = page.locator(", ".join(f'{CHART}[aria-label^="{s}"]' for s in starts)).first
        expect(chart).to_be_visible()
        expect(chart.locator("svg.marks, canvas").first).to_be_visible()
    stderr = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    expect(page.locator(stderr)).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
