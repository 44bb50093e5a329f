"""The records' part of the results: their sheet in the results workbook, and their retry file.

Written from the journal like the campaigns' (:mod:`importer.results`), atomically, with
the same red cells and notes for the records' problems.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from importer.columns import RETRY_COLUMNS
from importer.i18n import _
from importer.launch import RecordResult
from importer.record_fields import FIELDS
from importer.status import (
    RECORD_RETRY_STATUSES,
    RecordStatus,
    counted_records,
    record_label,
    start_label,
)
from importer.workbook_style import (
    CellIssue,
    Entry,
    Marker,
    cell_marks,
    save_atomically,
    sheet,
    text_cell,
    write_only_workbook,
)

#: The first columns of the records sheet, in every language.
RECORD_HEADER = ("row", "status", "campaign_id", "message", "batch")
LABEL_COLUMN = "status_label"
COLOURS = {
    RecordStatus.ADDED: "C6EFCE",
    RecordStatus.VALID: "C6EFCE",
    RecordStatus.FAILED: "FFC7CE",
    RecordStatus.INVALID: "FFC7CE",
    RecordStatus.UNKNOWN: "FFEB9C",
    RecordStatus.NOT_SENT: "EDEDED",
}


def records_retry_path(out: Path) -> Path:
    """``x.results.xlsx`` -> ``x.results.records.retry.xlsx``."""
    return out.with_name(out.stem + ".records.retry.xlsx")


def counts(results: Iterable[RecordResult]) -> dict[str, int]:
    """Records per status, every status listed."""
    tally = Counter(r.status for r in results)
    return {s: tally.get(s, 0) for s in RecordStatus}


def per_campaign(results: Iterable[RecordResult]) -> dict[str, Counter[str]]:
    """campaign key -> records per status."""
    found: dict[str, Counter[str]] = {}
    for r in results:
        found.setdefault(r.campaign, Counter())[r.status] += 1
    return found


def _columns(frame: pd.DataFrame) -> list[str]:
    """The record's columns as read, in field order."""
    return [f for f in FIELDS if f in frame.columns]


def add_records_sheet(
    book: Workbook, frame: pd.DataFrame, results: Sequence[RecordResult],
    problems: Iterable[CellIssue], notes: Iterable[CellIssue],
) -> None:  # fmt: skip
    """The ``records`` sheet: each record's outcome, then the record as read."""
    data = _columns(frame)
    header = [*RECORD_HEADER, LABEL_COLUMN, *data]
    ws = sheet(book, "records", header)
    last = len(results) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    end = max(last, 2)
    for code, colour in COLOURS.items():
        ws.conditional_formatting.add(
            f"B2:B{end} F2:F{end}",
            FormulaRule(formula=[f'$B2="{code}"'], fill=PatternFill("solid", fgColor=colour)),
        )
    lines = {r.row: i for i, r in enumerate(results, start=2)}
    marker = Marker(ws, cell_marks(list(problems), list(notes), lines, header, fallback="row"))
    positions = {name: i for i, name in enumerate(header)}
    ws.append(marker.header(header))
    values = [frame[c].to_numpy(dtype=object) for c in data]
    place = {row: i for i, row in enumerate(frame.index.tolist())}
    for line, result in enumerate(results, start=2):
        i = place[result.row]
        cells: list[Entry] = [
            result.shown_row,
            text_cell(ws, result.status),
            text_cell(ws, result.campaign_id),
            text_cell(ws, result.message),
            result.batch,
            record_label(result.status),
            *(text_cell(ws, str(column[i])) for column in values),
        ]
        ws.append(marker.row(cells, line, positions))


def write_records_retry(
    path: Path, frame: pd.DataFrame, results: Sequence[RecordResult],
    problems: Iterable[CellIssue] = (),
) -> int:  # fmt: skip
    """Write the records that were not added and can be sent again; return how many.

    They keep their columns, with ``campaign_id`` filled in where their campaign now
    exists (a campaign this run created), then ``original_row`` and ``last_message``: the
    file is accepted unchanged by ``--records``. Removes a stale one when there is none.
    """
    chosen = [r for r in results if r.status in RECORD_RETRY_STATUSES]
    if not chosen:
        if path.exists():
            path.unlink()
        return 0
    data = [c for c in _columns(frame) if c not in RETRY_COLUMNS]
    if "campaign_id" not in data:
        data.insert(data.index("campaign_name") + 1 if "campaign_name" in data else 0,
                    "campaign_id")  # fmt: skip
    header = [*data, *RETRY_COLUMNS]
    with write_only_workbook() as book:
        ws: Any = sheet(book, "records", header)
        lines = {r.row: i for i, r in enumerate(chosen, start=2)}
        kept = [p for p in problems if p.row in lines]
        marker = Marker(ws, cell_marks(kept, [], lines, header, fallback="original_row",
                                       header_marks=False))  # fmt: skip
        positions = {name: i for i, name in enumerate(header)}
        ws.append(marker.header(header))
        values = {c: frame[c].to_numpy(dtype=object) for c in data if c in frame.columns}
        place = {row: i for i, row in enumerate(frame.index.tolist())}
        for line, result in enumerate(chosen, start=2):
            i = place[result.row]
            cells: list[Entry] = []
            for column in data:
                value = str(values[column][i]) if column in values else ""
                if column == "campaign_id" and not value:
                    value = result.campaign_id
                cells.append(text_cell(ws, value))
            cells += [text_cell(ws, str(result.shown_row)), text_cell(ws, result.message)]
            ws.append(marker.row(cells, line, positions))
        save_atomically(book, path)
    return len(chosen)


def summary_lines(
    results: Sequence[RecordResult], names: Mapping[str, str], starts: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The summary sheet's lines for the records: all of them, then per campaign."""
    lines = [(_("records"), str(len(results)))]
    for status, n in counts(results).items():
        if n:
            lines.append((f"{_('records')} {status} ({record_label(status)})", str(n)))
    for key, tally in per_campaign(results).items():
        name = names.get(key) or key.split(":", 1)[-1] or _("(no campaign)")
        told = ", ".join(counted_records(s, n) for s, n in tally.items())
        if key in starts:
            told += "; " + _("start: {status}").format(status=start_label(starts[key]))
        lines.append((_("records of {campaign}").format(campaign=name), told))
    return lines
