"""What calamine does not say about an xlsx/xlsm sheet, read from the file's XML.

calamine reads error cells (``#N/A``) as empty and does not expose number formats.
Both matter to an importer: an empty value would silently replace a broken formula,
and a skill id typed as ``42`` but shown as ``0042`` by a ``0000`` format is not what
the operator sees. The XML is only read when a cheap look says it is worth it.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

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


def column_index(letters: str) -> int:
    """``A`` -> 0, ``AB`` -> 27."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


class ExcelXml:
    """One sheet of an xlsx/xlsm workbook, as XML."""

    def __init__(self, archive: zipfile.ZipFile, path: str) -> None:
        self._archive = archive
        self._path = path
        self._xml: bytes | None = None

    @classmethod
    def open(cls, data: bytes, sheet: str) -> ExcelXml | None:
        """The sheet named ``sheet``, or None for files that are not Excel workbooks."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            if "xl/workbook.xml" not in archive.namelist():
                return None  # .ods and other zip-based formats
            book = ET.fromstring(archive.read("xl/workbook.xml"))
            rel_id = next(
                (e.get(f"{{{NS['r']}}}id") for e in book.iterfind("m:sheets/m:sheet", NS)
                 if e.get("name") == sheet), None)  # fmt: skip
            rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            target = next((e.get("Target") for e in rels if e.get("Id") == rel_id), None)
        except (KeyError, zipfile.BadZipFile, ET.ParseError):
            return None
        if target is None:
            return None
        return cls(archive, target.lstrip("/") if target.startswith("/") else f"xl/{target}")

    @property
    def xml(self) -> bytes:
        if self._xml is None:
            try:
                self._xml = self._archive.read(self._path)
            except (KeyError, zipfile.BadZipFile):
                self._xml = b""
        return self._xml

    def error_cells(self) -> list[tuple[int, int, str]]:
        """(row, column, ``#N/A``) of each error cell, 0-based."""
        if b't="e"' not in self.xml:
            return []
        return [
            (int(row) - 1, column_index(letters.decode()), text.decode("utf-8", "replace"))
            for letters, row, text in _ERROR_CELL.findall(self.xml)
        ]

    def _zero_formats(self) -> dict[str, str]:
        """Cell style index -> format code, for formats made of zeros only (``0000``)."""
        try:
            styles = ET.fromstring(self._archive.read("xl/styles.xml"))
        except (KeyError, ET.ParseError):
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
        for letters, row, attrs, value in _NUMBER_CELL.findall(self.xml):
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

    def negative_numbers(self) -> list[tuple[int, int, str]]:
        """(row, column, value) of each number cell holding a negative value, 0-based.

        A negative serial in a date or time cell is no moment at all (Excel shows
        #####), yet calamine reads it as a time of day (-1 as 00:00).
        """
        if b"<v>-" not in self.xml:
            return []
        return [
            (int(row) - 1, column_index(letters.decode()), value.decode())
            for letters, row, attrs, value in _NUMBER_CELL.findall(self.xml)
            if value.startswith(b"-") and dict(_ATTR.findall(attrs)).get(b"t", b"n") == b"n"
        ]
