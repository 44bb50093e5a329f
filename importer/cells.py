"""Cell text as it is meant, and column helpers that work once per distinct value.

Both reading and validation use these, so validation does not depend on the file
readers. A cell as meant is trimmed (non-breaking spaces too), without zero-width
marks and in Unicode NFC, so ``Retención`` typed two ways is one name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: Invisible characters people paste along with text; removed like spaces.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HAS_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def clean_header(text: str) -> str:
    """Header text without invisible spaces, in NFC."""
    text = unicodedata.normalize("NFC", str(text))
    return text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").strip()


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


def fold_accents(text: str) -> str:
    """``text`` case-folded and without accents: ``Predictíva`` -> ``predictiva``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
