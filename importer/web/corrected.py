"""The person's own sheet, with the cells changed on the page: the "corrected
spreadsheet" the page gives back.

The download is their file, not a copy in the importer's shape: an Excel workbook is
opened and the changed cells are set in place (every other cell, sheet, title row,
header text and format kept), each changed cell marked with a fill and a note saying
what it held before; a CSV comes back as a CSV in its own encoding and delimiter (and,
on request, as a workbook with the marks); an .xls or .ods workbook, which cannot be
written back as it was, comes back as an .xlsx copy of its values with the marks.

Any text can be written: what a workbook cannot store shows as ``<U+0001>`` (see
``workbook_style.storable``). The run itself reads its own copy of the rows as
reviewed (``workspace.write_run_input``), not this file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from copy import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from importer.check.cells import clean_cell
from importer.check.columns import ID_COLUMNS
from importer.i18n import _
from importer.read.csvfile import decode
from importer.record.workbook_style import AUTHOR, save_atomically, storable

SHEET = "campaigns"
#: The fill of a cell changed on the page: Excel's "Check cell"-like blue, unlike the
#: red and amber of problems and warnings.
EDITED_FILL = PatternFill("solid", fgColor="BDD7EE")
#: Where a run folder keeps what the corrected download is made from.
RECORD_NAME = "corrections.json"
#: Kinds of upload that openpyxl opens as they are.
OPENPYXL_KINDS = ("xlsx",)


@dataclass(frozen=True)
class Edit:
    """One cell changed on the page."""

    row: int
    field: str
    #: the cell as the file held it ("" when empty), and as it is now
    before: str
    after: str


@dataclass
class Corrections:
    """What the corrected download is made from: the uploaded file and the changes."""

    #: the uploaded file, and its name as the person gave it
    source: Path
    name: str
    #: the file's kind, from its content: xlsx, csv, xls or ods
    kind: str
    sheet: str | None
    encoding: str | None
    delimiter: str | None
    header_row: int
    #: field -> its column's place in the sheet, from 0 (fields the sheet lacks are absent)
    positions: dict[str, int]
    edits: list[Edit] = field(default_factory=list)
    #: the number of header cells, where the columns for fields the sheet lacks go
    width: int = 0
    #: only these rows (with the rows down to the header), for the rows with problems
    #: alone; None: every row
    keep: list[int] | None = None
    #: (row, field, what is wrong) of the kept rows, a note on each such cell
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    #: the changes of other sheets of the same workbook (a launch workbook's records
    #: sheet), set in place with these
    others: list[Corrections] = field(default_factory=list)

    @property
    def part(self) -> str:
        """What the download's name says it holds: ``corrected``, or ``problems``."""
        return "problems" if self.keep is not None else "corrected"

    @property
    def suffix(self) -> str:
        """The download's ending: the file's own for a workbook or CSV written back."""
        return f".{self.part}.csv" if self.kind == "csv" else f".{self.part}.xlsx"

    @property
    def in_place(self) -> bool:
        """Whether the download is the file itself with its cells changed."""
        return self.kind in (*OPENPYXL_KINDS, "csv")

    def save(self, path: Path) -> None:
        """Keep the record beside a run (JSON), for its download after a restart."""
        data = asdict(self)
        data["source"] = str(self.source)
        for other, kept in zip(self.others, data["others"], strict=True):
            kept["source"] = str(other.source)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Corrections:
        """The record :meth:`save` kept."""
        return cls._of(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def _of(cls, data: dict[str, Any]) -> Corrections:
        data["source"] = Path(data["source"])
        data["edits"] = [Edit(**e) for e in data["edits"]]
        data["others"] = [cls._of(o) for o in data.get("others", [])]
        return cls(**data)

    def columns(self) -> dict[str, int]:
        """field -> place in the sheet, fields the sheet lacks but that were edited
        placed after its last column."""
        places = dict(self.positions)
        at = self.width
        for e in self.edits:
            if e.field not in places:
                places[e.field] = at
                at += 1
        return places


def write_corrected(path: Path, corrections: Corrections, *, marked: bool = False) -> None:
    """Write the corrected spreadsheet to ``path`` (see the module's docstring).

    ``marked`` asks for a workbook with the marks, even for a CSV.
    """
    if corrections.kind == "csv" and not marked:
        _save_bytes(path, _csv_back(corrections))
        return
    if corrections.kind in OPENPYXL_KINDS:
        try:
            book = load_workbook(corrections.source)
        except Exception:  # a workbook openpyxl cannot open (xlsb): a copy of its values
            book = _values_book(corrections.source)
    elif corrections.kind == "csv":
        book = _csv_book(corrections)
    else:
        book = _values_book(corrections.source)
    ws = book[corrections.sheet] if corrections.sheet in book.sheetnames else book.worksheets[0]
    _apply(ws, corrections)
    if corrections.keep is not None:
        _keep_only(book, ws, corrections)
    else:
        for other in corrections.others:
            if other.sheet in book.sheetnames:
                _apply(book[other.sheet], other)
    _save_book(book, path)


def changed_cells(
    body: Any, edits: dict[tuple[int, str], str], positions: dict[str, int], header_row: int
) -> list[Edit]:
    """The cells of ``edits`` ((row, field) -> value now) whose value is not the one the
    sheet read (``body``: its cells below the header, by column place) holds."""
    out = []
    for (row, column), value in sorted(edits.items()):
        place = positions.get(column)
        at = row - header_row - 1
        before = ""
        if place is not None and place in body.columns and 0 <= at < len(body):
            raw = body.at[at, place]
            before = raw if isinstance(raw, str) else ""
        if clean_cell(before) != value:
            out.append(Edit(row, column, before, value))
    return out


def _apply(ws: Any, corrections: Corrections) -> None:
    """Set the changed cells of ``ws`` in place and mark each with a fill and a note."""
    places = corrections.columns()
    for f, place in places.items():
        if f not in corrections.positions:  # a column the sheet lacked: headed by its field
            ws.cell(row=corrections.header_row, column=place + 1, value=f)
    for e in corrections.edits:
        cell = ws.cell(row=e.row, column=places[e.field] + 1)
        if isinstance(cell, MergedCell):
            continue  # only a merged range's first cell holds a value
        cell.value = storable(e.after) or None
        if e.after:
            cell.data_type = "s"  # text as typed: never a formula, never a number
        if e.field in ID_COLUMNS:
            cell.number_format = "@"  # Excel keeps 0042 as typed
        cell.fill = EDITED_FILL
        if e.before:
            text = _("Changed on the page; it was: {value}").format(value=e.before)
        else:
            text = _("Changed on the page; it was empty.")
        cell.comment = Comment(storable(text), AUTHOR, height=60, width=280)


#: The fill of a cell with a problem in the rows-with-problems download: the results'
#: red, as the page shows it.
PROBLEM_FILL = PatternFill("solid", fgColor="FFC7CE")


def _keep_only(book: Any, ws: Any, corrections: Corrections) -> None:
    """Leave in ``ws`` only the rows down to the header and the kept rows, in their
    order, each cell with its value, format and note; mark the cells with a problem."""
    keep = set(corrections.keep or ())
    places = corrections.columns()
    new = book.create_sheet(ws.title + "~", book.index(ws))
    for letter, dimension in ws.column_dimensions.items():
        new.column_dimensions[letter].width = dimension.width
    at = 0
    moved: dict[int, int] = {}
    for number, cells in enumerate(ws.iter_rows(), start=1):
        if number > corrections.header_row and number not in keep:
            continue
        at += 1
        moved[number] = at
        for cell in cells:
            if isinstance(cell, MergedCell) or (cell.value is None and not cell.has_style):
                continue
            target = new.cell(row=at, column=cell.column, value=cell.value)
            if cell.has_style:
                target._style = copy(cell._style)
            if cell.comment is not None:
                target.comment = Comment(cell.comment.text, cell.comment.author or AUTHOR,
                                         height=60, width=280)  # fmt: skip
    for row, name, message in corrections.problems:
        if row not in moved or name not in places:
            continue
        target = new.cell(row=moved[row], column=places[name] + 1)
        target.fill = PROBLEM_FILL
        earlier = target.comment.text + "\n" if target.comment is not None else ""
        target.comment = Comment(storable(earlier + message), AUTHOR, height=80, width=300)
    title = ws.title
    book.remove(ws)
    new.title = title
    book.active = book.index(new)


def _records(corrections: Corrections) -> tuple[list[str], list[list[str]], str]:
    """The CSV's ``sep=`` line (if any), its records, and its line ending."""
    data = corrections.source.read_bytes()
    text, _used = decode(data, corrections.name, corrections.encoding)
    text = text.lstrip("\ufeff")
    first, _newline, rest = text.partition("\n")
    sep: list[str] = []
    if first.strip().lower().startswith("sep=") and len(first.strip()) >= 5:
        sep, text = [first.rstrip("\r")], rest  # Excel's hint line: not a row, kept as it was
    ending = "\r\n" if "\r\n" in text[:100_000] else "\n"
    records = list(
        csv.reader(io.StringIO(text, newline=""), delimiter=corrections.delimiter or ",")
    )
    return sep, records, ending


def _changed_records(corrections: Corrections) -> tuple[list[str], list[list[str]], str]:
    sep, records, ending = _records(corrections)
    places = corrections.columns()
    for f, place in places.items():
        if f not in corrections.positions:
            _put(records, corrections.header_row, place, f)
    for e in corrections.edits:
        _put(records, e.row, places[e.field], e.after)
    return sep, records, ending


def _put(records: list[list[str]], row: int, place: int, value: str) -> None:
    while len(records) < row:
        records.append([])
    record = records[row - 1]
    record.extend([""] * (place + 1 - len(record)))
    record[place] = value


def _csv_back(corrections: Corrections) -> bytes:
    """The CSV with its changed cells, in its own encoding and delimiter.

    A changed cell that the file's encoding cannot hold (an emoji in a Windows-1252
    file) makes the whole file UTF-8 with a byte-order mark, which Excel reads: a
    character replaced by "?" would be a change nobody asked for.
    """
    sep, records, ending = _changed_records(corrections)
    if corrections.keep is not None:
        keep = set(corrections.keep)
        records = [r for n, r in enumerate(records, 1) if n <= corrections.header_row or n in keep]
    out = io.StringIO(newline="")
    for line in sep:
        out.write(line + ending)
    writer = csv.writer(out, delimiter=corrections.delimiter or ",", lineterminator=ending)
    writer.writerows(records)
    text = out.getvalue()
    encoding = corrections.encoding or "utf-8"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8-sig")


def _csv_book(corrections: Corrections) -> Workbook:
    """A workbook holding the CSV's records as text, each at its own row."""
    _sep, records, _ending = _records(corrections)
    book = Workbook()
    ws: Any = book.active
    ws.title = SHEET
    for number, record in enumerate(records, start=1):
        for place, value in enumerate(record, start=1):
            if value:
                cell = ws.cell(row=number, column=place, value=storable(value))
                cell.data_type = "s"
    return book


def _values_book(source: Path) -> Workbook:
    """An .xlsx copy of an .xls or .ods workbook: every sheet, its values (not its formats)."""
    import python_calamine as calamine

    original = calamine.CalamineWorkbook.from_path(str(source))
    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    for name in original.sheet_names:
        ws = book.create_sheet(name[:31])
        for r, row in enumerate(original.get_sheet_by_name(name).to_python(), start=1):
            for c, value in enumerate(row, start=1):
                if value not in ("", None):
                    ws.cell(row=r, column=c, value=storable(value) if isinstance(value, str)
                            else value)  # fmt: skip
    return book


def _save_book(book: Workbook, path: Path) -> None:
    save_atomically(book, path)


def _save_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
