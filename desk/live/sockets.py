"""Socket connections: who may connect, and the rooms they join."""

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from desk.auth.service import person_for_token
from desk.extensions import socketio
from desk.live.rooms import rooms_of
from desk.models import Person


def install() -> None:
    """Register the handlers on the current server (each create_app makes a new one)."""
    socketio.on_event("connect", connect)


def connect(auth: dict[str, Any] | None = None) -> None:
    """Browsers come with their session cookie, API clients with `auth={"token": ...}`."""
    person = _person(auth)
    if person is None or not person.is_active:
        raise ConnectionRefusedError("unauthorized")
    for room in rooms_of(person):
        join_room(room)


def _person(auth: dict[str, Any] | None) -> Person | None:
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        return person_for_token(token)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return person_for_token(header.removeprefix("Bearer ").strip())
    return None
