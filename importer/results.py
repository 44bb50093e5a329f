"""Stage 4: the results workbook and the retry file, derived from the journal.

Both show each problem in its cell (see :mod:`importer.workbook_style`), and both are
written atomically (a temporary file in the same folder, then a rename), so a crash
can never leave a half-written workbook where the last good one was. Any text can be
written, whatever the sheet or the server held (see ``workbook_style.storable``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from importer import schema, status
from importer.columns import FIELDS, RETRY_COLUMNS
from importer.i18n import _, ngettext
from importer.journal import JournalState
from importer.schema import Checked
from importer.status import Status, label
from importer.workbook_style import (
    BOLD,
    CellIssue,
    Entry,
    Marker,
    cell_marks,
    save_atomically,
    sheet,
    text_cell,
    write_only_workbook,
)

COLOURS = {
    Status.CREATED: "C6EFCE",
    Status.EXISTS: "DDEBF7",
    Status.VALID: "C6EFCE",
    Status.FAILED: "FFC7CE",
    Status.INVALID: "FFC7CE",
    Status.UNKNOWN: "FFEB9C",
    Status.NOT_SENT: "EDEDED",
}
#: The first columns, in every language: files and scripts read them by name and place.
RESULT_HEADER = ("row", "status", "id_campaign", "message")
#: The status in words, after the stable columns so that they keep their places.
LABEL_COLUMN = "status_label"
#: How many row numbers the summary names for each kind of problem.
FIRST_ROWS = 5


@dataclass(frozen=True)
class RowResult:
    """One input row's outcome."""

    row: int
    status: str
    id_campaign: str
    message: str
    name: str = ""


@dataclass
class Kind:
    """One kind of problem (one rule broken) and the rows that have it."""

    label: str
    rows: list[int] = field(default_factory=list)

    def first_rows(self) -> str:
        """``4, 9, 15``, or the first few and an ellipsis."""
        shown = ", ".join(str(r) for r in self.rows[:FIRST_ROWS])
        return shown + (", …" if len(self.rows) > FIRST_ROWS else "")


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
    """Each row's status, from validation and (for a real run) the journal.

    What the journal says a row came to wins over validation: a row that was sent
    keeps its outcome (and an unanswered one stays unknown) even if this version of
    the checks finds it invalid, so that it is never put in the retry file and sent
    twice.
    """
    # Only a dry run shows the bodies; a real run must not build every campaign again.
    bodies = {c.row: c for c in checked.campaigns} if dry_run or state is None else {}
    sent = None if dry_run else state
    unanswered = _(
        "sent, but the run ended before the answer was recorded; run again with "
        "--resume to check it against the campaign list"
    )
    out = []
    code: str
    for row, name in zip(frame.index, frame["campaign_name"].str.strip(), strict=True):
        row = int(row)
        problems = checked.invalid.get(row)
        done = sent.outcomes.get(row) if sent is not None else None
        if done is not None and (done.status != Status.NOT_SENT or not problems):
            code, ident, message = done.status, done.id_campaign, done.message
        elif sent is not None and done is None and row in sent.attempted_at:
            code, ident, message = Status.UNKNOWN, "", unanswered
        elif problems:
            message = "; ".join(f"{p.column}: {p.message}" for p in problems)
            code, ident = Status.INVALID, ""
        elif sent is None:
            code, ident, message = Status.VALID, "", bodies[row].body_json()
        else:
            code, ident, message = Status.NOT_SENT, "", sent.stop_message or _("not sent")
        out.append(RowResult(row, code, ident, message, name))
    return out


def counts(results: Iterable[RowResult]) -> dict[str, int]:
    """Rows per status, every status listed."""
    tally = Counter(r.status for r in results)
    return {s: tally.get(s, 0) for s in Status}


def kinds(problems: Iterable[CellIssue]) -> list[Kind]:
    """Problems grouped by the rule they break, most rows first, each row counted once.

    A rule is named by ``schema.describe(rule)``; problems without a rule are grouped by
    column and message.
    """
    describe = getattr(schema, "describe", None)
    found: dict[str, Kind] = {}
    seen: set[tuple[str, int]] = set()
    for p in problems:
        rule = str(getattr(p, "rule", "") or "")
        key = rule or f"{p.column}\0{p.message}"
        kind = found.get(key)
        if kind is None:
            named = p.message if p.column in p.message else f"{p.column}: {p.message}"
            kind = found[key] = Kind(_describe(describe, rule) or named)
        if (key, p.row) not in seen:
            seen.add((key, p.row))
            kind.rows.append(p.row)
    for kind in found.values():
        kind.rows.sort()
    return sorted(found.values(), key=lambda k: (-len(k.rows), k.rows[0]))


def _describe(describe: object, rule: str) -> str:
    """The rule's short description, or "" when there is none to be had."""
    if not rule or not callable(describe):
        return ""
    try:
        return str(describe(rule))
    except (KeyError, ValueError, LookupError):
        return ""


def _input_rows(
    frame: pd.DataFrame, results: Sequence[RowResult], columns: Sequence[str]
) -> Iterator[list[str]]:
    """The input cells of each result's row, read column by column rather than cell by cell."""
    values = [frame[c].tolist() for c in columns]
    position = {row: i for i, row in enumerate(frame.index.tolist())}
    for result in results:
        i = position[result.row]
        yield [column[i] for column in values]


def write_results(
    path: Path,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    summary: Sequence[tuple[str, str]],
    *,
    problems: Iterable[CellIssue] = (),
    notes: Iterable[CellIssue] = (),
) -> None:
    """Write the results workbook: a ``results`` sheet and a ``summary`` sheet.

    ``problems`` fill their cells red and ``notes`` (warnings) amber, each with its
    text as a cell note; a note about a row that is not a data row marks the header
    cell of its column. The summary counts the rows of each kind of problem and warning.
    """
    problems, notes = list(problems), list(notes)
    with write_only_workbook() as book:
        _fill_results(book, frame, results, summary, problems, notes)
        save_atomically(book, path)


def _fill_results(
    book: Workbook,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    summary: Sequence[tuple[str, str]],
    problems: list[CellIssue],
    notes: list[CellIssue],
) -> None:
    """The results and summary sheets of :func:`write_results`."""
    header = [*RESULT_HEADER, LABEL_COLUMN, *FIELDS]
    ws = sheet(book, "results", header)
    last = len(results) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    end = max(last, 2)
    for code, colour in COLOURS.items():  # the status and its label, by the status code
        ws.conditional_formatting.add(
            f"B2:B{end} E2:E{end}",
            FormulaRule(formula=[f'$B2="{code}"'], fill=PatternFill("solid", fgColor=colour)),
        )
    lines = {r.row: i for i, r in enumerate(results, start=2)}
    marker = Marker(ws, cell_marks(problems, notes, lines, header, fallback="row"))
    positions = {name: i for i, name in enumerate(header)}
    labels = {str(code): label(code) for code in Status}
    ws.append(marker.header(header))
    rows = zip(results, _input_rows(frame, results, FIELDS), strict=True)
    for line, (result, values) in enumerate(rows, start=2):
        cells: list[Entry] = [
            result.row,
            text_cell(ws, result.status),
            text_cell(ws, result.id_campaign),  # the server's text: anything at all
            text_cell(ws, result.message),
            labels.get(result.status),
            *(text_cell(ws, v) for v in values),
        ]
        ws.append(marker.row(cells, line, positions))
    # Header warnings are on their header cells (and the run summary names the headers
    # read): counting them as rows would only confuse the counts.
    problems = [p for p in problems if p.row in lines]
    notes = [n for n in notes if n.row in lines]
    if marker.unnoted:
        summary = [*summary, _unnoted(marker.unnoted)]
    _summary_sheet(book, summary, kinds(problems), kinds(notes))


def _unnoted(count: int) -> tuple[str, str]:
    """The summary line saying that some marked cells have no note."""
    text = ngettext(
        "{count} marked cell has no note (too many to write); the message column says "
        "what is wrong",
        "{count} marked cells have no note (too many to write); the message column says "
        "what is wrong",
        count,
    )
    return _("cell notes"), text.format(count=count)


def _summary_sheet(
    book: Workbook, summary: Sequence[tuple[str, str]], problems: list[Kind], notes: list[Kind]
) -> None:
    """The run's summary on the left; beside it, the problems and warnings by rule."""
    ws: Any = book.create_sheet("summary")
    for letter, width in zip("ABCDEF", (24, 60, 3, 50, 8, 30), strict=True):
        ws.column_dimensions[letter].width = width
    side: list[list[Entry]] = []
    for title, found in ((_("problem"), problems), (_("warning"), notes)):
        if not found:
            continue
        if side:
            side.append([])
        heading: list[Entry] = []
        for text in (title, _("rows"), _("first rows")):
            cell = WriteOnlyCell(ws, text)
            cell.font = BOLD
            heading.append(cell)
        side.append(heading)
        side.extend([text_cell(ws, k.label), len(k.rows), k.first_rows()] for k in found)
    for i in range(max(len(summary), len(side))):
        left: list[Entry] = [None, None]
        if i < len(summary):
            key, value = summary[i]
            left = [text_cell(ws, key), text_cell(ws, value)]
        ws.append([*left, None, *side[i]] if i < len(side) else left)


def write_retry(
    path: Path,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    *,
    problems: Iterable[CellIssue] = (),
    notes: Iterable[CellIssue] = (),
) -> int:
    """Write the rows that can be sent again, in input format; return how many.

    Cells with a problem are red and cells with a warning amber, with their notes, so
    the marked cells can be fixed in Excel and the file run as it is. The header is
    the field names, not the input's, so warnings about the input's header are left
    out. Removes a stale retry file when there is nothing to retry, so an old one is
    never fed back in by mistake.
    """
    chosen = [r for r in results if r.status in status.RETRY_STATUSES]
    if not chosen:
        if path.exists():
            path.unlink()
        return 0
    with write_only_workbook() as book:
        _fill_retry(book, frame, chosen, problems, notes)
        save_atomically(book, path)
    return len(chosen)


def _fill_retry(
    book: Workbook,
    frame: pd.DataFrame,
    chosen: Sequence[RowResult],
    problems: Iterable[CellIssue],
    notes: Iterable[CellIssue],
) -> None:
    """The one sheet of :func:`write_retry`."""
    header = [*FIELDS, *RETRY_COLUMNS]
    ws = sheet(book, "campaigns", header)
    lines = {r.row: i for i, r in enumerate(chosen, start=2)}
    marks = cell_marks(problems, notes, lines, header, fallback="original_row", header_marks=False)
    marker = Marker(ws, marks)
    positions = {name: i for i, name in enumerate(header)}
    ws.append(marker.header(header))
    columns = [*FIELDS, "original_row"] if "original_row" in frame.columns else FIELDS
    rows = zip(chosen, _input_rows(frame, chosen, columns), strict=True)
    for line, (result, values) in enumerate(rows, start=2):
        original = values[len(FIELDS)] if len(values) > len(FIELDS) else ""
        cells: list[Entry] = [
            *(text_cell(ws, v) for v in values[: len(FIELDS)]),
            # a retry of a retry keeps the first row number
            text_cell(ws, str(original or result.row)),
            text_cell(ws, result.message),
        ]
        ws.append(marker.row(cells, line, positions))
