"""The gettext catalogues: Hindi complete, every catalogue up to date with the code, placeholders kept.

`make translations` runs this file. It needs no app, database or broker.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from adapter.web.languages import compile_catalogue

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "adapter" / "web" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
# Python's %-format placeholders: %(name)s, %s, %d ... (and %% for a literal percent sign, which is not one).
PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?(?P<kind>[diouxXeEfFgGcrsa%])")

Key = tuple[str | None, str]


def read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def key(message: Message) -> Key:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return message.context, msgid


def strings(message: Message) -> tuple[str, ...]:
    """A message's translations (one per plural form for a plural message)."""
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def keys(catalog: Catalog) -> set[Key]:
    return {key(message) for message in catalog if message.id}


def extracted() -> set[Key]:
    """What `make messages` would extract from the code now (babel.cfg), in memory."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[Key] = set()
    for _file, _line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add((context, message[0] if isinstance(message, tuple | list) else message))
    return found


def placeholders(text: str) -> Counter[str]:
    """Each placeholder by name (a positional one by its kind, %s or %d), counted; %% is not one."""
    found = (m for m in PLACEHOLDER.finditer(text) if m.group("kind") != "%")
    return Counter(m.group("name") or f"%{m.group('kind')}" for m in found)


def language(path: Path) -> str:
    return path.parent.parent.name


def test_hindi_is_there() -> None:
    assert "hi" in [language(path) for path in CATALOGUES]


def test_the_template_has_every_message_of_the_code_and_no_other() -> None:
    found, template = extracted(), keys(read(TEMPLATE))
    assert found - template == set(), "new messages: run `make messages translations-update`"
    assert template - found == set(), "messages no longer in the code: run `make messages translations-update`"


@pytest.mark.parametrize("path", CATALOGUES, ids=language)
def test_each_catalogue_has_the_templates_messages(path: Path) -> None:
    catalogue, template = keys(read(path)), keys(read(TEMPLATE))
    assert template - catalogue == set(), "run `make translations-update`"
    assert catalogue - template == set(), "run `make translations-update`"


def test_hindi_is_complete_and_nothing_is_fuzzy() -> None:
    hindi = read(TRANSLATIONS / "hi" / "LC_MESSAGES" / "messages.po")
    untranslated = [key(m) for m in hindi if m.id and not all(strings(m))]
    fuzzy = [key(m) for m in hindi if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("path", CATALOGUES, ids=language)
def test_translations_keep_the_placeholders(path: Path) -> None:
    wrong = []
    for message in read(path):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        expected = placeholders(ids[-1])  # a plural's msgid_plural has them all
        wrong += [(ids[0], text) for text in strings(message) if text and placeholders(text) != expected]
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGUES, ids=language)
def test_each_catalogue_compiles(path: Path) -> None:
    translations = compile_catalogue([path])
    catalog = read(path)
    translated = [m for m in catalog if m.id and m.string and not m.fuzzy and not m.context]
    assert translated
    assert all(translations.gettext(m.id) == m.string for m in translated if isinstance(m.id, str))


def test_the_placeholder_check_catches_a_dropped_or_renamed_one() -> None:
    assert placeholders("Sent %(changed)s of %(items)s, 100%%") == Counter({"changed": 1, "items": 1})
    assert placeholders("%(items)s में से %(changed)s") == placeholders("Sent %(changed)s of %(items)s")
    assert placeholders("भेजे गए %(chnged)s") != placeholders("Sent %(changed)s")
    assert placeholders("%d items") != placeholders("items")
