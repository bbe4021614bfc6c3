"""Live desk: commit-to-receipt latency of a Socket.IO event, and memory per socket.

    .venv/bin/python -m bench.live [--sockets 200,1000] [--events 40]

Serves desk as production does (`gunicorn -k gevent -w 1 wsgi:app`, PostgreSQL,
Redis as the Socket.IO message queue), in one web process and in two; connects
N agent sockets (python-socketio AsyncClient over WebSocket, in two client
processes, spread evenly over the web processes); then this process adds notes
through the service, as an RQ worker would, and every socket records when its
`message.created` arrives. Latency runs from the moment the database commit
returned (SQLAlchemy's after_commit; desk publishes right after it) to receipt;
CLOCK_MONOTONIC is shared by all processes of the machine. Memory per socket is
the web processes' RSS growth divided by the sockets they hold. Prints a table; never asserts.
"""

import argparse
import asyncio
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/desk_bench_live")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
AGENTS = 50  # sockets are spread over this many agents of one team
CLIENT_PROCESSES = 2
GAP = 0.25  # seconds between events, so each is measured alone


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the database --------------------------------------------------------------------------


def prepare(env: dict[str, str]) -> tuple[list[str], int]:
    """A fresh database with one team, AGENTS agents with tokens and one ticket."""
    import sqlalchemy as sa

    url = sa.make_url(PG_URL)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    app = bench_app()
    from desk.auth.service import create_person, create_token, team_named
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import Channel, ChannelKind, Contact, Role, Ticket

    with app.app_context():
        tokens = []
        for n in range(AGENTS):
            person = create_person(f"agent{n}@bench.example", f"Agent {n}", [Role.AGENT],
                                   None, "en", ["Bench"])
            tokens.append(create_token(person.email))
        channel = Channel(slug="bench", name="Bench", kind=ChannelKind.WEBHOOK, secret="x",  # noqa: S106
                          team=team_named("Bench"))
        db.session.add(channel)
        db.session.flush()
        contact = Contact(channel_id=channel.id, handle="@bench", name="Bench", reach=1)
        ticket = Ticket(channel_id=channel.id, contact=contact, thread_key="bench",
                        subject="Bench", team=team_named("Bench"))
        db.session.add(ticket)
        commit()
        return tokens, ticket.id


def bench_app():  # noqa: ANN201
    from config import Config
    from desk import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL
        REDIS_URL = os.environ["REDIS_URL"]
        SOCKETIO_CHANNEL = os.environ["DESK_SOCKETIO_CHANNEL"]

    return create_app(BenchConfig)


# -- web processes ------------------------------------------------------------------------


def start_web(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--log-level", "warning",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def worker_pid(master: int) -> int:
    """gunicorn's single worker: the master's child, which holds the sockets."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# -- client processes ---------------------------------------------------------------------


def client_process(urls: list[str], tokens: list[str], pipe: Any) -> None:
    """Connect one socket per token (to urls in turn), report, record receipts."""
    asyncio.run(_clients(urls, tokens, pipe))


async def _clients(urls: list[str], tokens: list[str], pipe: Any) -> None:
    import socketio

    receipts: list[tuple[int, float]] = []
    clients = []
    gate = asyncio.Semaphore(25)

    async def connect(n: int, token: str) -> None:
        client = socketio.AsyncClient(reconnection=False)

        async def on_message(data: dict) -> None:
            receipts.append((data["message_id"], time.monotonic()))

        client.on("message.created", on_message)
        async with gate:
            await client.connect(urls[n % len(urls)], auth={"token": token},
                                 transports=["websocket"], wait_timeout=30)
        clients.append(client)

    await asyncio.gather(*(connect(n, token) for n, token in enumerate(tokens)))
    pipe.send(("ready", len(clients)))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "done"
    pipe.send(("receipts", receipts))
    await asyncio.gather(*(client.disconnect() for client in clients))


# -- one measurement ----------------------------------------------------------------------


def measure(app: Any, urls: list[str], pids: list[int], tokens: list[str], ticket_id: int,
            sockets: int, events: int) -> dict[str, Any]:
    from desk.extensions import db
    from desk.models import Person
    from desk.replies.service import add_note

    before = sum(rss_kib(pid) for pid in pids)
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for n in range(CLIENT_PROCESSES):
        mine = [tokens[i % len(tokens)] for i in range(n, sockets, CLIENT_PROCESSES)]
        # Each client process spreads its sockets over every web process.
        parent, child = context.Pipe()
        process = context.Process(target=client_process, args=(urls, mine, child))
        process.start()
        pipes.append(parent)
        processes.append(process)
    connected = sum(pipe.recv()[1] for pipe in pipes)
    time.sleep(2)  # let the connect handlers' presence writes settle
    after = sum(rss_kib(pid) for pid in pids)

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    sent: dict[int, float] = {}
    service: list[float] = []
    committed: list[float] = []

    def mark(session: Session) -> None:  # the database commit returned; emits follow
        committed.append(time.monotonic())

    event.listen(Session, "after_commit", mark)
    with app.app_context():
        author = db.session.scalar(db.select(Person).limit(1))
        for n in range(events):
            start = time.monotonic()
            message = add_note(author, ticket_id, f"bench {n}")
            sent[message.id] = committed[-1]
            service.append((committed[-1] - start) * 1000)
            time.sleep(GAP)
    event.remove(Session, "after_commit", mark)
    time.sleep(1)
    latencies: list[float] = []
    for pipe in pipes:
        pipe.send("done")
    for pipe in pipes:
        _, receipts = pipe.recv()
        latencies += [(at - sent[mid]) * 1000 for mid, at in receipts if mid in sent]
    for process in processes:
        process.join(timeout=60)
    expected = connected * events
    return {"sockets": connected, "received": len(latencies), "expected": expected,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p99": percentile(latencies, 0.99) if latencies else float("nan"),
            "service": statistics.median(service),
            "kib_per_socket": (after - before) / max(connected, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", default="200,1000")
    parser.add_argument("--events", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sockets.split(",")]

    env = {**os.environ, "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL,
           "DESK_SOCKETIO_CHANNEL": f"desk-bench-{uuid.uuid4().hex}",
           "SECRET_KEY": "bench-only"}
    env.pop("FLASK_RUN_FROM_CLI", None)
    os.environ.update({key: env[key] for key in ("REDIS_URL", "DESK_SOCKETIO_CHANNEL")})
    progress("preparing the database")
    tokens, ticket_id = prepare(env)
    app = bench_app()

    rows = []
    for processes in (1, 2):
        for size in sizes:
            servers = [start_web(env) for _ in range(processes)]
            try:
                pids = [worker_pid(process.pid) for process, _ in servers]
                progress(f"{size} sockets on {processes} web process(es)")
                result = measure(app, [url for _, url in servers], pids, tokens, ticket_id,
                                 size, args.events)
            finally:
                for process, _ in servers:
                    stop(process)
            rows.append({"web processes": processes, **result})

    print(f"\nlive events, gunicorn -k gevent -w 1 per web process, PostgreSQL, Redis queue; "
          f"{args.events} events, {CLIENT_PROCESSES} client processes, {os.cpu_count()} cores")
    header = ("web processes", "sockets", "received", "p50 ms", "p99 ms", "KiB/socket",
              "service to commit p50 ms")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(f"| {row['web processes']} | {row['sockets']} | "
              f"{row['received']}/{row['expected']} | {row['p50']:.1f} | {row['p99']:.1f} | "
              f"{row['kib_per_socket']:.0f} | {row['service']:.1f} |")


if __name__ == "__main__":
    main()
