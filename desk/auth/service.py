"""People, passwords and API tokens."""

import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from desk import audit, events
from desk.commits import commit, send_after_commit
from desk.errors import Invalid, NotFound
from desk.extensions import db
from desk.models import ApiToken, Person, PersonRole, Role, Team, hash_token

# Checked against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(str(exc), {"email": [str(exc)]}) from exc


def find_person(email: str) -> Person | None:
    return db.session.scalar(sa.select(Person).where(Person.email == email.strip().lower()))


def authenticate(email: str, password: str) -> Person | None:
    """The person for these credentials, or None; never says which part was wrong."""
    person = find_person(email)
    if person is None:
        Person(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not person.check_password(password) or not person.is_active:
        return None
    return person


def create_person(
    email: str,
    name: str,
    roles: list[Role],
    password: str | None,
    language: str | None = None,
    teams: list[str] | None = None,
) -> Person:
    """Create a person with roles (and teams, created when missing)."""
    email = normalise_email(email)
    if find_person(email) is not None:
        raise Invalid(f"{email} exists already", {"email": ["exists already"]})
    if not name.strip():
        raise Invalid("name must not be empty", {"name": ["must not be empty"]})
    if not roles:
        raise Invalid("at least one role is needed", {"role": ["at least one role is needed"]})
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]},
        )
    person = Person(email=email, name=name.strip(), language=language)
    if password is not None:
        person.set_password(password)
    person.role_rows = [PersonRole(role=role) for role in sorted(set(roles))]
    person.teams = [team_named(team) for team in teams or []]
    db.session.add(person)
    audit.record("person.created", None, email=email, roles=[r.value for r in roles])
    commit()
    return person


def team_named(name: str) -> Team:
    """The team with this name, created (uncommitted) when there is none."""
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    return team


def create_token(email: str) -> str:
    """A new API token for the person; only its hash is kept, so show it now or never."""
    person = find_person(email)
    if person is None:
        raise NotFound(f"no person with e-mail {email}")
    token = "desk_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(person_id=person.id, token_hash=hash_token(token)))
    audit.record("token.created", person)
    commit()
    return token


def person_for_token(token: str) -> Person | None:
    """The active person owning this API token, or None."""
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
        # Every API request needs the person's roles and teams: one query, not three.
        .options(joinedload(ApiToken.person).joinedload(Person.role_rows),
                 joinedload(ApiToken.person).joinedload(Person.teams)))
    if row is None or not row.person.is_active:
        return None
    return row.person


def deactivate(actor: Person | None, person: Person) -> None:
    """End a person's access: no sign-in, no token, and their live connections close."""
    if actor is not None and actor.id == person.id:
        raise Invalid("you cannot deactivate yourself", {"person": ["is you"]})
    if not person.is_active_account:
        return
    person.is_active_account = False
    audit.record("person.deactivated", actor, email=person.email)
    send_after_commit(events.person_changed, person_id=person.id, change="deactivated")
    commit()


def reactivate(actor: Person | None, person: Person) -> None:
    """Give a deactivated person access again (their old API tokens work again too)."""
    if person.is_active_account:
        return
    person.is_active_account = True
    audit.record("person.reactivated", actor, email=person.email)
    commit()


def set_roles(actor: Person | None, person: Person, roles: list[Role]) -> None:
    """Replace a person's roles; their sockets reconnect into the rooms the new roles give."""
    if not roles:
        raise Invalid("at least one role is needed", {"role": ["at least one role is needed"]})
    if actor is not None and actor.id == person.id and Role.ADMIN not in roles:
        raise Invalid("you cannot take away your own admin role",
                      {"role": ["an admin keeps their own admin role"]})
    if set(roles) == person.roles:
        return
    old = sorted(role.value for role in person.roles)
    person.role_rows = [PersonRole(role=role) for role in sorted(set(roles))]
    audit.record("person.roles", actor, email=person.email, old=old,
                 new=sorted(role.value for role in set(roles)))
    send_after_commit(events.person_changed, person_id=person.id, change="roles")
    commit()


def set_teams(actor: Person | None, person: Person, teams: list[str]) -> None:
    """Replace a person's teams (created when missing); their sockets rejoin the team rooms."""
    names = sorted({name.strip() for name in teams if name.strip()})
    for name in names:
        if len(name) > 80:
            raise Invalid("a team name has at most 80 characters", {"teams": ["too long"]})
    if names == sorted(team.name for team in person.teams):
        return
    old = sorted(team.name for team in person.teams)
    person.teams = [team_named(name) for name in names]
    audit.record("person.teams", actor, email=person.email, old=old, new=names)
    send_after_commit(events.person_changed, person_id=person.id, change="teams")
    commit()


def all_people() -> list[Person]:
    """Everyone, active first, by name (an admin's list; small enough to show whole)."""
    return list(db.session.scalars(
        sa.select(Person).order_by(Person.is_active_account.desc(), Person.name, Person.id)))


def set_language(person: Person, language: str | None) -> None:
    person.language = language
    commit()

