"""The declarative base: naming convention, UTC timestamps, enum columns."""

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Every constraint gets a stable name, so Alembic (and SQLite batch mode) can find it.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones; without this, values read from it are naive and
    compare wrongly with aware ones.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; desk stores only aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # PostgreSQL sessions run in UTC (desk.database)
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A string column limited to the enum's values by a named CHECK constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def exists_on(dialect: str) -> Callable[..., bool]:
    """An Alembic `include_object` hook: leave out what `ddl_if` keeps off this dialect.

    Alembic's autogenerate ignores `ddl_if` (as of 1.x), so without this a
    PostgreSQL-only index would show as missing on SQLite.
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect is None or ddl_if.dialect == dialect

    return include


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def dialect_insert(target: Any) -> Any:
    """An INSERT in the current session's dialect, for `.on_conflict_do_nothing()`:
    PostgreSQL and SQLite spell it alike, but each dialect has its own construct."""
    from sqlalchemy.dialects import postgresql, sqlite

    from desk.extensions import db

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def inline(value: Any, type_: sa.types.TypeEngine[Any] | None = None) -> sa.BindParameter[Any]:
    """A value written into the SQL text instead of sent as a parameter.

    Queue statements are planned anew on every request unless PostgreSQL can keep one
    generic plan for them, and planning the six-table row query costs ten times its
    execution (1.7 ms against 0.15 ms, docs/benchmarks.md). psycopg prepares a statement
    after its fifth run; a prepared statement without parameters keeps its generic plan,
    one with parameters (LIMIT $1, assignee_id = $1) is planned again on each execution
    because the planner thinks a custom plan is cheaper. So the values that repeat for a
    person (page size, their id and teams, the count cap) are literals: one statement
    text, one plan per person and view. Only integers and our own enum values go this
    way; free text (search words) and cursor times stay parameters.
    """
    expanding = isinstance(value, list | tuple)
    return sa.bindparam(None, list(value) if expanding else value, expanding=expanding,
                        literal_execute=True, type_=type_)
