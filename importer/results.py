"""Stage 4: the results workbook and the retry file, derived from the journal.

Both are written atomically (a temporary file in the same folder, then a rename),
so a crash can never leave a half-written workbook where the last good one was.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from importer.columns import FIELDS, RETRY_COLUMNS
from importer.journal import JournalState
from importer.schema import Checked

STATUSES = ("created", "exists", "failed", "unknown", "invalid", "not_sent", "valid")
#: Statuses whose rows go to the retry file: certainly not created, safe to send again.
RETRY_STATUSES = frozenset({"failed", "invalid", "not_sent"})
SUCCESS_STATUSES = frozenset({"created", "exists", "valid"})
COLOURS = {
    "created": "C6EFCE",
    "exists": "DDEBF7",
    "valid": "C6EFCE",
    "failed": "FFC7CE",
    "invalid": "FFC7CE",
    "unknown": "FFEB9C",
    "not_sent": "EDEDED",
}
RESULT_HEADER = ("row", "status", "id_campaign", "message")
WIDTHS = {
    "row": 7,
    "status": 10,
    "id_campaign": 12,
    "message": 60,
    "campaign_name": 30,
    "campaign_description": 30,
}


@dataclass(frozen=True)
class RowResult:
    """One input row's outcome."""

    row: int
    status: str
    id_campaign: str
    message: str
    name: str = ""


def retry_path(out: Path) -> Path:
    """``x.results.xlsx`` -> ``x.results.retry.xlsx``."""
    return out.with_name(out.stem + ".retry.xlsx")


def derive(
    frame: pd.DataFrame,
    checked: Checked,
    state: JournalState | None,
    *,
    dry_run: bool,
) -> list[RowResult]:
    """Each row's status, from validation and (for a real run) the journal."""
    # Only a dry run shows the bodies; a real run must not build every campaign again.
    bodies = {c.row: c for c in checked.campaigns} if dry_run or state is None else {}
    out = []
    for row, name in zip(frame.index, frame["campaign_name"].str.strip(), strict=True):
        row = int(row)
        problems = checked.invalid.get(row)
        if problems:
            message = "; ".join(f"{p.column}: {p.message}" for p in problems)
            status, ident = "invalid", ""
        elif dry_run or state is None:
            status, ident, message = "valid", "", bodies[row].body_json()
        elif (done := state.outcomes.get(row)) is not None:
            status, ident, message = done.status, done.id_campaign, done.message
        elif row in state.attempted_at:
            status, ident, message = (
                "unknown",
                "",
                (
                    "sent, but the run ended before the answer was recorded; run again with "
                    "--resume to check it against the campaign list"
                ),
            )
        else:
            status, ident, message = "not_sent", "", state.stop_message or "not sent"
        out.append(RowResult(row, status, ident, message, name))
    return out


def counts(results: Iterable[RowResult]) -> dict[str, int]:
    """Rows per status, every status listed."""
    tally = Counter(r.status for r in results)
    return {s: tally.get(s, 0) for s in STATUSES}


def _text_cell(ws, value: str):
    """A cell that Excel shows as text even when it starts like a formula.

    An empty value becomes no cell at all: the sheet looks the same and most of a
    campaign sheet's cells (opt1 ... opt12) are empty.
    """
    if not value:
        return None
    if value[0] in "=+-@":
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # never a formula: a sheet from outside must not run code
        return cell
    return value


def _input_rows(
    frame: pd.DataFrame, results: Sequence[RowResult], columns: Sequence[str]
) -> Iterator[list[str]]:
    """The input cells of each result's row, read column by column rather than cell by cell."""
    values = [frame[c].tolist() for c in columns]
    position = {row: i for i, row in enumerate(frame.index.tolist())}
    for result in results:
        i = position[result.row]
        yield [column[i] for column in values]


def _sheet(book: Workbook, title: str, header: Sequence[str]):
    """A write-only sheet with readable column widths and a frozen header row."""
    ws = book.create_sheet(title)
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 14)
    ws.freeze_panes = "A2"
    return ws


def _atomic_save(book: Workbook, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_results(
    path: Path,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    summary: Sequence[tuple[str, str]],
) -> None:
    """Write the results workbook: a ``results`` sheet and a ``summary`` sheet."""
    book = Workbook(write_only=True)
    header = [*RESULT_HEADER, *FIELDS]
    ws = _sheet(book, "results", header)
    last = len(results) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    for status, colour in COLOURS.items():
        ws.conditional_formatting.add(
            f"B2:B{max(last, 2)}",
            FormulaRule(formula=[f'$B2="{status}"'], fill=PatternFill("solid", fgColor=colour)),
        )
    bold = Font(bold=True)
    head_cells = []
    for name in header:
        cell = WriteOnlyCell(ws, name)
        cell.font = bold
        head_cells.append(cell)
    ws.append(head_cells)
    for result, values in zip(results, _input_rows(frame, results, FIELDS), strict=True):
        ws.append(
            [
                result.row,
                result.status,
                result.id_campaign or None,
                _text_cell(ws, result.message),
                *(_text_cell(ws, v) for v in values),
            ]
        )
    sheet = book.create_sheet("summary")
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60
    for key, value in summary:
        sheet.append([key, _text_cell(sheet, value)])
    _atomic_save(book, path)


def write_retry(path: Path, frame: pd.DataFrame, results: Sequence[RowResult]) -> int:
    """Write the rows that can be sent again, in input format; return how many.

    Removes a stale retry file when there is nothing to retry, so an old one is
    never fed back in by mistake.
    """
    chosen = [r for r in results if r.status in RETRY_STATUSES]
    if not chosen:
        if path.exists():
            path.unlink()
        return 0
    book = Workbook(write_only=True)
    header = [*FIELDS, *RETRY_COLUMNS]
    ws = _sheet(book, "campaigns", header)
    ws.append(header)
    columns = [*FIELDS, "original_row"] if "original_row" in frame.columns else FIELDS
    for result, values in zip(chosen, _input_rows(frame, chosen, columns), strict=True):
        original = values[len(FIELDS)] if len(values) > len(FIELDS) else ""
        ws.append(
            [
                *(_text_cell(ws, v) for v in values[: len(FIELDS)]),
                str(original or result.row),  # a retry of a retry keeps the first row number
                _text_cell(ws, result.message),
            ]
        )
    _atomic_save(book, path)
    return len(chosen)
