"""Cell text as it is meant, and column helpers that work once per distinct value.

Both reading and validation use these, so validation does not depend on the file
readers. A cell as meant is trimmed (non-breaking spaces too), without invisible
marks (zero-width spaces, direction marks and Unicode's other default-ignorable
code points) and in Unicode NFC, so ``Retención`` typed two ways is one name, and
``abc`` with a right-to-left mark pasted in front is ``abc``.

Some characters cannot be stored in a workbook at all (XML 1.0 forbids them): most
control characters, U+FFFE, U+FFFF and lone surrogates. DEL and the C1 controls
(U+007F to U+009F) can be stored but are invisible and may not reach wolkvox intact.
Validation reports all of them as a row problem; the workbook writers show them as
``<U+0001>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: Unicode's Default_Ignorable_Code_Point: characters that show as nothing (zero-width
#: spaces and joiners, direction marks and embeddings, the soft hyphen, variation
#: selectors, fillers, tags). People paste them along with text; they are removed like
#: spaces, so that two names that look the same are the same.
IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_IGNORABLE = re.compile(f"[{IGNORABLE}]+")

#: What a workbook cannot hold: XML 1.0 allows tab, line feed and carriage return of
#: the control characters, and no U+FFFE, U+FFFF or surrogate.
NOT_IN_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
#: DEL and the C1 controls: XML holds them, but they show as nothing, and a campaign
#: name holding U+0085 (a line break to some systems) may not reach wolkvox intact.
CONTROL = "\x7f-\x9f"
#: What is never sent, and written visibly as ``<U+0085>`` wherever it reaches a workbook.
UNSTORABLE = NOT_IN_XML + CONTROL
_UNSTORABLE = re.compile(f"[{UNSTORABLE}]")
#: How the workbooks show such a character (``<U+0001>``), and that mark read back.
_MARK = "<U+{code:04X}>"
_MARK_READ = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")


def _unseen(text: str) -> str:
    """``text`` without its default-ignorable code points (see :data:`IGNORABLE`)."""
    return _IGNORABLE.sub("", text)


def clean_header(text: str) -> str:
    """Header text without invisible marks and spaces around it, in NFC."""
    text = unicodedata.normalize("NFC", _unseen(str(text)))
    return text.replace("\u00a0", " ").strip()


def clean_cell(text: str) -> str:
    """A cell as it is meant: trimmed (non-breaking spaces too), no invisible marks, NFC."""
    if text.isascii():
        return text.strip()
    text = _unseen(text).strip()
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def name_key(name: str) -> str:
    """THE definition of "the same campaign name": the name as meant, case-insensitive.

    Duplicates in the sheet, campaigns already on the server and reconciliation all
    compare names through this one function, so a name with a direction mark or a
    zero-width space in it is the name without.
    """
    return clean_cell(str(name)).casefold()


def unstorable(text: str) -> list[tuple[int, int]]:
    """(1-based position, code point) of each character ``text`` holds that a workbook
    cannot store; ``<U+0001>``, the mark the workbooks write for one, counts as one too,
    so that a retry file sent back unchanged keeps the cell's problem."""
    found = [(m.start() + 1, ord(m.group())) for m in _UNSTORABLE.finditer(text)]
    if "<U+" in text or "<u+" in text:
        for m in _MARK_READ.finditer(text):
            code = int(m.group(1), 16)
            if code <= 0x10FFFF and _UNSTORABLE.match(chr(code)):
                found.append((m.start() + 1, code))
        found.sort()
    return found


#: The Latin-1 a workbook stores, and :func:`unstorable` does not report: tab, line feed,
#: carriage return, and the rest but the control characters (C0, DEL and C1).
_STORABLE_LATIN1 = b"\t\n\r" + bytes(range(0x20, 0x7F)) + bytes(range(0xA0, 0x100))


def has_unstorable(text: str) -> bool:
    """True when :func:`unstorable` would find something (cheaply, for whole columns)."""
    latin1 = _latin1(text)
    if latin1 is not None:
        # Deleting the storable bytes is one pass in C, a fifth of a regex search's time
        # over a column of a million cells; whatever is left cannot be stored.
        found = bool(latin1.translate(None, _STORABLE_LATIN1))
    else:
        found = _UNSTORABLE.search(text) is not None
    return found or (("<U+" in text or "<u+" in text) and bool(unstorable(text)))


def code_name(code: int) -> str:
    """``U+0001``: how a character is named in messages."""
    return f"U+{code:04X}"


def visible(text: str) -> str:
    """``text`` with each character a workbook cannot store written as ``<U+0001>``."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: _MARK.format(code=ord(m.group())), text)


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


def fold_accents(text: str) -> str:
    """``text`` case-folded and without accents: ``Predictíva`` -> ``predictiva``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def clean_column(values: pd.Series | np.ndarray) -> np.ndarray:
    """:func:`clean_values`, with one look at the whole column first.

    Most columns of a big export are clean already (no spaces around the text, no
    invisible marks, NFC): a few vectorised tests over the column's characters tell so,
    and the column is returned as it is. Any other column is cleaned value by value. The
    cells are joined with NUL, which is neither a space nor combines with its
    neighbours, so each cell is judged as it stands.
    """
    cells = np.asarray(values, dtype=object)
    # infer_dtype looks at each cell in C: a million cells cost a few milliseconds
    if not len(cells) or pd.api.types.infer_dtype(cells, skipna=False) != "string":
        return clean_values(cells)
    texts = cells.tolist()
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1 or joined[:1].isspace() or joined[-1:].isspace():
        return clean_values(cells)
    latin1 = _latin1(joined)
    if latin1 is not None:
        # Latin-1 text (Spanish's letters included) is NFC; without control characters,
        # the soft hyphen or the no-break space (one pass in C deletes the rest), its
        # only space is " ", and a cell starts or ends with one only beside a NUL.
        if latin1.translate(None, _PLAIN_LATIN1) or " \x00" in joined or "\x00 " in joined:
            return clean_values(cells)
        return cells
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    breaks = np.flatnonzero(codes == 0)
    around = np.concatenate(
        [codes[breaks[breaks > 0] - 1], codes[breaks[breaks < len(codes) - 1] + 1]]
    )
    if (around >= _TABLE).any() or _SPACES[np.minimum(around, _TABLE - 1)].any():
        return clean_values(cells)
    if not joined.isascii():
        high = codes[codes > 0x7F]
        if (high >= _TABLE).any() or _INVISIBLE[high].any():
            return clean_values(cells)
        if not unicodedata.is_normalized("NFC", joined):
            return clean_values(cells)
    return cells


#: Latin-1 that needs no cleaning: NUL (what :func:`clean_column` joins cells with) and
#: the printable characters but the no-break space and the soft hyphen.
_PLAIN_LATIN1 = (
    b"\x00" + bytes(range(0x20, 0x7F)) + bytes(c for c in range(0xA1, 0x100) if c != 0xAD)
)


def _latin1(text: str) -> bytes | None:
    """``text`` in Latin-1, or None when it holds a character beyond it."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


#: Lookup tables over the Basic Multilingual Plane: the characters str.strip() removes,
#: and the default-ignorable ones (:data:`IGNORABLE`). A character beyond the plane
#: sends the column down the value-by-value path.
_TABLE = 0x10000
_SPACES = np.array([chr(c).isspace() for c in range(_TABLE)], dtype=bool)
_INVISIBLE = np.array(
    [bool(_IGNORABLE.match(chr(c))) if not 0xD800 <= c < 0xE000 else False for c in range(_TABLE)],
    dtype=bool,
)
