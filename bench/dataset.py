"""A realistic desk, bulk-loaded fast: teams, people, channels, contacts, tickets, messages.

People and channels go through the services and the ORM (there are few); contacts,
tickets and messages are generated in memory and written with COPY on PostgreSQL or
Core executemany in chunks on SQLite. The numbers follow a care team a year in:

- 5 channels, 4 routed to one of 3 teams, the webhook to none; 20,000 contacts with a
  few loud ones (skewed choice);
- tickets created evenly over the last year; ~40 % in an open status (new/open/pending),
  ~30 % of those unassigned; about half of the open ones and a third of the others
  carry a due time;
- 20 agents in 3 teams; the benchmark agent (team "Bahn") holds `agent_open` open
  tickets, the supervisor `supervisor_open`; the rest spread over the other agents
  of the ticket's team;
- every ticket starts with an inbound message; the other messages (replies, notes,
  follow-ups) land on random tickets; counters, previews and last_message_at agree.
"""

import html
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.common import progress

PASSWORD = "bench password 123"  # noqa: S105 - a throwaway bench database
SUPERVISOR_EMAIL = "supervisor@bench.example"
AGENT_EMAIL = "agent@bench.example"
TEAMS = ("Bahn", "Bus", "Service")
# slug, kind, team (None: not routed to a team)
CHANNELS = (
    ("x-bahn", "x", "Bahn"),
    ("mastodon", "mastodon", "Bahn"),
    ("instagram", "meta", "Bus"),
    ("forum", "feed", "Service"),
    ("webhook", "webhook", None),
)
CHANNEL_SECRET = "bench-signing-secret"  # noqa: S105
STATUS_WEIGHTS = {"new": 12, "open": 18, "pending": 10, "resolved": 55, "spam": 5}
PRIORITY_WEIGHTS = {"low": 15, "normal": 60, "high": 20, "urgent": 5}
OPEN = {"new", "open", "pending"}
CHUNK = 5_000

WORDS = (
    "Zug Bahn Verspätung Gleis Ticket Erstattung Bus Haltestelle Fahrplan ausgefallen "
    "schon wieder heute Morgen Abend warten Stunde Minuten Anschluss verpasst Service "
    "Hotline niemand erreichbar App funktioniert nicht Sitzplatz reserviert kalt warm "
    "Klimaanlage Toilette defekt Durchsage unverständlich Personal freundlich danke bitte "
    "Antwort Geld zurück Kundenservice Beschwerde wirklich unmöglich jeden Tag Pendler "
    "Strecke gesperrt Ersatzverkehr Umleitung Information fehlt Bahnsteig Aufzug kaputt"
).split()


@dataclass
class Loaded:
    """What the benchmarks need to know about the loaded desk."""

    supervisor_id: int
    agent_id: int
    agent_team_id: int
    team_ids: dict[str, int]
    channel_ids: dict[str, int]
    tickets: int
    messages: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _TicketDraft:
    row: dict[str, Any]
    last_inbound: str = ""


def load(
    app: Flask,
    tickets: int = 100_000,
    messages: int = 300_000,
    contacts: int = 20_000,
    agent_open: int = 150,
    supervisor_open: int = 60,
    seed: int = 42,
) -> Loaded:
    """Fill the (migrated, empty) database of `app`; returns ids and counts."""
    from desk.extensions import db

    rng = random.Random(seed)
    with app.app_context():
        people = _people(rng)
        channel_ids, channel_teams = _channels(people["team_ids"])
        engine = db.engine
        contact_rows = _contact_rows(rng, contacts, list(channel_ids.values()))
        drafts = _ticket_drafts(rng, tickets, contact_rows, channel_teams, people,
                                agent_open, supervisor_open)
        message_rows = _message_rows(rng, messages, drafts, people)
        ticket_rows = [draft.row for draft in drafts]
        db.session.remove()  # no session transaction stays open beside the bulk writer
        with engine.begin() as connection:
            for table, rows in (("contacts", contact_rows), ("tickets", ticket_rows),
                                ("messages", message_rows)):
                progress(f"  writing {len(rows):,} {table}")
                bulk_insert(connection, db.metadata.tables[table], rows)
            if connection.dialect.name == "postgresql":
                for table in ("contacts", "tickets", "messages"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
        open_rows = [row for row in ticket_rows if row["status"] in OPEN]
        counts = {
            "open": len(open_rows),
            "unassigned": sum(row["assignee_id"] is None for row in open_rows),
            "agent_open": sum(row["assignee_id"] == people["agent_id"] for row in open_rows),
            "open_with_due": sum(row["due_at"] is not None for row in open_rows),
        }
        return Loaded(
            supervisor_id=people["supervisor_id"],
            agent_id=people["agent_id"],
            agent_team_id=people["team_ids"]["Bahn"],
            team_ids=people["team_ids"],
            channel_ids=channel_ids,
            tickets=len(ticket_rows),
            messages=len(message_rows),
            counts=counts,
        )


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY on PostgreSQL; Core executemany in chunks elsewhere."""
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        names = ", ".join(columns)
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        return
    for chunk in _chunks(rows, CHUNK):
        connection.execute(table.insert(), list(chunk))


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _people(rng: random.Random) -> dict[str, Any]:
    """3 teams, 20 agents (the benchmark agent in "Bahn" only) and one supervisor."""
    from desk.auth.service import create_person
    from desk.extensions import db
    from desk.models import Role, Team

    supervisor = create_person(SUPERVISOR_EMAIL, "Sabine Supervisor", [Role.SUPERVISOR],
                               PASSWORD, "de")
    agent = create_person(AGENT_EMAIL, "Anna Agent", [Role.AGENT], PASSWORD, "de", ["Bahn"])
    by_team: dict[str, list[int]] = {name: [] for name in TEAMS}
    by_team["Bahn"].append(agent.id)
    for n in range(19):
        team = TEAMS[n % len(TEAMS)]
        person = create_person(f"agent{n:02d}@bench.example", f"Agent {n:02d}", [Role.AGENT],
                               None, "de", [team])
        by_team[team].append(person.id)
    team_ids = {team.name: team.id for team in db.session.scalars(sa.select(Team))}
    others = {team: [pid for pid in ids if pid != agent.id] for team, ids in by_team.items()}
    return {
        "supervisor_id": supervisor.id,
        "agent_id": agent.id,
        "team_ids": team_ids,
        "others": others,
        "everyone": [pid for ids in by_team.values() for pid in ids],
    }


def _channels(team_ids: dict[str, int]) -> tuple[dict[str, int], dict[int, int | None]]:
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import Channel, ChannelKind

    channels = [
        Channel(slug=slug, name=slug.title(), kind=ChannelKind(kind), secret=CHANNEL_SECRET,
                language="de", team_id=team_ids[team] if team else None)
        for slug, kind, team in CHANNELS
    ]
    db.session.add_all(channels)
    commit()
    return ({channel.slug: channel.id for channel in channels},
            {channel.id: channel.team_id for channel in channels})


def _contact_rows(rng: random.Random, count: int, channel_ids: list[int]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "id": n,
            "channel_id": channel_ids[n % len(channel_ids)],
            "handle": f"@kunde{n}",
            "name": f"Kundin {n}" if n % 2 else f"Kunde {n}",
            "reach": int(rng.paretovariate(1.2) * 50),
            "language": "de",
            "created_at": now - timedelta(days=400),
        }
        for n in range(1, count + 1)
    ]


def _ticket_drafts(
    rng: random.Random,
    count: int,
    contacts: list[dict[str, Any]],
    channel_teams: dict[int, int | None],
    people: dict[str, Any],
    agent_open: int,
    supervisor_open: int,
) -> list[_TicketDraft]:
    now = datetime.now(UTC)
    year = timedelta(days=365).total_seconds()
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    priorities, priority_weights = zip(*PRIORITY_WEIGHTS.items(), strict=True)
    team_names = {team_id: name for name, team_id in people["team_ids"].items()}
    drafts: list[_TicketDraft] = []
    for n in range(1, count + 1):
        contact = contacts[int(len(contacts) * rng.random() ** 2)]  # a few loud contacts
        channel_id = contact["channel_id"]
        team_id = channel_teams[channel_id] if rng.random() > 0.1 else None
        status = rng.choices(statuses, status_weights)[0]
        created_at = now - timedelta(seconds=rng.random() * year)
        is_open = status in OPEN
        due_at = None
        if rng.random() < (0.5 if is_open else 0.33):
            due_at = created_at + timedelta(minutes=rng.randint(60, 72 * 60))
        assignee_id = None
        if not is_open or rng.random() >= 0.3:
            team = team_names.get(team_id) if team_id else rng.choice(list(people["others"]))
            assignee_id = rng.choice(people["others"][team])
        drafts.append(_TicketDraft({
            "id": n,
            "channel_id": channel_id,
            "contact_id": contact["id"],
            "thread_key": f"thread-{n}",
            "subject": _sentence(rng, 3, 9)[:200],
            "preview": "",
            "status": status,
            "priority": rng.choices(priorities, priority_weights)[0],
            "assignee_id": assignee_id,
            "team_id": team_id,
            "due_at": due_at,
            "escalation_level": 1 if rng.random() < 0.03 else 0,
            "sentiment": round(rng.uniform(-1, 1), 2) if rng.random() < 0.8 else None,
            "version": 1,
            "message_count": 0,
            "last_message_at": None,
            "first_response_at": None,
            "resolved_at": created_at + timedelta(days=1) if status == "resolved" else None,
            "created_at": created_at,
            "updated_at": created_at,
        }))
    _hand_to(rng, drafts, people["agent_id"], agent_open, people["team_ids"]["Bahn"])
    _hand_to(rng, drafts, people["supervisor_id"], supervisor_open, None)
    # Some closed work of the benchmark agent too: the partial indexes must skip it.
    for draft in rng.sample(drafts, len(drafts) // 40):
        if draft.row["status"] not in OPEN:
            draft.row["assignee_id"] = people["agent_id"]
    return drafts


def _hand_to(rng: random.Random, drafts: list[_TicketDraft], person_id: int, how_many: int,
             team_id: int | None) -> None:
    """Give `how_many` assigned open tickets (of the team, or unrouted) to one person."""
    candidates = [
        draft for draft in drafts
        if draft.row["status"] in OPEN and draft.row["assignee_id"] is not None
        and (team_id is None or draft.row["team_id"] in (team_id, None))
    ]
    for draft in rng.sample(candidates, min(how_many, len(candidates))):
        draft.row["assignee_id"] = person_id


def _message_rows(
    rng: random.Random, count: int, drafts: list[_TicketDraft], people: dict[str, Any]
) -> list[dict[str, Any]]:
    """One inbound message per ticket first, then replies, notes and follow-ups."""
    rows: list[dict[str, Any]] = []
    extra = max(count - len(drafts), 0)
    plan = list(drafts) + [rng.choice(drafts) for _ in range(extra)]
    for draft in plan[:count]:
        ticket = draft.row
        first = ticket["message_count"] == 0
        kind = "inbound" if first else rng.choices(("reply", "inbound", "note"), (50, 35, 15))[0]
        at = (ticket["last_message_at"] or ticket["created_at"]) + timedelta(
            minutes=0 if first else rng.randint(5, 600))
        text = _sentence(rng, 8, 60)
        message_id = len(rows) + 1
        author_id = None
        if kind != "inbound":
            author_id = ticket["assignee_id"] or rng.choice(people["everyone"])
        rows.append({
            "id": message_id,
            "ticket_id": ticket["id"],
            "channel_id": ticket["channel_id"],
            "kind": kind,
            "body_html": f"<p>{html.escape(text)}</p>",
            "body_text": text,
            "author_id": author_id,
            "external_id": f"{kind}-{message_id}" if kind != "note" else None,
            "url": f"https://social.example/p/{message_id}" if kind == "inbound" else None,
            "intake_event_id": None,
            "delivery": "sent" if kind == "reply" else None,
            "created_at": at,
        })
        ticket["message_count"] += 1
        ticket["last_message_at"] = at
        ticket["updated_at"] = at
        if kind == "inbound":
            ticket["preview"] = text[:200]
        elif kind == "reply" and ticket["first_response_at"] is None:
            ticket["first_response_at"] = at
        ticket["version"] += 0 if first else 1
    return rows


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + rng.choice((".", "!", "?", "!!"))
