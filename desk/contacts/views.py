"""Attachments served safely; supervisors merge and split contacts."""

import re
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk import errors
from desk.auth.access import DESK_ROLES, can_see_ticket, roles_required
from desk.contacts import service
from desk.contacts.service import image_type
from desk.extensions import db
from desk.models import Attachment, Message, Role, Ticket

bp = Blueprint("contacts", __name__)

@bp.get("/attachments/<int:attachment_id>")
@roles_required(*DESK_ROLES)
def attachment(attachment_id: int) -> Response:
    """An attachment's bytes: safe images inline, everything else as a download."""
    found = db.session.get(Attachment, attachment_id)
    if found is None or found.data is None:
        abort(404)
    message = db.session.get(Message, found.message_id)
    ticket = db.session.get(Ticket, message.ticket_id)
    if not can_see_ticket(current_user, ticket.team_id):
        abort(403)
    kind = image_type(found.data)
    response = Response(found.data, mimetype=kind or "application/octet-stream")
    safe_name = re.sub(r"[^\w.\- ]", "_", found.filename)[:100] or "attachment"
    disposition = "inline" if kind and request.args.get("download") is None else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{safe_name}\"; filename*=UTF-8''{quote(found.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser ever rendered it as a document: no scripts, no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/contacts/<int:contact_id>/merge")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def merge(contact_id: int) -> Response:
    """Merge this contact with the contact of another ticket (form field `ticket`)."""
    back = request.form.get("back_ticket", type=int)
    other = db.session.get(Ticket, request.form.get("ticket", type=int) or 0)
    try:
        if other is None:
            raise errors.NotFound("no such ticket")
        service.merge(current_user, contact_id, other.contact_id)
    except errors.DeskError as exc:
        db.session.rollback()
        flash(_("Could not merge: %(reason)s", reason=exc.detail), "error")
    else:
        flash(_("The contacts are now one person."), "success")
    return redirect(url_for("inbox.ticket", ticket_id=back) if back else url_for("inbox.index"))


@bp.post("/contacts/<int:contact_id>/split")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def split(contact_id: int) -> Response:
    back = request.form.get("back_ticket", type=int)
    try:
        service.split(current_user, contact_id)
    except errors.DeskError as exc:
        db.session.rollback()
        flash(_("Could not split: %(reason)s", reason=exc.detail), "error")
    else:
        flash(_("The contact stands alone again."), "success")
    return redirect(url_for("inbox.ticket", ticket_id=back) if back else url_for("inbox.index"))
