"""Reports on a large desk: API and page times, and what the rollup job costs.

Loads N tickets (default 1,000,000) spread evenly over the last 365 days on 5
channels, 3 teams and 20 agents (people and channels from bench.dataset; the
tickets themselves streamed with COPY on PostgreSQL, executemany on SQLite,
without messages: the reports read tickets, audit events and the rollups).
About 3 % of the tickets were reopened (an audited status change each).

Then:
1. the initial rollup: `rebuild_all()` over every ticket (facts + daily sums),
   reported in total and per day of data;
2. the periodic job after one day's tickets changed (their `updated_at` bumped):
   `refresh_changed()`, i.e. what a day of late changes costs;
3. every standard report through GET /api/v1/reports/<name> (management token),
   for the last 30 days and the last 365 days, plus the /reports page for
   management, a supervisor and an agent; p50/p95 in ms. API series run cold (the
   report cache emptied before each request, so every query runs); the page both
   cold and cached (results kept until the rollups change, desk/reports/cache.py).

    python -m bench.reports --db postgresql            # 1,000,000 tickets
    python -m bench.reports --db sqlite --tickets 200000

PostgreSQL database: BENCH_REPORTS_POSTGRES_URL, or BENCH_POSTGRES_URL if it names a
database other than the shared desk_bench, or desk_bench_reports. It is dropped and
refilled unless --reuse finds it loaded.
"""

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench import dataset
from bench.common import (
    PG_URL,
    create_bench_app,
    database_names,
    format_table,
    fresh_database,
    git_revision,
    load_average,
    machine_summary,
    measure,
    migrate,
    progress,
    refresh_statistics,
)

DB_NAME = "desk_bench_reports"


def _reports_url() -> str:
    """Its own PostgreSQL database, never the shared desk_bench others' benchmarks drop and
    refill: BENCH_REPORTS_POSTGRES_URL, else BENCH_POSTGRES_URL when it names a database of
    its own, else desk_bench_reports beside the shared one."""
    if os.environ.get("BENCH_REPORTS_POSTGRES_URL"):
        return os.environ["BENCH_REPORTS_POSTGRES_URL"]
    url = sa.make_url(PG_URL)
    if "BENCH_POSTGRES_URL" not in os.environ or url.database == "desk_bench":
        url = url.set(database=DB_NAME)
    return url.render_as_string(hide_password=False)


PG_REPORTS_URL = _reports_url()
REPORT_NAMES = ("volume", "response", "sla", "agents", "sentiment", "topics", "faq", "csat",
                "backlog", "reopens", "escalations", "summary")
STATUS = (("new", 4), ("open", 5), ("pending", 3), ("resolved", 83), ("spam", 5))


def ticket_rows(count: int, loaded: dataset.Loaded, rng: random.Random,
                people: dict[str, list[int]], contacts: int) -> Iterator[dict[str, Any]]:
    """Tickets over the last year; replies and resolutions at plausible delays."""
    now = datetime.now(UTC)
    statuses = [s for s, w in STATUS for _ in range(w)]
    channels = list(loaded.channel_ids.items())
    channel_team = {slug: team for slug, _, team in dataset.CHANNELS}
    for n in range(count):
        created = now - timedelta(seconds=rng.random() * 365 * 86400)
        slug, channel_id = channels[n % len(channels)]
        team = channel_team[slug]
        team_id = loaded.team_ids[team] if team else None
        status = rng.choice(statuses)
        answered = status != "spam" and (status in ("resolved", "pending") or rng.random() < 0.5)
        first = created + timedelta(seconds=rng.expovariate(1 / 7200)) if answered else None
        resolved = (first or created) + timedelta(seconds=rng.expovariate(1 / 40000)) \
            if status == "resolved" else None
        pool = people[team or "Bahn"]
        yield {
            "channel_id": channel_id, "contact_id": 1 + n % contacts,
            "thread_key": f"bench-{n}", "subject": "Zug ausgefallen", "preview": "Zug",
            "status": status, "priority": "normal",
            "assignee_id": rng.choice(pool) if answered else None, "team_id": team_id,
            "due_at": created + timedelta(hours=4) if n % 3 == 0 else None,
            "escalation_level": 1 if rng.random() < 0.02 else 0,
            "sentiment": round(rng.uniform(-1, 1), 2) if rng.random() < 0.8 else None,
            "version": 1, "message_count": 1, "last_message_at": resolved or first or created,
            "first_response_at": first, "resolved_at": resolved,
            "created_at": created, "updated_at": resolved or first or created,
        }


def stream_insert(connection: sa.Connection, table: sa.Table,
                  rows: Iterator[dict[str, Any]], columns: list[str]) -> None:
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        return
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 5000:
            connection.execute(table.insert(), chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)


def load(app: Flask, tickets: int) -> dataset.Loaded:
    from desk.extensions import db

    loaded = dataset.load(app, tickets=1000, messages=1000, contacts=20_000)
    rng = random.Random(7)
    with app.app_context():
        people: dict[str, list[int]] = {}
        for team, team_id in loaded.team_ids.items():
            people[team] = list(db.session.scalars(sa.text(
                "SELECT person_id FROM team_members WHERE team_id = :t"), {"t": team_id}))
        db.session.remove()
        tables = db.metadata.tables
        columns = list(next(ticket_rows(1, loaded, random.Random(0), people, 20_000)))
        progress(f"  streaming {tickets:,} tickets")
        with db.engine.begin() as connection:
            stream_insert(connection, tables["tickets"],
                          ticket_rows(tickets, loaded, rng, people, 20_000), columns)
        with db.engine.begin() as connection:
            # About 3 % of the resolved tickets were reopened once (and resolved again).
            connection.execute(sa.text(
                "INSERT INTO audit_events (action, ticket_id, data, created_at) "
                "SELECT 'ticket.status', id, :data, updated_at FROM tickets "
                "WHERE status = 'resolved' AND id % 32 = 0"),
                {"data": '{"old": "resolved", "new": "open"}'})
    return loaded


def timed(label: str, run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    progress(f"  {label}: {seconds:.1f} s")
    return seconds


def rollup_figures(app: Flask, days: int) -> list[list[Any]]:
    from desk.extensions import db
    from desk.reports import rollups

    rows = []
    with app.app_context():
        total = timed("initial rollup", rollups.rebuild_all)
        facts = db.session.scalar(sa.text("SELECT count(*) FROM report_ticket_facts"))
        rows.append(["initial rollup (every ticket)", facts, round(total, 1),
                     round(total / days * 1000)])
        # One day of late changes: every ticket of a day some weeks ago was touched.
        day = datetime.now(UTC) - timedelta(days=40)
        touched = db.session.execute(sa.text(
            "UPDATE tickets SET updated_at = :now WHERE created_at >= :a AND created_at < :b"),
            {"now": datetime.now(UTC), "a": day, "b": day + timedelta(days=1)}).rowcount
        db.session.commit()
        seconds = timed("one day changed", rollups.refresh_changed)
        rows.append(["periodic job, one day's tickets changed", touched, round(seconds, 2),
                     round(seconds * 1000)])
        seconds = timed("again at once", rollups.refresh_changed)
        rows.append(["periodic job again at once (re-reads its 2-minute overlap)", touched,
                     round(seconds, 3), round(seconds * 1000)])
    return rows


def token_for(app: Flask, email: str) -> str:
    from desk.auth.service import create_token

    with app.app_context():
        return create_token(email)


def add_management(app: Flask) -> None:
    from desk.auth.service import create_person
    from desk.models import Role

    with app.app_context():
        create_person("chief@bench.example", "Chief", [Role.MANAGEMENT], dataset.PASSWORD, "de")


def get_runner(client: Any, path: str, headers: dict[str, str] | None = None,
               cold: bool = True) -> Callable[[], Any]:
    """GET path; `cold` empties the report cache first, so the queries run every time."""
    from desk.reports import cache

    def run() -> Any:
        if cold:
            cache.clear()
        response = client.get(path, headers=headers or {})
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        return response.get_data()

    return run


def request_figures(app: Flask, args: argparse.Namespace) -> list[list[Any]]:
    from desk.reports.service import desk_today

    with app.app_context():
        today = desk_today()
    token = token_for(app, "chief@bench.example")
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    rows = []
    for days in args.days:
        start = (today - timedelta(days=days - 1)).isoformat()
        for name in REPORT_NAMES:
            path = f"/api/v1/reports/{name}?from={start}&to={today}"
            stats = measure(get_runner(api, path, headers), args.iterations, args.warmup,
                            args.budget)
            rows.append([f"api {name}", days, stats.n, stats.p50, stats.p95])
        stats = measure(get_runner(api, f"/api/v1/reports/response?from={start}&to={today}"
                                   "&team=Bahn&format=csv", headers),
                        args.iterations, args.warmup, args.budget)
        rows.append(["api response team=Bahn csv", days, stats.n, stats.p50, stats.p95])
    for who, email in (("management", "chief@bench.example"),
                       ("supervisor", dataset.SUPERVISOR_EMAIL),
                       ("agent", dataset.AGENT_EMAIL)):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": dataset.PASSWORD})
        for cold in (True, False):
            stats = measure(get_runner(client, "/reports", cold=cold), args.iterations,
                            args.warmup, args.budget)
            rows.append([f"page /reports ({who}), {'cold' if cold else 'cached'}", 30,
                         stats.n, stats.p50, stats.p95])
    return rows


def loaded_already(tickets: int) -> bool:
    engine = sa.create_engine(PG_REPORTS_URL)
    try:
        with engine.connect() as connection:
            facts = connection.execute(sa.text("SELECT count(*) FROM report_ticket_facts"))
            return facts.scalar_one() > tickets
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def own_database(kind: str) -> str:
    """A fresh database of this kind, named for this benchmark alone."""
    if kind == "sqlite":
        return fresh_database(kind, DB_NAME)
    target = sa.make_url(PG_REPORTS_URL)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    return PG_REPORTS_URL


def run_database(kind: str, args: argparse.Namespace) -> tuple[list[list[Any]], list[list[Any]]]:
    if args.reuse and kind == "postgresql" and loaded_already(args.tickets):
        app = create_bench_app(PG_REPORTS_URL)
        progress(f"{kind}: reusing the loaded database")
        rollups: list[list[Any]] = []
    else:
        url = own_database(kind)
        app = create_bench_app(url)
        migrate(app)
        progress(f"{kind}: loading")
        timed("load", lambda: load(app, args.tickets))
        add_management(app)
        refresh_statistics(app)
        rollups = rollup_figures(app, 365)
    refresh_statistics(app)
    progress(f"{kind}: timing requests")
    requests = request_figures(app, args)
    return ([[kind, *row] for row in rollups], [[kind, *row] for row in requests])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="postgresql")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--budget", type=float, default=5.0,
                        help="seconds per series at most (at least 30 samples)")
    parser.add_argument("--days", type=lambda text: [int(d) for d in text.split(",")],
                        default=[30, 365], help="report periods to time, e.g. 30,365")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: keep an already loaded and rolled-up database")
    args = parser.parse_args(argv)
    revision = git_revision()
    start_load = load_average()
    rollup_rows: list[list[Any]] = []
    request_rows: list[list[Any]] = []
    for kind in database_names(args.db):
        rollups, requests = run_database(kind, args)
        rollup_rows += rollups
        request_rows += requests
    pg = PG_REPORTS_URL if "postgresql" in database_names(args.db) else None
    print(machine_summary(pg, revision))
    print(f"load average at start (1/5/15 min): {start_load}")
    print(f"\nreports, {args.tickets:,} tickets over 365 days ({date.today()})\n")
    print(format_table(["db", "rollup", "tickets", "seconds", "ms per day of data"],
                       rollup_rows))
    print()
    print(format_table(["db", "request", "days", "n", "p50 ms", "p95 ms"], request_rows))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
