"""Phone numbers: what people type in a contact list, checked for one country, as sent.

A cell such as ``(300) 123-4567``, ``300.123.4567``, ``+57 300 123 4567`` or the number
cell ``3001234567`` is the Colombian mobile 3001234567. Numbers are checked with
``phonenumbers``, the port of Google's libphonenumber, for the country of the run
(``CO`` unless told): a number that cannot exist there (a digit too few, a range no
operator has) is a problem naming the cell, never a guess.

Numbers are text from start to end: the loaders hand number cells over as Excel shows
them (``3001234567``, never ``3.0e9``; see :func:`importer.read.workbook.cell_text`), a CSV
written from a decimal column (``3001234567.0``) loses only its ``.0``, and a number
Excel saved in scientific notation (``3,00123E+09``) has lost digits, which is said.

The wire format is a setting (:data:`PHONE_FORMATS`), since the contract does not say
what the dialer expects and its public examples use national digits:

- ``national`` (the default): the national number, digits only: ``3001234567``;
- ``e164``: the country code and the national number, digits only, without the ``+``
  that E.164 writes in front: ``573001234567``.

A contact list holds a million numbers, and ``phonenumbers`` parses some ten thousand a
second. So each distinct number is looked at once, and most take a fast path: digits
only, matched against the very patterns of the country that ``phonenumbers`` validates
with (:class:`Phones` builds it from its metadata). Only the others are parsed, which
gives the same answer (tests/test_phones.py checks that on any text).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

from importer.check.problems import shown
from importer.check.words import describe_non_digits, non_digits
from importer.errors import UsageError
from importer.i18n import _, current, ngettext

#: THE wire formats of phone numbers (see the module's docstring).
PHONE_FORMATS = ("national", "e164")
DEFAULT_FORMAT = "national"
#: The country numbers are checked for unless told: the operations are Colombian.
DEFAULT_COUNTRY = "CO"

#: What people put between the digits of a phone number: spaces of every kind, dashes,
#: dots and brackets. A slash is not among them: ``300 123 4567 / 310 765 4321`` is two
#: numbers in one cell, which is reported rather than run together.
SEPARATORS = " \t\r\n\u00a0\u2007\u202f\u2009\u200a-\u2010\u2011\u2012\u2013\u2014\u2212.()[]{}"
#: Every separator but the dot, which first tells a decimal ``.0`` (below).
_DROP = str.maketrans("", "", SEPARATORS.replace(".", ""))
_DROP_BUT_LINES = str.maketrans("", "", SEPARATORS.replace(".", "").replace("\n", ""))
#: A number cell written out by a program as a decimal: ``3001234567.0``.
_DECIMAL_ZERO = re.compile(r"^(\+?\d+)\.0+$", re.ASCII | re.MULTILINE)
#: What stands between two numbers typed in one cell: ``300 123 4567 / 310 765 4321``.
_BETWEEN_NUMBERS = re.compile(r"\s*[/,;|]\s*|\s+(?:y|o|or|and)\s+", re.IGNORECASE)
#: A number cell saved in scientific notation: ``3,00123E+09``, ``5.73001e11``.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def check_country(code: str) -> str:
    """The country code as ``phonenumbers`` knows it (``co`` -> ``CO``); a
    :class:`~importer.errors.UsageError` saying what to write for anything else."""
    region = code.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            _(
                "--country must be a two-letter country code such as CO, MX, PE or EC, not {code}."
            ).format(code=repr(code))
        )
    return region


def check_format(name: str) -> str:
    """``name`` if it is one of :data:`PHONE_FORMATS`; else a :class:`UsageError`."""
    if name not in PHONE_FORMATS:
        raise UsageError(
            _("--phone-format must be one of {formats}, not {name}.").format(
                formats=", ".join(PHONE_FORMATS), name=repr(name)
            )
        )
    return name


def clean(text: str) -> str:
    """``text`` without the separators people type between digits (see :data:`SEPARATORS`)
    and without the ``.0`` of a number written as a decimal; a leading ``+`` stays.

    Done in the same steps, and so with the same outcome, as a whole column's text at
    once (:meth:`Phones.column`): separators but the dot, the decimal ``.0``, the dots.
    """
    text = _DECIMAL_ZERO.sub(r"\1", text.strip().translate(_DROP))
    return text.replace(".", "")


def _pattern(desc: PhoneNumberDesc | None, general: tuple[int, ...]) -> str | None:
    """One number description of the metadata as a regular expression on a line of
    national digits: its lengths (else the general description's) and its pattern, as
    ``phonenumbers`` matches them (``phonenumberutil._is_number_matching_desc``)."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = [n for n in (desc.possible_length or general) if n > 0]
    if not lengths:  # -1: the metadata has no such numbers
        return None
    length = "|".join(rf"\d{{{n}}}" for n in sorted(set(lengths)))
    return rf"(?=(?:{length})$)(?:{desc.national_number_pattern})$"


def _valid_lines(meta: PhoneMetadata) -> re.Pattern[str] | None:
    """A pattern matching, at the start of a line, exactly the lines of digits that
    ``phonenumbers`` reads as they stand and calls a valid number of the region.

    "As they stand": the digits do not start with 0, nor with the trunk or international
    prefix the parser would strip first. "Valid" mirrors ``_number_type_helper``: the
    general description and one of the number types match (the mobile description only
    counts when it differs from the fixed line's). Mobile and fixed line come first: most
    numbers are one of them, and the first alternative that matches ends the search.
    """
    general = meta.general_desc
    if general is None or not general.national_number_pattern:
        return None
    lengths = tuple(general.possible_length or ())
    types = [] if meta.same_mobile_and_fixed_line_pattern else [meta.mobile]
    types += [
        meta.fixed_line, meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip,
        meta.personal_number, meta.pager, meta.uan, meta.voicemail,
    ]  # fmt: skip
    head = _pattern(general, lengths)
    alternatives = [p for p in (_pattern(t, lengths) for t in types) if p]
    if head is None or not alternatives:
        return None
    prefixes = [p for p in (meta.national_prefix_for_parsing, meta.international_prefix) if p]
    refused = "".join(f"(?!{p})" for p in prefixes)
    return re.compile(
        rf"^(?!0){refused}(?={head})(?:{'|'.join(alternatives)})", re.ASCII | re.MULTILINE
    )


@dataclass(frozen=True)
class Phone:
    """A valid number: its country code and national digits."""

    country_code: int
    national: str

    def wire(self, phone_format: str) -> str:
        """The number as sent: ``3001234567`` (national) or ``573001234567`` (e164)."""
        if phone_format == "e164":
            return f"{self.country_code}{self.national}"
        if phone_format == "national":
            return self.national
        raise ValueError(f"phone_format must be one of {PHONE_FORMATS}, not {phone_format!r}")


class _Undecided:
    """The fast path cannot tell: the parser must read the digits."""


_UNDECIDED = _Undecided()


@dataclass
class Phones:
    """The phone numbers of one run: checked for ``country``, written as ``phone_format``.

    Use one instance for a whole sheet: it keeps what it worked out about each text.
    """

    country: str = DEFAULT_COUNTRY
    phone_format: str = DEFAULT_FORMAT
    #: (text, language) -> why it is no number, as said once
    _said: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.country = check_country(self.country)
        check_format(self.phone_format)
        meta = PhoneMetadata.metadata_for_region(self.country)
        if meta is None:  # every supported region has its metadata; this is for the types
            raise UsageError(f"no phone metadata for {self.country}")
        self._meta = meta
        self._code = phonenumbers.country_code_for_region(self.country)
        self._code_text = str(self._code)
        self._lines = _valid_lines(meta)
        # Digits the parser would not read as they stand: a trunk prefix (0 in Colombia)
        # or an international one (00, 009, 005 ...) comes off first.
        prefixes = [p for p in (meta.national_prefix_for_parsing, meta.international_prefix) if p]
        self._prefixed = re.compile("|".join(["0", *(f"(?:{p})" for p in prefixes)]))

    # -- one value --------------------------------------------------------------------

    def national(self, text: str) -> str | None:
        """The national digits of the valid number ``text`` holds, or None if it holds no
        valid number of the country (empty text included). Never raises."""
        digits = clean(text)
        found = self._fast(digits)
        return self._slow(digits) if found is _UNDECIDED else found  # type: ignore[return-value]

    def parse(self, text: str) -> Phone | None:
        """The number ``text`` holds, or None (see :meth:`national`)."""
        national = self.national(text)
        return None if national is None else Phone(self._code, national)

    def wire(self, text: str) -> str:
        """``text`` as sent (see :data:`PHONE_FORMATS`); "" for no valid number."""
        national = self.national(text)
        if national is None:
            return ""
        return self._code_text + national if self.phone_format == "e164" else national

    def _valid(self, digits: str) -> bool:
        return self._lines is not None and self._lines.match(digits) is not None

    def _fast(self, digits: str) -> str | _Undecided | None:
        """What the parser would make of cleaned ``digits``, where that is sure without it.

        The parser reads digits that do not start with a prefix as the national number
        (unless they start with the country's own code: ``573001234567``), and after
        ``+`` and the country code the rest the same way.
        """
        plus = digits.startswith("+")
        body = digits[1:] if plus else digits
        if not (body.isascii() and body.isdigit()):
            return None  # letters are never read as digits (phonenumbers would, 1-800-FLOWERS)
        if plus:
            if not body.startswith(self._code_text):
                return None  # another country's code, or none at all
            body = body[len(self._code_text) :]
        if self._valid(body):
            return body
        if self._prefixed.match(body) or (not plus and body.startswith(self._code_text)):
            return _UNDECIDED
        return None

    def _slow(self, digits: str) -> str | None:
        """What ``phonenumbers`` makes of cleaned ``digits``: the national digits of a valid
        number of the country, or None."""
        candidates = [digits]
        if digits.startswith(f"00{self._code_text}"):
            # 0057 300 ... is how the rest of the world writes +57; in Colombia 005 is also
            # a carrier's international prefix. The country's own code is meant here.
            candidates.insert(0, "+" + digits[2:])
        for candidate in candidates:
            number = self._number(candidate)
            if number is not None and phonenumbers.is_valid_number_for_region(number, self.country):
                return str(phonenumbers.national_significant_number(number))
        return None

    def _number(self, digits: str) -> phonenumbers.PhoneNumber | None:
        try:
            return phonenumbers.parse(digits, self.country)
        except NumberParseException:
            return None

    # -- columns ----------------------------------------------------------------------

    def column(self, values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each cell of a column as sent ("" when blank or bad), and which cells are bad.

        The usual ones (digits, maybe spaced out or after ``+57``) are decided by one pass
        of the country's pattern over the column's text; the parser only sees the rest.
        Empty cells are not bad: they hold no number.
        """
        texts = np.asarray(values, dtype=object).tolist()
        if pd.api.types.infer_dtype(texts, skipna=False) != "string":
            texts = [u if type(u) is str else "" for u in texts]
        # Not once per distinct value: a contact list's numbers are nearly all different,
        # and its empty cells are told apart at once.
        nationals, decided = self._nationals(texts)
        wires = np.where(decided, nationals, "")
        bad = np.zeros(len(texts), dtype=bool)
        for at in np.flatnonzero(~decided):  # the few the pattern could not decide
            text = texts[at]
            if text:
                national = self.national(text)
                wires[at] = "" if national is None else national
                bad[at] = national is None and text.strip() != ""
        if self.phone_format == "e164":
            wires = np.where(wires == "", "", self._code_text + wires).astype(object)
        return wires.astype(object), bad

    def _nationals(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The national digits of each text the country's pattern takes as it stands, and
        which texts those are (the others are for :meth:`national`, one by one)."""
        joined = "\n".join(texts)
        if self._lines is None or joined.count("\n") != len(texts) - 1:
            # a cell spans lines
            return np.full(len(texts), "", dtype=object), np.zeros(len(texts), dtype=bool)
        joined = joined.translate(_DROP_BUT_LINES)
        if "." in joined:
            joined = _DECIMAL_ZERO.sub(r"\1", joined).replace(".", "")
        plus = f"+{self._code_text}"
        if plus in joined:
            joined = ("\n" + joined).replace("\n" + plus, "\n")[1:]
        lines = np.array(joined.split("\n"), dtype=object)
        left = np.array(self._lines.sub("", joined).split("\n"), dtype=object)
        # A line the pattern took whole is a valid number's national digits as they stand.
        return lines, (left == "") & (lines != "")

    # -- what is wrong ----------------------------------------------------------------

    def problem(self, text: str) -> str:
        """Why ``text`` is no valid number of the country, in the current language and in
        words that say what to do; "" when it is one (or empty)."""
        if not text.strip() or self.national(text) is not None:
            return ""
        key = (text, current())  # the same text is put in words once per language
        if key not in self._said:
            self._said[key] = self._explain(text)
        return self._said[key]

    def _explain(self, text: str) -> str:
        country = self.country
        value = text.strip()
        if _SCIENTIFIC.match(value):
            return _(
                "{value} is a number in scientific notation: Excel saved it that way and its "
                "last digits are lost. Format the column as text (or as a number without "
                "decimals) in the original sheet, and save or export it again."
            ).format(value=shown(value))
        digits = clean(value)
        body = digits[1:] if digits.startswith("+") else digits
        if not body:
            return _("not a phone number; write its digits, e.g. {example}").format(
                example=self._example_number
            )
        parts = [p for p in _BETWEEN_NUMBERS.split(value) if p]
        if len(parts) > 1 and all(self.national(p) for p in parts):
            return _(
                "the cell holds {count} phone numbers; put each in a phone column of its own "
                "(tel1, tel2, ...)"
            ).format(count=len(parts))
        if not (body.isascii() and body.isdigit()):
            # The + in front of a country code is no mistake; one anywhere else is. It is
            # blanked out rather than cut, so the positions named stay the cell's own.
            lead = len(value) - len(value.lstrip())
            plain = (
                value[:lead] + " " + value[lead + 1 :] if value[lead:].startswith("+") else value
            )
            if non_digits(plain, SEPARATORS):
                return _("not a phone number: {why}").format(
                    why=describe_non_digits(plain, allowed=SEPARATORS)
                )
        number = self._number(digits)
        if number is None:
            return _("not a phone number; write its digits, e.g. {example}").format(
                example=self._example_number
            )
        region = phonenumbers.region_code_for_number(number)
        if number.country_code != self._code:
            return _(
                "{value} is a number of country code +{code} ({region}), not of {country}: "
                "the records are checked as numbers of {country} (--country)"
            ).format(
                value=shown(value), code=number.country_code, region=region or "?",
                country=country,
            )  # fmt: skip
        national = phonenumbers.national_significant_number(number)
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason in (
            ValidationResult.TOO_SHORT,
            ValidationResult.TOO_LONG,
            ValidationResult.INVALID_LENGTH,
        ):
            return ngettext(
                "{count} digit is not the length of a phone number of {country} ({lengths} "
                "digits, e.g. {example}); check for a missing or extra digit",
                "{count} digits are not the length of a phone number of {country} ({lengths} "
                "digits, e.g. {example}); check for a missing or extra digit",
                len(national),
            ).format(
                count=len(national), country=country, lengths=self._lengths(),
                example=self._example_number,
            )  # fmt: skip
        return _(
            "{value} is not a phone number in use in {country} (no operator has that range); "
            "check the digits, e.g. {example}"
        ).format(value=shown(value), country=country, example=self._example_number)

    @functools.cached_property
    def _example_number(self) -> str:
        # Worked out once: the library parses its example anew each time, and a list of
        # ten thousand bad numbers shows it ten thousand times.
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(self.country, kind)
            if example is not None:
                return Phone(self._code, phonenumbers.national_significant_number(example)).wire(
                    self.phone_format
                )
        return ""

    def _lengths(self) -> str:
        general = self._meta.general_desc
        lengths = sorted(set(general.possible_length)) if general is not None else []
        words = [str(n) for n in lengths if n > 0]
        if len(words) < 2:
            return "".join(words)
        listed = _("{first} or {last}").format(first=", ".join(words[:-1]), last=words[-1])
        if current() == "es" and (words[-1].startswith("8") or words[-1] == "11"):
            # Spanish says "u" before a word sounding o-: "10 u 11" (once), "7 u 8" (ocho).
            listed = listed[: -len(words[-1]) - 3] + " u " + words[-1]
        return listed
