"""The Vietnamese catalogue is complete, and the compiled .mo matches the .po."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = CATALOGUE / "django.po"
MO_PATH = CATALOGUE / "django.mo"


def _key(entry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def _catalog(entries) -> dict[str, tuple[str, ...]]:
    catalog = {}
    for entry in entries:
        if not entry.msgid:
            continue  # the header
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            catalog[_key(entry)] = (entry.msgid_plural, *forms)
        else:
            catalog[_key(entry)] = (entry.msgstr,)
    return catalog


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(PO_PATH))


def test_every_entry_is_translated(po):
    # given the Vietnamese catalogue
    live = [entry for entry in po if not entry.obsolete]

    # when looking for entries without a usable translation
    untranslated = [
        _key(entry)
        for entry in live
        if not entry.translated() and "fuzzy" not in entry.flags
    ]
    fuzzy = [_key(entry) for entry in live if "fuzzy" in entry.flags]

    # then there are none
    assert live
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation(po):
    mismatched = []
    for entry in po.translated_entries():
        translations = (
            list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        )
        for text in translations:
            if sorted(_placeholders(entry.msgid)) != sorted(_placeholders(text)):
                mismatched.append(entry.msgid)
    assert mismatched == []


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", text)


def test_compiled_catalogue_is_up_to_date(po):
    # given the .po compiled in memory and the .mo in the repository
    expected = _catalog(polib.mofile(po.to_binary()))
    compiled = _catalog(polib.mofile(str(MO_PATH)))

    # then they hold the same translations (run `manage.py compilemessages` if not)
    assert compiled == expected


def test_vietnamese_is_the_default_and_english_is_available():
    assert settings.LANGUAGE_CODE == "vi"
    with translation.override("vi"):
        assert translation.gettext("Log in") == "Đăng nhập"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
