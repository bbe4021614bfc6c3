"""The sweep's bulk writes: one short statement each, however many rows.

On PostgreSQL each write sends its rows as one array per column and unnests them
(`INSERT … SELECT … FROM unnest(…)`, `UPDATE … FROM unnest(…)`). Measured on the
bench data (docs/benchmarks.md), a sweep of 100 due tickets takes about a quarter
less time than with executemany: psycopg parsed the 200-row INSERT with its 2,000
named parameters again on every sweep (too long for its statement cache), and the
updates went out one statement per row. SQLite runs in the process, where
executemany of one cached statement is already cheap, so it keeps that.
"""

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from desk.extensions import db
from desk.models import AuditEvent, Escalation, Ticket, TicketSla

_MOMENT = sa.DateTime(timezone=True)
_ESCALATION = {
    "ticket_id": sa.Integer, "policy_id": sa.Integer, "clock": sa.String,
    "clock_started_at": _MOMENT, "level": sa.Integer, "kind": sa.String, "reason": sa.String,
    "raised_by_id": sa.Integer, "notify_id": sa.Integer, "created_at": _MOMENT,
}


def insert_escalations(values: list[dict[str, Any]]) -> list[Any]:
    """Insert the escalations that do not exist yet; the rows inserted (id, ticket_id,
    clock, level, reason). ON CONFLICT DO NOTHING: a row another sweep took is skipped."""
    if not values:
        return []
    table = Escalation.__table__
    returning = (table.c.id, table.c.ticket_id, table.c.clock, table.c.level, table.c.reason)
    if not _on_postgresql():
        # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs.
        statement = sqlite.insert(table).on_conflict_do_nothing().returning(*returning)
        return list(db.session.connection().execute(statement, values).all())
    rows = _unnest(_ESCALATION, [{**row, "kind": getattr(row["kind"], "value", row["kind"])}
                                 for row in values])
    statement = (postgresql.insert(table).from_select(list(_ESCALATION), sa.select(*rows.c))
                 .on_conflict_do_nothing().returning(*returning))
    return list(db.session.connection().execute(statement).all())


def raise_tickets(updates: list[dict[str, Any]], now: datetime) -> None:
    """Set each ticket's level and priority (`b_id`, `b_level`, `b_priority`), version up."""
    if not updates:
        return
    table = Ticket.__table__
    if not _on_postgresql():
        db.session.execute(
            table.update().where(table.c.id == sa.bindparam("b_id")).values(
                escalation_level=sa.bindparam("b_level"), priority=sa.bindparam("b_priority"),
                version=table.c.version + 1, updated_at=now),
            updates)
        return
    rows = _unnest({"b_id": sa.Integer, "b_level": sa.Integer, "b_priority": sa.String},
                   [{**u, "b_priority": u["b_priority"].value} for u in updates])
    db.session.execute(table.update().where(table.c.id == rows.c.b_id).values(
        escalation_level=rows.c.b_level, priority=rows.c.b_priority,
        version=table.c.version + 1, updated_at=now))


def record_audits(entries: list[dict[str, Any]]) -> None:
    """Audit entries (action, actor_id, ticket_id, data, created_at) in one statement."""
    if not entries:
        return
    table = AuditEvent.__table__
    if not _on_postgresql():
        db.session.execute(sa.insert(table), entries)
        return
    columns = {"action": sa.String, "actor_id": sa.Integer, "ticket_id": sa.Integer,
               "data": sa.Text, "created_at": _MOMENT}
    rows = _unnest(columns, [{**e, "data": json.dumps(e["data"])} for e in entries])
    selected = [sa.cast(rows.c.data, sa.JSON) if name == "data" else rows.c[name]
                for name in columns]
    db.session.execute(sa.insert(table).from_select(list(columns), sa.select(*selected)))


def set_checks(checks: list[tuple[int, datetime | None]]) -> None:
    """Each ticket's next sweep moment (None: nothing left to do)."""
    if not checks:
        return
    table = TicketSla.__table__
    values = [{"b_id": ticket_id, "b_check": check_at} for ticket_id, check_at in checks]
    if not _on_postgresql():
        db.session.execute(table.update().where(table.c.ticket_id == sa.bindparam("b_id"))
                           .values(check_at=sa.bindparam("b_check")), values)
        return
    rows = _unnest({"b_id": sa.Integer, "b_check": _MOMENT}, values)
    db.session.execute(table.update().where(table.c.ticket_id == rows.c.b_id)
                       .values(check_at=rows.c.b_check))


def _unnest(columns: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    """The rows as a table: one typed array parameter per column, unnested together."""
    arrays = [sa.bindparam(f"u_{name}", [row[name] for row in rows],
                           type_=postgresql.ARRAY(kind))
              for name, kind in columns.items()]
    return sa.func.unnest(*arrays).table_valued(*columns).render_derived()


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"
