"""Driving a notebook in JupyterLab from Playwright."""

from __future__ import annotations

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
