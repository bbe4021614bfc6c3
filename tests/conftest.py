"""Fixtures: one app per database (SQLite and PostgreSQL), a clean database per test.

Every test runs once on SQLite and once on PostgreSQL (`--db` picks one).
Tests commit for real (after-commit effects are part of what they check), and
the tables are emptied after each test.
"""

import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from redis import Redis

from config import Config
from desk import create_app
from desk.commits import commit
from desk.extensions import db, limiter
from desk.models import (
    Channel,
    ChannelKind,
    Contact,
    Message,
    MessageKind,
    Person,
    Priority,
    Role,
    Status,
    Ticket,
    utcnow,
)

IN_CI = bool(os.environ.get("CI"))
PG_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/desk_test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def pytest_sessionstart(session: pytest.Session) -> None:
    compile_catalogs()


def compile_catalogs() -> None:
    """Compile .po to .mo as `make translations` does, so a bare `pytest` sees them too.

    Flask-Babel caches a catalog per app for the whole session, so they must be
    fresh before the first request.
    """
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).resolve().parent.parent / "desk" / "translations").glob(
        "*/LC_MESSAGES/messages.po"
    ):
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        with po_path.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite,postgresql",
                     help="comma-separated databases to run the suite on")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        names = metafunc.config.getoption("--db").split(",")
        metafunc.parametrize("database", names, scope="session")


def service_missing(what: str, error: Exception) -> None:
    """A missing service fails the run; outside CI it says how to start it."""
    pytest.fail(f"{what} is not reachable ({error}); `make test` starts it, "
                f"or set the TEST_* URL in the environment", pytrace=False)


def _fresh_postgres_database(url: str) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def app(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'desk-test.sqlite3'}"
    elif database == "postgresql":
        url = PG_URL
        _fresh_postgres_database(url)
    else:
        raise pytest.UsageError(f"unknown --db {database}")

    class TestConfig(Config):
        TESTING = True
        SECRET_KEY = secrets.token_hex(16)
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = None
        WTF_CSRF_ENABLED = False  # tests that check CSRF switch it on
        RATELIMIT_STORAGE_URI = "memory://"
        DESK_JOB_RETRIES = 1
        SERVER_NAME = None

    app = create_app(TestConfig)
    app.config["DESK_DATABASE"] = database
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        # A live server may still be writing (a closed page's socket records its person
        # as offline): a deadlock or a busy database is retried, not a failed test.
        for attempt in range(5):
            try:
                _empty(tables)
                break
            except sa.exc.OperationalError:
                if attempt == 4:
                    raise
        limiter.reset()
        app.extensions.pop("desk.presence", None)  # who was online belongs to that test
    from desk.reports import cache

    cache.clear()  # cached report results belong to the test that computed them


def _empty(tables: list[str]) -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def redis_jobs(app: Flask) -> Iterator[Redis]:
    """Jobs go through a real Redis and RQ for this test (database 15, emptied)."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001
        service_missing("Redis", exc)
    connection.flushdb()
    app.extensions["desk.redis"] = connection
    yield connection
    app.extensions.pop("desk.redis", None)
    connection.flushdb()


@pytest.fixture
def make_person(app: Flask) -> Callable[..., Person]:
    def make(
        email: str = "agent@example.com",
        name: str = "Anna Agent",
        roles: tuple[Role, ...] = (Role.AGENT,),
        teams: tuple[str, ...] = (),
        password: str = PASSWORD,
        language: str | None = "en",
    ) -> Person:
        from desk.auth.service import create_person

        with app.app_context():
            person = create_person(email, name, list(roles), password, language, list(teams))
            person_id = person.id
        return _detached(app, Person, person_id)

    return make


@pytest.fixture
def make_channel(app: Flask) -> Callable[..., Channel]:
    def make(
        slug: str = "webhook",
        kind: ChannelKind = ChannelKind.WEBHOOK,
        secret: str | None = "s3cret-signing-key",
        team: str | None = None,
        is_active: bool = True,
    ) -> Channel:
        from desk.auth.service import team_named

        with app.app_context():
            channel = Channel(slug=slug, name=slug.title(), kind=kind, secret=secret,
                              is_active=is_active, team=team_named(team) if team else None)
            db.session.add(channel)
            commit()
            channel_id = channel.id
        return _detached(app, Channel, channel_id)

    return make


@pytest.fixture
def make_ticket(app: Flask, make_channel: Callable[..., Channel]) -> Callable[..., Ticket]:
    """A ticket with one inbound message, written directly (intake has its own tests)."""
    counter = iter(range(1, 1_000_000))

    def make(
        subject: str = "Mein Zug ist schon wieder ausgefallen",
        text: str = "Seit einer Stunde warte ich am Gleis.",
        channel: str = "webhook",
        team: str | None = None,
        handle: str = "@pendlerin",
        status: Status = Status.NEW,
        priority: Priority = Priority.NORMAL,
        assignee: Person | None = None,
        **overrides: Any,
    ) -> Ticket:
        from desk.auth.service import team_named
        from desk.sanitize import text_to_html

        n = next(counter)
        with app.app_context():
            found = db.session.scalar(sa.select(Channel).where(Channel.slug == channel))
            channel_id = found.id if found else make_channel(slug=channel).id
            contact = db.session.scalar(
                sa.select(Contact).where(Contact.channel_id == channel_id, Contact.handle == handle)
            ) or Contact(channel_id=channel_id, handle=handle, name=handle.lstrip("@").title(),
                         reach=120)
            now = utcnow()
            ticket = Ticket(
                channel_id=channel_id, contact=contact, thread_key=f"thread-{n}",
                subject=subject, preview=text[:200], status=status, priority=priority,
                assignee_id=assignee.id if assignee else None,
                team=team_named(team) if team else None, message_count=1,
                last_message_at=now, created_at=now, updated_at=now, **overrides,
            )
            db.session.add(ticket)
            db.session.flush()
            db.session.add(Message(ticket_id=ticket.id, channel_id=channel_id,
                                   kind=MessageKind.INBOUND, body_html=text_to_html(text),
                                   body_text=text, external_id=f"ext-{n}", created_at=now))
            commit()
            ticket_id = ticket.id
        return _detached(app, Ticket, ticket_id)

    return make


def _detached(app: Flask, model: type, row_id: int) -> Any:
    """Load a row with its relationships and detach it, for use outside a context."""
    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


class ApiClient:
    """The Flask test client, speaking to /api/v1 with a person's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)


@pytest.fixture
def api_as(app: Flask, client: FlaskClient) -> Callable[[Person], ApiClient]:
    def make(person: Person) -> ApiClient:
        from desk.auth.service import create_token

        with app.app_context():
            token = create_token(person.email)
        return ApiClient(client, token)

    return make


@pytest.fixture
def platform() -> Iterator[Any]:
    """A local HTTP server speaking a remote platform's format (tests/platforms.py)."""
    from tests.platforms import PlatformServer

    server = PlatformServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap_server() -> Iterator[Any]:
    """Debian's dovecot on a free port with one mailbox (tests/mailservers.py)."""
    from tests.mailservers import Dovecot

    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink() -> Iterator[Any]:
    """A local SMTP server that keeps what it receives (tests/mailservers.py)."""
    from tests.mailservers import SmtpSink

    sink = SmtpSink()
    yield sink
    sink.stop()
