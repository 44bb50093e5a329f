"""The spreadsheet's columns: names, meanings, aliases and header matching.

Kept free of pandas so that templates, help texts and the CLI can use it cheaply.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

OPTS = tuple(f"opt{i}" for i in range(1, 13))

#: The body keys of ``create_campaign``, in the documented order.
BODY_FIELDS: tuple[str, ...] = (
    "campaign_name",
    "campaign_description",
    "start_time",
    "end_time",
    "skill_id",
    *OPTS,
    "enable_edition",
)

#: Every column the spreadsheet may have: the body keys plus the campaign type,
#: which travels in the URL rather than the body.
FIELDS: tuple[str, ...] = (
    "campaign_name",
    "campaign_description",
    "type_campaign",
    "start_time",
    "end_time",
    "skill_id",
    "enable_edition",
    *OPTS,
)

REQUIRED_COLUMNS: tuple[str, ...] = ("campaign_name", "skill_id")

#: Columns the importer itself adds to a retry file; reading one back must not
#: warn about them, so a retry file is accepted unchanged as input.
RETRY_COLUMNS: tuple[str, ...] = ("original_row", "last_message")

DESCRIPTIONS: dict[str, str] = {
    "campaign_name": "Required. The campaign's name; must be unique within the file.",
    "campaign_description": "Optional free text.",
    "type_campaign": "preview or predictive. Empty cells take the --type option.",
    "start_time": "Start of the working hours, e.g. 08:00. Required for predictive campaigns.",
    "end_time": "End of the working hours, e.g. 18:00; after start_time. "
    "Required for predictive campaigns.",
    "skill_id": "Required. The numeric id of the skill, e.g. 101 (leading zeros are kept).",
    "enable_edition": "yes or no (si/no, true/false, 1/0 are accepted). Empty means no.",
    **{opt: f"Optional free text sent as {opt}." for opt in OPTS},
}

DESCRIPTIONS_ES: dict[str, str] = {
    "campaign_name": "Obligatorio. Nombre de la campaña; no se puede repetir en el archivo.",
    "campaign_description": "Opcional. Texto libre.",
    "type_campaign": "preview o predictive. Si está vacío se usa la opción --type.",
    "start_time": "Inicio del horario, p. ej. 08:00. Obligatorio en campañas predictive.",
    "end_time": "Fin del horario, p. ej. 18:00; posterior a start_time. "
    "Obligatorio en campañas predictive.",
    "skill_id": "Obligatorio. Id numérico del skill, p. ej. 101 (se conservan los ceros).",
    "enable_edition": "yes o no (también si/no, true/false, 1/0). Vacío equivale a no.",
    **{opt: f"Opcional. Texto libre que se envía como {opt}." for opt in OPTS},
}

#: Header spellings the way Spanish-speaking operations write them. Matching
#: ignores accents, case, spaces and underscores, so each entry covers many forms.
ALIASES: dict[str, tuple[str, ...]] = {
    "campaign_name": ("nombre_campaña", "nombre de la campaña", "nombre", "campaña", "campaign"),
    "campaign_description": ("descripción", "descripción de la campaña", "description"),
    "type_campaign": ("tipo_campaña", "tipo de campaña", "tipo", "type", "campaign_type"),
    "start_time": ("hora_inicio", "hora de inicio", "inicio"),
    "end_time": ("hora_fin", "hora de fin", "hora final", "fin"),
    "skill_id": ("id_skill", "skill", "id del skill"),
    "enable_edition": ("habilitar_edición", "habilitar edición", "edición", "editable"),
    **{f"opt{i}": (f"opción {i}", f"opcion{i}", f"option {i}") for i in range(1, 13)},
}

EXCLUDED_FROM_HINTS = frozenset({"row", "status", "id_campaign", "message"})


def fold(text: str) -> str:
    """Fold a header for matching: no accents, case, spaces, underscores or stray marks."""
    text = unicodedata.normalize("NFKD", str(text))
    kept = []
    for ch in text:
        if unicodedata.combining(ch) or ch in " _-.\u00a0\u200b\u200c\u200d\ufeff\t\r\n":
            continue
        kept.append(ch)
    return "".join(kept).casefold()


_LOOKUP: dict[str, str] = {}
for _field in (*FIELDS, *RETRY_COLUMNS):
    _LOOKUP[fold(_field)] = _field
for _field, _names in ALIASES.items():
    for _name in _names:
        _LOOKUP.setdefault(fold(_name), _field)


@dataclass(frozen=True)
class HeaderMatch:
    """How the header row of a sheet maps onto the importer's fields."""

    #: field name -> position of its column in the sheet
    positions: dict[str, int]
    #: field name -> the header text as written, where it was not the field name itself
    aliases: dict[str, str]
    #: headers of columns that are not ours (ops' own notes), as written
    ignored: list[str]
    #: (header as written, the field it probably means) for likely misspellings
    misspelt: list[tuple[str, str]]
    #: (field, [headers]) where two columns claim the same field
    duplicated: list[tuple[str, list[str]]]


def match_header(cells: list[str]) -> HeaderMatch:
    """Map header cells to fields, collecting aliases, unknown and misspelt columns."""
    positions: dict[str, int] = {}
    claims: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    ignored: list[str] = []
    misspelt: list[tuple[str, str]] = []
    for pos, raw in enumerate(cells):
        text = str(raw).strip()
        if not text:
            continue
        folded = fold(text)
        field = _LOOKUP.get(folded)
        if field is None:
            guess = difflib.get_close_matches(folded, _LOOKUP.keys(), n=1, cutoff=0.8)
            if guess and folded not in EXCLUDED_FROM_HINTS:
                misspelt.append((text, _LOOKUP[guess[0]]))
            else:
                ignored.append(text)
            continue
        claims.setdefault(field, []).append(text)
        if field in positions:
            continue
        positions[field] = pos
        if text != field:
            aliases[field] = text
    duplicated = [(f, names) for f, names in claims.items() if len(names) > 1]
    return HeaderMatch(positions, aliases, ignored, misspelt, duplicated)


def header_score(cells: list[str]) -> int:
    """How many distinct known fields a row names: used to find the header row."""
    return len({_LOOKUP[f] for f in map(fold, cells) if f in _LOOKUP and _LOOKUP[f] in FIELDS})
