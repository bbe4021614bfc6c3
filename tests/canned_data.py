"""Canned replies for tests, written through the service as a person would."""

from typing import Any

from flask import Flask

from desk.extensions import db
from desk.models import CannedScope, Person


def make_canned(app: Flask, person: Person, title: str = "Entschuldigung Verspätung",
                shortcut: str = "sorry", body: str | None = "Hallo {{ contact.first_name }}!",
                scope: CannedScope = CannedScope.PERSONAL, body_en: str | None = None,
                team: str | None = None, tags: tuple[str, ...] = ()) -> int:
    """Create a canned reply as `person`; returns its id."""
    from desk.canned import service
    from desk.models import Team

    with app.app_context():
        author = db.session.get(Person, person.id)
        team_id = None
        if team is not None:
            found = db.session.query(Team).filter_by(name=team).one_or_none()
            if found is None:
                found = Team(name=team)
                db.session.add(found)
                db.session.commit()
            team_id = found.id
        bodies: dict[str, Any] = {}
        if body is not None:
            bodies["de"] = body
        if body_en is not None:
            bodies["en"] = body_en
        reply = service.create(author, title=title, shortcut=shortcut, scope=scope,
                               bodies=bodies, team_id=team_id, tags=tags)
        return reply.id
