"""Admin pages: intake problems and failed jobs, each retried with one button."""

import json

import pytest
import sqlalchemy as sa

from desk.commits import commit
from desk.extensions import db
from desk.models import IntakeEvent, IntakeStatus, JobFailure, Role, Ticket
from tests.conftest import login


@pytest.fixture
def admin(make_person):
    return make_person(email="admin@example.com", name="Ada Admin", roles=(Role.ADMIN,))


def failed_event(app, channel_id: int, payload: str, error: str = "author: missing") -> int:
    with app.app_context():
        event = IntakeEvent(channel_id=channel_id, external_id="post-42", payload=payload,
                            status=IntakeStatus.FAILED, error=error, attempts=1)
        db.session.add(event)
        commit()
        return event.id


def test_admin_sees_a_failed_intake_event_escaped_and_retries_it(app, client, admin,
                                                                 make_channel):
    channel = make_channel()
    payload = json.dumps({"external_id": "post-42", "text": "<script>alert(1)</script> Zug weg",
                          "author": {"handle": "@pendler"}})
    event_id = failed_event(app, channel.id, payload)
    login(client, admin.email)
    page = client.get("/admin/intake").get_data(as_text=True)
    assert "post-42" in page and "author: missing" in page and "webhook" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zug weg" in page
    assert "<script>alert(1)" not in page

    response = client.post(f"/admin/intake/{event_id}/retry")
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(IntakeEvent, event_id)
        # No Redis in tests: the retry ran in-process, and the payload was fine all along.
        assert event.status == IntakeStatus.PROCESSED
        assert db.session.scalar(sa.select(Ticket.subject)) is not None
    assert "post-42" not in client.get("/admin/intake").get_data(as_text=True)


def test_long_payloads_are_cut(app, client, admin, make_channel):
    channel = make_channel()
    failed_event(app, channel.id, "x" * 50_000)
    login(client, admin.email)
    page = client.get("/admin/intake").get_data(as_text=True)
    assert "x" * 4000 in page and "x" * 4001 not in page


def test_retry_of_an_unknown_event_is_404(client, admin):
    login(client, admin.email)
    assert client.post("/admin/intake/999/retry").status_code == 404
    assert client.post("/admin/jobs/999/retry").status_code == 404


def test_admin_sees_failed_jobs_and_retries_one(app, client, admin, monkeypatch):
    with app.app_context():
        failure = JobFailure(task="desk.intake.jobs.process_intake", args=[], queue="intake",
                             error="RuntimeError: database went away")
        db.session.add(failure)
        commit()
        failure_id = failure.id
    login(client, admin.email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "desk.intake.jobs.process_intake" in page and "database went away" in page
    monkeypatch.setattr("desk.intake.service.process_pending", lambda batch_size, linger=0.0: 0)
    assert client.post(f"/admin/jobs/{failure_id}/retry").status_code == 302
    with app.app_context():
        assert db.session.get(JobFailure, failure_id).retried_at is not None
    assert "The job is queued again." in client.get("/admin/jobs").get_data(as_text=True)


@pytest.mark.parametrize("roles", [(Role.AGENT,), (Role.SUPERVISOR,), (Role.FAQ_EDITOR,)])
def test_only_admins_get_in(app, client, make_person, make_channel, roles):
    person = make_person(email="someone@example.com", roles=roles)
    event_id = failed_event(app, make_channel().id, "{}")
    login(client, person.email)
    assert client.get("/admin/intake").status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/intake/{event_id}/retry").status_code == 403
    with app.app_context():
        assert db.session.get(IntakeEvent, event_id).status == IntakeStatus.FAILED


def test_anonymous_is_sent_to_login(client):
    assert client.get("/admin/intake").headers["Location"].startswith("/login")
