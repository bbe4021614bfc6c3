"""Periodic tasks: RQ's cron scheduler with Redis, a thread in `serve` without it."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from rq import Queue, SimpleWorker

from desk.extensions import db
from desk.models import JobFailure
from desk.schedule import PERIODIC, EmbeddedScheduler, Periodic, rq_scheduler

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_every_periodic_task_resolves_to_a_desk_function():
    from desk.jobs import resolve

    for task in PERIODIC:
        assert callable(resolve(task.path)), task.path
        assert task.every >= timedelta(seconds=10)


def test_embedded_scheduler_runs_each_task_when_its_interval_has_passed(app):
    hourly = Periodic("desk.faq.jobs.suggest_candidates", every=timedelta(hours=1))
    scheduler = EmbeddedScheduler(app, tasks=[hourly])
    assert scheduler.run_due(T0) == [hourly.path]
    assert scheduler.run_due(T0 + timedelta(minutes=59)) == []
    assert scheduler.run_due(T0 + timedelta(minutes=60)) == [hourly.path]


def test_a_failing_periodic_task_is_recorded_and_does_not_stop_the_others(app):
    broken = Periodic("desk.schedule.no_such_task", every=timedelta(minutes=1))
    fine = Periodic("desk.faq.jobs.suggest_candidates", every=timedelta(minutes=1))
    scheduler = EmbeddedScheduler(app, tasks=[broken, fine])
    assert scheduler.run_due(T0) == [broken.path, fine.path]
    with app.app_context():
        [failure] = db.session.scalars(sa.select(JobFailure)).all()
    assert failure.task == broken.path


def test_rq_scheduler_puts_due_tasks_on_their_queue_for_the_workers(app, redis_jobs):
    scheduler = rq_scheduler(redis_jobs)
    assert {job.name for job in scheduler.get_jobs()} == {task.path for task in PERIODIC}
    enqueued = scheduler.enqueue_jobs()
    assert {job.name for job in enqueued} == {task.path for task in PERIODIC}
    for task in PERIODIC:
        queue = Queue(task.queue, connection=redis_jobs)
        [job] = [job for job in queue.get_jobs() if job.args == (task.path,)]
        assert job.func_name == "desk.jobs.execute"
    # Just enqueued: nothing is due again before its interval has passed.
    assert scheduler.enqueue_jobs() == []
    with app.app_context():
        queues = sorted({task.queue for task in PERIODIC})
        SimpleWorker(queues, connection=redis_jobs).work(burst=True, with_scheduler=False)
        assert db.session.scalars(sa.select(JobFailure)).all() == []
    for name in queues:
        assert Queue(name, connection=redis_jobs).count == 0
