"""The channel form: settings shown again; secrets write-only (empty keeps them)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from desk.models import ChannelKind

KIND_LABELS = {
    ChannelKind.WEBHOOK: _l("Signed JSON (desk's own intake)"),
    ChannelKind.FORM: _l("Contact form"),
    ChannelKind.FEED: _l("RSS/Atom feed"),
    ChannelKind.META: _l("Facebook and Instagram"),
    ChannelKind.MASTODON: _l("Mastodon"),
    ChannelKind.X: _l("X"),
    ChannelKind.EMAIL: _l("E-mail"),
}


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]


class ChannelForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[Optional(), Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$",
                       message=_l("2-63 characters of a-z, 0-9 and -"))])
    kind = SelectField(_l("Kind"), choices=_kind_choices(),
                       validators=[Optional()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    team = StringField(_l("Default team"), validators=[Optional(), Length(max=80)])
    owner = StringField(_l("Owner (e-mail)"), validators=[Optional(), Length(max=254)])
    language = StringField(_l("Language"), validators=[Optional(), Length(max=8)])
    url = StringField(_l("URL"), validators=[Optional(), Length(max=2000)])
    keywords = TextAreaField(_l("Keywords"), validators=[Optional(), Length(max=4000)])
    poll_interval = IntegerField(_l("Poll every (seconds)"),
                                 validators=[Optional(), NumberRange(min=60, max=86400)])
    allow_private = BooleanField(_l("May reach private and loopback addresses"))
    secret = PasswordField(_l("Signing secret / app secret"),
                           validators=[Optional(), Length(max=256)])
    token = PasswordField(_l("Access token"), validators=[Optional(), Length(max=2000)])
    verify_token = PasswordField(_l("Verify token"), validators=[Optional(), Length(max=256)])
    save = SubmitField(_l("Save"))

    def keyword_list(self) -> list[str]:
        text = self.keywords.data or ""
        return [part.strip() for line in text.splitlines() for part in line.split(",")
                if part.strip()]


class NewChannelForm(ChannelForm):
    slug = StringField(_l("Slug"), validators=[DataRequired(), Regexp(
        r"^[a-z0-9][a-z0-9-]{1,62}$", message=_l("2-63 characters of a-z, 0-9 and -"))])
    kind = SelectField(_l("Kind"), choices=_kind_choices(),
                       validators=[DataRequired()])
