"""Intake jobs: one run processes every waiting event it can lease, in batches."""

from flask import current_app

from desk.commits import after_commit
from desk.intake import service
from desk.jobs import dispatch, redis_connection, task_path

# Set while a processing run is queued, so a burst of intake queues one run, not thousands.
KICK_KEY = "desk:intake:kick"
KICK_TTL = 30  # seconds; a lost run is re-queued by the next event after this at the latest


def kick_intake() -> None:
    """Make sure a processing run follows the current commit."""
    after_commit(_queue_run)


def _queue_run() -> None:
    connection = redis_connection()
    if connection is not None and not connection.set(KICK_KEY, "1", nx=True, ex=KICK_TTL):
        return  # a run is queued already and will see this event
    dispatch(task_path(process_intake), [], "intake")


def process_intake() -> int:
    """Process waiting intake events; safe to run twice or in parallel."""
    connection = redis_connection()
    if connection is not None:
        # Cleared before leasing: an event stored from now on queues a fresh run.
        connection.delete(KICK_KEY)
    return service.process_pending(current_app.config["DESK_INTAKE_BATCH"])
