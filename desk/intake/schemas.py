"""The documented intake payload (DESIGN.md, "Intake"), as a marshmallow schema."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class AuthorSchema(Schema):
    handle = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    reach = fields.Integer(load_default=0, validate=validate.Range(min=0))


class IntakePayloadSchema(Schema):
    """One complaint as a channel posts it to /api/v1/intake/<channel-slug>."""

    external_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(validate=validate.Length(max=100_000))
    html = fields.String(validate=validate.Length(max=500_000))
    subject = fields.String(validate=validate.Length(max=200))
    author = fields.Nested(AuthorSchema, required=True)
    url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    thread_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=200))
    in_reply_to = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=200))
    created_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)
    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=2, max=8))
    media = fields.List(fields.String(validate=validate.Length(max=2000)),
                        load_default=list, validate=validate.Length(max=20),
                        metadata={"description": "links to the post's pictures and videos"})

    @validates_schema
    def needs_a_body(self, data: dict, **kwargs: object) -> None:
        if not (data.get("text") or "").strip() and not (data.get("html") or "").strip():
            raise ValidationError("text or html is required", field_name="text")


class IntakeAcceptedSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the intake event's id"})
    duplicate = fields.Boolean(required=True)
