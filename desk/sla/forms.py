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
from desk.models import Channel, Person, Priority, SlaPolicy, Status
from desk.sla.calendar import WEEKDAYS

GERMAN_STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL",
                 "SN", "ST", "TH")
_PERIOD = re.compile(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")
DEFAULT_HOURS = "\n".join(f"{day} 09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri"))
KEEP = "keep"  # the state choice that keeps public holidays the form cannot show


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

    def __init__(self, *args: Any, kept_holidays: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_holidays = kept_holidays
        self.priority.choices = [("", _l("Any"))] + [(p.value, p.value) for p in Priority]
        channels = db.session.execute(sa.select(Channel.slug, Channel.name)
                                      .order_by(Channel.name)).all()
        self.channel.choices = [("", _l("Any"))] + [(slug, name) for slug, name in channels]
        self.state.choices = [("", _l("None"))] + [(s, s) for s in GERMAN_STATES]
        if kept_holidays:
            # Set through the API (another country, or Germany without a state): the
            # form keeps them unless the supervisor picks a state or none.
            label = _l("Keep %(holidays)s", holidays=_holidays_label(kept_holidays))
            self.state.choices.insert(1, (KEEP, label))
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
                "holidays": self._holidays(),
                "closed_days": (self.closed_days.data or "").split(),
            },
            "pause_statuses": self.pause_statuses.data or [],
            "warn_share": self.warn_share.data, "repeat_minutes": self.repeat_minutes.data,
            "max_level": self.max_level.data, "escalate_to": self.escalate_to.data or None,
            "reassign": bool(self.reassign.data),
        }

    def _holidays(self) -> dict[str, Any] | None:
        if self.state.data == KEEP:
            return self.kept_holidays
        return {"country": "DE", "state": self.state.data} if self.state.data else None

    def show_errors(self, error: Invalid) -> None:
        """Put each reason the service gave next to the field it is about."""
        for name, messages in error.fields.items():
            field = getattr(self, _field_for(name), None) or self.name
            field.errors = list(field.errors) + [f"{name}: {m}" for m in messages]


def policy_form_data(policy: SlaPolicy) -> dict[str, Any]:
    """A stored policy as the form's fields, to prefill the edit form."""
    calendar = policy.calendar or {}
    escalate_to = db.session.get(Person, policy.escalate_to_id) if policy.escalate_to_id else None
    return {
        "name": policy.name, "priority": policy.priority.value if policy.priority else "",
        "channel": policy.channel.slug if policy.channel else "",
        "first_response_minutes": policy.first_response_minutes,
        "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "hours": format_hours(calendar.get("hours") or {}),
        "timezone": calendar.get("timezone", "Europe/Berlin"),
        "state": _state_choice(calendar.get("holidays")),
        "closed_days": "\n".join(str(day) for day in calendar.get("closed_days") or []),
        "pause_statuses": list(policy.pause_statuses or []), "warn_share": policy.warn_share,
        "repeat_minutes": policy.repeat_minutes, "max_level": policy.max_level,
        "escalate_to": escalate_to.email if escalate_to else "", "reassign": policy.reassign,
    }


def holidays_the_form_cannot_show(policy: SlaPolicy) -> dict[str, Any] | None:
    """The policy's public holidays when no state choice stands for them, else None."""
    holidays = (policy.calendar or {}).get("holidays")
    return holidays if holidays and _state_choice(holidays) == KEEP else None


def _state_choice(holidays: Any) -> str:
    if not holidays:
        return ""
    if str(holidays.get("country", "DE")).upper() == "DE" \
            and str(holidays.get("state") or "").upper() in GERMAN_STATES:
        return str(holidays["state"]).upper()
    return KEEP


def _holidays_label(holidays: dict[str, Any]) -> str:
    country = str(holidays.get("country", "DE")).upper()
    return f"{country}-{holidays['state']}" if holidays.get("state") else country


def format_hours(hours: dict[str, Any]) -> str:
    """{"mon": [["08:00", "12:00"], ...]} -> `mon 08:00-12:00 13:00-17:00` lines."""
    return "\n".join(
        f"{day} " + " ".join(f"{start}-{end}" for start, end in hours[day])
        for day in WEEKDAYS if hours.get(day))


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
