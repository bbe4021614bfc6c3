"""The signed intake endpoint: stored first, idempotent, threaded, sanitised."""

import json

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.intake.service import sign
from desk.models import IntakeEvent, IntakeStatus, Message, Status, Ticket

SECRET = "s3cret-signing-key"


def post(client, payload, slug="webhook", secret=SECRET, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    sig = signature if signature is not None else sign(secret, body)
    if sig:
        headers["X-Desk-Signature"] = sig
    return client.post(f"/api/v1/intake/{slug}", data=body, headers=headers)


def complaint(external_id="t-1", **overrides):
    payload = {"external_id": external_id, "text": "Zug fällt schon wieder aus! #bahn",
               "author": {"handle": "@pendler", "name": "Paul Pendler", "reach": 48000}}
    payload.update(overrides)
    return payload


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_signed_complaint_becomes_a_ticket(app, client, make_channel):
    make_channel(team="Bahn")
    response = post(client, complaint(url="https://social.example/p/1", language="de"))
    assert response.status_code == 202
    assert response.get_json()["duplicate"] is False
    with app.app_context():
        event = db.session.get(IntakeEvent, response.get_json()["id"])
        assert event.status == IntakeStatus.PROCESSED
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.subject == "Zug fällt schon wieder aus! #bahn"
        assert ticket.team.name == "Bahn"
        assert ticket.contact.reach == 48000 and ticket.contact.language == "de"
        message = db.session.scalar(sa.select(Message))
        assert message.body_text == "Zug fällt schon wieder aus! #bahn"
        assert message.url == "https://social.example/p/1"
        assert message.intake_event_id == event.id


def test_same_external_id_again_adds_nothing(app, client, make_channel):
    make_channel()
    first = post(client, complaint())
    again = post(client, complaint(text="different text, same id"))
    assert again.status_code == 200
    assert again.get_json() == {"id": first.get_json()["id"], "duplicate": True}
    assert count(app, IntakeEvent) == 1 and count(app, Message) == 1


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "md5=abc", "sha256=zz"])
def test_bad_or_missing_signature_is_401_and_stores_nothing(app, client, make_channel, signature):
    make_channel()
    body = problem(post(client, complaint(), signature=signature), 401)
    assert "signature" in body["detail"].lower()
    assert count(app, IntakeEvent) == 0


def test_signature_with_another_channels_secret_is_refused(app, client, make_channel):
    make_channel()
    problem(post(client, complaint(), secret="someone-elses-secret"), 401)
    assert count(app, IntakeEvent) == 0


def test_unreadable_json_is_400(app, client, make_channel):
    make_channel()
    problem(post(client, None, raw=b'{"external_id": '), 400)
    problem(post(client, None, raw=b"\xff\xfe not utf-8"), 400)
    assert count(app, IntakeEvent) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "no id", "author": {"handle": "@a"}}, "external_id"),
        ({"external_id": "x", "author": {"handle": "@a"}}, "text"),
        ({"external_id": "x", "text": "   ", "author": {"handle": "@a"}}, "text"),
        ({"external_id": "x", "text": "hi"}, "author"),
        ({"external_id": "x", "text": "hi", "author": {"handle": "@a", "reach": -5}},
         "author.reach"),
        ({"external_id": "x", "text": "hi", "author": {"handle": "@a"},
          "created_at": "yesterday"}, "created_at"),
        ({"external_id": 17, "text": "hi", "author": {"handle": "@a"}}, "external_id"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(app, client, make_channel, payload, field):
    make_channel()
    body = problem(post(client, payload), 422)
    assert field in body["fields"]
    assert count(app, IntakeEvent) == 0


def test_json_that_is_not_an_object_is_422(app, client, make_channel):
    make_channel()
    problem(post(client, ["not", "an", "object"]), 422)


def test_body_over_one_mebibyte_is_413(app, client, make_channel):
    make_channel()
    problem(post(client, complaint(text="x" * (1024 * 1024 + 10))), 413)
    assert count(app, IntakeEvent) == 0


def test_unknown_channel_is_404_and_paused_channel_is_403(app, client, make_channel):
    make_channel(slug="paused", is_active=False)
    problem(post(client, complaint(), slug="nowhere"), 404)
    problem(post(client, complaint(), slug="paused"), 403)
    assert count(app, IntakeEvent) == 0


def test_a_flood_on_one_channel_is_429_with_retry_after(app, client, make_channel,
                                                       monkeypatch):
    make_channel(slug="flooded")
    monkeypatch.setitem(app.config, "DESK_INTAKE_LIMIT", "2 per minute")
    for n in range(2):
        assert post(client, complaint(f"f-{n}"), slug="flooded").status_code == 202
    refused = post(client, complaint("f-2"), slug="flooded")
    assert problem(refused, 429)["status"] == 429
    assert refused.headers["Retry-After"] == "60"
    assert count(app, IntakeEvent) == 2


def change_channel(app, current_slug, **values):
    """Change a channel behind the web process's back, as an admin in another process."""
    from desk.models import Channel

    with app.app_context():
        db.session.execute(sa.update(Channel).where(Channel.slug == current_slug).values(**values))
        db.session.commit()


def test_a_remembered_channel_paused_since_takes_nothing(app, client, make_channel):
    make_channel()
    assert post(client, complaint("p-1")).status_code == 202  # the process remembers it
    change_channel(app, "webhook", is_active=False)
    problem(post(client, complaint("p-2")), 403)
    change_channel(app, "webhook", is_active=True)
    assert post(client, complaint("p-3")).status_code == 202
    with app.app_context():
        assert set(db.session.scalars(sa.select(IntakeEvent.external_id))) == {"p-1", "p-3"}


def test_a_new_secret_counts_at_once_and_the_old_one_no_longer(app, client, make_channel):
    make_channel()
    assert post(client, complaint("s-1")).status_code == 202  # remembered with SECRET
    change_channel(app, "webhook", secret="the-new-secret")
    problem(post(client, complaint("s-2")), 401)  # signed with the old secret
    assert post(client, complaint("s-3"), secret="the-new-secret").status_code == 202
    problem(post(client, complaint("s-4")), 401)
    with app.app_context():
        assert set(db.session.scalars(sa.select(IntakeEvent.external_id))) == {"s-1", "s-3"}


def test_a_remembered_channel_deleted_since_is_404(app, client, make_channel):
    make_channel()
    assert post(client, complaint("d-1")).status_code == 202
    change_channel(app, "webhook", slug="renamed")
    problem(post(client, complaint("d-2")), 404)
    assert count(app, IntakeEvent) == 1


def test_form_channel_takes_no_signed_intake(app, client, make_channel):
    from desk.models import ChannelKind

    make_channel(slug="contact-form", kind=ChannelKind.FORM)
    problem(post(client, complaint(), slug="contact-form"), 403)


def test_thread_id_and_replies_join_one_ticket(app, client, make_channel):
    make_channel()
    post(client, complaint("root", thread_id="conv-1"))
    post(client, complaint("second", thread_id="conv-1", text="Immer noch nichts."))
    post(client, complaint("answer-to-second", in_reply_to="second", text="Hallo??"))
    post(client, complaint("other", text="Ganz anderes Thema"))
    with app.app_context():
        tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
        assert [t.message_count for t in tickets] == [3, 1]
        assert tickets[0].preview == "Hallo??"


def test_a_reply_to_an_unknown_message_still_finds_its_thread(app, client, make_channel):
    make_channel()
    post(client, complaint("root", thread_id="conv-9"))
    post(client, complaint("reply", thread_id="conv-9", in_reply_to="brand-post-never-seen"))
    with app.app_context():
        [ticket] = db.session.scalars(sa.select(Ticket)).all()
        assert ticket.message_count == 2
        assert set(db.session.scalars(sa.select(IntakeEvent.status))) == {IntakeStatus.PROCESSED}


def test_a_new_message_reopens_a_resolved_ticket(app, client, make_channel):
    make_channel()
    post(client, complaint("first", thread_id="conv"))
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        ticket.status = Status.RESOLVED
        db.session.commit()
    post(client, complaint("second", thread_id="conv"))
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.status == Status.OPEN and ticket.version == 2


HOSTILE = [
    "<script>alert(1)</script>hello",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt&colon;alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></math>',
    '<p style="background:url(javascript:alert(1))" onclick="x()">styled</p>',
    "<scr<script>ipt>alert(1)</script>",
    '<form action="https://evil.example"><input name=q></form>',
]


@pytest.mark.parametrize("markup", HOSTILE)
def test_hostile_html_is_stored_inert(app, client, make_channel, markup):
    make_channel()
    payload = complaint(html=markup, url="javascript:alert(1)",
                        author={"handle": "<script>x</script>", "name": '"><img src=x onerror=1>'})
    payload.pop("text")
    assert post(client, payload).status_code == 202
    with app.app_context():
        message = db.session.scalar(sa.select(Message))
        lowered = message.body_html.lower()
        for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "<svg",
                    "<math", "<style", "<form", "<input", "style="):
            assert bad not in lowered, (bad, message.body_html)
        assert message.url is None


def test_control_characters_are_dropped(app, client, make_channel):
    make_channel()
    post(client, complaint(text="Null\x00byte und\x07 Klingel"))
    with app.app_context():
        assert db.session.scalar(sa.select(Message.body_text)) == "Nullbyte und Klingel"


def test_broken_stored_event_is_quarantined_and_others_go_on(app, make_channel):
    from desk.intake.service import process_pending

    channel = make_channel()
    with app.app_context():
        db.session.add(IntakeEvent(channel_id=channel.id, external_id="bad", payload="{broken"))
        db.session.add(IntakeEvent(channel_id=channel.id, external_id="good",
                                   payload=json.dumps(complaint("good"))))
        db.session.commit()
        assert process_pending(50) == 2
        events = {e.external_id: e for e in db.session.scalars(sa.select(IntakeEvent))}
        assert events["bad"].status == IntakeStatus.FAILED and events["bad"].error
        assert events["good"].status == IntakeStatus.PROCESSED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_intake_runs_through_redis_and_a_real_rq_worker(app, client, make_channel, redis_jobs):
    from rq import Queue, SimpleWorker

    make_channel()
    for n in range(5):
        assert post(client, complaint(f"rq-{n}", thread_id=f"conv-{n % 2}")).status_code == 202
    # Stored and acknowledged; nothing processed until a worker runs, and one run was queued.
    assert count(app, IntakeEvent) == 5 and count(app, Ticket) == 0
    assert Queue("intake", connection=redis_jobs).count == 1
    with app.app_context():
        SimpleWorker(["intake", "default"], connection=redis_jobs).work(burst=True)
    assert count(app, Ticket) == 2 and count(app, Message) == 5
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(IntakeEvent.status)))
    assert statuses == {IntakeStatus.PROCESSED}


def test_two_runs_racing_on_one_new_thread_make_one_ticket(app, make_channel):
    """Two workers each lease one event of the same new thread and process them at once."""
    import threading

    from sqlalchemy.exc import OperationalError

    from desk.intake.service import lease_batch, process_leased, process_pending

    channel = make_channel()
    with app.app_context():
        for n in range(2):
            db.session.add(IntakeEvent(channel_id=channel.id, external_id=f"race-{n}",
                                       payload=json.dumps(complaint(f"race-{n}",
                                                                    thread_id="same"))))
        db.session.commit()
        leased = [event.id for _ in range(2) for event in lease_batch(1)]
    assert len(leased) == 2
    barrier = threading.Barrier(2)
    errors = []

    def run(event_id: int) -> None:
        with app.app_context():
            try:
                event = db.session.get(IntakeEvent, event_id)
                barrier.wait()
                process_leased(event.lease_token, [event])
            except OperationalError as exc:  # SQLite has one writer: the loser waits its turn
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(event_id,)) for event_id in leased]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        if errors:  # what the lease reconciler does: expired leases are taken again
            db.session.execute(sa.update(IntakeEvent).where(
                IntakeEvent.status == IntakeStatus.PROCESSING).values(leased_until=None,
                                                                     status="received"))
            db.session.commit()
            process_pending(10)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 2
        assert set(db.session.scalars(sa.select(IntakeEvent.status))) == {IntakeStatus.PROCESSED}


def test_an_unexpected_failure_hands_the_batch_back_at_once(app, make_channel, monkeypatch):
    from desk.intake import service

    channel = make_channel()
    with app.app_context():
        for n in range(3):
            db.session.add(IntakeEvent(channel_id=channel.id, external_id=f"e-{n}",
                                       payload=json.dumps(complaint(f"e-{n}"))))
        db.session.commit()

    def database_went_away(events):
        raise RuntimeError("database went away")

    with app.app_context():
        from desk.intake import batch

        real = batch.store
        monkeypatch.setattr(batch, "store", database_went_away)
        with pytest.raises(RuntimeError):
            service.process_pending(10)
        statuses = set(db.session.scalars(sa.select(IntakeEvent.status)))
        assert statuses == {IntakeStatus.RECEIVED}  # the retry can take them right away
        monkeypatch.setattr(batch, "store", real)
        assert service.process_pending(10) == 3
    assert count(app, Ticket) == 3


def test_one_batch_threads_replies_to_posts_of_the_same_batch(app, make_channel):
    """Set-based processing still goes in arrival order: a reply, and a reply to that
    reply, leased together with the post they answer, join the post's new ticket."""
    from desk.intake.service import process_pending

    channel = make_channel()
    events = [complaint("post"), complaint("re-1", in_reply_to="post", text="Und?"),
              complaint("re-2", in_reply_to="re-1", text="Hallo??"),
              complaint("other", author={"handle": "@anna"})]
    with app.app_context():
        for payload in events:
            db.session.add(IntakeEvent(channel_id=channel.id, external_id=payload["external_id"],
                                       payload=json.dumps(payload)))
        db.session.commit()
        assert process_pending(50) == 4
        tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
        assert [(t.thread_key, t.message_count) for t in tickets] == [("post", 3), ("other", 1)]
        assert tickets[0].preview == "Hallo??"
        contacts = {t.contact.handle for t in tickets}
        assert contacts == {"@pendler", "@anna"}


def test_a_burst_of_new_tickets_queues_one_backlog_drain_per_team(app, make_channel,
                                                                   redis_jobs):
    from rq import Queue, SimpleWorker

    from desk.intake.service import process_pending

    channel_id = make_channel(team="Bahn").id
    with app.app_context():
        from desk.models import Team

        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == "Bahn"))
        for n in range(6):
            db.session.add(IntakeEvent(channel_id=channel_id, external_id=f"burst-{n}",
                                       payload=json.dumps(complaint(f"burst-{n}"))))
        db.session.commit()
        assert process_pending(50) == 6
    drains = Queue("default", connection=redis_jobs)
    assert [job.args for job in drains.jobs] == [("desk.assignment.jobs.drain_team", team_id)]
    with app.app_context():
        SimpleWorker(["default"], connection=redis_jobs).work(burst=True)
        # The run cleared its mark as it started: the next new ticket queues a drain again.
        db.session.add(IntakeEvent(channel_id=channel_id, external_id="later",
                                   payload=json.dumps(complaint("later"))))
        db.session.commit()
        assert process_pending(50) == 1
    assert drains.count == 1


def test_a_batch_writes_each_new_ticket_and_its_clocks_once(app, make_channel, make_person):
    """New tickets are INSERTed with their counters, mood, priority and due time, their SLA
    rows with their clocks: no UPDATE of those follows in the same batch, and the values
    are the ones the SLA scoring gives a ticket on its own."""
    from desk.intake.service import process_pending
    from desk.models import Priority, Role, TicketSla
    from tests.sla_helpers import make_policy

    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)
    channel = make_channel()
    payloads = [complaint("calm", text="Wann fährt der nächste Zug nach Köln?",
                          author={"handle": "@ruhig", "reach": 10}),
                complaint("angry", text="Unmöglich! Schon wieder ausgefallen, eine Katastrophe!!",
                          author={"handle": "@wuetend", "reach": 250000})]
    statements: list[str] = []
    with app.app_context():
        for payload in payloads:
            db.session.add(IntakeEvent(channel_id=channel.id, external_id=payload["external_id"],
                                       payload=json.dumps(payload)))
        db.session.commit()

        def seen(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert process_pending(50) == 2
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
        tickets = {t.thread_key: t for t in db.session.scalars(sa.select(Ticket))}
        calm, angry = tickets["calm"], tickets["angry"]
        assert calm.message_count == angry.message_count == 1
        assert calm.priority == Priority.NORMAL and angry.priority == Priority.URGENT
        assert angry.sentiment < 0 and angry.sentiment < calm.sentiment
        for ticket in (calm, angry):
            row = db.session.get(TicketSla, ticket.id)
            assert row.first_response_due_at is not None and row.policy_id is not None
            assert ticket.due_at == min(row.first_response_due_at, row.resolution_due_at)
    updated = {column.split("=")[0] for statement in statements
               if statement.startswith(("UPDATE tickets ", "UPDATE ticket_sla "))
               for column in statement.split(" SET ")[1].split(" WHERE ")[0].split(", ")}
    # Only a risk escalation (raised once the ticket is stored) is written to a ticket
    # afterwards; its due time went in with the INSERT, ticket_sla rows are not updated.
    assert updated <= {"escalation_level"}
    assert not any(s.startswith("UPDATE ticket_sla ") for s in statements)
    # The escalations recorded so far are read once for the batch, not once per ticket.
    assert sum("FROM escalations" in s for s in statements) == 1
    assert any(s.startswith("INSERT INTO ticket_sla") for s in statements)
