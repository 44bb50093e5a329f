"""A workbook's zip container, checked before anything unpacks it.

xlsx, xlsm and ods files are zip archives, and a zip says of itself how large each part
becomes once unpacked: a few kilobytes can claim, or really hold, gigabytes of XML. So
the parts are listed first and refused past :data:`importer.send.policy.MAX_UNPACKED`; a
part is unpacked here only as a stream, never past the size it declares, with its
checksum verified. calamine is then handed an archive rebuilt from exactly the checked
parts, so it reads nothing that was not measured (a zip can hold a second directory,
or parts that only one reader sees).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence

from importer.errors import InputError
from importer.i18n import _
from importer.send.policy import MAX_PARTS, MAX_UNPACKED

#: How much unpacked XML is handed on at a time.
CHUNK = 4 * 2**20
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


def damaged(name: str) -> InputError:
    """The message for a workbook whose container is broken."""
    return InputError(
        _(
            "{name} could not be opened as a workbook: it looks damaged or truncated. "
            "Open it in Excel and save it again, or export it as CSV."
        ).format(name=name)
    )


def too_large(name: str, size: int) -> InputError:
    """The message for a workbook that unpacks to more than the importer reads."""
    return InputError(
        _(
            "{name} unpacks to {size} MB of data, more than the {limit} MB a campaign sheet "
            "can need. Delete the sheets, images or rows that are not needed, or save the "
            "campaigns sheet alone as CSV."
        ).format(name=name, size=_megabytes(size), limit=_megabytes(MAX_UNPACKED))
    )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f}"


class Archive:
    """The parts of a zip, each listed with the size it declares; none unpacked yet."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data
        if _declared_parts(data) > MAX_PARTS:
            raise InputError(
                _(
                    "{name} holds more than {limit} parts, which no spreadsheet program "
                    "writes. Open it in Excel and save it again."
                ).format(name=name, limit=f"{MAX_PARTS:,}")
            )
        try:
            listing = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            raise damaged(name) from None
        self.parts: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in listing:
            # Two parts of one name, encrypted parts, or compression no spreadsheet program
            # uses: a reader other than this one could see something else.
            if info.filename in self.parts or info.flag_bits & 0x1:
                raise damaged(name)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise damaged(name)
            self.parts[info.filename] = info
            total += info.file_size
        if total > MAX_UNPACKED:
            raise too_large(name, total)

    def names(self) -> list[str]:
        """The parts' names, in the archive's order."""
        return list(self.parts)

    def _raw(self, info: zipfile.ZipInfo) -> memoryview:
        """The part's bytes as stored, found through its local header like any reader."""
        start = info.header_offset
        header = self._data[start : start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise damaged(self.name)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        begin = start + 30 + name_length + extra_length
        raw = memoryview(self._data)[begin : begin + info.compress_size]
        if len(raw) < info.compress_size:
            raise damaged(self.name)
        return raw

    def stream(self, part: str) -> Iterator[bytes]:
        """The part unpacked, in pieces of at most :data:`CHUNK` bytes.

        Raises :class:`InputError` (damaged) as soon as the part unpacks to more than it
        declares, and at the end if it unpacked to less or its checksum differs.
        """
        info = self.parts[part]
        raw = self._raw(info)
        size, crc = 0, 0
        if info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (bytes(raw[i : i + CHUNK]) for i in range(0, len(raw), CHUNK))
        else:
            pieces = _inflate(raw)
        try:
            for piece in pieces:
                size += len(piece)
                if size > info.file_size:
                    raise damaged(self.name)
                crc = zlib.crc32(piece, crc)
                yield piece
        except zlib.error:
            raise damaged(self.name) from None
        if size != info.file_size or crc != info.CRC:
            raise damaged(self.name)

    def read(self, part: str) -> bytes:
        """The whole part (for the small ones: workbook, relationships, styles)."""
        return b"".join(self.stream(part))

    def check(self, parts: list[str]) -> None:
        """Unpack ``parts`` once, to prove each holds what it declares."""
        for part in parts:
            for _piece in self.stream(part):
                pass

    def rebuilt(self, parts: Sequence[str], replaced: Mapping[str, bytes] | None = None) -> bytes:
        """A new zip of ``parts`` only (each unpacked once before, so checked), stored as
        they were; ``replaced`` ones hold the given bytes, stored plain.

        Nothing else survives (other parts, a second directory, data between parts), so
        a reader given this archive can only read what was measured.
        """
        replaced = replaced or {}
        out, directory = io.BytesIO(), io.BytesIO()
        kept = [self.parts[p] for p in dict.fromkeys(parts)]
        for info in kept:
            name = info.filename.encode("utf-8")
            if info.filename in replaced:
                raw: bytes | memoryview = replaced[info.filename]
                method, crc, size = zipfile.ZIP_STORED, zlib.crc32(raw), len(raw)
            else:
                raw = self._raw(info)
                method, crc, size = info.compress_type, info.CRC, info.file_size
            fields = (20, 0x800, method, 0, 0x21, crc, len(raw), size, len(name))
            offset = out.tell()
            out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0))
            out.write(name)
            out.write(raw)
            directory.write(
                struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields,
                            0, 0, 0, 0, 0, offset)
            )  # fmt: skip
            directory.write(name)
        listing = directory.getvalue()
        start = out.tell()
        out.write(listing)
        count = len(kept)
        out.write(struct.pack("<4sHHHHIIH", _EOCD, 0, 0, count, count, len(listing), start, 0))
        return out.getvalue()


def _inflate(raw: memoryview) -> Iterator[bytes]:
    """A raw deflate stream unpacked piece by piece, never more than :data:`CHUNK` at once."""
    unpack = zlib.decompressobj(-15)
    step = 2**20
    for i in range(0, len(raw), step):
        piece = unpack.decompress(raw[i : i + step], CHUNK)
        while piece:
            yield piece
            piece = unpack.decompress(unpack.unconsumed_tail, CHUNK)
        if unpack.eof:
            break
    rest = unpack.flush()
    if rest:
        yield rest
    if not unpack.eof:
        raise zlib.error("incomplete")


def _declared_parts(data: bytes) -> int:
    """How many parts the zip's end record announces (read before listing them all)."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or len(data) < at + 22:
        return 0  # not found: zipfile will say the archive is damaged
    (count,) = struct.unpack("<H", data[at + 10 : at + 12])
    if count == 0xFFFF and at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
        (where,) = struct.unpack("<Q", data[at - 12 : at - 4])
        if where + 40 <= len(data):
            (count,) = struct.unpack("<Q", data[where + 32 : where + 40])
    return int(count)
