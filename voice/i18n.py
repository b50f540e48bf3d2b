"""Languages: which are offered where, how the page language is chosen, and catalogue status."""
from __future__ import annotations

import tomllib
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
from flask import Flask, g, has_request_context, request
from flask_babel import (Babel, format_date, format_datetime, get_locale, get_translations,
                         gettext)
from flask_babel import refresh as _refresh

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

# Language code used in the service -> Babel locale. Dari has no CLDR code of its own.
LOCALES = {"en": "en_GB", "cy": "cy", "vi": "vi", "sq": "sq", "ti": "ti", "am": "am", "ar": "ar",
           "ckb": "ckb", "ps": "ps", "prs": "fa_AF", "fa": "fa", "ro": "ro", "so": "so"}
STAFF_LANGUAGES = ("en", "cy")
CHILD_LANGUAGES = tuple(LOCALES)
RTL = {"ar", "ckb", "ps", "prs", "fa"}


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(TRANSLATIONS))
    # Templates' _() and ngettext() with the request's catalogue found once (Flask-Babel's own
    # look it up again on each of a page's forty or so calls).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n), newstyle=True)
    app.jinja_env.globals.update(page_dir=page_dir, page_lang=page_lang, language_name=language_name,
                                 translation_status=status, draft_languages=draft_languages)
    # Language names on staff pages (child pages show a language's own name only).
    app.jinja_env.filters.update(format_date=format_date, format_datetime=format_datetime,
                                 language_label=staff_language_name)


def select_locale() -> str:
    """The child's language in child mode; else the person's choice; else the browser's."""
    code = g.get("child_language")
    if code:
        return LOCALES.get(code, "en")
    user = g.get("user")
    if user is not None and user.locale in STAFF_LANGUAGES:
        return user.locale
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(STAFF_LANGUAGES) or "en"


def current() -> str:
    """The service's code for the page language."""
    locale = str(get_locale())
    return next((code for code, value in LOCALES.items() if value == locale), "en")


def refresh() -> None:
    g.pop("translations", None)
    _refresh()


def _translations():
    found = g.get("translations")
    if found is None:
        found = g.translations = get_translations()
    return found


def page_dir() -> str:
    return "rtl" if current() in RTL else "ltr"


def page_lang() -> str:
    return current().replace("_", "-")


def language_name(code: str, in_locale: str | None = None) -> str:
    """A language's name, in its own language and script by default."""
    target = in_locale or code
    name = Locale.parse(LOCALES[target]).languages.get(code)
    if name is None:  # CLDR has no name for Dari
        name = "دری" if target in ("prs", "fa") else "Dari"
    return name[:1].upper() + name[1:]


def staff_language_name(code: str) -> str:
    """A language's name on staff pages: in the page's language with the language's own name
    beside it ("Arabic (العربية)"), or the one name when both are the same ("English")."""
    own, local = language_name(code), language_name(code, current())
    if own == local:
        return own
    return gettext("%(name)s (%(own_name)s)", name=local, own_name=own)


def staff_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in STAFF_LANGUAGES]


def status(code: str) -> str:
    """'checked' when a qualified translator has checked the catalogue, else 'draft'."""
    if code == "en":
        return "checked"
    path = TRANSLATIONS / LOCALES[code] / "status.toml"
    if not path.exists():
        return "draft"
    return tomllib.loads(path.read_text()).get("status", "draft")


# Where the strings a child may see come from. Child-only languages need these translated; staff
# languages need every string.
CHILD_SOURCES = ("templates/child/", "voice/child/", "voice/capture/", "voice/http.py")


def needed(code: str, message) -> bool:
    """Whether a catalogue message must be translated for this language."""
    return code in STAFF_LANGUAGES or any(path.startswith(CHILD_SOURCES)
                                          for path, _line in message.locations)


def read_catalogue(code: str):
    path = TRANSLATIONS / "messages.pot" if code == "en" else \
        TRANSLATIONS / LOCALES[code] / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        return read_po(handle)


def draft_languages() -> list[str]:
    """Child languages whose catalogue no qualified translator has checked yet."""
    return [code for code in CHILD_LANGUAGES if status(code) != "checked"]


def completeness(code: str) -> tuple[int, int]:
    """(translated, needed) strings of a language's catalogue."""
    if code == "en":
        total = sum(1 for m in read_catalogue("en") if m.id)
        return total, total
    try:
        messages = [m for m in read_catalogue(code) if m.id and needed(code, m)]
    except FileNotFoundError:
        return 0, sum(1 for m in read_catalogue("en") if m.id and needed(code, m))
    done = sum(1 for m in messages if not m.fuzzy and
               (all(m.string) if isinstance(m.string, (list, tuple)) else m.string))
    return done, len(messages)
