"""Jobs: the same task functions in-process or on RQ; failures retried, then kept for admins."""

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from desk.commits import commit
from desk.extensions import db
from desk.jobs import dispatch, enqueue, retry_failure
from desk.models import JobFailure


@pytest.fixture
def broken_intake(monkeypatch):
    """Make intake processing fail, as a lost database connection would."""
    calls = []

    def fail(batch_size, linger=0.0):
        calls.append(batch_size)
        raise RuntimeError("database went away")

    monkeypatch.setattr("desk.intake.service.process_pending", fail)
    return calls


def failures(app):
    with app.app_context():
        return db.session.scalars(sa.select(JobFailure)).all()


def test_in_process_failure_is_retried_then_recorded(app, ctx, broken_intake):
    dispatch("desk.intake.jobs.process_intake", [], "intake")
    assert len(broken_intake) == app.config["DESK_JOB_RETRIES"] + 1
    [failure] = failures(app)
    assert failure.task == "desk.intake.jobs.process_intake"
    assert "database went away" in failure.error


def test_rq_failure_is_retried_then_recorded(app, redis_jobs, broken_intake):
    with app.app_context():
        dispatch("desk.intake.jobs.process_intake", [], "intake")
        worker = SimpleWorker(["intake"], connection=redis_jobs)
        worker.work(burst=True, with_scheduler=False)
        # The first attempt failed; the retry is scheduled, not yet recorded as final.
        assert failures(app) == []
        registry = Queue("intake", connection=redis_jobs).scheduled_job_registry
        [job_id] = registry.get_job_ids()
        Queue("intake", connection=redis_jobs).enqueue_job(
            Queue("intake", connection=redis_jobs).fetch_job(job_id)
        )
        registry.remove(job_id)
        worker.work(burst=True, with_scheduler=False)
    assert len(broken_intake) == 2
    [failure] = failures(app)
    assert "database went away" in failure.error
    assert FailedJobRegistry("intake", connection=redis_jobs).count == 1


def test_enqueue_waits_for_the_commit_and_a_rollback_drops_it(app, ctx, redis_jobs):
    from desk.intake.jobs import process_intake

    enqueue(process_intake, queue="intake")
    assert Queue("intake", connection=redis_jobs).count == 0
    db.session.rollback()
    commit()
    assert Queue("intake", connection=redis_jobs).count == 0
    enqueue(process_intake, queue="intake")
    commit()
    assert Queue("intake", connection=redis_jobs).count == 1


def test_a_recorded_failure_can_be_retried(app, ctx, monkeypatch, broken_intake):
    dispatch("desk.intake.jobs.process_intake", [], "intake")
    [failure] = db.session.scalars(sa.select(JobFailure)).all()
    monkeypatch.setattr("desk.intake.service.process_pending", lambda batch_size, linger=0.0: 0)
    retry_failure(failure)
    assert db.session.get(JobFailure, failure.id).retried_at is not None
    assert len(db.session.scalars(sa.select(JobFailure)).all()) == 1  # the retry succeeded


def test_only_desk_tasks_can_be_resolved(ctx):
    from desk.jobs import resolve

    with pytest.raises(ValueError, match="not a desk task"):
        resolve("os.system")
