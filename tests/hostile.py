"""Workbooks built by hand, byte by byte, to be as small and as costly as possible.

Each builder returns the bytes of a file a spreadsheet program could have written (or
that only looks like one): a cell at the sheet's far corner, a stray cell beside a
real table, a sheet whose XML inflates a thousandfold, an ODS row repeated a million
times. They stay tiny on disk so tests can make them on the fly.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

HEADER = ("campaign_name", "skill_id", "type_campaign")
ROW = ("Cobranza", "101", "preview")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
    '<sheet name="campaigns" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def column_letters(index: int) -> str:
    """0 -> ``A``, 16383 -> ``XFD``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(ref: str, text: str) -> str:
    """An inline-string cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, values: Sequence[str], first_column: int = 0) -> str:
    """Row ``number`` (1-based) with ``values`` from ``first_column`` on."""
    cells = "".join(
        cell(f"{column_letters(first_column + i)}{number}", v) for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def table_rows(count: int) -> Iterator[str]:
    """The header and ``count`` valid campaign rows, as sheet XML rows."""
    yield row(1, HEADER)
    for n in range(2, count + 2):
        yield row(n, (f"Campaña {n}", "101", "preview"))


def sheet_xml(rows: Iterable[str], dimension: str | None = None) -> bytes:
    """A worksheet part holding ``rows``."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(rows)
    return f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


def xlsx(sheet: bytes, *, extra: dict[str, bytes] | None = None) -> bytes:
    """An xlsx workbook with one sheet, ``campaigns``, whose XML is ``sheet``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            book.writestr(name, data)
    return out.getvalue()


def far_corner_xlsx() -> bytes:
    """A valid table, and one cell at XFD1048576: 17 billion cells to a naive reader."""
    rows = [*table_rows(1), row(1048576, ["x"], first_column=16383)]
    return xlsx(sheet_xml(rows, "A1:XFD1048576"))


def stray_column_xlsx(count: int = 20_000) -> bytes:
    """``count`` valid rows, and a stray cell in XFD1 (beside the header)."""
    rows = list(table_rows(count))
    rows[0] = rows[0].replace("</row>", cell("XFD1", "stray") + "</row>")
    return xlsx(sheet_xml(rows, f"A1:XFD{count + 1}"))


class Member:
    """A zip member as stored: its name, its (compressed) bytes, and what it unpacks to."""

    def __init__(self, name: str, raw: bytes, crc: int, size: int, method: int = 8) -> None:
        self.name, self.raw, self.crc, self.size, self.method = name, raw, crc, size, method

    @classmethod
    def deflated(cls, name: str, parts: Iterable[bytes]) -> Member:
        """``parts`` joined and deflated, one at a time (gigabytes never exist at once)."""
        pack = zlib.compressobj(9, zlib.DEFLATED, -15)
        crc, size, out = 0, 0, []
        for part in parts:
            out.append(pack.compress(part))
            crc = zlib.crc32(part, crc)
            size += len(part)
        out.append(pack.flush())
        return cls(name, b"".join(out), crc, size)

    @classmethod
    def repeated(cls, name: str, head: bytes, chunk: bytes, count: int, tail: bytes) -> Member:
        """``head``, ``count`` times ``chunk``, then ``tail``, deflated in no time: the chunk
        is compressed once, flushed to a byte boundary with no history, and repeated."""
        pack = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = pack.compress(head) + pack.flush(zlib.Z_FULL_FLUSH)
        again = pack.compress(chunk) + pack.flush(zlib.Z_FULL_FLUSH)
        last = pack.compress(tail) + pack.flush()
        crc = zlib.crc32(head)
        for _ in range(count):
            crc = zlib.crc32(chunk, crc)
        crc = zlib.crc32(tail, crc)
        size = len(head) + count * len(chunk) + len(tail)
        return cls(name, first + again * count + last, crc, size)


def raw_zip(members: Sequence[Member]) -> bytes:
    """A zip archive written field by field, so a member may say what it likes of itself."""
    out, directory = io.BytesIO(), io.BytesIO()
    for m in members:
        name = m.name.encode()
        offset = out.tell()
        fields = (20, 0, m.method, 0, 0x21, m.crc, len(m.raw), m.size, len(name))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + name + m.raw)
        directory.write(
            struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0,
                        offset) + name
        )  # fmt: skip
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    count = len(members)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(listing),
                          start, 0))  # fmt: skip
    return out.getvalue()


def _xlsx_parts() -> list[Member]:
    return [
        Member.deflated("[Content_Types].xml", [_CONTENT_TYPES.encode()]),
        Member.deflated("_rels/.rels", [_ROOT_RELS.encode()]),
        Member.deflated("xl/workbook.xml", [_WORKBOOK.encode()]),
        Member.deflated("xl/_rels/workbook.xml.rels", [_WORKBOOK_RELS.encode()]),
    ]


def _bomb(unpacked: int) -> Member:
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + row(1, HEADER).encode()
    chunk = b"<row><c><v>1</v></c></row>" * 40_000
    tail = b"</sheetData></worksheet>"
    return Member.repeated("xl/worksheets/sheet1.xml", head, chunk, unpacked // len(chunk), tail)


def zip_bomb_xlsx(unpacked: int = 600 * 2**20) -> bytes:
    """A sheet whose XML inflates to ``unpacked`` bytes of rows (about 1,000 : 1)."""
    return raw_zip([*_xlsx_parts(), _bomb(unpacked)])


def lying_bomb_xlsx(unpacked: int = 600 * 2**20) -> bytes:
    """The same bomb, but its zip entry says it unpacks to a few kilobytes."""
    sheet = _bomb(unpacked)
    sheet.size = 4096
    return raw_zip([*_xlsx_parts(), sheet])


# --- OpenDocument -------------------------------------------------------------------------

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell(text: str, repeat: int = 1) -> str:
    """An ODS string cell, ``repeat`` times across."""
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    cell = f'<table:table-cell office:value-type="string"{rep}>'
    return f"{cell}<text:p>{text}</text:p></table:table-cell>"


def ods_row(cells: Iterable[str], repeat: int = 1) -> str:
    """An ODS row, ``repeat`` times down."""
    rep = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{rep}>{''.join(cells)}</table:table-row>"


def ods(rows: Iterable[str], name: str = "campaigns") -> bytes:
    """An ODS spreadsheet with one table of ``rows``."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        f'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="{name}">{"".join(rows)}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
            zipfile.ZIP_STORED,
        )  # fmt: skip
        book.writestr("META-INF/manifest.xml", _MANIFEST)
        book.writestr("content.xml", content)
    return out.getvalue()


def ods_table() -> list[str]:
    """The header and one valid row, as ODS rows."""
    return [ods_row(ods_cell(v) for v in HEADER), ods_row(ods_cell(v) for v in ROW)]


def repeated_ods(rows: int = 1000) -> bytes:
    """One value repeated across all 16,384 columns of ``rows`` rows: one line of XML."""
    return ods([*ods_table(), ods_row([ods_cell("x", 16384)], repeat=rows)])


def corner_xls(template: bytes) -> bytes:
    """The .xls ``template`` with its last text cell moved to IV65536, Excel 97's corner."""
    data = bytearray(template)
    at = data.rfind(b"\xfd\x00\x0a\x00")  # a LABELSST record: row, column, style, string
    data[at + 4 : at + 8] = struct.pack("<HH", 65535, 255)
    return bytes(data)


def wide_csv(fields: int = 2_000_000, rows: int = 1000) -> bytes:
    """A CSV whose second row has ``fields`` extra fields, then ``rows`` ordinary rows."""
    lines = [",".join(HEADER), "Uno,101,preview", "Dos,101,preview" + ",x" * fields]
    lines += [f"Campaña {n},101,preview" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()
