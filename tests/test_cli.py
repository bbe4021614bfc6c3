"""`flask desk ...`: each command's success path and its one-line refusals (exit code 2)."""

import json
import os

import pytest
import sqlalchemy as sa
from rq import SimpleWorker

from desk.auth.service import authenticate, person_for_token
from desk.extensions import db
from desk.intake.service import sign
from desk.models import (
    AuditEvent,
    Channel,
    ChannelKind,
    IntakeEvent,
    IntakeStatus,
    Person,
    Role,
    Ticket,
)


def desk(runner, *args, **kwargs):
    return runner.invoke(args=["desk", *args], **kwargs)


def refused(result, *words):
    """Exit code 2 and exactly one line on stderr, naming what is wrong."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# create-user

def test_create_user_with_roles_teams_and_language(app, runner):
    result = desk(runner, "create-user", "Lea@Example.com", "--name", "Lea Hoffmann",
                  "--role", "agent", "--role", "supervisor", "--team", "Technik",
                  "--language", "de", "--password", "lang-genug-123")
    assert result.exit_code == 0, result.output
    assert "lea@example.com" in result.stdout
    with app.app_context():
        person = authenticate("lea@example.com", "lang-genug-123")
        assert person is not None
        assert person.roles == {Role.AGENT, Role.SUPERVISOR}
        assert [team.name for team in person.teams] == ["Technik"]
        assert person.language == "de"


def test_create_user_prompts_for_the_password_twice(app, runner):
    result = desk(runner, "create-user", "tom@example.com", "--name", "Tom", "--role", "agent",
                  input="geheim-geheim\ngeheim-geheim\n")
    assert result.exit_code == 0, result.output
    assert "geheim-geheim" not in result.stdout  # the prompt hides the input
    with app.app_context():
        assert authenticate("tom@example.com", "geheim-geheim") is not None


def test_create_user_refuses_a_mismatched_confirmation(app, runner):
    result = desk(runner, "create-user", "tom@example.com", "--name", "Tom", "--role", "agent",
                  input="geheim-geheim\nanders-anders\n")
    assert result.exit_code != 0
    assert count(app, Person) == 0


def test_create_user_with_an_unknown_role_is_refused(app, runner):
    result = desk(runner, "create-user", "x@example.com", "--name", "X", "--role", "boss",
                  "--password", "lang-genug-123")
    refused(result, "--role", "boss")
    assert count(app, Person) == 0


def test_create_user_twice_is_refused(app, runner, make_person):
    make_person(email="lea@example.com")
    result = desk(runner, "create-user", "LEA@example.com", "--name", "Lea", "--role", "agent",
                  "--password", "lang-genug-123")
    refused(result, "lea@example.com", "exists already")
    assert count(app, Person) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["not-an-email", "--name", "X", "--role", "agent", "--password", "lang-genug-123"],
         ["email address"]),
        (["x@example.com", "--name", "X", "--role", "agent", "--password", "kurz"],
         ["password", "8"]),
        (["x@example.com", "--name", "X", "--password", "lang-genug-123"], ["--role"]),
        (["x@example.com", "--name", "X", "--role", "agent", "--language", "fr",
          "--password", "lang-genug-123"], ["--language"]),
    ],
)
def test_create_user_with_bad_values_is_refused(app, runner, args, words):
    refused(desk(runner, "create-user", *args), *words)
    assert count(app, Person) == 0


# create-token

def test_create_token_prints_the_token_as_its_last_line(app, runner, make_person):
    make_person(email="lea@example.com")
    result = desk(runner, "create-token", "lea@example.com")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    with app.app_context():
        assert person_for_token(token).email == "lea@example.com"


def test_create_token_for_an_unknown_person_is_refused(app, runner):
    refused(desk(runner, "create-token", "nobody@example.com"), "nobody@example.com")


# create-channel

def test_create_webhook_channel_generates_and_prints_a_secret_once(app, runner, make_person):
    make_person(email="owner@example.com")
    result = desk(runner, "create-channel", "social-listening", "--kind", "webhook",
                  "--name", "Social Listening", "--team", "Bahn & Reisen",
                  "--owner", "owner@example.com", "--language", "de")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40 and result.stdout.count(secret) == 1
    with app.app_context():
        channel = db.session.scalar(sa.select(Channel))
        assert channel.secret == secret
        assert (channel.kind, channel.name, channel.language) == (
            ChannelKind.WEBHOOK, "Social Listening", "de")
        assert channel.team.name == "Bahn & Reisen"
        assert channel.owner.email == "owner@example.com"
        audit = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "channel.created"))
        assert secret not in json.dumps(audit.data)  # secrets never reach the logs


def test_a_created_webhook_channel_takes_signed_intake(app, runner, client):
    result = desk(runner, "create-channel", "hook", "--kind", "webhook")
    secret = result.stdout.strip().splitlines()[-1]
    body = json.dumps({"external_id": "1", "text": "Router kaputt",
                       "author": {"handle": "@k"}}).encode()
    response = client.post("/api/v1/intake/hook", data=body,
                           headers={"Content-Type": "application/json",
                                    "X-Desk-Signature": sign(secret, body)})
    assert response.status_code == 202
    assert count(app, Ticket) == 1


def test_a_given_secret_is_kept_and_not_printed(app, runner):
    result = desk(runner, "create-channel", "hook", "--kind", "webhook", "--secret", "my-own-key")
    assert result.exit_code == 0, result.output
    assert "my-own-key" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Channel.secret)) == "my-own-key"


def test_a_form_channel_gets_no_secret(app, runner):
    result = desk(runner, "create-channel", "contact-form", "--kind", "form")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == ["Created channel contact-form (form)."]
    with app.app_context():
        assert db.session.scalar(sa.select(Channel.secret)) is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["hook", "--kind", "pigeon"], ["--kind", "pigeon"]),
        (["Bad_Slug", "--kind", "webhook"], ["Bad_Slug"]),
        (["-x", "--kind", "webhook"], []),
        (["a", "--kind", "webhook"], ["'a'"]),
        (["hook", "--kind", "feed", "--owner", "nobody@example.com"], ["nobody@example.com"]),
        (["hook", "--kind", "feed", "--language", "Deutsch"], ["Deutsch"]),
        (["hook"], ["--kind"]),
    ],
)
def test_create_channel_with_bad_values_is_refused(app, runner, args, words):
    refused(desk(runner, "create-channel", *args), *words)
    assert count(app, Channel) == 0


def test_a_duplicate_slug_is_refused(app, runner):
    assert desk(runner, "create-channel", "hook", "--kind", "webhook").exit_code == 0
    refused(desk(runner, "create-channel", "hook", "--kind", "feed"), "hook", "exists already")
    assert count(app, Channel) == 1


# worker

def test_worker_without_redis_says_none_is_needed(runner):
    refused(desk(runner, "worker"), "REDIS_URL is not set")


def test_scheduler_without_redis_says_serve_runs_the_periodic_tasks(runner):
    refused(desk(runner, "scheduler"), "REDIS_URL is not set")


def _store_complaint(app, make_channel):
    """One intake event stored while jobs go to Redis: no ticket until a worker runs."""
    from desk.intake.service import receive

    channel = make_channel()
    payload = {"external_id": "r-1", "text": "Paket seit 9 Tagen unterwegs",
               "author": {"handle": "@wartend", "reach": 40100}}
    with app.app_context():
        receive(db.session.get(Channel, channel.id), "r-1", json.dumps(payload))
    assert count(app, Ticket) == 0
    assert count(app, IntakeEvent) == 1


def test_rq_simple_worker_turns_stored_intake_into_a_ticket(app, redis_jobs, make_channel):
    _store_complaint(app, make_channel)
    with app.app_context():
        SimpleWorker(["intake", "default"], connection=redis_jobs).work(burst=True)
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.subject == "Paket seit 9 Tagen unterwegs"
        assert ticket.contact.reach == 40100
        assert db.session.scalar(sa.select(IntakeEvent.status)) == IntakeStatus.PROCESSED


@pytest.mark.parametrize("fork", [False, True], ids=["simple", "forking"])
def test_worker_command_in_burst_mode_processes_the_queue(app, runner, redis_jobs,
                                                         make_channel, fork):
    _store_complaint(app, make_channel)
    result = desk(runner, "worker", "--burst", *(["--fork"] if fork else []))
    assert result.exit_code == 0, result.output
    assert count(app, Ticket) == 1


def test_worker_listens_to_the_queues_it_is_given(app, runner, redis_jobs, make_channel):
    _store_complaint(app, make_channel)
    result = desk(runner, "worker", "--burst", "--queues", "default")
    assert result.exit_code == 0, result.output
    assert count(app, Ticket) == 0  # the intake run waits on the intake queue


# serve

@pytest.fixture
def served(monkeypatch):
    """socketio.run, recorded instead of serving; notes whether Flask would refuse to run."""
    calls = []

    def run(app, **kwargs):
        # Flask's app.run() returns at once while this is set (it expects `flask run`).
        assert os.environ.get("FLASK_RUN_FROM_CLI") is None
        calls.append((app, kwargs))

    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # restored after the test
    monkeypatch.setattr("desk.extensions.socketio.run", run)
    # No real periodic thread: it would outlive the test and run the sweeps (the reports
    # rollup every minute) against the databases of every later test.
    monkeypatch.setattr("desk.schedule.EmbeddedScheduler.start",
                        lambda self, tick=15.0: calls.append(("periodic", self.tasks)))
    return calls


def test_serve_runs_socketio_on_the_given_address(app, runner, served):
    from desk.schedule import PERIODIC

    result = desk(runner, "serve", "--host", "192.0.2.1", "--port", "8123")
    assert result.exit_code == 0, result.output
    # Without Redis there is no RQ scheduler: serve runs the periodic tasks itself.
    [(kind, tasks), (served_app, options)] = served
    assert (kind, tasks) == ("periodic", PERIODIC)
    assert served_app is app
    assert options == {"host": "192.0.2.1", "port": 8123, "allow_unsafe_werkzeug": True}


def test_serve_takes_its_port_from_the_environment(app, runner, served, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    assert desk(runner, "serve").exit_code == 0
    assert served[-1][1]["port"] == 5123
    assert served[-1][1]["host"] == "127.0.0.1"


def test_serve_refuses_a_bad_port(runner, served, monkeypatch):
    refused(desk(runner, "serve", "--port", "99999"), "--port")
    monkeypatch.setenv("PORT", "http")
    refused(desk(runner, "serve"), "--port")
    assert served == []
