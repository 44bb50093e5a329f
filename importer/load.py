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
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from importer.columns import FIELDS, REQUIRED_COLUMNS, RETRY_COLUMNS, header_score, match_header
from importer.errors import InputError

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"})
DELIMITERS = (",", ";", "\t", "|")
#: How far down a sheet the header may sit below title rows.
HEADER_SEARCH_ROWS = 20
PREFERRED_SHEETS = ("campaigns", "campaign", "campañas", "campaña", "campanas", "campana")


@dataclass
class Table:
    """A loaded sheet: text cells under the importer's field names, indexed by row number."""

    #: One column per field in :data:`importer.columns.FIELDS`, plus any
    #: :data:`~importer.columns.RETRY_COLUMNS` present; index = spreadsheet row number.
    frame: pd.DataFrame
    #: Where the rows came from, for messages: 'sheet "campaigns"' or 'CSV (utf-8, ";")'.
    source: str
    #: Things worth telling the operator that do not stop the job.
    warnings: list[str] = field(default_factory=list)
    #: field -> header text as written, where an alias matched.
    aliases: dict[str, str] = field(default_factory=dict)


def load_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read ``path`` into a :class:`Table`; raise :class:`InputError` for unusable files."""
    path = Path(path)
    rows, source, warnings = read_rows(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return _build_table(path.name, rows, source, warnings)


def read_rows(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[list[list[str]], str, list[str]]:
    """Every row of a sheet or CSV as lists of cell text, with where they came from."""
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
        return _read_workbook(path, data, sheet)
    if sheet is not None:
        raise InputError(f"--sheet only applies to workbooks; {name} is a CSV file.")
    return _read_csv_rows(name, data, encoding, delimiter)


SKILL_ID_HEADERS = frozenset({"skillid", "idskill", "skill", "id", "iddelskill"})
SKILL_NAME_HEADERS = frozenset({"skillname", "nombreskill", "nombredelskill", "nombre", "name",
                                "descripcion", "description"})  # fmt: skip


def load_skills(path: str | os.PathLike[str]) -> dict[str, str]:
    """The operation's skills (id -> name) from a CSV or workbook with a ``skill_id`` column."""
    from importer.columns import fold

    path = Path(path)
    rows, _, _ = read_rows(path)
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        folded = [fold(clean_header(c)) for c in cells]
        ids = [i for i, f in enumerate(folded) if f in SKILL_ID_HEADERS]
        if not ids:
            continue
        names = [i for i, f in enumerate(folded) if f in SKILL_NAME_HEADERS and i != ids[0]]
        skills: dict[str, str] = {}
        for row in rows[index + 1 :]:
            ident = row[ids[0]].strip() if ids[0] < len(row) else ""
            if ident:
                name = row[names[0]].strip() if names and names[0] < len(row) else ""
                skills[ident] = name
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


def _read_workbook(path: Path, data: bytes, wanted: str | None):
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
    rows = [[_cell_text(c) for c in row] for row in cells]
    warnings = []
    if wanted is None and len(names) > 1:
        warnings.append(f'read sheet "{chosen}" (use --sheet to pick another)')
    return rows, f'sheet "{chosen}"', warnings


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


def _read_csv_rows(name: str, data: bytes, encoding: str | None, delimiter: str | None):
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
        header_at, width, lines_before = _find_header(text, delimiter)
        head_rows = list(
            csv.reader(io.StringIO(_take_lines(text, lines_before)), delimiter=delimiter)
        )
        body = _drop_lines(text, lines_before)
        frame = pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            header=None,
            names=range(width),
            usecols=range(width),
            index_col=False,
            dtype=str,
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
    rows = head_rows + frame.to_numpy(dtype=object).tolist()
    del header_at
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    return rows, f'CSV ({used}, "{shown}")', []


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


def _find_header(text: str, delimiter: str) -> tuple[int, int, int]:
    """Return (header record index, column count, physical lines up to and incl. the header)."""
    reader = csv.reader(io.StringIO(text[:200_000]), delimiter=delimiter)
    best = (-1, 0, 0, 0)  # score, index, width, lines
    for index, row in enumerate(reader):
        if index >= HEADER_SEARCH_ROWS:
            break
        score = header_score(row)
        if score > best[0]:
            best = (score, index, len(row), reader.line_num)
    _, index, width, lines = best
    return index, max(width, 1), lines


def _take_lines(text: str, count: int) -> str:
    return "".join(text.splitlines(keepends=True)[:count]) if count else ""


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


def _build_table(name: str, rows: Sequence[list[str]], source: str, warnings: list[str]) -> Table:
    search = rows[:HEADER_SEARCH_ROWS]
    scores = [header_score([clean_header(c) for c in r]) for r in search]
    if not scores or max(scores) == 0:
        found = ", ".join(c for c in (clean_header(x) for x in (rows[0] if rows else [])) if c)
        raise InputError(
            f"{name} has no header row with the expected column names "
            f"(campaign_name, skill_id, ...); first row holds: {found or 'nothing'}. "
            f"Start from the template: wolkvox-import template campaigns.xlsx"
        )
    header_index = scores.index(max(scores))
    header = [clean_header(c) for c in rows[header_index]]
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
            f"{header_index + 1}: {', '.join(h for h in header if h)}). Add the column; the "
            f"template shows the expected header: wolkvox-import template campaigns.xlsx"
        )
    if match.ignored:
        warnings.append("ignored columns not used by wolkvox: " + ", ".join(match.ignored))
    if match.aliases:
        warnings.append(
            "matched columns: " + ", ".join(f'"{a}" = {f}' for f, a in match.aliases.items())
        )

    data = rows[header_index + 1 :]
    first_row_number = header_index + 2
    columns = [f for f in (*FIELDS, *RETRY_COLUMNS) if f in match.positions or f in FIELDS]
    width = max((len(r) for r in data), default=0)
    by_position = {}
    for f in columns:
        pos = match.positions.get(f)
        by_position[f] = pos if pos is not None and pos < max(width, 1) else None
    frame = pd.DataFrame(
        [
            [r[p] if p is not None and p < len(r) else "" for p in by_position.values()]
            for r in data
        ],
        columns=columns,
        index=pd.RangeIndex(first_row_number, first_row_number + len(data), name="row"),
        dtype=object,
    )
    if len(frame):
        # Fully empty rows (formatting left behind, blank separator lines) are skipped;
        # the row numbers of the others stay as in the sheet.
        blank = pd.concat([frame[c].str.strip().eq("") for c in frame.columns], axis=1)
        frame = frame[~blank.all(axis=1)]
    if frame.empty:
        raise InputError(
            f"{name} has a header (row {header_index + 1}) but no data rows. Add campaigns "
            f"below the header and run again."
        )
    return Table(frame=frame, source=source, warnings=warnings, aliases=dict(match.aliases))
