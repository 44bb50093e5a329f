"""Uploaded spreadsheets: size-limited, recognised by their content, stored under our names.

The name the browser sends is only ever shown (escaped) and used for download names;
the file itself is stored as ``uploads/upload-N.<kind>`` in the working folder.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from importer.errors import InputError
from importer.i18n import _

#: What multipart framing and the other form fields may add to the file's own size.
FORM_OVERHEAD = 64 * 1024

#: Starts of files that are certainly not spreadsheets (people pick the wrong file).
NOT_SPREADSHEETS = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"\x7fELF",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!\x1a",
    b"MZ\x90\x00",
)


class TooLarge(InputError):
    """The upload is over the size limit (answered 413)."""


@dataclass(frozen=True)
class Upload:
    """A stored upload."""

    path: Path
    #: the file name as the browser gave it: for display and download names only
    name: str
    size: int


def kind_of(data: bytes) -> str | None:
    """``xlsx``, ``ods``, ``xls`` or ``csv`` from a file's content; None if not a spreadsheet."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                names = set(book.namelist())
                if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                    return "xlsx"
                if "mimetype" in names and book.read("mimetype").startswith(
                    b"application/vnd.oasis.opendocument.spreadsheet"
                ):
                    return "ods"
        except (zipfile.BadZipFile, OSError, KeyError):
            return "xlsx"  # a damaged workbook: the reader says so in its own words
        return None
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # legacy Excel, or a password-protected workbook (the reader tells)
    if data.startswith(NOT_SPREADSHEETS):
        return None
    return "csv"


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise TooLarge(too_large_message(limit))
        yield chunk


def too_large_message(limit: int) -> str:
    """What to tell a person whose file is over ``limit`` bytes (form framing included)."""
    megabytes = f"{(limit - FORM_OVERHEAD) / 1_000_000:g}"
    return _(
        "The file is larger than {limit} MB, the most this page accepts. Delete the rows or "
        "sheets that are not needed, or start the page with a larger --max-upload-mb."
    ).format(limit=megabytes)


async def read_form(request: Request, max_bytes: int) -> dict[str, str | UploadFile]:
    """The request's form, refusing bodies over ``max_bytes`` (plus the form's framing)."""
    limit = max_bytes + FORM_OVERHEAD
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise TooLarge(too_large_message(limit))
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=0, max_fields=50)
        return {k: v for k, v in form.items()}
    boundary = parse_options_header(content_type)[1].get(b"boundary", b"")
    # The whole body, at most the limit: held in memory anyway (see below).
    body = b"".join([chunk async for chunk in _limited(request, limit)])
    parser = MultiPartParser(
        request.headers, _once(shorten_file_names(body, boundary)), max_files=1, max_fields=20
    )
    # Keep the file in memory (it is at most the limit) rather than in the system's
    # temporary folder: uploads live in the working folder only.
    parser.spool_max_size = limit + 1
    try:
        form = await parser.parse()
    except MultiPartException:
        raise InputError(_("The upload was cut short or malformed. Try again.")) from None
    return {k: v for k, v in form.items()}


#: How much of a file name the form keeps (in bytes): the form parser refuses a header
#: line over 4 KB, and the name is only ever shown, never used to store the file.
MAX_NAME_BYTES = 1024
_FILENAME = re.compile(rb'(;\s*filename=")([^"\r\n]*)(")', re.IGNORECASE)


def shorten_file_names(body: bytes, boundary: bytes) -> bytes:
    """``body`` with each part's over-long ``filename`` cut to its start and its end.

    Only the parts' headers are touched (the text between a boundary line and the blank
    line after it): the boundary never occurs inside a part's content.
    """
    if not boundary or len(body) < MAX_NAME_BYTES:
        return body
    delimiter = b"--" + boundary
    pieces = []
    at = 0
    start = body.find(delimiter)
    while start >= 0:
        head = start + len(delimiter)
        end = body.find(b"\r\n\r\n", head)
        if end < 0:
            break
        pieces += [body[at:head], _FILENAME.sub(_shorter, body[head:end])]
        at = end
        start = body.find(delimiter, end)
    pieces.append(body[at:])
    return b"".join(pieces)


def _shorter(match: re.Match[bytes]) -> bytes:
    name = match.group(2)
    if len(name) <= MAX_NAME_BYTES:
        return match.group(0)
    text = name.decode("utf-8", "replace")
    keep = MAX_NAME_BYTES // 10  # characters each side: at most 4 bytes each in UTF-8
    text = text[:keep] + "…" + text[-keep:]
    return match.group(1) + text.encode("utf-8") + match.group(3)


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


async def store(file: UploadFile, folder: Path, number: int) -> Upload:
    """Check the upload's content and keep it as ``folder/upload-<number>.<kind>``."""
    data = await file.read()
    name = display_name(file.filename or "")
    if not data:
        raise InputError(
            _("{name} is empty. Choose the spreadsheet with the campaigns.").format(name=name)
        )
    kind = kind_of(data)
    if kind is None:
        raise InputError(
            _(
                "{name} is not a spreadsheet. Choose an Excel workbook (.xlsx, .xls), a "
                "LibreOffice sheet (.ods) or a CSV file."
            ).format(name=name)
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload-{number}.{kind}"
    path.write_bytes(data)
    return Upload(path=path, name=name, size=len(data))


def display_name(raw: str) -> str:
    """A file name fit to show: its last part only, no control characters, not too long."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 120:  # its start and its end (the kind of file) stay readable
        name = name[:90].rstrip() + "…" + name[-29:].lstrip()
    return name or _("the file")


def download_name(stem_from: str, suffix: str) -> str:
    """``campaigns`` + ``.results.xlsx`` from the uploaded name, for Content-Disposition."""
    stem = display_name(stem_from).rsplit(".", 1)[0] if "." in stem_from else stem_from
    stem = re.sub(r'[<>:"/\\|?*;\x00-\x1f]', "_", stem).strip(" .") or "campaigns"
    return stem + suffix


def content_disposition(filename: str) -> str:
    """An attachment header that keeps accented names and never breaks the header."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
