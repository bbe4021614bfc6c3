"""The calls other capabilities make, in their own unit of work, to keep SLA clocks current.

They never fail the caller: an SLA problem (a bug, an unusable calendar) is
logged and rolled back to a savepoint, and the message or change is kept; the
ticket's clocks catch up with its next change or the next full recompute.
"""

import logging
from datetime import datetime

from desk.commits import savepoint
from desk.models import Contact, Message, Ticket, utcnow

log = logging.getLogger(__name__)


def ticket_changed(ticket: Ticket) -> None:
    """Status, priority or a reply changed: recompute the clocks."""
    from desk.sla import service

    try:
        with savepoint():
            row = service.ticket_changed(ticket)
    except Exception:  # noqa: BLE001 - the ticket's own change must still be kept
        log.exception("SLA recompute failed for ticket %s", ticket.id)
        return
    _sweep_now_if_due(ticket.id, row.check_at)


def _sweep_now_if_due(ticket_id: int, check_at: datetime | None) -> None:
    """Escalation rules run on events too: a change that made something due (a higher
    priority under a tighter policy, say) is swept right after the commit."""
    if check_at is not None and check_at <= utcnow():
        from desk.jobs import enqueue
        from desk.sla.jobs import sweep_ticket

        enqueue(sweep_ticket, ticket_id)


def inbound_message(ticket: Ticket, message: Message, contact: Contact) -> None:
    """A customer message joined the ticket: score it, weigh the risk, recompute."""
    from desk.sla import service

    try:
        with savepoint():
            service.inbound_message(ticket, message, contact)
    except Exception:  # noqa: BLE001 - intake must never lose a message over SLA
        log.exception("SLA scoring failed for ticket %s", ticket.id)
