"""The corrected spreadsheet: the rows as loaded, with the person's edits, as a workbook.

Every data row goes back to its original row number (the header to its original
row), so the row numbers of the run, of the results and of the person's own sheet
are the same. It is the input of the run, read again by the same loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from importer.workbook_style import save_atomically, text_cell, write_only_workbook

SHEET = "campaigns"


def write_corrected(
    path: Path, frame: pd.DataFrame, header_row: int, columns: Sequence[str]
) -> None:
    """Write ``frame``'s ``columns`` under their field names; rows at their own numbers.

    Any text can be written: what a workbook cannot store shows as ``<U+0001>`` (see
    ``workbook_style.storable``), and the row keeps its problem when read back.
    """
    with write_only_workbook() as book:
        _fill(book, frame, header_row, columns)
        save_atomically(book, path)


def _fill(book: Workbook, frame: pd.DataFrame, header_row: int, columns: Sequence[str]) -> None:
    ws = book.create_sheet(SHEET)
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 30 if name.startswith("campaign") else 14
    for _ in range(header_row - 1):
        ws.append([None])
    bold = Font(bold=True)
    head = []
    for name in columns:
        cell = WriteOnlyCell(ws, name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    at = header_row + 1
    values = [frame[c].tolist() for c in columns]
    for i, row in enumerate(frame.index.tolist()):
        while at < row:  # the blank rows the loader skipped
            ws.append([None])
            at += 1
        ws.append([text_cell(ws, str(column[i])) for column in values])
        at += 1
