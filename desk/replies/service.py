"""Answering a ticket (replies to the contact) and internal notes."""

from collections.abc import Sequence

from desk import audit, events
from desk.commits import commit, send_after_commit
from desk.errors import Invalid
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.jobs import enqueue
from desk.models import Delivery, Message, MessageKind, Person, Status, Ticket, utcnow
from desk.sanitize import html_to_text, text_to_html
from desk.tickets import change

MAX_BODY = 20_000


def add_reply(
    person: Person,
    ticket_id: int,
    text: str,
    seen_version: int | None = None,
    status: Status | None = None,
    *,
    canned_reply_ids: Sequence[int] = (),
) -> Message:
    """Answer the contact; the reply is queued for delivery on the ticket's channel.

    With `seen_version`, a ticket changed since the person loaded it is refused
    (Conflict), so nobody answers without having seen the latest message.
    `canned_reply_ids` names the canned replies inserted into the text; each
    use is counted with the reply.
    """
    ticket = get_ticket(person, ticket_id)
    body_html = _body(text)
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
    ticket = change(ticket.id, values, seen_version=seen_version)
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
    audit.record("message.reply", person, ticket.id, message_id=message.id)
    if canned_reply_ids:
        from desk.canned.service import record_uses

        record_uses(person, ticket, message, canned_reply_ids)
    _announce(ticket, message)
    from desk.replies.jobs import deliver_reply

    enqueue(deliver_reply, message.id, queue="default")
    commit()
    return message


def add_note(
    person: Person, ticket_id: int, text: str, seen_version: int | None = None
) -> Message:
    """Leave an internal note; the contact never sees it."""
    ticket = get_ticket(person, ticket_id)
    body_html = _body(text)
    ticket = change(
        ticket.id, {"message_count": Ticket.message_count + 1}, seen_version=seen_version
    )
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


def mark_delivery(message_id: int, delivery: Delivery) -> None:
    """Record how delivery of a reply went, and tell the screens."""
    message = db.session.get(Message, message_id)
    if message is None or message.delivery == delivery:
        return
    message.delivery = delivery
    team_id = db.session.get(Ticket, message.ticket_id).team_id  # type: ignore[union-attr]
    audit.record("message.delivery", None, message.ticket_id, message_id=message.id,
                 delivery=delivery)
    send_after_commit(
        events.delivery_updated,
        ticket_id=message.ticket_id,
        team_id=team_id,
        message_id=message.id,
        delivery=delivery.value,
    )
    commit()


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
