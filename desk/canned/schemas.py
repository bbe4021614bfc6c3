"""What /api/v1/canned-replies reads and writes (marshmallow; they also make the OpenAPI)."""

from marshmallow import Schema, fields, validate

from desk.canned.service import LANGUAGES, MAX_TAGS, MAX_TITLE
from desk.canned.templating import MAX_SOURCE
from desk.models import CannedScope

_scopes = [scope.value for scope in CannedScope]


class CannedQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200))
    ticket_id = fields.Integer(metadata={"description": "rank for this ticket (language, team)"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class CannedWriteSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE))
    shortcut = fields.String(validate=validate.Length(min=1, max=40))
    body = fields.String(validate=validate.Length(max=MAX_SOURCE), metadata={
        "description": "HTML or text with placeholders, for `language`; empty removes it"})
    language = fields.String(validate=validate.OneOf(LANGUAGES), metadata={
        "description": "the language of `body` (default: German)"})
    scope = fields.String(validate=validate.OneOf(_scopes))
    team = fields.String(allow_none=True, metadata={"description": "a team's name (scope team)"})
    tags = fields.List(fields.String(validate=validate.Length(max=40)),
                       validate=validate.Length(max=MAX_TAGS))


class CannedCreateSchema(CannedWriteSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    shortcut = fields.String(required=True, validate=validate.Length(min=1, max=40))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SOURCE))
    scope = fields.String(required=True, validate=validate.OneOf(_scopes))


class CannedOwnerSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CannedReplySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    shortcut = fields.String(required=True)
    scope = fields.String(required=True, metadata={"enum": _scopes})
    team = fields.String(allow_none=True)
    owner = fields.Nested(CannedOwnerSchema, allow_none=True)
    tags = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    bodies = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "the template source per language"})
    use_count = fields.Integer(required=True)
    score = fields.Float(metadata={"description": "rank in a search; higher is better"})


class CannedPageSchema(Schema):
    items = fields.List(fields.Nested(CannedReplySchema), required=True)


class RenderRequestSchema(Schema):
    ticket_id = fields.Integer(required=True)
    values = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "prompted values (`ask.name` or `name`) and overrides (`contact.name`)"})


class RenderedSchema(Schema):
    body_html = fields.String(required=True)
    body_text = fields.String(required=True)
    missing = fields.List(fields.String(), required=True,
                          metadata={"description": "names still without a value; send none"})
    language = fields.String(required=True)
