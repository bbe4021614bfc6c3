"""Exactly one winner, whoever races: threads and processes, and a long random run."""

import multiprocessing
import os
import random
import threading

import pytest
import sqlalchemy as sa

from desk.assignment import auto
from desk.assignment import service as assignment
from desk.auth.service import create_person
from desk.errors import Conflict, DeskError
from desk.extensions import db
from desk.models import OPEN_STATUSES, AuditEvent, Person, Role, Status, Ticket
from tests.assignment_helpers import present, set_rule, team_id

CLAIMERS = 50
# The issue asks for 10,000; on a shared 2-core machine that takes minutes per database,
# so the suite runs 1,000 and DESK_RANDOM_STEPS=10000 the full run (docs/architecture.md).
STEPS = int(os.environ.get("DESK_RANDOM_STEPS", "1000"))
ASSIGNING = ("ticket.claimed", "ticket.assigned", "ticket.unassigned", "ticket.auto_assigned",
             "ticket.returned", "ticket.response_overdue", "ticket.routed")


def crowd(count: int, team: str = "Care") -> list[int]:
    """Agents without passwords (hashing fifty passwords would dominate the test)."""
    return [create_person(f"agent{n}@example.com", f"Agent {n}", [Role.AGENT], None,
                          teams=[team]).id for n in range(count)]


def claims_recorded(ticket_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.ticket_id == ticket_id, AuditEvent.action == "ticket.claimed"))


def test_fifty_threads_claim_one_ticket_and_one_wins(app, ctx, make_ticket):
    people = crowd(CLAIMERS)
    ticket = make_ticket(team="Care")
    barrier = threading.Barrier(CLAIMERS)
    outcomes: list[str] = []

    def claim(person_id: int) -> None:
        with app.app_context():
            person = db.session.get(Person, person_id)
            # Give the connection back while waiting: the pool is smaller than the crowd.
            db.session.expunge(person)
            db.session.rollback()
            barrier.wait()
            try:
                assignment.claim(person, ticket.id)
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")
            except Exception as exc:  # noqa: BLE001 - any other failure is reported
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(person_id,)) for person_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * (CLAIMERS - 1) + ["won"]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assignee_id in people
    assert claims_recorded(ticket.id) == 1


def _claim_in_child(database_url: str, person_id: int, ticket_id: int, barrier, results) -> None:
    """One claimer in a process of its own, with an app of its own on the same database."""
    from config import Config
    from desk import create_app

    class ChildConfig(Config):
        TESTING = True
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"

    app = create_app(ChildConfig)
    with app.app_context():
        person = db.session.get(Person, person_id)
        db.session.expunge(person)
        db.session.rollback()
        barrier.wait()
        try:
            assignment.claim(person, ticket_id)
            results.put("won")
        except Conflict:
            results.put("conflict")
        except Exception as exc:  # noqa: BLE001
            results.put(repr(exc))


def test_fifty_processes_claim_one_ticket_and_one_wins(app, ctx, make_ticket):
    people = crowd(CLAIMERS)
    ticket = make_ticket(team="Care")
    db.session.remove()
    # Not "fork": the test process has threads (the rate limiter's timer, servers of other
    # tests), and a child forked while one of them held a lock waits for it for ever. A
    # fork server is a clean single-threaded process with desk imported once.
    processes = multiprocessing.get_context("forkserver")
    processes.set_forkserver_preload(["desk", "tests.test_assignment_races"])
    barrier = processes.Barrier(CLAIMERS)
    results = processes.Queue()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    children = [processes.Process(target=_claim_in_child,
                                  args=(url, person_id, ticket.id, barrier, results))
                for person_id in people]
    for child in children:
        child.start()
    outcomes = sorted(results.get(timeout=120) for _ in children)
    for child in children:
        child.join(timeout=30)
    assert outcomes == ["conflict"] * (CLAIMERS - 1) + ["won"]
    assert {child.pid for child in children}.isdisjoint({os.getpid()})
    assert db.session.get(Ticket, ticket.id).assignee_id in people
    assert claims_recorded(ticket.id) == 1


def test_random_claims_and_assignments_keep_the_invariants(app, ctx,
                                                                       make_ticket):
    rng = random.Random(20261124)
    agents = crowd(8)
    sue = create_person("sue@example.com", "Sue", [Role.SUPERVISOR], None)
    outsider = create_person("olaf@example.com", "Olaf", [Role.AGENT], None, teams=["Shop"])
    set_rule(mode="least_loaded", capacity=4)
    capacity = 4
    tickets = [make_ticket(team="Care", handle=f"@k{n}").id for n in range(120)]
    people = {person_id: db.session.get(Person, person_id) for person_id in agents}
    people[outsider.id] = db.session.get(Person, outsider.id)
    supervisor = db.session.get(Person, sue.id)
    present(*[people[person_id] for person_id in agents[:5]])
    outcomes = {"done": 0, "refused": 0, "drained": 0}

    for _step in range(STEPS):
        roll = rng.random()
        ticket_id = rng.choice(tickets)
        try:
            if roll < 0.4:
                assignment.claim(people[rng.choice(agents)], ticket_id)
            elif roll < 0.65:
                assignment.assign(supervisor, ticket_id,
                                  people[rng.choice([*agents, outsider.id])], reason="random")
            elif roll < 0.8:
                holder = db.session.scalar(sa.select(Ticket.assignee_id)
                                           .where(Ticket.id == ticket_id))
                actor = people.get(holder) if holder and rng.random() < 0.5 else supervisor
                assignment.unassign(actor, ticket_id, reason="random")
            elif roll < 0.9:
                _flip_status(supervisor, ticket_id)
            else:
                before = _loads(agents)
                outcomes["drained"] += auto.drain(team_id())
                after = _loads(agents)
                for person_id in agents:
                    # Auto-assignment never fills anyone past capacity.
                    if after[person_id] > before[person_id]:
                        assert after[person_id] <= capacity
            outcomes["done"] += 1
        except DeskError:
            db.session.rollback()
            outcomes["refused"] += 1

    assert outcomes["done"] > STEPS // 2 and outcomes["refused"] > STEPS // 20
    assert outcomes["drained"] > 0
    _check_audit_chains(tickets)


def test_concurrent_drains_neither_double_assign_nor_overfill(app, ctx, make_ticket):
    agents = crowd(6)
    set_rule(mode="least_loaded", capacity=5)
    present(*[db.session.get(Person, person_id) for person_id in agents])
    waiting = [make_ticket(team="Care", handle=f"@k{n}").id for n in range(45)]
    db.session.remove()
    drainers = 4
    barrier = threading.Barrier(drainers)
    outcomes: list[int | str] = []

    def drain() -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(auto.drain(team_id()))
            except Exception as exc:  # noqa: BLE001 - any failure is reported
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=drain) for _ in range(drainers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert sum(outcomes) == 30  # six people with room for five each
    held = dict(db.session.execute(
        sa.select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_(waiting))).all())
    assert [held[ticket_id] is not None for ticket_id in waiting] == [True] * 30 + [False] * 15
    assert sorted(auto.open_loads(agents).values()) == [5] * 6
    entries = db.session.execute(
        sa.select(AuditEvent.ticket_id, sa.func.count()).where(
            AuditEvent.action == "ticket.auto_assigned").group_by(AuditEvent.ticket_id)).all()
    assert sorted(ticket_id for ticket_id, _ in entries) == waiting[:30]
    assert {count for _, count in entries} == {1}


def _flip_status(actor: Person, ticket_id: int) -> None:
    from desk.inbox.service import update

    status = db.session.scalar(sa.select(Ticket.status).where(Ticket.id == ticket_id))
    update(actor, ticket_id, status=Status.OPEN if status == Status.RESOLVED else Status.RESOLVED)


def _loads(person_ids: list[int]) -> dict[int, int]:
    loads = auto.open_loads(person_ids)
    db.session.rollback()
    return loads


def _check_audit_chains(ticket_ids: list[int]) -> None:
    """Each ticket's assignment entries chain from nobody to its assignee now."""
    db.session.expire_all()
    entries = db.session.execute(
        sa.select(AuditEvent.ticket_id, AuditEvent.data)
        .where(AuditEvent.action.in_(ASSIGNING)).order_by(AuditEvent.id)
    ).all()
    holder: dict[int, int | None] = dict.fromkeys(ticket_ids)
    for ticket_id, data in entries:
        assert data["old"] == holder[ticket_id], (ticket_id, data)
        assert data["new"] != data["old"]
        holder[ticket_id] = data["new"]
    now = dict(db.session.execute(sa.select(Ticket.id, Ticket.assignee_id)).all())
    assert now == holder
    assert len(entries) > STEPS // 4


@pytest.mark.parametrize("count", [1])
def test_open_statuses_are_what_capacity_counts(count):
    assert {status.value for status in OPEN_STATUSES} == {"new", "open", "pending"}
