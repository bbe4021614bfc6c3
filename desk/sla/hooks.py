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


def inbound_messages(arrivals: list[tuple[Ticket, Message, Contact]]) -> None:
    """Customer messages joined their tickets (a whole intake batch at once): score them,
    weigh the risk, recompute. When that fails, each is tried alone, so one broken ticket
    keeps the others' clocks."""
    from desk.sla import service

    try:
        with savepoint():
            service.inbound_messages(arrivals)
        return
    except Exception:  # noqa: BLE001 - intake must never lose a message over SLA
        if len(arrivals) < 2:
            log.exception("SLA scoring failed for ticket %s", arrivals[0][0].id)
            return
        log.exception("SLA scoring failed for a batch; scoring its messages one by one")
    for arrival in arrivals:
        inbound_messages([arrival])
