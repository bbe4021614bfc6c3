"""Language and time zone per request: the person's profile, else the browser."""

from flask import current_app, request
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
