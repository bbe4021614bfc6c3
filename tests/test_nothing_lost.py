"""Nothing lost: intake accepts with Redis unreachable; stuck events are picked up again.

Redis is made unreachable by pointing the app at a closed port (the shared test
Redis keeps running for the other suites); feeds and Meta are local servers
speaking their formats (the real ones cannot be reached from here).
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue, SimpleWorker

from desk.channels.polling import poll_channel
from desk.channels.service import create_channel
from desk.extensions import db
from desk.intake.jobs import reconcile_intake
from desk.intake.service import sign
from desk.jobs import execute, task_path
from desk.models import ChannelKind, IntakeEvent, IntakeStatus, Message, utcnow
from tests.conftest import REDIS_URL
from tests.platforms import Reply

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe closes


def counts():
    events = db.session.scalar(sa.select(sa.func.count()).select_from(IntakeEvent))
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    db.session.rollback()
    return events, messages


def test_every_intake_path_stores_while_redis_is_down(app, ctx, client, make_channel,
                                                      platform, redis_jobs):
    make_channel(slug="webhook")
    make_channel(slug="contact-form", kind=ChannelKind.FORM, secret=None)
    create_channel("fb", ChannelKind.META, secret="app", secrets_given={"verify_token": "v"})
    platform.route("GET", "/feed", Reply(200, "<rss version='2.0'><channel><item><guid>f1"
                                              "</guid><title>Zug</title><description>weg"
                                              "</description></item></channel></rss>"))
    feed = create_channel("forum", ChannelKind.FEED, allow_private=True,
                          settings={"url": platform.url + "/feed"})
    app.extensions["desk.redis"] = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0",
                                                  socket_connect_timeout=0.5)
    body = json.dumps({"external_id": "w1", "text": "Hallo", "author": {"handle": "@a"}})
    response = client.post("/api/v1/intake/webhook", data=body, content_type="application/json",
                           headers={"X-Desk-Signature": sign("s3cret-signing-key",
                                                             body.encode())})
    assert response.status_code == 202
    meta = json.dumps({"object": "page", "entry": [{"id": "1", "messaging": [
        {"sender": {"id": "9"}, "timestamp": 1, "message": {"mid": "m1", "text": "Hi"}}]}]})
    import hashlib
    import hmac

    digest = hmac.new(b"app", meta.encode(), hashlib.sha256).hexdigest()
    assert client.post("/api/v1/intake/fb", data=meta, content_type="application/json",
                       headers={"X-Hub-Signature-256": "sha256=" + digest}).status_code == 200
    assert poll_channel(feed.id).taken == ["f1"]
    response = client.post("/contact", data={"name": "Eva", "email": "eva@example.com",
                                             "subject": "Frage", "message": "Wo ist mein Geld?"})
    assert response.status_code == 302
    assert counts() == (4, 0)  # all stored, none processed: no job could be queued

    # Redis is back: the reconciler (a periodic task) queues and a worker processes them.
    app.extensions["desk.redis"] = redis_jobs
    Queue("intake", connection=redis_jobs).enqueue(execute, task_path(reconcile_intake))
    SimpleWorker(["intake"], connection=redis_jobs).work(burst=True, with_scheduler=False)
    assert counts() == (4, 4)
    statuses = set(db.session.scalars(sa.select(IntakeEvent.status)))
    assert statuses == {IntakeStatus.PROCESSED}


def test_the_reconciler_takes_events_whose_lease_ran_out(app, ctx, make_channel):
    channel = make_channel(slug="webhook")
    for n in range(3):
        payload = {"external_id": f"e{n}", "text": "kaputt", "author": {"handle": "@a"}}
        db.session.add(IntakeEvent(channel_id=channel.id, external_id=f"e{n}",
                                   payload=json.dumps(payload),
                                   status=IntakeStatus.PROCESSING, lease_token="dead",
                                   leased_until=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    assert reconcile_intake() == 0  # leases still held: someone may be working on them
    db.session.execute(sa.update(IntakeEvent).values(leased_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert reconcile_intake() == 3
    assert counts() == (3, 3)


@pytest.mark.redis
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(app, ctx, make_channel,
                                                            redis_jobs, tmp_path):
    channel = make_channel(slug="webhook")
    total = 2000  # far more than the worker takes before the test sees its first ticket
    db.session.execute(sa.insert(IntakeEvent), [
        {"channel_id": channel.id, "external_id": f"k{n}", "received_at": utcnow(),
         "payload": json.dumps({"external_id": f"k{n}", "text": f"Beschwerde {n}",
                                "author": {"handle": f"@p{n % 50}"}})}
        for n in range(total)])
    db.session.commit()
    Queue("intake", connection=redis_jobs).enqueue(execute, "desk.intake.jobs.process_intake")
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": REDIS_URL, "DESK_INTAKE_BATCH": "20", "PYTHONUNBUFFERED": "1"}
    env.pop("FLASK_RUN_FROM_CLI", None)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "desk", "worker",
                               "--queues", "intake"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while counts()[1] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # no cleanup, no lease handed back
        worker.wait(timeout=10)
    finally:
        # RQ's scheduler runs in a child of the worker; it must not outlive the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()
    done = counts()[1]
    assert 0 < done < total, "the worker should die part-way through"
    # Time passes beyond the lease; the reconciler takes what the dead worker held.
    db.session.execute(sa.update(IntakeEvent).where(IntakeEvent.status == IntakeStatus.PROCESSING)
                       .values(leased_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    reconcile_intake()
    assert counts() == (total, total)
    per_event = db.session.execute(
        sa.select(Message.intake_event_id, sa.func.count()).group_by(Message.intake_event_id)
        .having(sa.func.count() > 1)).all()
    assert per_event == []
