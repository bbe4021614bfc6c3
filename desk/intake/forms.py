"""The public contact form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class ContactForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    message = TextAreaField(
        _l("Your message"), validators=[DataRequired(), Length(min=10, max=10_000)]
    )
    # A honeypot: hidden from people by CSS; bots fill every field they find.
    website = StringField(_l("Leave this field empty"))
    submit = SubmitField(_l("Send"))
