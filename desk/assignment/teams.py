"""The team-rules pages (supervisors, admins): each team's assignment rule, each member's
capacity and skills. Forms around desk.assignment.rules, the same service the API uses."""

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import Field, SelectChoice

from desk import errors
from desk.assignment import rules
from desk.assignment.forms import (
    ACTION_LABELS,
    MODE_LABELS,
    PRIORITY_FIELDS,
    AgentSettingsForm,
    TeamRuleForm,
)
from desk.assignment.jobs import drain_soon
from desk.assignment.views import bp, supervisors
from desk.extensions import db
from desk.models import AgentState, AssignmentRule, AssignMode, Channel, Person, Team, team_members


def _actor() -> Person:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise errors.NotFound(f"no team {team_id}")
    return team


@bp.get("/teams")
@supervisors
def teams() -> str:
    """Every team with its rule at a glance."""
    found = db.session.execute(
        sa.select(Team, AssignmentRule).outerjoin(AssignmentRule,
                                                  AssignmentRule.team_id == Team.id)
        .order_by(Team.name)).all()
    sizes = dict(db.session.execute(
        sa.select(team_members.c.team_id, sa.func.count()).group_by(team_members.c.team_id)
    ).all())
    rows = [{"team": team, "rule": rule or rules.rule_for(team.id),
             "members": sizes.get(team.id, 0)} for team, rule in found]
    return render_template("assignment/teams.html", rows=rows, mode_labels=MODE_LABELS,
                           action_labels=ACTION_LABELS)


@bp.get("/teams/<int:team_id>")
@supervisors
def team(team_id: int) -> str:
    return _team_page(_team(team_id))


@bp.post("/teams/<int:team_id>")
@supervisors
def save_rule(team_id: int) -> Response | tuple[str, int]:
    """Change the team's rule; switching a mode on drains its backlog."""
    team = _team(team_id)
    form = TeamRuleForm()
    if not form.validate_on_submit():
        return _team_page(team, rule_form=form), 422
    values = form.values()
    try:
        rules.set_rule(_actor(), team.name, **values)
    except errors.Invalid as error:
        _show_errors(form, error, form.mode)
        return _team_page(team, rule_form=form), 422
    if values["mode"] != AssignMode.OFF.value:
        drain_soon(team.id)
    flash(_("The rule of %(team)s is saved.", team=team.name), "success")
    return redirect(url_for("assignment.team", team_id=team.id))


@bp.post("/teams/<int:team_id>/people/<int:person_id>")
@supervisors
def save_person(team_id: int, person_id: int) -> Response | tuple[str, int]:
    """Change one member's own capacity and skills."""
    team = _team(team_id)
    person = db.session.get(Person, person_id)
    if person is None or person.id not in _member_ids(team.id):
        raise errors.NotFound(f"no member {person_id} in {team.name}")
    form = _person_form(person.id)
    if not form.validate_on_submit():
        return _team_page(team, person_forms={person.id: form}), 422
    try:
        rules.update_agent(_actor(), person, form.values())
    except errors.Invalid as error:
        _show_errors(form, error, form.capacity)
        return _team_page(team, person_forms={person.id: form}), 422
    flash(_("The settings of %(name)s are saved.", name=person.name), "success")
    return redirect(url_for("assignment.team", team_id=team.id, _anchor=f"person-{person.id}"))


# -- the page ---------------------------------------------------------------------------


def _team_page(team: Team, rule_form: TeamRuleForm | None = None,
               person_forms: dict[int, AgentSettingsForm] | None = None) -> str:
    members = _members(team.id)
    forms = {person.id: _person_form(person.id, state) for person, state in members}
    forms.update(person_forms or {})
    return render_template(
        "assignment/team.html", team=team,
        rule_form=rule_form or _rule_form(rules.rule_for(team.id)),
        members=members, person_forms=forms)


def _rule_form(rule: AssignmentRule) -> TeamRuleForm:
    by_priority = rule.response_minutes_by_priority or {}
    data: dict[str, Any] = {
        "mode": rule.mode.value, "capacity": str(rule.capacity),
        "grace_minutes": str(rule.grace_minutes),
        "response_minutes": "" if rule.response_minutes is None else str(rule.response_minutes),
        "response_action": rule.response_action.value, "fair_limit": str(rule.fair_limit),
        "fair_window_minutes": str(rule.fair_window_minutes),
    }
    for priority, name in PRIORITY_FIELDS.items():
        data[name] = str(by_priority[priority.value]) if priority.value in by_priority else ""
    return TeamRuleForm(formdata=None, data=data)


def _person_form(person_id: int, state: AgentState | None = None) -> AgentSettingsForm:
    """The member's form: from the request when `state` is None, else filled from it."""
    prefix = f"person-{person_id}"
    if state is None:
        form = AgentSettingsForm(prefix=prefix)
    else:
        form = AgentSettingsForm(prefix=prefix, formdata=None, data={
            "capacity": "" if state.capacity is None else str(state.capacity),
            "languages": ", ".join(state.languages or []),
            "channels": list(state.channel_ids or [])})
    form.channels.choices = [SelectChoice(row.id, row.name) for row in db.session.execute(
        sa.select(Channel.id, Channel.name).order_by(Channel.name))]
    return form


def _member_ids(team_id: int) -> set[int]:
    return set(db.session.scalars(
        sa.select(team_members.c.person_id).where(team_members.c.team_id == team_id)))


def _members(team_id: int) -> list[tuple[Person, AgentState]]:
    people = db.session.scalars(
        sa.select(Person).join(team_members, team_members.c.person_id == Person.id)
        .where(team_members.c.team_id == team_id, Person.is_active_account)
        .order_by(Person.name)).all()
    return [(person, rules.state_of(person.id)) for person in people]


def _show_errors(form: Any, error: errors.Invalid, fallback: Field) -> None:
    """Each service message by the field it names (the per-priority minutes as a group)."""
    for name, messages in (error.fields or {"": [error.detail]}).items():
        if name == "response_minutes_by_priority":
            form.priority_errors = [*form.priority_errors, *messages]
            continue
        target = getattr(form, name, None)
        target = target if isinstance(target, Field) else fallback
        target.errors = [*target.errors, *messages]
