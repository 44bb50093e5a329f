"""Stage 1: read a spreadsheet (xlsx/xlsm/xls/ods or CSV) into a table of text.

Every cell becomes text, the way the operator sees it in Excel: ``0042`` stays
``0042``, a number cell ``101.0`` becomes ``101``, a time cell becomes ``08:00:00``.
Every row keeps its spreadsheet row number (header = 1 when it is the first row),
which is the frame's index, so all later messages can point at the sheet.

This is the front door; the work is done by :mod:`importer.read.files` (tell the kind,
then :mod:`importer.read.csvfile` or :mod:`importer.read.workbook`), :mod:`importer.read.table`
(header to fields, cells cleaned) and :mod:`importer.check.skills` (the skills file).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from importer.check.skills import load_skills
from importer.read.files import read_sheet
from importer.read.table import Table, build_table, header_scorer

__all__ = ["Table", "load_skills", "load_table"]


def load_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
) -> Table:
    """Read ``path`` into a :class:`Table`; raise :class:`InputError` for unusable files.

    ``sheet`` picks a workbook's sheet; ``encoding`` and ``delimiter`` override what is
    detected in a CSV; ``mapping`` (header text as written -> field, or None to ignore
    that column) settles columns the header does not name clearly.
    """
    path = Path(path)
    score = header_scorer(mapping)
    read = read_sheet(path, sheet=sheet, encoding=encoding, delimiter=delimiter, score=score)
    return build_table(path.name, read, mapping)
