"""`flask --app wsgi desk ...`: the operator's commands.

The commands parse arguments, call services and print. Wrong arguments, bad
values and refusals from a service end the command with ONE line on stderr and
exit code 2, so scripts can tell a mistake from a partial import (exit 1).
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from rq import Queue, SimpleWorker, Worker

from desk.errors import DeskError
from desk.extensions import db
from desk.models import ChannelKind, Role


class OneLineErrors(click.Command):
    """A command whose usage errors are one line: no usage text, no help hint."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise one_line(exc) from exc


def one_line(error: click.UsageError) -> click.UsageError:
    """The same error as one line; without a context click prints only "Error: ..."."""
    return click.UsageError(" ".join(error.format_message().split()))


class DeskGroup(AppGroup):
    command_class = OneLineErrors


desk_cli = DeskGroup(
    "desk", help="desk operations: people, tokens, channels, import, demo, worker, sweep."
)


@contextmanager
def refusals_as_usage_errors() -> Iterator[None]:
    """Turn a service's refusal (DeskError) into the one-line error, exit code 2."""
    try:
        yield
    except DeskError as exc:
        db.session.rollback()
        raise click.UsageError(exc.detail) from exc


ROLES = click.Choice([role.value for role in Role])
KINDS = click.Choice([kind.value for kind in ChannelKind])


@desk_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", "roles", type=ROLES, multiple=True, required=True,
              help="A role; repeat for several.")
@click.option("--team", "teams", multiple=True, help="A team (created when missing); repeatable.")
@click.option("--language", type=click.Choice(["de", "en"]), help="Interface language.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted (hidden, twice) when not given.")
def create_user(email: str, name: str, roles: tuple[str, ...], teams: tuple[str, ...],
                language: str | None, password: str) -> None:
    """Create a person who can sign in."""
    from desk.auth.service import create_person

    with refusals_as_usage_errors():
        person = create_person(email, name, [Role(role) for role in roles], password,
                               language, list(teams))
    click.echo(f"Created {person.name} <{person.email}> with roles "
               f"{', '.join(sorted(role.value for role in person.roles))}.")


@desk_cli.command("create-token")
@click.argument("email")
def create_token(email: str) -> None:
    """Create an API token for a person; the token is the last line printed."""
    from desk.auth.service import create_token as new_token

    with refusals_as_usage_errors():
        token = new_token(email)
    click.echo(f"API token for {email.strip().lower()} (shown only now; store it safely):")
    click.echo(token)


@desk_cli.command("create-channel")
@click.argument("slug")
@click.option("--kind", type=KINDS, required=True, help="Where the messages come from.")
@click.option("--name", help="Display name (default: from the slug).")
@click.option("--secret", help="Signing secret: generated for webhook channels when not given; "
                               "Meta's app secret; X's consumer secret.")
@click.option("--team", help="Default team (created when missing).")
@click.option("--owner", "owner_email", help="E-mail of the channel's fixed contact person.")
@click.option("--language", help="Language of the channel's messages, e.g. de or en.")
@click.option("--url", help="Feed URL (feed), server base URL (mastodon), API base URL "
                            "(meta, x; default: the platform's).")
@click.option("--keyword", "keywords", multiple=True,
              help="Feed filter; repeatable; -WORD or !WORD excludes.")
@click.option("--token", help="Access token (mastodon; meta page token; x user token).")
@click.option("--verify-token", help="Meta's webhook verify token.")
@click.option("--imap-url", help="imap://USER:PASS@HOST:PORT/INBOX (email).")
@click.option("--smtp-url", help="smtp://HOST:PORT (email).")
@click.option("--allow-private", is_flag=True,
              help="Let the channel reach loopback and private addresses (off by default).")
def create_channel(slug: str, kind: str, name: str | None, secret: str | None,
                   team: str | None, owner_email: str | None, language: str | None,
                   url: str | None, keywords: tuple[str, ...], token: str | None,
                   verify_token: str | None, imap_url: str | None, smtp_url: str | None,
                   allow_private: bool) -> None:
    """Create a channel; a generated signing secret is printed once."""
    from desk.channels.service import create_channel as new_channel

    settings = {key: value for key, value in (("url", url), ("keywords", list(keywords)),
                                              ("smtp_url", smtp_url)) if value}
    secrets_given = {key: value for key, value in (("token", token),
                                                   ("verify_token", verify_token),
                                                   ("imap_url", imap_url)) if value}
    with refusals_as_usage_errors():
        channel = new_channel(slug, ChannelKind(kind), name=name, secret=secret, team=team,
                              owner_email=owner_email, language=language, settings=settings,
                              secrets_given=secrets_given, allow_private=allow_private)
    click.echo(f"Created channel {channel.slug} ({channel.kind.value}).")
    if secret is None and channel.secret:
        click.echo("Signing secret (shown only now; intake must sign with it):")
        click.echo(channel.secret)


@desk_cli.command("poll")
@click.argument("slug")
def poll(slug: str) -> None:
    """Poll one channel (feed, Mastodon, mailbox) now and print what it took in."""
    from desk.channels.polling import poll_channel
    from desk.channels.service import get_channel

    with refusals_as_usage_errors():
        channel = get_channel(slug)
        report = poll_channel(channel.id)
    for external_id in report.taken:
        click.echo(f"took in {external_id}")
    if report.error:
        raise click.ClickException(report.summary())
    click.echo(report.summary())


@desk_cli.command("create-team")
@click.argument("name")
@click.option("--member", "members", multiple=True, help="A member's e-mail; repeatable.")
@click.option("--mode", type=click.Choice(["off", "round_robin", "least_loaded"]),
              help="Auto-assignment (default: off).")
@click.option("--capacity", type=click.IntRange(1, 1000), help="Max open tickets per person.")
def create_team(name: str, members: tuple[str, ...], mode: str | None,
                capacity: int | None) -> None:
    """Create a team with its members (and, optionally, its auto-assignment)."""
    from desk.assignment.rules import create_team as new_team
    from desk.assignment.rules import save_rule

    with refusals_as_usage_errors():
        team = new_team(name, list(members))
        settings = {key: value for key, value in (("mode", mode), ("capacity", capacity))
                    if value is not None}
        if settings:
            save_rule(team, None, settings)
    click.echo(f"Created team {team.name} with {len(team.members)} member(s).")


@desk_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", help="Channel slug for rows without a channel column.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]),
              help="File format (default: from the extension).")
def import_file(file: Path, channel: str | None, fmt: str | None) -> None:
    """Import complaints from CSV or JSON (docs/import-format.md).

    Exit code 0 when every row was imported or known, 1 when some rows were
    rejected (each reported as "row N: reason"), 2 when the file is unreadable.
    """
    from desk.intake import importer
    from desk.intake.service import active_channel

    with refusals_as_usage_errors():
        if channel:
            active_channel(channel)
        rows = importer.read_file(file, importer.format_for(file, fmt))
    if not channel and not any("channel" in row.fields for row in rows):
        raise click.UsageError("no channel: give --channel SLUG or a channel column")
    with click.progressbar(rows, label=f"Importing {file.name}", file=sys.stderr) as bar:
        report = importer.import_rows(bar, channel)
    for rejection in report.rejected:
        click.echo(f"row {rejection.number}: {rejection.reason}", err=True)
    click.echo(report.summary)
    if report.rejected:
        sys.exit(1)


@desk_cli.command("demo")
def demo() -> None:
    """Load demo teams, people, channels and tickets; running it again changes nothing."""
    from desk.demo.service import load_demo

    report = load_demo()
    for line in report.lines():
        click.echo(line)
    click.echo(f"Sign in at http://127.0.0.1:{_default_port()}/login")


@desk_cli.command("faq-suggest")
@click.option("--days", type=click.IntRange(1, 3650), default=180, show_default=True,
              help="Look at tickets from this many days back.")
@click.option("--queue", "queued", is_flag=True, help="Queue it for an RQ worker instead.")
def faq_suggest(days: int, queued: bool) -> None:
    """Propose frequent, consistently answered questions as FAQ candidates."""
    from desk.faq.jobs import suggest_candidates
    from desk.jobs import dispatch, task_path

    if queued:
        dispatch(task_path(suggest_candidates), [days], "default")
        click.echo("Queued.")
        return
    report = suggest_candidates(days=days)
    click.echo(", ".join(f"{key}: {value}" for key, value in report.items()))


@desk_cli.command("reports-rebuild")
def reports_rebuild() -> None:
    """Recompute every ticket's report facts and daily rollups (after a calendar change)."""
    from desk.reports.rollups import rebuild_all

    click.echo(f"Counted {rebuild_all():,} tickets into the reports.")


@desk_cli.command("digest")
def digest() -> None:
    """Send last week's management summary now, unless it went out already."""
    from desk.reports.digest import send_due_digest

    try:
        result = send_due_digest()
    except OSError as error:
        raise click.ClickException(f"the mail server refused or is unreachable: {error}") \
            from None
    click.echo(", ".join(f"{key}: {value}" for key, value in result.items()))


class ForkingWorker(Worker):
    """RQ's forking worker; each work horse drops the database connections it inherited."""

    def main_work_horse(self, *args: Any, **kwargs: Any) -> None:
        # A pooled connection shared by parent and child corrupts both; close=False leaves
        # the parent's sockets alone.
        db.engine.dispose(close=False)
        super().main_work_horse(*args, **kwargs)


@desk_cli.command("worker")
@click.option("--queues", help="Comma-separated queues (default: intake,default).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork", is_flag=True, help="Fork a work horse per job (default: in-process).")
def worker(queues: str | None, burst: bool, fork: bool) -> None:
    """Run an RQ worker (with its scheduler, which retries need) under the app."""
    from desk.jobs import redis_connection

    connection = redis_connection()
    if connection is None:
        raise click.UsageError("REDIS_URL is not set: jobs run in-process, no worker needed")
    names = [name.strip() for name in (queues or "").split(",") if name.strip()]
    names = names or list(current_app.config["RQ_QUEUES"])
    # SimpleWorker by default: intake and notifications are small, and forking costs more
    # than they do (DESIGN.md, Jobs).
    worker_class = ForkingWorker if fork else SimpleWorker
    rq_worker = worker_class([Queue(name, connection=connection) for name in names],
                             connection=connection)
    rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@desk_cli.command("scheduler")
def scheduler() -> None:
    """Put the periodic tasks (desk.schedule) on the queues when due; run one per deployment."""
    from desk.jobs import redis_connection
    from desk.schedule import run_rq_scheduler

    if redis_connection() is None:
        raise click.UsageError("REDIS_URL is not set: `flask desk serve` runs the periodic tasks")
    run_rq_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


def _default_port() -> str:
    return os.environ.get("PORT") or "5000"


@desk_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=_default_port,
              help="Default: $PORT or 5000.")
def serve(host: str, port: int) -> None:
    """Serve the app with live updates (Flask-SocketIO's server)."""
    from desk.extensions import socketio
    from desk.jobs import redis_connection
    from desk.schedule import EmbeddedScheduler

    click.echo(f"desk on http://{host}:{port}/ (Ctrl+C stops it)")
    # Flask's app.run() does nothing when it sees it runs under the `flask` command (it
    # expects `flask run`); this command is the server, so let it run.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    # The embedded default: Werkzeug serves the threading async mode; production runs
    # gunicorn with gevent (docs/operations.md).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if redis_connection() is None:
        # No Redis, so no RQ scheduler: this process runs the periodic tasks itself.
        EmbeddedScheduler(app).start()
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)


@desk_cli.command("sweep")
@click.option("--at", "at", default=None, help="sweep as of this ISO-8601 time (UTC if naive)")
def sweep(at: str | None) -> None:
    """Run the SLA escalation sweep once and print what it did."""
    from datetime import UTC, datetime

    from desk.sla.escalation import sweep as run_sweep

    now = None
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.UsageError(f"--at {at!r} is not an ISO-8601 time") from exc
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    report = run_sweep(now)
    for line in report.lines():
        click.echo(line)
    if report.failed:
        sys.exit(1)


def install(app: Flask) -> None:
    app.cli.add_command(desk_cli)
