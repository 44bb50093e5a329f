"""The records sheet's columns: the keys of ``add_record``, their Spanish headers, matching.

A record is one person to dial, loaded into a campaign with ``add_record`` (see
docs/wolkvox-api.md). Its columns are the contract's record keys plus the campaign it
goes into (``campaign_name`` or ``campaign_id``). Headers are matched the way campaign
headers are (:func:`importer.check.columns.match_header`): case, accents, spaces and
underscores aside, with the spellings Spanish-speaking operations use.

Phone columns need one more step. Contact lists rarely number their phones: they say
``Teléfono``, ``Celular`` and ``Fijo`` side by side. Each such header takes the first
of ``tel1`` … ``tel10`` that no numbered header (``Teléfono 2``, ``tel3``) claims, in
the order the columns stand, so that every phone column is read and none is lost.

Kept free of pandas, like :mod:`importer.check.columns`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from importer.check.columns import RETRY_COLUMNS, FieldTable, HeaderMatch, fold, match_header
from importer.i18n import N_, _, ngettext

OPTS = tuple(f"opt{i}" for i in range(1, 13))
#: The phones a record is dialled on, in order.
TELS = tuple(f"tel{i}" for i in range(1, 11))
#: Every column holding a phone number: checked and written the same way.
PHONE_FIELDS: tuple[str, ...] = (*TELS, "tel_extra", "recall_telephone")
#: The phones that count for "at least one phone per record": the ones dialled.
#: ``recall_telephone`` is only the number for a recall at ``recall_date``.
DIAL_FIELDS: tuple[str, ...] = (*TELS, "tel_extra")
#: ``opt1``-``opt6`` hold at most 100 characters, ``opt7``-``opt12`` at most 200.
OPT_LIMITS: dict[str, int] = {opt: 100 if i < 6 else 200 for i, opt in enumerate(OPTS)}

#: The record keys of ``add_record``, in the contract's order. ``agent_id`` is sent
#: only to preview campaigns (the record goes to that agent).
BODY_FIELDS: tuple[str, ...] = (
    "customer_name",
    "customer_last_name",
    "id_type",
    "customer_id",
    "age",
    "gender",
    "country",
    "state",
    "city",
    "zone",
    "address",
    *OPTS,
    *TELS,
    "tel_extra",
    "email",
    "recall_date",
    "recall_telephone",
    "agent_id",
)

#: The columns that say which campaign a record goes into; one of them is needed.
CAMPAIGN_FIELDS: tuple[str, ...] = ("campaign_name", "campaign_id")

#: Every column the records sheet may have: the campaign, then the record keys.
FIELDS: tuple[str, ...] = (*CAMPAIGN_FIELDS, *BODY_FIELDS)

#: Generic phone headers: each takes the first phone column left free (see above).
PHONE_WORDS: tuple[str, ...] = (
    "teléfono",
    "tel",
    "phone",
    "telephone",
    "celular",
    "cel",
    "móvil",
    "mobile",
    "fijo",
    "teléfono fijo",
    "teléfono celular",
    "teléfono móvil",
    "número de teléfono",
    "número de celular",
    "número celular",
    "phone number",
    *(f"celular {i}" for i in range(1, 11)),
    *(f"móvil {i}" for i in range(1, 11)),
)
_PHONE_WORDS = frozenset(fold(w) for w in PHONE_WORDS)

#: Header spellings the way Spanish-speaking operations write them (matched folded:
#: accents, case, spaces, underscores, dots and dashes aside). ``estado`` is not among
#: them on purpose: in a contact list it is as often the record's status as the state.
ALIASES: dict[str, tuple[str, ...]] = {
    "campaign_name": (
        "campaña", "nombre de la campaña", "nombre campaña", "nombre_campaña", "campaign",
    ),
    "campaign_id": (
        "id campaña", "id de la campaña", "id_campaña", "id_campaign", "id_campaing",
        "campaign id",
    ),
    "customer_id": (
        "cédula", "documento", "número de documento", "nro documento", "no documento",
        "documento de identidad", "identificación", "número de identificación", "id cliente",
        "id del cliente", "customer id",
    ),
    "id_type": (
        "tipo de documento", "tipo documento", "tipo de identificación", "tipo identificación",
        "tipo id", "tipo_doc",
    ),
    "customer_name": ("nombre", "nombres", "nombre del cliente", "nombre cliente", "name",
                      "first name"),
    "customer_last_name": ("apellido", "apellidos", "last name", "surname"),
    "age": ("edad",),
    "gender": ("género", "sexo"),
    "country": ("país",),
    "state": ("departamento", "provincia", "región"),
    "city": ("ciudad", "municipio"),
    "zone": ("zona",),
    "address": ("dirección", "domicilio"),
    **{tel: (f"teléfono {i}", f"tel {i}", f"phone {i}") for i, tel in enumerate(TELS, 1)},
    "tel_extra": ("teléfono extra", "tel extra", "teléfono adicional", "otro teléfono"),
    "email": ("correo", "correo electrónico", "e-mail", "mail"),
    "recall_date": (
        "fecha de rellamada", "fecha rellamada", "rellamada", "fecha de volver a llamar",
        "volver a llamar", "recall",
    ),
    "recall_telephone": ("teléfono de rellamada", "teléfono rellamada", "tel rellamada"),
    "agent_id": ("agente", "id agente", "id del agente", "agent"),
    **{opt: (f"opción {i}", f"opcion{i}", f"option {i}") for i, opt in enumerate(OPTS, 1)},
}  # fmt: skip

#: The records sheet's columns, for :func:`importer.check.columns.match_header`.
RECORD_TABLE = FieldTable(
    FIELDS,
    ALIASES,
    RETRY_COLUMNS,
    frozenset(fold(c) for c in ("row", "status", "message", "batch")),
)

_DESCRIPTIONS: dict[str, str] = {
    "campaign_name": N_(
        "The campaign the record goes into, by name (as in the campaigns sheet or in "
        "wolkvox). Needed unless campaign_id is filled in."
    ),
    "campaign_id": N_("The campaign the record goes into, by its wolkvox id."),
    "customer_id": N_("The person's id (e.g. their document number); at most once per campaign."),
    "id_type": N_("The kind of id, e.g. CC."),
    "customer_name": N_("First name."),
    "customer_last_name": N_("Last name."),
    "age": N_("Age in years, digits only."),
    "gender": N_("Gender, free text."),
    "country": N_("Country, free text."),
    "state": N_("State or department, free text."),
    "city": N_("City, free text."),
    "zone": N_("Zone, free text."),
    "address": N_("Address, free text."),
    "tel_extra": N_("One more phone number."),
    "email": N_("E-mail address, e.g. ana@example.com."),
    "recall_date": N_("When to call again: a date and time, e.g. 2026-12-01 10:00."),
    "recall_telephone": N_("The phone number for the call at recall_date."),
    "agent_id": N_("Preview campaigns only: the agent the record goes to."),
}


def description(name: str) -> str:
    """What goes in records column ``name``, in the current language."""
    if name in TELS:
        return _("Phone number {number}; every record needs at least one.").format(number=name[3:])
    if name in OPT_LIMITS:
        return _("Optional free text, at most {limit} characters.").format(limit=OPT_LIMITS[name])
    return _(_DESCRIPTIONS[name])


def is_phone_word(header: str) -> bool:
    """Whether ``header`` names a phone without a number (``Celular``, ``Teléfono``)."""
    return fold(header) in _PHONE_WORDS


def match_record_header(
    cells: list[str], mapping: Mapping[str, str | None] | None = None
) -> HeaderMatch:
    """Map a records sheet's header cells to fields (see the module's docstring).

    ``mapping`` (header text as written -> field, or None to ignore the column) comes
    first, as for campaigns. Generic phone headers then take the phone columns left
    free, in sheet order; they are reported as aliases (``"Celular" = tel2``).
    """
    mapping = dict(mapping or {})
    texts = [str(c).strip() for c in cells]
    lookup = RECORD_TABLE.lookup
    taken = {mapping[t] for t in texts if t in mapping and mapping[t] is not None}
    taken |= {lookup[fold(t)] for t in texts if t not in mapping and fold(t) in lookup}
    free = [tel for tel in TELS if tel not in taken]
    auto: dict[str, str | None] = {}
    for text in texts:
        if text and text not in mapping and text not in auto and is_phone_word(text):
            # More phone columns than tel1-tel10: the extra ones claim tel1 again, which
            # the duplicate check then reports rather than dropping a column of numbers.
            auto[text] = free.pop(0) if free else TELS[0]
    match = match_header(texts, {**auto, **mapping}, RECORD_TABLE)
    aliases = dict(match.aliases)
    mapped = dict(match.mapped)
    for name, text in match.mapped.items():
        if text in auto:
            aliases[name] = text
            del mapped[name]
    return replace(match, aliases=aliases, mapped=mapped)


def record_header_score(cells: list[str]) -> int:
    """How many distinct record fields a row names: used to find the header row."""
    fields = {RECORD_TABLE.lookup.get(fold(c)) for c in cells} & set(FIELDS)
    phones = any(is_phone_word(c) for c in cells)
    return len(fields) + (1 if phones and not fields & set(TELS) else 0)


def missing_columns(match: HeaderMatch) -> list[str]:
    """What the header lacks for records to be loaded at all, in words (empty: nothing).

    A record must say which campaign it goes into and have a phone to dial on: without
    such a column every record would be invalid, so the sheet is refused instead.
    """
    found = set(match.positions)
    missing = []
    if not found & set(CAMPAIGN_FIELDS):
        missing.append(_("a campaign_name (or campaign_id) column"))
    if not found & set(DIAL_FIELDS):
        missing.append(_("a phone column (tel1, teléfono, celular, ...)"))
    return missing


def missing_message(name: str, match: HeaderMatch, header: list[str], row: int) -> str | None:
    """The message refusing a records sheet whose header lacks a needed column."""
    missing = missing_columns(match)
    if not missing:
        return None
    return ngettext(
        "{name}: the records need {columns} (the header is row {row}: {header}). Add it "
        "and run again.",
        "{name}: the records need {columns} (the header is row {row}: {header}). Add them "
        "and run again.",
        len(missing),
    ).format(
        name=name,
        columns=_("{first} and {last}").format(first=missing[0], last=missing[1])
        if len(missing) > 1
        else missing[0],
        row=row,
        header=", ".join(h for h in header if h),
    )
