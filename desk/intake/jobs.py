"""Intake jobs: one run processes every waiting event it can lease, in batches."""

import logging

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from desk.commits import after_commit
from desk.extensions import db
from desk.intake import service
from desk.jobs import dispatch_once, redis_connection, task_path
from desk.models import IntakeEvent, IntakeStatus, utcnow

log = logging.getLogger(__name__)


def kick_intake() -> None:
    """Make sure a processing run follows the current commit; a burst queues one run."""
    after_commit(_queue_run)


def _queue_run() -> None:
    try:
        dispatch_once(task_path(process_intake), [], "intake")
    except RedisError as exc:
        # The event is stored (committed) already; the sender gets its acknowledgement.
        # reconcile_intake() queues the run once Redis is back.
        log.warning("could not queue intake processing (%s); the reconciler will", exc)


def process_intake() -> int:
    """Process waiting intake events; safe to run twice or in parallel."""
    config = current_app.config
    # Only an RQ worker lingers; without Redis this runs inside the request that stored
    # the event, which must not wait.
    linger = config["DESK_INTAKE_LINGER_MS"] / 1000 if redis_connection() else 0.0
    return service.process_pending(config["DESK_INTAKE_BATCH"], linger)


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
