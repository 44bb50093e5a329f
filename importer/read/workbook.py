"""Workbooks (xlsx, xlsm, xls, ods, xlsb) through calamine: choose the sheet, read its cells.

Every cell becomes the text Excel shows: a number cell ``101.0`` is ``101``, a time cell
``08:00:00``. For xlsx/xlsm, what calamine does not say (error cells, number formats)
comes from the sheet's XML (:mod:`importer.read.xlsx`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from importer.errors import InputError
from importer.i18n import _, ngettext
from importer.read import ods, xls, xlsx
from importer.read.archive import CHUNK, Archive, damaged
from importer.read.sheet import HEADER_SEARCH_ROWS, Score, Sheet, header_index
from importer.read.xlsx import ExcelXml
from importer.send.policy import MAX_CELLS, STRAY_GAP

#: What calamine makes of a date or time cell.
_MOMENTS = (dt.date, dt.time, dt.timedelta)
#: Sheet names that say "the campaigns are here", preferred over the first visible sheet.
PREFERRED_SHEETS = ("campaigns", "campaign", "campañas", "campaña", "campanas", "campana")


def read_workbook(name: str, data: bytes, wanted: str | None, score: Score) -> Sheet:
    """Read sheet ``wanted`` (else the campaigns sheet) of a workbook into a :class:`Sheet`.

    What the file will cost is checked first (:mod:`importer.read.archive`,
    :mod:`importer.read.xlsx`, :mod:`importer.read.ods`): a file past the limits of
    :mod:`importer.send.policy` is refused with a message before calamine reads anything of it.
    """
    if data.startswith(b"PK"):
        opened = _open_zip(name, data, wanted)
    else:
        opened = _open_xls(name, data, wanted)
    chosen = opened.chosen
    try:
        cells = opened.book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except BaseException as exc:
        if not _reader_failed(exc):
            raise
        raise _damaged_sheet(name, chosen) from None
    excel = opened.excel
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
    warnings = list(opened.warnings)
    if wanted is None and len(opened.sheets) > 1:
        warnings.append(
            _('read sheet "{sheet}" (use --sheet to pick another)').format(sheet=chosen)
        )
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(dtype=object)
    source = _('sheet "{sheet}"').format(sheet=chosen)
    return Sheet(top[: at + 1], frame, source, warnings, excel, sheets=opened.visible, sheet=chosen)


def _reader_failed(exc: BaseException) -> bool:
    """True for calamine's errors: several unrelated types for damaged files, and a Rust
    panic, which arrives as a BaseException of its own (pyo3's PanicException)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


@dataclass
class _Opened:
    """A workbook open in calamine, its sheet chosen, ready to read that one sheet."""

    book: Any
    chosen: str
    sheets: list[str]
    visible: list[str]
    excel: ExcelXml | None = None
    warnings: list[str] = field(default_factory=list)


def _open_zip(name: str, data: bytes, wanted: str | None) -> _Opened:
    archive = Archive(name, data)
    if "xl/workbook.xml" in archive.parts:
        return _open_xlsx(name, archive, wanted)
    if "content.xml" in archive.parts:
        return _open_ods(name, archive, wanted)
    if "xl/workbook.bin" in archive.parts:
        raise InputError(
            _(
                "{name} is an Excel binary workbook (.xlsb), which the importer does not "
                "read. Open it in Excel and save it as an Excel workbook (.xlsx)."
            ).format(name=name)
        )
    raise damaged(name)


def _open_xlsx(name: str, archive: Archive, wanted: str | None) -> _Opened:
    """An xlsx/xlsm: calamine gets only the parts it needs, each checked, and the sheet
    is measured (and cropped of stray cells) before calamine reads it."""
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(rels_name) if rels_name in archive.parts else b""
    core = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", rels_name]
    support = xlsx.parts_of_type(rels, ("/sharedStrings", "/styles"))
    needed = list(dict.fromkeys(p for p in (*core, *support) if p in archive.parts))
    for support_part in needed:
        # None of these holds cells: a part that does could be read as a sheet.
        if xlsx.has_cells(archive.stream(support_part)):
            raise damaged(name)
    strings = next((p for p in support if p in archive.parts and "haredStrings" in p), None)
    if strings is not None:
        pieces = xlsx.chunks(archive.stream(strings))
        count = sum(c.count(b"<si") + c.count(b":si") for c in pieces)
        if count > MAX_CELLS:
            raise _too_many_cells(name, None, count, "")
    book = _calamine(name, archive.rebuilt(needed))
    sheets, visible = _sheet_names(book)
    chosen = _choose(name, sheets, visible, wanted)
    found = xlsx.sheet_part(archive.read("xl/workbook.xml"), rels, chosen)
    if found is None or found not in archive.parts:
        raise _damaged_sheet(name, chosen)
    part: str = found
    source: xlsx.Source = lambda: archive.stream(part)  # noqa: E731
    try:
        extent = xlsx.scan(source)
    except xlsx.BadSheet:
        raise _damaged_sheet(name, chosen) from None
    warnings = []
    replaced = {}
    if extent.cells > MAX_CELLS:
        width = xlsx.kept_width(extent, STRAY_GAP) if extent.plain else extent.width
        if width == extent.width:
            raise _too_many_cells(name, chosen, extent.cells, _corner(extent))
        cropped, dropped, first = xlsx.crop(source, width)
        source = lambda: _pieces(cropped)  # noqa: E731
        try:
            kept = xlsx.scan(source)
        except xlsx.BadSheet:
            raise _damaged_sheet(name, chosen) from None
        if kept.cells > MAX_CELLS:
            raise _too_many_cells(name, chosen, kept.cells, _corner(kept))
        warnings.append(
            ngettext(
                "left out {count} cell far to the right of the table ({cell}); "
                "delete it if it is not needed",
                "left out {count} cells far to the right of the table (the first: {cell}); "
                "delete them if they are not needed",
                dropped,
            ).format(count=f"{dropped:,}", cell=first)
        )
        extent, replaced = kept, {part: cropped}
    book = _calamine(name, archive.rebuilt([*needed, part], replaced))
    styles = next((p for p in support if p in archive.parts and p.endswith("tyles.xml")), None)
    excel = ExcelXml(
        source, archive.read(styles) if styles else b"", extent.errors, extent.negative
    )
    return _Opened(book, chosen, sheets, visible, excel, warnings)


def _pieces(data: bytes) -> Iterator[bytes]:
    return (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))


def _corner(extent: xlsx.Extent) -> str:
    return f"{xlsx.column_letters(max(extent.width - 1, 0))}{extent.rows}"


def _open_ods(name: str, archive: Archive, wanted: str | None) -> _Opened:
    """An ods: calamine reads every table when it opens the file, so all are measured."""
    needed = [p for p in ("mimetype", "META-INF/manifest.xml", "content.xml") if p in archive.parts]
    archive.check([p for p in needed if p != "content.xml"])
    try:
        tables = ods.scan(archive.stream("content.xml"), MAX_CELLS)
    except ods.BadContent:
        raise damaged(name) from None
    cells = sum(t.cells for t in tables)
    if cells > MAX_CELLS:
        biggest = max(tables, key=lambda t: t.cells)
        corner = f"{xlsx.column_letters(max(biggest.width - 1, 0))}{biggest.rows}"
        raise _too_many_cells(name, None, cells, corner)
    book = _calamine(name, archive.rebuilt(needed))
    sheets, visible = _sheet_names(book)
    return _Opened(book, _choose(name, sheets, visible, wanted), sheets, visible)


def _open_xls(name: str, data: bytes, wanted: str | None) -> _Opened:
    """A legacy .xls (OLE2): calamine reads its sheets when it opens it, so they are
    measured first, from their records (:mod:`importer.read.xls`)."""
    try:
        sizes = xls.sheet_sizes(data)
    except (xls.BadXls, struct.error):
        raise damaged(name) from None
    cells = sum(s.cells for s in sizes)
    if cells > MAX_CELLS:
        biggest = max(sizes, key=lambda s: s.cells)
        corner = f"{xlsx.column_letters(max(biggest.columns - 1, 0))}{biggest.rows}"
        raise _too_many_cells(name, None, cells, corner)
    book = _calamine(name, data)
    sheets, visible = _sheet_names(book)
    return _Opened(book, _choose(name, sheets, visible, wanted), sheets, visible)


def _sheet_names(book: Any) -> tuple[list[str], list[str]]:
    """The worksheets' names, and the visible ones'."""
    sheets = [m for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    visible = [m.name for m in sheets if str(m.visible).endswith(".Visible")]
    return [m.name for m in sheets], visible


def _damaged_sheet(name: str, sheet: str) -> InputError:
    return InputError(
        _(
            "{name}: sheet {sheet} could not be read; the file looks damaged. "
            "Open it in Excel and save it again."
        ).format(name=name, sheet=repr(sheet))
    )


def _too_many_cells(name: str, sheet: str | None, cells: int, corner: str) -> InputError:
    """The message for a sheet larger than the importer reads."""
    where = _("{name}: sheet {sheet}").format(name=name, sheet=repr(sheet)) if sheet else name
    if corner:
        message = _(
            "{where} uses {cells} cells (up to cell {corner}), more than the {limit} the "
            "importer reads. Delete the rows and columns below and right of the campaigns "
            "(select them, then right-click > Delete), or save the campaigns alone as CSV."
        )
    else:
        message = _(
            "{where} holds {cells} texts, more than the {limit} cells the importer reads. "
            "Save the campaigns alone in a new workbook, or as CSV."
        )
    return InputError(
        message.format(where=where, cells=f"{cells:,}", corner=corner, limit=f"{MAX_CELLS:,}")
    )


def _calamine(name: str, data: bytes) -> Any:
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
    except BaseException as exc:
        if not _reader_failed(exc):
            raise
        raise damaged(name) from None


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
