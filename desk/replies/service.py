"""Answering a ticket (replies to the contact) and internal notes."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app

from desk import audit, events
from desk.commits import commit, send_after_commit
from desk.errors import Conflict, Invalid, StaleThread
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import Delivery, Draft, Message, MessageKind, Person, Status, Ticket, utcnow
from desk.replies import outbox
from desk.sanitize import html_to_text, text_to_html
from desk.sla import hooks as sla
from desk.tickets import change

MAX_BODY = 20_000


def add_reply(
    person: Person,
    ticket_id: int,
    text: str,
    seen_version: int | None = None,
    status: Status | None = None,
    seen_message_id: int | None = None,
    *,
    canned_reply_ids: Sequence[int] = (),
    survey: bool = False,
) -> Message:
    """Answer the contact; the reply is queued for delivery on the ticket's channel.

    With `seen_message_id` (the newest message the person saw), a reply while
    others' messages arrived since is held (StaleThread), so nobody answers
    without having seen them; a mere status or priority change does not hold
    it. With `seen_version`, any change since is refused (Conflict). Sending
    discards the person's draft in the same transaction. `canned_reply_ids`
    names the canned replies inserted into the text; each use is counted.
    `survey` adds the satisfaction question link (desk.reports.csat) when the
    desk offers it (DESK_CSAT).
    """
    ticket = get_ticket(person, ticket_id)
    body_html = _body(text)
    if survey and current_app.config["DESK_CSAT"]:
        from desk.reports.csat import survey_paragraph

        body_html += survey_paragraph(ticket, person)
    guard = _nothing_unseen(person, ticket, seen_message_id)
    now = utcnow()
    values: dict = {"last_message_at": now, "message_count": Ticket.message_count + 1}
    if ticket.first_response_at is None:
        values["first_response_at"] = now
    if ticket.assignee_id is None:
        values["assignee_id"] = person.id  # whoever answers first owns the conversation
    if status is not None:
        values["status"] = status
        if status == Status.RESOLVED:
            values["resolved_at"] = now
    elif ticket.status == Status.NEW:
        values["status"] = Status.OPEN
    ticket = _change(person, ticket.id, values, seen_version, guard, seen_message_id)
    message = Message(
        ticket_id=ticket.id,
        channel_id=ticket.channel_id,
        kind=MessageKind.REPLY,
        body_html=body_html,
        body_text=html_to_text(body_html),
        author_id=person.id,
        delivery=Delivery.QUEUED,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    # The outbox row in the reply's own transaction: a reply is never stored unsent-able.
    outbox.queue(message, ticket.channel)
    sla.ticket_changed(ticket)  # the reply stops the response clock
    audit.record("message.reply", person, ticket.id, message_id=message.id)
    db.session.execute(
        sa.delete(Draft).where(Draft.person_id == person.id, Draft.ticket_id == ticket.id)
    )
    if canned_reply_ids:
        from desk.canned.service import record_uses

        record_uses(person, ticket, message, canned_reply_ids)
    _announce(ticket, message)
    commit()
    return message


def add_note(
    person: Person,
    ticket_id: int,
    text: str,
    seen_version: int | None = None,
    seen_message_id: int | None = None,
) -> Message:
    """Leave an internal note; the contact never sees it. Guards as add_reply()."""
    ticket = get_ticket(person, ticket_id)
    body_html = _body(text)
    guard = _nothing_unseen(person, ticket, seen_message_id)
    ticket = _change(person, ticket.id, {"message_count": Ticket.message_count + 1},
                     seen_version, guard, seen_message_id)
    message = Message(
        ticket_id=ticket.id,
        channel_id=ticket.channel_id,
        kind=MessageKind.NOTE,
        body_html=body_html,
        body_text=html_to_text(body_html),
        author_id=person.id,
    )
    db.session.add(message)
    db.session.flush()
    audit.record("message.note", person, ticket.id, message_id=message.id)
    _announce(ticket, message)
    commit()
    return message


def unseen_messages(person: Person, ticket_id: int, seen_message_id: int) -> list[int]:
    """Ids of messages others added to the ticket after `seen_message_id`, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Message.id)
            .where(
                Message.ticket_id == ticket_id,
                Message.id > seen_message_id,
                sa.or_(Message.author_id.is_(None), Message.author_id != person.id),
            )
            .order_by(Message.id)
        )
    )


def _hold_if_unseen(person: Person, ticket_id: int, seen_message_id: int) -> None:
    unseen = unseen_messages(person, ticket_id, seen_message_id)
    if unseen:
        raise StaleThread(
            f"{len(unseen)} new message(s) since you loaded the ticket; read them, then "
            "send again", new_message_ids=unseen)


def _nothing_unseen(
    person: Person, ticket: Ticket, seen_message_id: int | None
) -> sa.ColumnElement[bool] | None:
    """Hold the send if others' messages arrived; else a condition for the UPDATE.

    The condition (the message count is still what we read) makes the check and
    the write one step: a message that lands in between fails the UPDATE.
    """
    if seen_message_id is None:
        return None
    _hold_if_unseen(person, ticket.id, seen_message_id)
    return Ticket.message_count == ticket.message_count


def _change(person: Person, ticket_id: int, values: dict[str, Any], seen_version: int | None,
            guard: sa.ColumnElement[bool] | None, seen_message_id: int | None) -> Ticket:
    try:
        return change(ticket_id, values, seen_version=seen_version, only_if=guard)
    except Conflict:
        if seen_message_id is not None:
            _hold_if_unseen(person, ticket_id, seen_message_id)
        raise


def _body(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid("the message is empty", {"body": ["must not be empty"]})
    if len(text) > MAX_BODY:
        raise Invalid(f"the message is longer than {MAX_BODY} characters",
                      {"body": [f"at most {MAX_BODY} characters"]})
    return text_to_html(text)


def _announce(ticket: Ticket, message: Message) -> None:
    send_after_commit(
        events.message_created,
        ticket_id=ticket.id,
        team_id=ticket.team_id,
        message_id=message.id,
        kind=message.kind.value,
        version=ticket.version,
    )
