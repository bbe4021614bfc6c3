"""GET /api/v1/reports/<name>: report rows as JSON, or CSV with ?format=csv."""

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from desk.api.auth import api_person, token_required
from desk.errors import Invalid
from desk.reports import export, service

api_bp = Blueprint("api_reports", __name__, url_prefix="/api/v1", description="Reports")


@api_bp.route("/reports/<name>", methods=["GET"])
@api_bp.doc(security=[{"bearer": []}], parameters=[
    {"in": "query", "name": key, "schema": {"type": "string"}}
    for key in ("from", "to", "team", "channel", "tag", "format")
])
@api_bp.response(200, description='{"report", "from", "to", "rows": [...]} or text/csv')
@token_required
def report(name: str) -> Any:
    """A report's rows for the period and filters, limited to what the caller may see."""
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "csv"):
        raise Invalid("format is json or csv", fields={"format": ["json or csv"]})
    asked = service.read_request(api_person(), request.args)
    rows = service.run(name, asked)
    if wanted == "csv":
        filename = f"{name}_{asked.period.start}_{asked.period.end}.csv"
        return Response(export.to_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return {"report": name, "from": asked.period.start.isoformat(),
            "to": asked.period.end.isoformat(), "team": asked.team, "channel": asked.channel,
            "tag": asked.tag, "rows": rows}
