"""A bare Flask-SocketIO server for bench.live: the floor desk's live layer is measured
against. Same stack (gunicorn -k gevent, Redis message queue), no desk: a connect
handler that puts every socket into one room, nothing else.

    gunicorn -k gevent -w 1 bench.live_bare:app   (REDIS_URL, DESK_SOCKETIO_CHANNEL set)
"""

import os

from flask import Flask
from flask_socketio import SocketIO, join_room

ROOM = "bench"

app = Flask(__name__)
socketio = SocketIO(app, message_queue=os.environ["REDIS_URL"],
                    channel=os.environ["DESK_SOCKETIO_CHANNEL"], cors_allowed_origins=[])


@socketio.on("connect")
def connect(auth: dict | None = None) -> None:
    join_room(ROOM)
