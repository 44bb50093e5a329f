"""What every format reader returns: a sheet's header rows as lists, its body as a frame.

The readers (:mod:`importer.read.csvfile`, :mod:`importer.read.workbook`) only turn bytes into
text cells and find the header; :mod:`importer.read.table` turns a :class:`Sheet` into the
importer's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from importer.check.cells import clean_header
from importer.read.xlsx import ExcelXml

#: How far down a sheet the header may sit below title rows.
HEADER_SEARCH_ROWS = 20

#: Scores a row as a header candidate: the higher, the more it looks like the header.
Score = Callable[[list[str]], int]


@dataclass(frozen=True)
class Overflow:
    """A CSV record with text beyond the header's last column (an unquoted delimiter)."""

    #: position of the record in the body (0 = the first record under the header)
    position: int
    #: how many fields the record has, up to its last non-empty one
    fields: int
    #: the text beyond the header's columns, joined with the delimiter
    extra: str


@dataclass
class Sheet:
    """A sheet as read: the rows down to the header as lists, the rest as a frame.

    Keeping the body as a frame lets a 100,000-row CSV go from the parser to the
    importer's columns without passing every cell through Python lists.
    """

    #: rows from the top of the sheet down to and including the header
    head: list[list[str]]
    #: the rows below the header: text cells, columns numbered from 0
    body: pd.DataFrame
    #: where the rows came from, for messages: 'sheet "campaigns"' or 'CSV (utf-8, ";")'
    source: str
    warnings: list[str] = field(default_factory=list)
    #: the sheet's XML, for xlsx/xlsm workbooks (what calamine does not tell)
    excel: ExcelXml | None = None
    #: the workbook's visible sheets, and the one read (None for CSV)
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    #: the CSV's text encoding and delimiter (None for workbooks)
    encoding: str | None = None
    delimiter: str | None = None
    #: CSV records wider than the header
    overflow: list[Overflow] = field(default_factory=list)

    def overflow_fields(self, width: int, header_row: int) -> dict[int, list[str]]:
        """Row number -> the fields a CSV record has beyond the header's ``width``, as
        the file holds them: a copy written as wide reads back with the same problem."""
        delimiter = self.delimiter or ","
        out = {}
        for o in self.overflow:
            values = o.extra.split(delimiter) if o.extra else []
            values += [""] * max(0, o.fields - width - len(values))
            out[header_row + 1 + o.position] = values
        return out


def header_index(rows: Sequence[list[str]], score: Score) -> int:
    """The first of the early rows that names the most known columns."""
    scores = [score([clean_header(c) for c in r]) for r in rows[:HEADER_SEARCH_ROWS]]
    return scores.index(max(scores)) if scores else 0
