"""The person's own columns: their header texts, the columns the importer does not read,
and the row numbers they know.

A results workbook or a retry file that lists ``campaign_name`` ... ``opt12`` instead of
the sheet's own "Nombre de la campaña" and drops its "Notas" column is not the person's
sheet any more. The loader records here how the sheet was laid out, so that the files
written from it can be laid out the same way; and, for a retry file, the row each row
had in the first sheet (``original_row``), which is the number the person knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from importer.check.cells import clean_values
from importer.check.columns import FIELDS, HeaderMatch, bracketed, match_header
from importer.i18n import _

#: The key of a column the importer does not read, in the files written: never a field.
EXTRA_KEY = "\0extra:{position}"


@dataclass(frozen=True)
class Column:
    """One column of the person's sheet."""

    #: the header cell as written (cleaned of invisible spaces)
    header: str
    #: the field it feeds (one of FIELDS or RETRY_COLUMNS), None when it is not read
    field: str | None
    #: its place in the sheet, from 0
    position: int

    @property
    def key(self) -> str:
        """What the files written call the column: its field, or a key of its own."""
        return self.field or EXTRA_KEY.format(position=self.position)


@dataclass
class Layout:
    """The sheet's columns in its own order, and the cells of those not read."""

    columns: list[Column] = field(default_factory=list)
    #: the cells of the columns the importer does not read, by :attr:`Column.key`,
    #: indexed by row number like the table's frame
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)

    def values(self, frame: pd.DataFrame, key: str) -> list[str]:
        """The cells of column ``key``, row by row of ``frame`` ("" where there are none)."""
        if key in frame.columns:
            return [str(v) for v in frame[key].tolist()]
        if key in self.extra.columns:
            return [str(v) for v in self.extra[key].reindex(frame.index, fill_value="").tolist()]
        return [""] * len(frame)


def sheet_layout(
    header: Sequence[str], match: HeaderMatch, body: pd.DataFrame, index: pd.Index, header_row: int
) -> Layout:
    """The layout of a sheet read with ``match``; ``index`` holds the rows the table kept."""
    fields = {pos: f for f, pos in match.positions.items()}
    columns = [
        Column(text, fields.get(pos), pos)
        for pos, text in enumerate(header)
        if text or pos in fields
    ]
    extra: dict[str, np.ndarray] = {}
    positions = index.to_numpy() - header_row - 1  # row number -> place in the body
    for column in columns:
        if column.field is None and column.position in body.columns:
            values = body[column.position].to_numpy(dtype=object)
            extra[column.key] = clean_values(values[positions]) if len(positions) else values[:0]
    return Layout(columns, pd.DataFrame(extra, index=index, dtype=object))


def default_layout() -> Layout:
    """The layout of a sheet with every field under its own name (and nothing else)."""
    return Layout([Column(f, f, i) for i, f in enumerate(FIELDS)])


def readable_headers(columns: Sequence[Column]) -> list[str]:
    """Header texts for ``columns`` that the loader reads back as the same columns, alone.

    The person's own text where it names its field by itself (names and aliases); where
    it was placed by a choice on the page, the person's text with the field's name in
    brackets ("Mi columna (skill_id)", which the loader reads as that field), or the
    field's name when even that would not read back. A column that is not read
    keeps its text unless that text would be taken for a field (or for a misspelt
    one), which would stop the file from loading back.
    """
    shown = []
    for c in columns:
        alone = match_header([c.header])
        if c.field is not None:
            shown.append(c.header if alone.positions.get(c.field) == 0 else _placed(c))
        elif alone.positions or alone.misspelt:
            shown.append(_("{header} (not read)").format(header=c.header))
        else:
            shown.append(c.header)
    check = match_header(shown)
    wanted = {c.field: i for i, c in enumerate(columns) if c.field is not None}
    if check.misspelt or check.duplicated or check.positions != wanted:
        # Texts that only clash together: the field names cannot clash with anything.
        return [c.field or f"{c.header} ({i + 1})" for i, c in enumerate(columns)]
    return shown


def _placed(c: Column) -> str:
    """The header of a column placed by a choice: the person's text with its field."""
    if c.header and c.header != c.field:
        text = bracketed(c.header, c.field or "")
        if match_header([text]).positions.get(c.field or "") == 0:
            return text
    return c.field or c.header


def original_rows(frame: pd.DataFrame) -> dict[int, int]:
    """Row number in this sheet -> the row number it had in the first sheet, for a retry
    file's rows (its ``original_row`` column); {} for a sheet that is not a retry file."""
    if "original_row" not in frame.columns:
        return {}
    out = {}
    for row, value in zip(frame.index.tolist(), frame["original_row"].tolist(), strict=True):
        text = str(value).strip()
        if text.isdigit() and int(text) != int(row):
            out[int(row)] = int(text)
    return out


def shown_row(row: int, originals: Mapping[int, int]) -> str:
    """``9`` for a first sheet's row 9, ``9 (row 3 of the retry file)`` for a retry file's."""
    original = originals.get(row)
    if original is None:
        return str(row)
    return _("{row} (row {retry_row} of the retry file)").format(row=original, retry_row=row)
