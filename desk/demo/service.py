"""Loading the demo: teams, people, channels and tickets, through the real services.

Complaints enter through the intake service (receive, then process_pending),
so they are shaped exactly like real intake; replies, notes, assignments and
status changes go through their services too. Loading is idempotent: what
exists is left alone, so `make run` may load it on every start.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from desk.assignment.service import assign
from desk.auth.service import create_person, find_person, team_named
from desk.channels.service import PLATFORM_SIGNED, create_channel, find_channel, new_secret
from desk.commits import commit
from desk.demo.content import (
    CHANNELS,
    PEOPLE,
    TEAMS,
    THREADS,
    Answered,
    DemoChannel,
    DemoPerson,
    DemoThread,
    Said,
)
from desk.errors import DeskError
from desk.extensions import db
from desk.inbox.service import thread as messages_of
from desk.inbox.service import update
from desk.intake import service as intake
from desk.models import Channel, Message, MessageKind, Person, Status, Team, Ticket, utcnow
from desk.replies.service import add_note, add_reply
from desk.tickets import change

SUPERVISOR = "jonas"  # who assigns and triages in the demo's story


class DemoError(DeskError):
    """The demo could not be loaded as written (a bug in the demo content)."""


@dataclass
class DemoReport:
    """What one run of the demo created; empty lists and zero tickets: nothing changed."""

    teams: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    tickets: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.teams or self.people or self.channels or self.tickets)

    def lines(self) -> list[str]:
        """What the operator reads: what happened, one-time secrets, how to sign in."""
        if self.changed:
            lines = [f"Demo data loaded: {len(self.teams)} teams, {len(self.people)} people, "
                     f"{len(self.channels)} channels, {self.tickets} tickets."]
        else:
            lines = ["Demo data is loaded already; nothing changed."]
        for slug, secret in self.secrets.items():
            lines.append(f"Signing secret of channel {slug} (shown only now): {secret}")
        lines += ["", *sign_in_table(), "",
                  "These passwords are for the demo only; never use demo data in production."]
        return lines


def sign_in_table() -> list[str]:
    """The demo people as a table: e-mail, password, roles."""
    rows = [("E-mail", "Password", "Roles")]
    rows += [(p.email, p.password, ", ".join(role.value for role in p.roles)) for p in PEOPLE]
    email_width = max(len(row[0]) for row in rows) + 2
    password_width = max(len(row[1]) for row in rows) + 2
    return [f"{e:<{email_width}}{pw:<{password_width}}{roles}" for e, pw, roles in rows]


def load_demo(now: datetime | None = None) -> DemoReport:
    """Create whatever part of the demo is missing; returns what was created."""
    now = now or utcnow()
    report = DemoReport()
    _load_teams(report)
    people = _load_people(report)
    channels = {demo.slug: _load_channel(demo, report) for demo in CHANNELS}
    for demo_thread in THREADS:
        if _load_thread(demo_thread, channels[demo_thread.channel], people, now):
            report.tickets += 1
    return report


def _load_teams(report: DemoReport) -> None:
    for name in TEAMS:
        if db.session.scalar(sa.select(Team.id).where(Team.name == name)) is None:
            team_named(name)
            report.teams.append(name)
    commit()


def _load_people(report: DemoReport) -> dict[str, int]:
    """Person ids by demo key; people who exist already keep their password."""
    ids = {}
    for demo in PEOPLE:
        person = find_person(demo.email) or _create_person(demo, report)
        ids[demo.key] = person.id
    return ids


def _create_person(demo: DemoPerson, report: DemoReport) -> Person:
    person = create_person(demo.email, demo.name, list(demo.roles), demo.password,
                           demo.language, list(demo.teams))
    report.people.append(demo.email)
    return person


def _load_channel(demo: DemoChannel, report: DemoReport) -> int:
    channel = find_channel(demo.slug)
    if channel is not None:
        return channel.id
    owner = next(person.email for person in PEOPLE if person.key == demo.owner)
    # Demo channels have no platform tokens: they are read-only, their replies manual.
    secret = new_secret() if demo.kind in PLATFORM_SIGNED else None
    channel = create_channel(demo.slug, demo.kind, name=demo.name, team=demo.team,
                             owner_email=owner, language=demo.language, secret=secret,
                             settings={"url": demo.url} if demo.url else None)
    report.channels.append(demo.slug)
    if channel.secret:
        report.secrets[demo.slug] = channel.secret
    return channel.id


def _load_thread(demo: DemoThread, channel_id: int, people: dict[str, int],
                 now: datetime) -> bool:
    """Play one conversation through the services; False when an earlier run did."""
    ticket_id: int | None = None
    for index, step in enumerate(demo.timeline):
        at = now - timedelta(hours=step.hours_ago)
        if isinstance(step, Said):
            created = _receive(demo, channel_id, index, step, at)
            if index == 0 and not created:
                return False  # its first message is known: this conversation is loaded
            intake.process_pending(current_app.config["DESK_INTAKE_BATCH"])
            ticket_id = ticket_id or _ticket_of(channel_id, _external_id(demo, 0))
            continue
        assert ticket_id is not None  # noqa: S101 - every timeline starts with Said
        person = _person(people, step.by)
        if isinstance(step, Answered):
            message = add_reply(person, ticket_id, step.text)
        else:
            message = add_note(person, ticket_id, step.text)
        _backdate(message.id, at)
    assert ticket_id is not None  # noqa: S101
    _settle(demo, ticket_id, people, now)
    return True


def _external_id(demo: DemoThread, index: int) -> str:
    return f"demo-{demo.key}-{index + 1}"


def _receive(demo: DemoThread, channel_id: int, index: int, step: Said, at: datetime) -> bool:
    """Store one inbound message as a channel would send it; True when it is new."""
    channel = db.session.get(Channel, channel_id)
    assert channel is not None  # noqa: S101 - loaded a moment ago
    external_id = _external_id(demo, index)
    payload = {
        "external_id": external_id,
        "text": step.text,
        "author": {"handle": demo.author.handle, "name": demo.author.name,
                   "reach": demo.author.reach},
        "thread_id": f"demo-{demo.key}",
        "created_at": at.isoformat(),
        "language": demo.language,
    }
    if demo.subject and index == 0:
        payload["subject"] = demo.subject
    post_url = next(c.post_url for c in CHANNELS if c.slug == demo.channel)
    if post_url:
        payload["url"] = post_url + external_id
    intake.validate_payload(payload)  # the demo speaks the documented intake format
    _, created = intake.receive(channel, external_id, json.dumps(payload, ensure_ascii=False))
    return created


def _ticket_of(channel_id: int, external_id: str) -> int:
    ticket_id = db.session.scalar(
        sa.select(Message.ticket_id).where(Message.channel_id == channel_id,
                                           Message.external_id == external_id)
    )
    if ticket_id is None:
        raise DemoError(f"intake did not turn {external_id} into a ticket; see the intake "
                        "problems page")
    return ticket_id


def _person(people: dict[str, int], key: str) -> Person:
    person = db.session.get(Person, people[key])
    assert person is not None  # noqa: S101 - created or found in this run
    return person


def _backdate(message_id: int, at: datetime) -> None:
    # Services stamp "now"; the demo tells a story over the past days.
    message = db.session.get(Message, message_id)
    assert message is not None  # noqa: S101
    message.created_at = at
    commit()


def _settle(demo: DemoThread, ticket_id: int, people: dict[str, int], now: datetime) -> None:
    """Assignee, status, priority and due time as the story ends; times to match it."""
    supervisor = _person(people, SUPERVISOR)
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket is not None  # noqa: S101
    if demo.assignee and ticket.assignee_id != people[demo.assignee]:
        assign(supervisor, ticket_id, _person(people, demo.assignee))
    actor = _person(people, demo.assignee) if demo.assignee else supervisor
    update(actor, ticket_id, status=demo.status, priority=demo.priority)
    if demo.due_in_hours is not None:
        change(ticket_id, {"due_at": now + timedelta(hours=demo.due_in_hours)})
        commit()
    _match_times(ticket_id, now)


def _match_times(ticket_id: int, now: datetime) -> None:
    # The services stamped response, update and resolve times "now"; take them from the
    # backdated messages, so the queue's ages and the reports tell the same story.
    ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None  # noqa: S101
    messages = messages_of(ticket)
    replies = [m.created_at for m in messages if m.kind == MessageKind.REPLY]
    public = [m.created_at for m in messages if m.kind != MessageKind.NOTE]
    last = max(m.created_at for m in messages)
    ticket.first_response_at = min(replies) if replies else None
    ticket.last_message_at = max(public)
    ticket.updated_at = last
    if ticket.status == Status.RESOLVED:
        ticket.resolved_at = min(last + timedelta(minutes=10), now)
    commit()
