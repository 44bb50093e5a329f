"""What an OpenDocument spreadsheet will cost calamine, from its ``content.xml``.

calamine reads every table of an .ods file when it opens it, each as the rectangle its
values span. A cell can say it repeats across 16,384 columns and a row that it repeats
a million times, so two lines of XML can describe billions of cells. The XML is
streamed once here, counting as calamine counts: a value cell (or formula) repeated is
that many cells; empty cells count only when a value follows them in the row; rows
count down to the last one holding a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from importer.read.xlsx import chunks

# calamine matches these names with their usual prefixes, as written here.
_TAG = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)"
    rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_COLUMNS_REPEATED = re.compile(rb"""\stable:number-columns-repeated\s*=\s*["']\+?([0-9]+)["']""")
_ROWS_REPEATED = re.compile(rb"""\stable:number-rows-repeated\s*=\s*["']\+?([0-9]+)["']""")
_VALUE = re.compile(
    rb"""\s(?:office:(?:value|string-value|date-value|time-value|boolean-value)|table:formula)"""
    rb"""\s*=|\soffice:value-type\s*=\s*["']string["']"""
)
_CELLS = (b"table-cell", b"covered-table-cell")
_ANY_TAG = re.compile(rb"<table:(?:table|table-row|table-cell|covered-table-cell)[\s/>]")


@dataclass
class Table:
    """One table's size as calamine will hold it."""

    #: rows down to the last one with a value (repeats counted)
    rows: int = 0
    #: the widest row, up to its last value (repeats counted)
    width: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.width


class BadContent(ValueError):
    """A tag of the content that this reading did not understand (calamine might)."""


def scan(pieces: Iterable[bytes], give_up: int) -> list[Table]:
    """Every table's size; stop early once their cells pass ``give_up`` (the caller
    refuses the file then, and the rest need not be read)."""
    tables: list[Table] = []
    table: Table | None = None
    in_row = in_cell = False
    rows = repeat = width = pending = 0
    total = 0
    for chunk in chunks(pieces):
        starts = 0
        for closing, name, attributes, empty in _TAG.findall(chunk):
            starts += not closing
            if in_cell:
                # Only the cell's own end may come: calamine skips what a cell holds,
                # so a table or row inside one would be counted differently.
                if not (closing and name in _CELLS):
                    raise BadContent("a table inside a cell")
                in_cell = False
                continue
            if name == b"table":
                if closing and table is not None:
                    total += table.cells
                    table = None
                elif not closing and table is None:
                    table, rows, in_row = Table(), 0, False
                    tables.append(table)
                elif not closing:
                    raise BadContent("a table inside a table")
                continue
            if table is None:
                continue
            if name == b"table-row":
                if not closing:
                    found = _ROWS_REPEATED.search(attributes)
                    repeat = int(found[1]) if found else 1
                    in_row, width, pending = True, 0, 0
                if closing or empty:
                    rows += repeat
                    if width:
                        table.rows = rows
                        table.width = max(table.width, width)
                    in_row = False
                    if total + table.cells > give_up:
                        return tables
                continue
            if closing or not in_row:
                continue
            in_cell = not empty
            found = _COLUMNS_REPEATED.search(attributes)
            times = int(found[1]) if found else 1
            # calamine writes the empty cells before this one only now, and keeps the
            # count of the last run of empty cells for the next value.
            width += pending
            pending = 0
            if _VALUE.search(attributes):
                width += times
            else:
                pending = times
        if starts != len(_ANY_TAG.findall(chunk)):
            raise BadContent("a table tag that is not well formed")
    return tables
