"""Live desk: commit-to-receipt latency of a Socket.IO event, and memory per socket.

    .venv/bin/python -m bench.live [--sockets 200,1000] [--events 40]
        [--server desk|bare|both] [--processes 1,2]

Serves desk as production does (`gunicorn -k gevent -w 1 wsgi:app`, PostgreSQL,
Redis as the Socket.IO message queue), in one web process and in two; connects
N agent sockets (raw Engine.IO clients over aiohttp WebSockets, in two client
processes, spread evenly over the web processes); then this process adds notes
through the service, as an RQ worker would, and every socket records when its
`message.created` arrives. `--server bare` runs the same harness against a bare
Flask-SocketIO app on the same stack (bench/live_bare.py), with the events sent
by Flask-SocketIO's external emitter: the floor for desk's numbers. Latency runs
from the moment the database commit returned (SQLAlchemy's after_commit; desk
publishes right after it) to receipt; CLOCK_MONOTONIC is shared by all processes
of the machine. Memory per socket is the web processes' RSS growth divided by the
sockets they hold. Prints a table; never asserts.
"""

import argparse
import asyncio
import json
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


def start_web(env: dict[str, str], target: str = "wsgi:app") -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--log-level", "warning",
         "-b", f"127.0.0.1:{port}", target],
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
    """Raw Engine.IO v4 / Socket.IO v5 clients over aiohttp WebSockets.

    The protocol by hand (open packet, namespace connect with auth, pings, event
    frames) instead of python-socketio's AsyncClient: with 500 sockets per client
    process the full client's per-frame work (packet objects, handler dispatch,
    task per event) took most of the two cores and measured itself, not the server.
    Receipt is stamped when the frame is read, before JSON decoding.
    """
    import aiohttp

    receipts: list[tuple[str, float]] = []
    sockets: list[Any] = []
    gate = asyncio.Semaphore(25)
    marker = '42["message.created"'
    # limit=0: every WebSocket holds a connection, and aiohttp's default pool stops at 100.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def run(n: int, token: str, connected: asyncio.Future) -> None:
        try:
            await listen(n, token, connected)
        except Exception as exc:
            if not connected.done():  # a socket that never connected fails the run loudly
                connected.set_exception(exc)

    async def listen(n: int, token: str, connected: asyncio.Future) -> None:
        base = urls[n % len(urls)].replace("http://", "ws://")
        async with gate:
            ws = await session.ws_connect(f"{base}/socket.io/?EIO=4&transport=websocket",
                                          autoping=False, max_msg_size=0)
            opening = await ws.receive_str()  # "0{...sid, pingInterval...}"
            if not opening.startswith("0"):
                raise RuntimeError(f"unexpected open packet {opening[:80]}")
            await ws.send_str("40" + json.dumps({"token": token}))
            reply = await ws.receive_str()
            while reply.startswith("2"):  # a ping before the namespace answer
                await ws.send_str("3")
                reply = await ws.receive_str()
            if not reply.startswith("40"):
                raise RuntimeError(f"namespace refused: {reply[:120]}")
        sockets.append(ws)
        connected.set_result(True)
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            data = frame.data
            if data.startswith(marker):
                receipts.append((data, time.monotonic()))
            elif data == "2":
                await ws.send_str("3")

    loop = asyncio.get_running_loop()
    ready = [loop.create_future() for _ in tokens]
    tasks = [asyncio.create_task(run(n, token, ready[n])) for n, token in enumerate(tokens)]
    await asyncio.gather(*ready)
    pipe.send(("ready", len(sockets)))
    await loop.run_in_executor(None, pipe.recv)  # "done"
    # Decoding after the run: the message id of each receipt, out of the timed path.
    decoded = [(json.loads(data[2:])[1]["message_id"], at) for data, at in receipts]
    pipe.send(("receipts", decoded))
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    await session.close()


# -- one measurement ----------------------------------------------------------------------


def measure(urls: list[str], pids: list[int], tokens: list[str], sockets: int,
            send_events: Any) -> dict[str, Any]:
    """Connect the sockets, let `send_events()` cause the events (it returns each message
    id's start time and the service times), then collect the receipts."""
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

    sent, service = send_events()
    time.sleep(1)
    latencies: list[float] = []
    for pipe in pipes:
        pipe.send("done")
    for pipe in pipes:
        _, receipts = pipe.recv()
        latencies += [(at - sent[mid]) * 1000 for mid, at in receipts if mid in sent]
    for process in processes:
        process.join(timeout=60)
    expected = connected * len(sent)
    return {"sockets": connected, "received": len(latencies), "expected": expected,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p99": percentile(latencies, 0.99) if latencies else float("nan"),
            "service": statistics.median(service) if service else float("nan"),
            "kib_per_socket": (after - before) / max(connected, 1)}


def desk_events(app: Any, ticket_id: int, events: int) -> Any:
    """Notes added through the service, as an RQ worker would; the clock starts when the
    database commit returned (desk publishes right after it)."""

    def send() -> tuple[dict[int, float], list[float]]:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from desk.extensions import db
        from desk.models import Person
        from desk.replies.service import add_note

        sent: dict[int, float] = {}
        service: list[float] = []
        committed: list[float] = []

        def mark(session: Session) -> None:  # the database commit returned; emits follow
            committed.append(time.monotonic())

        event.listen(Session, "after_commit", mark)
        try:
            with app.app_context():
                author = db.session.scalar(db.select(Person).limit(1))
                for n in range(events):
                    start = time.monotonic()
                    message = add_note(author, ticket_id, f"bench {n}")
                    sent[message.id] = committed[-1]
                    service.append((committed[-1] - start) * 1000)
                    time.sleep(GAP)
        finally:
            event.remove(Session, "after_commit", mark)
        return sent, service

    return send


def bare_events(events: int) -> Any:
    """The same event straight from Flask-SocketIO's external emitter through Redis."""

    def send() -> tuple[dict[int, float], list[float]]:
        from flask_socketio import SocketIO

        from bench.live_bare import ROOM

        emitter = SocketIO(message_queue=os.environ["REDIS_URL"],
                           channel=os.environ["DESK_SOCKETIO_CHANNEL"])
        sent: dict[int, float] = {}
        for n in range(1, events + 1):
            sent[n] = time.monotonic()
            emitter.emit("message.created", {"message_id": n, "ticket_id": 1}, to=ROOM)
            time.sleep(GAP)
        return sent, []

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", default="200,1000")
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--server", choices=("desk", "bare", "both"), default="both",
                        help="desk, or a bare Flask-SocketIO app on the same stack, or both")
    parser.add_argument("--processes", default="1,2", help="web processes, e.g. 1,2")
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
    kinds = ("desk", "bare") if args.server == "both" else (args.server,)
    for kind in kinds:
        target = "wsgi:app" if kind == "desk" else "bench.live_bare:app"
        send = (desk_events(app, ticket_id, args.events) if kind == "desk"
                else bare_events(args.events))
        for processes in [int(n) for n in args.processes.split(",")]:
            for size in sizes:
                servers = [start_web(env, target) for _ in range(processes)]
                try:
                    pids = [worker_pid(process.pid) for process, _ in servers]
                    progress(f"{kind}: {size} sockets on {processes} web process(es)")
                    result = measure([url for _, url in servers], pids, tokens, size, send)
                finally:
                    for process, _ in servers:
                        stop(process)
                rows.append({"server": kind, "web processes": processes, **result})

    print(f"\nlive events, gunicorn -k gevent -w 1 per web process, PostgreSQL, Redis queue; "
          f"{args.events} events, {CLIENT_PROCESSES} client processes, {os.cpu_count()} cores")
    header = ("server", "web processes", "sockets", "received", "p50 ms", "p99 ms",
              "KiB/socket", "service to commit p50 ms")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(f"| {row['server']} | {row['web processes']} | {row['sockets']} | "
              f"{row['received']}/{row['expected']} | {row['p50']:.1f} | {row['p99']:.1f} | "
              f"{row['kib_per_socket']:.0f} | {row['service']:.1f} |")


if __name__ == "__main__":
    main()
