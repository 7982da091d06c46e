"""The validation report in Hindi, as the console shows it: catalog_sync's patterns through the Hindi catalogue."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations

import adapter.web
from adapter.web.languages import compile_catalogue
from catalog_sync.report_hi import localise

HINDI_PO = Path(adapter.web.__file__).parent / "translations" / "hi" / "LC_MESSAGES" / "messages.po"


@cache
def hindi() -> Translations:
    """The Hindi catalogue, compiled as the app compiles it."""
    return compile_catalogue([HINDI_PO])


def to_hindi(message: str) -> str:
    """A validation message in Hindi (the English one when the catalogue has no translation for it)."""
    return localise(message, hindi().gettext)
