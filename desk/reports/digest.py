"""The weekly management summary: last week against the week before, as e-mail and PDF.

`send_due_digest()` runs hourly (desk.schedule); it sends the summary of the
last complete week (Monday to Sunday in DESK_TIMEZONE) once: the week is
recorded in `report_digests` (unique) in the same transaction that sends, so
a second run, or a second worker, finds it and does nothing, and a failed send
records nothing and is tried again next hour.
"""

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from desk.extensions import db
from desk.models import Person, PersonRole, ReportDigest, Role
from desk.reports import metrics
from desk.reports.periods import Period, Scope
from desk.reports.rollups import refresh_changed
from desk.reports.service import desk_today

log = logging.getLogger(__name__)

HEADLINES = (
    ("tickets", "count"), ("response_rate", "share"), ("first_response_s_p50", "duration"),
    ("first_response_bh_s_p50", "duration"), ("resolution_s_p50", "duration"),
    ("sla_first_response_compliance", "share"), ("reopen_rate", "share"),
    ("escalated", "count"), ("negative_share", "share"), ("csat_average", "score"),
)


@dataclass(frozen=True)
class Digest:
    period: Period
    current: dict[str, Any]
    previous: dict[str, Any]
    topics: list[dict[str, Any]]
    csat: list[dict[str, Any]]


def last_week(today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))


def build_digest(period: Period) -> Digest:
    scope = Scope()
    return Digest(period, metrics.summary(period, scope), metrics.summary(period.previous(), scope),
                  metrics.topics(period, scope, limit=5), metrics.csat(period, scope))


def headline_label(key: str) -> str:
    labels = {
        "tickets": _("Complaints received"), "response_rate": _("Response rate"),
        "first_response_s_p50": _("First response, median (wall time)"),
        "first_response_bh_s_p50": _("First response, median (business hours)"),
        "resolution_s_p50": _("Resolution, median (wall time)"),
        "sla_first_response_compliance": _("First responses within target"),
        "reopen_rate": _("Reopen rate"), "escalated": _("Escalations"),
        "negative_share": _("Negative sentiment"), "csat_average": _("Satisfaction (1-5)"),
    }
    return labels[key]


def format_value(value: Any, kind: str) -> str:
    """A number as the digest shows it: shares in %, durations in h/min."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{value * 100:.1f} %"
    if kind == "duration":
        minutes = round(value / 60)
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    if kind == "score":
        return f"{value:.2f}"
    return str(value)


def headline_rows(digest: Digest) -> list[tuple[str, str, str]]:
    return [(headline_label(key), format_value(digest.current.get(key), kind),
             format_value(digest.previous.get(key), kind)) for key, kind in HEADLINES]


@contextmanager
def rendering() -> Iterator[None]:
    """Outside a request (a job): translations and links as for a page, in the desk's language.

    Locale and time-zone selection read the request, so a job renders inside a
    request context of its own, at DESK_BASE_URL.
    """
    config = current_app.config
    with current_app.test_request_context(base_url=config["DESK_BASE_URL"]), \
            force_locale(config["BABEL_DEFAULT_LOCALE"]):
        yield


def render_html(digest: Digest) -> str:
    return render_template("reports/digest_email.html", digest=digest,
                           headlines=headline_rows(digest),
                           link=current_app.config["DESK_BASE_URL"].rstrip("/") + "/reports")


def render_text(digest: Digest) -> str:
    lines = [_("desk weekly summary %(start)s – %(end)s", start=digest.period.start.isoformat(),
               end=digest.period.end.isoformat()), ""]
    lines += [f"{label}: {now} ({_('week before')}: {before})"
              for label, now, before in headline_rows(digest)]
    if digest.topics:
        lines += ["", _("Top topics")]
        lines += [f"- {row['topic'] or _('other')}: {row['tickets']}" for row in digest.topics]
    return "\n".join(lines) + "\n"


def render_pdf(digest: Digest) -> bytes:
    """The summary as a one-page PDF (fpdf2, core fonts: Latin-1 text only)."""
    # Imported here: fpdf2 pulls in NumPy, which only the weekly digest needs.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 10, _latin1(_("desk weekly summary %(start)s – %(end)s",
                              start=digest.period.start.isoformat(),
                              end=digest.period.end.isoformat())), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    with pdf.table(col_widths=(90, 45, 45), text_align=("LEFT", "RIGHT", "RIGHT")) as table:
        table.row([_latin1(_("Measure")), _latin1(_("This week")), _latin1(_("Week before"))])
        for label, now, before in headline_rows(digest):
            table.row([_latin1(label), _latin1(now), _latin1(before)])
    if digest.topics:
        pdf.ln(6)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.cell(0, 8, _latin1(_("Top topics")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        with pdf.table(col_widths=(120, 60), text_align=("LEFT", "RIGHT")) as table:
            table.row([_latin1(_("Topic")), _latin1(_("Tickets"))])
            for row in digest.topics:
                table.row([_latin1(row["topic"] or _("other")), str(row["tickets"])])
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The PDF core fonts speak Latin-1 (umlauts fine); anything else becomes '?'."""
    return text.replace("–", "-").encode("latin-1", "replace").decode("latin-1")


def recipients() -> list[str]:
    configured = current_app.config["DESK_DIGEST_TO"]
    if configured:
        return list(configured)
    return list(db.session.scalars(
        sa.select(Person.email).join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.MANAGEMENT, Person.is_active_account.is_(True))
        .order_by(Person.email)
    ))


def compose(digest: Digest, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _("desk weekly summary %(start)s – %(end)s",
                           start=digest.period.start.isoformat(), end=digest.period.end.isoformat())
    message["From"] = current_app.config["DESK_MAIL_FROM"]
    message["To"] = ", ".join(to)
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    message.add_attachment(render_pdf(digest), maintype="application", subtype="pdf",
                           filename=f"desk-summary-{digest.period.start.isoformat()}.pdf")
    return message


def send_mail(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["DESK_SMTP_HOST"], config["DESK_SMTP_PORT"], timeout=30) as smtp:
        if config["DESK_SMTP_STARTTLS"]:
            smtp.starttls()
        if config["DESK_SMTP_USER"]:
            smtp.login(config["DESK_SMTP_USER"], config["DESK_SMTP_PASSWORD"] or "")
        smtp.send_message(message)


def send_due_digest(now: datetime | None = None) -> dict[str, Any]:
    """Send last week's digest unless it went out already; says what it did."""
    period = last_week(desk_today(now))
    if not current_app.config["DESK_SMTP_HOST"]:
        return {"sent": False, "reason": "DESK_SMTP_HOST is not set"}
    if db.session.scalar(sa.select(ReportDigest.id).where(
            ReportDigest.week_start == period.start)) is not None:
        return {"sent": False, "reason": "already sent", "week": period.start.isoformat()}
    to = recipients()
    if not to:
        return {"sent": False, "reason": "no recipients"}
    refresh_changed(now)
    # Claim the week first: a second sender waits on (or fails at) the unique week.
    db.session.add(ReportDigest(week_start=period.start, recipients=len(to)))
    db.session.flush()
    with rendering():
        message = compose(build_digest(period), to)
    try:
        send_mail(message)
    except Exception:
        db.session.rollback()  # not recorded: the next hourly run tries again
        raise
    db.session.commit()
    log.info("weekly digest for %s sent to %d recipients", period.start, len(to))
    return {"sent": True, "week": period.start.isoformat(), "recipients": len(to)}
