"""Delivery of replies to the channel they answer (through the outbox)."""

from desk.replies import outbox


def deliver_reply(message_id: int) -> None:
    """Send one queued reply. Idempotent: a reply already handled or leased is left alone."""
    outbox.deliver(message_id)


def sweep_outbox() -> dict[str, int]:
    """Periodic: due retries, unknown outcomes, sends cut off by a dying worker."""
    return outbox.sweep()
