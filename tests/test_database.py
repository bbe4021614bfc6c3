"""PostgreSQL connections keep their prepared statements (desk.database).

On a database of its own, next to the suite's: the test changes a column's type under
a running pool, as a migration would.
"""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import desk.database
from tests.conftest import PG_URL, _fresh_postgres_database

PROBE = "plan_probe"


@pytest.fixture
def pg_url() -> Iterator[sa.URL]:
    target = sa.make_url(PG_URL)
    own = target.set(database=f"{target.database}_plans")
    _fresh_postgres_database(own.render_as_string(hide_password=False))
    yield own
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
    admin.dispose()


def prepared_statements(connection: sa.Connection) -> list[str]:
    return list(connection.execute(
        sa.text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_a_statement_stays_prepared_across_the_rollback_that_ends_a_request(pg_url):
    engine = sa.create_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        for _ in range(6):  # psycopg prepares on the fifth run
            with engine.connect() as connection:  # closing rolls back, as a request's end
                connection.execute(sa.text("SELECT count(*) FROM pg_class WHERE relpages > 0"))
        with engine.connect() as connection:
            kept = prepared_statements(connection)
        assert any("relpages > 0" in statement for statement in kept)
    finally:
        engine.dispose()


def test_a_plan_made_stale_by_a_migration_fails_one_statement_not_every_one_after(pg_url):
    engine = sa.create_engine(pg_url, pool_size=1, max_overflow=0)
    other = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    query = sa.text(f"SELECT * FROM {PROBE}")
    try:
        with other.begin() as connection:
            connection.execute(sa.text(f"CREATE TABLE {PROBE} (id integer, amount integer)"))
            connection.execute(sa.text(f"INSERT INTO {PROBE} VALUES (1, 42)"))
        for _ in range(6):
            with engine.connect() as connection:
                assert connection.execute(query).all() == [(1, 42)]
        with other.begin() as connection:  # the migration, from another process
            connection.execute(sa.text(f"ALTER TABLE {PROBE} ALTER COLUMN amount TYPE text"))

        with pytest.raises(sa.exc.DBAPIError, match="cached plan must not change result type"):
            with engine.connect() as connection:
                connection.execute(query).all()
        with engine.connect() as connection:
            assert connection.execute(query).all() == [(1, "42")]
    finally:
        engine.dispose()
        other.dispose()


def test_a_connection_lost_while_idle_is_replaced_before_use(pg_url, monkeypatch):
    monkeypatch.setattr(desk.database, "IDLE_BEFORE_PING_S", 0.0)
    engine = sa.create_engine(pg_url, pool_size=1, max_overflow=0)
    admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            lost = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:  # the server restarts, a firewall drops it...
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})

        with engine.connect() as connection:
            now = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        assert now != lost
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged_and_a_loss_costs_one_statement(pg_url):
    # Used a moment ago, so no ping: losing it shows on the next statement, which fails
    # (with a ping on every checkout it would not); the pool then connects afresh.
    engine = sa.create_engine(pg_url, pool_size=1, max_overflow=0)
    admin = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            lost = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})

        with pytest.raises(sa.exc.DBAPIError), engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_backend_pid()"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar() != lost
    finally:
        engine.dispose()
        admin.dispose()


def test_a_bulk_insert_is_parsed_once_per_batch_size_not_once_per_batch(pg_url):
    from psycopg import _queries

    engine = sa.create_engine(pg_url)
    table = sa.Table("bulk_probe", sa.MetaData(), sa.Column("id", sa.Integer),
                     sa.Column("body", sa.Text))
    rows = [{"id": n, "body": f"complaint {n}"} for n in range(200)]  # 400 parameters
    try:
        with engine.begin() as connection:
            table.create(connection)
        with engine.begin() as connection:
            connection.execute(table.insert().values(rows))
        before = _queries._query2pg.cache_info().hits
        with engine.begin() as connection:
            connection.execute(table.insert().values(rows))
        assert _queries._query2pg.cache_info().hits > before
    finally:
        engine.dispose()
