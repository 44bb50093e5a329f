"""How the results and retry workbooks look: text cells, marked cells and their notes.

A cell with a problem is filled red and carries the problem as a cell note; a cell
with a warning is filled amber. Marks are styling only: the cell's value is written
exactly as it would be unmarked, so a retry file reads back the same with or without
them. Only marked cells become styled cells, which keeps a 100,000-row workbook with
a few thousand mistakes nearly as fast to write as a plain dump.

Any text can be written (see :func:`storable`): what a workbook cannot hold is shown
as ``<U+0001>``, never an error, so no odd byte in a cell or an answer can keep a
run's results from being written.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from importer.check.cells import UNSTORABLE, visible
from importer.i18n import _
from importer.send.policy import MAX_CELL_CHARS

#: Excel's own "Bad" and "Neutral" cell styles, which spreadsheet users already read.
PROBLEM_FILL = PatternFill("solid", fgColor="FFC7CE")
PROBLEM_COLOUR = "9C0006"
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
WARNING_COLOUR = "9C5700"
BOLD = Font(bold=True)
#: Shown by Excel as the note's author.
AUTHOR = "wolkvox-import"
#: The header row of every sheet written here; marks on other rows go to it.
HEADER = 1
WIDTHS = {
    "row": 7,
    "status": 10,
    "id_campaign": 12,
    "message": 60,
    "status_label": 22,
    "campaign_name": 30,
    "campaign_description": 30,
    "last_message": 60,
}
#: What a write-only sheet's ``append`` takes for one cell: a styled cell or a plain value.
Entry = Cell | str | int | None
#: Characters that would make Excel read a text cell as a formula.
FORMULA_START = "=+-@"
#: Notes per sheet. Past this, marked cells keep their colour without a note: openpyxl
#: builds all notes in memory when saving (some 5 KB each), Excel slows down with very
#: many, and the message column and the summary already say what is wrong.
MAX_NOTES = 20_000
#: A note's size in pixels: wide enough for a sentence, tall enough for its lines.
NOTE_WIDTH = 320
NOTE_CHARS_PER_LINE = 48
NOTE_LINE_HEIGHT = 16
#: Longer text is cut at Excel's limit (MAX_CELL_CHARS), with an ellipsis.
#: What needs care on the way into a workbook: characters it cannot store, the carriage
#: return (XML would read it back as a line feed) and text that looks like OOXML's own
#: escape ``_x0041_`` (Excel would read it back as ``A``).
_NEEDS_CARE = re.compile(f"[{UNSTORABLE}\r]|_x[0-9A-Fa-f]{{4}}_")
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|\r")


def _ooxml(text: str) -> str:
    """``text`` in OOXML's escapes, for what XML itself would change."""
    return _OOXML_ESCAPE.sub(lambda m: "_x000D_" if m.group() == "\r" else "_x005F_", text)


def storable(text: str) -> str:
    """``text`` as a cell or a note can hold it, to be read back as the same text.

    Characters a workbook cannot store (most control characters, U+FFFE, U+FFFF, lone
    surrogates) are written visibly as ``<U+0001>``; everything else reads back from
    the workbook (in Excel, and by the importer) exactly as it was. Text over Excel's
    32,767 characters per cell is cut there and ends in an ellipsis.
    """
    if len(text) <= MAX_CELL_CHARS and not _NEEDS_CARE.search(text):
        return text
    text = visible(text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    escaped = _ooxml(text)
    if len(escaped) <= MAX_CELL_CHARS:
        return escaped
    # Escapes are longer than what they stand for: the longest beginning that fits.
    low, high = 0, len(text) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(_ooxml(text[:middle] + "…")) <= MAX_CELL_CHARS:
            low = middle
        else:
            high = middle - 1
    return _ooxml(text[:low] + "…")


class CellIssue(Protocol):
    """What a mark needs from a problem or a warning (``importer.check.problems.Problem``)."""

    @property
    def row(self) -> int: ...
    @property
    def column(self) -> str: ...
    @property
    def message(self) -> str: ...


class Level(IntEnum):
    """How bad a marked cell is; a cell with both shows the worse."""

    WARNING = 1
    PROBLEM = 2


@dataclass
class Mark:
    """What one cell is marked with: its level and the lines of its note."""

    level: Level
    lines: list[str] = field(default_factory=list)

    def add(self, level: Level, line: str) -> None:
        self.level = max(self.level, level)
        if line not in self.lines:
            self.lines.append(line)


#: sheet row -> column name -> mark
Marks = dict[int, dict[str, Mark]]


def cell_marks(
    problems: Iterable[CellIssue],
    warnings: Iterable[CellIssue],
    lines: dict[int, int],
    columns: Sequence[str],
    *,
    fallback: str,
    header_marks: bool = True,
) -> Marks:
    """Where each problem and warning goes in a sheet.

    ``lines`` maps an input row number to the sheet row that shows it. A problem on a
    row the sheet does not show as data (a header warning, say) goes to the header
    cell of its column, or nowhere when ``header_marks`` is false; a problem on a
    column the sheet does not have goes to the ``fallback`` column of its row.
    """
    known = set(columns)
    marks: Marks = {}
    issues = [(Level.PROBLEM, p) for p in problems] + [(Level.WARNING, w) for w in warnings]
    for level, issue in issues:
        line = lines.get(issue.row)
        if line is None:
            if not header_marks:
                continue
            line = HEADER
        column = issue.column if issue.column in known else fallback
        text = issue.message
        if level is Level.WARNING:
            text = _("Warning: {message}").format(message=issue.message)
        row = marks.setdefault(line, {})
        if column in row:
            row[column].add(level, text)
        else:
            row[column] = Mark(level, [text])
    return marks


def text_cell(ws: WriteOnlyWorksheet, value: str) -> Entry:
    """A cell that Excel shows as text even when it starts like a formula.

    An empty value becomes no cell at all: the sheet looks the same and most of a
    campaign sheet's cells (opt1 ... opt12) are empty. Any text can be given: it is
    written as :func:`storable` makes it.
    """
    if not value:
        return None
    value = storable(value)
    if value[0] in FORMULA_START:
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # never a formula: a sheet from outside must not run code
        return cell
    return value


class Marker:
    """The marks of one sheet, and the styled cells that show them."""

    def __init__(self, ws: WriteOnlyWorksheet, marks: Marks) -> None:
        self.ws = ws
        self.marks = marks
        #: marked cells left without a note, past :data:`MAX_NOTES`
        self.unnoted = 0
        self._noted = 0
        self._styles: dict[tuple[Level, bool], Any] = {}

    def cell(self, value: Any, mark: Mark, *, bold: bool = False) -> Cell:
        """A cell filled red or amber with its note; the value is written as
        :func:`text_cell` would write it, so marks never change what is read back.

        ``value`` is already as :func:`text_cell` made it (storable)."""
        cell = WriteOnlyCell(self.ws, value if value not in ("", None) else None)
        if isinstance(value, str) and value and value[0] in FORMULA_START:
            cell.data_type = "s"
        key = (mark.level, bold)
        style = self._styles.get(key)
        if style is None:
            problem = mark.level is Level.PROBLEM
            cell.fill = PROBLEM_FILL if problem else WARNING_FILL
            cell.font = Font(bold=bold, color=PROBLEM_COLOUR if problem else WARNING_COLOUR)
            self._styles[key] = copy(cell._style)  # type: ignore[attr-defined]
        else:
            # Setting a fill looks it up among the workbook's styles by hash each time,
            # which costs seconds over many thousand cells: a copy of the style found
            # for the first cell is the same style.
            cell._style = copy(style)  # type: ignore[attr-defined]
        if self._noted < MAX_NOTES:
            cell.comment = note(mark.lines)
            self._noted += 1
        else:
            self.unnoted += 1
        return cell

    def row(self, cells: list[Entry], line: int, positions: dict[str, int]) -> list[Entry]:
        """``cells`` of sheet row ``line`` with its marked cells swapped for styled ones.

        Most rows have no mark and cost one dictionary lookup.
        """
        row = self.marks.get(line)
        if row is None:
            return cells
        for column, mark in row.items():
            i = positions[column]
            current = cells[i]
            value = current.value if isinstance(current, Cell) else current
            cells[i] = self.cell(value, mark)
        return cells

    def header(self, header: Sequence[str], texts: Sequence[str] | None = None) -> list[Entry]:
        """The bold header cells, marked where a warning is about a column.

        ``header`` names the columns as the marks do; ``texts``, when given, is what the
        cells show (the person's own header texts).
        """
        out: list[Entry] = []
        row = self.marks.get(HEADER, {})
        for name, given in zip(header, texts or header, strict=True):
            # The person's own header texts: any text, escaped as the cells are.
            text = storable(given)
            mark = row.get(name)
            if mark is None:
                cell = WriteOnlyCell(self.ws, text or None)
                if text and text[0] in FORMULA_START:
                    cell.data_type = "s"  # a header is never a formula either
                cell.font = BOLD
            else:
                cell = self.cell(text, mark, bold=True)
            out.append(cell)
        return out


def note(lines: Sequence[str]) -> Comment:
    """A cell note holding ``lines``, sized so that they can be read without resizing."""
    text = storable("\n".join(lines))
    rows = sum(max(1, math.ceil(len(line) / NOTE_CHARS_PER_LINE)) for line in lines)
    return Comment(text, AUTHOR, height=NOTE_LINE_HEIGHT * (rows + 1), width=NOTE_WIDTH)


def sheet(book: Workbook, title: str, header: Sequence[str]) -> Any:
    """A write-only sheet with readable column widths and a frozen header row.

    Typed loosely: openpyxl's stubs leave out the write-only sheet's widths, filters
    and conditional formats, which it has.
    """
    ws: Any = book.create_sheet(title)
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 14)
    ws.freeze_panes = "A2"
    return ws


@contextlib.contextmanager
def write_only_workbook() -> Iterator[Workbook]:
    """A write-only workbook that is discarded cleanly when writing it fails.

    A write-only sheet streams its rows into a temporary file through a generator;
    left open after a failure, the generator would be collected later and write to a
    closed file ("Exception ignored in ... _write_rows"), and the temporary file
    would stay until the process ends.
    """
    book = Workbook(write_only=True)
    try:
        yield book
    except BaseException:
        _discard(book)
        raise


def _discard(book: Workbook) -> None:
    """Close the streams of a workbook that will not be saved, and remove their files."""
    for ws in book.worksheets:
        rows = getattr(ws, "_rows", None)
        writer = getattr(ws, "_writer", None)
        with contextlib.suppress(Exception):
            if rows is not None:
                rows.close()  # ends the sheet's rows while its file is still open
        with contextlib.suppress(Exception):
            if writer is not None:
                writer.close()
                writer.cleanup()


def save_atomically(book: Workbook, path: Path) -> None:
    """Save ``book`` over ``path`` only once it is complete on disk.

    The temporary file and its archive are opened here rather than by openpyxl, so
    that both are closed even when the save fails halfway: a file still open cannot
    be removed on Windows, and an archive left open would complain when collected.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            archive = ZipFile(fh, "w", ZIP_DEFLATED, allowZip64=True)
            try:
                ExcelWriter(book, archive).save()  # closes the archive when done
            except BaseException:
                _abandon(archive)
                raise
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _abandon(archive: ZipFile) -> None:
    """Close a half-written archive without letting a second error hide the first."""
    with contextlib.suppress(Exception):
        archive.close()
    archive.fp = None  # closed or not, it must never write to the file again
