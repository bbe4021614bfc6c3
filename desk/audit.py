"""Writing the audit log, inside the unit of work that made the change."""

from typing import Any

import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Person


def record(action: str, actor: Person | None, ticket_id: int | None = None, **data: Any) -> None:
    """Add one audit entry to the current transaction; it commits with the change."""
    db.session.add(
        AuditEvent(
            action=action,
            actor_id=actor.id if actor else None,
            ticket_id=ticket_id,
            data={key: _plain(value) for key, value in data.items()},
        )
    )


def record_many(action: str, actor: Person | None,
                entries: list[tuple[int | None, dict[str, Any]]]) -> None:
    """Write many entries of one action in a single executemany (a batch of changes)."""
    if not entries:
        return
    db.session.execute(sa.insert(AuditEvent), [
        {"action": action, "actor_id": actor.id if actor else None, "ticket_id": ticket_id,
         "data": {key: _plain(value) for key, value in data.items()}}
        for ticket_id, data in entries])


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value
