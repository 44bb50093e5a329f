"""The catalogues are complete and compiled, and the language is chosen as documented."""

from __future__ import annotations

import gettext
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from importer import i18n

from .conftest import ROOT

PO = i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]")


def _source_messages() -> set[str]:
    """Every text marked for translation in the package (and its templates)."""
    method_map = [("**.py", "python")]
    if (ROOT / "importer" / "web" / "templates").is_dir():
        method_map.append(("**/templates/**.html", "jinja2"))
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "importer", method_map, keywords=DEFAULT_KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _spanish() -> dict[str, object]:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def test_every_message_has_a_spanish_translation():
    spanish = _spanish()
    missing = sorted(
        m for m in _source_messages() if m not in spanish or not _translated(spanish[m])
    )
    assert not missing, f"texts without Spanish (README: Translations): {missing}"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def test_translations_keep_every_placeholder():
    for message in _spanish().values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, (message.id, text)


def test_compiled_catalogue_matches_its_po_file():
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    for msgid, message in _spanish().items():
        if isinstance(message.string, tuple):
            for i, text in enumerate(message.string):
                assert compiled.get((msgid, i)) == text, f"stale .mo ({msgid})"
        else:
            assert compiled.get(msgid) == message.string, f"stale .mo ({msgid})"


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "es_CO.UTF-8"}, "es"),
        (None, {"LANG": "C.UTF-8"}, "en"),
        (None, {"LANGUAGE": "es_MX:en", "LANG": "en_US.UTF-8"}, "es"),
        (None, {"LC_ALL": "es_AR.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
        (None, {"LC_MESSAGES": "es", "LANG": "en_GB"}, "es"),
        (None, {"WOLKVOX_IMPORT_LANG": "en", "LANG": "es_CO.UTF-8"}, "en"),
        ("es", {"WOLKVOX_IMPORT_LANG": "en"}, "es"),
        ("en", {"LANG": "es_PE.UTF-8"}, "en"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_language_is_chosen_from_option_then_setting_then_system(explicit, environ, expected):
    assert i18n.choose(explicit, environ) == expected


def test_a_language_holds_only_inside_its_block():
    from importer.status import label

    with i18n.using("es"):
        assert label("not_sent") == "no enviada"
    assert label("not_sent") == "not sent"
