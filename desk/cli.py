"""`flask --app wsgi desk ...`: the operator's commands."""

from flask import Flask
from flask.cli import AppGroup

desk_cli = AppGroup("desk", help="desk operations: people, tokens, channels, import, demo, worker.")


def install(app: Flask) -> None:
    app.cli.add_command(desk_cli)
