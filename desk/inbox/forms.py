"""The forms of the agent's screen: reply, note, status and priority, assignment.

Each form on the ticket page has its own prefix, so field names and ids stay
unique on one page (`reply-body`, `note-body`, ...). The hidden `version` is
the ticket version the person saw; templates always render the current one.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from desk.models import Priority, Status
from desk.replies.service import MAX_BODY

STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.OPEN: _l("Open"),
    Status.PENDING: _l("Pending"),
    Status.RESOLVED: _l("Resolved"),
    Status.SPAM: _l("Spam"),
}

PRIORITY_LABELS = {
    Priority.LOW: _l("Low"),
    Priority.NORMAL: _l("Normal"),
    Priority.HIGH: _l("High"),
    Priority.URGENT: _l("Urgent"),
}

_body_validators = [
    DataRequired(message=_l("Write something first.")),
    Length(max=MAX_BODY, message=_l("At most %(max)d characters.")),
]


def _version_field() -> HiddenField:
    return HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])


def _seen_message_field() -> HiddenField:
    """The newest message the person saw: a send is held when others wrote since."""
    return HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])


class ReplyForm(FlaskForm):
    """An answer to the contact."""

    body = TextAreaField(_l("Reply"), validators=_body_validators)
    version = _version_field()
    seen_message_id = _seen_message_field()
    # Ids of the canned replies inserted into the body (set by static/js/canned.js).
    canned = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}(,\d{1,9}){0,9}$")])
    # The satisfaction question under the reply (desk.reports.csat), when DESK_CSAT is on.
    survey = BooleanField(_l("Ask for a rating"))
    send = SubmitField(_l("Send"))
    send_resolve = SubmitField(_l("Send & resolve"))


class NoteForm(FlaskForm):
    """An internal note; the contact never sees it."""

    body = TextAreaField(_l("Internal note"), validators=_body_validators)
    version = _version_field()
    seen_message_id = _seen_message_field()
    save = SubmitField(_l("Add note"))


class TagForm(FlaskForm):
    """One tag to put on the ticket; desk.tags.service checks the same rules again."""

    name = StringField(_l("Add a tag"), validators=[
        InputRequired(), Length(max=40),
        Regexp(r"^\s*[^\W_][\w-]*\s*$",
               message=_l("Letters, digits, - and _ only, starting with a letter or digit.")),
    ])
    add = SubmitField(_l("Add"))


class UntagForm(FlaskForm):
    """The tag to take off (a hidden field beside each tag)."""

    name = HiddenField(validators=[InputRequired(), Length(max=40)])


class TicketFieldsForm(FlaskForm):
    """Status and priority, changed together."""

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        validators=[InputRequired()],
    )
    priority = SelectField(
        _l("Priority"),
        choices=[
            SelectChoice(priority.value, label) for priority, label in PRIORITY_LABELS.items()
        ],
        validators=[InputRequired()],
    )
    version = _version_field()
    save = SubmitField(_l("Save"))


class AssignForm(FlaskForm):
    """Give the ticket to someone; `0` means nobody. Choices are set per request."""

    assignee = SelectField(_l("Assignee"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)],
                         description=_l("Needed when you take the ticket from someone."))
    version = _version_field()
    save = SubmitField(_l("Assign"))


def canned_ids(form: ReplyForm) -> list[int]:
    """The canned replies the reply form says were inserted."""
    return [int(part) for part in (form.canned.data or "").split(",") if part]


def seen_version(form: FlaskForm) -> int | None:
    """The ticket version the form was sent with, if any."""
    raw = form.version.data
    return int(raw) if raw else None


def seen_message_id(form: FlaskForm) -> int | None:
    """The newest message id the form was sent with, if any."""
    raw = form.seen_message_id.data
    return int(raw) if raw else None
