"""CSV (and Excel's tab-separated "Unicode text"): decode, find the delimiter and header, parse.

The body is parsed by pandas' C parser, which keeps a 100,000-row file fast. Records
wider than the header are found on the way: the usual cause is a delimiter typed in
an unquoted cell (``Cartera 30, 60 y 90 días``), which shifts the rest of the row.
"""

from __future__ import annotations

import codecs
import csv
import io

import numpy as np
import pandas as pd

from importer.cells import clean_header, clean_values
from importer.columns import header_score
from importer.errors import InputError
from importer.i18n import _
from importer.sheet import HEADER_SEARCH_ROWS, Overflow, Score, Sheet, header_index

DELIMITERS = (",", ";", "\t", "|")
#: How delimiters may be named on the command line, besides the character itself.
DELIMITER_NAMES = {"\\t": "\t", "tab": "\t"}
#: How much of the text is read to find the header and the delimiter.
SAMPLE_CHARS = 200_000


def read_csv(
    name: str, data: bytes, encoding: str | None, delimiter: str | None, score: Score
) -> Sheet:
    """Read CSV bytes into a :class:`Sheet`; the header is the best-``score`` early record."""
    text, used = decode(data, name, encoding)
    text, delimiter = _delimiter(text.lstrip("\ufeff"), delimiter)
    try:
        head, lines = _find_header(text, delimiter, score)
    except csv.Error as exc:
        raise _unreadable(name, exc) from None
    header = head[-1] if head else []
    body_text = _drop_lines(text, lines)
    body = _parse(name, body_text, delimiter, max(len(header), 1))
    named = _named_width(header)
    wider = _wider_than_usual(body_text, delimiter, len(header), body)
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    return Sheet(
        head,
        body,
        _('CSV ({encoding}, "{delimiter}")').format(encoding=used, delimiter=shown),
        encoding=used,
        delimiter=delimiter,
        overflow=_overflow(body, named, delimiter, wider),
    )


def _delimiter(text: str, delimiter: str | None) -> tuple[str, str]:
    """The text without Excel's ``sep=`` line, and the delimiter: as given, hinted, or found."""
    first_line, _newline, rest = text.partition("\n")
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) >= 5:
        # Excel's "sep=;" hint line: honour it, and like Excel don't count it as a row.
        delimiter = delimiter or first_line.strip()[4]
        text = rest
    if delimiter is None:
        return text, _detect_delimiter(text)
    delimiter = DELIMITER_NAMES.get(delimiter, delimiter)
    if len(delimiter) != 1:
        raise InputError(
            _(
                "--delimiter must be one character, not {delimiter}. "
                "For example: --delimiter ';' or --delimiter tab"
            ).format(delimiter=repr(delimiter))
        )
    return text, delimiter


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding used). BOMs win, then UTF-8, then detection."""
    if encoding is not None:
        return _decode_as(data, name, encoding), encoding
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
            _(
                "{name}: the text encoding could not be recognised. Save it from Excel as "
                '"CSV UTF-8", or name the encoding with --encoding (e.g. --encoding cp1252).'
            ).format(name=name)
        )
    return str(best), best.encoding


def _decode_as(data: bytes, name: str, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            _(
                "--encoding {encoding} is not an encoding Python knows. Leave it out to "
                "detect the encoding, or name one such as utf-8 or cp1252."
            ).format(encoding=repr(encoding))
        ) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "{name} is not valid {encoding} (byte {position}). "
                "Leave out --encoding to detect it, or name the right one."
            ).format(name=name, encoding=encoding, position=exc.start)
        ) from None


def _parse(name: str, text: str, delimiter: str, width: int) -> pd.DataFrame:
    """The records below the header as text, one column per field, at least ``width`` wide.

    The C parser refuses a record wider than the columns it was given (or, for the first
    record, takes the extra fields as an index); only then is the text counted record by
    record, to give it the widest record's width.
    """
    try:
        first = _parse_fast(text, delimiter, width)
        if isinstance(first.index, pd.RangeIndex):
            return first
        error: Exception = pd.errors.ParserError(_("a record has more fields than the header"))
    except pd.errors.ParserError as exc:
        error = exc
    try:
        widest = _widest_record(text, delimiter)
        if widest <= width:  # the csv module does not see what the C parser saw
            raise _unreadable(name, error)
        return _parse_fast(text, delimiter, widest)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _unreadable(name, exc) from None


def _unreadable(name: str, why: Exception) -> InputError:
    return InputError(
        _(
            "{name} could not be read as CSV ({why}). Check for an unclosed quote, or "
            "save it again from Excel as CSV."
        ).format(name=name, why=why)
    )


def _parse_fast(text: str, delimiter: str, width: int) -> pd.DataFrame:
    # No index_col: a first record wider than `width` then shows as a non-range index,
    # where index_col=False would drop its extra fields with a mere warning.
    return pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        header=None,
        names=range(width),
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )


def _widest_record(text: str, delimiter: str) -> int:
    return max((len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)), default=0)


def _named_width(header: list[str]) -> int:
    """How many columns the header has, not counting empty cells at its end."""
    cells = [clean_header(c) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    return len(cells)


def _wider_than_usual(text: str, delimiter: str, header: int, body: pd.DataFrame) -> dict[int, int]:
    """Records with more fields than the file's records usually have: position -> fields.

    Excel pads every record of a file to the same width, so empty fields beyond the
    header are harmless when most records have them. One record wider than the others
    holds an unquoted delimiter even when its last field is empty (``Cartera 30; 60 y
    90 días;...;``): its cells are shifted. Counting needs a pass over the text, made
    only when some record is wider than the header.
    """
    if body.shape[1] <= header or body.empty:
        return {}
    counts = np.fromiter(
        (len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)), dtype=np.int64
    )
    if len(counts) != len(body):  # the two parsers disagree: rely on the cells' text alone
        return {}
    tally = np.bincount(counts)
    # The most common width; of equally common ones the widest, since nothing then
    # tells the shifted records from the padded ones.
    usual = max(header, len(tally) - 1 - int(np.argmax(tally[::-1])))
    return {int(p): int(counts[p]) for p in np.flatnonzero(counts > usual)}


def _overflow(
    body: pd.DataFrame, named: int, delimiter: str, wider: dict[int, int] | None = None
) -> list[Overflow]:
    """Records with text beyond the header's last named column, or wider than usual.

    Empty fields there are harmless (Excel writes them when some cell further right
    was ever used) unless the record has more of them than the file's records usually
    have (``wider``: position -> fields); text there would be lost, so the record is
    reported.
    """
    beyond = list(range(named, body.shape[1]))
    if not beyond or body.empty:
        return []
    wider = wider or {}
    cells = np.column_stack([clean_values(body[c].to_numpy(dtype=object)) for c in beyond])
    found = []
    with_text = set(np.flatnonzero((cells != "").any(axis=1)).tolist())
    for position in sorted(with_text | set(wider)):
        values = cells[position].tolist()
        if position in with_text:
            last = max(i for i, v in enumerate(values) if v)
            found.append(Overflow(position, named + last + 1, delimiter.join(values[: last + 1])))
        else:
            found.append(Overflow(position, wider[position], ""))
    return found


def _sample_records(text: str, delimiter: str, limit: int = HEADER_SEARCH_ROWS) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text[:SAMPLE_CHARS]), delimiter=delimiter)
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


def _find_header(text: str, delimiter: str, score: Score) -> tuple[list[list[str]], int]:
    """Return the records down to the header and the physical lines they span."""
    reader = csv.reader(io.StringIO(text[:SAMPLE_CHARS]), delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        records.append(row)
        lines.append(reader.line_num)
        if len(records) >= HEADER_SEARCH_ROWS:
            break
    if not records:
        return [], 0
    at = header_index(records, score)
    return records[: at + 1], lines[at]


def _drop_lines(text: str, count: int) -> str:
    pos = 0
    for _line in range(count):
        nl = text.find("\n", pos)
        if nl < 0:
            return ""
        pos = nl + 1
    return text[pos:]
