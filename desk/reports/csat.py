"""CSAT: a one-question survey linked under a reply (1-5 and a comment).

The link carries a signed token (itsdangerous, salted, with SECRET_KEY) naming
the ticket, the agent and a random link id; it expires after
DESK_CSAT_MAX_AGE_DAYS and answers once (a unique link id in
`csat_responses`). A forged, expired or used link is refused with one and the
same message, so the refusal reveals nothing about which it was.
"""

import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import escape

from desk.errors import NotFound
from desk.extensions import db
from desk.models import CsatResponse, Person, Ticket, utcnow
from desk.reports.facts import local_day
from desk.reports.service import desk_today

SALT = "desk.csat.v1"
REFUSED = "This survey link is not valid (any more)."


class SurveyRefused(NotFound):
    """Forged, expired or used: deliberately indistinguishable."""

    title = "Not found"

    def __init__(self) -> None:
        super().__init__(REFUSED)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def survey_token(ticket: Ticket, agent: Person) -> str:
    return _serializer().dumps({"t": ticket.id, "a": agent.id, "n": secrets.token_hex(12)})


def survey_url(token: str) -> str:
    if has_request_context():
        return url_for("reports.survey", token=token, _external=True)
    return current_app.config["DESK_BASE_URL"].rstrip("/") + f"/survey/{token}"


def survey_paragraph(ticket: Ticket, agent: Person) -> str:
    """The HTML appended to a reply: a short question and the link."""
    url = escape(survey_url(survey_token(ticket, agent)))
    question = escape(_("How did we do? Rate our answer:"))
    return f'<p>{question} <a href="{url}" rel="nofollow noopener">{url}</a></p>'


def open_survey(token: str) -> dict[str, Any]:
    """The token's facts if it may still be answered; SurveyRefused otherwise."""
    max_age = current_app.config["DESK_CSAT_MAX_AGE_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadData:
        raise SurveyRefused() from None
    if not isinstance(data, dict) or not {"t", "a", "n"} <= data.keys():
        raise SurveyRefused()
    used = db.session.scalar(sa.select(CsatResponse.id).where(CsatResponse.link_id == data["n"]))
    if used is not None:
        raise SurveyRefused()
    return data


def answer(token: str, score: int, comment: str) -> CsatResponse:
    """Store the answer once; a second answer through the same link is refused."""
    data = open_survey(token)
    ticket = db.session.get(Ticket, data["t"])
    now = utcnow()
    response = CsatResponse(
        link_id=data["n"], ticket_id=ticket.id if ticket else None,
        agent_id=data["a"] if db.session.get(Person, data["a"]) else None,
        team_id=ticket.team_id if ticket else None,
        channel_id=ticket.channel_id if ticket else None,
        score=score, comment=comment.strip()[:2000],
        day=local_day(now, _zone()) if ticket else desk_today(now),
    )
    db.session.add(response)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # two answers raced through one link: the first one counts
        raise SurveyRefused() from None
    return response


def _zone():  # noqa: ANN202
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config["DESK_TIMEZONE"])
