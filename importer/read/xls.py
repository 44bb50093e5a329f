"""What a legacy .xls workbook will cost calamine, from its records.

An .xls file is an OLE2 compound file (a small file system of 512-byte sectors) whose
``Workbook`` stream is a list of BIFF records. calamine reads every sheet when it opens
the file, each as the rectangle its cells span, so a single record placing a number at
IV65536 costs 16 million cells. This module reads the stream (following the sector
chains, refusing loops) and, for each sheet the workbook lists, where its cell
records reach: the same sheets calamine will read, at the same places.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_END_OF_CHAIN = 0xFFFFFFFE
_STREAMS = ("workbook", "book")  # BIFF8, BIFF5

# Records that place one value at (row, column): NUMBER, RK, LABELSST, LABEL, BOOLERR,
# FORMULA, RSTRING, and the BIFF2-4 forms. Blank cells are not read as cells.
_CELL = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x0406, 0x00D6,
                   0x0002, 0x0003, 0x0004, 0x0005})  # fmt: skip
_MULRK = 0x00BD
_BOUNDSHEET = 0x0085
_BOF = frozenset({0x0809, 0x0409, 0x0209, 0x0009})
_EOF = 0x000A


class BadXls(ValueError):
    """The compound file or its records are not what they say."""


@dataclass
class SheetSize:
    """How far one sheet's cells reach."""

    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def sheet_sizes(data: bytes) -> list[SheetSize]:
    """The size of every sheet the workbook stream lists, as calamine will read them."""
    sizes: list[SheetSize] = []
    for stream in _workbook_streams(data):
        seen: dict[int, SheetSize] = {}
        for offset in _sheet_offsets(stream):
            if offset not in seen:
                seen[offset] = _sheet_size(stream, offset)
            sizes.append(seen[offset])
    return sizes


def _records(stream: bytes, at: int) -> Iterator[tuple[int, int, int]]:
    """(type, start of data, length) of the records from ``at`` to the end of the stream
    or of the substream starting there (nested ones counted: calamine stops sooner)."""
    depth = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        yield kind, at + 4, min(length, len(stream) - at - 4)
        at += 4 + length
        if kind in _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                return


def _sheet_offsets(stream: bytes) -> list[int]:
    """Where each sheet's substream starts, from the workbook globals' BOUNDSHEET records."""
    offsets = []
    for kind, start, length in _records(stream, 0):
        if kind == _BOUNDSHEET and length >= 4:
            offsets.append(struct.unpack_from("<I", stream, start)[0])
    return offsets


def _sheet_size(stream: bytes, offset: int) -> SheetSize:
    size = SheetSize()
    for kind, start, length in _records(stream, offset):
        if kind in _CELL and length >= 4:
            row, column = struct.unpack_from("<HH", stream, start)
            last = column
        elif kind == _MULRK and length >= 6:
            row, column = struct.unpack_from("<HH", stream, start)
            (last,) = struct.unpack_from("<H", stream, start + length - 2)
            last = max(last, column)
        else:
            continue
        size.rows = max(size.rows, row + 1)
        size.columns = max(size.columns, last + 1)
    return size


# --- the compound file ---------------------------------------------------------------------


def _workbook_streams(data: bytes) -> list[bytes]:
    """Every stream named like the workbook (whatever the case), read whole."""
    if len(data) < 512:
        raise BadXls("header")
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if not 7 <= shift <= 16 or not 1 <= mini_shift < shift:
        raise BadXls("sector size")
    sector = 1 << shift
    (fat_count, directory, _t, mini_cutoff, mini_fat, mini_count, difat, difat_count) = (
        struct.unpack_from("<IIIIIIII", data, 44)
    )
    del _t, mini_count, fat_count

    def block(number: int) -> bytes:
        start = (number + 1) * sector
        if number >= _END_OF_CHAIN - 16 or start + sector > len(data) + sector:
            raise BadXls("sector outside the file")
        return data[start : start + sector]

    total = len(data) // sector + 1
    fat_sectors = [n for n in struct.unpack_from("<109I", data, 76) if n < _END_OF_CHAIN - 16]
    next_difat, hops = difat, 0
    while next_difat < _END_OF_CHAIN - 16 and difat_count:
        hops += 1
        if hops > total:
            raise BadXls("loop")
        entries = struct.unpack(f"<{sector // 4}I", block(next_difat).ljust(sector, b"\0"))
        fat_sectors += [n for n in entries[:-1] if n < _END_OF_CHAIN - 16]
        next_difat = entries[-1]
    fat: list[int] = []
    for n in fat_sectors[: total // (sector // 4) + 1]:
        fat += struct.unpack(f"<{sector // 4}I", block(n).ljust(sector, b"\0"))

    def chain(first: int, table: list[int], read: Callable[[int], bytes]) -> bytes:
        out = []
        n, steps = first, 0
        while n < _END_OF_CHAIN - 16:
            steps += 1
            if steps > len(table) or n >= len(table):
                raise BadXls("chain")
            out.append(read(n))
            n = table[n]
        return b"".join(out)

    listing = chain(directory, fat, block)
    found = []
    root_start = None
    for at in range(0, len(listing) - 127, 128):
        name_length, kind = struct.unpack_from("<HB", listing, at + 64)
        start, size = struct.unpack_from("<II", listing, at + 116)
        name = listing[at : at + max(0, min(name_length, 64) - 2)].decode("utf-16-le", "replace")
        if kind == 5:
            root_start = start
        elif kind == 2 and name.casefold() in _STREAMS:
            found.append((start, size))
    streams = []
    for start, size in found:
        if size < mini_cutoff:
            if root_start is None:
                raise BadXls("no root")
            mini_table: list[int] = []
            raw = chain(mini_fat, fat, block)
            mini_table = list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))
            container = chain(root_start, fat, block)
            small = 1 << mini_shift

            def mini(n: int, container: bytes = container, small: int = small) -> bytes:
                return container[n * small : (n + 1) * small]

            streams.append(chain(start, mini_table, mini)[:size])
        else:
            streams.append(chain(start, fat, block)[:size])
    return streams
