"""The agent's screen: queue on the left, ticket on the right, actions as POST forms.

Views parse the request, call a service and redirect back (PRG). When a service
refuses, the ticket page is shown again with everything the person typed, so a
draft is never lost.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field, SelectChoice

from desk import errors
from desk.assignment import service as assignment
from desk.assignment.history import of_ticket as assignment_history
from desk.auth.access import DESK_ROLES, can_assign_others, can_see_ticket, roles_required
from desk.contacts.service import attachments_of, related_tickets
from desk.extensions import db
from desk.inbox import queue
from desk.inbox import service as inbox
from desk.inbox.forms import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    AssignForm,
    NoteForm,
    ReplyForm,
    TagForm,
    TicketFieldsForm,
    UntagForm,
    canned_ids,
    seen_message_id,
    seen_version,
)
from desk.inbox.rows import QueueRow, row_views
from desk.models import (
    Channel,
    Delivery,
    Message,
    MessageKind,
    Person,
    Priority,
    Role,
    Status,
    Ticket,
    utcnow,
)
from desk.replies import service as replies
from desk.replies.drafts import draft_for
from desk.replies.outbox import outbox_items
from desk.sla.status import sla_panel
from desk.tags import service as tagging

bp = Blueprint("inbox", __name__)
desk_only = roles_required(*DESK_ROLES)

# Query arguments that define a queue; links and redirects carry them along.
FILTER_ARGS = ("status", "channel", "team", "tag", "q")
LINK_ARGS = ("view", *FILTER_ARGS, "cursor")
MAX_QUERY = 200
STATUS_VALUES = frozenset(status.value for status in Status)

DELIVERY_LABELS = {
    Delivery.QUEUED: _l("queued"),
    Delivery.SENT: _l("sent"),
    Delivery.FAILED: _l("failed"),
    Delivery.MANUAL: _l("post manually"),
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        **_request_labels(),
        "statuses": list(Status),
        "delivery_labels": DELIVERY_LABELS,
        "now": g.get("desk_now") or utcnow(),
    }


def _request_labels() -> dict[str, dict[Any, str]]:
    """Status and priority labels, translated once per request (a lazy label would
    translate again on every row)."""
    labels = g.get("desk_labels")
    if labels is None:
        labels = g.desk_labels = {
            "status_labels": {status: str(label) for status, label in STATUS_LABELS.items()},
            "priority_labels": {priority: str(label)
                                for priority, label in PRIORITY_LABELS.items()},
        }
    return labels


# Pages that only read: their statements run outside a transaction, which saves the
# BEGIN and ROLLBACK round trips of a request (two of a queue page's seven on PostgreSQL).
# Each statement then reads its own snapshot: the rows and the sidebar counts may be a
# moment apart, as they are between two loads of the page anyway.
READ_ONLY_PAGES = frozenset({"inbox.queue_view", "inbox.queue_rows"})


@bp.before_request
def _read_without_transaction() -> None:
    if request.endpoint in READ_ONLY_PAGES and request.method == "GET":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@bp.app_template_test("web_url")
def is_web_url(value: str | None) -> bool:
    """True for http(s) links only; anything else (javascript:, data:) is never a link."""
    return bool(value) and value.lower().startswith(("https://", "http://"))


@bp.errorhandler(errors.Forbidden)
@bp.errorhandler(errors.NotFound)
def _refused(error: errors.DeskError) -> tuple[str, int]:
    """Refusals from services, in the viewer's language rather than the service's words."""
    message = (
        _("You are not allowed to do this.") if error.status == 403 else _("There is nothing here.")
    )
    return render_template("error.html", code=error.status, message=message), error.status


def _person() -> Person:
    return current_user._get_current_object()


# -- the queue ---------------------------------------------------------------------------


@bp.route("/")
def index() -> Response:
    """Signed-in people start at the open queue; everyone else signs in first."""
    if current_user.is_authenticated:
        if current_user.has_role(Role.MANAGEMENT) and not current_user.has_role(*DESK_ROLES):
            return redirect(url_for("reports.index"))  # management reads reports only
        if current_user.has_role(Role.FAQ_EDITOR) and not current_user.has_role(*DESK_ROLES):
            return redirect(url_for("faq.review"))  # FAQ editors alone do not work tickets
        return redirect(url_for("inbox.queue_view", view="open"))
    return redirect(url_for("auth.login"))


@bp.get("/inbox/<view>")
@desk_only
def queue_view(view: str) -> str:
    """One queue view, narrowed by the filters in the query string."""
    context = _queue_context(_person(), _known_view(view))
    return render_template("inbox/queue.html", **context, **_sidebar(_person()))


@bp.get("/inbox/<view>/rows")
@desk_only
def queue_rows(view: str) -> str:
    """Only the rows and counts of a queue, for the live view to swap in."""
    context = _queue_context(_person(), _known_view(view))
    return render_template("inbox/rows.html", **context, **_counts(_person()))


def _known_view(view: str) -> str:
    if view not in queue.VIEWS:
        abort(404)
    return view


def _queue_context(person: Person, view: str, current_id: int | None = None) -> dict[str, Any]:
    """The queue pane: its filter, one page of rows, and the ticket open beside it."""
    wanted = _queue_filter(view)
    page = queue.list_page(person, wanted, request.args.get("cursor") or None)
    filters = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
    if current_id is None:
        current_id = request.args.get("ticket", type=int)
    link_args = _link_args(view)
    return {"view": view, "wanted": wanted, "page": page, "filters": filters,
            "link_args": link_args, "current_id": current_id,
            "rows": _rows(page, link_args)}


def _rows(page: queue.Page, link_args: dict[str, str]) -> list[QueueRow]:
    """The page's rows as the template prints them; `now` is the one the page shows."""
    now = g.desk_now = utcnow()
    labels = _request_labels()
    return row_views(page, _ticket_href(link_args), now, labels["status_labels"],
                      labels["priority_labels"])


def _ticket_href(link_args: dict[str, str]) -> Callable[[int], str]:
    """The link of a queue row: Werkzeug builds one URL per page, the rows fill in their
    id (building a URL was the costliest part of a row)."""
    base = url_for("inbox.ticket", ticket_id=0).removesuffix("0")
    query = "?" + urlencode(link_args) if link_args else ""
    return lambda ticket_id: f"{base}{ticket_id}{query}"


def _queue_filter(view: str) -> queue.QueueFilter:
    """The QueueFilter the query string asks for; nonsense values are a 400."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_VALUES:
        abort(400)
    team_id = request.args.get("team") or None
    if team_id is not None and not team_id.isdigit():
        abort(400)
    q = (request.args.get("q") or "").strip()[:MAX_QUERY] or None
    return queue.QueueFilter(
        view=view,
        status=Status(status) if status else None,
        team_id=int(team_id) if team_id else None,
        channel_id=_channel_id(request.args.get("channel") or None),
        q=q,
        tag_id=_tag_id(request.args.get("tag") or None),
    )


def _tag_id(name: str | None) -> int | None:
    """A tag filter: a malformed name is a 400; a tag nobody used yet shows no tickets."""
    from desk.tags.service import normalized, tag_id

    if name is None:
        return None
    try:
        normalized(name)
    except errors.Invalid:
        abort(400)
    return tag_id(name) or 0


def _channel_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    channel_id = db.session.scalar(sa.select(Channel.id).where(Channel.slug == slug))
    if channel_id is None:
        abort(404)
    return channel_id


def _link_args(view: str | None = None) -> dict[str, str]:
    """The queue a page shows, as query arguments for links back to it."""
    args = {name: request.args[name] for name in LINK_ARGS if request.args.get(name)}
    if view is not None:
        args["view"] = view
    return args


def _counts(person: Person) -> dict[str, Any]:
    return {"counts": queue.view_counts(person), "count_cap": current_app.config["DESK_COUNT_CAP"]}


def _sidebar(person: Person) -> dict[str, Any]:
    """Counts, the person's teams and the active channels, for the sidebar."""
    channels = db.session.execute(
        sa.select(Channel.slug, Channel.name).where(Channel.is_active).order_by(Channel.name)
    ).all()
    teams = sorted(person.teams, key=lambda team: team.name)
    return {**_counts(person), "teams": teams, "channels": channels}


# -- one ticket --------------------------------------------------------------------------


@bp.get("/tickets/<int:ticket_id>")
@desk_only
def ticket(ticket_id: int) -> tuple[str, int]:
    """The queue on the left, the ticket on the right."""
    return _ticket_page(ticket_id)


@bp.get("/tickets/<int:ticket_id>/pane")
@desk_only
def ticket_pane(ticket_id: int) -> str:
    """Only the ticket pane, for the live view to refresh the thread and header."""
    person = _person()
    found = inbox.get_ticket(person, ticket_id)
    return render_template("inbox/_ticket_pane.html", **_ticket_context(person, found, {}),
                           link_args=_link_args(_view_arg()))


def _view_arg() -> str:
    view = request.args.get("view") or "open"
    return view if view in queue.VIEWS else "open"


def _ticket_page(ticket_id: int, status: int = 200, notice: str | None = None,
                 held: str | None = None, unseen: list[int] | None = None,
                 **forms: FlaskForm) -> tuple[str, int]:
    """Render the two-pane page; forms passed in keep what the person typed.

    `held` names the composer ("reply" or "note") whose send waits because of the
    `unseen` messages; the page marks them and offers "Send anyway".
    """
    person = _person()
    found = inbox.get_ticket(person, ticket_id)
    context = _queue_context(person, _view_arg(), current_id=found.id)
    html = render_template("inbox/ticket.html", **context, **_sidebar(person),
                           **_ticket_context(person, found, forms), notice=notice,
                           held=held, unseen=set(unseen or ()),
                           language_next=url_for("inbox.ticket", ticket_id=found.id,
                                                 **_link_args()))
    return html, status


def _ticket_context(person: Person, ticket: Ticket, forms: dict[str, FlaskForm]) -> dict:
    messages = inbox.thread(ticket)
    return {
        "ticket": ticket,
        "messages": messages,
        "original_url": _original_url(messages),
        "outbox": outbox_items(messages),
        "attachments": attachments_of(messages),
        "related_tickets": [t for t in related_tickets(ticket.id)
                            if can_see_ticket(person, t.team_id)],
        "other_tickets": inbox.other_tickets_of_contact(person, ticket),
        "may_assign": can_assign_others(person),
        "latest_message_id": messages[-1].id if messages else 0,
        "reply_form": forms.get("reply") or ReplyForm(
            prefix="reply", formdata=None, data={"body": draft_for(person, ticket.id)}
        ),
        "note_form": forms.get("note") or NoteForm(prefix="note", formdata=None),
        "fields_form": forms.get("fields") or TicketFieldsForm(
            prefix="fields", formdata=None,
            data={"status": ticket.status.value, "priority": ticket.priority.value},
        ),
        "assign_form": forms.get("assign") or _assign_form(person, ticket, formdata=None),
        "sla": sla_panel(ticket),
        "assignment_history": assignment_history(ticket.id),
        **_tags_context(ticket, forms.get("tag")),
    }


def _tags_context(ticket: Ticket, form: FlaskForm | None = None) -> dict[str, Any]:
    return {"tags": tagging.names_on(ticket.id),
            "tag_form": form or TagForm(prefix="tag", formdata=None)}


def _original_url(messages: list[Message]) -> str | None:
    """The newest inbound post with a link: where a manual reply has to go."""
    inbound = [m.url for m in messages if m.kind == MessageKind.INBOUND and is_web_url(m.url)]
    return inbound[-1] if inbound else None


def _assign_form(person: Person, ticket: Ticket, **kwargs: Any) -> AssignForm:
    form = AssignForm(prefix="assign", **kwargs)
    choices = [SelectChoice(0, _("Nobody"))]
    if can_assign_others(person):
        choices += [SelectChoice(p.id, p.name) for p in _assignable_people(ticket)]
    form.assignee.choices = choices
    if kwargs.get("formdata", True) is None:
        form.assignee.data = ticket.assignee_id or 0
    return form


def _assignable_people(ticket: Ticket) -> list[Person]:
    """Active people who may work this ticket's team (a small table: filtered here)."""
    people = db.session.scalars(
        sa.select(Person).where(Person.is_active_account).order_by(Person.name)
    )
    return [p for p in people if can_see_ticket(p, ticket.team_id)]


def _back_to_ticket(ticket_id: int) -> Response:
    return redirect(url_for("inbox.ticket", ticket_id=ticket_id, **_link_args()))


def _changed_meanwhile() -> str:
    return _("This ticket was changed meanwhile. Nothing was saved: look at the latest "
             "state below, then send again. Your text is kept.")


def _new_messages_meanwhile(count: int) -> str:
    return _("%(count)d new message(s) arrived since you opened this ticket, marked below. "
             "Nothing was sent yet: read them, then send anyway or edit your text.",
             count=count)


def _guards(form: FlaskForm) -> dict[str, int | None]:
    """Pages send the newest message seen (a new message holds the send); old ones the
    version (any change does)."""
    seen = seen_message_id(form)
    if seen is not None:
        return {"seen_message_id": seen}
    return {"seen_version": seen_version(form)}


def _show_service_errors(form: FlaskForm, error: errors.Invalid, field: Field) -> None:
    """Put a service's field messages next to the field they name (else the main field)."""
    for name, messages in (error.fields or {"": [error.detail]}).items():
        target = getattr(form, name, None)
        target = target if isinstance(target, Field) else field
        target.errors = [*target.errors, *messages]


# -- actions -----------------------------------------------------------------------------


@bp.post("/tickets/<int:ticket_id>/reply")
@desk_only
def reply(ticket_id: int) -> Response | tuple[str, int]:
    """Answer the contact ("Send"), optionally resolving the ticket ("Send & resolve")."""
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, 422, reply=form)
    resolve = bool(form.send_resolve.data)
    try:
        replies.add_reply(_person(), ticket_id, form.body.data or "",
                          status=Status.RESOLVED if resolve else None,
                          canned_reply_ids=canned_ids(form), survey=bool(form.survey.data),
                          **_guards(form))
    except errors.Invalid as error:
        _show_service_errors(form, error, form.body)
        return _ticket_page(ticket_id, 422, reply=form)
    except errors.StaleThread as error:
        return _ticket_page(ticket_id, 409, _new_messages_meanwhile(len(error.new_message_ids)),
                            held="reply", unseen=error.new_message_ids, reply=form)
    except errors.Conflict:
        return _ticket_page(ticket_id, 409, _changed_meanwhile(), reply=form)
    flash(_("Reply added and ticket resolved.") if resolve else _("Reply added."), "success")
    return _back_to_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/note")
@desk_only
def note(ticket_id: int) -> Response | tuple[str, int]:
    """Leave an internal note."""
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, 422, note=form)
    try:
        replies.add_note(_person(), ticket_id, form.body.data or "", **_guards(form))
    except errors.Invalid as error:
        _show_service_errors(form, error, form.body)
        return _ticket_page(ticket_id, 422, note=form)
    except errors.StaleThread as error:
        return _ticket_page(ticket_id, 409, _new_messages_meanwhile(len(error.new_message_ids)),
                            held="note", unseen=error.new_message_ids, note=form)
    except errors.Conflict:
        return _ticket_page(ticket_id, 409, _changed_meanwhile(), note=form)
    flash(_("Note added."), "success")
    return _back_to_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/fields")
@desk_only
def fields(ticket_id: int) -> Response | tuple[str, int]:
    """Change status and priority together."""
    form = TicketFieldsForm(prefix="fields")
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, 422, fields=form)
    try:
        inbox.update(_person(), ticket_id, status=Status(form.status.data),
                     priority=Priority(form.priority.data), seen_version=seen_version(form))
    except errors.Invalid as error:
        _show_service_errors(form, error, form.status)
        return _ticket_page(ticket_id, 422, fields=form)
    except errors.Conflict:
        return _ticket_page(ticket_id, 409, _changed_meanwhile(), fields=form)
    flash(_("Saved."), "success")
    return _back_to_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/tags")
@desk_only
def add_tag(ticket_id: int) -> Response | tuple[str, int]:
    """Put a tag on the ticket; with htmx, answer with the tags panel alone."""
    form = TagForm(prefix="tag")
    if form.validate_on_submit():
        try:
            tagging.add_tag(_person(), ticket_id, form.name.data or "")
        except errors.Invalid:
            # The form checked name and charset already; what is left is the limit.
            form.name.errors = [*form.name.errors, _(
                "A ticket carries at most %(count)d tags.", count=tagging.MAX_PER_TICKET)]
        else:
            return _tags_saved(ticket_id)
    if _from_htmx():
        # htmx swaps only 2xx answers: the panel comes back with the message and the input.
        return _tags_fragment(ticket_id, form), 200
    return _ticket_page(ticket_id, 422, tag=form)


@bp.post("/tickets/<int:ticket_id>/tags/remove")
@desk_only
def remove_tag(ticket_id: int) -> Response | tuple[str, int]:
    """Take a tag off the ticket (the name comes in a hidden field)."""
    form = UntagForm(prefix="untag")
    if not form.validate_on_submit():
        abort(400)  # only a forged or broken page sends no name or no CSRF token
    tagging.remove_tag(_person(), ticket_id, form.name.data or "")
    return _tags_saved(ticket_id)


def _from_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _tags_fragment(ticket_id: int, form: FlaskForm | None = None) -> str:
    found = inbox.get_ticket(_person(), ticket_id)
    return render_template("inbox/_ticket_tags.html", ticket=found,
                           link_args=_link_args(_view_arg()), **_tags_context(found, form))


def _tags_saved(ticket_id: int) -> Response | tuple[str, int]:
    if _from_htmx():
        return _tags_fragment(ticket_id), 200
    flash(_("Tags saved."), "success")
    return _back_to_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/claim")
@desk_only
def claim(ticket_id: int) -> Response | tuple[str, int]:
    """Take the ticket; if someone was faster, say who."""
    try:
        assignment.claim(_person(), ticket_id)
    except errors.Conflict:
        holder = db.session.scalar(
            sa.select(Person.name).join(Ticket, Ticket.assignee_id == Person.id)
            .where(Ticket.id == ticket_id)
        )
        notice = _("%(name)s holds this ticket already.", name=holder or _("Someone"))
        return _ticket_page(ticket_id, 409, notice)
    flash(_("The ticket is yours."), "success")
    return _back_to_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/assign")
@desk_only
def assign(ticket_id: int) -> Response | tuple[str, int]:
    """Give the ticket to someone, or to nobody (anyone may hand back their own)."""
    person = _person()
    form = _assign_form(person, inbox.get_ticket(person, ticket_id))
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, 422, assign=form)
    assignee = db.session.get(Person, form.assignee.data) if form.assignee.data else None
    try:
        assignment.assign(person, ticket_id, assignee, seen_version(form), form.reason.data)
    except errors.Invalid as error:
        _show_service_errors(form, error, form.assignee)
        return _ticket_page(ticket_id, 422, assign=form)
    except errors.Conflict:
        return _ticket_page(ticket_id, 409, _changed_meanwhile(), assign=form)
    if assignee is None:
        flash(_("Nobody holds the ticket now."), "success")
    else:
        flash(_("Assigned to %(name)s.", name=assignee.name), "success")
    return _back_to_ticket(ticket_id)


