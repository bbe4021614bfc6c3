"""The one way to change a ticket row: a conditional UPDATE that bumps its version.

Every writer (status, priority, replies, claims) goes through `change()`, so two
people can never both win a race, and a change made meanwhile is never
overwritten unseen: the loser gets a Conflict and nothing is written.
"""

from typing import Any

import sqlalchemy as sa

from desk.errors import Conflict, NotFound
from desk.extensions import db
from desk.models import Ticket, utcnow


def change(
    ticket_id: int,
    values: dict[str, Any],
    *,
    seen_version: int | None = None,
    only_if: sa.ColumnElement[bool] | None = None,
    conflict: str = "The ticket was changed meanwhile; reload it and try again.",
) -> Ticket:
    """Apply `values` to one ticket if it still is as the caller saw it.

    `seen_version` guards against lost updates; `only_if` adds a condition (for
    example "nobody holds it yet"). Returns the ticket, refreshed.
    """
    statement = (
        sa.update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(version=Ticket.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if seen_version is not None:
        statement = statement.where(Ticket.version == seen_version)
    if only_if is not None:
        statement = statement.where(only_if)
    if db.session.execute(statement).rowcount != 1:
        db.session.rollback()
        exists = db.session.scalar(sa.select(Ticket.id).where(Ticket.id == ticket_id))
        if exists is None:
            raise NotFound(f"ticket {ticket_id} does not exist")
        raise Conflict(conflict)
    ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None  # noqa: S101 - the UPDATE just matched it
    return ticket
