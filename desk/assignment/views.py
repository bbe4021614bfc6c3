"""The supervisor's board: load and presence per person, the waiting tickets, bulk reassign."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from desk.assignment import board
from desk.assignment import service as assignment
from desk.auth.access import roles_required
from desk.errors import Invalid
from desk.extensions import db
from desk.models import Person, Presence, Role, utcnow

bp = Blueprint("assignment", __name__, url_prefix="/assignment")
supervisors = roles_required(Role.SUPERVISOR, Role.ADMIN)

PRESENCE_LABELS = {
    Presence.ONLINE: _l("online"),
    Presence.AWAY: _l("away"),
    Presence.OFFLINE: _l("offline"),
}


class ReassignForm(FlaskForm):
    """Give the selected tickets to one person (0: back to the pool)."""

    assignee = SelectField(_l("Give to"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    save = SubmitField(_l("Reassign selected"))


def _form(**kwargs: Any) -> ReassignForm:
    form = ReassignForm(**kwargs)
    people = db.session.execute(
        sa.select(Person.id, Person.name).where(Person.is_active_account).order_by(Person.name)
    ).all()
    form.assignee.choices = [SelectChoice(0, _("Nobody (back to the pool)"))] + [
        SelectChoice(row.id, row.name) for row in people
    ]
    return form


def _panel() -> dict[str, Any]:
    agents = board.agents()
    return {"agents": agents, "waiting": board.unassigned(),
            "held": {row["id"]: board.held_by(row["id"]) for row in agents if row["load"]},
            "presence_labels": PRESENCE_LABELS, "now": utcnow()}


@bp.get("/board")
@supervisors
def board_page() -> str:
    """The whole board; the live view keeps it fresh."""
    return render_template("assignment/board.html", form=_form(formdata=None), **_panel())


@bp.get("/board/live")
@supervisors
def board_live() -> str:
    """Only the people and the waiting tickets, for the live view to swap in."""
    return render_template("assignment/_panel.html", **_panel())


@bp.post("/board/reassign")
@supervisors
def reassign() -> Response | tuple[str, int]:
    """Reassign the selected tickets; each ticket all or nothing, failures listed."""
    form = _form()
    raw = request.form.getlist("ticket_ids")
    if any(not value.isdigit() for value in raw):
        abort(400)
    ticket_ids = [int(value) for value in raw]
    if not form.validate_on_submit():
        return render_template("assignment/board.html", form=form, **_panel()), 422
    if not ticket_ids:
        flash(_("Select at least one ticket."), "error")
        return redirect(url_for("assignment.board_page"))
    assignee = db.session.get(Person, form.assignee.data) if form.assignee.data else None
    try:
        result = assignment.bulk_assign(current_user._get_current_object(), ticket_ids,
                                        assignee, form.reason.data)
    except Invalid as error:
        form.assignee.errors = [error.detail]
        return render_template("assignment/board.html", form=form, **_panel()), 422
    if result.done:
        flash(_("%(count)d ticket(s) reassigned.", count=len(result.done)), "success")
    for failure in result.failed:
        flash(_("Ticket %(id)s not reassigned: %(reason)s", id=failure["id"],
                reason=failure["reason"]), "error")
    return redirect(url_for("assignment.board_page"))
