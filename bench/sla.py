"""SLA: the escalation sweep at 1,000,000 open tickets, and sentiment scoring throughput.

    .venv/bin/python -m bench.sla [--db sqlite|postgresql|both] [--tickets 1000000]
        [--due 10,100,1000] [--iterations 20]

For each database: migrate an empty database, bulk-load `--tickets` open tickets with
their `ticket_sla` rows (COPY on PostgreSQL, executemany on SQLite), all with their
next sweep moment (`check_at`) in the future except `due` of them, refresh planner
statistics, then time

  select      the sweep's query for due tickets (desk.sla.escalation.due_ticket_ids)
  sweep       desk.sla.escalation.sweep(): select, then for each due ticket recompute
              its clocks, raise the breach (one escalation row, level and priority up,
              an audit entry), in one transaction with a savepoint per ticket

Before every timed sweep the due tickets are put back as they were (untimed), so each
run does the same work. Milliseconds, p50/p95. Then sentiment: messages per second for
German and English texts from the labelled sets (tests/sentiment_data.py), and their
accuracy.
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.common import (
    create_bench_app,
    database_names,
    format_table,
    fresh_database,
    git_revision,
    machine_summary,
    migrate,
    progress,
    refresh_statistics,
    summarize,
)

DB_NAME = "desk-bench-sla"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHUNK = 50_000
TARGET_MS = 50.0


def load(app, tickets: int, due: int) -> None:
    """`tickets` open tickets under one round-the-clock policy; `due` of them due now."""
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import Channel, ChannelKind, Contact, SlaPolicy

    with app.app_context():
        channel = Channel(slug="bench", name="Bench", kind=ChannelKind.WEBHOOK, secret="x")  # noqa: S106
        db.session.add(channel)
        db.session.flush()
        contact = Contact(channel_id=channel.id, handle="@bench", reach=10)
        policy = SlaPolicy(
            name="Bench", position=10, first_response_minutes=60, next_response_minutes=60,
            resolution_minutes=100_000, pause_statuses=[], max_level=3, repeat_minutes=60,
            calendar={"timezone": "Europe/Berlin",
                      "hours": {d: [["00:00", "24:00"]] for d in
                                ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
            updated_at=NOW)
        db.session.add_all([contact, policy])
        commit()
        ids = (channel.id, contact.id, policy.id)
        connection = db.session.connection()
        _copy_rows(connection, tickets, due, ids)
        commit()


def _copy_rows(connection: sa.Connection, tickets: int, due: int, ids: tuple[int, ...]) -> None:
    channel_id, contact_id, policy_id = ids
    from desk.models import Ticket, TicketSla

    for start in range(0, tickets, CHUNK):
        ticket_rows, sla_rows = [], []
        for n in range(start + 1, min(start + CHUNK, tickets) + 1):
            is_due = n % (tickets // due) == 0 if due else False
            created = NOW - timedelta(minutes=120 if is_due else 10) - timedelta(seconds=n % 600)
            first_due = created + timedelta(minutes=60)
            # Not due: warned already, the breach is 50 minutes away.
            check = first_due if not is_due else NOW - timedelta(minutes=30)
            ticket_rows.append({
                "id": n, "channel_id": channel_id, "contact_id": contact_id,
                "thread_key": f"t{n}", "subject": "Bench", "preview": "", "status": "open",
                "priority": "normal", "due_at": first_due, "escalation_level": 0, "version": 1,
                "message_count": 0, "created_at": created, "updated_at": created})
            sla_rows.append({
                "ticket_id": n, "policy_id": policy_id, "first_response_due_at": first_due,
                "resolution_due_at": created + timedelta(minutes=100_000),
                "warn_at": created + timedelta(minutes=48), "check_at": check,
                "paused_minutes": 0.0, "updated_at": created})
        _insert(connection, Ticket.__table__, ticket_rows)
        _insert(connection, TicketSla.__table__, sla_rows)
        progress(f"  {min(start + CHUNK, tickets):,} tickets")


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    columns = list(rows[0])
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_pg(row[name]) for name in columns])
        return
    connection.execute(table.insert(), rows)


def _pg(value):  # noqa: ANN001, ANN202 - COPY takes text for timestamps
    return value.isoformat() if isinstance(value, datetime) else value


def due_ids(app, due: int, tickets: int) -> list[int]:
    step = tickets // due
    return [n for n in range(step, tickets + 1, step)][:due]


def reset(app, ticket_ids: list[int]) -> None:
    """Put the due tickets back as they were before a sweep (untimed)."""
    from desk.extensions import db
    from desk.models import AuditEvent, Escalation, Ticket, TicketSla

    with app.app_context():
        db.session.execute(sa.delete(Escalation))
        db.session.execute(sa.delete(AuditEvent))
        db.session.execute(sa.update(Ticket).where(Ticket.id.in_(ticket_ids))
                           .values(priority="normal", escalation_level=0,
                                   created_at=NOW - timedelta(minutes=90)))
        created = NOW - timedelta(minutes=90)
        db.session.execute(sa.update(TicketSla).where(TicketSla.ticket_id.in_(ticket_ids))
                           .values(check_at=NOW - timedelta(minutes=42),
                                   warn_at=created + timedelta(minutes=48),
                                   first_response_due_at=created + timedelta(minutes=60)))
        db.session.commit()
        db.session.remove()


def set_due(app, tickets: int, due: int) -> list[int]:
    """Make exactly `due` tickets due (spread over the table), the rest not."""
    from desk.extensions import db
    from desk.models import TicketSla

    ids = due_ids(app, due, tickets)
    with app.app_context():
        db.session.execute(sa.update(TicketSla).where(TicketSla.check_at <= NOW)
                           .values(check_at=NOW + timedelta(minutes=50)))
        db.session.commit()
    reset(app, ids)
    return ids


def time_sweep(app, ids: list[int], iterations: int) -> tuple[list[float], list[float], int]:
    from desk.extensions import db
    from desk.sla.escalation import due_ticket_ids, sweep

    selects, sweeps, raised = [], [], 0
    for _ in range(iterations):
        reset(app, ids)
        with app.app_context():
            start = time.perf_counter_ns()
            found = due_ticket_ids(NOW, limit=len(ids) + 1)
            selects.append((time.perf_counter_ns() - start) / 1e6)
            db.session.rollback()
            assert len(found) == len(ids), (len(found), len(ids))
            start = time.perf_counter_ns()
            report = sweep(NOW)
            sweeps.append((time.perf_counter_ns() - start) / 1e6)
            raised = len(report.raised)
            db.session.remove()
    return selects, sweeps, raised


def explain(app) -> str:
    from desk.extensions import db
    from desk.sla.escalation import due_ticket_ids

    with app.app_context():
        engine = db.engine
        statement = None

        def capture(conn, cursor, sql, parameters, context, executemany):  # noqa: ANN001
            nonlocal statement
            statement = (sql, parameters)

        sa.event.listen(engine, "before_cursor_execute", capture)
        due_ticket_ids(NOW)
        sa.event.remove(engine, "before_cursor_execute", capture)
        db.session.rollback()
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = db.session.connection().exec_driver_sql(prefix + statement[0], statement[1])
        plan = " | ".join(str(row[-1]) for row in rows)
        db.session.rollback()
        return plan


def sentiment_table() -> str:
    sys.path.insert(0, ".")
    from desk.sla.sentiment import score
    from tests.sentiment_data import english_set, german_set, measure

    rows = []
    for name, items in (("German (GermEval 2017 dev)", german_set()),
                        ("English (Bitext, complaint vs requests)", english_set())):
        texts = [(item.text, item.language) for item in items]
        score("warm up", "en")
        start = time.perf_counter()
        rounds = 0
        while time.perf_counter() - start < 3.0:
            for text, language in texts:
                score(text, language)
            rounds += 1
        rate = rounds * len(texts) / (time.perf_counter() - start)
        for threshold in (-0.05, -0.3):
            result = measure(items, threshold)
            rows.append([name, threshold, result.total, round(result.accuracy, 3),
                         round(result.balanced, 3), round(result.precision, 3), round(rate)])
    return format_table(["set", "negative if <=", "messages", "accuracy", "balanced acc",
                         "precision", "messages/s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", default="10,100,1000")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--skip-sentiment", action="store_true")
    args = parser.parse_args()
    revision = git_revision()
    rows = []
    plans = []
    for kind in database_names(args.db):
        url = fresh_database(kind, DB_NAME)
        app = create_bench_app(url)
        migrate(app)
        progress(f"{kind}: loading {args.tickets:,} open tickets")
        started = time.perf_counter()
        load(app, args.tickets, 0)
        progress(f"{kind}: loaded in {time.perf_counter() - started:.0f} s; statistics")
        refresh_statistics(app)
        plans.append(f"{kind}: {explain(app)}")
        for due in (int(d) for d in args.due.split(",")):
            ids = set_due(app, args.tickets, due)
            selects, sweeps, raised = time_sweep(app, ids, args.iterations)
            select, swept = summarize(selects), summarize(sweeps)
            rows.append([kind, args.tickets, due, raised, round(select.p50, 2),
                         round(select.p95, 2), round(swept.p50, 1), round(swept.p95, 1),
                         round(swept.p50 / due, 2)])
            progress(f"{kind}: due {due}: sweep p50 {swept.p50:.1f} ms")
    print(f"SLA sweep (target: under {TARGET_MS:.0f} ms with 100 due of 1,000,000)\n")
    print(format_table(["database", "open tickets", "due", "raised", "select p50",
                        "select p95", "sweep p50", "sweep p95", "ms per due"], rows))
    print("\nplans of the select:\n" + "\n".join(plans))
    if not args.skip_sentiment:
        print("\nsentiment scoring\n")
        print(sentiment_table())
    print("\n" + machine_summary(revision=revision))


if __name__ == "__main__":
    main()
