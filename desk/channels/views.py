"""Channel administration (admins): list with health, create, edit, pause; the API list."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.wrappers import Response

from desk import errors
from desk.api.auth import api_person, token_required
from desk.auth.access import roles_required
from desk.channels import service
from desk.channels.connectors import credentials
from desk.channels.forms import KIND_LABELS, ChannelForm, NewChannelForm
from desk.channels.polling import poll_channel
from desk.extensions import db
from desk.models import Channel, ChannelKind, Role

bp = Blueprint("channels", __name__, url_prefix="/admin/channels")
api_bp = ApiBlueprint("api_channels", __name__, url_prefix="/api/v1", description="Channels")
admin_only = roles_required(Role.ADMIN)


@api_bp.route("/channels", methods=["GET"])
@api_bp.doc(security=[{"bearer": []}])
@token_required
def list_channels() -> dict[str, Any]:
    """Every channel with its settings and health; secrets never (admins only)."""
    if not api_person().has_role(Role.ADMIN):
        raise errors.Forbidden("only admins see channels")
    return {"items": [status.as_json() for status in service.channel_statuses()]}


@bp.get("/")
@admin_only
def index() -> str:
    return render_template("channels/list.html", statuses=service.channel_statuses(),
                           kind_labels=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def create() -> str | Response:
    form = NewChannelForm()
    if form.validate_on_submit():
        try:
            channel = service.create_channel(
                form.slug.data, ChannelKind(form.kind.data), name=form.name.data or None,
                secret=form.secret.data or None, team=form.team.data or None,
                owner_email=form.owner.data or None, language=form.language.data or None,
                settings=_settings(form), secrets_given=_secrets(form),
                allow_private=form.allow_private.data, actor=current_user)
        except errors.DeskError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(_("Channel %(slug)s created.", slug=channel.slug), "success")
            return redirect(url_for("channels.index"))
    return render_template("channels/edit.html", form=form, channel=None)


@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@admin_only
def edit(channel_id: int) -> str | Response:
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise errors.NotFound("no such channel")
    form = ChannelForm()
    if form.validate_on_submit():
        try:
            service.update_channel(
                channel.id, current_user, name=form.name.data or None, team=form.team.data,
                owner_email=form.owner.data, language=form.language.data,
                settings=_settings(form), secret=form.secret.data or None,
                secrets_given=_secrets(form), allow_private=form.allow_private.data,
                poll_interval=form.poll_interval.data)
        except errors.DeskError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(_("Channel %(slug)s saved.", slug=channel.slug), "success")
            return redirect(url_for("channels.index"))
    elif not form.is_submitted():
        _fill(form, channel)
    stored = (["secret"] if channel.secret else []) + sorted(credentials(channel))
    return render_template("channels/edit.html", form=form, channel=channel,
                           stored_secrets=stored)


@bp.post("/<int:channel_id>/pause")
@admin_only
def pause(channel_id: int) -> Response:
    channel = service.set_paused(channel_id, True, current_user)
    flash(_("Channel %(slug)s paused.", slug=channel.slug), "success")
    return redirect(url_for("channels.index"))


@bp.post("/<int:channel_id>/resume")
@admin_only
def resume(channel_id: int) -> Response:
    channel = service.set_paused(channel_id, False, current_user)
    flash(_("Channel %(slug)s resumed.", slug=channel.slug), "success")
    return redirect(url_for("channels.index"))


@bp.post("/<int:channel_id>/poll")
@admin_only
def poll_now(channel_id: int) -> Response:
    report = poll_channel(channel_id)
    if report.error:
        flash(_("The poll failed: %(error)s", error=report.error), "error")
    else:
        flash(_("%(count)d new item(s) taken in.", count=len(report.taken)), "success")
    return redirect(url_for("channels.index"))


@bp.errorhandler(errors.NotFound)
def _not_found(error: errors.NotFound) -> tuple[str, int]:
    return render_template("error.html", code=404, message=_("There is nothing here.")), 404


def _settings(form: ChannelForm) -> dict[str, Any]:
    settings: dict[str, Any] = {"keywords": form.keyword_list()}
    if form.url.data:
        settings["url"] = form.url.data.strip()
    return settings


def _secrets(form: ChannelForm) -> dict[str, str]:
    return {name: value for name, value in (("token", form.token.data),
                                            ("verify_token", form.verify_token.data)) if value}


def _fill(form: ChannelForm, channel: Channel) -> None:
    form.name.data = channel.name
    form.team.data = channel.team.name if channel.team else ""
    form.owner.data = channel.owner.email if channel.owner else ""
    form.language.data = channel.language or ""
    form.url.data = (channel.settings or {}).get("url", "")
    form.keywords.data = "\n".join((channel.settings or {}).get("keywords") or [])
    form.poll_interval.data = channel.poll_interval
    form.allow_private.data = channel.allow_private


def _form_error(form: ChannelForm, exc: errors.DeskError) -> None:
    fields = getattr(exc, "fields", {}) or {}
    placed = False
    for name in fields:
        target = {"settings": "url", "keywords": "keywords"}.get(name, name)
        field = getattr(form, target, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), exc.detail]
            placed = True
    if not placed:
        flash(exc.detail, "error")
