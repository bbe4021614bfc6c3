"""What the FAQ API reads and writes (marshmallow; also the OpenAPI document)."""

from marshmallow import Schema, fields, validate

from desk.api.schemas import PersonRefSchema

_languages = ["de", "en"]


class CandidateCreateSchema(Schema):
    message_id = fields.Integer(required=True, metadata={
        "description": "a reply (proposes it with the question it answered) or an inbound "
                       "message (proposes its ticket: the question and the first reply)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CandidateSchema(Schema):
    id = fields.Integer(required=True)
    source = fields.String(required=True, metadata={"enum": ["agent", "cluster", "canned"]})
    status = fields.String(required=True,
                           metadata={"enum": ["pending", "published", "merged", "rejected"]})
    question = fields.String(required=True, metadata={"description": "redacted"})
    answer = fields.String(required=True, metadata={"description": "redacted"})
    language = fields.String(allow_none=True)
    note = fields.String()
    message_id = fields.Integer(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)
    cluster_size = fields.Integer()
    proposer = fields.Nested(PersonRefSchema, allow_none=True)
    reject_reason = fields.String(allow_none=True)
    entry_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)


class CandidateListSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema), required=True)


class CandidateQuerySchema(Schema):
    status = fields.String(load_default="pending", validate=validate.OneOf(
        ["pending", "published", "merged", "rejected"]))
    source = fields.String(validate=validate.OneOf(["agent", "cluster", "canned"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class PublishSchema(Schema):
    question = fields.String(required=True, validate=validate.Length(min=1, max=300))
    answer = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    category = fields.String(required=True, validate=validate.Length(min=1, max=80))
    language = fields.String(required=True, validate=validate.OneOf(_languages))
    publish_at = fields.AwareDateTime(metadata={"description": "schedule; default now"})
    confirm_personal_data = fields.Boolean(load_default=False, metadata={
        "description": "publish although personal data was detected (else 422 naming it)"})


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class EntrySchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    url = fields.String(required=True)
    question = fields.String(required=True)
    answer_html = fields.String(required=True)
    answer_text = fields.String(required=True)
    category = fields.String(required=True)
    language = fields.String(required=True)
    publish_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer()


class EntryListSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema), required=True)


class EntryQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200))
    language = fields.String(validate=validate.OneOf(_languages))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
