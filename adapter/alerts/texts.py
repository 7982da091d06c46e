"""An alert's words in the cooperative's language, from the console's gettext catalogues.

The msgids below are extracted into adapter/web/translations with the console's messages (babel.cfg), so one
translation covers both. The worker has no Flask request to pick a language, so the catalogue of the language
the cooperative saved its alert settings in is read here, compiled once per process. A language without a
catalogue, or a catalogue that cannot be read, gives the English words: an alert is never held back for them.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["CATALOGUES", "subject_and_text"]

log = logging.getLogger(__name__)

CATALOGUES = Path(__file__).resolve().parents[1] / "web" / "translations"


def N_(message: str) -> str:
    """Mark a msgid for extraction; the translation happens in `subject_and_text`."""
    return message


SUBJECTS = {
    "new_order": N_("New order %(order)s"),
    "return_requested": N_("Return requested: order %(order)s"),
    "issue_raised": N_("Complaint about order %(order)s"),
    "shipping_failed": N_("No courier booked for order %(order)s"),
    "test": N_("Test alert"),
}
TEXTS = {
    "new_order": N_("%(cooperative)s has a new order, %(order)s. Open the console to accept and pack it."),
    "return_requested": N_("The buyer of order %(order)s wants to return it. Open the console to approve or "
                           "reject the return."),
    "issue_raised": N_("The buyer of order %(order)s raised a complaint. Open the console to answer it."),
    "shipping_failed": N_("The courier could not be booked for order %(order)s. Open the console to book it "
                          "again or to ship it yourself."),
    "test": N_("This is a test alert for %(cooperative)s: alerts reach you here."),
}


@lru_cache(maxsize=16)
def _translations(code: str) -> NullTranslations:
    path = CATALOGUES / code / "LC_MESSAGES" / "messages.po"
    if code == "en" or not path.is_file():
        return NullTranslations()
    try:
        with path.open("rb") as po:
            catalog = read_po(po, locale=None, domain="messages")
        mo = io.BytesIO()
        write_mo(mo, catalog, use_fuzzy=False)
        mo.seek(0)
        return Translations(mo, domain="messages")
    except (OSError, ValueError) as error:
        log.warning("alert texts fall back to English", extra={"language": code, "error": str(error)[:200]})
        return NullTranslations()


def subject_and_text(kind: str, *, order_id: str, cooperative: str, language: str) -> tuple[str, str]:
    """The heading and the sentence of an alert of ``kind``, in ``language`` (English when it has none)."""
    translate = _translations(language).gettext
    values = {"order": order_id, "cooperative": cooperative}
    return translate(SUBJECTS[kind]) % values, translate(TEXTS[kind]) % values
