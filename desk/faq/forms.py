"""The FAQ forms: propose, publish or edit, merge, reject, and the public vote."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from desk.faq.service import MAX_ANSWER, MAX_CATEGORY, MAX_NOTE, MAX_QUESTION, MAX_REASON

LANGUAGE_CHOICES = [SelectChoice("de", _l("German")), SelectChoice("en", _l("English"))]


class ProposeForm(FlaskForm):
    """An agent proposes a reply for the FAQ, with a note for the editors."""

    note = TextAreaField(_l("Note for the FAQ editors"),
                         validators=[Optional(), Length(max=MAX_NOTE)])
    propose = SubmitField(_l("Propose for FAQ"))


class EntryForm(FlaskForm):
    """Question and answer as the public will read them."""

    question = StringField(_l("Question"), validators=[
        DataRequired(message=_l("Write the question.")), Length(max=MAX_QUESTION)])
    answer = TextAreaField(_l("Answer"), validators=[
        DataRequired(message=_l("Write the answer.")), Length(max=MAX_ANSWER)])
    category = StringField(_l("Category"), validators=[
        DataRequired(message=_l("Choose a category.")), Length(max=MAX_CATEGORY)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    publish_at = DateTimeLocalField(_l("Publish at (empty: now)"), validators=[Optional()],
                                    format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    confirm_personal_data = BooleanField(
        _l("I checked the marked text: it contains no personal data."))
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])
    archived = BooleanField(_l("Take it down (archive)"))
    publish = SubmitField(_l("Publish"))
    save = SubmitField(_l("Save"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the proposer sees it)"), validators=[
        DataRequired(message=_l("Say why.")), Length(max=MAX_REASON)])
    reject = SubmitField(_l("Reject"))


class MergeForm(FlaskForm):
    entry_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
    merge = SubmitField(_l("Merge into this entry"))


class VoteForm(FlaskForm):
    """"Was this helpful?": two buttons named `helpful`, yes or no."""

    helpful = SelectField(choices=[SelectChoice("yes", "yes"), SelectChoice("no", "no")])
