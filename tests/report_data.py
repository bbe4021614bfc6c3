"""A small hand-built dataset for the report tests, with known answers.

Calendar: Mon-Fri 09:00-17:00 Europe/Berlin (the default). Week of Monday 2026-11-23.

T1  x     Bahn         Fri 20 16:00 -> reply Mon 23 10:00 -> resolved Mon 12:00; anna;
                       sentiment -0.8
T2  x     Bahn         Mon 23 09:30 -> reply 10:00; open; anna; sentiment 0.5
T3  form  Fernverkehr  Sat 21 12:00; no reply; open, unassigned; escalation level 1
T4  form  Fernverkehr  Mon 23 20:00 -> reply Tue 24 08:00; resolved, then reopened; bert
T5  x     -            Mon 23 10:00; spam

One SLA policy for all (same calendar): first response 60, resolution 480 business
minutes; clocks recomputed as of Tue 24 12:00 (SET_AT), when the rollup runs:

      first response due    outcome                 resolution due   outcome
T1    Fri 17:00             breached (reply Mon)    Mon 16:00        met (resolved Mon 12:00)
T2    Mon 10:30             met (reply 10:00)       Tue 09:30        breached (running)
T3    Mon 10:00             breached (running)      Mon 17:00        breached (running)
T4    Tue 10:00             met (reply 08:00)       Tue 17:00        running
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from desk.auth.service import team_named
from desk.commits import commit
from desk.extensions import db
from desk.models import (
    AuditEvent,
    Channel,
    ChannelKind,
    Contact,
    Message,
    MessageKind,
    Status,
    Ticket,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class Dataset:
    ids: dict[str, int]
    people: dict[str, Any]


def channel(slug: str) -> Channel:
    found = db.session.query(Channel).filter_by(slug=slug).one_or_none()
    if found is None:
        found = Channel(slug=slug, name=slug.title(), kind=ChannelKind.WEBHOOK, secret="s")
        db.session.add(found)
        db.session.flush()
    return found


def add_ticket(slug: str, created_at: datetime, *, team: str | None = None,
               status: Status = Status.OPEN, **values: Any) -> int:
    """A ticket with one inbound message at `created_at` (and a reply at first_response_at)."""
    chan = channel(slug)
    contact = Contact(channel_id=chan.id, handle=f"@c{created_at.timestamp():.0f}{slug}")
    ticket = Ticket(channel_id=chan.id, contact=contact, thread_key=f"t-{created_at}-{slug}",
                    subject="Zug", status=status, team=team_named(team) if team else None,
                    message_count=1, created_at=created_at, updated_at=created_at,
                    last_message_at=created_at, **values)
    db.session.add(ticket)
    db.session.flush()
    db.session.add(Message(ticket_id=ticket.id, channel_id=chan.id, kind=MessageKind.INBOUND,
                           body_html="<p>Zug</p>", body_text="Zug", created_at=created_at))
    if ticket.first_response_at:
        db.session.add(Message(ticket_id=ticket.id, channel_id=chan.id, kind=MessageKind.REPLY,
                               body_html="<p>Sorry</p>", body_text="Sorry",
                               created_at=ticket.first_response_at))
    db.session.flush()
    return ticket.id


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {"timezone": "Europe/Berlin", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS}}


def sla_policy(make_person: Any, **overrides: Any) -> Any:
    """The one policy of the report tests; it matches every ticket."""
    from desk.models import Role
    from desk.sla.policies import create_policy

    lead = make_person("lead@example.com", "Lea Lead", roles=(Role.SUPERVISOR,))
    payload = {"name": "Standard", "first_response_minutes": 60, "next_response_minutes": 120,
               "resolution_minutes": 480, "calendar": OFFICE, "pause_statuses": ["pending"],
               **overrides}
    policy = create_policy(lead, payload)
    commit()  # its recompute job runs now, before there are tickets
    return policy


def start_clocks(ticket_ids: Any, now: datetime) -> None:
    """Recompute the tickets' SLA clocks as of `now` (they were written as plain rows)."""
    from desk.sla.clocks import recompute

    for ticket_id in ticket_ids:
        recompute(db.session.get(Ticket, ticket_id), now)
    commit()


def build(make_person: Any) -> Dataset:
    sla_policy(make_person)
    anna = make_person("anna@example.com", "Anna Agent", teams=("Bahn",))
    bert = make_person("bert@example.com", "Bert Agent", teams=("Fernverkehr",))
    ids = {
        "T1": add_ticket("x", berlin(20, 16), team="Bahn", status=Status.RESOLVED,
                         first_response_at=berlin(23, 10), resolved_at=berlin(23, 12),
                         assignee_id=anna.id, sentiment=-0.8),
        "T2": add_ticket("x", berlin(23, 9, 30), team="Bahn", first_response_at=berlin(23, 10),
                         assignee_id=anna.id, sentiment=0.5),
        "T3": add_ticket("form", berlin(21, 12), team="Fernverkehr", escalation_level=1),
        "T4": add_ticket("form", berlin(23, 20), team="Fernverkehr",
                         first_response_at=berlin(24, 8), assignee_id=bert.id),
        "T5": add_ticket("x", berlin(23, 10), status=Status.SPAM),
    }
    # T4 was resolved and the customer wrote again (audited as intake does).
    db.session.add(AuditEvent(action="ticket.status", ticket_id=ids["T4"],
                              data={"old": "open", "new": "resolved"}))
    db.session.add(AuditEvent(action="ticket.status", ticket_id=ids["T4"],
                              data={"old": "resolved", "new": "open"}))
    commit()
    start_clocks(ids.values(), berlin(24, 12))
    return Dataset(ids, {"anna": anna, "bert": bert})
