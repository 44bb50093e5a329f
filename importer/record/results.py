"""Stage 4: the results workbook and the retry file, derived from the journal.

Both show each problem in its cell (see :mod:`importer.record.workbook_style`), and both are
written atomically (a temporary file in the same folder, then a rename), so a crash
can never leave a half-written workbook where the last good one was. Any text can be
written, whatever the sheet or the server held (see ``workbook_style.storable``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from importer import status
from importer.check import schema
from importer.check.columns import FIELDS, ID_COLUMNS, RETRY_COLUMNS
from importer.check.schema import Checked
from importer.i18n import _, ngettext
from importer.read.layout import Column, Layout, default_layout, original_rows, readable_headers
from importer.record.workbook_style import (
    BOLD,
    CellIssue,
    Entry,
    Marker,
    cell_marks,
    save_atomically,
    sheet,
    storable,
    text_cell,
    write_only_workbook,
)
from importer.send.journal import JournalState
from importer.status import EXCLUDED_REASON, Status, label

COLOURS = {
    Status.CREATED: "C6EFCE",
    Status.EXISTS: "DDEBF7",
    Status.VALID: "C6EFCE",
    Status.FAILED: "FFC7CE",
    Status.INVALID: "FFC7CE",
    Status.UNKNOWN: "FFEB9C",
    Status.NOT_SENT: "EDEDED",
    Status.DELETED: "D9D9D9",
    Status.EXCLUDED: "EDEDED",
}
#: The first columns, in every language: files and scripts read them by name and place.
RESULT_HEADER = ("row", "status", "id_campaign", "message")
#: The status in words, after the stable columns so that they keep their places.
LABEL_COLUMN = "status_label"
#: A run with records: each campaign's records added and what its start came to.
LAUNCH_COLUMNS = ("records_added", "started")
#: For a retry file's rows, whose ``row`` is the first sheet's: their row in the retry file.
RETRY_ROW_COLUMN = "retry_row"
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
    #: the row number in the first sheet, for a retry file's row (its ``original_row``)
    original: int | None = None

    @property
    def shown_row(self) -> int:
        """The row number the person knows: the first sheet's."""
        return self.original if self.original is not None else self.row


@dataclass
class Kind:
    """One kind of problem (one rule broken) and the rows that have it."""

    label: str
    rows: list[int] = field(default_factory=list)

    def first_rows(self) -> str:
        """``4, 9, 15``, or the first few and an ellipsis."""
        shown = ", ".join(str(r) for r in self.rows[:FIRST_ROWS])
        return shown + (", …" if len(self.rows) > FIRST_ROWS else "")


#: The sheets :func:`write_results` writes, in order: what marks a workbook as results.
RESULTS_SHEETS = ["results", "summary"]


def is_results_workbook(path: Path) -> bool:
    """True when ``path`` is a workbook with exactly the sheets :func:`write_results`
    writes: a results workbook (or a dry run's check), which ``--out`` may replace.

    Only the workbook's list of sheets is read (a results workbook of 100,000 rows is
    not opened for that), and anything unreadable is not one of these."""
    import xml.etree.ElementTree as ET
    import zipfile

    from importer.read.xlsx import NS

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > 2**20:  # a workbook's sheet list is a few hundred bytes
                return False
            book = ET.fromstring(archive.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError, RuntimeError, ValueError):
        return False
    names = [e.get("name") for e in book.iterfind("m:sheets/m:sheet", NS)]
    return names == RESULTS_SHEETS


def retry_path(out: Path) -> Path:
    """``x.results.xlsx`` -> ``x.results.retry.xlsx``."""
    return out.with_name(out.stem + ".retry.xlsx")


def derive(
    frame: pd.DataFrame,
    checked: Checked,
    state: JournalState | None,
    *,
    dry_run: bool,
    excluded: Iterable[int] = (),
) -> list[RowResult]:
    """Each row's status, from validation and (for a real run) the journal.

    Rows left out (``excluded``, and those the journal's options name) are
    ``excluded``, whatever their cells hold.

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
    if sent is not None and sent.finished:
        # Only closing an unfinished run (the page's Close) finishes a journal with such
        # a row: no resume will check it any more.
        unanswered = _(
            "sent, but the answer was never recorded, and the run was closed without "
            "checking it; look for the campaign in wolkvox manager before sending it again"
        )
    out = []
    code: str
    originals = original_rows(frame)
    left_out = {*excluded, *excluded_rows(state)}
    for row, name in zip(frame.index, frame["campaign_name"].str.strip(), strict=True):
        row = int(row)
        problems = checked.invalid.get(row)
        done = sent.outcomes.get(row) if sent is not None else None
        if done is None and row in left_out:
            code, ident, message = Status.EXCLUDED, "", _(EXCLUDED_REASON)
        elif done is not None and (done.status != Status.NOT_SENT or not problems):
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
        out.append(RowResult(row, code, ident, message, name, originals.get(row)))
    return out


def excluded_rows(state: JournalState | None) -> frozenset[int]:
    """The rows a run's journal says were left out (its options' ``excluded``)."""
    header = getattr(state, "header", None) or {}
    options = header.get("options")
    rows = options.get("excluded") if isinstance(options, dict) else None
    return frozenset(int(r) for r in rows) if isinstance(rows, list) else frozenset()


def counts(results: Iterable[RowResult]) -> dict[str, int]:
    """Rows per status, every status listed (``excluded``, which only the web page gives,
    when some row has it)."""
    tally = Counter(r.status for r in results)
    return {s: tally.get(s, 0) for s in Status if s != Status.EXCLUDED or tally.get(s)}


def kinds(problems: Iterable[CellIssue], shown: Mapping[int, int] | None = None) -> list[Kind]:
    """Problems grouped by the rule they break, most rows first, each row counted once.

    A rule is named by ``schema.describe(rule)``; problems without a rule are grouped by
    column and message. ``shown`` gives the row number to name for a row (a retry file's
    rows are named by their first sheet's row).
    """
    shown = shown or {}
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
            kind.rows.append(shown.get(p.row, p.row))
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
    frame: pd.DataFrame, results: Sequence[RowResult], columns: Sequence[str],
    layout: Layout | None = None,
) -> Iterator[list[str]]:  # fmt: skip
    """The input cells of each result's row, read column by column rather than cell by cell.

    ``columns`` are fields, or the keys of ``layout``'s columns that are not read.
    """
    layout = layout or Layout()
    values = [layout.values(frame, c) for c in columns]
    position = {row: i for i, row in enumerate(frame.index.tolist())}
    for result in results:
        i = position[result.row]
        yield [column[i] for column in values]


def _id_cells(ws: Any, keys: Sequence[str]) -> tuple[set[int], Any]:
    """The places of ``keys`` that hold ids, their columns formatted as text; and a maker
    of text cells for them, so that Excel keeps a retyped ``0042`` as it is."""
    ids = {i for i, k in enumerate(keys) if k in ID_COLUMNS}
    for i in ids:
        ws.column_dimensions[get_column_letter(i + 1)].number_format = "@"
    styles: dict[str, Any] = {}

    def make(value: str) -> Entry:
        cell = WriteOnlyCell(ws, storable(value) if value else None)  # any text, as elsewhere
        cell.data_type = "s"
        if "style" in styles:
            cell._style = copy(styles["style"])  # type: ignore[attr-defined]
        else:
            cell.number_format = "@"
            styles["style"] = copy(cell._style)  # type: ignore[attr-defined]
        return cell

    return ids, make


def _as_text(cells: list[Entry], ids: set[int]) -> list[Entry]:
    """Marked id cells keep the text format their unmarked neighbours have."""
    for i in ids:
        cell = cells[i]
        if isinstance(cell, Cell) and cell.number_format != "@":
            cell.number_format = "@"
    return cells


def write_results(
    path: Path,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    summary: Sequence[tuple[str, str]],
    *,
    problems: Iterable[CellIssue] = (),
    notes: Iterable[CellIssue] = (),
    layout: Layout | None = None,
    launched: Mapping[int, tuple[str, str]] | None = None,
    more: Callable[[Workbook], None] | None = None,
) -> None:
    """Write the results workbook: a ``results`` sheet and a ``summary`` sheet.

    ``launched`` (a run with records) gives each campaign row its records added and
    what its start came to, in two columns after the label; ``more`` adds sheets (the
    records').

    The fixed columns come first, then the row as it was read, in the sheet's own
    ``layout`` (its header texts and the columns the importer does not read; every
    field under its own name when there is none). For a retry file's rows ``row`` is
    the first sheet's row number and ``retry_row`` the retry file's. ``problems`` fill
    their cells red and ``notes`` (warnings) amber, each with its text as a cell note;
    a note about a row that is not a data row marks the header cell of its column. The
    summary counts the rows of each kind of problem and warning.
    """
    problems, notes = list(problems), list(notes)
    layout = layout if layout is not None and layout.columns else default_layout()
    with write_only_workbook() as book:
        _fill_results(book, frame, results, summary, problems, notes, layout, launched)
        if more is not None:
            more(book)
        save_atomically(book, path)


def _fill_results(
    book: Workbook,
    frame: pd.DataFrame,
    results: Sequence[RowResult],
    summary: Sequence[tuple[str, str]],
    problems: list[CellIssue],
    notes: list[CellIssue],
    layout: Layout,
    launched: Mapping[int, tuple[str, str]] | None = None,
) -> None:
    """The results and summary sheets of :func:`write_results`."""
    originals = {r.row: r.original for r in results if r.original is not None}
    fixed = [*RESULT_HEADER, LABEL_COLUMN, *(LAUNCH_COLUMNS if launched is not None else ()),
             *([RETRY_ROW_COLUMN] if originals else [])]  # fmt: skip
    data = [c.key for c in layout.columns]
    header = [*fixed, *data]
    ws = sheet(book, RESULTS_SHEETS[0], header)
    ids, id_cell = _id_cells(ws, header)
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
    ws.append(marker.header(header, [*fixed, *(c.header for c in layout.columns)]))
    rows = zip(results, _input_rows(frame, results, data, layout), strict=True)
    for line, (result, values) in enumerate(rows, start=2):
        cells: list[Entry] = [
            result.shown_row,
            text_cell(ws, result.status),
            text_cell(ws, result.id_campaign),  # the server's text: anything at all
            text_cell(ws, result.message),
            labels.get(result.status),
            *(launched.get(result.row, ("", "")) if launched is not None else ()),
            *([result.row if result.original is not None else None] if originals else []),
            *(text_cell(ws, v) for v in values),
        ]
        for i in ids:
            cells[i] = id_cell(values[i - len(fixed)])
        ws.append(_as_text(marker.row(cells, line, positions), ids))
    # Header warnings are on their header cells (and the run summary names the headers
    # read): counting them as rows would only confuse the counts.
    problems = [p for p in problems if p.row in lines]
    notes = [n for n in notes if n.row in lines]
    if marker.unnoted:
        summary = [*summary, _unnoted(marker.unnoted)]
    _summary_sheet(book, summary, kinds(problems, originals), kinds(notes, originals))


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
    ws: Any = book.create_sheet(RESULTS_SHEETS[1])
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
    layout: Layout | None = None,
) -> int:
    """Write the rows that can be sent again, in input format; return how many.

    Laid out like the sheet (``layout``): its columns in its order, under its own
    header texts wherever the loader reads them back alone (see
    :func:`importer.read.layout.readable_headers`), the columns it does not read included;
    then ``original_row`` and ``last_message``. A field the sheet lacks gets a column
    when a row has a problem there, so that it can be filled in. Cells with a problem
    are red and cells with a warning amber, with their notes, so the marked cells can
    be fixed in Excel and the file run as it is; warnings about the input's header are
    left out. Removes a stale retry file when there is nothing to retry, so an old one
    is never fed back in by mistake.
    """
    chosen = [r for r in results if r.status in status.RETRY_STATUSES]
    if not chosen:
        if path.exists():
            path.unlink()
        return 0
    problems, notes = list(problems), list(notes)
    layout = layout if layout is not None and layout.columns else default_layout()
    with write_only_workbook() as book:
        _fill_retry(book, frame, chosen, problems, notes, layout)
        save_atomically(book, path)
    return len(chosen)


def _fill_retry(
    book: Workbook,
    frame: pd.DataFrame,
    chosen: Sequence[RowResult],
    problems: list[CellIssue],
    notes: list[CellIssue],
    layout: Layout,
) -> None:
    """The one sheet of :func:`write_retry`."""
    columns = [c for c in layout.columns if c.field not in RETRY_COLUMNS]
    rows_kept = {r.row for r in chosen}
    have = {c.field for c in columns}
    wanted = {p.column for p in problems if p.row in rows_kept and p.column in FIELDS}
    columns += [Column(f, f, -1) for f in FIELDS if f in wanted and f not in have]
    data = [c.key for c in columns]
    header = [*data, *RETRY_COLUMNS]
    ws = sheet(book, "campaigns", header)
    ids, id_cell = _id_cells(ws, header)
    lines = {r.row: i for i, r in enumerate(chosen, start=2)}
    marks = cell_marks(problems, notes, lines, header, fallback="original_row", header_marks=False)
    marker = Marker(ws, marks)
    positions = {name: i for i, name in enumerate(header)}
    ws.append(marker.header(header, [*readable_headers(columns), *RETRY_COLUMNS]))
    keys = [*data, "original_row"] if "original_row" in frame.columns else data
    rows = zip(chosen, _input_rows(frame, chosen, keys, layout), strict=True)
    for line, (result, values) in enumerate(rows, start=2):
        original = values[len(data)] if len(values) > len(data) else ""
        cells: list[Entry] = [
            *(text_cell(ws, v) for v in values[: len(data)]),
            # a retry of a retry keeps the first row number
            text_cell(ws, str(original or result.row)),
            text_cell(ws, result.message),
        ]
        for i in ids:
            cells[i] = id_cell(values[i])
        ws.append(_as_text(marker.row(cells, line, positions), ids))
