"""The Chinese catalog is complete and its compiled .mo (committed, not built at install) agrees."""

import gettext
import re
from pathlib import Path

import daypass

LOCALE = Path(daypass.__file__).parent / "locale"
ENTRY = re.compile(r'^msgid "(.*)"\n(?:msgid_plural "(.*)"\n)?msgstr(?:\[0\])? "(.*)"$', re.M)


def po_entries(language: str) -> list[tuple[str, str | None, str]]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    return [m.groups() for m in ENTRY.finditer(text) if m.group(1)]


def test_every_chinese_message_is_translated():
    entries = po_entries("zh_Hans")

    assert len(entries) > 200
    assert [msgid for msgid, _plural, msgstr in entries if not msgstr] == []


def test_the_compiled_chinese_catalog_matches_the_po_file():
    with open(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    for msgid, plural, msgstr in po_entries("zh_Hans"):
        msgid = msgid.replace('\\"', '"')
        msgstr = msgstr.replace('\\"', '"')
        translated = compiled.ngettext(msgid, plural, 2) if plural else compiled.gettext(msgid)
        assert translated == msgstr, msgid


def test_no_entry_is_left_fuzzy():
    # msgfmt skips fuzzy entries, so a fuzzy translation silently shows English.
    for language in ("en", "zh_Hans"):
        text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        assert "fuzzy" not in text, language
