"""Admin pages: intake problems and failed jobs, each with a retry button."""

import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from desk import errors, jobs
from desk.auth.access import roles_required
from desk.extensions import db
from desk.intake import service as intake
from desk.models import Channel, IntakeEvent, IntakeStatus, JobFailure, Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles_required(Role.ADMIN)

LIST_LIMIT = 100
PAYLOAD_LIMIT = 4000  # characters of a raw payload shown; enough to see what went wrong


@bp.errorhandler(errors.NotFound)
def _not_found(error: errors.NotFound) -> tuple[str, int]:
    return render_template("error.html", code=404, message=_("There is nothing here.")), 404


@bp.get("/")
@admin_only
def index() -> Response:
    return redirect(url_for("admin.intake_problems"))


@bp.get("/intake")
@admin_only
def intake_problems() -> str:
    """Intake events that could not become messages, newest first."""
    rows = db.session.execute(
        sa.select(IntakeEvent, Channel.slug)
        .join(Channel, Channel.id == IntakeEvent.channel_id)
        .where(IntakeEvent.status == IntakeStatus.FAILED)
        .order_by(IntakeEvent.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return render_template("admin/intake.html", rows=rows, readable_payload=readable_payload)


@bp.post("/intake/<int:event_id>/retry")
@admin_only
def retry_intake(event_id: int) -> Response:
    """Put one quarantined event back in line."""
    intake.retry_event(event_id)
    flash(_("The event is queued again."), "success")
    return redirect(url_for("admin.intake_problems"))


@bp.get("/jobs")
@admin_only
def failed_jobs() -> str:
    """Jobs that kept failing after their retries, newest first."""
    failures = db.session.scalars(
        sa.select(JobFailure).order_by(JobFailure.id.desc()).limit(LIST_LIMIT)
    ).all()
    return render_template("admin/jobs.html", failures=failures)


@bp.post("/jobs/<int:failure_id>/retry")
@admin_only
def retry_job(failure_id: int) -> Response:
    """Queue a failed job again."""
    failure = db.session.get(JobFailure, failure_id)
    if failure is None:
        abort(404)
    jobs.retry_failure(failure)
    flash(_("The job is queued again."), "success")
    return redirect(url_for("admin.failed_jobs"))


def readable_payload(raw: str) -> str:
    """The raw payload, indented when it is JSON, cut to a readable length."""
    try:
        text = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        text = raw
    if len(text) > PAYLOAD_LIMIT:
        return text[:PAYLOAD_LIMIT] + "\n…"
    return text
