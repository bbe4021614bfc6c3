"""Assignment: claims under contention, the auto-assignment decision, a backlog drain.

    .venv/bin/python -m bench.assignment [--db sqlite|postgresql|both]
        [--agents 200] [--tickets 100000] [--drain 10000] [--claimers 50]

For each database: migrate an empty database, bulk-load one team of `--agents`
agents (all online) and `--tickets` open tickets (10 held by each agent, the rest
waiting), then measure

  claims/s     `--claimers` threads, each with its own session, claiming the same
               unassigned tickets in the same order (every ticket fought over by all);
               one process, so the GIL is part of the figure
  decision     desk.assignment.auto.decide() for a random waiting ticket: rule,
               present members with loads, continuity, choice (p50/p95, ms)
  assign       auto.assign_ticket(): the decision plus the locked, conditional take
  drain        auto.drain() handing out the `--drain` oldest waiting tickets
               (everyone has room; the drain stops at that many), with the load
               average when it began

Figures are wall time on this machine, milliseconds unless named otherwise.
"""

import argparse
import random
import threading
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.common import (
    create_bench_app,
    database_names,
    format_table,
    fresh_database,
    load_average,
    machine_summary,
    measure,
    migrate,
    progress,
    refresh_statistics,
)
from bench.dataset import bulk_insert

DB_NAME = "desk-bench-assignment"
HELD = 10  # open tickets each agent holds before the run
TARGET_DECISION_MS = 20.0


def load(app: Flask, agents: int, tickets: int) -> dict[str, Any]:
    """One team, its agents online, one channel, a contact per ticket, open tickets."""
    from desk.extensions import db
    from desk.models import Base, utcnow

    tables = Base.metadata.tables
    now = utcnow()
    start = now - timedelta(days=30)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(tables["teams"].insert().values(id=1, name="Care", created_at=now))
        people = [{"id": n, "email": f"agent{n}@example.com", "name": f"Agent {n}",
                   "is_active_account": True, "created_at": now, "presence": "online",
                   "presence_at": now, "language": "de"} for n in range(1, agents + 1)]
        bulk_insert(connection, tables["people"], people)
        bulk_insert(connection, tables["person_roles"],
                    [{"person_id": p["id"], "role": "agent"} for p in people])
        bulk_insert(connection, tables["team_members"],
                    [{"team_id": 1, "person_id": p["id"]} for p in people])
        connection.execute(tables["channels"].insert().values(
            id=1, slug="webhook", name="Webhook", kind="webhook", is_active=True, team_id=1,
            created_at=now))
        bulk_insert(connection, tables["contacts"], [
            {"id": n, "channel_id": 1, "handle": f"@k{n}", "name": f"K {n}", "reach": 10,
             "created_at": now} for n in range(1, tickets + 1)])
        rows = []
        for n in range(1, tickets + 1):
            holder = (n - 1) // HELD + 1 if n <= agents * HELD else None
            rows.append({
                "id": n, "channel_id": 1, "contact_id": n, "thread_key": f"t{n}",
                "subject": f"Frage {n}", "preview": "", "status": "open" if holder else "new",
                "priority": "normal", "assignee_id": holder, "team_id": 1,
                "escalation_level": 0, "version": 1, "message_count": 1,
                "created_at": start + timedelta(seconds=n), "updated_at": now,
                "assigned_at": now if holder else None,
            })
        bulk_insert(connection, tables["tickets"], rows)
        if connection.dialect.name == "postgresql":
            for table in ("people", "teams", "channels", "contacts", "tickets"):
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
    return {"waiting": list(range(agents * HELD + 1, tickets + 1))}


def set_rule(app: Flask, capacity: int) -> None:
    from desk.assignment.rules import save_rule
    from desk.extensions import db
    from desk.models import Team

    with app.app_context():
        save_rule(db.session.get(Team, 1), None, {"mode": "least_loaded", "capacity": capacity})
        db.session.remove()


def claims_per_second(app: Flask, ticket_ids: list[int], claimers: int) -> dict[str, float]:
    """Every claimer goes through the same tickets in order; each ticket has one winner."""
    from desk.assignment.service import claim
    from desk.errors import Conflict
    from desk.extensions import db
    from desk.models import Person

    barrier = threading.Barrier(claimers + 1)
    won = [0] * claimers
    lost = [0] * claimers
    failed = [0] * claimers

    def work(index: int) -> None:
        with app.app_context():
            barrier.wait()
            for ticket_id in ticket_ids:
                try:
                    # As a request does: the person loaded afresh, then the claim.
                    claim(db.session.get(Person, index + 1), ticket_id)
                    won[index] += 1
                except Conflict:
                    lost[index] += 1
                except Exception as exc:  # noqa: BLE001 - counted, not hidden
                    db.session.rollback()
                    if not any(failed):
                        progress(f"claim failed: {exc!r}"[:300])
                    failed[index] += 1
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    begun = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    return {"tickets": len(ticket_ids), "won": sum(won), "lost": sum(lost),
            "failed": sum(failed), "seconds": elapsed,
            "claims_per_s": sum(won) / elapsed, "attempts_per_s": (sum(won) + sum(lost)) / elapsed}


def run(kind: str, args: argparse.Namespace) -> list[list[Any]]:
    from desk.assignment import auto
    from desk.extensions import db

    url = fresh_database(kind, DB_NAME)
    app = create_bench_app(url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "pool_size": args.claimers + 5, "max_overflow": 10})
    migrate(app)
    progress(f"{kind}: loading {args.agents} agents, {args.tickets} open tickets")
    data = load(app, args.agents, args.tickets)
    refresh_statistics(app)
    waiting = data["waiting"]
    rng = random.Random(5)
    rows = []

    # The decision and the assignment, on a team with room for everyone: the samples
    # of assign_ticket below and the whole drain (which stops at --drain).
    samples = min(args.iterations, 1000) + 50  # measure() adds a few warm-up calls
    set_rule(app, capacity=HELD + -(-(args.drain + samples) // args.agents))
    with app.app_context():
        decision = measure(lambda: (auto.decide(rng.choice(waiting)), db.session.rollback()),
                           args.iterations)
        rows.append([kind, "decision (200 agents, 100k open)", f"{decision.p50:.2f}",
                     f"{decision.p95:.2f}", f"target < {TARGET_DECISION_MS:.0f} ms"])
        picks = iter(waiting[-5000:])
        assign = measure(lambda: auto.assign_ticket(next(picks)), samples - 50)
        rows.append([kind, "assign_ticket (decide + take)", f"{assign.p50:.2f}",
                     f"{assign.p95:.2f}", ""])
        db.session.remove()

    # Drain: the oldest --drain waiting tickets, in batches of auto.TAKE_BATCH.
    load_before = load_average()
    with app.app_context():
        begun = time.perf_counter()
        drained = auto.drain(1, limit=args.drain)
        elapsed = time.perf_counter() - begun
        db.session.remove()
    rows.append([kind, f"drain of {drained} tickets", f"{elapsed:.2f} s",
                 f"{drained / elapsed:.0f} /s",
                 f"{elapsed / max(drained, 1) * 1000:.2f} ms each; load {load_before}"])

    # Claims: the first 500 still waiting, fought over by all claimers.
    with app.app_context():
        fresh = list(db.session.scalars(sa.select(sa.text("id")).select_from(sa.text("tickets"))
                                        .where(sa.text("assignee_id IS NULL"))
                                        .order_by(sa.text("id")).limit(args.claim_tickets)))
        db.session.remove()
    figures = claims_per_second(app, fresh, args.claimers)
    rows.append([kind, f"claims, {args.claimers} claimers on {figures['tickets']} tickets",
                 f"{figures['claims_per_s']:.0f} won/s",
                 f"{figures['attempts_per_s']:.0f} tries/s",
                 f"won {figures['won']}, lost {figures['lost']}, errors {figures['failed']}"])
    with app.app_context():
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--drain", type=int, default=10_000)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--claim-tickets", type=int, default=500)
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    rows: list[list[Any]] = []
    for kind in database_names(args.db):
        rows.extend(run(kind, args))
    print(machine_summary())
    print(f"load average before/after: {load_average()}")
    print(format_table(["db", "what", "p50 / total", "p95 / rate", "note"], rows))


if __name__ == "__main__":
    main()
