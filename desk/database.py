"""How desk's connections to its database are set up, on either engine.

SQLite runs as a server database (WAL, a busy timeout, enforced foreign keys).
PostgreSQL sessions run in UTC and keep their prepared statements from one request to
the next, so that a page's statements are planned once per connection instead of on
every request (docs/architecture.md, "Database connections").
"""

import time
from typing import Any

import psycopg
from psycopg import _queries, pq
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.pool import Pool

# psycopg turns a query's %(name)s placeholders into $n with a regular expression and
# remembers the result only for queries up to 4096 bytes and 50 parameters. SQLAlchemy's
# bulk INSERTs (one INSERT with a VALUES row per object: "insertmanyvalues") are longer,
# so each batch's INSERT was parsed anew: a fifth of an intake worker's time (py-spy,
# docs/benchmarks.md). Their text repeats (one per batch size and table), so they are
# remembered too, up to 256 KiB each (psycopg keeps 128 of them).
_queries.MAX_CACHED_STATEMENT_LENGTH = 256 * 1024
_queries.MAX_CACHED_STATEMENT_PARAMS = 65535  # PostgreSQL's limit per statement


class PlanKeepingConnection(psycopg.Connection):
    """A psycopg connection whose prepared statements outlive a ROLLBACK.

    psycopg prepares a statement after its fifth run on a connection, and forgets all of
    them on ROLLBACK (a rolled-back transaction may have dropped what they refer to).
    Every request ends with a ROLLBACK (the session closes), so nothing stayed prepared
    and the queue's six-table row query was planned on every page: 1.7 ms of planning
    for 0.15 ms of work. desk runs no DDL in requests or jobs, so there is nothing a
    ROLLBACK could have taken from under a statement. psycopg keeps them across COMMIT
    already; migrations that change a result type are handled by `_drop_stale_plans`.
    """

    def rollback(self) -> None:
        with self.lock:
            if self.pgconn.transaction_status == pq.TransactionStatus.IDLE:
                return
            # What psycopg's own rollback sends, without emptying the statement cache.
            self.wait(self._exec_command(b"ROLLBACK"))


STALE_PLAN = "cached plan must not change result type"


@event.listens_for(Engine, "do_connect")
def _connect(dialect: Any, connection_record: Any, cargs: Any, cparams: Any) -> Any:
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # Sessions in UTC, whatever the server's default: psycopg then reads times with
        # Python's own UTC, which desk.models.base.UTCDateTime passes through untouched
        # (converting every time read from a named zone such as Etc/UTC cost a tenth
        # of the queue page's row query).
        cparams["options"] = " ".join(filter(None, [cparams.get("options"), "-c TimeZone=UTC"]))
        return PlanKeepingConnection.connect(*cargs, **cparams)
    return None  # the dialect connects as usual


@event.listens_for(Engine, "handle_error")
def _drop_stale_plans(context: ExceptionContext) -> None:
    """A migration that changed a column's type leaves prepared statements that
    PostgreSQL refuses to run; drop the pool's connections so the next request prepares
    afresh (the request that met it fails once)."""
    error = context.original_exception
    if isinstance(error, psycopg.errors.FeatureNotSupported) and STALE_PLAN in str(error):
        context.is_disconnect = True


# A pooled PostgreSQL connection idle for longer than this is pinged before use.
IDLE_BEFORE_PING_S = 10.0


@event.listens_for(Pool, "checkin")
def _idle_from(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info["desk.idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_idle(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    """SQLAlchemy's pool_pre_ping, only for connections that sat idle a while.

    pre_ping costs a round trip on every checkout, that is on every request and every
    acknowledgement; a connection in steady use has just proved itself. One that was
    idle (the server may have restarted or a firewall dropped it) is pinged, and a
    failed ping makes the pool connect afresh. A connection that breaks while in
    use fails its statement; that error discards the pool's connections.
    """
    idle_since = connection_record.info.get("desk.idle_since")
    if not isinstance(dbapi_connection, psycopg.Connection) or idle_since is None:
        return  # SQLite has no server to lose; a new connection has just been made
    if time.monotonic() - idle_since < IDLE_BEFORE_PING_S:
        return
    try:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # the ping must not open a transaction
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except psycopg.Error as error:
        raise exc.DisconnectionError(f"an idle connection was lost: {error}") from error


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite as a server database: WAL, NORMAL sync, a busy timeout, enforced FKs."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
