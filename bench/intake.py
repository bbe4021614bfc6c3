"""Intake throughput: signed complaints acknowledged by the real server, and turned
into tickets by one RQ worker.

    .venv/bin/python -m bench.intake [--db sqlite|postgresql|both] [--n 2000]
        [--concurrency 16] [--workers 1,2]

For each database: migrate an empty database, create one signed webhook channel,
empty Redis db 12, then start the production processes as subprocesses:

  web     gunicorn -k gevent -w 1 wsgi:app (docs/operations.md), REDIS_URL set, so an
          acknowledgement only stores the raw payload and queues one processing run
  worker  flask --app wsgi desk worker (a non-forking RQ SimpleWorker), or, where that
          command does not exist yet, an RQ SimpleWorker started with python -c

and measure, with a threaded HTTP client on 127.0.0.1 (keep-alive, bodies signed
beforehand):

  (a) acks       N signed POSTs to /api/v1/intake/<slug>, no worker running:
                 acknowledgements per second and client-side latency p50/p95
  (b) drain      the worker starts with N stored events waiting: events per second
                 from its start until the N-th ticket exists
  (b) e2e        with the worker idle and ready, N new complaints posted: complaints
                 per second from the first POST until the N-th ticket exists
  (c) memory     peak RSS (VmHWM) of the gunicorn worker process and of the RQ worker
  (d) CPU        during e2e, the CPU time (user + system, /proc/<pid>/stat) each kind of
                 process spent per complaint: this client, the web processes, the
                 workers, PostgreSQL's processes, Redis; on two cores, 500 complaints/s
                 leave 4 ms of CPU per complaint for all of them together

The client runs on the same 2 cores as the server, the worker and the database;
the figures are for the whole machine doing all of it.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from redis import Redis

from bench.common import (
    REDIS_URL,
    Stats,
    create_bench_app,
    database_names,
    format_table,
    fresh_database,
    git_revision,
    load_average,
    machine_summary,
    migrate,
    progress,
    summarize,
)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = "desk-bench-intake"
SLUG = "bench-webhook"
SECRET = "bench-intake-secret"  # noqa: S105 - a throwaway bench channel
WARMUP_POSTS = 50
WAIT_LIMIT_S = 150.0
STALL_S = 15.0  # no new ticket for this long: the phase has stalled, stop waiting
WORDS = (
    "Zug Verspätung Gleis Erstattung Bus Haltestelle Fahrplan ausgefallen schon wieder "
    "heute Anschluss verpasst Hotline niemand erreichbar App funktioniert nicht Klimaanlage "
    "defekt Durchsage Personal danke bitte Antwort Geld zurück Beschwerde unmöglich Pendler"
).split()


@dataclass
class Phase:
    """One timed phase: how many, how long, and per-request latencies if any."""

    name: str
    count: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    note: str = ""
    stalled: bool = False  # never finished: no rate

    @property
    def rate(self) -> float:
        if self.stalled or self.seconds <= 0:
            return float("nan")
        return self.count / self.seconds

    @property
    def latency(self) -> Stats | None:
        return summarize(self.latencies_ms) if self.latencies_ms else None


@dataclass
class Outcome:
    db: str
    phases: list[Phase]
    web_peak_kib: int | None
    worker_peak_kib: int | None
    worker_command: str
    notes: list[str]
    # CPU ms per complaint by kind of process, for the phases "acks" and "e2e"
    cpu_ms: dict[str, dict[str, float]] = field(default_factory=dict)


# -- CPU accounting ---------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def pids_named(*names: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def cpu_per_complaint(before: dict[str, float], after: dict[str, float], n: int
                      ) -> dict[str, float]:
    return {kind: (after[kind] - before[kind]) * 1000 / n for kind in after}


def cpu_snapshot(web: subprocess.Popen[bytes], pool: list[subprocess.Popen[bytes]]
                 ) -> dict[str, float]:
    """CPU seconds so far per kind of process taking part in intake."""
    def total(pids: list[int]) -> float:
        return sum(cpu_seconds(pid) for pid in pids)

    return {
        "client": total([os.getpid()]),
        "web": total([web.pid, *children(web.pid)]),
        "workers": total([pid for worker in pool for pid in [worker.pid, *children(worker.pid)]]),
        "postgresql": total(pids_named("postgres")),
        "redis": total(pids_named("redis-server")),
    }


# -- payloads and the client ----------------------------------------------------------------


def follower_count(rng: random.Random) -> int:
    """Followers of an author as social networks have them: most a few hundred, about
    2 % over 10,000 (DESK_RISK_REACH), a few far more (log-normal, median about 150).
    (Until 2026-11-24 the bench drew 0-50,000 evenly: four authors in five "high reach",
    so most complaints escalated at once, which no real stream does.)"""
    return int(rng.lognormvariate(5.0, 2.0))


def complaint_bodies(start: int, count: int, seed: int = 7) -> list[tuple[bytes, str]]:
    """Signed complaint bodies, each opening its own thread (so each becomes a ticket)."""
    from desk.intake.service import sign

    rng = random.Random(seed + start)
    bodies = []
    for n in range(start, start + count):
        handle = f"@pendler{rng.randint(1, 500)}"
        payload = {
            "external_id": f"bench-{n}",
            "thread_id": f"bench-thread-{n}",
            "text": " ".join(rng.choices(WORDS, k=rng.randint(8, 40))).capitalize() + "!",
            "author": {"handle": handle, "name": handle.lstrip("@").title(),
                       "reach": follower_count(rng)},
            "url": f"https://social.example/p/{n}",
            "created_at": datetime.now(UTC).isoformat(),
            "language": "de",
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        bodies.append((body, sign(SECRET, body)))
    return bodies


def post_all(port: int, bodies: list[tuple[bytes, str]], concurrency: int) -> Phase:
    """POST every body with `concurrency` keep-alive connections; wall time and latencies."""
    path = f"/api/v1/intake/{SLUG}"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        seen: dict[int, int] = {}
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            body, signature = bodies[index]
            start = time.perf_counter_ns()
            connection.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "X-Desk-Signature": signature})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter_ns() - start) / 1e6)
            seen[response.status] = seen.get(response.status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Phase("acks", len(bodies), time.perf_counter() - started, latencies, statuses)


# -- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench-only-not-secret",
        # Far above what one client can send: the benchmark measures the server, not the limit.
        "DESK_INTAKE_LIMIT": "1000000 per minute",
        "DESK_LOAD_DEMO": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


WEB_PROCESSES = [1]  # gunicorn worker processes (--web-processes)


def start_web(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(VENV_BIN / "gunicorn"), "-k", "gevent", "-w", str(WEB_PROCESSES[0]),
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    return subprocess.Popen(command, cwd=ROOT, env=server_env(url),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def worker_command() -> tuple[list[str], str]:
    """`flask --app wsgi desk worker` when it exists, else an RQ SimpleWorker via python -c."""
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi", "desk", "worker"]
    probe = subprocess.run([*flask, "--help"], cwd=ROOT, capture_output=True,
                           env=server_env("sqlite://"))
    if probe.returncode == 0:
        return flask, "flask --app wsgi desk worker"
    code = (
        "from redis import Redis; import rq; from desk import create_app; "
        "app = create_app(); ctx = app.app_context(); ctx.push(); "
        f"rq.SimpleWorker(['intake', 'default'], connection=Redis.from_url({REDIS_URL!r}))"
        ".work(burst=False, with_scheduler=False)"
    )
    return [sys.executable, "-c", code], "rq.SimpleWorker via python -c"


def start_worker(url: str, command: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=server_env(url),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_until_serving(port: int, process: subprocess.Popen[bytes], limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the web process did not answer within 30 s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """End a process this benchmark started, by its pid."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def peak_rss_kib(pid: int) -> int | None:
    """VmHWM: the resident set's high-water mark, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# -- the database side ----------------------------------------------------------------------


SLA_POLICY = [False]  # --sla-policy: every new ticket gets clocks (desk.sla)


def prepare_database(kind: str) -> str:
    """Fresh, migrated, with one signed webhook channel routed to a team (and, with
    --sla-policy, a round-the-clock SLA policy that every ticket matches)."""
    from desk.auth.service import team_named
    from desk.commits import commit
    from desk.extensions import db
    from desk.models import Channel, ChannelKind

    url = fresh_database(kind, DB_NAME)
    app = create_bench_app(url)
    migrate(app)
    with app.app_context():
        channel = Channel(slug=SLUG, name="Bench webhook", kind=ChannelKind.WEBHOOK,
                          secret=SECRET, language="de", team=team_named("Bahn"))
        db.session.add(channel)
        commit()
        if SLA_POLICY[0]:
            add_sla_policy()
        db.engine.dispose()
    return url


def add_sla_policy() -> None:
    """A policy as a desk would have one: first answer within an hour, around the clock."""
    from desk.auth.service import create_person
    from desk.commits import commit
    from desk.models import Role
    from desk.sla.policies import create_policy

    supervisor = create_person("bench-supervisor@example.com", "Bench Supervisor",
                               [Role.SUPERVISOR], "bench-only-password")
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    create_policy(supervisor, {
        "name": "Standard", "first_response_minutes": 60, "next_response_minutes": 120,
        "resolution_minutes": 1440, "pause_statuses": ["pending"],
        "calendar": {"timezone": "Europe/Berlin",
                     "hours": {day: [["00:00", "24:00"]] for day in every_day}},
    })
    commit()


def counter(url: str) -> Callable[[], int]:
    engine = sa.create_engine(url)

    def tickets() -> int:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one()

    return tickets


def wait_for_tickets(count_tickets: Callable[[], int], target: int,
                     since: float | None = None) -> tuple[float, int, bool]:
    """Poll until `target` tickets exist: (seconds from `since` until the last one seen,
    how many, stalled). Stops when nothing new appears for STALL_S seconds."""
    start = since if since is not None else time.perf_counter()
    limit = WAIT_LIMIT_S
    reached = count_tickets()
    last_change = start
    while time.perf_counter() - start < limit:
        now_count = count_tickets()
        if now_count != reached:
            reached, last_change = now_count, time.perf_counter()
        if reached >= target:
            return last_change - start, reached, False
        if time.perf_counter() - last_change > STALL_S:
            return last_change - start, reached, True
        time.sleep(0.05)
    return last_change - start, reached, True


def wait_for_worker(redis: Redis, process: subprocess.Popen[bytes],
                    limit: float = 60) -> float:
    """Seconds until the RQ worker has registered itself (and so starts taking jobs)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        if redis.scard("rq:workers"):
            return time.perf_counter() - start
        time.sleep(0.02)
    raise RuntimeError("the worker did not register within 60 s")


def final_states(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        states = connection.execute(sa.text(
            "SELECT status, count(*) FROM intake_events GROUP BY status ORDER BY status")).all()
        failures = connection.execute(sa.text("SELECT count(*) FROM job_failures")).scalar_one()
    engine.dispose()
    summary = ", ".join(f"{status} {count}" for status, count in states)
    return f"intake events: {summary}; job failures recorded: {failures}"


# -- one database ---------------------------------------------------------------------------


def run_database(kind: str, n: int, concurrency: int, workers: int = 1) -> Outcome:
    """One database with `workers` RQ worker processes (they share the intake queue and
    lease disjoint batches)."""
    progress(f"{kind}: fresh database, migrations, channel; {workers} worker(s)")
    url = prepare_database(kind)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    port = free_port()
    logs = Path(f"/tmp/desk-bench-intake-{kind}")  # noqa: S108 - bench logs
    logs.mkdir(exist_ok=True)
    web = None
    pool: list[subprocess.Popen[bytes]] = []
    phases: list[Phase] = []
    notes: list[str] = []
    command, command_name = worker_command()
    count_tickets = counter(url)
    try:
        web = start_web(url, port, logs / "web.log")
        wait_until_serving(port, web)
        progress(f"{kind}: gunicorn (gevent) serving on 127.0.0.1:{port}, pid {web.pid}")
        post_all(port, complaint_bodies(10_000_000, WARMUP_POSTS), concurrency)

        progress(f"{kind}: (a) {n} signed POSTs, {concurrency} connections, no worker")
        bodies = complaint_bodies(0, n)
        cpu_before = cpu_snapshot(web, pool)
        acks = post_all(port, bodies, concurrency)
        cpu_ms = {"acks": cpu_per_complaint(cpu_before, cpu_snapshot(web, pool), n)}
        phases.append(acks)
        progress(f"{kind}: (a) {acks.rate:.0f} acks/s")

        waiting = n + WARMUP_POSTS
        progress(f"{kind}: (b) drain: {command_name} starts with {waiting} events waiting")
        pool = [start_worker(url, command, logs / f"worker-{i}.log") for i in range(workers)]
        startup = max(wait_for_worker(redis, worker) for worker in pool)
        waited, reached, stalled = wait_for_tickets(count_tickets, waiting)
        drain = Phase("drain", reached, waited, stalled=stalled,
                      note=f"timed from the worker's registration ({startup:.1f} s start-up)"
                      + (f"; STALLED at {reached} of {waiting}" if stalled else ""))
        phases.append(drain)
        progress(f"{kind}: (b) drain {drain.rate:.0f} events/s"
                 + (" (stalled)" if stalled else ""))

        progress(f"{kind}: (b) e2e: {n} complaints with the worker running")
        base = count_tickets()
        holder: dict[str, Phase] = {}
        bodies = complaint_bodies(20_000_000, n)
        poster = threading.Thread(target=lambda: holder.update(
            acks=post_all(port, bodies, concurrency)))
        cpu_before = cpu_snapshot(web, pool)
        started = time.perf_counter()
        poster.start()
        e2e_seconds, reached, stalled = wait_for_tickets(count_tickets, base + n, started)
        poster.join()
        cpu_ms["e2e"] = cpu_per_complaint(cpu_before, cpu_snapshot(web, pool), n)
        during = holder["acks"]
        during.name = "acks (worker running)"
        phases.append(during)
        phases.append(Phase("e2e", reached - base, e2e_seconds, stalled=stalled,
                            note=f"first POST to last ticket; all acknowledged after "
                            f"{during.seconds:.2f} s"
                            + (f"; STALLED at {reached - base} of {n}" if stalled else "")))
        progress(f"{kind}: (b) e2e {phases[-1].rate:.0f} complaints/s"
                 + (" (stalled)" if stalled else ""))

        web_pids = [web.pid, *children(web.pid)]
        web_peak = max((peak_rss_kib(pid) or 0) for pid in web_pids) or None
        worker_peak = max((peak_rss_kib(pid) or 0) for worker in pool
                          for pid in [worker.pid, *children(worker.pid)]) or None
    finally:
        for worker in pool:
            stop(worker)
        stop(web)
    notes.append(f"{kind}: {final_states(url)}")
    locked = sum(log.read_text(errors="replace").count("database is locked")
                 for log in logs.glob("worker-*.log"))
    if locked:
        notes.append(f"{kind}: the worker log shows {locked} 'database is locked' errors")
    notes.append(f"{kind}: server logs in {logs}")
    label = kind if workers == 1 else f"{kind} ×{workers} workers"
    return Outcome(label, phases, web_peak, worker_peak, command_name, notes, cpu_ms)


# -- output ---------------------------------------------------------------------------------


def outcome_table(outcomes: list[Outcome]) -> str:
    headers = ("db", "phase", "count", "seconds", "per second", "p50 ms", "p95 ms",
               "statuses", "note")
    rows = []
    for outcome in outcomes:
        for phase in outcome.phases:
            latency = phase.latency
            statuses = " ".join(f"{code}x{count}" for code, count in sorted(
                phase.statuses.items())) or "-"
            rows.append((outcome.db, phase.name, phase.count, phase.seconds, phase.rate,
                         latency.p50 if latency else None, latency.p95 if latency else None,
                         statuses, phase.note or "-"))
    return format_table(headers, rows)


def cpu_table(outcomes: list[Outcome]) -> str:
    kinds = ("client", "web", "workers", "postgresql", "redis")
    headers = ("db", "phase", *(f"{kind} ms" for kind in kinds), "total ms")
    rows = [(o.db, phase, *(cpu.get(kind, 0.0) for kind in kinds), sum(cpu.values()))
            for o in outcomes for phase, cpu in o.cpu_ms.items()]
    return format_table(headers, rows)


def memory_table(outcomes: list[Outcome]) -> str:
    headers = ("db", "web peak RSS MiB (gunicorn gevent worker)", "RQ worker peak RSS MiB",
               "worker")
    rows = [(o.db, (o.web_peak_kib or 0) / 1024, (o.worker_peak_kib or 0) / 1024,
             o.worker_command) for o in outcomes]
    return format_table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, default=2000, help="complaints per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--workers", default="1",
                        help="comma-separated RQ worker counts to run, e.g. 1,2")
    parser.add_argument("--web-processes", type=int, default=1,
                        help="gunicorn worker processes taking the acknowledgements")
    parser.add_argument("--sla-policy", action="store_true",
                        help="an SLA policy every ticket matches (clocks on each new ticket)")
    args = parser.parse_args(argv)
    WEB_PROCESSES[0] = args.web_processes
    SLA_POLICY[0] = args.sla_policy
    worker_counts = [int(part) for part in args.workers.split(",") if part.strip()]

    load_at_start = load_average()
    revision = git_revision()
    outcomes = [run_database(kind, args.n, args.concurrency, workers)
                for kind in database_names(args.db) for workers in worker_counts]
    from bench.common import PG_URL

    print(machine_summary(PG_URL if "postgresql" in database_names(args.db) else None,
                          revision))
    print(f"\nintake, {args.n} complaints per phase, {args.concurrency} client connections, "
          f"gunicorn -k gevent -w {args.web_processes}, RQ workers: {args.workers}"
          f"{', an SLA policy' if args.sla_policy else ''}\n")
    print(outcome_table(outcomes))
    print()
    print(memory_table(outcomes))
    print("\nCPU per complaint (user + system, all processes of each kind; acks: no worker "
          "running):")
    print(cpu_table(outcomes))
    notes = [f"load average at start (1/5/15 min): {load_at_start}"]
    notes += [note for outcome in outcomes for note in outcome.notes]
    if notes:
        print()
        print("\n".join(notes))


if __name__ == "__main__":
    main()
