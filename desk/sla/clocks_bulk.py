"""Recomputing many tickets' clocks: after a policy was added, changed or removed."""

import logging

import sqlalchemy as sa

from desk.commits import commit
from desk.extensions import db
from desk.inbox.queue import OPEN_CONDITION
from desk.models import Ticket
from desk.sla.clocks import recompute
from desk.sla.policies import list_policies

log = logging.getLogger(__name__)


def recompute_open_tickets(batch: int = 1000) -> int:
    """Every open ticket, in id order, committed a batch at a time; returns how many."""
    done, after = 0, 0
    while True:
        tickets = list(db.session.scalars(
            sa.select(Ticket).where(OPEN_CONDITION, Ticket.id > after)
            .order_by(Ticket.id).limit(batch)))
        if not tickets:
            return done
        list_policies()  # warm the identity map: every ticket below matches against them
        for ticket in tickets:
            try:
                recompute(ticket)
            except Exception:  # noqa: BLE001 - one broken ticket never stops the others
                log.exception("SLA recompute failed for ticket %s", ticket.id)
        after = tickets[-1].id
        done += len(tickets)
        commit()
