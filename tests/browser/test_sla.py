"""SLA in a real browser: countdowns tick and colour, an escalation and an alert arrive live."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from desk.extensions import db
from desk.models import Message, MessageKind, MessageScore, Role, Ticket, utcnow
from tests.browser.test_golden_path import post_complaint, sign_in
from tests.sla_helpers import ALWAYS, make_policy

pytestmark = pytest.mark.browser


def test_supervisor_sees_countdowns_escalations_and_alerts_live(page, live_server, app,
                                                                make_person, make_channel):
    supervisor = make_person(email="sup@example.com", name="Susi", roles=(Role.SUPERVISOR,))
    make_channel()
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=90)
    sign_in(page, live_server, "sup@example.com")
    expect(page.locator("body.is-live")).to_have_count(1)
    post_complaint(live_server, "sla-1", "Wo bleibt meine Erstattung?")

    countdown = page.locator(".queue-row time.sla-countdown")
    expect(countdown).to_have_text("1h 29m left", timeout=15_000)  # written by sla.js
    expect(countdown).to_have_class("sla-countdown sla-ok")

    # The ticket falls behind: the sweep raises it and the queue shows the level live.
    with app.app_context():
        from desk.sla.escalation import sweep

        sweep(utcnow() + timedelta(minutes=91))
    expect(page.locator(".queue-row .sla-level")).to_have_text("⬆1")

    # Negative messages pile up on the channel: the banner appears without a reload.
    with app.app_context():
        ticket = db.session.query(Ticket).one()
        for n in range(12):
            message = Message(ticket_id=ticket.id, channel_id=ticket.channel_id,
                              kind=MessageKind.INBOUND, body_html="x", body_text=f"Mist {n}",
                              created_at=utcnow() - timedelta(minutes=5))
            db.session.add(message)
            db.session.flush()
            db.session.add(MessageScore(message_id=message.id, channel_id=ticket.channel_id,
                                        sentiment=-0.8, is_negative=True, topics="",
                                        created_at=message.created_at))
        db.session.commit()
        from desk.sla.alerts import watch

        assert watch()
    banner = page.locator("#sla-banner")
    expect(banner).to_contain_text("Spike of negative messages")
    banner.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#sla-banner")).to_be_hidden()
