"""What an xlsx/xlsm sheet will cost, and what calamine does not say about it, from its XML.

calamine holds every cell of the rectangle a sheet's cells span, empty ones included:
one cell at XFD1048576 is 17 billion of them. So before calamine reads a sheet, its XML
is streamed once (never held whole) to find the rows and columns really used
(:func:`scan`); the ``<dimension>`` the sheet declares is read too, but only
reported, since calamine does not allocate by it. A sheet whose table is followed,
far to the right, by a few stray cells is read without them (:func:`crop`).

calamine also reads error cells (``#N/A``) as empty and does not expose number formats.
Both matter to an importer: an empty value would silently replace a broken formula,
and a skill id typed as ``42`` but shown as ``0042`` by a ``0000`` format is not what
the operator sees. Error cells are collected in the same pass; formats are looked at
only when the styles hold a ``0000``-like one.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from importer.send.policy import MAX_COLUMNS, MAX_ROWS

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"[^>]*?\bt="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>.*?</f>)?<v>([^<]*)</v>',
    re.S,
)
_NUMBER_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"((?:\s+[a-z]+="[^"]*")*)\s*>(?:<f[^>]*/>|<f[^>]*>.*?</f>)?'
    rb"<v>([^<]*)</v>",
    re.S,
)
_ATTR = re.compile(rb'([a-z]+)="([^"]*)"')

#: Any cell start tag, whatever its prefix or attributes (to count them).
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ANY_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
#: The start tag every spreadsheet program writes: ``<c r="B12"`` (the common case).
_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
#: Row and cell tags in any form, for sheets written otherwise; attributes may be quoted
#: either way and may hold ``>``.
_TAG = re.compile(
    rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\s+ref="([^"]*)"')
#: A whole cell element in the common form, to drop it.
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"[^>]*?(?:/>|>.*?</c>)', re.S)

Source = Callable[[], Iterable[bytes]]


class BadSheet(ValueError):
    """The sheet's XML names a cell no spreadsheet can hold (or none at all)."""


def column_index(letters: str) -> int:
    """``A`` -> 0, ``AB`` -> 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def column_letters(index: int) -> str:
    """0 -> ``A``, 16383 -> ``XFD``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Extent:
    """The cells a sheet's XML holds: how far down and which columns, as calamine will see."""

    #: 1 + the last row (0-based) holding a cell: the height calamine will allocate
    rows: int = 0
    #: the columns (0-based) holding at least one cell
    columns: set[int] = field(default_factory=set)
    #: what the sheet's ``<dimension ref>`` claims, as written ("" when it has none)
    declared: str = ""
    #: error cells (row, column, ``#N/A``), 0-based
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    #: number cells holding a negative value (row, column, value), 0-based
    negative: list[tuple[int, int, str]] = field(default_factory=list)
    #: False when some cell has no plain ``r="B12"`` position (it cannot be cropped)
    plain: bool = True

    @property
    def width(self) -> int:
        return max(self.columns) + 1 if self.columns else 0

    @property
    def cells(self) -> int:
        """The rectangle calamine allocates: every row down to the last, every column."""
        return self.rows * self.width


def chunks(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """XML in pieces that end where a row (else a tag) ends, so no cell is cut in two."""
    rest = b""
    for piece in pieces:
        buffer = rest + piece
        cut = buffer.rfind(b"row>")
        cut = cut + 4 if cut >= 0 else buffer.rfind(b">") + 1
        if cut <= 0:
            rest = buffer
            continue
        yield buffer[:cut]
        rest = buffer[cut:]
    if rest:
        yield rest


def scan(source: Source) -> Extent:
    """The cells of a sheet's XML, streamed; raise :class:`BadSheet` for impossible ones."""
    extent = Extent()
    for number, chunk in enumerate(chunks(source())):
        if number == 0:
            extent.declared = declared(chunk)
        cells = _plain_cells(chunk)
        if cells is None:
            # A cell written another way: read every tag, as calamine does (slower).
            extent = _scan_tags(source)
            break
        rows, columns = cells
        if len(rows):
            extent.rows = max(extent.rows, int(rows.max()))
            extent.columns.update(np.unique(columns).tolist())
        _look_up(chunk, extent)
    if extent.rows > MAX_ROWS or extent.width > MAX_COLUMNS:
        raise BadSheet(extent)
    return extent


def _table(codes: bytes, values: range | None = None) -> np.ndarray:
    """A 256-entry lookup: the bytes ``codes`` map to True (or to ``values``)."""
    out = np.zeros(256, np.int64 if values else bool)
    out[list(codes)] = list(values) if values else True
    return out


#: What may follow ``<c`` in a cell's start tag; letters; digits; their values.
_TAG_END = _table(b" \t\r\n/>")
_LETTER = _table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = _table(b"0123456789")
_VALUE = _table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", range(1, 27)) + _table(b"0123456789", range(10))
_PAD = b"\0" * 24


def _plain_cells(chunk: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """(row numbers, column indexes) of the chunk's cells when every cell tag starts
    ``<c r="B12"``, as spreadsheet programs write them; else None.

    Done on the bytes as arrays, a few operations for all the chunk's cells at once:
    several times faster than a regular expression yielding two million matches.
    """
    if b":c" in chunk and _PREFIXED_CELL.search(chunk):
        return None
    a = np.frombuffer(chunk + _PAD, np.uint8)
    n = len(chunk)
    at = np.flatnonzero((a[:n] == 60) & (a[1 : n + 1] == 99))  # "<c"
    at = at[_TAG_END[a[at + 2]]]
    if not ((a[at + 2] == 32) & (a[at + 3] == 114) & (a[at + 4] == 61) & (a[at + 5] == 34)).all():
        return None
    # The 11 bytes after 'r="': up to 3 letters, up to 7 digits, the closing quote.
    ref = [a[at + k] for k in range(6, 17)]
    second = _LETTER[ref[1]]
    third = second & _LETTER[ref[2]]
    if not _LETTER[ref[0]].all() or (third & _LETTER[ref[3]]).any():
        return None
    letters = 1 + second.astype(np.int64) + third
    columns = _VALUE[ref[0]]
    columns = np.where(second, columns * 26 + _VALUE[ref[1]], columns)
    columns = np.where(third, columns * 26 + _VALUE[ref[2]], columns)
    rows = np.zeros(len(at), np.int64)
    reading = np.ones(len(at), bool)  # still among the digits
    closed = np.zeros(len(at), bool)  # the digits ended with the quote
    for k in range(1, 11):
        past = k >= letters
        digit = _DIGIT[ref[k]] & past
        rows = np.where(reading & digit, rows * 10 + _VALUE[ref[k]], rows)
        closed |= reading & past & ~digit & (ref[k] == 34) & (k > letters)
        reading &= ~past | digit
    if not closed.all() or reading.any():
        return None
    return rows, columns - 1


_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")


def _look_up(chunk: bytes, extent: Extent) -> None:
    """Collect the error cells and negative numbers of a chunk (rare: a quick test first)."""
    if b't="e"' in chunk:
        extent.errors += [
            (int(r) - 1, column_index(c.decode()), text.decode("utf-8", "replace"))
            for c, r, text in _ERROR_CELL.findall(chunk)
        ]
    if b"<v>-" in chunk:
        extent.negative += [
            (int(row) - 1, column_index(letters.decode()), value.decode())
            for letters, row, attrs, value in _NUMBER_CELL.findall(chunk)
            if value.startswith(b"-") and dict(_ATTR.findall(attrs)).get(b"t", b"n") == b"n"
        ]


def declared(start: bytes) -> str:
    """The extent the sheet declares (``A1:G20``), from the XML before its cells."""
    head = start[: start.find(b"sheetData")]
    found = _DIMENSION.search(head) if b"dimension" in head else None
    return found[1].decode("ascii", "replace") if found else ""


def _scan_tags(source: Source) -> Extent:
    """Every row and cell tag, positions counted the way calamine counts them: a cell
    without ``r`` sits right of the one before it; a row without ``r`` below the last."""
    extent = Extent(plain=False)
    row, column = 0, 0
    for number, chunk in enumerate(chunks(source())):
        if number == 0:
            extent.declared = declared(chunk)
        tags = 0
        for closing, name, attributes, empty in _TAG.findall(chunk):
            tags += not closing
            ref = _R_ATTR.search(attributes)
            value = (ref[1] if ref[1] is not None else ref[2]) if ref else None
            if name == b"row":
                if not closing and value is not None:
                    if not value.isdigit() or int(value) < 1:
                        raise BadSheet(value)
                    row = int(value) - 1
                if closing or empty:
                    row, column = row + 1, 0
                continue
            if closing:
                continue
            if value is not None:
                parts = _REF.fullmatch(value)
                if parts is None or int(parts[2]) < 1:
                    raise BadSheet(value)
                at_row, column = int(parts[2]) - 1, column_index(parts[1].decode())
            else:
                at_row = row
            if at_row >= MAX_ROWS or column >= MAX_COLUMNS:
                raise BadSheet(value)
            extent.rows = max(extent.rows, at_row + 1)
            extent.columns.add(column)
            column += 1
        _look_up(chunk, extent)
        # A row or cell tag this reading did not understand is one calamine might.
        if tags != len(_ANY_CELL.findall(chunk)) + len(_ANY_ROW.findall(chunk)):
            raise BadSheet("a row or cell tag that is not well formed")
    return extent


def kept_width(extent: Extent, gap: int) -> int:
    """How many columns to read: up to the first run of ``gap`` or more empty columns.

    Cells beyond such a run are strays (a key pressed in XFD1, a note far right), not
    part of the table; reading them would mean reading every empty column between.
    """
    kept = 0
    for column in sorted(extent.columns):
        if column - kept >= gap:
            break
        kept = column + 1
    return kept


def crop(source: Source, width: int) -> tuple[bytes, int, str]:
    """The sheet's XML without the cells from column ``width`` on.

    Returns (the XML, how many cells were left out, the first one's reference). Only
    for sheets whose cells all have a plain ``r`` (:attr:`Extent.plain`).
    """
    dropped = 0
    first = ""

    def keep(match: re.Match[bytes]) -> bytes:
        nonlocal dropped, first
        if column_index(match[1].decode()) < width:
            return match[0]
        dropped += 1
        if not first:
            first = match[0][6 : match[0].index(b'"', 6)].decode()
        return b""

    out = b"".join(_PLAIN_CELL.sub(keep, chunk) for chunk in chunks(source()))
    return out, dropped, first


def sheet_part(workbook: bytes, relationships: bytes, sheet: str) -> str | None:
    """The zip part holding sheet ``sheet``, from the workbook and its relationships."""
    try:
        book = ET.fromstring(workbook)
        rels = ET.fromstring(relationships)
    except ET.ParseError:
        return None
    rel_id = next(
        (e.get(f"{{{NS['r']}}}id") for e in book.iterfind("m:sheets/m:sheet", NS)
         if e.get("name") == sheet), None)  # fmt: skip
    target = next((e.get("Target") for e in rels if e.get("Id") == rel_id), None)
    return None if target is None else part_of(target)


def parts_of_type(relationships: bytes, suffixes: tuple[str, ...]) -> list[str]:
    """The parts the workbook's relationships name with a type ending in ``suffixes``."""
    try:
        rels = ET.fromstring(relationships)
    except ET.ParseError:
        return []
    return [
        part_of(e.get("Target", ""))
        for e in rels
        if e.get("Type", "").endswith(suffixes) and e.get("TargetMode") != "External"
    ]


def part_of(target: str) -> str:
    """A relationship target of ``xl/workbook.xml`` as a part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def has_cells(pieces: Iterable[bytes]) -> bool:
    """True when XML that should hold no cells (styles, shared strings) holds some."""
    return any(_ANY_CELL.search(chunk) for chunk in chunks(pieces))


Cells = list[tuple[int, int, str]]


class ExcelXml:
    """One sheet of an xlsx/xlsm workbook, as XML: its error cells, negative numbers and
    number formats (the first two found while the sheet was measured)."""

    def __init__(self, sheet: Source, styles: bytes, errors: Cells, negative: Cells) -> None:
        self._sheet = sheet
        self._styles = styles
        self._errors = errors
        self._negative = negative
        self._xml: bytes | None = None

    @property
    def xml(self) -> bytes:
        """The sheet's whole XML, read on first use (at most the unpack limit); the
        look-ups here stream it instead."""
        if self._xml is None:
            self._xml = b"".join(self._sheet())
        return self._xml

    def error_cells(self) -> Cells:
        """(row, column, ``#N/A``) of each error cell, 0-based."""
        return list(self._errors)

    def negative_numbers(self) -> Cells:
        """(row, column, value) of each number cell holding a negative value, 0-based.

        A negative serial in a date or time cell is no moment at all (Excel shows
        #####), yet calamine reads it as a time of day (-1 as 00:00).
        """
        return list(self._negative)

    def _zero_formats(self) -> dict[str, str]:
        """Cell style index -> format code, for formats made of zeros only (``0000``)."""
        if not self._styles:
            return {}
        try:
            styles = ET.fromstring(self._styles)
        except ET.ParseError:
            return {}
        codes = {
            n.get("numFmtId"): n.get("formatCode", "")
            for n in styles.iterfind("m:numFmts/m:numFmt", NS)
        }
        zeros = {k: v for k, v in codes.items() if re.fullmatch(r"0{2,}", v)}
        if not zeros:
            return {}
        xfs = styles.find("m:cellXfs", NS)
        return {
            str(i): zeros[xf.get("numFmtId")]
            for i, xf in enumerate(xfs if xfs is not None else [])
            if xf.get("numFmtId") in zeros
        }

    def zero_padded(self, column: int) -> list[tuple[int, str, str]]:
        """Number cells of ``column`` that a ``0000``-like format shows with leading zeros:
        (row number, value, format)."""
        formats = self._zero_formats()
        if not formats:
            return []
        out = []
        for chunk in chunks(self._sheet()):
            for letters, row, attrs, value in _NUMBER_CELL.findall(chunk):
                if column_index(letters.decode()) != column:
                    continue
                found = dict(_ATTR.findall(attrs))
                if found.get(b"t", b"n") != b"n":
                    continue
                code = formats.get(found.get(b"s", b"").decode())
                text = value.decode()
                if code and text.isdigit() and len(text) < len(code):
                    out.append((int(row), text, code))
        return out
