"""A language is a .po file: one dropped into a translations directory joins the toggle and its pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.support import csrf_of, ensure_console

XX_PO = """\
msgid ""
msgstr ""
"Language: xx\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgctxt "language name"
msgid "English"
msgstr "Xxlandic"

msgid "Sign in"
msgstr "Xx-enter"

msgid "Enter your cooperative's API key (operators: the admin key)."
msgstr "Xx: give the key"

msgid "Language"
msgstr "Xx \\"tongue\\" <i>"

#, fuzzy
msgid "API key"
msgstr "Xx-fuzzy-key"
"""


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def xx_web(app: Flask, tmp_path: Path) -> FlaskClient:
    """The console with the shipped catalogues and a made-up language `xx` from another directory."""
    (tmp_path / "xx" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "xx" / "LC_MESSAGES" / "messages.po").write_text(XX_PO, encoding="utf-8")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"translations;{tmp_path}"
    return ensure_console(app).test_client()


def toggle(page: str) -> list[tuple[str, str]]:
    """The toggle's buttons: (language code, label)."""
    return re.findall(r'<button type="submit" name="lang" value="([^"]+)"[^>]*>([^<]*)</button>', page)


def test_a_new_po_file_adds_its_language_to_the_toggle_under_its_own_name(xx_web: FlaskClient) -> None:
    english = text(xx_web.get("/console/login", headers={"Accept-Language": "en"}))
    assert toggle(english) == [("hi", "हिन्दी"), ("xx", "Xxlandic")]
    hindi = text(xx_web.get("/console/login", headers={"Accept-Language": "hi"}))
    assert toggle(hindi) == [("en", "English"), ("xx", "Xxlandic")]


def test_a_page_in_the_new_language_shows_its_strings_and_english_where_it_has_none(xx_web: FlaskClient) -> None:
    switched = xx_web.post("/console/language", data={"lang": "xx", "next": "/console/login",
                                                       "csrf_token": csrf_of(xx_web)})
    assert switched.status_code == 302
    page = text(xx_web.get("/console/login"))
    assert '<html lang="xx">' in page
    assert "Xx-enter" in page
    assert "Xx: give the key" in page
    assert "Xx-fuzzy-key" not in page  # fuzzy: not yet checked by a translator, so English
    assert "API key" in page
    assert "Skip to main content" in page  # not translated yet: English
    assert toggle(page) == [("en", "English"), ("hi", "हिन्दी")]
    # A translation is text, never markup: its quotes cannot end the attribute it is in.
    assert 'aria-label="Xx &#34;tongue&#34; &lt;i&gt;: English"' in page


def test_the_browser_may_ask_for_the_new_language(xx_web: FlaskClient) -> None:
    page = text(xx_web.get("/console/login", headers={"Accept-Language": "xx, en;q=0.5"}))
    assert '<html lang="xx">' in page
    assert "Xx-enter" in page


def test_a_language_without_a_catalogue_is_refused_by_the_toggle(xx_web: FlaskClient) -> None:
    xx_web.post("/console/language", data={"lang": "pa", "csrf_token": csrf_of(xx_web)})
    page = text(xx_web.get("/console/login", headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in page


def test_without_the_extra_directory_there_is_no_xx(app: Flask) -> None:
    page = text(ensure_console(app).test_client().get("/console/login", headers={"Accept-Language": "en"}))
    assert toggle(page) == [("hi", "हिन्दी")]
