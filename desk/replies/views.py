"""The reply draft endpoint the browser saves to while the person types."""

from flask import Blueprint, abort, request
from flask_login import current_user

from desk import errors
from desk.auth.access import DESK_ROLES, roles_required
from desk.replies import drafts

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
