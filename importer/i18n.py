"""Translations: the gettext catalogues (English and Spanish) and the choice of language.

Every text a person reads goes through :func:`_` (or :func:`ngettext`). Texts built
at import time, such as tables of check messages, are marked with :func:`N_` and
translated where they are shown. The language is held in a context variable, so a
web request in Spanish and a run in English in the same process do not mix; a
thread started for a run must copy the context (:func:`contextvars.copy_context`).

Stable identifiers (status codes, exit codes, the API's column names) are never
translated. The catalogues live in ``importer/locale`` and are kept with Babel; see
the README's "Translations" section.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import os
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "wolkvox_import"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The languages there are catalogues for; English is the source language.
LANGUAGES = ("en", "es")
DEFAULT = "en"
#: The importer's own setting, before the system's.
ENV_VAR = "WOLKVOX_IMPORT_LANG"
#: The system's settings, in the order gettext reads them.
SYSTEM_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_language: ContextVar[str] = ContextVar("wolkvox_import_language", default=DEFAULT)
_NO_VARIANTS: Mapping[str, str] = {}
#: Texts said another way where they are read now (see :func:`variants`).
_variants: ContextVar[Mapping[str, str]] = ContextVar(
    "wolkvox_import_variants", default=_NO_VARIANTS
)


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the texts as written)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def _(message: str) -> str:
    """``message`` in the current language (its variant, where one is in force)."""
    message = _variants.get().get(message, message)
    return catalogue(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    said = _variants.get()
    return catalogue(_language.get()).ngettext(
        said.get(singular, singular), said.get(plural, plural), n
    )


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet (import-time tables)."""
    return message


def current() -> str:
    """The language texts are translated into now: ``en`` or ``es``."""
    return _language.get()


def activate(language: str) -> None:
    """Translate into ``language`` from now on, in this context."""
    _language.set(language if language in LANGUAGES else DEFAULT)


@contextlib.contextmanager
def using(language: str) -> Iterator[None]:
    """Translate into ``language`` inside the ``with`` block only."""
    token = _language.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


@contextlib.contextmanager
def variants(texts: Mapping[str, str]) -> Iterator[None]:
    """Inside the ``with`` block (and in threads that copy its context), say each text that
    is a key of ``texts`` as its value instead, translated as that value is.

    The engine's messages end with advice for the command line ("run with --type"); the
    web page puts its own advice in their place this way, without a second engine.
    """
    token = _variants.set({**_variants.get(), **texts})
    try:
        yield
    finally:
        _variants.reset(token)


def language_of(value: str | None) -> str | None:
    """``es`` for any Spanish locale name (``es``, ``es_CO.UTF-8``, ``es-MX``), ``en`` for
    any other name, None for an empty one. ``LANGUAGE``'s lists (``es_CO:en``) count
    by their first entry."""
    if not value or not value.strip():
        return None
    first = value.strip().split(":")[0]
    code = first.replace("-", "_").split("_")[0].split(".")[0].lower()
    return "es" if code == "es" else DEFAULT


def choose(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: ``--lang``, else ``WOLKVOX_IMPORT_LANG``, else the system's
    (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; on Windows the user's display
    language), else English."""
    environ = os.environ if environ is None else environ
    for value in (explicit, environ.get(ENV_VAR), *(environ.get(v) for v in SYSTEM_VARS)):
        found = language_of(value)
        if found is not None:
            return found
    if sys.platform == "win32":
        return language_of(_windows_ui_language()) or DEFAULT
    return DEFAULT


def _windows_ui_language() -> str | None:
    """The user's display language on Windows, as a locale name (``es_CO``)."""
    if sys.platform != "win32":
        return None
    import ctypes
    import locale

    try:
        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()
    except (AttributeError, OSError):
        return None
    return locale.windows_locale.get(lang_id)
