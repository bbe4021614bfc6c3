"""Early warning on synthetic series, alerts in the database, and the e-mail digest."""

import random
import socket
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from desk import events
from desk.extensions import db
from desk.models import Alert, Message, MessageKind, MessageScore, Role, Ticket
from desk.sla.alerts import judge, watch

T0 = datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # a Monday


def hourly_rhythm(weeks: int, seed: int = 7) -> list[int]:
    """Negative messages per hour: quiet nights, busy mornings and evenings, busier Mondays."""
    rng = random.Random(seed)
    series = []
    for hour in range(weeks * 7 * 24):
        day, clock = divmod(hour % (7 * 24), 24)
        base = 1 + (8 if 7 <= clock <= 9 or 17 <= clock <= 19 else 3 if 10 <= clock <= 16 else 0)
        base *= 2 if day == 0 else 1
        series.append(max(0, round(rng.gauss(base, base ** 0.5))))
    return series


def spikes_in(series: list[int], weeks_of_baseline: int = 4) -> list[int]:
    week = 7 * 24
    found = []
    for hour in range(weeks_of_baseline * week, len(series)):
        baseline = [series[hour - k * week] for k in range(1, weeks_of_baseline + 1)]
        if judge(series[hour], baseline, sigma=3, min_count=5).spike:
            found.append(hour)
    return found


def test_the_normal_daily_and_weekly_rhythm_raises_nothing():
    assert spikes_in(hourly_rhythm(weeks=6)) == []


def test_known_spikes_are_found_and_nothing_else():
    series = hourly_rhythm(weeks=6)
    injected = [4 * 168 + 3, 4 * 168 + 8, 5 * 168 + 60, 5 * 168 + 150]  # night, rush, ...
    for hour in injected:
        series[hour] += 25
    assert spikes_in(series) == injected


def test_a_small_bump_on_a_quiet_channel_is_not_a_spike():
    assert not judge(3, [0, 0, 0, 0], sigma=3, min_count=5).spike
    assert judge(9, [0, 1, 0, 0], sigma=3, min_count=5).spike


def _negative_messages(app, channel_id: int, ticket_id: int, at: datetime, count: int,
                       topics: str = "") -> None:
    with app.app_context():
        for n in range(count):
            message = Message(ticket_id=ticket_id, channel_id=channel_id,
                              kind=MessageKind.INBOUND, body_html="x", body_text="x",
                              created_at=at + timedelta(seconds=n))
            db.session.add(message)
            db.session.flush()
            db.session.add(MessageScore(message_id=message.id, channel_id=channel_id,
                                        sentiment=-0.8, is_negative=True, topics=topics,
                                        created_at=message.created_at))
        db.session.commit()


@pytest.fixture
def alerts_heard():
    got = []

    def listen(sender=None, **facts):
        got.append(facts)

    events.alert_raised.connect(listen, weak=False)
    yield got
    events.alert_raised.disconnect(listen)


def test_a_spike_raises_one_alert_until_acknowledged_then_stays_quiet(
        app, make_ticket, make_person, api_as, alerts_heard):
    ticket = make_ticket()
    now = T0 + timedelta(weeks=4, hours=10)
    with app.app_context():
        channel_id = db.session.scalar(sa.select(Ticket.channel_id))
    for k in range(1, 5):  # the same hour in the past four weeks: 2 each
        _negative_messages(app, channel_id, ticket.id, now - timedelta(weeks=k, minutes=30), 2)
    _negative_messages(app, channel_id, ticket.id, now - timedelta(minutes=30), 14,
                       topics="ausfall")
    with time_machine.travel(now, tick=False), app.app_context():
        raised = watch()
        assert watch() == []  # the same hour again: nothing new
    assert len(raised) == 2  # the whole channel and the topic "ausfall"
    assert {facts["topic"] for facts in alerts_heard} == {"", "ausfall"}

    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    api = api_as(supervisor)
    log = api.get("/alerts").get_json()
    assert {a["topic"] for a in log} == {None, "ausfall"}
    whole = next(a for a in log if a["topic"] is None)
    assert len(whole["message_ids"]) == 14 and whole["count"] == 14
    assert whole["baseline_mean"] == 2.0
    for alert in log:
        assert api.post(f"/alerts/{alert['id']}/acknowledge").status_code == 200
    assert api_as(make_person()).get("/alerts").status_code == 403

    # An hour later the spike goes on; acknowledged, it does not alert again.
    _negative_messages(app, channel_id, ticket.id, now + timedelta(minutes=30), 14)
    with time_machine.travel(now + timedelta(hours=1), tick=False), app.app_context():
        assert watch() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(app):
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(DESK_SMTP_HOST="127.0.0.1", DESK_SMTP_PORT=port)
    yield received
    app.config.update(DESK_SMTP_HOST=None, DESK_SMTP_PORT=25)
    controller.stop()


def test_supervisors_get_one_digest_of_new_escalations(app, make_ticket, make_person, api_as,
                                                       smtp_sink):
    from desk.sla.digest import send_digests

    make_person(email="sup@example.com", name="Susi", roles=(Role.SUPERVISOR,), language="de")
    agent = make_person()
    ticket = make_ticket(subject="Paket verloren")
    assert api_as(agent).post(f"/tickets/{ticket.id}/escalate",
                              {"reason": "Presseanfrage"}).status_code == 201
    with app.app_context():
        assert send_digests() == 1
        assert send_digests() == 0  # nothing new since
    [mail] = smtp_sink
    assert mail["To"] == "sup@example.com"
    assert "Eskalation" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "Paket verloren" in body and "Presseanfrage" in body
