"""The spreadsheet's columns: names, meanings, aliases and header matching.

Kept free of pandas so that templates, help texts and the CLI can use it cheaply.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from importer.i18n import current

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

#: Columns that hold ids: written as text cells, so that Excel keeps a retyped ``0042``
#: as it is instead of turning it into the number 42.
ID_COLUMNS: tuple[str, ...] = ("skill_id",)

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


def description(name: str) -> str:
    """What goes in column ``name``, in the current language."""
    return (DESCRIPTIONS_ES if current() == "es" else DESCRIPTIONS)[name]


#: Header spellings the way Spanish-speaking operations write them. Matching
#: ignores accents, case, spaces and underscores, so each entry covers many forms.
ALIASES: dict[str, tuple[str, ...]] = {
    "campaign_name": ("nombre_campaña", "nombre de la campaña", "nombre", "campaña", "campaign"),
    "campaign_description": ("descripción", "descripción de la campaña", "description"),
    "type_campaign": ("tipo_campaña", "tipo de campaña", "tipo", "type", "campaign_type"),
    # Start and end are written the same ways, word for word (tests/test_columns.py
    # checks that every start spelling has its end spelling).
    "start_time": (
        "hora_inicio",
        "hora de inicio",
        "hora inicial",
        "horario de inicio",
        "inicio",
        "start time",
    ),
    "end_time": ("hora_fin", "hora de fin", "hora final", "horario de fin", "fin", "end time"),
    "skill_id": ("id_skill", "skill", "id del skill"),
    "enable_edition": ("habilitar_edición", "habilitar edición", "edición", "editable"),
    **{f"opt{i}": (f"opción {i}", f"opcion{i}", f"option {i}") for i in range(1, 13)},
}

EXCLUDED_FROM_HINTS = frozenset({"row", "status", "id_campaign", "message"})


def fold(text: str) -> str:
    """Fold a header for matching: no accents, case, spaces, underscores or stray marks,
    nor punctuation around it."""
    text = unicodedata.normalize("NFKD", str(text))
    kept = []
    for ch in text:
        if unicodedata.combining(ch) or ch in " _-.\u00a0\u200b\u200c\u200d\ufeff\t\r\n":
            continue
        kept.append(ch)
    # "¿Editable?", "Skill:", "(Notas)": punctuation around a header is no part of its name
    return _trim("".join(kept)).casefold()


def _trim(text: str) -> str:
    """``text`` without the punctuation around it, but for a closing bracket whose opening
    one is inside: "Nombre (2)" keeps its "(2)", which tells it from "Nombre"."""
    start, end = 0, len(text)
    while start < end and text[start] in _AROUND:
        start += 1
    while end > start and text[end - 1] in _AROUND:
        opening = _OPENING.get(text[end - 1])
        if opening is not None and opening in text[start : end - 1]:
            break
        end -= 1
    return text[start:end]


_OPENING = {")": "(", "]": "[", "}": "{"}


def _punctuation() -> str:
    """Every punctuation mark (Unicode category P*) of the Latin-1 range and beyond
    that a header is written with; looked up once."""
    marks = (chr(c) for c in range(0x21, 0x2070))
    return "".join(ch for ch in marks if unicodedata.category(ch).startswith("P"))


_AROUND = _punctuation()


@dataclass(frozen=True)
class FieldTable:
    """The columns one kind of sheet may have, and how their headers may be written.

    Campaigns and records name their columns differently (``nombre`` is a campaign's
    name on one sheet, a person's on the other): each kind has its table, and one
    matching function serves them all.
    """

    #: the fields, in their usual order; these are what a header score counts
    fields: tuple[str, ...]
    #: field -> other spellings of its header (matched folded, see :func:`fold`)
    aliases: Mapping[str, tuple[str, ...]]
    #: columns that are read but are not fields (the retry file's own columns)
    extra: tuple[str, ...] = ()
    #: folded headers never offered as a misspelling (the results' own columns)
    no_hints: frozenset[str] = frozenset()
    #: folded header -> field, made from the above
    lookup: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for name in (*self.fields, *self.extra):
            lookup[fold(name)] = name
        for name, spellings in self.aliases.items():
            for spelling in spellings:
                lookup.setdefault(fold(spelling), name)
        object.__setattr__(self, "lookup", lookup)


#: The campaigns sheet's columns.
CAMPAIGN_TABLE = FieldTable(FIELDS, ALIASES, RETRY_COLUMNS, EXCLUDED_FROM_HINTS)


@dataclass(frozen=True)
class HeaderMatch:
    """How the header row of a sheet maps onto the importer's fields."""

    #: field name -> position of its column in the sheet
    positions: dict[str, int]
    #: field name -> the header text as written, where a known alias (not the field name
    #: itself) matched
    aliases: dict[str, str]
    #: headers of columns that are not ours (ops' own notes, or set aside by the mapping)
    ignored: list[str]
    #: (header as written, the field it probably means) for likely misspellings
    misspelt: list[tuple[str, str]]
    #: (field, [headers]) where two columns claim the same field
    duplicated: list[tuple[str, list[str]]]
    #: field name -> the header text as written, for columns placed by the mapping
    mapped: dict[str, str] = field(default_factory=dict)


def match_header(
    cells: list[str],
    mapping: Mapping[str, str | None] | None = None,
    table: FieldTable = CAMPAIGN_TABLE,
) -> HeaderMatch:
    """Map header cells to fields, collecting aliases, unknown and misspelt columns.

    ``mapping`` (header text as written -> field, or None to ignore the column) comes
    before the names and aliases: a mapped column is its field's column, and a column
    that would have claimed that field by its name is ignored instead. ``table`` says
    which kind of sheet this is (campaigns unless told).
    """
    mapping = mapping or {}
    texts = [str(raw).strip() for raw in cells]
    taken = {mapping[t] for t in texts if t in mapping and mapping[t] is not None}
    positions: dict[str, int] = {}
    claims: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    mapped: dict[str, str] = {}
    ignored: list[str] = []
    misspelt: list[tuple[str, str]] = []
    for pos, text in enumerate(texts):
        if not text:
            continue
        found = mapping[text] if text in mapping else _named(text, table)
        if text not in mapping:
            if found is None and (guess := _guess(text, table)):
                misspelt.append((text, guess))
                continue
            if found in taken:  # the mapping gave this field to another column
                found = None
        if found is None:
            ignored.append(text)
            continue
        claims.setdefault(found, []).append(text)
        if found in positions:
            continue
        positions[found] = pos
        if text in mapping:
            mapped[found] = text
        elif text != found:
            aliases[found] = text
    duplicated = [(f, names) for f, names in claims.items() if len(names) > 1]
    return HeaderMatch(positions, aliases, ignored, misspelt, duplicated, mapped)


def _named(text: str, table: FieldTable = CAMPAIGN_TABLE) -> str | None:
    """The field (or retry column) a header names: by its name or an alias; else by a
    field's own name in brackets at its end, "Mi columna (skill_id)", which is how the
    files written keep a person's header for a column they placed on the page."""
    found = table.lookup.get(fold(text))
    if found is not None or not text.endswith(")") or "(" not in text:
        return found
    own, _sep, inner = text[:-1].rpartition("(")
    named = {fold(f): f for f in table.fields}.get(fold(inner))
    return named if own.strip() and inner.strip() == named else None


def bracketed(header: str, name: str) -> str:
    """``header`` with the field ``name`` in brackets: read back as that field alone."""
    return f"{header} ({name})"


def _guess(text: str, table: FieldTable = CAMPAIGN_TABLE) -> str | None:
    """The field an unknown header probably means, if it is close to one."""
    folded = fold(text)
    if folded in table.no_hints:
        return None
    guess = difflib.get_close_matches(folded, table.lookup.keys(), n=1, cutoff=0.8)
    return table.lookup[guess[0]] if guess else None


def header_score(cells: list[str], table: FieldTable = CAMPAIGN_TABLE) -> int:
    """How many distinct known fields a row names: used to find the header row."""
    named = (_named(str(c).strip(), table) for c in cells)
    return len({f for f in named if f in table.fields})
