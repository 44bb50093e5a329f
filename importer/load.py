"""Stage 1: read a spreadsheet (xlsx/xlsm/xls/ods or CSV) into a frame of text.

Every cell becomes text, the way the operator sees it in Excel: ``0042`` stays
``0042``, a number cell ``101.0`` becomes ``101``, a time cell becomes ``08:00:00``.
Every row keeps its spreadsheet row number (header = 1 when it is the first row),
which is the frame's index, so all later messages can point at the sheet.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from importer.columns import FIELDS, REQUIRED_COLUMNS, RETRY_COLUMNS, header_score, match_header
from importer.errors import InputError
from importer.xlsx import ExcelXml

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"})
DELIMITERS = (",", ";", "\t", "|")
#: How far down a sheet the header may sit below title rows.
HEADER_SEARCH_ROWS = 20
PREFERRED_SHEETS = ("campaigns", "campaign", "campañas", "campaña", "campanas", "campana")


@dataclass
class Table:
    """A loaded sheet: text cells under the importer's field names, indexed by row number.

    Cells are as meant rather than as typed: trimmed (non-breaking spaces too), without
    zero-width marks, in Unicode NFC, so ``Retención`` typed two ways is one name.
    """

    #: One column per field in :data:`importer.columns.FIELDS`, plus any
    #: :data:`~importer.columns.RETRY_COLUMNS` present; index = spreadsheet row number.
    frame: pd.DataFrame
    #: Where the rows came from, for messages: 'sheet "campaigns"' or 'CSV (utf-8, ";")'.
    source: str
    #: Things worth telling the operator that do not stop the job.
    warnings: list[str] = field(default_factory=list)
    #: field -> header text as written, where an alias matched.
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass
class Sheet:
    """A sheet as read: the rows down to the header as lists, the rest as a frame.

    Keeping the body as a frame lets a 100,000-row CSV go from the parser to the
    importer's columns without passing every cell through Python lists.
    """

    #: rows from the top of the sheet down to and including the header
    head: list[list[str]]
    #: the rows below the header: text cells, columns numbered from 0
    body: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)
    #: the sheet's XML, for xlsx/xlsm workbooks (what calamine does not tell)
    excel: ExcelXml | None = None


def load_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read ``path`` into a :class:`Table`; raise :class:`InputError` for unusable files."""
    path = Path(path)
    read = read_sheet(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return _build_table(path.name, read)


def read_sheet(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    score: Callable[[list[str]], int] = header_score,
) -> Sheet:
    """Read a workbook sheet or a CSV as text; the header is the best-``score`` early row."""
    name = path.name
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path and try again.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a spreadsheet. Give the path of a file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror}). Check its permissions."
        ) from None
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{name} is empty. Fill in at least one campaign under the header row.")

    suffix = path.suffix.lower()
    kind = _sniff_kind(data)
    if kind == "text" and suffix in WORKBOOK_SUFFIXES:
        raise InputError(
            f"{name} is named {suffix} but holds plain text (a CSV file?). "
            f"Rename it to .csv, or save it from Excel as a real workbook."
        )
    if kind == "encrypted":
        raise InputError(
            f"{name} is protected with a password. Open it in Excel, remove the password "
            f"(File > Info > Protect Workbook), save, and try again."
        )
    if kind in {"zip", "ole"}:
        return _read_workbook(path, data, sheet, score)
    if sheet is not None:
        raise InputError(f"--sheet only applies to workbooks; {name} is a CSV file.")
    return _read_csv(name, data, encoding, delimiter, score)


def _header_index(rows: Sequence[list[str]], score: Callable[[list[str]], int]) -> int:
    """The first of the early rows that names the most known columns."""
    scores = [score([clean_header(c) for c in r]) for r in rows[:HEADER_SEARCH_ROWS]]
    return scores.index(max(scores)) if scores else 0


SKILL_ID_HEADERS = frozenset({"skillid", "idskill", "skill", "id", "iddelskill"})
SKILL_NAME_HEADERS = frozenset({"skillname", "nombreskill", "nombredelskill", "nombre", "name",
                                "descripcion", "description"})  # fmt: skip


def load_skills(path: str | os.PathLike[str]) -> dict[str, str]:
    """The operation's skills (id -> name) from a CSV or workbook with a ``skill_id`` column."""
    from importer.columns import fold

    path = Path(path)

    def score(cells: list[str]) -> int:
        return sum(fold(c) in SKILL_ID_HEADERS for c in cells)

    read = read_sheet(path, score=score)
    folded = [fold(clean_header(c)) for c in read.head[-1]] if read.head else []
    ids = [i for i, f in enumerate(folded) if f in SKILL_ID_HEADERS]
    if ids:
        names = [i for i, f in enumerate(folded) if f in SKILL_NAME_HEADERS and i != ids[0]]
        column = read.body[ids[0]] if ids[0] in read.body else pd.Series([], dtype=object)
        labels = read.body[names[0]] if names and names[0] in read.body else None
        skills: dict[str, str] = {}
        for i, ident in enumerate(column.astype(str).str.strip()):
            if ident:
                skills[ident] = "" if labels is None else str(labels.iloc[i]).strip()
        if not skills:
            raise InputError(f"--skills {path.name} lists no skills under its skill_id column.")
        return skills
    raise InputError(
        f"--skills {path.name} has no skill_id column. Export the skills from wolkvox manager "
        f"with a skill_id column (and optionally skill_name)."
    )


# --- workbooks -------------------------------------------------------------------------


def _sniff_kind(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # An OLE2 container is either a legacy .xls or an encrypted OOXML workbook.
        if "EncryptionInfo".encode("utf-16-le") in data[:65536] or b"EncryptionInfo" in data:
            return "encrypted"
        return "ole"
    return "text"


def _read_workbook(
    path: Path, data: bytes, wanted: str | None, score: Callable[[list[str]], int]
) -> Sheet:
    import python_calamine as calamine

    name = path.name
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise InputError(
            f"{name} is protected with a password. Remove the password in Excel and try again."
        ) from None
    except Exception:  # calamine raises several unrelated types for damaged files
        raise InputError(
            f"{name} could not be opened as a workbook: it looks damaged or truncated. "
            f"Open it in Excel and save it again, or export it as CSV."
        ) from None
    sheets = [m for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    names = [m.name for m in sheets]
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                f"{name} has no sheet named {wanted!r}. Its sheets are: {', '.join(names)}."
            )
        chosen = wanted
    else:
        visible = [m.name for m in sheets if str(m.visible).endswith(".Visible")]
        by_fold = {n.strip().casefold(): n for n in visible}
        preferred = [by_fold[p] for p in PREFERRED_SHEETS if p in by_fold]
        if preferred:
            chosen = preferred[0]
        elif visible:
            chosen = visible[0]
        else:
            raise InputError(
                f"{name} has no visible worksheet. Unhide the sheet with the campaigns."
            )
    try:
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception:
        raise InputError(
            f"{name}: sheet {chosen!r} could not be read; the file looks damaged. "
            f"Open it in Excel and save it again."
        ) from None
    excel = ExcelXml.open(data, chosen) if data.startswith(b"PK") else None
    for r, c, error in excel.error_cells() if excel else ():
        if r < len(cells) and c < len(cells[r]):
            cells[r][c] = error  # calamine reads it as empty
    top = [[_cell_text(c) for c in row] for row in cells[:HEADER_SEARCH_ROWS]]
    at = _header_index(top, score)
    # Most cells of a sheet are text already; only the others need converting.
    body = [
        row if all(type(c) is str for c in row) else [_cell_text(c) for c in row]
        for row in cells[at + 1 :]
    ]
    warnings = []
    if wanted is None and len(names) > 1:
        warnings.append(f'read sheet "{chosen}" (use --sheet to pick another)')
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(dtype=object)
    return Sheet(top[: at + 1], frame, f'sheet "{chosen}"', warnings, excel)


def _cell_text(value: object) -> str:
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


# --- CSV -------------------------------------------------------------------------------


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding used). BOMs win, then UTF-8, then detection."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding {encoding!r} is not an encoding Python knows.") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} is not valid {encoding} (byte {exc.start}). "
                f"Leave out --encoding to detect it, or name the right one."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    # Excel on Windows writes the ANSI code page; offer the detector the usual
    # Western candidates first so Spanish text is not read as some far-off code page.
    best = from_bytes(
        data, cp_isolation=["cp1252", "latin_1", "utf_16_le", "utf_16_be", "cp850", "mac_roman"]
    ).best()
    if best is None:
        raise InputError(
            f"{name}: the text encoding could not be recognised. Save it from Excel as "
            f'"CSV UTF-8", or name the encoding with --encoding (e.g. --encoding cp1252).'
        )
    return str(best), best.encoding


def _read_csv(
    name: str,
    data: bytes,
    encoding: str | None,
    delimiter: str | None,
    score: Callable[[list[str]], int],
) -> Sheet:
    text, used = decode(data, name, encoding)
    text = text.lstrip("\ufeff")
    first_line, _, rest = text.partition("\n")
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) >= 5:
        # Excel's "sep=;" hint line: honour it, and like Excel don't count it as a row.
        delimiter = delimiter or first_line.strip()[4]
        text = rest
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise InputError(f"--delimiter must be one character, not {delimiter!r}.")
    else:
        delimiter = _detect_delimiter(text)
    try:
        head, lines = _find_header(text, delimiter, score)
        width = max(len(head[-1]), 1) if head else 1
        frame = pd.read_csv(
            io.StringIO(_drop_lines(text, lines)),
            sep=delimiter,
            header=None,
            names=range(width),
            usecols=range(width),
            index_col=False,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(
            f"{name} could not be read as CSV ({exc}). Check for an unclosed quote, or save it "
            f"again from Excel as CSV."
        ) from None
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    return Sheet(head, frame, f'CSV ({used}, "{shown}")')


def _sample_records(text: str, delimiter: str, limit: int = HEADER_SEARCH_ROWS) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text[:200_000]), delimiter=delimiter)
    out = []
    try:
        for row in reader:
            out.append(row)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _detect_delimiter(text: str) -> str:
    """Pick the delimiter under which a known header shows up; csv.Sniffer breaks ties."""
    scores = {}
    for candidate in DELIMITERS:
        records = _sample_records(text, candidate)
        scores[candidate] = max((header_score(r) for r in records), default=0)
    best = max(scores.values())
    winners = [d for d in DELIMITERS if scores[d] == best]
    if len(winners) == 1:
        return winners[0]
    try:
        sniffed = csv.Sniffer().sniff(text[:20_000], delimiters="".join(winners)).delimiter
    except csv.Error:
        return winners[0]
    return sniffed if sniffed in winners else winners[0]


def _find_header(
    text: str, delimiter: str, score: Callable[[list[str]], int]
) -> tuple[list[list[str]], int]:
    """Return the records down to the header and the physical lines they span."""
    reader = csv.reader(io.StringIO(text[:200_000]), delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        records.append(row)
        lines.append(reader.line_num)
        if len(records) >= HEADER_SEARCH_ROWS:
            break
    if not records:
        return [], 0
    at = _header_index(records, score)
    return records[: at + 1], lines[at]


def _drop_lines(text: str, count: int) -> str:
    pos = 0
    for _ in range(count):
        nl = text.find("\n", pos)
        if nl < 0:
            return ""
        pos = nl + 1
    return text[pos:]


# --- common ----------------------------------------------------------------------------


def clean_header(text: str) -> str:
    """Header text without invisible spaces, in NFC."""
    text = unicodedata.normalize("NFC", str(text))
    return text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").strip()


#: Invisible characters people paste along with text; removed like spaces.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HAS_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def clean_cell(text: str) -> str:
    """A cell as it is meant: trimmed (non-breaking spaces too), no zero-width marks, NFC."""
    if text.isascii():
        return text.strip()
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    text = text.strip()
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def by_value(
    values: pd.Series | np.ndarray, fn: Callable[[Any], Any], dtype: type = object
) -> np.ndarray:
    """``fn`` over a column, called once per distinct value.

    Sheets repeat the same few types, hours, skills and flags thousands of times, so
    this turns a Python call per cell into one per distinct value.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    results = [fn(u) for u in uniques]
    # factorize gives missing values (None) the code -1, which picks the last entry:
    # make that fn(None).
    results.append(fn(None) if (codes < 0).any() else None)
    return np.array(results, dtype=dtype)[codes]


def clean_values(values: pd.Series | np.ndarray) -> np.ndarray:
    """:func:`clean_cell` over a column, once per distinct value."""
    # Anything but text (a missing cell in a short row) is an empty cell.
    return by_value(values, lambda u: clean_cell(u) if type(u) is str else "")


def _build_table(name: str, read: Sheet) -> Table:
    header = [clean_header(c) for c in read.head[-1]] if read.head else []
    if header_score(header) == 0:
        first = [clean_header(c) for c in read.head[0]] if read.head else []
        found = ", ".join(c for c in first if c)
        raise InputError(
            f"{name} has no header row with the expected column names "
            f"(campaign_name, skill_id, ...); first row holds: {found or 'nothing'}. "
            f"Start from the template: wolkvox-import template campaigns.xlsx"
        )
    header_row = len(read.head)
    match = match_header(header)
    if match.misspelt:
        listed = "; ".join(f'"{text}" (did you mean {guess}?)' for text, guess in match.misspelt)
        raise InputError(
            f"{name}: unknown column {listed}. Its data would be lost: rename the column "
            f"header and run again."
        )
    if match.duplicated:
        listed = "; ".join(f"{f}: {', '.join(repr(h) for h in hs)}" for f, hs in match.duplicated)
        raise InputError(f"{name}: more than one column for the same field ({listed}). Keep one.")
    missing = [c for c in REQUIRED_COLUMNS if c not in match.positions]
    if missing:
        raise InputError(
            f"{name} has no {' or '.join(missing)} column (the header is row "
            f"{header_row}: {', '.join(h for h in header if h)}). Add the column; the "
            f"template shows the expected header: wolkvox-import template campaigns.xlsx"
        )
    warnings = list(read.warnings)
    if match.ignored:
        warnings.append("ignored columns not used by wolkvox: " + ", ".join(match.ignored))
    skill_column = match.positions["skill_id"]
    for row, value, code in read.excel.zero_padded(skill_column) if read.excel else ():
        warnings.append(
            f"row {row}: skill_id {value} is a number shown as {value.zfill(len(code))} by "
            f'its cell format "{code}"; {value} is what will be sent. If the skill is '
            f"{value.zfill(len(code))}, format the column as text and type it with its zeros."
        )
    if match.aliases:
        warnings.append(
            "matched columns: " + ", ".join(f'"{a}" = {f}' for f, a in match.aliases.items())
        )

    body = read.body
    rows = len(body)
    empty = np.full(rows, "", dtype=object)
    columns: dict[str, np.ndarray] = {}
    for f in (*FIELDS, *RETRY_COLUMNS):
        pos = match.positions.get(f)
        if pos is not None and pos in body.columns:
            values = body[pos].to_numpy(dtype=object)
            columns[f] = clean_values(values) if rows else values
        elif f in FIELDS:
            columns[f] = empty
    frame = pd.DataFrame(
        columns,
        index=pd.RangeIndex(header_row + 1, header_row + 1 + rows, name="row"),
        dtype=object,
    )
    if rows:
        # Fully empty rows (formatting left behind, blank separator lines) are skipped;
        # the others keep their sheet row numbers.
        blank = np.ones(rows, dtype=bool)
        for values in columns.values():
            blank &= values == ""
        frame = frame[~blank]
    if frame.empty:
        raise InputError(
            f"{name} has a header (row {header_row}) but no data rows. Add campaigns "
            f"below the header and run again."
        )
    return Table(frame=frame, source=read.source, warnings=warnings, aliases=dict(match.aliases))
