"""Canned replies: picker search over 5,000 replies, and rendering 20 placeholders.

    .venv/bin/python -m bench.canned [--db sqlite|postgresql|both] [--replies 5000] [--runs 200]

Builds its own database (SQLite under /tmp, PostgreSQL `desk_bench_canned`), fills
it through the service as people would, then times the service calls and the
JSON view the picker fetches. Prints a table (ms); never asserts timings.
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/desk_bench_canned"
)
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_DIR", "/tmp")) / "desk-bench-canned.sqlite3"  # noqa: S108

WORDS = ("Verspätung Erstattung Paket Sendung Rechnung Router Störung Vertrag Kündigung "
         "Zugausfall Anschluss Gutschein Lieferung Retoure Passwort Konto Tarif Datenvolumen "
         "Techniker Termin Entschädigung Fahrgastrechte Bahncard Sitzplatz WLAN").split()

TWENTY = (
    "Hallo {{ contact.first_name or 'zusammen' }} ({{ contact.handle }}), {{ contact.name }}: "
    "Ticket {{ ticket.number }} „{{ ticket.subject }}“ über {{ ticket.channel }} vom "
    "{{ ticket.created }}. Heute ist {{ today }}, bis {{ in_days(3) }} melden wir uns, "
    "spätestens {{ in_days(7)|date('short') }}. Sendung {{ ask.tracking_number }}, "
    "Auftrag {{ ask.order }}, Betrag {{ ask.amount }}, Termin {{ ask.date }}.\n\n"
    "{% if ask.note %}{{ ask.note }}{% else %}Keine Notiz.{% endif %} "
    "{{ agent.name }} / {{ agent.first_name|upper }} / {{ ticket.subject|lower }} "
    "{{ contact.first_name|default('du') }} {{ agent.signature }}"
)
ASKED = {"tracking_number": "00340434161094042557", "order": "A-1234", "amount": "12,50 €",
         "date": "morgen", "note": "Gute Fahrt!"}


def ascii_word(word: str) -> str:
    """A word fit for a shortcut: lower case, umlauts spelled out."""
    return word.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    target = sa.make_url(PG_URL)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return PG_URL


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p95 of `runs` calls, in milliseconds (after two warm-up calls)."""
    for _ in range(2):
        work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def run(kind: str, replies: int, runs: int) -> list[tuple[str, str, float, float]]:
    from config import Config
    from desk import create_app
    from desk.auth.service import create_person, team_named
    from desk.canned import service, templating
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import (
        CannedReply,
        CannedScope,
        Channel,
        ChannelKind,
        Contact,
        Message,
        MessageKind,
        Person,
        Role,
        Ticket,
    )

    url = fresh_database(kind)

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = secrets.token_hex(16)
        REDIS_URL = None
        WTF_CSRF_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"

    app = create_app(BenchConfig)
    rows: list[tuple[str, str, float, float]] = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        create_person("sven@example.com", "Sven Supervisor", [Role.SUPERVISOR], "x" * 12, "de")
        create_person("anna@example.com", "Anna Agent", [Role.AGENT], "x" * 12, "de", ["Bahn"])
        sven = db.session.scalar(sa.select(Person).where(Person.email == "sven@example.com"))
        anna = db.session.scalar(sa.select(Person).where(Person.email == "anna@example.com"))
        team = team_named("Bahn")
        channel = Channel(slug="x", name="X", kind=ChannelKind.WEBHOOK, team=team)
        db.session.add(channel)
        db.session.flush()
        contact = Contact(channel_id=channel.id, handle="@karla", name="Karla Kunde",
                          language="de")
        ticket = Ticket(channel=channel, contact=contact, thread_key="t1", team=team,
                        subject="Zug 578 fällt aus")
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Message(ticket_id=ticket.id, channel_id=channel.id,
                               kind=MessageKind.INBOUND, body_html="<p>x</p>", body_text="x"))
        commit()

        rng = random.Random(7)  # the same library every run
        progress(f"{kind}: writing {replies} canned replies through the service")
        started = time.perf_counter()
        for n in range(replies):
            words = rng.sample(WORDS, 3)
            scope = (CannedScope.PERSONAL, CannedScope.TEAM, CannedScope.GLOBAL)[n % 3]
            author = anna if scope == CannedScope.PERSONAL else sven
            body = (f"Hallo {{{{ contact.first_name or 'zusammen' }}}}, zu {words[0]} und "
                    f"{words[1]}: {' '.join(rng.sample(WORDS, 12))}. {{{{ agent.signature }}}}")
            service.create(author, title=f"{words[0]} {words[2]} {n}",
                           shortcut=f"{ascii_word(words[0])[:8]}-{n}", scope=scope,
                           team_id=team.id if scope == CannedScope.TEAM else None,
                           tags=[words[2]], bodies={"de": body, "en": body} if n % 2 else
                           {"de": body})
        db.session.execute(sa.update(CannedReply).values(
            use_count=sa.func.abs(CannedReply.id * 7919 % 97)))
        db.session.commit()
        progress(f"{kind}: wrote them in {time.perf_counter() - started:.1f} s")

        anna = db.session.get(Person, anna.id)
        ticket = db.session.get(Ticket, ticket.id)
        for label, query in (("no query (most used)", ""), ("shortcut prefix 'verspae'", "verspae"),
                             ("one word 'erstattung'", "erstattung"),
                             ("two words 'paket router'", "paket router"),
                             ("no match", "zzzz")):
            p50, p95 = timed(lambda q=query: service.search(anna, q, ticket), runs)
            rows.append((kind, f"picker search, {label}", p50, p95))

        client = app.test_client()
        client.post("/login", data={"email": "anna@example.com", "password": "x" * 12})
        p50, p95 = timed(lambda: client.get(f"/canned/picker?q=erstattung&ticket_id={ticket.id}"),
                         runs)
        rows.append((kind, "GET /canned/picker (whole request)", p50, p95))

        reply = service.create(anna, title="Zwanzig", shortcut="zwanzig",
                               scope=CannedScope.PERSONAL, bodies={"de": TWENTY})
        assert TWENTY.count("{{") == 20
        source = templating.to_source(reply.variants[0].body_html)
        facts = service.facts_for(anna, ticket, "de")
        today = templating.today_in("Europe/Berlin")
        p50, p95 = timed(lambda: templating.render(source, facts, ASKED, "de", today), runs)
        rows.append((kind, "render 20 placeholders (template only)", p50, p95))
        p50, p95 = timed(lambda: service.render_for_ticket(anna, reply.id, ticket.id, ASKED),
                         runs)
        rows.append((kind, "render 20 placeholders (service, loads rows)", p50, p95))
        p50, p95 = timed(lambda: client.post(f"/canned/{reply.id}/render",
                                             json={"ticket_id": ticket.id, "values": ASKED}),
                         runs)
        rows.append((kind, "POST /canned/<id>/render (whole request)", p50, p95))
        p50, p95 = timed(lambda: service.check_body(TWENTY), runs)
        rows.append((kind, "check at save, 20 placeholders", p50, p95))
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--replies", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [row for kind in kinds for row in run(kind, args.replies, args.runs)]
    print(f"\ncanned replies: {args.replies} in the library, {args.runs} runs each, ms\n")
    print(f"| {'database':<10} | {'what':<46} | {'p50':>7} | {'p95':>7} |")
    print(f"|{'-' * 12}|{'-' * 48}|{'-' * 9}|{'-' * 9}|")
    for kind, what, p50, p95 in rows:
        print(f"| {kind:<10} | {what:<46} | {p50:7.2f} | {p95:7.2f} |")


if __name__ == "__main__":
    main()
