"""Language and time zone per request: the person's profile, else the browser."""

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_login import current_user


def select_locale() -> str | None:
    supported = current_app.config["DESK_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return current_user.language
    chosen = request.cookies.get("desk_lang")
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def select_timezone() -> str:
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["DESK_TIMEZONE"]


def install_template_gettext(app: Flask) -> None:
    """Templates translate through the request's catalogue, looked up once.

    Flask-Babel's template gettext looks up its context, domain, locale and catalogue on
    every call (13 µs; a queue page makes sixty). The catalogue is kept on `g` with the
    locale it belongs to, so `force_locale` (digests in the reader's language) still
    switches it.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _catalogue().ugettext(string),
        ngettext=lambda singular, plural, n: _catalogue().ungettext(singular, plural, n),
        pgettext=lambda context, string: _catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _catalogue().unpgettext(
            context, singular, plural, n),
        newstyle=True,
    )


def _catalogue() -> Translations | NullTranslations:
    locale = get_locale()
    cached = g.get("desk_catalogue")
    if cached is None or cached[0] is not locale:
        cached = g.desk_catalogue = (locale, get_translations())
    return cached[1]
