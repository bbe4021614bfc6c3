"""Delivery of replies to the channel they answer."""

from desk.extensions import db
from desk.models import Delivery, Message
from desk.replies.service import mark_delivery


def deliver_reply(message_id: int) -> None:
    """Send one queued reply. Idempotent: a reply already handled is left alone.

    The foundation has no outbound connectors yet (they come with the platform
    connectors), so every channel is read-only for now: the reply is marked for
    a person to post by hand, with the original post one click away.
    """
    message = db.session.get(Message, message_id)
    if message is None or message.delivery != Delivery.QUEUED:
        return
    mark_delivery(message_id, Delivery.MANUAL)
