"""/reports: the numbers each role needs; /reports/<name>.csv; /survey/<token> (CSAT).

Agents see their own numbers, supervisors their teams' operations (with live
counters for today), management and admins everything, with the period
before for comparison. Each chart is drawn from the table beside it.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from desk import errors
from desk.extensions import db
from desk.models import Channel, Person, Role, Team
from desk.reports import csat, export, metrics, service
from desk.reports.cache import cached, data_version
from desk.reports.digest import format_value
from desk.reports.periods import Period, can_read_reports, default_period
from desk.tags.service import all_names

bp = Blueprint("reports", __name__)

COLUMN_LABELS = {
    "day": _l("Day"), "channel": _l("Channel"), "team": _l("Team"), "agent": _l("Agent"),
    "tickets": _l("Received"), "spam": _l("Spam"), "answered": _l("Answered"),
    "response_rate": _l("Response rate"), "resolved": _l("Resolved"),
    "reopened": _l("Reopened"), "reopen_rate": _l("Reopen rate"),
    "escalated": _l("Escalated"), "escalation_rate": _l("Escalation rate"),
    "first_response_s_p50": _l("First response, median"),
    "first_response_s_p90": _l("First response, p90"),
    "first_response_bh_s_p50": _l("First response, median (business hours)"),
    "first_response_bh_s_p90": _l("First response, p90 (business hours)"),
    "resolution_s_p50": _l("Resolution, median"), "resolution_s_p90": _l("Resolution, p90"),
    "resolution_bh_s_p50": _l("Resolution, median (business hours)"),
    "resolution_bh_s_p90": _l("Resolution, p90 (business hours)"),
    "clock": _l("Clock"), "met": _l("Met"), "breached": _l("Breached"),
    "compliance": _l("Compliance"), "scored": _l("With sentiment"), "negative": _l("Negative"),
    "negative_share": _l("Share negative"), "topic": _l("Topic"), "status": _l("Status"),
    "age": _l("Age"), "oldest_age_s": _l("Oldest"), "slug": _l("Entry"),
    "question": _l("Question"), "category": _l("Category"), "views": _l("Views"),
    "helpful": _l("Helpful"), "votes": _l("Votes"), "helpful_ratio": _l("Helpful ratio"),
    "sent": _l("Sent in replies"), "responses": _l("Answers"), "average": _l("Average (1-5)"),
    "satisfied_share": _l("Satisfied (4-5)"), "csat_responses": _l("CSAT answers"),
    "csat_average": _l("CSAT average"),
}


def column_kind(key: str) -> str:
    if key.endswith(("_rate", "_share", "compliance", "_ratio")):
        return "share"
    if key.endswith(("_p50", "_p90", "_age_s")):
        return "duration"
    if key in ("average", "csat_average"):
        return "score"
    return "count"


@dataclass
class Section:
    """One table on the page, with an optional chart drawn from it."""

    name: str  # the report's name: its CSV export and API path
    title: str
    rows: list[dict[str, Any]]
    columns: list[str]
    chart: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


@bp.app_template_filter("report_value")
def report_value(value: Any, key: str) -> str:
    kind = column_kind(key)
    if kind == "count" and not isinstance(value, int | float):
        return "–" if value is None else str(value)
    return format_value(value, kind)


@bp.app_template_global("report_label")
def report_label(key: str) -> str:
    return str(COLUMN_LABELS.get(key, key))


def _person() -> Person:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _reader() -> Person:
    person = _person()
    if not can_read_reports(person):
        raise errors.Forbidden(_("Your roles do not include reports."))
    return person


def _request_or_default(person: Person) -> tuple[service.ReportRequest, list[str]]:
    """The filters asked for; unreadable ones fall back to the defaults with a message."""
    messages: list[str] = []
    try:
        asked = service.read_request(person, request.args)
    except errors.Invalid as error:
        messages.append(_("The dates or filters could not be used (%(detail)s); showing the "
                          "last 30 days instead.", detail=error.detail))
        asked = service.read_request(person, {})
        asked = service.ReportRequest(default_period(service.desk_today()), asked.scope)
    if "reversed" in asked.notes:
        messages.append(_("The start came after the end; the dates were swapped."))
    return asked, messages


@bp.get("/reports")
@login_required
def index() -> str:
    person = _reader()
    asked, messages = _request_or_default(person)
    role_view = _role_view(person)
    version = data_version()
    # The supervisor's backlog and today's counters read one pass over the open tickets.
    snapshot = metrics.open_snapshot(asked.scope) if role_view == "supervisor" else None
    sections = _sections(role_view, asked, version, snapshot)

    def summary_of(period: Period) -> dict[str, Any]:
        return cached("summary.row", period, asked.scope,
                      lambda: metrics.summary(period, asked.scope), version)

    current = summary_of(asked.period)
    # Period over period is the management view's; the others save the second summary.
    previous = summary_of(asked.period.previous()) if role_view == "management" else None
    return render_template(
        "reports/index.html", asked=asked, messages=messages, sections=sections,
        role_view=role_view, current=current, previous=previous,
        headline_keys=_HEADLINES, teams=_teams_for(person), tag_names=all_names()[:500],
        channels=db.session.scalars(sa.select(Channel).order_by(Channel.slug)).all(),
        today=metrics.today(asked.scope, snapshot=snapshot) if snapshot else None,
    )


_HEADLINES = ("tickets", "response_rate", "first_response_s_p50", "first_response_bh_s_p50",
              "resolution_s_p50", "reopen_rate", "escalated", "negative_share",
              "sla_first_response_compliance", "csat_average")


def _role_view(person: Person) -> str:
    if person.has_role(Role.MANAGEMENT, Role.ADMIN):
        return "management"
    if person.has_role(Role.SUPERVISOR):
        return "supervisor"
    return "agent"


def _teams_for(person: Person) -> list[Team]:
    """The teams a person may filter by: all for management, admins and team-less supervisors."""
    teams = db.session.scalars(sa.select(Team).order_by(Team.name)).all()
    if person.has_role(Role.MANAGEMENT, Role.ADMIN) or (
            person.has_role(Role.SUPERVISOR) and not person.team_ids):
        return list(teams)
    return [team for team in teams if team.id in person.team_ids]


_DAY_TIMES = ["first_response_s_p50", "first_response_s_p90", "first_response_bh_s_p50",
              "first_response_bh_s_p90", "resolution_s_p50", "resolution_bh_s_p50"]


def _sections(role_view: str, asked: service.ReportRequest, version: tuple[Any, Any],
              snapshot: metrics.Snapshot | None = None) -> list[Section]:
    period, scope = asked.period, asked.scope

    def run(name: str) -> list[dict[str, Any]]:
        return cached(name, period, scope, lambda: metrics.REPORTS[name](period, scope),
                      version)

    response = Section("response", _("Response rate and speed"), run("response"),
                       ["day", "tickets", "answered", "response_rate", *_DAY_TIMES],
                       {"type": "line", "x": "day", "series": ["tickets", "answered"]})
    sections = [response]
    if role_view == "agent":
        sections.append(Section("csat", _("Satisfaction"), run("csat"),
                                ["team", "agent", "responses", "average", "satisfied_share"]))
        return sections
    volume_rows, channels = pivot(run("volume"), "day", "channel", "tickets")
    sections.insert(0, Section("volume", _("Volume by channel and day"), volume_rows,
                               ["day", *channels],
                               {"type": "bar", "x": "day", "series": channels, "stacked": True}))
    if role_view == "supervisor":
        sections += [
            Section("channels", _("Per channel"), run("channels"),
                    ["channel", "tickets", "answered", "response_rate", "first_response_s_p50",
                     "first_response_bh_s_p50", "escalated", "negative_share"],
                    {"type": "bar", "x": "channel", "series": ["tickets", "answered"]}),
            Section("agents", _("Per agent"), run("agents"),
                    ["agent", "tickets", "answered", "resolved", "reopened", "escalated",
                     "first_response_s_p50", "first_response_bh_s_p50", "csat_responses",
                     "csat_average"]),
            Section("sla", _("SLA compliance"), run("sla"),
                    ["clock", "met", "breached", "compliance"],
                    {"type": "bar", "x": "clock", "series": ["met", "breached"]},
                    [_("Each clock is judged when it stops, against its due time at that "
                       "moment (paused time included); next response counts every exchange.")]),
            Section("backlog", _("Backlog now, by age"),
                    metrics.backlog(period, scope, snapshot=snapshot),
                    ["status", "age", "tickets", "oldest_age_s"]),
            Section("reopens", _("Reopened tickets"), run("reopens"),
                    ["day", "resolved", "reopened", "reopen_rate"],
                    {"type": "line", "x": "day", "series": ["reopened"]}),
            Section("escalations", _("Escalations"), run("escalations"),
                    ["day", "team", "tickets", "escalated", "escalation_rate"]),
        ]
        return sections
    sections += [
        Section("trend", _("Reputation and satisfaction trend"), run("trend"),
                ["day", "tickets", "response_rate", "negative_share", "csat_responses",
                 "csat_average"],
                {"type": "line", "x": "day", "series": ["response_rate", "negative_share"]}),
        Section("sentiment", _("Sentiment by channel"), run("sentiment"),
                ["day", "channel", "scored", "negative", "negative_share"],
                {"type": "line", "x": "day", "series": ["negative"]}),
        Section("topics", _("Top topics"), run("topics"),
                ["topic", "tickets", "scored", "negative", "negative_share"],
                {"type": "bar", "x": "topic", "series": ["tickets"]},
                [_("A ticket's topic is the category of the FAQ entry its replies linked.")]),
        Section("csat", _("Satisfaction by team and agent"), run("csat"),
                ["team", "agent", "responses", "average", "satisfied_share"],
                {"type": "bar", "x": "agent", "series": ["average"]}),
        Section("faq", _("FAQ"), run("faq"),
                ["slug", "category", "views", "votes", "helpful_ratio", "sent"],
                {"type": "bar", "x": "slug", "series": ["views", "sent"]},
                [_("Views are counted since publishing; votes and sends in the period.")]),
        Section("agents", _("Per agent"), run("agents"),
                ["agent", "tickets", "answered", "resolved", "first_response_s_p50",
                 "csat_average"]),
        Section("sla", _("SLA compliance"), run("sla"), ["clock", "met", "breached", "compliance"]),
    ]
    return sections


def pivot(rows: list[dict[str, Any]], index: str, column: str,
          value: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Long rows (day, channel, n) as wide rows (day, n per channel), for one chart."""
    columns = sorted({str(row[column]) for row in rows})
    wide: dict[Any, dict[str, Any]] = {}
    for row in rows:
        wide.setdefault(row[index], {index: row[index], **dict.fromkeys(columns, 0)})
        wide[row[index]][str(row[column])] += row[value]
    return list(wide.values()), columns


@bp.get("/reports/today")
@login_required
def today() -> str:
    """Today's live counters (the fragment the page re-fetches on ticket events)."""
    person = _reader()
    asked, _messages = _request_or_default(person)
    return render_template("reports/_today.html", today=metrics.today(asked.scope))


@bp.get("/reports/<name>.csv")
@login_required
def csv_export(name: str) -> Response:
    person = _reader()
    asked = service.read_request(person, request.args)
    rows = service.run(name, asked)
    filename = f"{name}_{asked.period.start}_{asked.period.end}.csv"
    return Response(export.to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- CSAT survey (public: the link is the credential) ---------------------------------

class SurveyForm(FlaskForm):
    score = RadioField(_l("How satisfied are you with our answer?"),
                       choices=[(str(n), str(n)) for n in range(1, 6)],
                       validators=[InputRequired(_l("Please pick a number from 1 to 5."))])
    comment = TextAreaField(_l("Anything you want to tell us? (optional)"),
                            validators=[Length(max=2000)])
    submit = SubmitField(_l("Send"))


def _refused() -> tuple[str, int]:
    return render_template("reports/survey.html", refused=True), 404


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str) -> tuple[str, int] | str:
    try:
        csat.open_survey(token)
    except csat.SurveyRefused:
        return _refused()
    form = SurveyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("reports/survey.html", form=form), 422
        try:
            csat.answer(token, int(form.score.data), form.comment.data or "")
        except csat.SurveyRefused:
            return _refused()
        return render_template("reports/survey.html", thanks=True)
    return render_template("reports/survey.html", form=form)
