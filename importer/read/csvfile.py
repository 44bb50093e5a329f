"""CSV (and Excel's tab-separated "Unicode text"): decode, find the delimiter and header, parse.

The body is parsed by pandas' C parser, which keeps a 100,000-row file fast. Records
wider than the header are found on the way: the usual cause is a delimiter typed in
an unquoted cell (``Cartera 30, 60 y 90 días``), which shifts the rest of the row.
"""

from __future__ import annotations

import codecs
import csv
import encodings.cp1252
import io

import numpy as np
import pandas as pd

from importer.check.cells import clean_header, clean_values
from importer.check.columns import header_score
from importer.errors import InputError
from importer.i18n import _
from importer.read.sheet import HEADER_SEARCH_ROWS, Overflow, Score, Sheet, header_index
from importer.send.policy import MAX_CELLS, MAX_COLUMNS, MAX_LINE_CHARS

DELIMITERS = (",", ";", "\t", "|")
#: How delimiters may be named on the command line, besides the character itself.
DELIMITER_NAMES = {"\\t": "\t", "tab": "\t"}
#: How much of the text is read to find the header and the delimiter.
SAMPLE_CHARS = 200_000


def read_csv(
    name: str, data: bytes, encoding: str | None, delimiter: str | None, score: Score,
    max_cells: int = MAX_CELLS,
) -> Sheet:  # fmt: skip
    """Read CSV bytes into a :class:`Sheet`; the header is the best-``score`` early record.

    Time and memory grow with the file's size, never with its rows times its widest
    row: a line too long for any sheet, or more cells than ``max_cells``, is refused
    with a message before parsing; a record wider than the header is kept to the
    header's width, its extra text reported.
    """
    text, used = decode(data, name, encoding)
    text, delimiter = _delimiter(text.lstrip("\ufeff"), delimiter)
    _check_lines(name, text)
    try:
        head, lines = _find_header(text, delimiter, score)
    except csv.Error as exc:
        raise _unreadable(name, exc) from None
    header = head[-1] if head else []
    named = _named_width(header)
    rest = _drop_lines(text, lines)
    width = _width(name, rest, len(header), named, max_cells)
    body, overflow = _parse(name, rest, delimiter, width, named, len(header), len(head) + 1)
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    return Sheet(
        head,
        body,
        _('CSV ({encoding}, "{delimiter}")').format(encoding=used, delimiter=shown),
        encoding=used,
        delimiter=delimiter,
        overflow=overflow,
    )


def _check_lines(name: str, text: str) -> None:
    """Refuse a line longer than :data:`MAX_LINE_CHARS`: no sheet's row is that long, and
    a parser holds each field of a line at once (200 MB of commas is 200 million)."""
    start = 0
    while len(text) - start > MAX_LINE_CHARS:
        # The last line break within reach: every line before it is short enough, so the
        # next one that could be too long starts after it (a few steps for a whole file).
        end = start + MAX_LINE_CHARS + 1
        cut = max(text.rfind("\n", start, end), text.rfind("\r", start, end))
        if cut < 0:
            line = text.count("\n", 0, start) + 1
            stop = min(i for i in (text.find("\n", start), text.find("\r", start), len(text))
                       if i >= 0)  # fmt: skip
            raise InputError(
                _(
                    "{name}: line {line} is {length} characters long, longer than any row "
                    "of a spreadsheet ({limit} at most). The file is not a campaign sheet, "
                    "or it is damaged: open it in Excel and save it again as CSV."
                ).format(
                    name=name, line=f"{line:,}", length=f"{stop - start:,}",
                    limit=f"{MAX_LINE_CHARS:,}",
                )
            )  # fmt: skip
        start = cut + 1


def _width(name: str, text: str, header: int, named: int, max_cells: int = MAX_CELLS) -> int:
    """How many columns to parse: the header's, empty ones at its end included when the
    cells that makes stay within ``max_cells`` (each is held), else the named ones."""
    # Records are at most the lines (a quoted line break only joins two).
    rows = (text.count("\n") or text.count("\r")) + 1
    width = max(header, 1)
    if rows * width > max_cells or width > MAX_COLUMNS:
        width = max(named, 1)
    if width > MAX_COLUMNS:
        raise InputError(
            _(
                "{name}: the header has {columns} columns, more than a spreadsheet can hold "
                "({limit}). Check that the file is a campaign sheet saved as CSV."
            ).format(name=name, columns=f"{width:,}", limit=f"{MAX_COLUMNS:,}")
        )
    if rows * width > max_cells:
        raise InputError(
            _(
                "{name} has about {rows} rows of {columns} columns ({cells} cells), more "
                "than the {limit} the importer reads. Split it into smaller files."
            ).format(
                name=name, rows=f"{rows:,}", columns=width, cells=f"{rows * width:,}",
                limit=f"{max_cells:,}",
            )
        )  # fmt: skip
    return width


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


#: Windows-1252 as Excel on a Spanish (or any Western) Windows writes it, with the five
#: bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1 does, as
#: the C1 controls of the same number: any byte decodes, and such a cell is then
#: refused as an invisible control character instead of the whole file.
_CP1252 = "".join(
    chr(byte) if char == "\ufffe" else char
    for byte, char in enumerate(encodings.cp1252.decoding_table)
)


def decode_cp1252(data: bytes) -> str:
    """``data`` as Windows-1252, every byte readable (see :data:`_CP1252`)."""
    return codecs.charmap_decode(data, "strict", _CP1252)[0]


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding used), its lines ending in line feeds.

    See :func:`_decode`. A file whose lines end in a carriage return alone ("CSV
    (Macintosh)" of older Excel) holds no line feed at all: its carriage returns are
    its line ends, which the csv module would take for a line break inside a cell.
    """
    text, used = _decode(data, name, encoding)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    return text, used


def _decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding used).

    A byte-order mark wins (UTF-8, UTF-16); then UTF-8 if the bytes are valid UTF-8;
    else Windows-1252, what Excel on Spanish Windows writes. No guessing: a detector
    takes the short Spanish words of a campaign sheet for cp850 or mac_roman as often
    as not, and ``ñ`` and ``á`` come out as other letters. Bytes holding NUL are no
    such text (a binary file, or UTF-16 saved without its mark): they are refused.
    """
    if encoding is not None:
        return _decode_as(data, name, encoding), encoding
    if data.startswith(codecs.BOM_UTF8):
        return _decode_marked(data[3:], name, "utf-8", "UTF-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_marked(data, name, "utf-16", "UTF-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise InputError(
            _(
                "{name}: the text encoding could not be recognised. Save it from Excel as "
                '"CSV UTF-8", or name the encoding with --encoding (e.g. --encoding cp1252).'
            ).format(name=name)
        )
    return decode_cp1252(data), "cp1252"


def _decode_marked(data: bytes, name: str, codec: str, shown: str) -> str:
    """``data`` as the encoding its byte-order mark names, or a clear refusal.

    A file that starts with the mark and then holds other bytes was put together from
    two encodings (or cut short): no reading of it is sure to give the person's text,
    so it is refused, naming the line where the text stops being ``shown``.
    """
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise InputError(
            _(
                "{name} starts with the {encoding} mark but is not {encoding} text at line "
                '{line}. Open it in Excel and save it again as "CSV UTF-8".'
            ).format(name=name, encoding=shown, line=line)
        ) from None


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
    if codecs.lookup(encoding).name == "cp1252":
        return decode_cp1252(data)  # as detected: the same text a run of the page reads
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "{name} is not valid {encoding} (byte {position}). "
                "Leave out --encoding to detect it, or name the right one."
            ).format(name=name, encoding=encoding, position=exc.start)
        ) from None


def _parse(
    name: str, text: str, delimiter: str, width: int, named: int, header: int, first_row: int
) -> tuple[pd.DataFrame, list[Overflow]]:
    """The records below the header as text, one column per field, and those wider than
    the header's ``named`` columns.

    The C parser takes the common file whole. It refuses a record wider than the
    columns it was given (or, for the first record, takes the extra fields as an index):
    then the records are read one by one instead, each kept to the header's width, and
    what a wider one holds beyond it reported. Either way the cost follows the text's
    size, not the number of records times the widest one.
    """
    try:
        first = _parse_fast(text, delimiter, width)
        if isinstance(first.index, pd.RangeIndex):
            return first, _overflow(first, named, delimiter)
    except pd.errors.ParserError:
        # Among the causes: a quote that never closes, which the lenient reading below
        # would take as one cell running to the end, silently swallowing the rows after.
        opened = _unclosed_quote(text, delimiter)
        if opened is not None:
            raise InputError(
                _(
                    '{name}: a quote (") opens a cell in row {row} and is never closed, so '
                    "every row after it would be read into that one cell. Close the quote in "
                    "that cell (or delete it), or check that the file was saved from Excel "
                    "as CSV."
                ).format(name=name, row=first_row + opened)
            ) from None
    try:
        return _parse_records(text, delimiter, max(named, 1), named, header)
    except csv.Error as exc:
        raise _unreadable(name, exc) from None


def _parse_records(
    text: str, delimiter: str, width: int, named: int, header: int
) -> tuple[pd.DataFrame, list[Overflow]]:
    """Record by record (the csv module, in C): each cut or padded to ``width`` fields.

    Besides text beyond the header, a record is reported when it has more fields than
    the file's records usually have, even empty ones: Excel pads every record of a file
    to the same width, so one wider than the others holds an unquoted delimiter
    (``Cartera 30; 60 y 90 días;...;``) and its cells are shifted.
    """
    _allow_fields(text)
    rows: list[list[str]] = []
    lengths: list[int] = []
    overflow: dict[int, Overflow] = {}
    padding = [""] * width
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for position, record in enumerate(records):
        lengths.append(len(record))
        if len(record) > named:
            found = _beyond(position, record, named, delimiter)
            if found is not None:
                overflow[position] = found
        if len(record) >= width:
            rows.append(record[:width])
        else:
            rows.append(record + padding[len(record) :])
    if lengths:
        tally = np.bincount(np.array(lengths, dtype=np.int64))
        # The most common width; of equally common ones the widest, since nothing then
        # tells the shifted records from the padded ones.
        usual = max(header, len(tally) - 1 - int(np.argmax(tally[::-1])))
        for position in np.flatnonzero(np.array(lengths) > usual).tolist():
            overflow.setdefault(position, Overflow(position, lengths[position], ""))
    body = pd.DataFrame(rows, columns=range(width), dtype=object)
    return body, [overflow[p] for p in sorted(overflow)]


def _allow_fields(text: str) -> None:
    """Let the csv module read a field as long as ``text``, as pandas' parser does.

    Its default limit (128 KiB) is its guard against runaway quotes, which are found
    here by :func:`_unclosed_quote` instead, with the row they open at; the text is in
    memory anyway, and a line longer than any sheet's was refused before. Without this,
    a long cell failed with the module's own words, and only in some readings.
    """
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))


def _unclosed_quote(text: str, delimiter: str) -> int | None:
    """The record (from 0) where a quoted field opens and runs to the end of ``text``
    without closing; None when there is no such quote."""
    _allow_fields(text)
    source = io.StringIO(text, newline="")
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    position = 0
    lines = 0  # physical lines of the records read whole
    try:
        for _record in reader:
            position += 1
            lines = reader.line_num
    except csv.Error:
        # Strict reading stops at other oddities too (text after a closing quote): only
        # a record that ran to the very end with its quotes unbalanced is this case.
        if source.read(1) == "" and _drop_lines(text, lines).count('"') % 2 == 1:
            return position
    return None


def _beyond(position: int, record: list[str], named: int, delimiter: str) -> Overflow | None:
    """The record's text beyond the header's columns, if it has any (empty fields there
    are harmless: Excel writes them)."""
    cells = clean_values(np.array(record[named:], dtype=object))
    filled = np.flatnonzero(cells != "")
    if not len(filled):
        return None
    last = int(filled[-1])
    return Overflow(position, named + last + 1, _shortened(delimiter.join(cells[: last + 1])))


#: How much of the text beyond the header a message quotes.
SHOWN_CHARS = 200


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


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
    # As UTF-8 bytes, which the C parser reads as they are: a StringIO of a big text
    # costs a copy at four bytes a character, and the parser encodes it back anyway.
    return pd.read_csv(
        io.BytesIO(text.encode("utf-8", "surrogatepass")),
        encoding="utf-8",
        encoding_errors="surrogatepass",
        sep=delimiter,
        header=None,
        names=range(width),
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )


def _named_width(header: list[str]) -> int:
    """How many columns the header has, not counting empty cells at its end."""
    cells = [clean_header(c) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    return len(cells)


def _overflow(body: pd.DataFrame, named: int, delimiter: str) -> list[Overflow]:
    """Records with text beyond the header's last named column.

    Empty fields there are harmless (Excel writes them when some cell further right
    was ever used); text there would be lost, so the record is reported. (Only for a
    body the C parser read whole: no record there is wider than the header.)
    """
    beyond = list(range(named, body.shape[1]))
    if not beyond or body.empty:
        return []
    cells = np.column_stack([clean_values(body[c].to_numpy(dtype=object)) for c in beyond])
    found = []
    for position in np.flatnonzero((cells != "").any(axis=1)):
        values = cells[position].tolist()
        last = max(i for i, v in enumerate(values) if v)
        extra = _shortened(delimiter.join(values[: last + 1]))
        found.append(Overflow(int(position), named + last + 1, extra))
    return found


def _sample_records(text: str, delimiter: str, limit: int = HEADER_SEARCH_ROWS) -> list[list[str]]:
    _allow_fields(text[:SAMPLE_CHARS])
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
    _allow_fields(text[:SAMPLE_CHARS])
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
