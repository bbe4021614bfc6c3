"""The library's form: one canned reply with its German and English body."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from desk.canned import service, templating
from desk.models import CannedScope

SCOPE_LABELS = {
    CannedScope.PERSONAL: _l("Personal"),
    CannedScope.TEAM: _l("Team"),
    CannedScope.GLOBAL: _l("Everyone"),
}

LANGUAGE_LABELS = {"de": _l("German"), "en": _l("English")}

_PROBLEMS = {
    "syntax": _l("Line %(line)d: the template syntax is wrong (%(detail)s)."),
    "unknown": _l("Line %(line)d: there is no placeholder %(detail)s."),
    "not_allowed": _l("Line %(line)d: not allowed in canned replies (%(detail)s)."),
    "too_long": _l("The text is too long."),
    "too_deep": _l("Line %(line)d: nested too deeply."),
}


def problem_message(problem: templating.Problem) -> str:
    """A template problem in the viewer's language."""
    return str(_PROBLEMS[problem.code]) % {"line": problem.line, "detail": problem.subject}


def _template(form: FlaskForm, field: Field) -> None:
    if field.data and field.data.strip():
        problems = service.check_body(field.data)
        if problems:
            raise ValidationError(" ".join(problem_message(p) for p in problems))


class CannedReplyForm(FlaskForm):
    """Create or change a canned reply; the team choices are set per request."""

    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give it a title.")),
        Length(max=service.MAX_TITLE, message=_l("At most %(max)d characters.")),
    ])
    shortcut = StringField(_l("Shortcut"), validators=[
        DataRequired(message=_l("Choose a shortcut.")),
        Regexp(service.SHORTCUT.pattern,
               message=_l("Lower-case letters, digits, - and _ only (at most 40).")),
    ])
    scope = SelectField(_l("Who may use it"), choices=[
        SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()
    ])
    team = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    tags = StringField(_l("Tags"), validators=[Length(max=400)])
    body_de = TextAreaField(_l("German text"), validators=[
        Length(max=templating.MAX_SOURCE, message=_l("At most %(max)d characters.")), _template,
    ])
    body_en = TextAreaField(_l("English text"), validators=[
        Length(max=templating.MAX_SOURCE, message=_l("At most %(max)d characters.")), _template,
    ])
    save = SubmitField(_l("Save"))

    def validate_body_de(self, field: Field) -> None:
        if not (field.data or "").strip() and not (self.body_en.data or "").strip():
            raise ValidationError(_l("Write the reply in at least one language."))

    def validate_team(self, field: Field) -> None:
        if self.scope.data == CannedScope.TEAM.value and not field.data:
            raise ValidationError(_l("Choose the team this reply is for."))

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in (self.tags.data or "").split(",") if tag.strip()]

    def values(self) -> dict[str, Any]:
        """The fields as the service takes them."""
        scope = CannedScope(self.scope.data)
        return {
            "title": self.title.data or "",
            "shortcut": self.shortcut.data or "",
            "scope": scope,
            "team_id": self.team.data if scope == CannedScope.TEAM else None,
            "tags": self.tag_list(),
            "bodies": {"de": self.body_de.data or "", "en": self.body_en.data or ""},
        }
