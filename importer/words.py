"""What people write for the coded values, in Spanish and English: campaign types, yes and no.

Only words that cannot be misread are accepted; anything else is reported, never guessed.
"""

from __future__ import annotations

from importer.cells import fold_accents

#: The campaign types of the API, as sent in the URL.
CAMPAIGN_TYPES = ("preview", "predictive")
#: What people write for each campaign type, case and accents aside: wolkvox's Spanish
#: screens say "predictiva"; "vista previa" is what preview is called in Spanish.
TYPE_WORDS = {
    "preview": "preview",
    "vista previa": "preview",
    "predictive": "predictive",
    "predictiva": "predictive",
    "predictivo": "predictive",
}
YES = frozenset({"yes", "y", "si", "sí", "s", "true", "verdadero", "1", "x"})
NO = frozenset({"no", "n", "false", "falso", "0"})


def campaign_type(value: str) -> str:
    """``preview`` or ``predictive`` for any accepted spelling (``Predictiva``); else the
    value in lower case, which the type check then reports."""
    return TYPE_WORDS.get(" ".join(fold_accents(value).split()), value.lower())


def is_yes_or_no(value: str) -> bool:
    """Whether ``value`` is one of the accepted spellings of yes or no (``Sí``, ``FALSE``)."""
    return value.casefold() in YES or value.casefold() in NO


def yes_or_no(value: str) -> str:
    """``yes`` or ``no``, as the API wants it, for an accepted spelling."""
    return "yes" if value.casefold() in YES else "no"
