"""Language and time zone per request: the person's profile, else the browser."""

from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


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
    every call, and Jinja's `_` reaches it through three context calls (13 µs; a queue
    page makes sixty). `_` and `gettext` are one call here, with Jinja's "newstyle"
    meaning: the translation is markup in an autoescaped template and `%(name)s`
    values are escaped into it. The catalogue is kept on `g` with the locale it belongs
    to, so `force_locale` (digests in the reader's language) still switches it.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _catalogue().ugettext(string),
        ngettext=lambda singular, plural, n: _catalogue().ungettext(singular, plural, n),
        pgettext=lambda context, string: _catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _catalogue().unpgettext(
            context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """What Jinja's newstyle gettext does, in one call."""
    translated = _catalogue().ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - our catalogue, trusted as Jinja does
    if variables or "%" in translated:  # "%%" means "%", with or without values
        return translated % variables
    return translated


def _catalogue() -> Translations | NullTranslations:
    locale = get_locale()
    cached = g.get("desk_catalogue")
    if cached is None or cached[0] is not locale:
        cached = g.desk_catalogue = (locale, get_translations())
    return cached[1]
