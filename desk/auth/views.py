"""Sign in, sign out, and the person's language."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from desk.auth import service
from desk.auth.forms import LoginForm
from desk.extensions import limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["DESK_LOGIN_LIMIT"]


def safe_next(target: str | None) -> str | None:
    """Only a local path may follow sign-in; anything else could send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        person = service.authenticate(form.email.data or "", form.password.data or "")
        if person is None:
            form.password.errors = [_("E-mail or password is wrong.")]
        else:
            login_user(person, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or url_for("inbox.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> Response:
    """Switch the interface language (stored on the profile when signed in)."""
    chosen = request.form.get("language")
    if chosen not in current_app.config["DESK_LOCALES"]:
        chosen = None
    if current_user.is_authenticated:
        service.set_language(current_user._get_current_object(), chosen)
    response = redirect(safe_next(request.form.get("next")) or url_for("inbox.index"))
    if chosen:
        response.set_cookie("desk_lang", chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response
