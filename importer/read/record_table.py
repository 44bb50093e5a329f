"""From a sheet as read to the records' table: one text column per record field, rows by number.

The records' counterpart of :mod:`importer.read.table`: the same readers
(:func:`importer.read.files.read_sheet`) and the same refusals of a header that would lose
data (a misspelt column, two columns for one field), with the records' own columns
(:mod:`importer.check.record_fields`). Only the columns the sheet has are in the frame: a
contact list of a million rows has a few of the forty record keys, and the others are
empty without being made.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from importer.check.cells import clean_column, clean_header
from importer.check.columns import RETRY_COLUMNS, HeaderMatch, fold
from importer.check.problems import Problem, Rule
from importer.check.record_fields import (
    FIELDS,
    match_record_header,
    missing_message,
    record_header_score,
)
from importer.errors import InputError
from importer.i18n import _
from importer.read.files import read_sheet
from importer.read.layout import Layout, sheet_layout
from importer.read.sheet import Sheet
from importer.read.table import overflow_problems, refuse_lossy
from importer.send.policy import MAX_RECORD_CELLS


@dataclass
class RecordTable:
    """A loaded records sheet: text cells under record field names, indexed by row number."""

    #: The record fields the sheet has (plus any retry-file columns); index = sheet row.
    frame: pd.DataFrame
    #: Where the rows came from, for messages: 'sheet "records"' or 'CSV (utf-8, ";")'.
    source: str
    warnings: list[str] = field(default_factory=list)
    #: field -> header text as written, where the column was not named by its field.
    aliases: dict[str, str] = field(default_factory=dict)
    #: Row problems found while reading (a CSV row wider than its header).
    problems: list[Problem] = field(default_factory=list)
    #: Cell-level notes: a header matched by alias.
    notes: list[Problem] = field(default_factory=list)
    header_row: int = 1
    header: list[str] = field(default_factory=list)
    #: The sheet's own columns (header texts, columns not read), for the files written.
    layout: Layout = field(default_factory=Layout)
    #: A CSV's delimiter (None for a workbook's sheet), and its records wider than the
    #: header: row -> the fields beyond it, so that a copy written as wide reads the same.
    delimiter: str | None = None
    overflow: dict[int, list[str]] = field(default_factory=dict)


#: Sheet names that say "the records are here" (compared ignoring case and spaces).
RECORD_SHEETS = ("records", "registros", "contactos", "record", "registro", "contacto")


def records_sheet(sheets: Iterable[str]) -> str | None:
    """The workbook's records sheet, by its name; None when it has none. Two sheets
    named like records are refused: the records of the one not read would have no
    status anywhere."""
    by_fold = {s.strip().casefold(): s for s in sheets}
    found = [by_fold[n] for n in RECORD_SHEETS if n in by_fold]
    if len(found) > 1:
        message = _(
            "the workbook has {n} sheets of records ({sheets}); put the records in one sheet, "
            "or rename the others, and try again."
        )
        raise InputError(message.format(n=len(found), sheets=", ".join(f'"{s}"' for s in found)))
    return found[0] if found else None


def load_records(
    path: str | os.PathLike[str],
    sheet: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
) -> tuple[RecordTable, str | None]:
    """The records of ``path`` as a :class:`RecordTable`, and the sheet read: its sheet
    ``sheet``, else (a workbook) the sheet named like records, else its first visible one;
    a CSV as it is, up to :data:`MAX_RECORD_CELLS` cells (contact lists are long)."""
    path = Path(path)
    read = read_sheet(path, sheet=sheet, score=record_header_score, max_cells=MAX_RECORD_CELLS)
    if sheet is None and read.sheets:
        named = records_sheet(read.sheets)
        if named is not None and named != read.sheet:
            read = read_sheet(
                path, sheet=named, score=record_header_score, max_cells=MAX_RECORD_CELLS
            )
    return build_record_table(path.name, read, mapping), read.sheet


def build_record_table(
    name: str, read: Sheet, mapping: Mapping[str, str | None] | None = None
) -> RecordTable:
    """Turn a :class:`Sheet` into a :class:`RecordTable`; raise :class:`InputError` for a
    header that would lose data or lacks a needed column, or a sheet without records."""
    mapping = {clean_header(k): v for k, v in (mapping or {}).items()}
    header = [clean_header(c) for c in read.head[-1]] if read.head else []
    while header and not header[-1]:
        header.pop()
    header_row = len(read.head)
    if record_header_score(header) == 0 and not mapping:
        raise InputError(
            _(
                "{name} has no header row with the record columns (campaign_name, tel1, "
                "customer_name, ...); first row holds: {found}."
            ).format(name=name, found=", ".join(h for h in header if h) or _("nothing"))
        )
    match = match_record_header(header, mapping)
    _refuse(name, match, header, header_row)
    frame = _frame(read.body, match, header_row)
    if frame.empty:
        raise InputError(
            _(
                "{name} has a header (row {row}) but no records. Add the records below the "
                "header and run again."
            ).format(name=name, row=header_row)
        )
    warnings = list(read.warnings)
    if match.ignored:
        warnings.append(
            _("ignored columns not used by wolkvox: {columns}").format(
                columns=", ".join(match.ignored)
            )
        )
    notes = [
        Problem(header_row, f, text, _('the column "{header}" is read as {field}').format(
            header=text, field=f), Rule.HEADER_ALIAS)
        for f, text in match.aliases.items()
        if fold(text) != fold(f)
    ]  # fmt: skip
    return RecordTable(
        frame=frame, source=read.source, warnings=warnings,
        aliases={**match.aliases, **{f: t for f, t in match.mapped.items() if t != f}},
        problems=overflow_problems(read, match, header_row, len(header), FIELDS),
        notes=notes, header_row=header_row, header=header,
        layout=sheet_layout(header, match, read.body, frame.index, header_row),
        delimiter=read.delimiter, overflow=read.overflow_fields(len(header), header_row),
    )  # fmt: skip


def _refuse(name: str, match: HeaderMatch, header: list[str], row: int) -> None:
    refuse_lossy(name, match)
    message = missing_message(name, match, header, row)
    if message:
        raise InputError(message)


def _frame(body: pd.DataFrame, match: HeaderMatch, header_row: int) -> pd.DataFrame:
    """The sheet's record columns, cleaned, indexed by row number, without blank rows."""
    rows = len(body)
    columns: dict[str, np.ndarray] = {}
    for f in (*FIELDS, *RETRY_COLUMNS):
        pos = match.positions.get(f)
        if pos is not None and pos in body.columns:
            cells = clean_column(body[pos].to_numpy(dtype=object))
            # the frame's own: a clean column is the sheet's array, which edits must not reach
            columns[f] = cells.copy() if np.shares_memory(cells, body[pos].array) else cells
    index = pd.RangeIndex(header_row + 1, header_row + 1 + rows, name="row")
    # copy=False: a column a block, not twenty copied into one (half a second a million rows)
    frame = pd.DataFrame(columns, index=index, dtype=object, copy=False)
    if not rows or not columns:
        return frame
    blank = np.ones(rows, dtype=bool)
    for values in columns.values():
        blank &= values == ""
        if not blank.any():  # most lists: the first column or two settle it
            break
    return frame[~blank] if blank.any() else frame
