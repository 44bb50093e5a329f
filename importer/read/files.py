"""Open a spreadsheet file of any supported kind: check it, tell its kind by its bytes, read it.

The kind comes from the file's first bytes, not its name, so a CSV saved as ``.xlsx`` or
a password-protected workbook gets a message that says what it really is.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from importer.check.columns import header_score
from importer.errors import InputError
from importer.i18n import _
from importer.read.csvfile import read_csv
from importer.read.sheet import Score, Sheet
from importer.read.workbook import read_workbook
from importer.send.policy import MAX_CELLS, MAX_FILE_BYTES

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"})
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Kind(StrEnum):
    """What a file holds, told by its first bytes."""

    ZIP = "zip"  # xlsx, xlsm, ods
    OLE = "ole"  # xls
    ENCRYPTED = "encrypted"  # a password-protected workbook
    TEXT = "text"  # CSV, or anything else


def read_sheet(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    score: Score = header_score,
    max_cells: int = MAX_CELLS,
) -> Sheet:
    """Read a workbook sheet or a CSV as text; the header is the best-``score`` early row.
    ``max_cells`` is the most cells of a CSV (a workbook keeps to :data:`MAX_CELLS`)."""
    name = path.name
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    kind = sniff(data)
    if kind is Kind.TEXT and suffix in WORKBOOK_SUFFIXES:
        raise InputError(
            _(
                "{name} is named {suffix} but holds plain text (a CSV file?). "
                "Rename it to .csv, or save it from Excel as a real workbook."
            ).format(name=name, suffix=suffix)
        )
    if kind is Kind.ENCRYPTED:
        raise InputError(
            _(
                "{name} is protected with a password. Open it in Excel, remove the password "
                "(File > Info > Protect Workbook), save, and try again."
            ).format(name=name)
        )
    if kind in {Kind.ZIP, Kind.OLE}:
        return read_workbook(name, data, sheet, score)
    if sheet is not None:
        raise InputError(
            _("--sheet only applies to workbooks; {name} is a CSV file. Leave out --sheet.").format(
                name=name
            )
        )
    return read_csv(name, data, encoding, delimiter, score, max_cells)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(_("{path}: no such file. Check the path and try again.").format(path=path))
    if path.is_dir():
        raise InputError(
            _("{path} is a folder, not a spreadsheet. Give the path of a file.").format(path=path)
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                _(
                    "{name} is {size} MB, more than the {limit} MB the importer reads. "
                    "Split it into smaller files."
                ).format(
                    name=path.name, size=f"{size / 2**20:,.0f}",
                    limit=f"{MAX_FILE_BYTES / 2**20:,.0f}",
                )
            )  # fmt: skip
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            _("{path}: cannot be read ({why}). Check its permissions.").format(
                path=path, why=exc.strerror
            )
        ) from None
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    # The start first: stripping a large file whole would copy it.
    if not data[:65536].strip(blank) and not data.strip(blank):
        raise InputError(
            _("{name} is empty. Fill in at least one campaign under the header row.").format(
                name=path.name
            )
        )
    return data


def sniff(data: bytes) -> Kind:
    """What the file holds, by its first bytes."""
    if data.startswith(b"PK\x03\x04"):
        return Kind.ZIP
    if data.startswith(_OLE2):
        # An OLE2 container is either a legacy .xls or an encrypted OOXML workbook.
        if "EncryptionInfo".encode("utf-16-le") in data[:65536] or b"EncryptionInfo" in data:
            return Kind.ENCRYPTED
        return Kind.OLE
    return Kind.TEXT
