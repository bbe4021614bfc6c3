"""Domain signals become Socket.IO events, sent to the rooms that may see them.

Signals are sent after commit (desk.commits), so a screen never hears of a
change that was rolled back. Payloads are ids and small facts; screens fetch
what they show through the same authorised views as a page load.
"""

from collections.abc import Callable
from typing import Any

from desk import events
from desk.commits import around_callbacks
from desk.extensions import socketio
from desk.live.publisher import publishes_together
from desk.live.rooms import ALL_TEAMS, rooms_for_ticket


def _emitter(name: str) -> Callable[..., None]:
    def emit(sender: Any = None, **facts: Any) -> None:
        payload = {key: value for key, value in facts.items() if key != "team_id"}
        rooms = rooms_for_ticket(facts.get("team_id"), facts.get("ticket_id"))
        socketio.emit(name, payload, to=rooms)

    return emit


# One receiver per signal for the life of the process; blinker ignores a second connect.
_EMITTERS = {name: _emitter(name) for name in events.ALL}


def _chosen_presence(sender: Any = None, *, person_id: int, status: str, source: str,
                     **extra: Any) -> None:
    # Socket presence changes are emitted by desk.live.sockets as they happen; a status a
    # person chose (away, back online) reaches the supervisors here.
    if source == "chosen":
        socketio.emit("presence.updated", {"person_id": person_id, "status": status},
                      to=ALL_TEAMS)


def install() -> None:
    around_callbacks(publishes_together)
    for name, signal in events.ALL.items():
        signal.connect(_EMITTERS[name], weak=False)
    events.presence_changed.connect(_chosen_presence, weak=False)
