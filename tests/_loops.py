"""Running a coroutine from a test, whatever loop the test's thread holds."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_apart(coroutine):
    """``asyncio.run(coroutine)`` in a thread of its own, and its result.

    In the full run a browser test earlier in the session (Playwright) holds the main
    thread's event loop, and ``asyncio.run`` refuses to start another there.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    """A loopback port nothing listens on now (for a test's own server)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
