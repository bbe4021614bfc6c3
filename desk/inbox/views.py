"""The agent's screen: queue on the left, ticket on the right."""

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

bp = Blueprint("inbox", __name__)


@bp.route("/")
def index() -> Response:
    return redirect(url_for("auth.login"))
