"""One measured operation in a fresh process: prints {"seconds", "peak_mib"} as JSON.

A fresh process per measurement gives a clean peak-memory reading: the peak
resident size during the operation minus the size just before it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_csv(path: Path) -> None:
    import pandas as pd

    pd.read_csv(path, dtype=str, keep_default_na=False)


def bare_xlsx(path: Path) -> None:
    import pandas as pd

    pd.read_excel(path, engine="calamine", dtype=str)


def load_validate(path: Path) -> None:
    from importer.check import schema
    from importer.read import load

    table = load.load_table(path)
    schema.validate(table.frame)


def load_validate_records(path: Path) -> None:
    from benchmarks.data import CAMPAIGNS
    from importer.check import record_schema
    from importer.read import record_table

    table, _sheet = record_table.load_records(path)
    campaigns = record_schema.known_campaigns(
        [(f"Cobranza {i:02d}", "predictive") for i in range(CAMPAIGNS)]
    )
    options = record_schema.RecordOptions(campaigns=campaigns)
    checked = record_schema.validate_records(table.frame, options, table.problems)
    if not checked.records:
        raise SystemExit("no valid records: the benchmark's data is wrong")


def validate_command(path: Path) -> None:
    from importer.cli import commands as cli

    out = str(path.with_suffix(".out.xlsx"))
    with open(os.devnull, "w") as sink:
        code = cli.main(["validate", str(path), "--out", out, "--quiet"], stdout=sink)
    if code not in (0, 1):
        raise SystemExit(f"validate failed with {code}")


def bare_read_and_dump(path: Path) -> None:
    """The floor for `validate`: read the cells, then dump them write-only."""
    import pandas as pd
    from openpyxl import Workbook

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(["row", "status", "id_campaign", "message", *frame.columns])
    for i, values in enumerate(frame.itertuples(index=False), start=2):
        sheet.append([i, "valid", None, "{}", *(v or None for v in values)])
    book.save(path.with_suffix(".dump.xlsx"))


PREPARED = {}


def _prepare_results(path: Path):
    import pandas as pd

    from importer.check.columns import FIELDS
    from importer.record.results import RowResult

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    frame = frame.reindex(columns=list(FIELDS), fill_value="")
    results = [
        RowResult(int(r), "created", str(r * 7), "The # campaign_id has been created")
        for r in frame.index
    ]
    return frame, results


def write_results(path: Path) -> None:
    from importer.record.results import write_results as write

    frame, results = PREPARED["results"]
    write(path.with_suffix(".results.xlsx"), frame, results, [("rows", str(len(results)))])


def bare_dump(path: Path) -> None:
    from openpyxl import Workbook

    from importer.check.columns import FIELDS

    frame, results = PREPARED["results"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(["row", "status", "id_campaign", "message", *FIELDS])
    columns = [frame[f].tolist() for f in FIELDS]
    for i, r in enumerate(results):
        # Empty cells are left out, as any sensible dump would.
        sheet.append([r.row, r.status, r.id_campaign, r.message, *(c[i] or None for c in columns)])
    book.save(path.with_suffix(".dump.xlsx"))


CASES = {f.__name__: f for f in (bare_csv, bare_xlsx, load_validate, validate_command,
                                 bare_read_and_dump, write_results, bare_dump,
                                 load_validate_records)}  # fmt: skip


def main() -> None:
    case, path = sys.argv[1], Path(sys.argv[2])
    # Import what the operation needs before measuring: start-up is case 5's business.
    import pandas  # noqa: F401
    import pandera.pandas  # noqa: F401

    import importer.job  # noqa: F401

    if case in {"write_results", "bare_dump"}:
        PREPARED["results"] = _prepare_results(path)
    before = _rss_mib()
    start = time.perf_counter()
    CASES[case](path)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": max(_peak_mib() - before, 0.0)}))


if __name__ == "__main__":
    main()
