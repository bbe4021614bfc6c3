"""Several processes: two web servers and an RQ worker, joined by Redis.

A socket on web process A hears of a complaint posted to web process B and turned
into a ticket by the worker: every side publishes on the same Socket.IO channel.
"""

import json
import os
import queue
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio as socketio_client
from redis import Redis

from desk.intake.service import sign
from tests.conftest import REDIS_URL, service_missing

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "desk"]
STARTUP = 30  # seconds a process may take to start listening


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"server on port {port} did not start:\n{log.read_text()}")


def wait_for_log(text: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if text in log.read_text():
            return
        time.sleep(0.1)
    pytest.fail(f"worker did not start:\n{log.read_text()}")


@pytest.fixture
def desk_processes(app, tmp_path) -> Iterator[dict[str, str]]:
    """Web processes A and B and one worker, on this test's database and Redis."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001
        service_missing("Redis", exc)
    connection.flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        # Pub/sub channels are shared by every Redis database: one of our own.
        "DESK_SOCKETIO_CHANNEL": f"desk-test-{uuid.uuid4().hex}",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_RUN_FROM_CLI", None)
    started: list[tuple[subprocess.Popen, object]] = []

    def start(name: str, args: list[str]) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        out = log.open("w")
        process = subprocess.Popen([*FLASK, *args], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
        started.append((process, out))
        return process, log

    try:
        urls = {}
        for name in ("a", "b"):
            port = free_port()
            process, log = start(f"web-{name}", ["serve", "--host", "127.0.0.1",
                                                 "--port", str(port)])
            wait_for_port(port, process, log)
            urls[name] = f"http://127.0.0.1:{port}"
        process, log = start("worker", ["worker"])
        wait_for_log("Listening on", process, log)
        yield urls
    finally:
        for process, _ in started:
            process.terminate()
        for process, out in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            out.close()
        connection.flushdb()


def test_a_complaint_on_one_process_reaches_a_socket_on_another(
    app, make_person, make_channel, desk_processes
):
    from desk.auth.service import create_token

    make_channel(slug="webhook", team="Bahn")
    agent = make_person(email="anna@example.com", teams=("Bahn",))
    with app.app_context():
        token = create_token(agent.email)  # committed before the processes look

    received: queue.Queue = queue.Queue()
    client = socketio_client.Client(reconnection=False)
    client.on("ticket.created", lambda data: received.put(data))
    client.connect(desk_processes["a"], auth={"token": token}, wait_timeout=10)
    try:
        body = json.dumps({"external_id": "proc-1", "text": "Zug fällt aus, schon wieder.",
                           "author": {"handle": "@pendler", "name": "Paul", "reach": 10}})
        request = urllib.request.Request(
            f"{desk_processes['b']}/api/v1/intake/webhook", data=body.encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "X-Desk-Signature": sign("s3cret-signing-key", body.encode())})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202

        created = received.get(timeout=30)
    finally:
        client.disconnect()
    from desk.extensions import db
    from desk.models import Ticket

    with app.app_context():
        ticket = db.session.get(Ticket, created["ticket_id"])
        assert ticket is not None and ticket.subject.startswith("Zug fällt aus")
    assert set(created) == {"ticket_id", "channel_id", "status", "priority"}


def test_a_burst_of_complaints_reaches_the_socket_complete_and_in_order(
    app, make_person, make_channel, desk_processes
):
    """An intake batch's events leave the worker in one Redis pipeline after its commit
    (desk.live.publisher): every one arrives, each ticket's ticket.created before its
    message.created."""
    from desk.auth.service import create_token

    make_channel(slug="webhook", team="Bahn")
    agent = make_person(email="anna@example.com", teams=("Bahn",))
    with app.app_context():
        token = create_token(agent.email)

    received: queue.Queue = queue.Queue()
    client = socketio_client.Client(reconnection=False)
    for name in ("ticket.created", "message.created"):
        client.on(name, lambda data, name=name: received.put((name, data["ticket_id"])))
    client.connect(desk_processes["a"], auth={"token": token}, wait_timeout=10)
    burst = 12
    try:
        for n in range(burst):
            body = json.dumps({"external_id": f"burst-{n}", "text": f"Zug {n} fällt aus.",
                               "author": {"handle": f"@p{n}", "name": "Paul", "reach": 10}})
            request = urllib.request.Request(
                f"{desk_processes['b']}/api/v1/intake/webhook", data=body.encode(),
                method="POST", headers={
                    "Content-Type": "application/json",
                    "X-Desk-Signature": sign("s3cret-signing-key", body.encode())})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 202
        events = [received.get(timeout=30) for _ in range(2 * burst)]
    finally:
        client.disconnect()
    created = [ticket for name, ticket in events if name == "ticket.created"]
    messages = [ticket for name, ticket in events if name == "message.created"]
    assert len(set(created)) == burst and set(messages) == set(created)
    for ticket in created:
        assert events.index(("ticket.created", ticket)) < events.index(
            ("message.created", ticket))
