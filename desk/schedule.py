"""Periodic work: the sweeps that must run even when nothing else happens.

Each capability lists its periodic tasks in `PERIODIC` below (a task path, as
`desk.jobs.enqueue` takes them, and an interval). Who runs them:

- with `REDIS_URL`, `flask desk scheduler` registers them with RQ's cron
  scheduler, which puts each on its queue when due; the workers run them. Run
  exactly one scheduler per deployment (RQ's cron scheduler takes no lock).
- on the embedded default, `flask desk serve` starts a thread that runs them
  in-process (`run_due`), so a single `make run` still sweeps.

Periodic tasks take no arguments and must be safe to run twice or late: a
restart may run one early, a slow worker may run one after its next turn.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from redis import Redis
    from rq.cron import CronScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    path: str  # "desk.<capability>.jobs.<function>", no arguments
    every: timedelta
    queue: str = "default"


PERIODIC: list[Periodic] = [
    # FAQ: cluster recent good answers into suggestions for the editors (desk.faq).
    Periodic("desk.faq.jobs.suggest_candidates", every=timedelta(hours=6)),
    # Channels: queue a poll for each feed, Mastodon account or mailbox that is due.
    Periodic("desk.channels.jobs.poll_due_channels", every=timedelta(minutes=1)),
    # Replies: send outbox items whose retry is due; reconcile sends of unknown outcome.
    Periodic("desk.replies.jobs.sweep_outbox", every=timedelta(minutes=1)),
    # Intake: re-queue events stuck in received/processing past their lease.
    Periodic("desk.intake.jobs.reconcile_intake", every=timedelta(minutes=2), queue="intake"),
    # SLA: warnings, breaches and escalation levels that fell due (desk.sla).
    Periodic("desk.sla.jobs.sweep", every=timedelta(minutes=1)),
    # Early warning: spikes of negative messages per channel and topic (desk.sla.alerts).
    Periodic("desk.sla.jobs.watch_spikes", every=timedelta(minutes=10)),
    # The supervisors' e-mail digest of new escalations (desk.sla.digest).
    Periodic("desk.sla.jobs.send_digest", every=timedelta(minutes=30)),
    # Assignment: response timers, absent agents' tickets, backlog drain (desk.assignment).
    Periodic("desk.assignment.jobs.sweep", every=timedelta(minutes=1)),
    # Reports: count changed tickets into the rollups; send last week's digest once (Mondays).
    Periodic("desk.reports.jobs.refresh_rollups", every=timedelta(minutes=1)),
    Periodic("desk.reports.jobs.send_weekly_digest", every=timedelta(hours=1)),
]


@dataclass
class EmbeddedScheduler:
    """Runs the periodic tasks in this process, each when its interval has passed."""

    app: Flask
    tasks: list[Periodic] = field(default_factory=lambda: list(PERIODIC))
    last_run: dict[str, datetime] = field(default_factory=dict)

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Run every task whose interval has passed since its last run; return their paths."""
        from desk.jobs import run_in_process

        now = now or datetime.now(UTC)
        ran = []
        for task in self.tasks:
            last = self.last_run.get(task.path)
            if last is not None and now - last < task.every:
                continue
            self.last_run[task.path] = now
            with self.app.app_context():
                run_in_process(task.path, [], task.queue)
            ran.append(task.path)
        return ran

    def start(self, tick: float = 15.0) -> threading.Thread:
        def loop() -> None:
            while True:
                try:
                    self.run_due()
                except Exception:  # a broken sweep must not end the thread for the others
                    log.exception("periodic tasks failed")
                time.sleep(tick)

        thread = threading.Thread(target=loop, name="desk-periodic", daemon=True)
        thread.start()
        return thread


def rq_scheduler(connection: "Redis") -> "CronScheduler":
    """RQ's cron scheduler with every periodic task registered to run through desk.jobs.execute."""
    from rq.cron import CronScheduler

    from desk.jobs import execute

    scheduler = CronScheduler(connection=connection, logging_level="INFO", name="desk")
    for task in PERIODIC:
        scheduler.register(
            execute,
            task.queue,
            args=(task.path,),
            interval=int(task.every.total_seconds()),
            job_timeout=600,
            name=task.path,
        )
    return scheduler


def run_rq_scheduler(app: Flask) -> None:
    """Run RQ's cron scheduler for the periodic tasks until stopped (blocks)."""
    from desk.jobs import redis_connection

    with app.app_context():
        connection = redis_connection()
    if connection is None:
        raise RuntimeError("RQ's scheduler needs REDIS_URL")
    rq_scheduler(connection).start()
