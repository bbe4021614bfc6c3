"""What every HTML page shares: error pages, security headers, template helpers.

API routes (under /api/) answer errors as RFC 9457 problem details instead;
see desk.api.problems.
"""

import functools
import math
from datetime import datetime, tzinfo
from typing import Any

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_compact_decimal, format_decimal
from flask import (
    Flask,
    Response,
    g,
    has_request_context,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from desk.errors import DeskError
from desk.models import utcnow


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DeskError, _desk_error)
    app.after_request(_security_headers)
    app.add_template_filter(local_time)
    app.add_template_filter(relative_time)
    app.add_template_filter(compact_number)
    app.add_template_global(time_ago, name="time_tag")
    app.add_template_global(remembered_url_for, name="url_for")
    app.context_processor(lambda: {"current_locale": str(viewer_clock()[0]),
                                   "current_timezone": str(viewer_clock()[1])})


# Links templates built before, by (script root, endpoint, arguments); bounded, since
# links to tickets and pages differ from page to page.
_LINKS: dict[tuple[Any, ...], str] = {}
MAX_LINKS = 20_000


def remembered_url_for(endpoint: str, **values: Any) -> str:
    """url_for for templates, remembered: a desk page builds some fifty links, nearly all
    the same on every page (assets, top bar, sidebar), and Werkzeug's URL building was a
    tenth of the queue page's time. External links, blueprint-relative endpoints and
    arguments that are not plain values are built every time."""
    if (not has_request_context() or endpoint.startswith(".")
            or any(name.startswith("_") for name in values)):
        return url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, frozenset(values.items()))
        link = _LINKS.get(key)
    except TypeError:  # an argument that cannot be a key (a list): build it
        return url_for(endpoint, **values)
    if link is None:
        link = url_for(endpoint, **values)
        if len(_LINKS) < MAX_LINKS:
            _LINKS[key] = link
    return link


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    response = _error_response(error)
    if isinstance(error, RateLimitExceeded):
        response = make_response(response)
        response.headers["Retry-After"] = str(_retry_after(error))
    return response


def _retry_after(error: RateLimitExceeded) -> int:
    """Seconds to wait: the limit's whole window, which is never too short. (The limiter's
    own X-RateLimit headers are off: they cost two more Redis round trips on every
    limited request, a fifth of an intake acknowledgement.)"""
    return int(error.limit.limit.get_expiry())


def _error_response(error: HTTPException) -> Response | tuple[str, int]:
    if wants_problem_json():
        from desk.api.problems import problem_response

        return problem_response(error.code or 500, error.name, error.description or "",
                                fields=_webargs_fields(error))
    if isinstance(error, CSRFError):
        message = _("The form had expired or was sent from elsewhere. Nothing was changed; "
                    "please go back, reload and try again.")
    else:
        message = _error_message(error.code or 500)
    return render_template("error.html", code=error.code, message=message), error.code or 500


def _webargs_fields(error: HTTPException) -> dict[str, list[str]] | None:
    """Field messages of a request that failed schema validation (flask-smorest/webargs)."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if not messages:
        return None
    fields: dict[str, list[str]] = {}
    for location, location_messages in messages.items():  # {"json": {...}}, {"query": {...}}
        if not isinstance(location_messages, dict):  # the body as a whole was unreadable
            fields[location] = [str(m) for m in location_messages]
            continue
        for name, problems in location_messages.items():
            fields[name] = [str(p) for p in problems] if isinstance(problems, list) else [
                str(problems)
            ]
    return fields


def _error_message(code: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("There is nothing here."),
        405: _("This page does not take that kind of request."),
        409: _("Someone changed this meanwhile."),
        413: _("That was too large (at most 1 MiB)."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }
    return messages.get(code, _("Something went wrong on our side."))


def _desk_error(error: DeskError) -> Response | tuple[str, int]:
    if wants_problem_json():
        from desk.api.problems import problem_response

        return problem_response(error.status, error.title, error.detail, **error.extra)
    return render_template("error.html", code=error.status, message=error.detail), error.status


def _security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def viewer_clock() -> tuple[Locale, tzinfo]:
    """The viewer's language and time zone, looked up once per request.

    Flask-Babel resolves both through its context on every call; a queue page
    formats up to four times per row, and the lookups cost far more than the
    formatting itself.
    """
    if not has_request_context():
        return get_locale(), get_timezone()
    cached = g.get("desk_viewer_clock")
    if cached is None:
        cached = g.desk_viewer_clock = (get_locale(), get_timezone())
    return cached


def local_time(value, fmt: str = "short") -> str:  # noqa: ANN001
    """A UTC time in the viewer's time zone and language."""
    if value is None:
        return ""
    locale, zone = viewer_clock()
    return format_datetime(value, format=fmt, tzinfo=zone, locale=locale)


def relative_time(value) -> str:  # noqa: ANN001
    """'5 minutes ago' / 'in 2 hours', in the viewer's language."""
    if value is None:
        return ""
    return relative_between(value, utcnow(), str(viewer_clock()[0]))


def relative_between(value: datetime, now: datetime, locale: str) -> str:
    """relative_time for many values at once: the caller looks up now and the language."""
    delta = value - now
    unit, amount = _rounded(delta.days * 86400 + delta.seconds)
    return _relative_text(unit, amount, locale)


# Babel's units for format_timedelta, largest first, in seconds.
_UNITS = (("year", 31536000), ("month", 2592000), ("week", 604800), ("day", 86400),
          ("hour", 3600), ("minute", 60), ("second", 1))


def _rounded(seconds: int) -> tuple[str, int]:
    """The unit and signed amount format_timedelta(threshold=1) shows for `seconds`."""
    for unit, size in _UNITS:
        if abs(seconds) / size >= 1.0:
            return unit, int(math.copysign(round(abs(seconds) / size), seconds))
    return "second", 0


@functools.lru_cache(maxsize=4096)
def _relative_text(unit: str, amount: int, locale: str) -> str:
    """Relative times fall into few buckets ("3 hours ago"), so the rows of a page share
    their formatting, which costs far more than the look-up (docs/benchmarks.md, queue).
    Exactly what format_timedelta(threshold=1) gives: the amount in its own unit."""
    seconds = amount * dict(_UNITS)[unit]
    try:
        return format_timedelta(seconds, add_direction=True, locale=locale,
                                threshold=math.inf, granularity=unit, format="short")
    except KeyError:
        # Babel 2.18 lacks some short forms (German "in 2 Monaten"): the long form then.
        return format_timedelta(seconds, add_direction=True, locale=locale,
                                threshold=math.inf, granularity=unit, format="long")


def time_ago(value) -> Markup:  # noqa: ANN001
    """A <time> element: relative text, ISO for scripts (static/js/times.js shows the exact
    local time on hover)."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(),
                                                          relative_time(value))


def compact_number(value: int | None) -> str:
    """Follower counts the way people say them, in the viewer's language: 48K, 1,2 Mio."""
    value = value or 0
    if 0 <= value < 1000:
        return str(value)  # the same in every language desk speaks; Babel costs a lookup
    locale = viewer_clock()[0]
    compact = format_compact_decimal(value, locale=locale, fraction_digits=1)
    if compact.isdigit():  # no short form in this language (German below a million)
        return format_decimal(value, locale=locale)
    return compact
