"""The operation's skills (id -> name), read from a file exported from wolkvox manager.

With the list, validation can tell a skill id that does not exist before anything is
sent, and suggest the nearest known ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from importer.check.cells import clean_header
from importer.check.columns import fold
from importer.errors import InputError
from importer.i18n import _
from importer.read.files import read_sheet

SKILL_ID_HEADERS = frozenset({"skillid", "idskill", "skill", "id", "iddelskill"})
SKILL_NAME_HEADERS = frozenset({"skillname", "nombreskill", "nombredelskill", "nombre", "name",
                                "descripcion", "description"})  # fmt: skip


def _score(cells: list[str]) -> int:
    return sum(fold(c) in SKILL_ID_HEADERS for c in cells)


def load_skills(path: str | os.PathLike[str]) -> dict[str, str]:
    """The operation's skills (id -> name) from a CSV or workbook with a ``skill_id`` column."""
    path = Path(path)
    read = read_sheet(path, score=_score)
    folded = [fold(clean_header(c)) for c in read.head[-1]] if read.head else []
    ids = [i for i, f in enumerate(folded) if f in SKILL_ID_HEADERS]
    if not ids:
        raise InputError(
            _(
                "--skills {name} has no skill_id column. Export the skills from wolkvox manager "
                "with a skill_id column (and optionally skill_name)."
            ).format(name=path.name)
        )
    names = [i for i, f in enumerate(folded) if f in SKILL_NAME_HEADERS and i != ids[0]]
    column = read.body[ids[0]] if ids[0] in read.body else pd.Series([], dtype=object)
    labels = read.body[names[0]] if names and names[0] in read.body else None
    skills: dict[str, str] = {}
    for i, ident in enumerate(column.astype(str).str.strip()):
        if ident:
            skills[ident] = "" if labels is None else str(labels.iloc[i]).strip()
    if not skills:
        raise InputError(
            _(
                "--skills {name} lists no skills under its skill_id column. Fill in the skill "
                "ids, one per row, under the header."
            ).format(name=path.name)
        )
    return skills
