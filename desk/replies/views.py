"""The reply draft endpoint the browser saves to while the person types."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from desk import errors
from desk.auth.access import DESK_ROLES, roles_required
from desk.replies import drafts, outbox

bp = Blueprint("replies", __name__)


@bp.put("/tickets/<int:ticket_id>/draft")
@roles_required(*DESK_ROLES)
def save_draft(ticket_id: int) -> tuple[str, int] | tuple[dict, int]:
    """`{"body": "..."}` as JSON, with the page's CSRF token in `X-CSRFToken`; 204."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        abort(400)
    try:
        drafts.save_draft(current_user._get_current_object(), ticket_id, data["body"])
    except errors.Invalid as error:
        return {"detail": error.detail, "fields": error.fields}, 422
    return "", 204


@bp.post("/tickets/<int:ticket_id>/messages/<int:message_id>/retry")
@roles_required(*DESK_ROLES)
def retry_delivery(ticket_id: int, message_id: int) -> Response:
    """Send a failed reply again (the outbox decides whether it may)."""
    try:
        outbox.retry(current_user._get_current_object(), message_id)
    except errors.Conflict:
        flash(_("Only a failed reply can be sent again."), "error")
    else:
        flash(_("The reply is queued again."), "success")
    return redirect(url_for("inbox.ticket", ticket_id=ticket_id) + f"#message-{message_id}")
