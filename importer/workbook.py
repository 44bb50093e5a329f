"""Workbooks (xlsx, xlsm, xls, ods, xlsb) through calamine: choose the sheet, read its cells.

Every cell becomes the text Excel shows: a number cell ``101.0`` is ``101``, a time cell
``08:00:00``. For xlsx/xlsm, what calamine does not say (error cells, number formats)
comes from the sheet's XML (:mod:`importer.xlsx`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import pandas as pd

from importer.errors import InputError
from importer.i18n import _
from importer.sheet import HEADER_SEARCH_ROWS, Score, Sheet, header_index
from importer.xlsx import ExcelXml

#: What calamine makes of a date or time cell.
_MOMENTS = (dt.date, dt.time, dt.timedelta)
#: Sheet names that say "the campaigns are here", preferred over the first visible sheet.
PREFERRED_SHEETS = ("campaigns", "campaign", "campañas", "campaña", "campanas", "campana")


def read_workbook(name: str, data: bytes, wanted: str | None, score: Score) -> Sheet:
    """Read sheet ``wanted`` (else the campaigns sheet) of a workbook into a :class:`Sheet`."""
    book = _open(name, data)
    sheets = [m for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    visible = [m.name for m in sheets if str(m.visible).endswith(".Visible")]
    chosen = _choose(name, [m.name for m in sheets], visible, wanted)
    try:
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception:  # calamine raises several unrelated types for damaged sheets
        raise InputError(
            _(
                "{name}: sheet {sheet} could not be read; the file looks damaged. "
                "Open it in Excel and save it again."
            ).format(name=name, sheet=repr(chosen))
        ) from None
    excel = ExcelXml.open(data, chosen) if data.startswith(b"PK") else None
    for r, c, error in excel.error_cells() if excel else ():
        if r < len(cells) and c < len(cells[r]):
            cells[r][c] = error  # calamine reads it as empty
    for r, c, number in excel.negative_numbers() if excel else ():
        if r < len(cells) and c < len(cells[r]) and isinstance(cells[r][c], _MOMENTS):
            cells[r][c] = number  # calamine reads a negative date serial as a time of day
    top = [[cell_text(c) for c in row] for row in cells[:HEADER_SEARCH_ROWS]]
    at = header_index(top, score)
    # Most cells of a sheet are text already; only the others need converting.
    body = [
        row if all(type(c) is str for c in row) else [cell_text(c) for c in row]
        for row in cells[at + 1 :]
    ]
    warnings = []
    if wanted is None and len(sheets) > 1:
        warnings.append(
            _('read sheet "{sheet}" (use --sheet to pick another)').format(sheet=chosen)
        )
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(dtype=object)
    source = _('sheet "{sheet}"').format(sheet=chosen)
    return Sheet(top[: at + 1], frame, source, warnings, excel, sheets=visible, sheet=chosen)


def _open(name: str, data: bytes) -> Any:
    import python_calamine as calamine

    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise InputError(
            _(
                "{name} is protected with a password. Open it in Excel, remove the password "
                "(File > Info > Protect Workbook), save, and try again."
            ).format(name=name)
        ) from None
    except Exception:  # calamine raises several unrelated types for damaged files
        raise InputError(
            _(
                "{name} could not be opened as a workbook: it looks damaged or truncated. "
                "Open it in Excel and save it again, or export it as CSV."
            ).format(name=name)
        ) from None


def _choose(name: str, names: list[str], visible: list[str], wanted: str | None) -> str:
    """The sheet asked for, else one named like "campaigns", else the first visible one."""
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                _("{name} has no sheet named {sheet}. Its sheets are: {sheets}.").format(
                    name=name, sheet=repr(wanted), sheets=", ".join(names)
                )
            )
        return wanted
    by_fold = {n.strip().casefold(): n for n in visible}
    preferred = [by_fold[p] for p in PREFERRED_SHEETS if p in by_fold]
    if preferred:
        return preferred[0]
    if visible:
        return visible[0]
    raise InputError(
        _("{name} has no visible worksheet. Unhide the sheet with the campaigns.").format(name=name)
    )


def cell_text(value: object) -> str:
    """Text of a workbook cell as Excel shows it (for the formats the importer cares about)."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))  # 101.0 -> "101"; big ids without scientific notation
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if value is None:
        return ""
    return str(value)
