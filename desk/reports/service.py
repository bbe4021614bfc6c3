"""Running a report for a person: filters read, scope checked, rows returned."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from desk.errors import Invalid, NotFound
from desk.extensions import db
from desk.models import Channel, Person, Tag, Team, utcnow
from desk.reports import metrics
from desk.reports.cache import cached
from desk.reports.periods import Period, Scope, parse_period, scope_for


@dataclass(frozen=True)
class ReportRequest:
    """What a person asked for, read and checked: the period, their scope, the filters."""

    period: Period
    scope: Scope
    team: str | None = None
    channel: str | None = None
    tag: str | None = None
    notes: list[str] = field(default_factory=list)


def desk_today(now: datetime | None = None) -> date:
    zone = ZoneInfo(current_app.config["DESK_TIMEZONE"])
    return (now or utcnow()).astimezone(zone).date()


def read_request(person: Person, args: dict[str, Any]) -> ReportRequest:
    """Read from/to/team/channel/tag (query strings) for `person`; Invalid or Forbidden if not."""
    period, notes = parse_period(args.get("from") or None, args.get("to") or None, desk_today())
    team = (args.get("team") or "").strip() or None
    channel = (args.get("channel") or "").strip() or None
    team_id = _id_of(Team.id, Team.name == team, "team", team) if team else None
    channel_id = _id_of(Channel.id, Channel.slug == channel, "channel", channel) if channel \
        else None
    tag = (args.get("tag") or "").strip().lower() or None
    tag_id = _tag_id(tag) if tag else None
    scope = scope_for(person, team_id, channel_id, tag_id)
    return ReportRequest(period, scope, team, channel, tag, notes)


def _tag_id(name: str) -> int:
    from desk.tags.service import normalized

    try:
        normalized(name)
    except Invalid as error:
        raise Invalid(f"tag: {error.detail}", fields={"tag": error.fields["name"]}) from error
    return _id_of(Tag.id, Tag.name == name, "tag", name)


def _id_of(column: Any, condition: Any, field_name: str, value: str) -> int:
    found = db.session.scalar(sa.select(column).where(condition))
    if found is None:
        raise Invalid(f"no {field_name} named {value!r}", fields={field_name: ["unknown"]})
    return found


def run(name: str, request: ReportRequest) -> list[dict[str, Any]]:
    """The rows of report `name`; NotFound for a name that is no report."""
    report = metrics.REPORTS.get(name)
    if report is None:
        raise NotFound(f"no report named {name!r}; reports: {', '.join(sorted(metrics.REPORTS))}")
    return cached(name, request.period, request.scope,
                  lambda: report(request.period, request.scope))
