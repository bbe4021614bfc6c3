"""/api/v1/agents/presence: who of the desk is online, away or offline (supervisors)."""

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from desk.api.auth import api_person, token_required
from desk.errors import Forbidden
from desk.live.views import desk_presence
from desk.models import Role

bp = Blueprint("api_presence", __name__, url_prefix="/api/v1", description="Presence")


class AgentPresenceSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["online", "away", "offline"]})
    since = fields.DateTime(allow_none=True,
                            metadata={"description": "when the last known presence began"})


class AgentPresenceListSchema(Schema):
    items = fields.List(fields.Nested(AgentPresenceSchema), required=True)


@bp.route("/agents/presence")
@bp.response(200, AgentPresenceListSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def agents_presence() -> dict[str, Any]:
    """Everyone who works tickets, online first; supervisors and admins only."""
    if not api_person().has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors and admins see the team's presence")
    rows = desk_presence()
    return {"items": [row | {"status": row["status"].value} for row in rows]}
