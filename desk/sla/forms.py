"""The supervisors' SLA policy form; the service checks the values and names what is wrong."""

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from desk.errors import Invalid
from desk.extensions import db
from desk.models import Channel, Priority, Status

GERMAN_STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL",
                 "SN", "ST", "TH")
_PERIOD = re.compile(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")
DEFAULT_HOURS = "\n".join(f"{day} 09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri"))


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PolicyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    first_response_minutes = IntegerField(_l("First response (minutes)"),
                                          validators=[InputRequired()])
    next_response_minutes = IntegerField(_l("Next response (minutes)"),
                                         validators=[InputRequired()])
    resolution_minutes = IntegerField(_l("Resolution (minutes)"), validators=[InputRequired()])
    hours = TextAreaField(_l("Business hours (one weekday a line: mon 08:00-12:00 13:00-17:00)"),
                          default=DEFAULT_HOURS, validators=[Length(max=2000)])
    timezone = StringField(_l("Time zone"), default="Europe/Berlin",
                           validators=[DataRequired(), Length(max=64)])
    state = SelectField(_l("Public holidays of the German state"), default="BE",
                        validators=[Optional()])
    closed_days = TextAreaField(_l("Extra closed days (YYYY-MM-DD, one a line)"),
                                validators=[Length(max=4000)])
    pause_statuses = CheckboxList(_l("Clocks pause in"), default=["pending"])
    warn_share = FloatField(_l("Warn at this share of the target"), default=0.8)
    repeat_minutes = IntegerField(_l("Next level every (minutes)"), default=60)
    max_level = IntegerField(_l("Highest level"), default=3)
    escalate_to = StringField(_l("Escalate to (e-mail; empty: all supervisors)"),
                              validators=[Optional(), Length(max=254)])
    reassign = BooleanField(_l("Reassign to them from level 2"))
    save = SubmitField(_l("Add policy"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = [("", _l("Any"))] + [(p.value, p.value) for p in Priority]
        channels = db.session.execute(sa.select(Channel.slug, Channel.name)
                                      .order_by(Channel.name)).all()
        self.channel.choices = [("", _l("Any"))] + [(slug, name) for slug, name in channels]
        self.state.choices = [("", _l("None"))] + [(s, s) for s in GERMAN_STATES]
        self.pause_statuses.choices = [(s.value, s.value) for s in
                                       (Status.NEW, Status.OPEN, Status.PENDING)]

    def policy_data(self) -> dict[str, Any]:
        """The form as the service (and the API) takes a policy."""
        return {
            "name": self.name.data, "priority": self.priority.data or None,
            "channel": self.channel.data or None,
            "first_response_minutes": self.first_response_minutes.data,
            "next_response_minutes": self.next_response_minutes.data,
            "resolution_minutes": self.resolution_minutes.data,
            "calendar": {
                "timezone": (self.timezone.data or "").strip(),
                "hours": parse_hours(self.hours.data or ""),
                "holidays": {"country": "DE", "state": self.state.data}
                if self.state.data else None,
                "closed_days": (self.closed_days.data or "").split(),
            },
            "pause_statuses": self.pause_statuses.data or [],
            "warn_share": self.warn_share.data, "repeat_minutes": self.repeat_minutes.data,
            "max_level": self.max_level.data, "escalate_to": self.escalate_to.data or None,
            "reassign": bool(self.reassign.data),
        }

    def show_errors(self, error: Invalid) -> None:
        """Put each reason the service gave next to the field it is about."""
        for name, messages in error.fields.items():
            field = getattr(self, _field_for(name), None) or self.name
            field.errors = list(field.errors) + [f"{name}: {m}" for m in messages]


def parse_hours(text: str) -> dict[str, Any]:
    """`mon 08:00-12:00 13:00-17:00` lines -> {"mon": [["08:00", "12:00"], ...]}."""
    hours: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        day, _, rest = line.strip().partition(" ")
        periods = [[start.zfill(5), end.zfill(5)] for start, end in _PERIOD.findall(rest)]
        hours[day.lower()] = periods or [[rest.strip(), ""]]  # unreadable: the service says so
    return hours


def _field_for(name: str) -> str:
    if name.startswith("calendar.timezone"):
        return "timezone"
    if name.startswith("calendar.holidays"):
        return "state"
    if name.startswith("calendar.closed_days"):
        return "closed_days"
    if name.startswith("calendar"):
        return "hours"
    return name
