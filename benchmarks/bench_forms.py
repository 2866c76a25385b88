"""Planner forms benchmarks, timed in Chromium against ``service-toolkit forms``.

The server is started the way a planner starts it (``service-toolkit forms ENG
--no-browser --max-pages 12``: the benchmark opens more pages than the default cap of 4
in a row) on an engagement holding 100,000 stated needs, and stopped with Ctrl-C at
the end; every process it started is checked gone (:func:`_stop_server`).

- **Save**, on the "What customers told us" tab, 20 saves or more (``--quick``: 8): from
  the click on Save (the browser's click event) until

  - *shown*: the new entry is in the tab's list of saved entries (goal p95 ≤ 100 ms);
  - *ready*: the form has taken the next entry typed at once. Right after the click the
    planner types a new date into the Date field (kept from one entry to the next); the
    kernel handles that keystroke only once the Save callback and every refresh it set
    off have finished, and then shows the date in words beside the field ("= Fri 8 March
    2024"). Ready is when that echo appears, or the entry shows if later (goal p95 ≤ 150 ms).

  Both moments are taken in the page (``performance.now()`` in a MutationObserver), so
  the browser's automation adds nothing. The CPU milliseconds per Save in the browser and
  in the server with its kernel are printed beside them (steadier than wall time on a
  busy machine).
- **"Code the needs", first open**: in a fresh page (three of them), from the press on
  the tab until its first waiting statement shows (goal: the slowest ≤ 1 s, no tab
  blank for more than a second).
- **Three planners opening at once**: three pages opened together, each in a browser of
  its own, each timed from its navigation until its first tab takes typing (a date typed
  into the Date field is echoed by its kernel), against one planner opening the page alone
  on the same server with the same browser treatment, in interleaved rounds (median of
  five): goal ≤ 1.5×. Two cases, each printed:

  - *first visit*: three Chromium processes, a new context (empty cache) for each
    opening, as three people's browsers meeting the page for the first time;
  - *returning*: each planner's own Chromium profile on disk (never shared between
    planners), from two earlier visits (the HTTP cache, and V8's cache of compiled
    scripts, which Chromium writes on a script's second load), the browser started afresh
    before each opening: a planner's browser on a Monday morning.

  Before each opening the server's pool of warm kernels is full again
  (:func:`_wait_warm`; pages are left the way a closed tab leaves them, so their kernels
  are shut down). The CPU seconds one page costs (its browser's and the server's) are
  printed beside each figure, with the least ratio they allow on this machine's cores.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import Pair, absolute, figure, load
from toolkit.forms.serve import WARM_PAGES

ROOT = Path(__file__).resolve().parents[1]
LOAD_MS = 120_000
#: Pages this benchmark opens, one after another and three at once (a closed page's
#: kernel may still count for a moment against the server's default cap of 4).
MAX_PAGES = 12
SHOTS = Path(tempfile.gettempdir()) / "shots-speed"
STATED = ".tk-form-stated"
FIRST = ".tk-form-assumed"  # the first tab, shown when the page opens
DATES = ("2024-03-07", "2024-03-08")
ECHOES = ("= Thu 7 March 2024", "= Fri 8 March 2024")

_WATCH = """([form, need, echo]) => {
  const root = document.querySelector(form);
  const save = [...root.querySelectorAll("button")].find(b => b.textContent.trim() === "Save");
  const mark = window.__tkBench = {click: null, shown: null, ready: null};
  save.addEventListener("click", () => { mark.click = performance.now(); }, {capture: true, once: true});
  const check = () => {
    if (mark.click === null) return;
    const now = performance.now();
    const list = root.querySelector("table.tk-entries");
    if (mark.shown === null && list && list.textContent.includes(need)) mark.shown = now;
    if (mark.ready === null && root.textContent.includes(echo)) mark.ready = now;
    if (mark.shown !== null && mark.ready !== null) watcher.disconnect();
  };
  const watcher = new MutationObserver(check);
  watcher.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
}"""

CODING_CARD = ".tk-form-coding .tk-card"
_WATCH_TAB = """(card) => {
  const tab = [...document.querySelectorAll("[role=tab]")]
    .find(t => t.textContent.trim() === "Code the needs");
  const mark = window.__tkTab = {click: null, content: null, shown: null};
  tab.addEventListener("pointerdown", () => { mark.click = performance.now(); },
    {capture: true, once: true});
  const check = () => {
    if (mark.click === null) return;
    const tab = document.querySelector(".tk-form-coding");
    if (mark.content === null && tab && tab.offsetParent !== null) mark.content = performance.now();
    const shown = document.querySelector(card);
    if (shown && shown.offsetParent !== null) {
      mark.shown = performance.now();
      watcher.disconnect();
    }
  };
  const watcher = new MutationObserver(check);
  watcher.observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def _engagement(folder: Path, rows: int) -> Path:
    from toolkit.store import Engagement

    engagement = Engagement.init(folder / "eng", name="bench")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(rows)],
            "segment": rng.choice(["Residents", "Owners", "Agencies"], rows),
            "method": "survey",
            "need": rng.choice(["More milk", "Evening hours", "Bus pass", "Help with forms"], rows),
            "importance": rng.integers(1, 6, rows),
        }
    )
    engagement.import_frame(frame, table="stated_needs", source="bench")
    return engagement.path


# ----------------------------------------------------------------------------- server


def _start_server(engagement: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``service-toolkit forms ENG --no-browser``; returns the process and the address."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "toolkit.cli", "forms", str(engagement), "--no-browser"),
                *("--max-pages", str(MAX_PAGES)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while not (found := re.search(r"at (http://127\.0\.0\.1:\d+/\?token=\S+)", log.read_text())):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_server(process)
            raise RuntimeError(f"service-toolkit forms did not start:\n{log.read_text()}")
        time.sleep(0.3)
    return process, found.group(1)


def _children() -> dict[int, int]:
    """Every process's parent, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents = _children()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, of in parents.items():
            if of == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_server(process: subprocess.Popen) -> None:
    """Ctrl-C, as a planner stops it; then check Voilà and every kernel are gone."""
    started = _descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 30
    while (left := [p for p in started if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:  # should not happen: say so, and leave nothing behind
        print(f"forms benchmark: process {pid} outlived the server; stopping it", file=sys.stderr)
        os.kill(pid, signal.SIGKILL)
    if left:
        raise RuntimeError(f"the forms server left processes running: {sorted(left)}")


# ----------------------------------------------------------------------------- browser


def _chromium() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


async def _leave(page) -> None:
    """Leave the page as a planner closing its tab does: Voilà's page tells the server
    (``beforeunload``), which shuts its kernel down; the draft warning is accepted.
    """
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    try:
        await page.goto("about:blank", timeout=LOAD_MS)
    except Exception:  # the page is gone already: the culler stops its kernel later
        pass


async def _timed_open(page, url: str) -> float:
    """Seconds from navigation until the first tab's Date field is echoed by the kernel."""
    try:
        start = time.perf_counter()
        await page.goto(url, timeout=LOAD_MS)
        form = page.locator(FIRST)
        await form.get_by_label("Date").fill(DATES[1], timeout=LOAD_MS)
        await form.get_by_text(ECHOES[1]).wait_for(timeout=LOAD_MS)
        return time.perf_counter() - start
    except Exception:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"interactive-failed-{time.time_ns()}.png"))
        raise
    finally:
        await _leave(page)


async def _interactive(browser, url: str) -> float:
    """Seconds until the page takes typing (:func:`_timed_open`), in a new browser context:
    its own cache and storage, as a planner's own browser opening the page for the first
    time.
    """
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        return await _timed_open(await context.new_page(), url)
    finally:
        await context.close()


class _NewPlanner:
    """A planner opening the page for the first time: a browser of their own (started
    once), a new context (empty cache) for each opening.
    """

    def __init__(self, browser, pid: int):
        self.browser, self.pid = browser, pid

    async def start(self, p) -> None:
        pass

    async def open(self, url: str) -> tuple[float, float]:
        """Seconds until the page takes typing, and the browser's CPU seconds meanwhile."""
        cpu = _tree_cpu(self.pid)
        wall = await _interactive(self.browser, url)
        return wall, _tree_cpu(self.pid) - cpu


class _ReturningPlanner:
    """A planner who has opened the page before, starting their browser on a Monday
    morning: a Chromium profile of their own on disk (never shared with another
    planner), holding the HTTP cache and V8's code cache of earlier visits, and a browser
    process started afresh for each opening (nothing kept in memory).
    """

    def __init__(self, profile: Path):
        self.profile, self.context, self.pid = profile, None, os.getpid()

    async def start(self, p) -> None:
        """Start the planner's browser (not timed: before the opening)."""
        before = set(_descendants(os.getpid()))
        self.context = await p.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=_chromium(),
            args=["--no-sandbox"],
            viewport={"width": 1366, "height": 768},
        )
        self.pid = _main_chromium(set(_descendants(os.getpid())) - before) or os.getpid()

    async def open(self, url: str) -> tuple[float, float]:
        cpu = _tree_cpu(self.pid)
        try:
            page = self.context.pages[0] if self.context.pages else await self.context.new_page()
            wall = await _timed_open(page, url)
            return wall, _tree_cpu(self.pid) - cpu
        finally:
            await self.context.close()
            self.context = None

    async def visit(self, p, url: str) -> None:
        """An earlier visit, filling the profile's caches."""
        await self.start(p)
        await self.open(url)


# ----------------------------------------------------------------------------- CPU, kernels


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes so far, with their children that
    ended (a closed page's renderer, a shut-down kernel: counted in their parent's).
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / tick


def _kernels(server: int) -> list[int]:
    return [p for p in _descendants(server) if "ipykernel" in _cmdline(p)]


def _tree_cpu(root: int) -> float:
    return _cpu_seconds({root, *_descendants(root)})


async def _wait_warm(server: int, size: int, limit: float = 300.0) -> bool:
    """Wait until the server's pool holds ``size`` warm kernels and nothing else runs:
    exactly ``size`` kernels (the pages left have had theirs shut down), each past its
    start (a second of CPU or more), none using CPU for three seconds (ready, waiting
    for a page). False when that did not happen within ``limit`` seconds.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        kernels = _kernels(server)
        started = all(_cpu_seconds([k]) >= 1.0 for k in kernels)
        if len(kernels) == size and started:
            before = _cpu_seconds(kernels)
            await asyncio.sleep(3)
            if _kernels(server) == kernels and _cpu_seconds(kernels) - before < 0.1:
                return True
        else:
            await asyncio.sleep(1)
    return False


async def _saves(browser, url: str, count: int, pids: tuple[int, int]) -> tuple:
    """Times of ``count`` saves (shown, ready), and their CPU milliseconds per Save in the
    browser and in the server with its kernels (``pids``: the browser's, the server's;
    typing the next entry included).
    """
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    shown, ready = [], []
    cpu = {}
    try:
        await page.goto(url, timeout=LOAD_MS)
        await page.get_by_role("tab", name="What customers told us").click(timeout=LOAD_MS)
        form = page.locator(STATED)
        date = form.get_by_label("Date")
        await form.get_by_label("Customer group").fill("Residents", timeout=LOAD_MS)
        await date.fill(DATES[0])
        await form.get_by_text(ECHOES[0]).wait_for(timeout=LOAD_MS)
        save = form.locator("button").filter(has_text=re.compile(r"^\s*Save\s*$"))
        for i in range(count + 2):  # the first two warm the page up
            if i == 2:
                cpu = {"browser_ms": _tree_cpu(pids[0]), "server_ms": _tree_cpu(pids[1])}
            need = f"Bench need {i} {time.time_ns()}"
            await form.get_by_label("Need they named").fill(need)
            await page.wait_for_function(
                "(s) => { const b = [...document.querySelector(s).querySelectorAll('button')]"
                ".find(b => b.textContent.trim() === 'Save'); return b && !b.disabled; }",
                arg=STATED,
                timeout=LOAD_MS,
            )
            nxt = (i + 1) % 2
            await page.evaluate(_WATCH, [STATED, need, ECHOES[nxt]])
            await save.click()
            await date.fill(DATES[nxt])  # the next entry, typed at once
            await page.wait_for_function(
                "() => window.__tkBench.shown !== null && window.__tkBench.ready !== null",
                timeout=LOAD_MS,
            )
            mark = await page.evaluate("window.__tkBench")
            if i >= 2:
                shown.append((mark["shown"] - mark["click"]) / 1000)
                ready.append((max(mark["ready"], mark["shown"]) - mark["click"]) / 1000)
        cpu = {
            "browser_ms": (_tree_cpu(pids[0]) - cpu["browser_ms"]) * 1000 / count,
            "server_ms": (_tree_cpu(pids[1]) - cpu["server_ms"]) * 1000 / count,
        }
    finally:
        await _leave(page)
        await context.close()
    return shown, ready, cpu


async def _coding_opens(browser, url: str, count: int) -> list[tuple[float, float]]:
    """Seconds from the click on the "Code the needs" tab, opened for the first time in a
    fresh page, until the tab's content shows (not blank) and until its first waiting
    statement shows (goal: no tab blank for more than a second), ``count`` times.
    """
    times = []
    for _ in range(count):
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        try:
            await page.goto(url, timeout=LOAD_MS)
            await page.locator(FIRST).get_by_label("Date").wait_for(timeout=LOAD_MS)
            tab = page.get_by_role("tab", name="Code the needs")
            await page.evaluate(_WATCH_TAB, CODING_CARD)
            await tab.click(timeout=LOAD_MS)
            await page.wait_for_function("() => window.__tkTab.shown !== null", timeout=LOAD_MS)
            mark = await page.evaluate("window.__tkTab")
            times.append(
                ((mark["content"] - mark["click"]) / 1000, (mark["shown"] - mark["click"]) / 1000)
            )
        finally:
            await _leave(page)
            await context.close()
    return times


async def _opening(p, chosen: list, url: str, server: int) -> dict:
    """The ``chosen`` planners open the page at once, each in their own browser, the
    server's pool of warm kernels full first; their times, and the CPU seconds their
    browsers and the server (Voilà and its kernels) spent meanwhile.
    """
    for planner in chosen:  # a returning planner's browser starts before the opening
        await planner.start(p)
    warm = await _wait_warm(server, WARM_PAGES)
    load_before = load()
    cpu_server = _tree_cpu(server)
    got = await asyncio.gather(*(planner.open(url) for planner in chosen))
    return {
        "times": [wall for wall, _ in got],
        "warm": warm,
        "cpu_browser": sum(cpu for _, cpu in got),
        "cpu_server": _tree_cpu(server) - cpu_server,
        "load": (load_before, load()),
    }


def _main_chromium(new: set[int]) -> int | None:
    """Of the Chromium processes just started, the main one (the others are under it)."""
    new = {q for q in new if "chrom" in _cmdline(q)}
    return max(new, key=lambda q: len(new & _descendants(q))) if new else None


async def _browsers(p, count: int) -> list[dict]:
    """``count`` Chromium processes, as ``count`` planners' own browsers (no shared cache,
    no shared renderer); each with the id of its main process, for its CPU time.
    """
    out = []
    for _ in range(count):
        before = set(_descendants(os.getpid()))
        browser = await p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        main = _main_chromium(set(_descendants(os.getpid())) - before)
        out.append({"browser": browser, "pid": main or os.getpid()})
    return out


async def _rounds(p, planners: list, url: str, server: int, rounds: int, label: str) -> tuple:
    """Interleaved: one planner alone, then three at once, and again; ``rounds`` times."""
    alone, together = [], []
    for _ in range(rounds):
        alone.append(await _opening(p, planners[:1], url, server))
        together.append(await _opening(p, planners, url, server))
        print(
            f"forms ({label}): alone {alone[-1]['times'][0]:.1f} s, three at once "
            f"{', '.join(f'{t:.1f}' for t in together[-1]['times'])} s",
            file=sys.stderr,
            flush=True,
        )
    return alone, together


async def _measure(
    url: str, server: int, saves: int, singles: int, profiles: Path, codings: int = 3
) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browsers = await _browsers(p, 3)
        try:
            print("forms: warming up", file=sys.stderr, flush=True)
            await _interactive(browsers[0]["browser"], url)  # warm the server
            await _wait_warm(server, WARM_PAGES)
            before = load()
            shown, ready, save_cpu = await _saves(
                browsers[0]["browser"], url, saves, (browsers[0]["pid"], server)
            )
            save_load = (before, load())
            before = load()
            coding = await _coding_opens(browsers[0]["browser"], url, codings)
            coding_load = (before, load())
            print(
                f"forms: saves done (ready p50 {_p(ready, 50):.0f} ms)", file=sys.stderr, flush=True
            )
            new = [_NewPlanner(b["browser"], b["pid"]) for b in browsers]
            alone, together = await _rounds(p, new, url, server, singles, "first visit")
        finally:
            for b in browsers:
                await b["browser"].close()
        # Returning planners: each profile visited twice before (Chromium keeps a
        # script's compiled code from its second load on), the single planner's too.
        back = [_ReturningPlanner(profiles / f"planner-{i}") for i in range(3)]
        for _ in range(2):
            for planner in back:
                await _wait_warm(server, WARM_PAGES)
                await planner.visit(p, url)
        back_alone, back_together = await _rounds(p, back, url, server, singles, "returning")
    return {
        "shown": shown,
        "ready": ready,
        "save_load": save_load,
        "save_cpu": save_cpu,
        "coding": coding,
        "coding_load": coding_load,
        "alone": alone,
        "together": together,
        "back_alone": back_alone,
        "back_together": back_together,
    }


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def forms(quick: bool = False) -> list[dict]:
    """The suite ``forms`` of benchmarks/run.py."""
    rows = 20_000 if quick else 100_000
    saves = 8 if quick else 24
    singles = 3 if quick else 5
    folder = Path(tempfile.mkdtemp(prefix="bench-forms-"))
    process = None
    try:
        engagement = _engagement(folder, rows)
        process, url = _start_server(engagement, folder / "forms.log")
        got = asyncio.run(_measure(url, process.pid, saves, singles, folder / "profiles"))
    finally:
        if process is not None:
            _stop_server(process)
        shutil.rmtree(folder, ignore_errors=True)
    out = []
    for name, goal in (("shown", 100), ("ready", 150)):
        values = got[name]
        detail = {
            "runs": len(values),
            "p50_ms": _p(values, 50),
            "p95_ms": _p(values, 95),
            "max_ms": max(values) * 1000,
            "cpu_per_save_ms": got["save_cpu"],
        }
        what = "new entry shown" if name == "shown" else "form ready for the next entry"
        cpu = got["save_cpu"]
        out.append(
            absolute(
                f"form Save → {what}, p95 of {len(values)}, {rows:,} stated needs "
                f"(p50 {detail['p50_ms']:.0f} ms)",
                detail["p95_ms"],
                goal,
                unit="ms",
                detail=detail,
                load_span=got["save_load"],
                note=(
                    f"CPU per Save (typing the next entry included): {cpu['server_ms']:.0f} ms "
                    f"in the server and its kernel, {cpu['browser_ms']:.0f} ms in the browser"
                ),
            )
        )
    out.append(_coding_row(got["coding"], got["coding_load"]))
    out.append(_opening_row(got["alone"], got["together"], returning=False))
    out.append(_opening_row(got["back_alone"], got["back_together"], returning=True))
    return out


def _coding_row(times: list[tuple[float, float]], load_span: tuple[float, float]) -> dict:
    """The "Code the needs" tab's first open, slowest of the pages opened: goal ≤ 1 s."""
    content = [c for c, _ in times]
    shown = [s for _, s in times]
    return absolute(
        f'"Code the needs" tab, first open → first statement shown, slowest of {len(times)}',
        max(shown),
        1.0,
        unit="s",
        detail={"runs": len(times), "shown_s": shown, "content_s": content},
        load_span=load_span,
        note=(
            f"median {statistics.median(shown):.2f} s; the tab's content (not blank) showed "
            f"after {max(content):.2f} s at most"
        ),
    )


def _opening_row(alone: list[dict], together: list[dict], *, returning: bool) -> dict:
    """Slowest of three at once ÷ one alone (medians over the interleaved rounds), with
    the CPU seconds one page costs: three pages' work on this machine's cores cannot
    take less wall time than their CPU time divided by the cores. ``returning``: each
    planner's browser has its own profile from earlier visits (else a first visit).
    """
    pair = Pair(
        load_before=min(r["load"][0] for r in alone + together),
        load_after=max(r["load"][1] for r in alone + together),
    )
    for one, three in zip(alone, together, strict=True):
        pair.floor.add(one["times"][0], one["cpu_browser"] + one["cpu_server"])
        pair.action.add(max(three["times"]), three["cpu_browser"] + three["cpu_server"])
    cores = os.cpu_count() or 1
    page_cpu = statistics.median(r["cpu_browser"] + r["cpu_server"] for r in alone)
    browser_cpu = statistics.median(r["cpu_browser"] for r in alone)
    alone_wall = statistics.median(r["times"][0] for r in alone)
    least = max(1.0, 3 * page_cpu / cores / alone_wall)
    cold = sum(not r["warm"] for r in alone + together)
    who = (
        "returning planners (each their own browser profile from earlier visits)"
        if returning
        else "planners opening it for the first time (each their own new browser profile)"
    )
    row = figure(
        f"three {who} opening the forms page at once, slowest",
        pair,
        f"one planner alone, same server with its {WARM_PAGES} warm kernels, same browser "
        f"treatment, median of {len(alone)} interleaved",
        1.5,
        note=(
            f"one page costs {page_cpu:.1f} s of CPU ({browser_cpu:.1f} s in the browser), "
            f"{cores} cores: three at once take at least {least:.2f}× one alone"
            + (f"; {cold} opening(s) without a full pool of warm kernels" if cold else "")
        ),
    )
    row["cpu_per_page"] = page_cpu
    row["least_ratio"] = least
    row["returning"] = returning
    return row
