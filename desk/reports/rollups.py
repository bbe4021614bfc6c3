"""Keeping the report tables true: per-ticket facts, then daily sums for the days touched.

`refresh_changed()` (a periodic job, every minute) reads the tickets whose
`updated_at` moved since its last run (every ticket write goes through
desk.tickets.change() or intake, both bump it), recomputes their facts, and
rebuilds the daily rollup of exactly the days those tickets belong to. So a
ticket resolved, reassigned or reopened weeks later is counted anew on the day
it came in. Running twice, or late, only recomputes the same rows.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from desk.extensions import db
from desk.models import (
    AuditEvent,
    FaqEntry,
    FaqLinkUse,
    Message,
    ReportDaily,
    ReportState,
    ReportTicketFact,
    Ticket,
    TicketSla,
    utcnow,
)
from desk.reports.facts import TicketTimes, desk_calendar, is_reopen, ticket_facts

WATERMARK = "rollup.updated_at"
CHANGED = "rollup.changed_at"  # moves only when a run recomputed something
# A transaction that committed a little after the last run may carry an older updated_at.
OVERLAP = timedelta(minutes=2)
ROLLUP_LOCK = 0x5245504F  # the advisory lock key of the rollup writers ("REPO")
BATCH = 2000

_TIMES = (Ticket.id, Ticket.channel_id, Ticket.team_id, Ticket.assignee_id, Ticket.status,
          Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at,
          Ticket.escalation_level, Ticket.sentiment)
# What the SLA module recorded about each clock (desk.sla.clocks.ClockRecord).
_CLOCKS = (TicketSla.ticket_id, TicketSla.policy_id, TicketSla.paused_at,
           TicketSla.first_response_due_at, TicketSla.next_response_due_at,
           TicketSla.resolution_due_at, TicketSla.first_response_outcome,
           TicketSla.resolution_outcome, TicketSla.next_response_met,
           TicketSla.next_response_breached)


def refresh_changed(now: datetime | None = None) -> int:
    """Recompute facts and daily sums for every ticket changed since the last run."""
    now = now or utcnow()
    since = db.session.get(ReportState, WATERMARK)
    start = (since.value - OVERLAP) if since else datetime.min.replace(tzinfo=now.tzinfo)
    count = 0
    days: set[date] = set()
    # Tickets written with a back-dated updated_at (imports, demo data) are new rows:
    # everything above the highest counted id is read too, whatever its updated_at.
    counted_up_to = db.session.scalar(sa.select(sa.func.max(ReportTicketFact.ticket_id))) or 0
    done: set[int] = set()
    cursor: tuple[datetime, int] | None = None
    while True:
        query = (sa.select(Ticket.updated_at, Ticket.id).where(Ticket.updated_at >= start)
                 .order_by(Ticket.updated_at, Ticket.id).limit(BATCH))
        if cursor is not None:
            query = query.where(sa.tuple_(Ticket.updated_at, Ticket.id) > sa.tuple_(*cursor))
        rows = db.session.execute(query).all()
        if not rows:
            break
        seen = {row.id for row in rows}
        days |= _refresh_batch(list(seen), now)
        count += len(rows)
        cursor = (rows[-1].updated_at, rows[-1].id)
        done |= seen if since else set()
    while since:  # on the first run the loop above read every ticket already
        ids = db.session.scalars(sa.select(Ticket.id).where(Ticket.id > counted_up_to)
                                 .order_by(Ticket.id).limit(BATCH)).all()
        if not ids:
            break
        counted_up_to = ids[-1]
        fresh = [ticket_id for ticket_id in ids if ticket_id not in done]
        if fresh:
            days |= _refresh_batch(fresh, now)
            count += len(fresh)
    count += _refresh_settled_clocks(start, now, days)
    count += _refresh_passed_targets(now, days)
    _one_writer_at_a_time()
    rebuild_days(days)
    _set_state(WATERMARK, now)
    if count:
        # Report results cached before are stale now; the wall clock (not `now`, which a
        # caller may set) makes every change a new version.
        _set_state(CHANGED, utcnow())
    db.session.commit()
    return count


def _one_writer_at_a_time() -> None:
    """Serialise rollup transactions on PostgreSQL (SQLite has one writer anyway).

    Two runs at once (a slow one and the next, or the CLI beside the scheduler) would
    otherwise delete and re-insert the same rows concurrently: duplicate facts refused,
    or daily sums counted twice. Held until the transaction ends.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ROLLUP_LOCK)))


def _refresh_batch(ticket_ids: Sequence[int], now: datetime) -> set[date]:
    """One short transaction per batch: on SQLite a long one would hold the write lock."""
    _one_writer_at_a_time()
    days = refresh_tickets(ticket_ids, now, rebuild=False)
    db.session.commit()
    return days


def _refresh_settled_clocks(start: datetime, now: datetime, days: set[date]) -> int:
    """Tickets whose SLA outcome was recorded without a ticket change (a policy added,
    the sweep): the SLA module stamps `settled_at`."""
    ids = db.session.scalars(
        sa.select(TicketSla.ticket_id).where(TicketSla.settled_at >= start)).all()
    for chunk in _chunks(ids, BATCH):
        days |= _refresh_batch(chunk, now)
    return len(ids)


def _refresh_passed_targets(now: datetime, days: set[date]) -> int:
    """Tickets with a clock that was running when last counted and has come due since."""
    ids = db.session.scalars(
        sa.select(ReportTicketFact.ticket_id).where(ReportTicketFact.sla_due_at <= now)
    ).all()
    for chunk in _chunks(ids, BATCH):
        days |= _refresh_batch(chunk, now)
    return len(ids)


def _set_state(name: str, now: datetime) -> None:
    state = db.session.get(ReportState, name)
    if state is None:
        db.session.add(ReportState(name=name, value=now))
    else:
        state.value = now
    db.session.flush()


def refresh_tickets(
    ticket_ids: Sequence[int], now: datetime | None = None, *, rebuild: bool = True
) -> set[date]:
    """Recompute the facts of these tickets (and, with `rebuild`, their days); flush only.

    Returns the days the tickets belong to, before and after.
    """
    now = now or utcnow()
    calendar = desk_calendar()
    from flask import current_app

    negative_below = current_app.config["DESK_SENTIMENT_NEGATIVE_BELOW"]
    ids = list(ticket_ids)
    days = set(db.session.scalars(
        sa.select(ReportTicketFact.day).where(ReportTicketFact.ticket_id.in_(ids)).distinct()
    ))
    tickets = [TicketTimes(*row[:4], row.status.value, *row[5:])
               for row in db.session.execute(sa.select(*_TIMES).where(Ticket.id.in_(ids)))]
    clocks = {row.ticket_id: row for row in db.session.execute(
        sa.select(*_CLOCKS).where(TicketSla.ticket_id.in_(ids)))}
    reopens = reopen_counts(ids)
    topics = ticket_topics(ids)
    facts = [ticket_facts(ticket, clocks=clocks.get(ticket.id),
                          reopen_count=reopens.get(ticket.id, 0),
                          topic=topics.get(ticket.id), now=now, calendar=calendar,
                          negative_below=negative_below) for ticket in tickets]
    db.session.execute(sa.delete(ReportTicketFact).where(ReportTicketFact.ticket_id.in_(ids)))
    if facts:
        # Core executemany (batched); the ORM's bulk insert would split the rows into
        # many small groups by which columns are NULL.
        db.session.execute(ReportTicketFact.__table__.insert(), facts)
    days.update(fact["day"] for fact in facts)
    if rebuild:
        rebuild_days(days)
    return days


def reopen_counts(ticket_ids: Sequence[int]) -> dict[int, int]:
    """How often each ticket went from resolved back to work (audited status changes)."""
    counts: dict[int, int] = {}
    rows = db.session.execute(
        sa.select(AuditEvent.ticket_id, AuditEvent.data).where(
            AuditEvent.ticket_id.in_(ticket_ids), AuditEvent.action == "ticket.status")
    )
    for ticket_id, data in rows:
        if is_reopen(data or {}):
            counts[ticket_id] = counts.get(ticket_id, 0) + 1
    return counts


def ticket_topics(ticket_ids: Sequence[int]) -> dict[int, str]:
    """A ticket's topic: the category of the first FAQ entry its replies linked to."""
    rows = db.session.execute(
        sa.select(Message.ticket_id, FaqEntry.category)
        .join(FaqLinkUse, FaqLinkUse.message_id == Message.id)
        .join(FaqEntry, FaqEntry.id == FaqLinkUse.entry_id)
        .where(Message.ticket_id.in_(ticket_ids))
        .order_by(FaqLinkUse.id.desc())
    )
    return {ticket_id: category for ticket_id, category in rows}  # the first link wins


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


# The columns of report_daily, in the order daily_sums() selects them.
DAILY_KEYS = ("day", "channel_id", "team_id", "assignee_id")
DAILY_COUNTS = ("tickets", "spam", "open", "answered", "resolved", "ever_resolved", "reopened",
                "escalated", "with_sentiment", "negative", "sla_fr_met", "sla_fr_breached",
                "sla_res_met", "sla_res_breached", "sla_nr_met", "sla_nr_breached")


def daily_sums(where: sa.ColumnElement[bool]) -> sa.Select:
    """report_daily's rows computed from the facts that match `where`.

    The rollup stores them for whole days; a report filtered by tag sums the tagged
    tickets' facts the same way on the fly (desk.reports.metrics.daily_source).
    """
    fact = ReportTicketFact
    counted = fact.is_spam.is_(False)
    counts = (
        _count(counted), _count(fact.is_spam.is_(True)),
        _count(counted & fact.is_open.is_(True)),
        _count(counted & fact.is_answered.is_(True)),
        _count(counted & fact.is_resolved.is_(True)),
        _count(counted & (fact.is_resolved.is_(True) | (fact.reopen_count > 0))),
        _count(counted & (fact.reopen_count > 0)),
        _count(counted & fact.is_escalated.is_(True)),
        _count(counted & fact.sentiment.is_not(None)),
        _count(counted & fact.is_negative.is_(True)),
        _count(fact.sla_first_response == "met"),
        _count(fact.sla_first_response == "breached"),
        _count(fact.sla_resolution == "met"),
        _count(fact.sla_resolution == "breached"),
        sa.func.coalesce(sa.func.sum(fact.sla_next_met), 0),
        sa.func.coalesce(sa.func.sum(fact.sla_next_breached), 0),
    )
    keys = [getattr(fact, name) for name in DAILY_KEYS]
    return (
        sa.select(*(key.label(name) for key, name in zip(keys, DAILY_KEYS, strict=True)),
                  *(count.label(name) for count, name in zip(counts, DAILY_COUNTS, strict=True)))
        .where(where)
        .group_by(*keys)
    )


def rebuild_days(days: Iterable[date]) -> None:
    """Replace the daily sums of these days with fresh sums of their facts (flush only)."""
    days = sorted(set(days))
    if not days:
        return
    for chunk in _chunks(days, 31):
        db.session.execute(sa.delete(ReportDaily).where(ReportDaily.day.in_(chunk)))
        db.session.execute(sa.insert(ReportDaily).from_select(
            [*DAILY_KEYS, *DAILY_COUNTS], daily_sums(ReportTicketFact.day.in_(chunk))))
    db.session.flush()


def rebuild_all() -> int:
    """Recompute every ticket's facts and every day (after a calendar change, or once)."""
    db.session.execute(sa.delete(ReportState).where(ReportState.name == WATERMARK))
    db.session.commit()
    return refresh_changed()


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
