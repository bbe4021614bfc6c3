"""Shared helpers for the SLA tests: policies, intake posts, frozen clocks."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk.extensions import db
from desk.intake.service import sign
from desk.models import Escalation, Ticket, TicketSla

SECRET = "s3cret-signing-key"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {"timezone": "Europe/Berlin", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS},
          "holidays": {"country": "DE", "state": "BE"}, "closed_days": []}
ALWAYS = {"timezone": "Europe/Berlin",
          "hours": {d: [["00:00", "24:00"]] for d in (*WEEKDAYS, "sat", "sun")}}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


def policy_payload(**overrides):
    payload = {"name": "Standard", "first_response_minutes": 60, "next_response_minutes": 120,
               "resolution_minutes": 480, "calendar": OFFICE, "pause_statuses": ["pending"]}
    payload.update(overrides)
    return payload


def form_data(**overrides):
    """The policy form as a supervisor fills it in (strings, as the browser sends them)."""
    data = {"name": "Werktags", "first_response_minutes": "60", "next_response_minutes": "120",
            "resolution_minutes": "480", "hours": "mon 08:00-12:00 13:00-17:00\ntue 09:00-17:00",
            "timezone": "Europe/Berlin", "state": "BY", "closed_days": "2026-12-24",
            "pause_statuses": ["pending"], "warn_share": "0.8", "repeat_minutes": "60",
            "max_level": "3"}
    data.update(overrides)
    return data


def make_policy(app, person, **overrides):
    from desk.sla.policies import create_policy

    with app.app_context():
        return create_policy(person, policy_payload(**overrides)).id


def post_intake(client, external_id, text, reach=120, handle="@kundin", **extra):
    payload = {"external_id": external_id, "text": text,
               "author": {"handle": handle, "name": "Kim Kundin", "reach": reach}, **extra}
    body = json.dumps(payload).encode()
    response = client.post("/api/v1/intake/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Desk-Signature": sign(SECRET, body)})
    assert response.status_code == 202, response.get_data(as_text=True)


def clocks(app, ticket_id):
    with app.app_context():
        row = db.session.get(TicketSla, ticket_id)
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge_all()
        return ticket, row


def escalations(app, ticket_id=None):
    with app.app_context():
        query = sa.select(Escalation).order_by(Escalation.id)
        if ticket_id is not None:
            query = query.where(Escalation.ticket_id == ticket_id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def only_ticket_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(Ticket.id))


def start_clocks(app, ticket):
    """make_ticket writes rows directly; start its clocks as intake would."""
    from desk.commits import commit
    from desk.sla.clocks import recompute

    with app.app_context():
        recompute(db.session.get(Ticket, ticket.id))
        commit()
    return ticket
