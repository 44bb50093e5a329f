"""The web page's figures, in a headless Chromium: ``python -m benchmarks --only web``.

7. upload of a 1,000-row sheet until the review page is ready, against its 1.5 s budget;
8. an edited cell re-validated and shown, 95th percentile measured in the browser, against 150 ms;
9. how far the page's progress trails the journal, 95th percentile, against 0.5 s;
10. the cost per sent row while the page watches vs the CLI's, same local sandbox (≤ 1.2x);
13. the review's grid on a 3,000-row and a 50,000-row sheet: the 95th percentile, in the
    browser, of a cell edit, a whole-column change and a value mapping checked again and
    shown, against 150 ms (3,000 rows) and 400 ms (50,000 rows);
14. the records tab on a 200,000-record contact list (20 columns, a second file beside a
    campaigns sheet): from picking the file to the records grid ready, against 10 s, and a
    record cell's edit checked again and shown, 95th percentile in the browser, against
    150 ms (``--only pagerecords``).

Cases with an absolute budget report the budget as their baseline, so the ratio reads as the
share of the budget used (target ≤ 1). Needs Playwright for Python and Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.browser.pages import to_send
from tests.browser.support import (
    VIEWPORT,
    WebServer,
    campaign_rows,
    child_env,
    launch_chromium,
    start_playwright,
    start_web,
    write_csv,
    write_xlsx,
)


@dataclass
class WebSizes:
    repeat: int
    rows: int
    edits: int
    send_rows: int
    #: the grid's sheets (case 13) and their budgets in ms, and how often each change is made
    grid: tuple[tuple[int, float], ...] = ((3_000, 150.0), (50_000, 400.0))
    grid_changes: int = 10
    #: the records tab's contact list (case 14), and how many record cells are edited
    records: int = 200_000
    record_edits: int = 30


FULL = WebSizes(repeat=3, rows=1000, edits=30, send_rows=1000)
QUICK = WebSizes(repeat=1, rows=100, edits=6, send_rows=60, grid=((300, 150.0),), grid_changes=2,
                 records=2_000, record_edits=6)  # fmt: skip
STEP_MS = 60_000  # a generous deadline per step: a slow figure is still a figure

#: Records, in the page, when Enter is pressed and when a watched cell's aria-invalid flips.
EDIT_PROBE = """([name, want]) => {
    window.__editStart = undefined; window.__editShown = undefined;
    const match = () => {
        const el = document.querySelector(`[data-testid="${name}"]`);
        return !!el && (el.getAttribute('aria-invalid') === 'true') === want;
    };
    const seen = new MutationObserver(() => {
        if (window.__editStart !== undefined && window.__editShown === undefined && match()) {
            window.__editShown = performance.now(); seen.disconnect();
        }
    });
    seen.observe(document.body, {subtree: true, childList: true, attributes: true});
    document.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && window.__editStart === undefined) {
            window.__editStart = performance.now();
        }
    }, {capture: true, once: true});
}"""

#: Records, in the page, when a change is asked for (the whole-column form sent, or Undo
#: pressed) and when its answer has been shown (the page's ``wolkvox-shown`` event).
CHANGE_PROBE = """() => {
    window.__changeStart = undefined; window.__changeShown = undefined;
    const start = () => {
        if (window.__changeStart === undefined) window.__changeStart = performance.now();
    };
    const once = {capture: true, once: true};
    document.querySelector('form[data-bulk]').addEventListener('submit', start, once);
    document.querySelector('[data-undo]').addEventListener('click', start, once);
    document.addEventListener('wolkvox-shown', () => {
        if (window.__changeShown === undefined) window.__changeShown = performance.now();
    }, {once: true});
}"""

#: Reports, from every page of the run, the wall-clock time of each change of the progress's
#: done count; the results page counts as "all done" (done = -1).
PROGRESS_PROBE = """(() => {
    if (window.__wvProbe) return;
    window.__wvProbe = true;
    let last = null;
    const report = (done) => {
        if (done !== last) { last = done; window.__wvProgress(Date.now(), done); }
    };
    const read = () => {
        if (document.querySelector('[data-testid="download-results"]')) return report(-1);
        const el = document.querySelector('[data-testid="progress"]');
        const m = el && el.textContent.match(/(\\d+)\\s*\\/\\s*(\\d+)/);
        if (m) report(Number(m[1]));
    };
    const start = () => {
        read();
        new MutationObserver(read).observe(document.body,
            {subtree: true, childList: true, characterData: true, attributes: true});
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
})()"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Web:
    """One Chromium for all web cases, and servers started on demand."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.count = 0
        self.driver = start_playwright()
        self.browser = launch_chromium(self.driver)

    def close(self) -> None:
        self.browser.close()
        self.driver.stop()

    @contextlib.contextmanager
    def session(self, *args: str, simulate: bool = True) -> Iterator[tuple[WebServer, Any]]:
        """A fresh server on its own working folder, and a fresh page opened on it."""
        self.count += 1
        env = child_env(self.work / "locks")
        server = start_web(self.work / f"web{self.count}", *args, simulate=simulate, env=env)
        context = self.browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(STEP_MS)
        try:
            page = context.new_page()
            page.goto(server.url)
            page.get_by_test_id("file-input").wait_for(state="attached")
            yield server, page
        finally:
            context.close()
            server.stop()

    def sheet(self, rows: int, tag: str) -> Path:
        """A clean sheet whose skills the simulation knows, so every row can be sent."""
        self.count += 1
        return write_xlsx(self.work / f"{tag}-{self.count}.xlsx", campaign_rows(rows, prefix=tag))


def upload(page: Any, path: Path) -> float:
    """Seconds from picking the file to the review table being shown."""
    start = time.perf_counter()
    page.get_by_test_id("file-input").set_input_files(str(path))
    either = page.locator('[data-testid="columns-continue"], [data-testid="problem-count"]')
    either.first.wait_for()
    cont = page.get_by_test_id("columns-continue")
    if cont.is_visible():
        cont.click()
    page.get_by_test_id("problem-count").wait_for()
    page.get_by_test_id("cell-2-campaign_name").wait_for()
    return time.perf_counter() - start


def upload_case(web: Web, sizes: WebSizes, child: Callable[..., tuple[float, float]]) -> dict:
    def once() -> float:
        with web.session() as (_, page):
            return upload(page, web.sheet(sizes.rows, "U"))

    seconds = statistics.median(once() for _ in range(sizes.repeat))
    budget = 1.5
    bare, _ = child(sizes.repeat, "load_validate", web.sheet(sizes.rows, "UB"))
    return dict(
        name=f"7. web: upload of a {sizes.rows:,}-row xlsx to review ready vs 1.5 s budget",
        median=seconds, baseline=budget, ratio=seconds / budget, target=1.0,
        notes={"load + validate of the same file, no page (s)": round(bare, 3)},
    )  # fmt: skip


def edit_once(page: Any, row: int, value: str, invalid: bool) -> float:
    """Milliseconds, in the page, from Enter to the cell's new validity being shown."""
    name = f"cell-{row}-skill_id"
    page.evaluate(EDIT_PROBE, [name, invalid])
    editor = page.get_by_test_id(name).locator("input, textarea").first
    editor.fill(value)
    editor.press("Enter")
    page.wait_for_function("() => window.__editShown !== undefined", timeout=STEP_MS)
    return float(page.evaluate("() => window.__editShown - window.__editStart"))


def edit_case(web: Web, sizes: WebSizes) -> dict:
    times: list[float] = []
    with web.session() as (_, page):
        upload(page, web.sheet(sizes.rows, "E"))
        for i in range(sizes.edits):
            row = 2 + i // 2
            # Break a cell, then mend it: each edit flips what is shown.
            times.append(edit_once(page, row, "12a" if i % 2 == 0 else "105", i % 2 == 0))
    p95 = percentile(times, 0.95)
    budget = 150.0
    return dict(
        name=f"8. web: edited cell re-validated and shown, p95 of {sizes.edits} vs 150 ms",
        median=p95, baseline=budget, ratio=p95 / budget, target=1.0, unit="ms",
        notes={"median (ms)": round(statistics.median(times), 1),
               "max (ms)": round(max(times), 1), "rows in the sheet": sizes.rows},
    )  # fmt: skip


def grid_rows(n: int) -> list[dict[str, str]]:
    """``n`` campaigns, one in ten with an empty type_campaign and one in ten typed
    ``Manual``: what a whole-column change and a value mapping put right."""
    rows = campaign_rows(n, prefix="G")
    for i, row in enumerate(rows):
        if i % 10 == 0:
            row["type_campaign"] = ""
        elif i % 10 == 5:
            row["type_campaign"] = "Manual"
    return rows


def change_once(page: Any, act: Callable[[], None], probe: str = CHANGE_PROBE) -> float:
    """Milliseconds, in the page, from asking for a change to its answer being shown."""
    page.evaluate(probe)
    act()
    page.wait_for_function("() => window.__changeShown !== undefined", timeout=STEP_MS)
    return float(page.evaluate("() => window.__changeShown - window.__changeStart"))


def column_set(page: Any) -> None:
    """Every empty type_campaign with a problem becomes preview."""
    page.get_by_test_id("bulk-column").select_option("type_campaign")
    page.get_by_test_id("bulk-replace").check()
    page.get_by_test_id("bulk-find").fill("")
    page.get_by_test_id("bulk-value").fill("preview")
    page.get_by_test_id("bulk-scope").check()
    page.get_by_test_id("bulk-apply").click()


def map_values(page: Any) -> None:
    """Every "Manual" type_campaign becomes preview (the columns step's values)."""
    page.get_by_test_id("value-type_campaign-Manual").select_option("preview")
    page.get_by_test_id("values-apply-type_campaign").click()


#: When the values form is sent, and when its answer is shown.
VALUES_PROBE = """() => {
    window.__changeStart = undefined; window.__changeShown = undefined;
    document.querySelector('form.values-form').addEventListener('submit', () => {
        window.__changeStart = performance.now();
    }, {capture: true, once: true});
    document.addEventListener('wolkvox-shown', () => {
        if (window.__changeShown === undefined) window.__changeShown = performance.now();
    }, {once: true});
}"""


def grid_case(web: Web, rows: int, budget: float, changes: int) -> list[dict]:
    """Case 13 on one sheet: a cell edit, a whole column and a value mapping, each checked
    again and shown; 95th percentiles against ``budget`` ms."""
    edits: list[float] = []
    columns: list[float] = []
    undos: list[float] = []
    mappings: list[float] = []
    with web.session() as (_, page):
        web.count += 1
        sheet = write_csv(web.work / f"grid-{rows}-{web.count}.csv", grid_rows(rows))
        start = time.perf_counter()
        upload(page, sheet)
        loaded = time.perf_counter() - start
        page.get_by_test_id("bulk").locator("summary").click()
        for i in range(changes * 2):
            row = 3 + i // 2  # rows 3.. have a type: their skill_id alone decides
            edits.append(edit_once(page, row, "12a" if i % 2 == 0 else "105", i % 2 == 0))
        for _ in range(changes):
            columns.append(change_once(page, lambda: column_set(page)))
            undos.append(change_once(page, lambda: page.get_by_test_id("undo").click()))
        page.locator('a.step[href$="/columns"]').click()
        page.get_by_test_id("values-type_campaign").wait_for()  # the step, not the review left
        for _ in range(changes):
            mappings.append(change_once(page, lambda: map_values(page), VALUES_PROBE))
            page.evaluate("""() => fetch(document.querySelector('meta[name="page-root"]').content
                + '/undo', {method: 'POST', credentials: 'same-origin', headers: {
                'Content-Type': 'application/json', 'X-CSRF-Token':
                document.querySelector('meta[name="csrf-token"]').content}, body: '{}'})""")
            page.goto(page.url.split("?")[0])  # the step again, afresh
            page.get_by_test_id("values-type_campaign").wait_for()
    out = []
    for what, times, extra in (
        ("a cell edit", edits, {"upload to review ready (s)": round(loaded, 2)}),
        ("a whole column (its empty cells with a problem)", columns,
         {"Undo of it, p95 (ms)": round(percentile(undos, 0.95), 1), "cells": rows // 10}),
        ("a value mapping (Manual becomes preview)", mappings,
         {"cells": rows // 10}),
    ):  # fmt: skip
        p95 = percentile(times, 0.95)
        out.append(dict(
            name=f"13. web grid, {rows:,} rows: {what}, p95 of {len(times)} vs {budget:g} ms",
            median=p95, baseline=budget, ratio=p95 / budget, target=1.0, unit="ms",
            notes={"median (ms)": round(statistics.median(times), 1), **extra},
        ))  # fmt: skip
    return out


def journal_times(workdir: Path) -> list[float]:
    """When each row's outcome was written, in order, from the run's journal."""
    times = []
    for path in workdir.rglob("*.journal.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line) if line.strip() else {}
            if event.get("event") == "outcome":
                times.append(float(event["at"]))
    return sorted(times)


def wait_done(page: Any, n: int) -> None:
    """Wait until the page shows the run finished: n/n done, or the results offered."""
    finished = page.get_by_test_id("progress").filter(has_text=re.compile(rf"\b{n}\s*/\s*{n}\b"))
    page.get_by_test_id("download-results").or_(finished).first.wait_for(timeout=STEP_MS * 5)


def progress_case(web: Web, sizes: WebSizes) -> dict:
    n = sizes.rows
    shown: list[tuple[float, int]] = []
    with web.session() as (server, page):
        upload(page, web.sheet(n, "P"))
        to_send(page)
        page.expose_function("__wvProgress", lambda when, done: shown.append((when / 1000, done)))
        page.add_init_script(PROGRESS_PROBE)
        page.evaluate(PROGRESS_PROBE)
        page.get_by_test_id("send").click()
        wait_done(page, n)
    written = journal_times(server.workdir)
    # Row k's delay: from its outcome in the journal to the page first showing >= k done.
    delays, k = [], 0
    for when, done in shown:
        reached = len(written) if done < 0 else min(done, len(written))
        while k < reached:
            delays.append(max(0.0, when - written[k]))
            k += 1
    if k < len(written):
        raise SystemExit(f"the page showed {k} of the {len(written)} rows in the journal")
    p95 = percentile(delays, 0.95)
    return dict(
        name=f"9. web: progress behind the journal, p95 over {n:,} rows vs 0.5 s",
        median=p95, baseline=0.5, ratio=p95 / 0.5, target=1.0,
        notes={"max (s)": round(max(delays), 3), "page updates seen": len(shown),
               "rows in the journal": len(written)},
    )  # fmt: skip


def sending_span(journal: Path) -> tuple[float, int]:
    """Seconds from a run's first attempt to its last outcome, and how many outcomes."""
    attempts, outcomes = [], []
    for line in journal.read_text(encoding="utf-8").splitlines():
        event = json.loads(line) if line.strip() else {}
        if event.get("event") == "attempt":
            attempts.append(float(event["at"]))
        elif event.get("event") == "outcome":
            outcomes.append(float(event["at"]))
    return max(outcomes) - min(attempts), len(outcomes)


def web_send(web: Web, url: str, rows: int, tag: str) -> tuple[float, float]:
    """Send ``rows`` from the page to ``url``: (seconds per row in the journal, wall seconds)."""
    token = web.work / "token.txt"
    token.write_text("sandbox-token\n", encoding="utf-8")
    args = ("--base-url", url, "--token-file", str(token))
    with web.session(*args, simulate=False) as (server, page):
        upload(page, web.sheet(rows, tag))
        to_send(page)
        start = time.perf_counter()
        page.get_by_test_id("send").click()
        wait_done(page, rows)
        wall = time.perf_counter() - start
    (journal,) = server.workdir.rglob("*.journal.jsonl")
    span, done = sending_span(journal)
    assert done == rows, f"the page's run recorded {done} of {rows} rows"
    return span / rows, wall


def overhead_case(web: Web, sizes: WebSizes, cli_run: Callable, sandbox: Callable) -> dict:
    """Per row, from each run's own journal: first attempt to last outcome, over the rows.

    The journal times the sending loop itself, so the page's fixed costs (upload, the
    browser, its polling interval) do not blur what each row costs while a page watches.
    """
    rows = sizes.send_rows
    counter = iter(range(10**6))

    def cli() -> tuple[float, float]:
        tag = f"C{next(counter)}"
        wall = cli_run(url, web.work, rows, tag)
        span, done = sending_span(web.work / f"send-{tag}.results.journal.jsonl")
        assert done == rows, f"the CLI's run recorded {done} of {rows} rows"
        return span / rows, wall

    def median(fn: Callable[[], tuple[float, float]]) -> tuple[float, float]:
        runs = [fn() for _ in range(sizes.repeat)]
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    with sandbox() as url:
        cli_run(url, web.work, 20, "warm")  # warm up imports and the server
        cli_row, cli_wall = median(cli)
        web_row, web_wall = median(lambda: web_send(web, url, rows, f"W{next(counter)}"))
    return dict(
        name=f"10. web: cost per sent row, page vs CLI, {rows:,} rows, same local sandbox",
        median=web_row * 1000, baseline=cli_row * 1000, ratio=web_row / cli_row, target=1.2,
        unit="ms", notes={"page, send to done shown (s)": round(web_wall, 3),
                          "CLI, whole command (s)": round(cli_wall, 3)},
    )  # fmt: skip


def records_case(web: Web, sizes: WebSizes) -> list[dict]:
    """Case 14: the records tab on a big contact list (see the module's docstring)."""
    from benchmarks import data

    campaigns = write_csv(
        web.work / "launch-campaigns.csv",
        [{**c, "campaign_name": f"Cobranza {i:02d}"}
         for i, c in enumerate(campaign_rows(data.CAMPAIGNS, prefix="R"))],
    )  # fmt: skip
    records = data.write_records_csv(web.work / "registros.csv", data.record_rows(sizes.records))
    times: list[float] = []
    with web.session("--max-upload-mb", "200") as (_, page):
        upload(page, campaigns)
        page.get_by_test_id("tab-records").click()
        start = time.perf_counter()
        page.get_by_test_id("records-file").set_input_files(str(records))
        page.get_by_test_id("records-read").click()
        page.get_by_test_id("record-problem-count").wait_for()
        page.get_by_test_id("rcell-2-tel1").wait_for()
        ready = time.perf_counter() - start
        for i in range(sizes.record_edits):
            row = 2 + i // 2
            # Break a phone, then mend it: each edit flips what is shown.
            name = f"rcell-{row}-tel1"
            page.evaluate(EDIT_PROBE, [name, i % 2 == 0])
            editor = page.get_by_test_id(name).locator("input").first
            editor.fill("12" if i % 2 == 0 else "3001234567")
            editor.press("Enter")
            page.wait_for_function("() => window.__editShown !== undefined", timeout=STEP_MS)
            times.append(float(page.evaluate("() => window.__editShown - window.__editStart")))
    p95 = percentile(times, 0.95)
    return [
        dict(
            name=f"14. web: upload of {sizes.records:,} records (20 columns, CSV) to the "
            "records grid ready vs 10 s budget",
            median=ready, baseline=10.0, ratio=ready / 10.0, target=1.0,
        ),
        dict(
            name=f"14. web: edited record cell re-validated and shown ({sizes.records:,} "
            f"records), p95 of {sizes.record_edits} vs 150 ms",
            median=p95, baseline=150.0, ratio=p95 / 150.0, target=1.0, unit="ms",
            notes={"median (ms)": round(statistics.median(times), 1),
                   "max (ms)": round(max(times), 1)},
        ),
    ]  # fmt: skip


def record_cases(quick: bool, work: Path) -> list[dict]:
    """Case 14 alone (``python -m benchmarks --only pagerecords``)."""
    sizes = QUICK if quick else FULL
    web = Web(work)
    try:
        return records_case(web, sizes)
    finally:
        web.close()


def grid_cases(quick: bool, work: Path) -> list[dict]:
    """Case 13 alone (``python -m benchmarks --only grid``)."""
    sizes = QUICK if quick else FULL
    web = Web(work)
    try:
        return [
            c
            for rows, budget in sizes.grid
            for c in grid_case(web, rows, budget, sizes.grid_changes)
        ]
    finally:
        web.close()


def cases(
    quick: bool, work: Path, *, child: Callable, cli_run: Callable, sandbox: Callable
) -> list[dict]:
    """Every web case, as keyword arguments for ``benchmarks.__main__.Case``."""
    sizes = QUICK if quick else FULL
    web = Web(work)
    try:
        return [
            upload_case(web, sizes, child),
            edit_case(web, sizes),
            progress_case(web, sizes),
            overhead_case(web, sizes, cli_run, sandbox),
            *(c for rows, budget in sizes.grid
              for c in grid_case(web, rows, budget, sizes.grid_changes)),
            *records_case(web, sizes),
        ]  # fmt: skip
    finally:
        web.close()
