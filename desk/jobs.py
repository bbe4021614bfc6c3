"""How work is queued: RQ when REDIS_URL is set, an in-process runner otherwise.

Either way the same task functions run: plain functions that take ids, load
what they need and are safe to run twice. `enqueue()` waits for the commit, so
a worker never looks for a row that is not there yet.
"""

import importlib
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue, Retry, get_current_job

from desk.commits import after_commit, around_callbacks, commit
from desk.extensions import db
from desk.models import JobFailure, utcnow

log = logging.getLogger(__name__)

RETRY_INTERVALS = [2, 10, 60]  # seconds between attempts of a failing RQ job


def task_path(task: Callable[..., Any]) -> str:
    return f"{task.__module__}.{task.__qualname__}"


def enqueue(task: Callable[..., Any], *args: Any, queue: str = "default") -> None:
    """Run `task(*args)` after the current transaction commits."""
    path = task_path(task)
    after_commit(lambda: dispatch(path, list(args), queue))


def dispatch(path: str, args: list[Any], queue: str) -> None:
    """Hand a task to RQ, or run it here and now when there is no Redis."""
    if redis_connection() is None:
        run_in_process(path, args, queue)
        return
    _rq_enqueue(queue, execute, path, args)


# A mark whose run was lost (Redis flushed, the job dropped) expires after this, so the
# next event queues the work again.
ONCE_TTL = 30  # seconds


def dispatch_once(path: str, args: list[Any], queue: str) -> None:
    """Hand a task to RQ unless the same task with the same arguments waits in its queue
    already: a burst of events asking for the same work (process intake, drain a team's
    backlog) queues one run, not thousands. The run clears its mark as it starts, so an
    event after that start queues the next run and nothing is missed."""
    asked = _asked_this_commit.get()
    if asked is not None:
        # The callbacks of one commit asked for this run already: that run cannot have
        # started before the commit, so it sees everything this one would.
        if (path, *args) in asked:
            return
        asked.add((path, *args))
    connection = redis_connection()
    if connection is None:
        run_in_process(path, args, queue)
        return
    if connection.set(_once_mark(path, args), "1", nx=True, ex=ONCE_TTL):
        _rq_enqueue(queue, execute_once, path, args)


_asked_this_commit: ContextVar[set[tuple[Any, ...]] | None] = ContextVar(
    "desk_asked_this_commit", default=None)


@contextmanager
def one_run_per_commit() -> Iterator[None]:
    """Around one commit's callbacks (desk.commits): dispatch_once asks Redis once per task."""
    token = _asked_this_commit.set(set())
    try:
        yield
    finally:
        _asked_this_commit.reset(token)


def install() -> None:
    around_callbacks(one_run_per_commit)


def _once_mark(path: str, args: list[Any]) -> str:
    return "desk:queued:" + ":".join([path, *map(str, args)])


def _rq_enqueue(queue: str, entry: Callable[..., Any], path: str, args: list[Any]) -> None:
    retries = current_app.config["DESK_JOB_RETRIES"]
    rq_queue(queue).enqueue(
        entry,
        path,
        *args,
        retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries] or [1]) if retries else None,
        job_timeout=300,
        result_ttl=60,
        failure_ttl=7 * 24 * 3600,
    )


def redis_connection() -> Redis | None:
    """The app's Redis connection, or None on the embedded default."""
    return current_app.extensions.get("desk.redis")


def rq_queue(name: str) -> Queue:
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("RQ needs REDIS_URL")
    return Queue(name, connection=connection)


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attribute = path.rpartition(".")
    if not module_name.startswith("desk."):
        raise ValueError(f"not a desk task: {path}")
    return getattr(importlib.import_module(module_name), attribute)


def run_in_process(path: str, args: list[Any], queue: str) -> None:
    """The embedded runner: try the task a few times, then record the failure."""
    attempts = current_app.config["DESK_JOB_RETRIES"] + 1
    for attempt in range(1, attempts + 1):
        try:
            resolve(path)(*args)
            return
        except Exception as exc:  # noqa: BLE001 - a job failure must never break the caller
            db.session.rollback()
            log.warning("task %s failed (attempt %d/%d): %s", path, attempt, attempts, exc)
            if attempt == attempts:
                record_failure(path, args, queue, exc)


def execute(path: str, *args: Any) -> None:
    """The RQ entry point for every task; runs under the worker's app context."""
    try:
        resolve(path)(*args)
    except Exception as exc:
        db.session.rollback()
        job = get_current_job()
        if job is None or not job.retries_left:
            record_failure(path, list(args), job.origin if job else "default", exc)
        raise
    finally:
        # A SimpleWorker reuses the process: start every job on a clean session.
        db.session.remove()


def execute_once(path: str, *args: Any) -> None:
    """The RQ entry point for a task queued by dispatch_once: clear the mark, then run."""
    connection = redis_connection()
    if connection is not None:
        connection.delete(_once_mark(path, list(args)))
    execute(path, *args)


def record_failure(path: str, args: list[Any], queue: str, exc: BaseException) -> None:
    """Keep a job that will not be retried again, for the admins' jobs page."""
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    db.session.add(JobFailure(task=path, args=args, queue=queue, error=error[:4000]))
    commit()


def retry_failure(failure: JobFailure) -> None:
    """Queue a recorded failure again (an admin asked for it)."""

    failure.retried_at = utcnow()
    path, args, queue = failure.task, list(failure.args), failure.queue
    after_commit(lambda: dispatch(path, args, queue))
    commit()
