"""What people write for the coded values, in Spanish and English: campaign types, yes and no.

Only words that cannot be misread are accepted; anything else is reported, never guessed.
A near miss (``predictva``) is still reported, with the accepted spelling it is closest to
offered as a suggestion: the person decides, the importer does not.
"""

from __future__ import annotations

import difflib

from importer.check.cells import fold_accents
from importer.i18n import _, ngettext

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
#: The words for yes and for no, case and accents aside, as shown in messages. Each is a
#: plain answer in English or Spanish, or what a spreadsheet writes for a boolean cell
#: (TRUE/FALSE, and VERDADERO/FALSO from a Spanish Excel's CSV), or 1/0. A mark such as
#: ``x`` or ``✓`` is not among them: in one sheet it ticks a box, in another it crosses
#: one out, so it is reported rather than read as yes.
YES_WORDS = ("yes", "y", "sí", "si", "s", "true", "verdadero", "1")
NO_WORDS = ("no", "n", "false", "falso", "0")
YES = frozenset(fold_accents(w) for w in YES_WORDS)
NO = frozenset(fold_accents(w) for w in NO_WORDS)

#: How close a misspelling must be to an accepted spelling to be offered as a suggestion
#: (difflib's ratio). Short yes/no words differ by a letter in proportion more.
_TYPE_CUTOFF = 0.7
_YES_NO_CUTOFF = 0.6


def _folded(value: str) -> str:
    return " ".join(fold_accents(value).split())


def campaign_type(value: str) -> str:
    """``preview`` or ``predictive`` for any accepted spelling (``Predictiva``); else the
    value in lower case, which the type check then reports."""
    return TYPE_WORDS.get(_folded(value), value.lower())


def is_yes_or_no(value: str) -> bool:
    """Whether ``value`` is one of the accepted spellings of yes or no (``Sí``, ``FALSE``)."""
    folded = _folded(value)
    return folded in YES or folded in NO


def yes_or_no(value: str) -> str:
    """``yes`` or ``no``, as the API wants it, for an accepted spelling."""
    return "yes" if _folded(value) in YES else "no"


def _nearest(value: str, meanings: dict[str, str], cutoff: float) -> tuple[str, str] | None:
    """The accepted spelling closest to ``value``, and what it means; None if none is close.

    Of equally close spellings the value itself wins (``predictiv`` is nearest to
    ``predictive``, not ``predictivo``), then the first listed.
    """
    matcher = difflib.SequenceMatcher(b=_folded(value))
    best: tuple[float, bool, int] | None = None
    found = None
    for order, (spelling, meaning) in enumerate(meanings.items()):
        matcher.set_seq1(spelling)
        score = matcher.ratio()
        rank = (score, spelling == meaning, -order)
        if score >= cutoff and (best is None or rank > best):
            best, found = rank, (spelling, meaning)
    return found


def nearest_type(value: str) -> tuple[str, str] | None:
    """For a misspelt campaign type (``predictva``): the accepted spelling closest to it and
    the type it means (``("predictive", "predictive")``); None when nothing is close."""
    return _nearest(value, TYPE_WORDS, _TYPE_CUTOFF)


#: Each yes/no word as shown (``sí`` with its accent, listed before ``si``) by its folded
#: spelling.
_YES_NO_SHOWN: dict[str, str] = {}
for _word in (*YES_WORDS, *NO_WORDS):
    _YES_NO_SHOWN.setdefault(fold_accents(_word), _word)


def nearest_yes_or_no(value: str) -> tuple[str, str] | None:
    """For a misspelt yes or no (``sii``): the accepted word closest to it, as shown, and
    ``yes`` or ``no`` (``("sí", "yes")``); None when nothing is close."""
    meanings = {w: ("yes" if w in YES else "no") for w in _YES_NO_SHOWN}
    found = _nearest(value, meanings, _YES_NO_CUTOFF)
    return (_YES_NO_SHOWN[found[0]], found[1]) if found else None


# -- Cells that must hold digits only ----------------------------------------------------

#: Letters that pass for digits at a glance, and the digit each is mistaken for.
LOOKALIKE_DIGITS = {"O": "0", "o": "0", "l": "1", "I": "1"}


def non_digits(value: str, allowed: str = "") -> list[tuple[int, str]]:
    """Each character of ``value`` that is not a digit 0-9 (nor in ``allowed``), with its
    position (from 1)."""
    return [
        (i, ch)
        for i, ch in enumerate(value, start=1)
        if not ("0" <= ch <= "9") and ch not in allowed
    ]


def describe_non_digits(value: str, limit: int = 3, allowed: str = "") -> str:
    """The characters of ``value`` that are not digits, in words: ``"a" at position 3 is
    not a digit``; a letter that passes for a digit is named as such (``"O" at position 2
    is the letter O, not the digit 0``). Up to ``limit`` characters are named; those in
    ``allowed`` (a phone number's spaces and dashes) are passed over."""
    found = non_digits(value, allowed)
    if len(found) == 1 and found[0][1] in LOOKALIKE_DIGITS:
        return describe_lookalike(*found[0])
    named = [_character_at(pos, ch) for pos, ch in found[:limit]]
    if len(found) > limit:
        named.append(_("{n} more").format(n=len(found) - limit))
    listed = (
        named[0]
        if len(named) == 1
        else _("{first} and {last}").format(first=", ".join(named[:-1]), last=named[-1])
    )
    return ngettext(
        "{characters} is not a digit", "{characters} are not digits", len(found)
    ).format(characters=listed)


def describe_lookalike(position: int, letter: str) -> str:
    """A letter typed for a digit, in words: ``"O" at position 2 is the letter O, not the
    digit 0``."""
    return _(
        '"{letter}" at position {position} is the letter {letter}, not the digit {digit}'
    ).format(letter=letter, position=position, digit=LOOKALIKE_DIGITS[letter])


def _character_at(position: int, ch: str) -> str:
    if ch == " ":
        shown = _("a space")
    elif ch.isprintable():
        shown = f'"{ch}"'
    else:  # an invisible character: its code is all that can be shown
        shown = f"U+{ord(ch):04X}"
    return _("{character} at position {position}").format(character=shown, position=position)
