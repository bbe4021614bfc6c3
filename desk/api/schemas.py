"""What the API reads and writes, as marshmallow schemas (they also make the OpenAPI)."""

from marshmallow import Schema, fields, validate

from desk.models import Priority, Status
from desk.sla.schemas import SlaSchema  # noqa: F401 - named in TicketSchema

_statuses = [s.value for s in Status]
_priorities = [p.value for p in Priority]


class ContactSchema(Schema):
    handle = fields.String(required=True)
    name = fields.String(allow_none=True)
    reach = fields.Integer()


class PersonRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class TicketSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": _statuses})
    priority = fields.String(required=True, metadata={"enum": _priorities})
    subject = fields.String(required=True)
    preview = fields.String()
    channel = fields.String(required=True, metadata={"description": "the channel's slug"})
    contact = fields.Nested(ContactSchema, required=True)
    assignee = fields.Nested(PersonRefSchema, allow_none=True)
    team = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "send it back to guard against lost updates"})
    message_count = fields.Integer()
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    sla = fields.Nested("SlaSchema", metadata={"description": "SLA clocks; policy null: none"})
    escalation_level = fields.Integer()
    sentiment = fields.Float(allow_none=True, metadata={"description": "-1..1, newest inbound"})
    priority_reason = fields.String(allow_none=True,
                                    metadata={"description": 'e.g. "negative, 48k followers"'})
    tags = fields.List(fields.String(), metadata={"description": "tag names, lower case, sorted"})


class MessageSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["inbound", "reply", "note"]})
    body_html = fields.String(required=True)
    body_text = fields.String(required=True)
    author = fields.Dict(allow_none=True)
    created_at = fields.DateTime(required=True)
    external_id = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    delivery = fields.String(allow_none=True)


class TicketDetailSchema(TicketSchema):
    messages = fields.List(fields.Nested(MessageSchema), required=True)


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class TicketQuerySchema(Schema):
    view = fields.String(load_default="open",
                         validate=validate.OneOf(["open", "unassigned", "mine", "teams", "all",
                                                  "at_risk", "breached", "escalated"]))
    status = fields.String(validate=validate.OneOf(_statuses))
    assignee = fields.String(metadata={"description": "`me`, `none`, an e-mail or a person id"})
    team = fields.String(metadata={"description": "a team's name"})
    channel = fields.String(metadata={"description": "a channel's slug"})
    tag = fields.String(validate=validate.Length(max=40),
                        metadata={"description": "a tag's name (any case)"})
    q = fields.String(validate=validate.Length(max=200))
    cursor = fields.String(validate=validate.Length(max=400))
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class BodySchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    version = fields.Integer(metadata={"description": "the ticket version you saw; 409 if stale"})
    seen_message_id = fields.Integer(metadata={
        "description": "the newest message you saw; 409 with `new_message_ids` when others "
                       "added messages since (a status or priority change does not count)"})


class ReplySchema(BodySchema):
    status = fields.String(validate=validate.OneOf(_statuses),
                           metadata={"description": "set this status with the reply"})
    canned_reply_ids = fields.List(fields.Integer(), validate=validate.Length(max=10),
                                   metadata={"description": "canned replies used in the body"})
    survey = fields.Boolean(load_default=False, metadata={
        "description": "add the satisfaction survey link (when the desk offers it)"})


class TagSchema(Schema):
    name = fields.String(required=True, metadata={
        "description": "1-40 letters, digits, - or _, starting with a letter or digit; stored "
                       "in lower case. Adding a tag the ticket has, or removing one it lacks, "
                       "changes nothing"})


class StatusSchema(Schema):
    status = fields.String(validate=validate.OneOf(_statuses))
    priority = fields.String(validate=validate.OneOf(_priorities))
    version = fields.Integer()
