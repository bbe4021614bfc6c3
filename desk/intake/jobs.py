"""Intake jobs: one run processes every waiting event it can lease, in batches."""

import logging

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from desk.commits import after_commit
from desk.extensions import db
from desk.intake import service
from desk.jobs import dispatch, redis_connection, task_path
from desk.models import IntakeEvent, IntakeStatus, utcnow

log = logging.getLogger(__name__)

# Set while a processing run is queued, so a burst of intake queues one run, not thousands.
KICK_KEY = "desk:intake:kick"
KICK_TTL = 30  # seconds; a lost run is re-queued by the next event after this at the latest


def kick_intake() -> None:
    """Make sure a processing run follows the current commit."""
    after_commit(_queue_run)


def _queue_run() -> None:
    connection = redis_connection()
    try:
        if connection is not None and not connection.set(KICK_KEY, "1", nx=True, ex=KICK_TTL):
            return  # a run is queued already and will see this event
        dispatch(task_path(process_intake), [], "intake")
    except RedisError as exc:
        # The event is stored (committed) already; the sender gets its acknowledgement.
        # reconcile_intake() queues the run once Redis is back.
        log.warning("could not queue intake processing (%s); the reconciler will", exc)


def process_intake() -> int:
    """Process waiting intake events; safe to run twice or in parallel."""
    connection = redis_connection()
    if connection is not None:
        # Cleared before leasing: an event stored from now on queues a fresh run.
        connection.delete(KICK_KEY)
    return service.process_pending(current_app.config["DESK_INTAKE_BATCH"])


def reconcile_intake() -> int:
    """Periodic: process events left waiting (Redis was down when they came) or stuck in
    processing past their lease (a worker died); returns how many were processed."""
    now = utcnow()
    stuck = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(IntakeEvent.id).where(sa.or_(
                IntakeEvent.status == IntakeStatus.RECEIVED,
                sa.and_(IntakeEvent.status == IntakeStatus.PROCESSING,
                        IntakeEvent.leased_until < now),
            )).limit(1).subquery()
        )
    )
    db.session.rollback()
    if not stuck:
        return 0
    return service.process_pending(current_app.config["DESK_INTAKE_BATCH"])
