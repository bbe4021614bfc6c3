"""Early-warning alerts go live to supervisors only (escalations go through desk.live)."""

from typing import Any

from desk import events
from desk.extensions import socketio
from desk.live.rooms import ALL_TEAMS


def _alert_raised(sender: Any = None, **facts: Any) -> None:
    # Supervisors and admins are the only members of the all-teams room.
    socketio.emit("alert.raised", facts, to=ALL_TEAMS)


def install() -> None:
    events.alert_raised.connect(_alert_raised, weak=False)
