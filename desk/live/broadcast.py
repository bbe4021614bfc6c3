"""Domain signals become Socket.IO events, sent to the rooms that may see them.

Signals are sent after commit (desk.commits), so a screen never hears of a
change that was rolled back. Payloads are ids and small facts; screens fetch
what they show through the same authorised views as a page load.
"""

from typing import Any

from flask import Flask

from desk import events
from desk.extensions import socketio
from desk.live.rooms import rooms_for_ticket


def install(app: Flask) -> None:
    for name, signal in events.ALL.items():
        signal.connect(_emitter(name), weak=False)


def _emitter(name: str):  # noqa: ANN202
    def emit(sender: Any = None, **facts: Any) -> None:
        payload = {key: value for key, value in facts.items() if key != "team_id"}
        socketio.emit(name, payload, to=rooms_for_ticket(facts.get("team_id")))

    return emit
