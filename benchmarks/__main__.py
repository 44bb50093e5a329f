"""Run the benchmark suite: ``python -m benchmarks [--quick] [--json PATH]``.

Every case is timed several times and reported as a median with its ratio to a
baseline measured in the same run, since the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import data

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "sandbox-token"


@dataclass
class Case:
    name: str
    median: float
    baseline: float
    ratio: float
    target: float | None
    unit: str = "s"
    notes: dict[str, float | str] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


@dataclass
class Sizes:
    repeat: int
    send_small: int
    send_large: int
    latency_rows: int
    big: int
    report: int
    records: int
    #: records sent in case 12, and their batch size
    launch: int = 200_000
    batch: int = 10_000


FULL = Sizes(repeat=3, send_small=500, send_large=2000, latency_rows=300, big=100_000,
             report=10_000, records=1_000_000)  # fmt: skip
QUICK = Sizes(repeat=1, send_small=50, send_large=150, latency_rows=20, big=2_000, report=1_000,
              records=2_000, launch=4_000, batch=500)  # fmt: skip


def median_of(repeat: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeat))


# --- helpers -----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """Looks like a terminal, so the progress bar is drawn as for an operator."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def sandbox_process(latency: float = 0.0, existing: tuple[str, ...] = ()):
    """The sandbox in its own process, as the real server would be."""
    args = [sys.executable, "-m", "importer", "sandbox", "--port", "0"]
    if latency:
        args += ["--latency", str(latency)]
    for name in existing:
        args += ["--existing", name]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait()


def child(case: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", case, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_median(repeat: int, case: str, path: Path) -> tuple[float, float]:
    runs = [child(case, path) for _ in range(repeat)]
    return (
        statistics.median(r["seconds"] for r in runs),
        statistics.median(r["peak_mib"] for r in runs),
    )


# --- 1 and 2: sending ------------------------------------------------------------------


def _cli_run(url: str, work: Path, rows: int, tag: str) -> float:
    from importer.cli import commands as cli

    src = data.write_csv(work / f"send-{tag}.csv", data.rows(rows, prefix=tag))
    start = time.perf_counter()
    out = io.StringIO()
    code = cli.main(["run", str(src), "--base-url", url], stdout=out, stderr=_Terminal())
    seconds = time.perf_counter() - start
    if code != 0:
        said = out.getvalue()[-2000:]
        raise SystemExit(f"benchmark import failed with exit code {code}:\n{said}")
    return seconds


def _bodies(rows: int, tag: str) -> list[tuple[str, str]]:
    import pandas as pd

    from importer.check import schema
    from importer.check.columns import FIELDS

    cells = data.rows(rows, prefix=tag)
    frame = pd.DataFrame(cells, columns=list(FIELDS), dtype=object)
    frame.index = pd.RangeIndex(2, 2 + rows, name="row")
    return [(c.type_campaign, c.body_json()) for c in schema.validate(frame).campaigns]


def _bare_loop(url: str, bodies: list[tuple[str, str]], per_row_post: bool) -> float:
    import requests

    headers = {"wolkvox-token": TOKEN, "Content-Type": "application/json"}
    target = f"{url}/api/v2/campaign.php"
    session = requests.Session()
    post = requests.post if per_row_post else session.post
    start = time.perf_counter()
    for kind, body in bodies:
        response = post(
            target,
            params={"api": "create_campaign", "type_campaign": kind},
            data=body.encode(),
            headers=headers,
            timeout=75,
        )
        if response.status_code != 201:
            raise SystemExit(f"bare loop got HTTP {response.status_code}")
    seconds = time.perf_counter() - start
    session.close()
    return seconds


def send_overhead(sizes: Sizes, work: Path) -> tuple[Case, float]:
    small, large = sizes.send_small, sizes.send_large
    counter = iter(range(10**6))

    def tag() -> str:
        return f"R{next(counter)}"

    with sandbox_process() as url:
        _cli_run(url, work, 20, tag())  # warm up imports and the server
        cli_small = median_of(sizes.repeat, lambda: _cli_run(url, work, small, tag()))
        cli_large = median_of(sizes.repeat, lambda: _cli_run(url, work, large, tag()))

        def bare(n: int, naive: bool = False) -> float:
            return _bare_loop(url, _bodies(n, tag()), naive)

        bare_small = median_of(sizes.repeat, lambda: bare(small))
        bare_large = median_of(sizes.repeat, lambda: bare(large))
        naive_small = median_of(sizes.repeat, lambda: bare(small, True))
        naive_large = median_of(sizes.repeat, lambda: bare(large, True))
    span = large - small
    cli_row = (cli_large - cli_small) / span
    bare_row = (bare_large - bare_small) / span
    naive_row = (naive_large - naive_small) / span
    fixed = cli_small - small * cli_row
    case = Case("1. send overhead per row (full CLI path vs bare Session.post loop)",
                cli_row * 1000, bare_row * 1000, cli_row / bare_row, 1.5, unit="ms",
                notes={"fixed start-up cost of a run (s, imports warm)": round(fixed, 3),
                       "naive requests.post per row (ms)": round(naive_row * 1000, 3),
                       f"bare loop, {large} rows (s)": round(bare_large, 3)})  # fmt: skip
    return case, fixed


def latency_bound(sizes: Sizes, work: Path, fixed: float) -> Case:
    latency = 0.02
    rows = sizes.latency_rows
    counter = iter(range(10**6))
    with sandbox_process(latency) as url:
        total = median_of(sizes.repeat, lambda: _cli_run(url, work, rows, f"L{next(counter)}"))
        # The floor this machine allows: the same requests from a bare Session loop.
        bare = median_of(
            sizes.repeat, lambda: _bare_loop(url, _bodies(rows, f"LB{next(counter)}"), False)
        )
    ideal = rows * latency
    notes = {
        "total (s)": round(total, 3),
        "fixed start-up cost (s)": round(fixed, 3),
        "bare Session.post loop, same rows and server (s)": round(bare, 3),
        "bare loop / ideal": round(bare / ideal, 3),
        "ours minus start-up / bare loop": round((total - fixed) / bare, 3),
    }
    return Case(
        f"2. latency-bound run ({rows} rows at 20 ms), minus start-up",
        total - fixed,
        ideal,
        (total - fixed) / ideal,
        1.05,
        notes=notes,
    )


# --- 3, 4, 6: files ----------------------------------------------------------------------


def validation(sizes: Sizes, work: Path) -> list[Case]:
    cells = data.rows(sizes.big)
    csv_path = data.write_csv(work / "big.csv", cells)
    xlsx_path = data.write_xlsx(work / "big.xlsx", cells)
    r = sizes.repeat
    cases = []
    for label, path, bare_case in (("CSV", csv_path, "bare_csv"),
                                   ("xlsx", xlsx_path, "bare_xlsx")):  # fmt: skip
        ours, ours_mem = child_median(r, "load_validate", path)
        bare, bare_mem = child_median(r, bare_case, path)
        target = 3.0 if label == "CSV" else 1.5
        cases.append(
            Case(
                f"3. load + validate {sizes.big:,}-row {label} vs bare read",
                ours,
                bare,
                ours / bare,
                target,
            )
        )
        cases.append(
            Case(
                f"3. peak memory of load + validate {label} vs bare read",
                ours_mem,
                bare_mem,
                ours_mem / max(bare_mem, 1e-9),
                3.0,
                unit="MiB",
            )
        )
    pairs = (
        ("validate_command", "bare_read_and_dump", 2.0,
         f"3. `validate` end to end, {sizes.big:,}-row CSV, vs bare read + dump"),
        ("write_results", "bare_dump", 1.5,
         f"4. results workbook, {sizes.big:,} rows, vs bare write-only dump"),
    )  # fmt: skip
    for ours_case, bare_case, target, name in pairs:
        ours, _ = child_median(r, ours_case, csv_path)
        bare, _ = child_median(r, bare_case, csv_path)
        cases.append(Case(name, ours, bare, ours / bare, target))
    return cases


def error_report(sizes: Sizes, work: Path) -> Case:
    clean = data.write_csv(work / "clean.csv", data.rows(sizes.report))
    broken = data.write_csv(work / "broken.csv", data.rows(sizes.report, invalid_every=10))
    ours, _ = child_median(sizes.repeat, "load_validate", broken)
    base, _ = child_median(sizes.repeat, "load_validate", clean)
    return Case(
        f"6. {sizes.report:,}-row file with 10% invalid rows vs the clean file",
        ours,
        base,
        ours / base,
        2.0,
    )


# --- 12: a launch's batches -------------------------------------------------------------


def launch_batches(sizes: Sizes, work: Path) -> Case:
    """Records sent in batches into an existing campaign: the importer's time per batch
    (the span of its journal from the first batch's ``call`` line to the last ``answer``:
    building each body, journaling, sending, classifying) vs a bare ``requests`` loop
    posting the same JSON bodies on one session to the same sandbox."""
    import requests

    from importer.cli import commands as cli
    from importer.read import record_table
    from importer.send import launch
    from importer.send.journal import read

    rows = data.record_rows(sizes.launch)
    path = work / "launch-records.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        import csv

        writer = csv.writer(fh)
        # 15 columns: 200,000 rows of the 20 of case 11 pass the 4,000,000 cells a file may use.
        writer.writerow(["campaign_id", *data.RECORD_COLUMNS[1:15]])
        writer.writerows([["1001", *r[1:15]] for r in rows])
    table, sheet = record_table.load_records(path)
    loaded = launch.check(
        table, path, sheet, [], {}, {"id:1001": {"id": "1001", "type": "preview"}}
    )
    items = loaded.checked.records
    bodies = [launch.records.batch_json(b) for b in items.batches("id:1001", sizes.batch)]

    def ours(url: str, n: int) -> float:
        out = work / f"launch-{n}.results.xlsx"
        args = ["run", "--records", str(path), "--base-url", url, "--quiet", "--out", str(out),
                "--batch-size", str(sizes.batch)]  # fmt: skip
        code = cli.main(args, stdout=io.StringIO(), stderr=io.StringIO())
        if code not in (0, 1):  # 1: the few records with a phone that cannot exist
            raise SystemExit(f"benchmark launch failed with exit code {code}")
        calls = list(read(out.with_name(out.stem + ".journal.jsonl")).calls.values())
        if len(calls) != len(bodies) or any(c.status != "added" for c in calls):
            raise SystemExit("benchmark launch did not add every batch")
        journal = out.with_name(out.stem + ".journal.jsonl").read_text(encoding="utf-8")
        ats = [json.loads(line)["at"] for line in journal.splitlines()
               if '"event": "call"' in line or '"event": "answer"' in line]  # fmt: skip
        return ats[-1] - ats[0]

    def bare(url: str, campaign: str = "1002", sent: list[str] = bodies) -> float:
        headers = {"wolkvox-token": TOKEN, "Content-Type": "application/json"}
        params = {"api": "add_record", "type_campaign": "preview", "campaign_id": campaign}
        session = requests.Session()
        start = time.perf_counter()
        for body in sent:
            response = session.post(
                f"{url}/api/v2/campaign.php", params=params, data=body.encode("utf-8"),
                headers=headers, timeout=75,
            )  # fmt: skip
            if response.status_code != 201:
                raise SystemExit(f"bare loop got HTTP {response.status_code}")
        seconds = time.perf_counter() - start
        session.close()
        return seconds

    counter = iter(range(100))
    mine, base = [], []
    for _ in range(sizes.repeat):
        # A fresh sandbox each time: its campaigns grow by every batch.
        with sandbox_process(existing=("Importer", "Bare", "Warm")) as url:
            bare(url, "1003", bodies[:1])  # the server's first call warms it up
            base.append(bare(url))
            mine.append(ours(url, next(counter)))
    n = len(bodies)
    per_ours = statistics.median(mine) / n
    per_bare = statistics.median(base) / n
    return Case(f"12. send {sizes.launch:,} records in batches of {sizes.batch:,}: time per batch "
                "vs a bare requests loop posting the same bodies",
                per_ours * 1000, per_bare * 1000, per_ours / per_bare, 1.5, unit="ms",
                notes={"batches": n})  # fmt: skip


# --- 11: records -------------------------------------------------------------------------


def record_validation(sizes: Sizes, work: Path) -> list[Case]:
    """Load + check a contact list of records (20 columns, two phones each) vs a bare read."""
    path = data.write_records_csv(work / "records.csv", data.record_rows(sizes.records))
    ours, ours_mem = child_median(sizes.repeat, "load_validate_records", path)
    bare, bare_mem = child_median(sizes.repeat, "bare_csv", path)
    return [
        Case(f"11. load + validate {sizes.records:,} records (20 columns, 2 phones) vs bare "
             "read_csv", ours, bare, ours / bare, 4.0),
        Case("11. peak memory of load + validate records vs bare read_csv", ours_mem, bare_mem,
             ours_mem / max(bare_mem, 1e-9), 3.0, unit="MiB"),
    ]  # fmt: skip


# --- 5: start-up -------------------------------------------------------------------------


def startup(sizes: Sizes) -> list[Case]:
    def timed(args: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True, cwd=ROOT)
        return time.perf_counter() - start

    repeat = max(sizes.repeat, 5)
    bare = median_of(repeat, lambda: timed(["-c", "pass"]))
    cases = []
    for flag in ("--help", "--version"):
        ours = median_of(repeat, lambda flag=flag: timed(["-m", "importer", flag]))
        cases.append(
            Case(f"5. wolkvox-import {flag} vs python -c pass", ours, bare, ours / bare, None)
        )
    return cases


# --- report -------------------------------------------------------------------------------


def show(cases: list[Case]) -> None:
    print(f"{'case':<72} {'median':>10} {'baseline':>10} {'ratio':>7} {'target':>7}  met")
    for c in cases:
        target = "-" if c.target is None else f"≤{c.target:g}"
        met = {True: "yes", False: "NO", None: "-"}[c.met]
        print(
            f"{c.name:<72} {c.median:>8.3f}{c.unit:>2} {c.baseline:>8.3f}{c.unit:>2} "
            f"{c.ratio:>7.2f} {target:>7}  {met}"
        )
        for key, value in c.notes.items():
            print(f"    {key}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, one repetition: a smoke run (targets not judged)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "benchmarks/results/latest.json",
        help="where to write the figures",
    )
    parser.add_argument(
        "--only",
        choices=("send", "files", "startup", "records", "launch", "web", "grid", "pagerecords"),
        help="run one group of cases (send: 1-2, files: 3, 4, 6, startup: 5, records: 11, "
        "launch: 12; web: 7-10, 13 and 14, grid: 13 alone, pagerecords: 14 alone; only when "
        "asked, as they need Playwright and Chromium)",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    os.environ["WOLKVOX_TOKEN"] = TOKEN
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wolkvox-bench-") as tmp:
        work = Path(tmp)
        os.environ["WOLKVOX_IMPORT_LOCK_DIR"] = str(work / "locks")
        cases = []
        if args.only in (None, "send"):
            send, fixed = send_overhead(sizes, work)
            cases += [send, latency_bound(sizes, work, fixed)]
        if args.only in (None, "files"):
            cases += [*validation(sizes, work), error_report(sizes, work)]
        if args.only in (None, "startup"):
            cases += startup(sizes)
        if args.only in (None, "records"):
            cases += record_validation(sizes, work)
        if args.only in (None, "launch"):
            cases.append(launch_batches(sizes, work))
        if args.only == "web":
            from benchmarks import web

            found = web.cases(args.quick, work, child=child_median, cli_run=_cli_run,
                              sandbox=sandbox_process)  # fmt: skip
            cases += [Case(**figures) for figures in found]
        if args.only == "grid":
            from benchmarks import web

            cases += [Case(**figures) for figures in web.grid_cases(args.quick, work)]
        if args.only == "pagerecords":
            from benchmarks import web

            cases += [Case(**figures) for figures in web.record_cases(args.quick, work)]
    cases.sort(key=lambda c: int(c.name.split(".")[0]))
    show(cases)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "cpus": os.cpu_count(), "system": platform.platform()}  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "quick": args.quick, "machine": machine, "seconds": round(time.perf_counter() - started, 1),
        "cases": [{**asdict(c), "met": c.met} for c in cases],
    }, indent=2, ensure_ascii=False))  # fmt: skip
    print(f"\nfigures written to {args.json} ({time.perf_counter() - started:.0f} s)")
    if args.quick:
        return 0
    return 0 if all(c.met is not False for c in cases) else 1


if __name__ == "__main__":
    raise SystemExit(main())
