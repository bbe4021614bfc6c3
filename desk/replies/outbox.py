"""The outbox: replies leave through it, at most once each.

`queue()` writes the outbox row in the reply's own transaction. `deliver()`
(the delivery job) leases a queued row with one conditional UPDATE, sends it
through the channel's connector and records the outcome:

- sent: the remote id is stored (on the row and as the reply's external id, so
  the contact's answers to it join the ticket);
- refused by the platform (4xx): failed, with the platform's reason;
- failed before anything went out (connection refused, 5xx, 429): queued again
  with backoff, failed after `MAX_ATTEMPTS`;
- timed out after the request went out, or a worker died while sending: unknown.
  An unknown row is never sent again blindly: `reconcile()` asks the platform
  whether our reply is there (`find_sent`); found: sent; certainly not there:
  queued again; the connector cannot tell: failed, asking a person to check.

A person may retry a failed reply (`retry()`); replies on channels that take
none (feeds, desk's own webhook, the contact form) are marked for posting by hand.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa

from desk import audit, events, outbound
from desk.channels.connectors import (
    OutboundReply,
    SendFailed,
    SendRefused,
    can_reply,
    connector_for,
)
from desk.commits import commit, send_after_commit
from desk.errors import Conflict, DeskError, NotFound
from desk.extensions import db
from desk.models import (
    Channel,
    Delivery,
    Message,
    MessageKind,
    OutboxItem,
    OutboxState,
    Person,
    Ticket,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800)]
SEND_LEASE = timedelta(minutes=2)

DELIVERY_OF = {
    OutboxState.QUEUED: Delivery.QUEUED,
    OutboxState.SENDING: Delivery.QUEUED,
    OutboxState.UNKNOWN: Delivery.QUEUED,
    OutboxState.SENT: Delivery.SENT,
    OutboxState.FAILED: Delivery.FAILED,
    OutboxState.MANUAL: Delivery.MANUAL,
}


def queue(message: Message, channel: Channel) -> OutboxItem:
    """Add the reply's outbox row (same transaction as the reply); the job follows the commit."""
    state = OutboxState.QUEUED if can_reply(channel) else OutboxState.MANUAL
    item = OutboxItem(message_id=message.id, channel_id=channel.id, state=state)
    message.delivery = DELIVERY_OF[state]
    db.session.add(item)
    db.session.flush()
    if state == OutboxState.QUEUED:
        from desk.jobs import enqueue
        from desk.replies.jobs import deliver_reply

        enqueue(deliver_reply, message.id, queue="default")
    return item


def outbox_items(messages: list[Message]) -> dict[int, OutboxItem]:
    """The outbox rows of a thread's replies, by message id (one query)."""
    ids = [m.id for m in messages if m.kind == MessageKind.REPLY]
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(OutboxItem).where(OutboxItem.message_id.in_(ids)))
    return {row.message_id: row for row in rows}


def item_for(message_id: int) -> OutboxItem | None:
    return db.session.scalar(sa.select(OutboxItem).where(OutboxItem.message_id == message_id))


def deliver(message_id: int) -> OutboxState | None:
    """Send one queued reply if it is due; safe to run twice (only one run leases it)."""
    item = item_for(message_id)
    if item is None:
        return None
    now = utcnow()
    leased = db.session.execute(
        sa.update(OutboxItem)
        .where(OutboxItem.id == item.id, OutboxItem.state == OutboxState.QUEUED,
               sa.or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))
        .values(state=OutboxState.SENDING, leased_until=now + SEND_LEASE,
                attempts=OutboxItem.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    if leased != 1:
        return None
    item = db.session.get(OutboxItem, item.id)
    db.session.refresh(item)
    channel = db.session.get(Channel, item.channel_id)
    reply = outbound_reply(item)
    db.session.rollback()  # no transaction stays open while the platform answers
    try:
        remote_id = connector_for(channel.kind).send(channel, reply)
    except SendRefused as exc:
        return _finish(item.id, OutboxState.FAILED, error=str(exc))
    except (SendFailed, outbound.OutboundError, DeskError) as exc:
        if isinstance(exc, outbound.OutboundError) and exc.sent:
            _finish(item.id, OutboxState.UNKNOWN, error=str(exc))
            return reconcile(item.id)
        return _again_later(item.id, _reason(exc))
    return _finish(item.id, OutboxState.SENT, remote_id=remote_id)


def _reason(exc: Exception) -> str:
    return getattr(exc, "detail", None) or str(exc) or type(exc).__name__


def outbound_reply(item: OutboxItem) -> OutboundReply:
    message = db.session.get(Message, item.message_id)
    ticket = db.session.get(Ticket, message.ticket_id)
    newest_inbound = db.session.execute(
        sa.select(Message.external_id, Message.url)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND,
               Message.external_id.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    ).first()
    return OutboundReply(
        outbox_id=item.id,
        text=message.body_text,
        in_reply_to=newest_inbound.external_id if newest_inbound else None,
        thread_key=ticket.thread_key,
        contact_handle=ticket.contact.handle,
        original_url=newest_inbound.url if newest_inbound else None,
        subject=ticket.subject,
    )


def _again_later(item_id: int, reason: str) -> OutboxState:
    item = db.session.get(OutboxItem, item_id)
    if item.attempts >= MAX_ATTEMPTS:
        return _finish(item_id, OutboxState.FAILED,
                       error=f"gave up after {item.attempts} attempts: {reason}")
    delay = BACKOFF[min(item.attempts - 1, len(BACKOFF) - 1)]
    return _finish(item_id, OutboxState.QUEUED, error=reason, next_attempt_at=utcnow() + delay)


def _finish(item_id: int, state: OutboxState, *, error: str | None = None,
            remote_id: str | None = None, next_attempt_at=None) -> OutboxState:  # noqa: ANN001
    item = db.session.get(OutboxItem, item_id)
    message = db.session.get(Message, item.message_id)
    now = utcnow()
    item.state = state
    item.error = error[:2000] if error else None
    item.leased_until = None
    item.next_attempt_at = next_attempt_at
    item.updated_at = now
    if remote_id:
        item.remote_id = remote_id[:200]
        item.sent_at = now
        # Answers to our reply name it: as the message's external id, they find the ticket.
        message.external_id = item.remote_id
    _set_delivery(message, DELIVERY_OF[state], state, error)
    commit()
    return state


def _set_delivery(message: Message, delivery: Delivery, state: OutboxState,
                  error: str | None) -> None:
    message.delivery = delivery
    ticket = db.session.get(Ticket, message.ticket_id)
    audit.record("message.delivery", None, message.ticket_id, message_id=message.id,
                 delivery=delivery, outbox=state, error=error)
    send_after_commit(events.delivery_updated, ticket_id=message.ticket_id,
                      team_id=ticket.team_id, message_id=message.id, delivery=delivery.value)


def reconcile(item_id: int) -> OutboxState:
    """Settle a send of unknown outcome by asking the platform; never resend blindly."""
    item = db.session.get(OutboxItem, item_id)
    if item is None or item.state != OutboxState.UNKNOWN:
        return item.state if item else OutboxState.FAILED
    channel = db.session.get(Channel, item.channel_id)
    reply = outbound_reply(item)
    db.session.rollback()
    connector = connector_for(channel.kind)
    finder = getattr(connector, "find_sent", None)
    if finder is None:
        return _finish(item_id, OutboxState.FAILED,
                       error="it is unknown whether the reply went out (no answer in time); "
                             "check the post before retrying")
    try:
        remote_id = finder(channel, reply)
    except SendRefused as exc:
        return _finish(item_id, OutboxState.FAILED,
                       error=f"it is unknown whether the reply went out ({exc}); check the "
                             "post before retrying")
    except (outbound.OutboundError, SendFailed, DeskError) as exc:
        # Still cannot tell: stays unknown; the sweep asks again.
        item = db.session.get(OutboxItem, item_id)
        item.error = f"checking whether it went out: {_reason(exc)}"[:2000]
        commit()
        return OutboxState.UNKNOWN
    if remote_id:
        return _finish(item_id, OutboxState.SENT, remote_id=remote_id)
    # The platform shows no such reply: it never arrived, so sending again is safe.
    return _again_later(item_id, "the earlier attempt did not arrive")


def sweep() -> dict[str, int]:
    """Periodic: send due retries, settle unknown outcomes and sends cut off mid-way."""
    now = utcnow()
    cut_off = db.session.execute(
        sa.update(OutboxItem)
        .where(OutboxItem.state == OutboxState.SENDING, OutboxItem.leased_until < now)
        .values(state=OutboxState.UNKNOWN, leased_until=None,
                error="the sending worker stopped mid-way")
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    unknown = list(db.session.scalars(
        sa.select(OutboxItem.id).where(OutboxItem.state == OutboxState.UNKNOWN).limit(200)))
    due = list(db.session.scalars(
        sa.select(OutboxItem.message_id).where(
            OutboxItem.state == OutboxState.QUEUED,
            sa.or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))
        .limit(500)))
    db.session.rollback()
    for item_id in unknown:
        reconcile(item_id)
    from desk.jobs import dispatch, task_path
    from desk.replies.jobs import deliver_reply

    for message_id in due:
        dispatch(task_path(deliver_reply), [message_id], "default")
    return {"cut_off": cut_off, "reconciled": len(unknown), "due": len(due)}


def retry(person: Person, message_id: int) -> OutboxItem:
    """A person sends a failed reply again."""
    from desk.inbox.service import get_ticket

    message = db.session.get(Message, message_id)
    if message is None or message.kind != MessageKind.REPLY:
        raise NotFound(f"no reply {message_id}")
    get_ticket(person, message.ticket_id)  # may this person see it at all?
    item = item_for(message_id)
    if item is None or item.state != OutboxState.FAILED:
        raise Conflict("only a failed reply can be sent again")
    item.state = OutboxState.QUEUED
    item.attempts = 0
    item.next_attempt_at = None
    item.error = None
    item.updated_at = utcnow()
    audit.record("message.retry", person, message.ticket_id, message_id=message.id)
    _set_delivery(message, Delivery.QUEUED, OutboxState.QUEUED, None)
    from desk.jobs import enqueue
    from desk.replies.jobs import deliver_reply

    enqueue(deliver_reply, message.id, queue="default")
    commit()
    return item
