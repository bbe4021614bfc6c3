"""Forms of the team-rules page. They only carry text: desk.assignment.rules checks the values.

The numbers arrive as text and go to the service as whole numbers when they are
numbers and as they were typed otherwise, so the one check in the service (shared
with the API) decides, and its message appears by the field.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from desk.models import AssignMode, Priority, ResponseAction

MODE_LABELS = {
    AssignMode.OFF: _l("Off (nobody is assigned automatically)"),
    AssignMode.ROUND_ROBIN: _l("Round robin"),
    AssignMode.LEAST_LOADED: _l("Least loaded"),
}
ACTION_LABELS = {
    ResponseAction.REASSIGN: _l("Reassign to the next agent"),
    ResponseAction.ESCALATE: _l("Escalate"),
}
PRIORITY_FIELDS = {priority: f"response_{priority.value}" for priority in Priority}


def _number(text: str | None) -> Any:
    """'12' -> 12, '' -> None, anything else as typed (the service refuses it)."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


class _NumberField(StringField):
    """A number typed as text (inputmode numeric), checked by the service."""

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("size", 6)
        return super().__call__(**kwargs)


class TeamRuleForm(FlaskForm):
    """A team's assignment rule, every setting the model keeps."""

    mode = SelectField(_l("Auto-assignment"), validate_choice=False, choices=[
        SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()])
    capacity = _NumberField(_l("Default capacity"), validators=[Length(max=12)],
                            description=_l("Most open tickets per person, unless set per person."))
    grace_minutes = _NumberField(_l("Grace minutes"), validators=[Length(max=12)],
                                 description=_l("How long someone offline or away keeps "
                                                "new, unanswered tickets."))
    response_minutes = _NumberField(_l("Response minutes"), validators=[Length(max=12)],
                                    description=_l("Time an assignee has to answer; empty: "
                                                   "no response timer."))
    response_urgent = _NumberField(_l("Urgent"), validators=[Length(max=12)])
    response_high = _NumberField(_l("High"), validators=[Length(max=12)])
    response_normal = _NumberField(_l("Normal"), validators=[Length(max=12)])
    response_low = _NumberField(_l("Low"), validators=[Length(max=12)])
    response_action = SelectField(_l("When nobody answered in time"), validate_choice=False,
                                  choices=[SelectChoice(action.value, label)
                                           for action, label in ACTION_LABELS.items()])
    fair_limit = _NumberField(_l("Fair-distribution limit"), validators=[Length(max=12)],
                              description=_l("At most this many automatic tickets per person "
                                             "in the window; 0: no limit."))
    fair_window_minutes = _NumberField(_l("Fair-distribution window (minutes)"),
                                       validators=[Length(max=12)])
    save = SubmitField(_l("Save the rule"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service names the per-priority minutes as one setting; shown under the group.
        self.priority_errors: list[str] = []

    def by_priority_fields(self) -> list[StringField]:
        return [getattr(self, name) for name in PRIORITY_FIELDS.values()]

    def values(self) -> dict[str, Any]:
        """The settings as the service (and the API) take them."""
        by_priority = {priority.value: _number(getattr(self, name).data)
                       for priority, name in PRIORITY_FIELDS.items()}
        return {
            "mode": self.mode.data,
            "capacity": _number(self.capacity.data),
            "grace_minutes": _number(self.grace_minutes.data),
            "response_minutes": _number(self.response_minutes.data),
            "response_minutes_by_priority": {key: minutes for key, minutes in by_priority.items()
                                             if minutes is not None},
            "response_action": self.response_action.data,
            "fair_limit": _number(self.fair_limit.data),
            "fair_window_minutes": _number(self.fair_window_minutes.data),
        }


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgentSettingsForm(FlaskForm):
    """One person's own capacity and skills; empty means the team's default / any."""

    capacity = _NumberField(_l("Capacity"), validators=[Length(max=12)],
                            description=_l("Empty: the team's default."))
    languages = StringField(_l("Languages"), validators=[Length(max=200)],
                            description=_l("Codes separated by commas, e.g. de, en; "
                                           "empty: any language."))
    channels = CheckboxesField(_l("Channels"), coerce=int, validate_choice=False,
                               description=_l("None ticked: any channel."))
    save = SubmitField(_l("Save"))

    def values(self) -> dict[str, Any]:
        codes = [code.strip() for code in (self.languages.data or "").split(",") if code.strip()]
        return {"capacity": _number(self.capacity.data), "languages": codes or None,
                "channel_ids": list(self.channels.data or []) or None}
