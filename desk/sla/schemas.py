"""What the SLA API reads and writes (marshmallow; they also make the OpenAPI)."""

from marshmallow import Schema, fields, validate

from desk.models import Priority, Status

_priorities = [p.value for p in Priority]
_statuses = [s.value for s in Status]


class PolicyInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    priority = fields.String(allow_none=True, metadata={"enum": _priorities})
    channel = fields.String(allow_none=True, metadata={"description": "a channel's slug"})
    position = fields.Integer(metadata={"description": "matching order; lower goes first"})
    first_response_minutes = fields.Integer(required=True, strict=True)
    next_response_minutes = fields.Integer(required=True, strict=True)
    resolution_minutes = fields.Integer(required=True, strict=True)
    calendar = fields.Dict(required=True, metadata={
        "description": 'business hours: {"timezone": "Europe/Berlin", "hours": {"mon": '
                       '[["08:00", "12:00"], ["13:00", "17:00"]], ...}, "holidays": '
                       '{"country": "DE", "state": "BY"}, "closed_days": ["2026-12-24"]}'})
    pause_statuses = fields.List(fields.String(), load_default=list,
                                 metadata={"description": "clocks stop in these statuses"})
    warn_share = fields.Float(metadata={"description": "warn when this share has passed"})
    repeat_minutes = fields.Integer(strict=True)
    max_level = fields.Integer(strict=True)
    escalate_to = fields.String(allow_none=True, metadata={"description": "a person's e-mail"})
    reassign = fields.Boolean()


class PolicyOrderSchema(Schema):
    ids = fields.List(fields.Integer(strict=True), required=True, metadata={
        "description": "every policy's id, in the new matching order (first match wins)"})


class PolicySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)
    priority = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    first_response_minutes = fields.Integer(required=True)
    next_response_minutes = fields.Integer(required=True)
    resolution_minutes = fields.Integer(required=True)
    calendar = fields.Dict(required=True)
    pause_statuses = fields.List(fields.String(), required=True)
    warn_share = fields.Float()
    repeat_minutes = fields.Integer()
    max_level = fields.Integer()
    escalate_to = fields.String(allow_none=True)
    reassign = fields.Boolean()


class NextResponseOutcomesSchema(Schema):
    met = fields.Integer()
    breached = fields.Integer()


class OutcomesSchema(Schema):
    first_response = fields.String(allow_none=True, metadata={
        "description": "met, breached (recorded when the clock stopped, or running past due), "
                       "running, or null (no target)"})
    next_response = fields.Nested(NextResponseOutcomesSchema,
                                  metadata={"description": "answered exchanges, counted"})
    resolution = fields.String(allow_none=True, metadata={
        "description": "as first_response; a reopened ticket's clock runs again"})


class SlaSchema(Schema):
    policy = fields.String(allow_none=True, metadata={"description": "null: no policy, no clock"})
    first_response_due_at = fields.DateTime(allow_none=True)
    next_response_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    breached = fields.List(fields.String(), metadata={"description": "clocks past due"})
    paused = fields.Boolean()
    warn_at = fields.DateTime(allow_none=True)
    outcomes = fields.Nested(OutcomesSchema, metadata={
        "description": "each clock as the reports count it (GET /api/v1/reports/sla)"})


class EscalateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class EscalationSchema(Schema):
    id = fields.Integer(required=True)
    ticket_id = fields.Integer(required=True)
    level = fields.Integer(required=True)
    kind = fields.String(required=True)
    clock = fields.String(required=True)
    reason = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    acknowledged_at = fields.DateTime(allow_none=True)


class AcknowledgeSchema(Schema):
    de_escalate = fields.Boolean(load_default=False)
    level = fields.Integer(dump_only=True)


class AlertSchema(Schema):
    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    topic = fields.String(allow_none=True)
    window_start = fields.DateTime(required=True)
    count = fields.Integer(required=True)
    baseline_mean = fields.Float(required=True)
    baseline_std = fields.Float(required=True)
    message_ids = fields.List(fields.Integer(), required=True)
    created_at = fields.DateTime(required=True)
    acknowledged_at = fields.DateTime(allow_none=True)
