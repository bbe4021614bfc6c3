"""What both benchmarks share: databases, the app, timing, percentiles and tables."""

import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

DATABASES = ("sqlite", "postgresql")
PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/desk_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SQLITE_DIR = Path(os.environ.get("BENCH_SQLITE_DIR", "/tmp"))  # noqa: S108 - bench files


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the tables."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_names(choice: str) -> list[str]:
    """`--db sqlite|postgresql|both` as a list of names."""
    return list(DATABASES) if choice == "both" else [choice]


# -- databases and the app ------------------------------------------------------------------


def database_url(kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{SQLITE_DIR / f'{name}.sqlite3'}"
    if kind == "postgresql":
        return PG_URL
    raise ValueError(f"unknown database {kind}")


def fresh_database(kind: str, name: str) -> str:
    """An empty database of this kind; returns its SQLAlchemy URL."""
    url = database_url(kind, name)
    if kind == "sqlite":
        path = Path(sa.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    return url


def drop_database(kind: str, url: str) -> None:
    if kind == "sqlite":
        path = sa.make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def bench_config(url: str, **overrides: Any) -> type:
    """The production Config pointed at a bench database, without Redis unless asked."""
    from config import Config

    attributes: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "bench-only-not-secret",
        # The login form is posted by the bench itself; CSRF does not change read timings.
        "WTF_CSRF_ENABLED": False,
    }
    attributes.update(overrides)
    return type("BenchConfig", (Config,), attributes)


def create_bench_app(url: str, **overrides: Any) -> Flask:
    from desk import create_app

    return create_app(bench_config(url, **overrides))


def migrate(app: Flask) -> None:
    """The schema through the Alembic migrations, as production gets it."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def refresh_statistics(app: Flask) -> None:
    """What a database that has been running a while has: planner statistics (and, on
    PostgreSQL, a vacuumed visibility map)."""
    from desk.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            # On the driver connection, outside any transaction: a checkpoint cannot run
            # inside one.
            raw = engine.raw_connection()
            try:
                for statement in ("ANALYZE", "PRAGMA optimize", "PRAGMA wal_checkpoint(TRUNCATE)"):
                    raw.driver_connection.execute(statement)
                raw.driver_connection.commit()
            finally:
                raw.close()
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")


class QueryCounter:
    """Counts the statements SQLAlchemy sends on an engine (before_cursor_execute)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0
        self.statements: list[tuple[str, Any]] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                    context: Any, executemany: bool) -> None:
        self.count += 1
        self.statements.append((statement, parameters))

    @contextmanager
    def counting(self) -> Iterator["QueryCounter"]:
        self.count = 0
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._on_execute)
        try:
            yield self
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._on_execute)


# -- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Milliseconds over `n` timed runs."""

    n: int
    p50: float
    p95: float
    mean: float


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(samples_ms: Sequence[float]) -> Stats:
    ordered = sorted(samples_ms)
    mean = sum(ordered) / len(ordered) if ordered else float("nan")
    return Stats(len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.95), mean)


def measure(
    run: Callable[[], Any], iterations: int, warmup: int = 20, budget_s: float = 15.0
) -> Stats:
    """Time `run()` after `warmup` untimed calls (or 1 s of them); stops early (with at
    least 30 samples) when the time budget is spent, so a slow path cannot blow the run
    time."""
    warm_until = time.perf_counter() + 1.0
    for _ in range(warmup):
        run()
        if time.perf_counter() > warm_until:
            break
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(iterations):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / 1e6)
        if len(samples) >= 30 and time.perf_counter() > deadline:
            break
    return summarize(samples)


def measure_interleaved(
    runs: dict[str, Callable[[], Any]], iterations: int, warmup: int = 20,
    budget_s: float = 15.0,
) -> dict[str, Stats]:
    """Time several ways of doing the same thing in turns (one call of each per round),
    so a burst of load from elsewhere on the machine hits all of them alike and their
    ratios stay fair. Warm-up as in measure(); stops after `iterations` rounds, or when
    the budget is spent (with at least 30 rounds)."""
    for run in runs.values():
        warm_until = time.perf_counter() + 1.0
        for _ in range(warmup):
            run()
            if time.perf_counter() > warm_until:
                break
    samples: dict[str, list[float]] = {name: [] for name in runs}
    deadline = time.perf_counter() + budget_s
    for done in range(1, iterations + 1):
        for name, run in runs.items():
            start = time.perf_counter_ns()
            run()
            samples[name].append((time.perf_counter_ns() - start) / 1e6)
        if done >= 30 and time.perf_counter() > deadline:
            break
    return {name: summarize(values) for name, values in samples.items()}


# -- output --------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    numeric = [
        all(isinstance(row[index], int | float) or row[index] in (None, "")
            for row in rows) and any(isinstance(row[index], int | float) for row in rows)
        for index in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i])
            for i, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def machine_summary(pg_url: str | None = None, revision: str | None = None) -> str:
    """Cores, memory, versions: the context every figure needs. Pass the `revision`
    taken when the run started: others commit while a benchmark runs."""
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    mem_line = next((row for row in memory if row.startswith("Mem:")), "").split()
    lines = [
        f"cores (nproc): {os.cpu_count()}",
        f"memory (free -h): {mem_line[1] if len(mem_line) > 1 else '?'} total",
        f"cpu: {_cpu_model()}",
        f"python {platform.python_version()}, SQLAlchemy {sa.__version__}, "
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if pg_url:
        try:
            engine = sa.create_engine(pg_url)
            with engine.connect() as connection:
                lines.append("PostgreSQL " + str(connection.exec_driver_sql(
                    "SHOW server_version").scalar()))
            engine.dispose()
        except sa.exc.OperationalError:
            lines.append("PostgreSQL: not reachable")
    lines.append(f"load average at the end (1/5/15 min): {load_average()}")
    lines.append(f"desk commit: {revision or git_revision()}")
    return "\n".join(lines)


def load_average() -> str:
    """The machine is shared: the load beside a figure says how much to trust it."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def git_revision() -> str:
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=root)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=root).stdout.strip()
    return run.stdout.strip() + (" (+ uncommitted changes in the work tree)" if dirty else "")
