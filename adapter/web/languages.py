"""The languages the web pages speak: gettext catalogues (``translations/<code>/LC_MESSAGES/messages.po``) read
through Flask-Babel, and the language of the current request.

The ``.po`` files are the only source: each is compiled in memory the first time a page asks for its language and
kept for the life of the process, so there is no ``.mo`` file that could go stale (docs/translations.md). A
language is available as soon as its ``.po`` file exists; English, the language of the msgids, always is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, get_translations
from markupsafe import escape

DEFAULT = "en"
DOMAIN = "messages"
# Relative entries are relative to adapter/web; several directories are separated by ';' (Flask-Babel's format).
DIRECTORIES_KEY = "BABEL_TRANSLATION_DIRECTORIES"
DEFAULT_DIRECTORIES = "translations"


@dataclass(frozen=True)
class Language:
    """One language of the toggle: its code and its own name for itself."""

    code: str
    name: str


def init_app(app: Flask) -> None:
    """Set up Flask-Babel (``_``/``gettext`` in templates and code) with the console's choice of language."""
    app.config.setdefault(DIRECTORIES_KEY, DEFAULT_DIRECTORIES)
    ConsoleBabel(app, default_locale=DEFAULT, locale_selector=_babel_locale)
    # Jinja takes a translation as safe HTML; escaping it keeps a translator's quote or '<' from ending an
    # attribute or opening a tag (the pages escape translations as they escaped the old dictionary's text).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the jinja2.ext.i18n extension
        gettext=lambda s: escape(get_translations().ugettext(s)),
        ngettext=lambda s, p, n: escape(get_translations().ungettext(s, p, n)),
        pgettext=lambda c, s: escape(get_translations().upgettext(c, s)),
        npgettext=lambda c, s, p, n: escape(get_translations().unpgettext(c, s, p, n)),
        newstyle=True,
    )


def translation_directories(app: Flask) -> tuple[Path, ...]:
    """Where the catalogues are, as configured (read at each call, so tests can point the app elsewhere)."""
    configured = str(app.config.get(DIRECTORIES_KEY) or DEFAULT_DIRECTORIES)
    return tuple(Path(app.root_path, entry) for entry in configured.split(";") if entry)


def catalogue_files(directories: tuple[Path, ...], code: str) -> list[Path]:
    """The ``.po`` files of one language, in directory order."""
    return [path for directory in directories
            if (path := directory / code / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()]


def compile_catalogue(paths: list[Path]) -> Translations:
    """Translations from ``.po`` files, compiled in memory (fuzzy entries are left out, as msgfmt does)."""
    merged = Translations()
    for path in paths:
        with path.open("rb") as po:
            catalog = read_po(po, locale=None, domain=DOMAIN)
        mo = io.BytesIO()
        write_mo(mo, catalog, use_fuzzy=False)
        mo.seek(0)
        compiled = Translations(mo, domain=DOMAIN)
        merged.merge(compiled)  # a later directory's translation of a message wins, as in Flask-Babel
        # Translations.merge keeps the messages but not the plural rule: the catalogue's own applies.
        merged.plural = compiled.plural
    return merged


class CatalogueDomain(Domain):  # flask_babel has no type hints: Domain and Babel are Any
    """Flask-Babel's message domain, fed from the ``.po`` files instead of compiled ``.mo`` files."""

    def __init__(self) -> None:
        super().__init__(domain=DOMAIN)
        self.compiled: dict[tuple[tuple[Path, ...], str], NullTranslations] = {}
        self.codes: dict[tuple[Path, ...], tuple[str, ...]] = {}

    def get_translations(self) -> NullTranslations:
        """The current request's catalogue (English, the msgids themselves, outside a request)."""
        if not has_request_context():
            return NullTranslations()
        return self.translations_for(current_language())

    def translations_for(self, code: str) -> NullTranslations:
        """One language's catalogue, compiled on first use and then kept."""
        directories = translation_directories(current_app)
        key = (directories, code)
        found = self.compiled.get(key)
        if found is None:
            paths = catalogue_files(directories, code) if code != DEFAULT else []
            found = compile_catalogue(paths) if paths else NullTranslations()
            self.compiled[key] = found
        return found


class ConsoleBabel(Babel):  # flask_babel has no type hints: Domain and Babel are Any
    """Flask-Babel with the catalogue domain above."""

    @cached_property
    def domain_instance(self) -> CatalogueDomain:
        return CatalogueDomain()


def _domain(app: Flask) -> CatalogueDomain:
    domain: CatalogueDomain = app.extensions["babel"].instance.domain_instance
    return domain


def translations_for(code: str) -> NullTranslations:
    """One language's catalogue in the current app, whatever the request's own language (the API's ``lang``)."""
    return _domain(current_app).translations_for(code)


def available_codes(app: Flask) -> tuple[str, ...]:
    """English, then every language that has a catalogue on disk, by code (looked for once per directory list)."""
    directories = translation_directories(app)
    codes = _domain(app).codes
    if directories not in codes:
        found = {path.parent.parent.name for directory in directories
                 for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
        found.discard(DEFAULT)
        codes[directories] = (DEFAULT, *sorted(found))
    return codes[directories]


def native_name(code: str) -> str:
    """A language's name for itself: its translators' word, else CLDR's, else the code (current app)."""
    translations = _domain(current_app).translations_for(code)
    # Translators: the name of your language, in your language: the language toggle's button for it.
    own = translations.pgettext("language name", "English")
    if code == DEFAULT or own != "English":
        return str(own)
    try:
        return str(Locale.parse(code).display_name)
    except (UnknownLocaleError, ValueError):
        return code


def available_languages() -> list[Language]:
    """The languages of the toggle (current app), English first."""
    return [Language(code, native_name(code)) for code in available_codes(current_app)]


def current_language() -> str:
    """The toggle stored in the session wins; otherwise the browser's Accept-Language; otherwise English."""
    if not has_request_context():
        return DEFAULT
    if "language" not in g:  # asked for by every message: decided once per request
        codes = available_codes(current_app)
        chosen = session.get("lang")
        g.language = (str(chosen) if chosen in codes
                      else request.accept_languages.best_match(codes, default=DEFAULT) or DEFAULT)
    return str(g.language)


def choose_language(code: str) -> bool:
    """Store the toggle's choice in the session (False, and nothing stored, for a language we do not have)."""
    if code not in available_codes(current_app):
        return False
    session["lang"] = code
    g.pop("language", None)
    return True


def speak(code: str | None) -> bool:
    """This request only, speak ``code`` (a page's ``?lang=``) if the app has it; False, and no change, if not.

    The session's toggle is left alone: a printed document in the other language is not a change of mind.
    """
    if not code or code not in available_codes(current_app):
        return False
    g.language = code
    return True


def _babel_locale() -> str:
    """The locale Flask-Babel formats dates and numbers for: the page's language when CLDR knows it.

    A language CLDR has no data for (a Pahari dialect, say) still gets its messages; its numbers look English.
    """
    code = current_language()
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return DEFAULT
    return code


__all__ = ["Language", "available_codes", "available_languages", "choose_language", "compile_catalogue",
           "current_language", "init_app", "speak", "translations_for"]
