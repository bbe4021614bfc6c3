"""The queue page at 100k tickets / 300k messages: the app against bare SQL.

    .venv/bin/python -m bench.queue_page [--db sqlite|postgresql|both]
        [--tickets 100000] [--messages 300000] [--iterations 300] [--explain]

For each database: migrate an empty database (Alembic), bulk-load a realistic desk
(bench.dataset), refresh planner statistics, then time the first page (and a later
page, reached by cursor) of the "unassigned" and "mine" views, signed in as a
supervisor and as an agent of one team, at page sizes 25 and 100, through

  html          GET /inbox/<view> with a session cookie (when that route exists)
  api           GET /api/v1/tickets?view=<view>&limit=<size> with a bearer token
  service       desk.inbox.queue.list_page(), then the session ends
  service+cnt   list_page() + view_counts() (what a page with sidebar counts needs)
  bare          hand-written SQL through the raw DBAPI connection: the same joins,
                WHERE, ORDER BY and LIMIT, rows rendered into a trivial string
  bare+cnt      bare + the three capped counts
  bare html     GET /bench/bare-inbox/<view> (bench.bare_page): the same request, sign-in
                and templates as html, on bare SQL (rows, counts, channels); html is
                compared with it, so "html x" is what the ORM and service layer cost

Figures are server time (no network), milliseconds, p50/p95 after warm-up. The
layers of one case are timed in turns (one call of each per round), so load from
elsewhere on the shared machine hits them alike and the ratios to bare SQL stay
fair. "queries" is what SQLAlchemy sent for one page (before_cursor_execute).
"""

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench import dataset
from bench.common import (
    QueryCounter,
    Stats,
    create_bench_app,
    database_names,
    database_url,
    format_table,
    fresh_database,
    git_revision,
    load_average,
    machine_summary,
    measure_interleaved,
    migrate,
    progress,
    refresh_statistics,
)

DB_NAME = "desk-bench"
VIEWS = ("unassigned", "mine")
SIZES = (25, 100)
LATER_PAGE = 3  # "a later page": the third, reached through two cursors
CURSOR_SIZE = 25  # later pages are measured at this page size
TARGET_P95_MS = 10.0
TARGET_RATIO = 2.0
DB_ORDER = {"sqlite": 0, "postgresql": 1}


@dataclass(frozen=True)
class Who:
    label: str  # "supervisor" | "agent"
    person_id: int
    team_ids: tuple[int, ...] | None  # None: sees every team


@dataclass(frozen=True)
class Case:
    who: Who
    view: str
    size: int
    page: str  # "1", the later page actually reached ("3"), or "undated"


@dataclass
class Result:
    db: str
    case: Case
    layer: str
    queries: int | None
    rows: int
    stats: Stats
    baseline: Stats | None = None  # the bare layer this one is compared with


# -- bare SQL ------------------------------------------------------------------------------

ROW_SQL = """
SELECT t.id, t.subject, t.preview, t.status, t.priority, t.due_at, t.created_at,
       t.updated_at, t.last_message_at, t.message_count, t.version, t.team_id,
       t.assignee_id, ch.slug, ch.name, co.handle, co.name, co.reach, p.name, tm.name,
       t.escalation_level, ts.warn_at, ts.paused_at,
       (SELECT {tag_names} FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id
        WHERE tt.ticket_id = t.id) AS tag_names
FROM tickets t
JOIN channels ch ON ch.id = t.channel_id
JOIN contacts co ON co.id = t.contact_id
LEFT JOIN people p ON p.id = t.assignee_id
LEFT JOIN teams tm ON tm.id = t.team_id
LEFT JOIN ticket_sla ts ON ts.ticket_id = t.id
WHERE {where}
ORDER BY {order}
LIMIT {limit}
"""
OPEN_SQL = "t.status IN ('new', 'open', 'pending')"
COUNT_CAP = 1000


class BareQueue:
    """The queue page on hand-written SQL and the raw DBAPI connection."""

    def __init__(self, raw_connection: Any, dialect: str, who: Who) -> None:
        self.connection = raw_connection
        self.dialect = dialect
        self.who = who
        self.executed = 0

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.dialect == "postgresql" else text

    def _tag_names(self) -> str:
        return ("string_agg(tg.name, ' ')" if self.dialect == "postgresql"
                else "group_concat(tg.name, ' ')")

    def _view_where(self, view: str) -> tuple[list[str], list[Any]]:
        where, params = [OPEN_SQL], []
        if self.who.team_ids is not None:
            teams = ", ".join(str(int(team_id)) for team_id in self.who.team_ids) or "NULL"
            where.append(f"(t.team_id IS NULL OR t.team_id IN ({teams}))")
        if view == "unassigned":
            where.append("t.assignee_id IS NULL")
        elif view == "mine":
            # Literal, as the app writes it (desk.models.inline): one plan per person.
            where.append(f"t.assignee_id = {int(self.who.person_id)}")
        return where, params

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), params)
        self.executed += 1
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def rows(self, view: str, size: int, after: tuple[Any, ...] | None) -> list[tuple[Any, ...]]:
        """Up to size + 1 rows in queue order: dated first, then undated (two segments)."""
        where, params = self._view_where(view)
        rows: list[tuple[Any, ...]] = []
        if after is None or after[0] is not None:
            due_where = [*where, "t.due_at IS NOT NULL"]
            due_params = list(params)
            if after is not None:
                due_where.append("(t.due_at, t.created_at, t.id) > (?, ?, ?)")
                due_params.extend(after)
            sql = ROW_SQL.format(where=" AND ".join(due_where), tag_names=self._tag_names(),
                                 order="t.due_at, t.created_at, t.id", limit=size + 1)
            rows.extend(self._fetch(sql, due_params))
        if len(rows) <= size:
            undated_where = [*where, "t.due_at IS NULL"]
            undated_params = list(params)
            if after is not None and after[0] is None:
                undated_where.append("(t.created_at, t.id) > (?, ?)")
                undated_params.extend(after[1:])
            sql = ROW_SQL.format(where=" AND ".join(undated_where), tag_names=self._tag_names(),
                                 order="t.created_at, t.id", limit=size + 1 - len(rows))
            rows.extend(self._fetch(sql, undated_params))
        return rows

    def counts(self) -> dict[str, int]:
        """The three capped counts in one statement, as the app reads them."""
        views = ("open", "unassigned", "mine")
        columns = []
        for view in views:
            where, _ = self._view_where(view)
            columns.append(f"(SELECT count(*) FROM (SELECT t.id FROM tickets t "
                           f"WHERE {' AND '.join(where)} LIMIT {COUNT_CAP}) AS capped)")
        values = self._fetch("SELECT " + ", ".join(columns), [])[0]
        return dict(zip(views, values, strict=True))

    def page(self, view: str, size: int, after: tuple[Any, ...] | None,
             with_counts: bool = False) -> tuple[str, list[tuple[Any, ...]]]:
        """The page as a string (and its rows): what a trivial server would send."""
        rows = self.rows(view, size, after)
        text = "\n".join("|".join(str(value) for value in row) for row in rows[:size])
        if with_counts:
            text += "\n" + repr(self.counts())
        self.connection.rollback()  # a request ends its transaction, as the app's does
        return text, rows

    @staticmethod
    def keyset(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return (row[5], row[6], row[0])  # due_at, created_at, id


# -- the app's layers -----------------------------------------------------------------------


def signed_in_client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": dataset.PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {email} failed: {response.status_code}")
    return client


def html_route_status(client: FlaskClient) -> int:
    return client.get("/inbox/unassigned").status_code


def request_runner(client: FlaskClient, path: str, headers: dict[str, str]) -> Callable[[], Any]:
    def run() -> Any:
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} "
                               f"{response.get_data(as_text=True)[:300]}")
        return response.get_data()

    return run


def service_runner(app: Flask, person: Any, view: str, size: int, cursor: str | None,
                   with_counts: bool) -> Callable[[], Any]:
    from desk.inbox import queue

    wanted = queue.QueueFilter(view=view)

    def run() -> Any:
        # A context per call, as a request has: its session ends (and rolls back) with it.
        with app.app_context():
            page = queue.list_page(person, wanted, cursor, size)
            counts = queue.view_counts(person) if with_counts else None
        return page, counts

    return run


def detached_person(app: Flask, person_id: int) -> Any:
    """The person with roles and teams loaded, usable across sessions (as a request has it)."""
    from desk.extensions import db
    from desk.models import Person

    with app.app_context():
        person = db.session.get(Person, person_id)
        _ = person.roles, person.team_ids
        db.session.expunge_all()
    return person


def count_queries(counter: QueryCounter, run: Callable[[], Any]) -> int:
    with counter.counting():
        run()
    return counter.count


# -- one database ---------------------------------------------------------------------------


@dataclass
class Setup:
    app: Flask
    who: list[Who]
    emails: dict[str, str]
    tokens: dict[str, str]
    loaded: dataset.Loaded | None


def build(kind: str, tickets: int, messages: int, reuse: bool) -> Setup:
    from bench import bare_page
    from desk.auth.service import create_token, find_person
    from desk.extensions import db

    url = database_url(kind, DB_NAME)
    app = create_bench_app(url)
    bare_page.install(app)
    loaded = None
    if reuse and _has_tickets(app, tickets):
        progress(f"{kind}: reusing the loaded database at {url}")
    else:
        with app.app_context():
            db.engine.dispose()
        progress(f"{kind}: fresh database, migrations")
        fresh_database(kind, DB_NAME)
        migrate(app)
        progress(f"{kind}: loading {tickets:,} tickets, {messages:,} messages")
        loaded = dataset.load(app, tickets, messages)
        progress(f"{kind}: loaded {loaded.counts}; ANALYZE")
        refresh_statistics(app)
    with app.app_context():
        supervisor = find_person(dataset.SUPERVISOR_EMAIL)
        agent = find_person(dataset.AGENT_EMAIL)
        who = [Who("supervisor", supervisor.id, None),
               Who("agent", agent.id, tuple(agent.team_ids))]
        emails = {"supervisor": supervisor.email, "agent": agent.email}
        tokens = {label: create_token(email) for label, email in emails.items()}
    return Setup(app, who, emails, tokens, loaded)


def _has_tickets(app: Flask, tickets: int) -> bool:
    from desk.extensions import db

    try:
        with app.app_context():
            return db.session.scalar(sa.text("SELECT count(*) FROM tickets")) == tickets
    except sa.exc.SQLAlchemyError:
        return False


def run_database(kind: str, args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    setup = build(kind, args.tickets, args.messages, args.reuse)
    app = setup.app
    results: list[Result] = []
    notes: list[str] = []
    from desk.extensions import db

    # No app context is held here: every request (and every service call) gets its own,
    # as in production. A shared one would share `g` (Flask-Login caches the user there).
    with app.app_context():
        engine = db.engine
    counter = QueryCounter(engine)
    clients = {label: signed_in_client(app, email) for label, email in setup.emails.items()}
    html_status = html_route_status(clients["supervisor"])
    has_html = html_status == 200
    notes.append(f"{kind}: GET /inbox/unassigned answered {html_status}"
                 + ("" if has_html else " -> the html layer is not measured"))
    raw = engine.raw_connection()
    try:
        for who in setup.who:
            person = detached_person(app, who.person_id)
            bare = BareQueue(raw.driver_connection, engine.dialect.name, who)
            for view in VIEWS:
                for size in SIZES:
                    results.extend(_first_page(kind, app, args, counter, clients, setup,
                                               person, bare, who, view, size, has_html))
                notes.extend(_check_same_rows(kind, app, person, bare, who, view, CURSOR_SIZE))
                results.extend(_later_page(kind, app, args, counter, clients, setup, person,
                                           bare, who, view, CURSOR_SIZE, notes))
                results.extend(_undated_page(kind, app, args, counter, clients, setup, person,
                                             bare, who, view, CURSOR_SIZE, notes))
        if args.explain:
            notes.extend(explain(kind, app, engine, setup, raw.driver_connection, clients))
    finally:
        raw.close()
        app.config["DESK_PAGE_SIZE"] = 25
    return results, notes


def _timed(runs: dict[str, Callable[[], Any]], args: argparse.Namespace) -> dict[str, Stats]:
    """All layers of one case, measured in turns; the budget grows with their number."""
    return measure_interleaved(runs, args.iterations, warmup=args.warmup,
                               budget_s=args.budget * len(runs))


def _first_page(kind: str, app: Flask, args: argparse.Namespace, counter: QueryCounter,
                clients: dict[str, FlaskClient], setup: Setup, person: Any, bare: BareQueue,
                who: Who, view: str, size: int, has_html: bool) -> list[Result]:
    case = Case(who, view, size, "1")
    progress(f"{kind}: {who.label} {view} size {size} page 1")
    _, bare_rows = bare.page(view, size, None)
    rows = min(len(bare_rows), size)
    runs: dict[str, Callable[[], Any]] = {
        "bare": lambda: bare.page(view, size, None),
        "bare+cnt": lambda: bare.page(view, size, None, with_counts=True),
        "service": service_runner(app, person, view, size, None, False),
        "service+cnt": service_runner(app, person, view, size, None, True),
        "api": request_runner(clients[who.label], f"/api/v1/tickets?view={view}&limit={size}",
                              {"Authorization": f"Bearer {setup.tokens[who.label]}"}),
    }
    queries = {
        "bare": _bare_queries(bare, view, size),
        "bare+cnt": _bare_queries(bare, view, size, True),
        **{layer: count_queries(counter, runs[layer])
           for layer in ("service", "service+cnt", "api")},
    }
    baselines = {"service": "bare", "service+cnt": "bare+cnt", "api": "bare"}
    if has_html:
        app.config["DESK_PAGE_SIZE"] = size
        runs["html"] = request_runner(clients[who.label], f"/inbox/{view}", {})
        queries["html"] = count_queries(counter, runs["html"])
        # The same page (request, sign-in, templates) on bare SQL: what the data layer costs.
        runs["bare html"] = request_runner(clients[who.label], f"/bench/bare-inbox/{view}", {})
        queries["bare html"] = None
        baselines["html"] = "bare html"
    try:
        stats = _timed(runs, args)
    finally:
        app.config["DESK_PAGE_SIZE"] = 25
    return [
        Result(kind, case, layer, queries[layer], rows, stats[layer],
               stats[baselines[layer]] if layer in baselines else None)
        for layer in runs
    ]


def _later_page(kind: str, app: Flask, args: argparse.Namespace, counter: QueryCounter,
                clients: dict[str, FlaskClient], setup: Setup, person: Any, bare: BareQueue,
                who: Who, view: str, size: int, notes: list[str]) -> list[Result]:
    """The deepest page up to LATER_PAGE, reached by cursors (app) and keysets (bare)."""
    cursor, after, page_number = walk(app, person, bare, view, size, LATER_PAGE)
    if cursor is None:
        notes.append(f"{kind}: {who.label}/{view}/{size}: a single page, no later page")
        return []
    case = Case(who, view, size, str(page_number))
    return _cursor_page(kind, app, args, counter, clients, setup, person, bare, case,
                        cursor, after, notes)


def _undated_page(kind: str, app: Flask, args: argparse.Namespace, counter: QueryCounter,
                  clients: dict[str, FlaskClient], setup: Setup, person: Any,
                  bare: BareQueue, who: Who, view: str, size: int,
                  notes: list[str]) -> list[Result]:
    """The first page after the last ticket with a due time: the tickets without one
    (every page of a desk without SLA policies looks like this)."""
    cursor, after = undated_start(app, person, bare, view)
    if cursor is None:
        return []
    case = Case(who, view, size, "undated")
    return _cursor_page(kind, app, args, counter, clients, setup, person, bare, case,
                        cursor, after, notes)


def _cursor_page(kind: str, app: Flask, args: argparse.Namespace, counter: QueryCounter,
                 clients: dict[str, FlaskClient], setup: Setup, person: Any,
                 bare: BareQueue, case: Case, cursor: str, after: tuple[Any, ...],
                 notes: list[str]) -> list[Result]:
    view, size = case.view, case.size
    progress(f"{kind}: {case.who.label} {view} size {size} page {case.page}")
    _, bare_rows = bare.page(view, size, after)
    rows = min(len(bare_rows), size)
    service = service_runner(app, person, view, size, cursor, False)
    page, _ = service()
    if [row.id for row in page.rows] != [row[0] for row in bare_rows[:size]]:
        notes.append(f"{kind}: WARNING bare and app rows differ for {case.who.label}/"
                     f"{view}/{size}/page {case.page}")
    api = request_runner(clients[case.who.label],
                         f"/api/v1/tickets?view={view}&limit={size}&cursor={cursor}",
                         {"Authorization": f"Bearer {setup.tokens[case.who.label]}"})
    bare.executed = 0
    bare.page(view, size, after)
    queries = {"bare": bare.executed, "service": count_queries(counter, service),
               "api": count_queries(counter, api)}
    stats = _timed({"bare": lambda: bare.page(view, size, after), "service": service,
                    "api": api}, args)
    return [
        Result(kind, case, layer, queries[layer], rows, stats[layer],
               None if layer == "bare" else stats["bare"])
        for layer in ("bare", "service", "api")
    ]


def undated_start(app: Flask, person: Any, bare: BareQueue,
                  view: str) -> tuple[str | None, tuple[Any, ...] | None]:
    """The cursor the app gives out when a page ends on the last dated ticket, and the
    same keyset in the database's raw form for the bare SQL."""
    from desk.extensions import db
    from desk.inbox import queue
    from desk.models import Ticket

    wanted = queue.QueueFilter(view=view)
    with app.app_context():
        last = db.session.execute(
            sa.select(Ticket.due_at, Ticket.created_at, Ticket.id)
            .where(*queue.conditions(person, wanted), Ticket.due_at.is_not(None))
            .order_by(Ticket.due_at.desc(), Ticket.created_at.desc(), Ticket.id.desc())
            .limit(1)
        ).first()
    if last is None:
        return None, None
    where, params = bare._view_where(view)
    raw = bare._fetch(f"SELECT t.due_at, t.created_at, t.id FROM tickets t "
                      f"WHERE {' AND '.join(where)} AND t.id = ?", [*params, last.id])
    bare.connection.rollback()
    return queue.Cursor(last.due_at, last.created_at, last.id).encode(), tuple(raw[0])


def _bare_queries(bare: BareQueue, view: str, size: int, with_counts: bool = False) -> int:
    bare.executed = 0
    bare.page(view, size, None, with_counts)
    return bare.executed


def walk(app: Flask, person: Any, bare: BareQueue, view: str, size: int,
         page_number: int) -> tuple[str | None, tuple[Any, ...] | None, int]:
    """The app's cursor and the bare keyset of the page `page_number` (or the last one)."""
    from desk.inbox import queue

    cursor: str | None = None
    after: tuple[Any, ...] | None = None
    reached = 1
    wanted = queue.QueueFilter(view=view)
    while reached < page_number:
        with app.app_context():
            page = queue.list_page(person, wanted, cursor, size)
        _, bare_rows = bare.page(view, size, after)
        if page.next_cursor is None or len(bare_rows) <= size:
            break
        cursor, after = page.next_cursor, bare.keyset(bare_rows[size - 1])
        reached += 1
    return cursor, after, reached


def _check_same_rows(kind: str, app: Flask, person: Any, bare: BareQueue, who: Who,
                     view: str, size: int) -> list[str]:
    """The bare SQL must show what the app shows, page after page, or the comparison
    means nothing."""
    from desk.inbox import queue

    cursor: str | None = None
    after: tuple[Any, ...] | None = None
    for number in range(1, LATER_PAGE + 1):
        with app.app_context():
            page = queue.list_page(person, queue.QueueFilter(view=view), cursor, size)
        _, rows = bare.page(view, size, after)
        if [row.id for row in page.rows] != [row[0] for row in rows[:size]]:
            return [f"{kind}: WARNING bare and app rows differ for {who.label}/{view}/"
                    f"{size}/page {number}"]
        if page.next_cursor is None:
            break
        cursor, after = page.next_cursor, bare.keyset(rows[size - 1])
    return []


# -- query plans ----------------------------------------------------------------------------


def explain(kind: str, app: Flask, engine: sa.Engine, setup: Setup, raw: Any,
            clients: dict[str, FlaskClient]) -> list[str]:
    """What one page sends (html and api), and the plans of the app's page and count
    queries next to the bare page query's."""
    from desk.inbox import queue

    out: list[str] = []
    counter = QueryCounter(engine)
    for who in setup.who:
        auth = {"Authorization": f"Bearer {setup.tokens[who.label]}"}
        for layer, path, headers in (("html", "/inbox/unassigned", {}),
                                     ("api", "/api/v1/tickets?view=unassigned", auth)):
            with counter.counting():
                clients[who.label].get(path, headers=headers)
            out.append(f"--- {kind} {who.label}: the {counter.count} statements of "
                       f"GET {path} ({layer}) ---")
            out.extend("  " + " ".join(statement.split())[:160]
                       for statement, _ in counter.statements)
    for who in setup.who:
        person = detached_person(app, who.person_id)
        bare = BareQueue(raw, engine.dialect.name, who)
        for view in VIEWS:
            cursor, after = undated_start(app, person, bare, view)
            for label, page_cursor, page_after in (("first page", None, None),
                                                   ("undated page", cursor, after)):
                if label == "undated page" and cursor is None:
                    continue
                with counter.counting(), app.app_context():
                    queue.list_page(person, queue.QueueFilter(view=view), page_cursor, 25)
                    if page_cursor is None:
                        queue.count(person, queue.QueueFilter(view=view))
                for number, (statement, params) in enumerate(counter.statements, 1):
                    what = "count query" if "count(" in statement else f"query {number}"
                    out.append(f"--- {kind} {who.label} {view} {label}: app {what} ---")
                    out.append(statement.strip())
                    out.append(f"params: {params}")
                    out.extend(_plans(kind, raw, statement, params))
                out.extend(_bare_plans(kind, raw, bare, who, view, label, page_after))
    raw.rollback()
    return out


def _bare_plans(kind: str, raw: Any, bare: BareQueue, who: Who, view: str, label: str,
                after: tuple[Any, ...] | None) -> list[str]:
    where, params = bare._view_where(view)
    if after is None:
        where, order = [*where, "t.due_at IS NOT NULL"], "t.due_at, t.created_at, t.id"
    elif after[0] is not None:  # the page after the last dated ticket: undated from the top
        where, order = [*where, "t.due_at IS NULL"], "t.created_at, t.id"
    else:
        where = [*where, "t.due_at IS NULL", "(t.created_at, t.id) > (?, ?)"]
        order = "t.created_at, t.id"
        params = [*params, *after[1:]]
    sql = ROW_SQL.format(where=" AND ".join(where), tag_names=bare._tag_names(), order=order,
                         limit=26)
    out = [f"--- {kind} {who.label} {view} {label}: bare query ---", sql.strip()]
    out.extend(_plans(kind, raw, bare._sql(sql), params))
    return out


def _plans(kind: str, raw: Any, statement: str, params: Any) -> list[str]:
    cursor = raw.cursor()
    try:
        if kind == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            return ["plan: " + row[-1] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        lines = ["custom plan (the values known when planning):"]
        lines.extend("  " + row[0] for row in cursor.fetchall())
        lines.extend(_generic_plan(raw, statement, params))
        return lines
    finally:
        cursor.close()
        raw.rollback()


def _generic_plan(raw: Any, statement: str, params: Any) -> list[str]:
    """What a prepared statement runs once PostgreSQL switches to its generic plan
    (psycopg prepares a statement from its 5th execution on; PostgreSQL goes generic
    after 5 more if the generic plan looks no more expensive)."""
    import psycopg

    if isinstance(params, dict):
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        numbered = re.sub(r"%\((\w+)\)s", number, statement)
        values = [params[name] for name in names]
    else:
        counter = iter(range(1, 1000))
        numbered = re.sub(r"%s", lambda _: f"${next(counter)}", statement)
        values = list(params)
    client = psycopg.ClientCursor(raw)
    placeholders = ", ".join(["%s"] * len(values))
    try:
        client.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        client.execute(f"PREPARE bench_generic AS {numbered}")
        client.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
                       f"EXECUTE bench_generic({placeholders})", values)
        lines = ["generic plan (plan_cache_mode = force_generic_plan):"]
        lines.extend("  " + row[0] for row in client.fetchall())
        return lines
    finally:
        raw.rollback()
        client.execute("DEALLOCATE ALL")
        client.close()


# -- output ---------------------------------------------------------------------------------


def results_table(results: list[Result]) -> str:
    headers = ("db", "who", "view", "size", "page", "layer", "rows", "queries", "n",
               "p50 ms", "p95 ms", "p50 x bare", "p95 x bare")
    rows = []
    for r in results:
        ratio50 = r.stats.p50 / r.baseline.p50 if r.baseline else None
        ratio95 = r.stats.p95 / r.baseline.p95 if r.baseline else None
        rows.append((r.db, r.case.who.label, r.case.view, r.case.size, r.case.page, r.layer,
                     r.rows, r.queries, r.stats.n, r.stats.p50, r.stats.p95, ratio50, ratio95))
    return format_table(headers, rows)


def targets_table(results: list[Result]) -> str:
    """First pages against the targets: p95 under 10 ms, within 2x of bare SQL, and a
    query count that does not grow with the page size."""
    headers = ("db", "who", "view", "size", "html p95", "bare html p95", "api p95",
               "svc+cnt p95", "bare p95", "bare+cnt p95", "html x", "api x", "svc+cnt x",
               "<10ms", "<=2x", "html queries 25/100", "api queries 25/100")
    firsts = [r for r in results if r.case.page == "1"]
    keys = sorted({(r.db, r.case.who.label, r.case.view, r.case.size) for r in firsts},
                  key=lambda key: (DB_ORDER.get(key[0], 9), key[1] != "supervisor",
                                   VIEWS.index(key[2]), key[3]))

    def find(db: str, who: str, view: str, size: int, layer: str) -> Result | None:
        return next((r for r in firsts if (r.db, r.case.who.label, r.case.view, r.case.size,
                                          r.layer) == (db, who, view, size, layer)), None)

    def queries(db: str, who: str, view: str, layer: str) -> str:
        found = [find(db, who, view, size, layer) for size in SIZES]
        return "/".join(str(r.queries) if r else "-" for r in found)

    rows = []
    for db, who, view, size in keys:
        html = find(db, who, view, size, "html")
        api = find(db, who, view, size, "api")
        service = find(db, who, view, size, "service+cnt")
        bare = find(db, who, view, size, "bare")
        bare_cnt = find(db, who, view, size, "bare+cnt")
        bare_html = find(db, who, view, size, "bare html")
        shown = html or api
        rows.append((
            db, who, view, size,
            html.stats.p95 if html else None, bare_html.stats.p95 if bare_html else None,
            api.stats.p95 if api else None,
            service.stats.p95 if service else None, bare.stats.p95 if bare else None,
            bare_cnt.stats.p95 if bare_cnt else None,
            _ratio95(html), _ratio95(api), _ratio95(service),
            _yes(shown.stats.p95 < TARGET_P95_MS) if shown else "-",
            _yes((_ratio95(shown) or 99) <= TARGET_RATIO) if shown else "-",
            queries(db, who, view, "html"), queries(db, who, view, "api"),
        ))
    return format_table(headers, rows)


def _ratio95(result: Result | None) -> float | None:
    if result is None or result.baseline is None:
        return None
    return result.stats.p95 / result.baseline.p95


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queue_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--budget", type=float, default=2.5,
                        help="seconds per layer and case at most (at least 30 rounds)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an already loaded database of the same size")
    parser.add_argument("--explain", action="store_true",
                        help="print the query plans of the page and count queries")
    args = parser.parse_args(argv)

    results: list[Result] = []
    revision = git_revision()
    notes: list[str] = [f"load average at start (1/5/15 min): {load_average()}"]
    for kind in database_names(args.db):
        found, said = run_database(kind, args)
        results.extend(found)
        notes.extend(said)
    pg = database_url("postgresql", DB_NAME) if "postgresql" in database_names(args.db) else None
    print(machine_summary(pg, revision))
    print(f"\nqueue page, {args.tickets:,} tickets / {args.messages:,} messages, "
          f"{args.iterations} iterations after {args.warmup} warm-up "
          f"(at most {args.budget:g} s per series)\n")
    print(results_table(results))
    print("\ntargets, first pages (x = p95 over the p95 of the bare SQL doing the same "
          "work; html and api are the page as a client gets it):\n")
    print(targets_table(results))
    if notes:
        print()
        print("\n".join(notes))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
