"""SLA tasks: they take ids (or nothing), are safe to run twice, and run periodically."""

def sweep() -> list[str]:
    """The periodic escalation sweep (desk.schedule.PERIODIC)."""
    from desk.sla.escalation import sweep as run

    return run().lines()


def sweep_ticket(ticket_id: int) -> list[str]:
    """Raise at once what an event made due for one ticket (safe to run twice)."""
    from desk.commits import commit
    from desk.sla.escalation import sweep_ticket as run
    from desk.sla.escalation import write_transaction

    write_transaction()
    raised = run(ticket_id, _now())
    commit()
    return raised


def _now():  # noqa: ANN202
    from desk.models import utcnow

    return utcnow()


def watch_spikes() -> list[int]:
    """Early warning: compare negative volume with its baseline (desk.schedule.PERIODIC)."""
    from desk.sla.alerts import watch

    return watch()


def send_digest() -> int:
    """Mail each supervisor the escalations raised since the last digest."""
    from desk.sla.digest import send_digests

    return send_digests()


def recompute_all(batch: int = 1000) -> int:
    """Recompute every open ticket's clocks (a policy was added, changed or removed)."""
    from desk.sla.clocks_bulk import recompute_open_tickets

    return recompute_open_tickets(batch)


def recompute_ticket(ticket_id: int) -> None:
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import Ticket
    from desk.sla.clocks import recompute

    ticket = db.session.get(Ticket, ticket_id)
    if ticket is not None:
        recompute(ticket)
        commit()
