"""The supervisors' e-mail digest of escalations raised since the last one (SMTP)."""

import logging
import smtplib
from collections import defaultdict
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, url_for

from desk.commits import commit
from desk.extensions import db
from desk.models import Escalation, Person, PersonRole, Role, Ticket, utcnow

log = logging.getLogger(__name__)


def supervisors() -> list[Person]:
    return list(db.session.scalars(
        sa.select(Person).join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.SUPERVISOR, Person.is_active_account)
        .order_by(Person.id)))


def send_digests() -> int:
    """Mail every supervisor (or the one an escalation names) its new escalations.

    Escalations are marked as sent in the same transaction, after the mail went
    out; a failed connection leaves them for the next run. Returns mails sent.
    """
    if not current_app.config["DESK_SMTP_HOST"]:
        return 0
    pending = list(db.session.scalars(
        sa.select(Escalation).where(Escalation.digest_sent_at.is_(None))
        .order_by(Escalation.created_at, Escalation.id).limit(2000)))
    if not pending:
        return 0
    everyone = supervisors()
    per_person: dict[int, list[Escalation]] = defaultdict(list)
    people = {p.id: p for p in everyone}
    for escalation in pending:
        if escalation.notify_id is not None:
            person = db.session.get(Person, escalation.notify_id)
            if person is not None:
                people[person.id] = person
                per_person[person.id].append(escalation)
                continue
        for person in everyone:
            per_person[person.id].append(escalation)
    sent = 0
    with _smtp() as smtp:
        for person_id, escalations in per_person.items():
            smtp.send_message(_mail(people[person_id], escalations))
            sent += 1
    now = utcnow()
    for escalation in pending:
        escalation.digest_sent_at = now
    commit()
    return sent


def _smtp() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["DESK_SMTP_HOST"], config["DESK_SMTP_PORT"], timeout=30)
    if config["DESK_SMTP_STARTTLS"]:
        smtp.starttls()
    if config["DESK_SMTP_USER"]:
        smtp.login(config["DESK_SMTP_USER"], config["DESK_SMTP_PASSWORD"] or "")
    return smtp


def _mail(person: Person, escalations: list[Escalation]) -> EmailMessage:
    from flask_babel import force_locale, gettext

    with force_locale(person.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        mail = EmailMessage()
        mail["Subject"] = gettext("desk: %(count)s new escalations", count=len(escalations))
        mail["From"] = current_app.config["DESK_MAIL_FROM"]
        mail["To"] = person.email
        lines = [gettext("New escalations since the last digest:"), ""]
        for escalation in escalations:
            ticket = db.session.get(Ticket, escalation.ticket_id)
            subject = ticket.subject if ticket else "?"
            lines.append(gettext("#%(id)s %(subject)s - level %(level)s: %(reason)s",
                                 id=escalation.ticket_id, subject=subject,
                                 level=escalation.level, reason=escalation.reason))
            lines.append("  " + _link(escalation.ticket_id))
        mail.set_content("\n".join(lines))
    return mail


def _link(ticket_id: int) -> str:
    try:
        return url_for("inbox.ticket", ticket_id=ticket_id, _external=True)
    except RuntimeError:
        return f"/tickets/{ticket_id}"
