"""Socket connections: who may connect, the rooms they join, and what a socket may say.

Every event a client sends is answered with an acknowledgement: `{"ok": true,
...}` or `{"ok": false, "error": <code>}`. Malformed or unknown events get an
error acknowledgement and change nothing; the connection stays up.

| event          | data                                  | does                                   |
|----------------|---------------------------------------|----------------------------------------|
| `join_ticket`  | `{"ticket_id": int}`                  | joins `ticket:<id>` and views it       |
| `viewing`      | `{"viewing": bool}`                   | shows or hides the person as a viewer  |
| `typing`       | `{"typing": bool}`                    | "is typing…" on the joined ticket      |
| `heartbeat`    | `{"status": "online" \\| "away"}`      | keeps presence alive (every ~20 s)     |
"""

import logging
import secrets
import threading
import time
from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user, user_logged_in, user_logged_out
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from desk import audit, events
from desk.auth.access import can_see_ticket
from desk.auth.service import person_for_token
from desk.commits import commit
from desk.extensions import db, socketio
from desk.live import presence
from desk.live.rooms import ALL_TEAMS, rooms_of, ticket_room
from desk.models import Person, Presence, Ticket

log = logging.getLogger(__name__)

TYPING_INTERVAL = 2.0  # seconds: at most one typing broadcast per socket in this time
SWEEP_INTERVAL = 15  # seconds between sweeps of expired presence, per web process

_PERSON = "desk.person_id"
_LOGIN = "desk.login"  # in the browser session: which sign-in opened this socket
_TICKET = "desk.ticket_id"

# Socket ids are local to the process that holds the socket, so this needs no Redis.
_last_typing: dict[str, float] = {}
_clock = time.monotonic  # the throttle's clock; tests pass their own
_sweeper_lock = threading.Lock()
_sweepers: set[int] = set()


def install() -> None:
    """Register the handlers on the current server (each create_app makes a new one)."""
    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)
    socketio.on_event("join_ticket", join_ticket)
    socketio.on_event("viewing", viewing)
    socketio.on_event("typing", typing)
    socketio.on_event("heartbeat", heartbeat)
    socketio.on_event("*", unknown_event)
    socketio.on_error_default(_failed)
    user_logged_in.connect(_mark_login, weak=False)
    user_logged_out.connect(_end_login, weak=False)
    events.person_changed.connect(_person_changed, weak=False)


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


# -- connect and disconnect --------------------------------------------------------------


def connect(auth: dict[str, Any] | None = None) -> None:
    """Browsers come with their session cookie, API clients with `auth={"token": ...}`."""
    person = _authenticate(auth)
    if person is None or not person.is_active:
        raise ConnectionRefusedError("unauthorized")
    for room in rooms_of(person):
        join_room(room)
    session[_PERSON] = person.id
    before = presence.status_of(person.id)
    via = "cookie" if current_user.is_authenticated else "token"
    sid = request.sid  # type: ignore[attr-defined]
    presence.socket_connected(person.id, sid, via, session.get(_LOGIN))
    _presence_changed(person.id, before)
    _start_sweeper(current_app._get_current_object())  # type: ignore[attr-defined]


def _authenticate(auth: dict[str, Any] | None) -> Person | None:
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        return person_for_token(token)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return person_for_token(header.removeprefix("Bearer ").strip())
    return None


def disconnect(reason: Any = None) -> None:
    sid = request.sid  # type: ignore[attr-defined]
    _last_typing.pop(sid, None)
    person_id = session.get(_PERSON)
    if person_id is None:
        return
    ticket_id = session.pop(_TICKET, None)
    if ticket_id is not None and presence.leave_ticket(ticket_id, sid):
        _announce_viewers(ticket_id)
    before = presence.status_of(person_id)
    presence.socket_gone(person_id, sid)
    _presence_changed(person_id, before)


def _person() -> Person | None:
    """The socket's person as the database has them now: roles may have changed."""
    person_id = session.get(_PERSON)
    person = db.session.get(Person, person_id) if isinstance(person_id, int) else None
    return person if person is not None and person.is_active else None


# -- tickets: join, view, type -----------------------------------------------------------


def join_ticket(data: Any = None) -> dict[str, Any]:
    """Join a ticket's room, if the person may see the ticket (the HTTP views' rule)."""
    ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or ticket_id < 1:
        return _error("bad_request")
    person = _person()
    if person is None:
        return _error("unauthorized")
    team = db.session.execute(
        db.select(Ticket.team_id).where(Ticket.id == ticket_id)
    ).one_or_none()
    if team is None:
        return _error("not_found")
    if not can_see_ticket(person, team.team_id):
        audit.record("socket.forbidden_join", person, ticket_id)
        commit()
        log.warning("socket of person %s refused ticket %s", person.id, ticket_id)
        return _error("forbidden")
    sid = request.sid  # type: ignore[attr-defined]
    previous = session.get(_TICKET)
    if previous is not None and previous != ticket_id:
        leave_room(ticket_room(previous))
        if presence.leave_ticket(previous, sid):
            _announce_viewers(previous)
    join_room(ticket_room(ticket_id))
    session[_TICKET] = ticket_id
    presence.view_ticket(ticket_id, sid, person.id, person.name)
    viewers = _announce_viewers(ticket_id)
    return {"ok": True, "ticket_id": ticket_id, "viewers": viewers}


def viewing(data: Any = None) -> dict[str, Any]:
    """Show (tab visible) or hide (tab hidden) the person as a viewer of the joined ticket."""
    shown = data.get("viewing") if isinstance(data, dict) else None
    if not isinstance(shown, bool):
        return _error("bad_request")
    ticket_id = session.get(_TICKET)
    person = _person()
    if ticket_id is None or person is None:
        return _error("no_ticket")
    sid = request.sid  # type: ignore[attr-defined]
    if shown:
        presence.view_ticket(ticket_id, sid, person.id, person.name)
    else:
        presence.leave_ticket(ticket_id, sid)
    _announce_viewers(ticket_id)
    return {"ok": True}


def typing(data: Any = None) -> dict[str, Any]:
    """Someone types a reply; broadcast at most every TYPING_INTERVAL per socket."""
    active = data.get("typing", True) if isinstance(data, dict) else None
    if not isinstance(active, bool):
        return _error("bad_request")
    ticket_id = session.get(_TICKET)
    if ticket_id is None or _person() is None:
        return _error("no_ticket")
    sid = request.sid  # type: ignore[attr-defined]
    now = _clock()
    if now - _last_typing.get(sid, -TYPING_INTERVAL) < TYPING_INTERVAL:
        return {"ok": True, "throttled": True}
    _last_typing[sid] = now
    if not presence.set_typing(ticket_id, sid, active):
        return _error("no_ticket")
    _announce_viewers(ticket_id)
    return {"ok": True, "throttled": False}


def heartbeat(data: Any = None) -> dict[str, Any]:
    """Keep the socket's presence alive; `status` says whether the person is at the screen."""
    wanted = data.get("status", "online") if isinstance(data, dict) else "online"
    if wanted not in (Presence.ONLINE.value, Presence.AWAY.value):
        return _error("bad_request")
    person = _person()
    if person is None:
        return _error("unauthorized")
    sid = request.sid  # type: ignore[attr-defined]
    person_id = person.id
    before = presence.status_of(person_id)
    presence.socket_seen(person_id, sid, Presence(wanted))
    ticket_id = session.get(_TICKET)
    if ticket_id is not None:
        presence.touch_viewer(ticket_id, sid)
    _presence_changed(person_id, before)
    return {"ok": True, "status": presence.status_of(person_id).value}


def unknown_event(event: str, data: Any = None) -> dict[str, Any]:
    return _error("unknown_event")


def _failed(error: Exception) -> dict[str, Any]:
    """A handler failed: log it, answer with an error, keep the connection."""
    db.session.rollback()
    log.exception("socket event failed", exc_info=error)
    return _error("server_error")


# -- broadcasts --------------------------------------------------------------------------


def _announce_viewers(ticket_id: int) -> list[dict[str, Any]]:
    viewers = presence.viewers(ticket_id)
    socketio.emit("presence.updated", {"ticket_id": ticket_id, "viewers": viewers},
                  to=ticket_room(ticket_id))
    return viewers


def _presence_changed(person_id: int, before: Presence) -> None:
    """Tell supervisors when a person's presence changed, and remember it on the person."""
    after = presence.status_of(person_id)
    if after == before:
        return
    presence.record(person_id, after)
    socketio.emit("presence.updated", {"person_id": person_id, "status": after.value},
                  to=ALL_TEAMS)


def sweep_presence(now: float | None = None) -> presence.Swept:
    """Drop expired viewers and sockets and tell the rooms (run every SWEEP_INTERVAL)."""
    swept = presence.sweep(now)
    for ticket_id in swept.tickets:
        _announce_viewers(ticket_id)
    for person_id in swept.people:
        status = presence.status_of(person_id, now)
        presence.record(person_id, status)
        socketio.emit("presence.updated", {"person_id": person_id, "status": status.value},
                      to=ALL_TEAMS)
    return swept


def _start_sweeper(app: Flask) -> None:
    """One sweeping task per server process, started with the first socket."""
    if app.testing:
        return  # tests sweep by calling sweep_presence() with a clock of their own
    with _sweeper_lock:
        if id(socketio.server) in _sweepers:
            return
        _sweepers.add(id(socketio.server))

    def sweep_forever() -> None:
        while True:
            socketio.sleep(SWEEP_INTERVAL)
            with app.app_context():
                try:
                    sweep_presence()
                except Exception:  # noqa: BLE001 - the next round tries again
                    db.session.rollback()
                    log.exception("presence sweep failed")

    socketio.start_background_task(sweep_forever)


# -- ending connections: sign-out, deactivation, role changes ----------------------------


def _mark_login(sender: Any, user: Person, **extra: Any) -> None:
    """Give each sign-in an id, so signing out ends exactly its sockets."""
    session[_LOGIN] = secrets.token_urlsafe(12)


def _end_login(sender: Any, user: Person, **extra: Any) -> None:
    login = session.pop(_LOGIN, None)
    if user is None or not getattr(user, "id", None):
        return
    disconnect_person(user.id, login=login, cookies_only=login is None)


def _person_changed(sender: Any = None, *, person_id: int, change: str, **extra: Any) -> None:
    disconnect_person(person_id)


def disconnect_person(person_id: int, login: str | None = None,
                      cookies_only: bool = False) -> int:
    """Disconnect a person's sockets in every web process (through the message queue).

    With `login`, only the sockets opened by that sign-in; `cookies_only` spares API
    clients (their token still holds). Returns how many sockets were told to go.
    """
    count = 0
    for sid, entry in presence.sockets_of(person_id).items():
        if login is not None and entry.get("login") != login:
            continue
        if cookies_only and entry.get("via") != "cookie":
            continue
        socketio.server.disconnect(sid, namespace="/")
        # A socket of a dead process is never told; forget it here.
        presence.socket_gone(person_id, sid)
        count += 1
    return count
