"""The queue page built on bare SQL: the same request path and templates as the app's
page, with the ORM and the service layer replaced by hand-written SQL on the raw
DBAPI connection (bench.queue_page.BareQueue).

This is "the same page built on the bare SQL it needs" of issue 2: comparing the app's
HTML page with it isolates what the data layer costs, since both pay the same for
Flask, the session, sign-in and the templates. Installed on the bench app only.
"""

from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, current_app, render_template
from flask_login import current_user, login_required

ROW_FIELDS = (
    "id subject preview status priority due_at created_at updated_at last_message_at "
    "message_count version team_id assignee_id channel_slug channel_name contact_handle "
    "contact_name contact_reach assignee_name team_name escalation_level sla_warn_at "
    "sla_paused_at tag_names"
)
BareRow = namedtuple("BareRow", ROW_FIELDS)  # noqa: PYI024 - attribute access as sa.Row has
_TIMES = (5, 6, 7, 8, 21, 22)  # due_at, created_at, updated_at, last_message_at, SLA times


def _aware(value: Any) -> datetime | None:
    """What UTCDateTime does for the ORM: SQLite gives text, PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(raw: tuple[Any, ...]) -> BareRow:
    from desk.models import Priority, Status

    values = list(raw)
    for index in _TIMES:
        values[index] = _aware(values[index])
    values[3], values[4] = Status(values[3]), Priority(values[4])
    return BareRow(*values)


def install(app: Flask) -> None:
    """Add GET /bench/bare-inbox/<view> (call before the app's first request)."""
    from bench.queue_page import BareQueue, Who
    from desk.auth.access import sees_all_teams
    from desk.extensions import db
    from desk.inbox.queue import Page, QueueFilter
    from desk.inbox.views import _labels as inbox_labels  # the inbox blueprint's context
    from desk.inbox.views import _rows

    @login_required
    def bare_inbox(view: str) -> str:
        if view not in ("unassigned", "mine"):
            abort(404)
        person = current_user
        who = Who("bench", person.id, None if sees_all_teams(person) else tuple(person.team_ids))
        connection = db.session.connection().connection.driver_connection
        bare = BareQueue(connection, db.engine.dialect.name, who)
        size = current_app.config["DESK_PAGE_SIZE"]
        rows = bare.rows(view, size, None)
        counts = bare.counts()
        cursor = connection.cursor()
        cursor.execute("SELECT slug, name FROM channels WHERE is_active ORDER BY name")
        channels = cursor.fetchall()
        cursor.close()
        page = Page(rows=[_row(row) for row in rows[:size]],
                    next_cursor="bench" if len(rows) > size else None)
        page.tags = {row.id: sorted(row.tag_names.split()) for row in page.rows if row.tag_names}
        link_args = {"view": view}
        return render_template(
            "inbox/queue.html", view=view, wanted=QueueFilter(view=view), page=page,
            filters={}, link_args=link_args, rows=_rows(page, link_args), current_id=None,
            counts=counts,
            count_cap=current_app.config["DESK_COUNT_CAP"],
            teams=sorted(person.teams, key=lambda team: team.name), channels=channels,
            **inbox_labels())

    app.add_url_rule("/bench/bare-inbox/<view>", "bench_bare_inbox", bare_inbox)

    @app.before_request
    def read_without_transaction() -> None:
        # As the app's queue pages do (desk.inbox.views.READ_ONLY_PAGES).
        from flask import request

        if request.endpoint == "bench_bare_inbox":
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
