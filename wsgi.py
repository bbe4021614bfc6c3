"""Entry point for `flask --app wsgi` and for gunicorn (`wsgi:app`)."""

from desk import create_app
from desk.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(app)
