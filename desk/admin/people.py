"""Admin pages for people: who has access, with which roles and teams.

The services in desk.auth.service do the work (and the auditing, and closing the
live connections of someone whose access changed); these views are forms around
them. An admin cannot lock themselves out: no deactivating oneself, no dropping
one's own admin role.
"""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from desk import errors
from desk.admin.views import admin_only, bp
from desk.auth import service as people
from desk.extensions import db
from desk.models import Person, Role

ROLE_LABELS = {
    Role.AGENT: _l("Agent"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.FAQ_EDITOR: _l("FAQ editor"),
    Role.ADMIN: _l("Admin"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class PersonForm(FlaskForm):
    roles = CheckboxesField(_l("Roles"), choices=_role_choices)
    teams = StringField(_l("Teams"), validators=[Length(max=1000)],
                        description=_l("Separated by commas; new teams are created."))


class NewPersonForm(PersonForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    language = SelectField(_l("Language"), default="", choices=[
        SelectChoice("", _l("Browser's choice")), SelectChoice("de", "Deutsch"),
        SelectChoice("en", "English")])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)],
                             description=_l("At least 8 characters."))


def _teams(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise errors.NotFound(f"no person {person_id}")
    return person


def _actor() -> Person:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.get("/people")
@admin_only
def people_list() -> str:
    return render_template("admin/people.html", people=people.all_people(),
                           role_labels=ROLE_LABELS)


@bp.route("/people/new", methods=["GET", "POST"])
@admin_only
def new_person() -> str | Response:
    form = NewPersonForm()
    if form.validate_on_submit():
        roles = [Role(value) for value in form.roles.data or []]
        try:
            person = people.create_person(
                form.email.data or "", form.name.data or "", roles, form.password.data or None,
                language=form.language.data or None, teams=_teams(form.teams.data))
        except errors.Invalid as exc:
            _form_errors(form, exc)
        else:
            flash(_("%(name)s can sign in now.", name=person.name) if person.password_hash
                  else _("%(name)s is added without a password: only an API token "
                         "(flask desk create-token) lets them in.", name=person.name), "success")
            return redirect(url_for("admin.people_list"))
    return render_template("admin/person_new.html", form=form)


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@admin_only
def edit_person(person_id: int) -> str | Response:
    person = _person(person_id)
    form = PersonForm(data={"roles": sorted(role.value for role in person.roles),
                            "teams": ", ".join(sorted(team.name for team in person.teams))})
    if form.validate_on_submit():
        roles = [Role(value) for value in form.roles.data or []]
        try:
            with db.session.no_autoflush:
                people.set_roles(_actor(), person, roles)
                people.set_teams(_actor(), person, _teams(form.teams.data))
        except errors.Invalid as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_person", person_id=person.id))
    return render_template("admin/person_edit.html", person=person, form=form,
                           status_form=FlaskForm())


@bp.post("/people/<int:person_id>/deactivate")
@admin_only
def deactivate_person(person_id: int) -> Response:
    person = _person(person_id)
    if FlaskForm().validate_on_submit():
        try:
            people.deactivate(_actor(), person)
        except errors.Invalid:
            flash(_("You cannot deactivate yourself."), "error")
        else:
            flash(_("%(name)s no longer has access.", name=person.name), "success")
    return redirect(url_for("admin.edit_person", person_id=person.id))


@bp.post("/people/<int:person_id>/reactivate")
@admin_only
def reactivate_person(person_id: int) -> Response:
    person = _person(person_id)
    if FlaskForm().validate_on_submit():
        people.reactivate(_actor(), person)
        flash(_("%(name)s has access again.", name=person.name), "success")
    return redirect(url_for("admin.edit_person", person_id=person.id))


def _form_errors(form: FlaskForm, exc: errors.Invalid) -> None:
    """Put a service's refusal next to the field it concerns (or on top of the form)."""
    messages = {
        "email": _("This e-mail address is taken or not valid."),
        "name": _("A name is needed."),
        "role": _("Choose at least one role; an admin keeps their own admin role."),
        "password": _("The password needs at least 8 characters."),
        "teams": _("A team name has at most 80 characters."),
    }
    fields = {"role": "roles"}
    placed = False
    for key in getattr(exc, "fields", None) or {}:
        field = getattr(form, fields.get(key, key), None)
        if field is not None and key in messages:
            field.errors = [*field.errors, messages[key]]
            placed = True
    if not placed:
        flash(_("That did not work: %(reason)s", reason=exc.detail), "error")
