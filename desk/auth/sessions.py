"""Loading the signed-in person for browser sessions."""

from flask_login import LoginManager
from sqlalchemy.orm import joinedload

from desk.extensions import db
from desk.models import Person


def install(login: LoginManager) -> None:
    login.login_view = "auth.login"
    login.login_message_category = "info"
    login.session_protection = "strong"

    @login.user_loader
    def load_person(person_id: str) -> Person | None:
        if not person_id.isdigit():
            return None
        # Every request loads the person with roles and teams: one query, not three.
        return db.session.get(Person, int(person_id), options=[
            joinedload(Person.role_rows), joinedload(Person.teams)])
