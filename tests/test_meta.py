"""Meta channels: webhook verification, signed deliveries, replies through the Graph API.

Meta cannot reach this machine, nor can it reach Meta: deliveries are built as
Meta's Webhooks documentation shows them (page `feed` changes, Messenger
`messaging`, Instagram `comments`), and the Graph API is a local HTTP server
answering as the Graph API reference documents (`{"id": ...}` on success,
`{"error": {"message": ...}}` on failure).
"""

import hashlib
import hmac
import json

import sqlalchemy as sa

from desk.channels.service import create_channel
from desk.extensions import db
from desk.models import (
    ChannelKind,
    Delivery,
    IntakeEvent,
    IntakeStatus,
    Message,
    MessageKind,
    OutboxItem,
    OutboxState,
    Role,
    Ticket,
)
from desk.replies import outbox
from desk.replies.service import add_reply
from tests.platforms import Reply

APP_SECRET = "meta-app-secret"
PAGE = "1001"


def meta_channel(platform=None, token="page-token"):
    settings = {"url": platform.url} if platform else {}
    return create_channel("fb", ChannelKind.META, secret=APP_SECRET, allow_private=True,
                          settings=settings,
                          secrets_given={"verify_token": "verify-me", "token": token})


def signed_post(client, body: dict, secret=APP_SECRET):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/v1/intake/fb", data=raw, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


def comment(comment_id="c1", text="Wo bleibt meine Erstattung?", parent=None, sender="42"):
    value = {"item": "comment", "verb": "add", "comment_id": comment_id, "post_id": "p1",
             "parent_id": parent or "p1", "message": text,
             "from": {"id": sender, "name": "Erika Muster"}, "created_time": 1795000000}
    return {"object": "page", "entry": [{"id": PAGE, "time": 1795000000,
                                         "changes": [{"field": "feed", "value": value}]}]}


def dm(mid="m1", text="Hallo, mein Paket fehlt", sender="777"):
    return {"object": "page", "entry": [{"id": PAGE, "time": 1795000000, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": PAGE}, "timestamp": 1795000000123,
         "message": {"mid": mid, "text": text}}]}]}


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_verification_handshake_echoes_the_challenge(app, ctx, client):
    meta_channel()
    ok = client.get("/api/v1/intake/fb?hub.mode=subscribe&hub.verify_token=verify-me"
                    "&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = client.get("/api/v1/intake/fb?hub.mode=subscribe&hub.verify_token=nope"
                       "&hub.challenge=1")
    assert wrong.status_code == 403
    assert wrong.headers["Content-Type"].startswith("application/problem+json")


def test_bad_or_missing_signatures_store_nothing(app, ctx, client):
    meta_channel()
    assert signed_post(client, comment(), secret="wrong").status_code == 401
    raw = json.dumps(comment()).encode()
    assert client.post("/api/v1/intake/fb", data=raw,
                       content_type="application/json").status_code == 401
    assert count(IntakeEvent) == 0


def test_comments_and_messages_become_tickets(app, ctx, client):
    meta_channel()
    response = signed_post(client, comment())
    assert response.status_code == 200
    assert response.get_json()["stored"] == ["fb-comment:c1"]
    # A reply under that comment joins its ticket; Messenger messages of one person too.
    signed_post(client, comment("c2", "Immer noch nichts", parent="c1"))
    signed_post(client, dm("m1"))
    signed_post(client, dm("m2", "Noch da?"))
    # Meta redelivers: nothing doubles.
    signed_post(client, dm("m2", "Noch da?"))
    tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    assert [(t.thread_key, t.message_count) for t in tickets] == [
        ("fb-comment:c1", 2), ("fb-dm:777", 2)]
    assert tickets[0].contact.handle == "fb:42" and tickets[0].contact.name == "Erika Muster"


def test_the_pages_own_comments_and_instagram_comments(app, ctx, client):
    meta_channel()
    signed_post(client, comment("c9", "Danke für Ihre Geduld", sender=PAGE))
    instagram = {"object": "instagram", "entry": [{"id": "ig-1", "time": 1, "changes": [
        {"field": "comments", "value": {"id": "17865799348089039", "text": "Lieferung? 📦",
                                        "from": {"id": "5", "username": "kunde"},
                                        "media": {"id": "m", "media_product_type": "FEED"}}}]}]}
    signed_post(client, instagram)
    messages = db.session.scalars(sa.select(Message)).all()
    assert [m.external_id for m in messages] == ["ig-comment:17865799348089039"]
    assert "📦" in messages[0].body_text


def test_an_authentic_delivery_that_cannot_be_mapped_is_quarantined(app, ctx, client):
    meta_channel()
    response = signed_post(client, {"object": "page", "entry": "not a list"})
    assert response.status_code == 200 and len(response.get_json()["quarantined"]) == 1
    event = db.session.scalar(sa.select(IntakeEvent))
    assert event.status == IntakeStatus.FAILED and "cannot map" in event.error
    assert count(Message) == 0


def test_a_reply_to_a_comment_goes_out_through_the_graph_api(app, ctx, client, platform,
                                                              make_person):
    platform.route("POST", "/c1/comments", Reply(200, {"id": "1001_555"}))
    meta_channel(platform)
    signed_post(client, comment())
    ticket = db.session.scalar(sa.select(Ticket))
    person = make_person(roles=(Role.AGENT,))
    reply = add_reply(person, ticket.id, "Wir kümmern uns darum.")
    sent = platform.requests("POST", "/c1/comments")
    assert len(sent) == 1 and sent[0].json() == {"message": "Wir kümmern uns darum."}
    assert sent[0].headers["authorization"] == "Bearer page-token"
    db.session.expire_all()
    item = db.session.scalar(sa.select(OutboxItem))
    assert (item.state, item.remote_id) == (OutboxState.SENT, "fb-comment:1001_555")
    assert db.session.get(Message, reply.id).delivery == Delivery.SENT
    # The customer answers our comment: it joins the same ticket.
    signed_post(client, comment("c3", "Danke!", parent="1001_555"))
    assert count(Ticket) == 1


def test_a_messenger_reply_uses_the_send_api(app, ctx, client, platform, make_person):
    platform.route("POST", "/me/messages", Reply(200, {"recipient_id": "777",
                                                       "message_id": "mid.9"}))
    meta_channel(platform)
    signed_post(client, dm())
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Wir prüfen das.")
    body = platform.requests("POST", "/me/messages")[0].json()
    assert body == {"recipient": {"id": "777"}, "message": {"text": "Wir prüfen das."},
                    "messaging_type": "RESPONSE"}
    assert db.session.scalar(sa.select(OutboxItem.remote_id)) == "fb-message:mid.9"


def test_a_refused_reply_fails_with_the_reason_and_can_be_retried(app, ctx, client, platform,
                                                                 make_person):
    platform.route("POST", "/c1/comments", Reply(400, {"error": {
        "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}))
    meta_channel(platform)
    signed_post(client, comment())
    ticket = db.session.scalar(sa.select(Ticket))
    person = make_person(roles=(Role.AGENT,))
    reply = add_reply(person, ticket.id, "Antwort")
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.FAILED and "Invalid parameter" in item.error
    platform.route("POST", "/c1/comments", Reply(200, {"id": "1001_777"}))
    outbox.retry(person, reply.id)
    db.session.expire_all()
    item = db.session.scalar(sa.select(OutboxItem))
    assert (item.state, item.remote_id) == (OutboxState.SENT, "fb-comment:1001_777")
    assert len(platform.requests("POST", "/c1/comments")) == 2


def test_a_server_error_is_retried_later_with_backoff(app, ctx, client, platform, make_person):
    platform.route("POST", "/c1/comments", Reply(503, {"error": {"message": "busy"}}))
    meta_channel(platform)
    signed_post(client, comment())
    ticket = db.session.scalar(sa.select(Ticket))
    reply = add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Antwort")
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.QUEUED and item.attempts == 1 and item.next_attempt_at
    # Not due yet: the sweep sends nothing.
    outbox.sweep()
    assert len(platform.requests("POST", "/c1/comments")) == 1
    assert db.session.get(Message, reply.id).delivery == Delivery.QUEUED


def test_a_timeout_after_sending_is_reconciled_never_resent(app, ctx, client, platform,
                                                           make_person, monkeypatch):
    from desk import outbound

    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    # The Graph API takes the comment but answers too late.
    platform.route("POST", "/c1/comments", Reply(200, {"id": "1001_888"}, delay=1.2))
    platform.route("GET", "/c1/comments", Reply(200, {"data": [
        {"id": "1001_888", "message": "Antwort", "from": {"id": PAGE}}]}))
    meta_channel(platform)
    signed_post(client, comment())
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Antwort")
    db.session.expire_all()
    item = db.session.scalar(sa.select(OutboxItem))
    assert (item.state, item.remote_id) == (OutboxState.SENT, "fb-comment:1001_888")
    assert len(platform.requests("POST", "/c1/comments")) == 1


def test_unknown_outcome_on_messenger_asks_a_person(app, ctx, client, platform, make_person,
                                                     monkeypatch):
    from desk import outbound

    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    platform.route("POST", "/me/messages", Reply(200, {"message_id": "x"}, delay=1.2))
    meta_channel(platform)
    signed_post(client, dm())
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Antwort")
    db.session.expire_all()
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.FAILED and "unknown whether" in item.error
    outbox.sweep()
    assert len(platform.requests("POST", "/me/messages")) == 1


def test_without_a_page_token_replies_are_manual(app, ctx, client, make_person):
    create_channel("fb", ChannelKind.META, secret=APP_SECRET,
                   secrets_given={"verify_token": "verify-me"})
    signed_post(client, comment())
    ticket = db.session.scalar(sa.select(Ticket))
    reply = add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Antwort")
    assert reply.delivery == Delivery.MANUAL
    assert db.session.scalar(sa.select(Message.kind).where(Message.id == reply.id)) \
        == MessageKind.REPLY


def test_a_quarantined_delivery_is_mapped_again_on_retry(app, client, make_person):
    """The intake problems page retries a raw delivery through the connector's mapping."""
    from desk.intake.service import quarantine_raw
    from tests.conftest import login

    with app.app_context():
        channel = meta_channel()
        signed_post(client, {"object": "page", "entry": "not a list"})
        # As an earlier version (with a mapping bug) would have kept a good delivery:
        good = quarantine_raw(channel, json.dumps(dm("m7", "Wo ist mein Geld?")), "old bug")
        bad = db.session.scalar(sa.select(IntakeEvent.id).where(IntakeEvent.id != good))
    make_person("admin@example.com", "Ada", roles=(Role.ADMIN,))
    login(client, "admin@example.com")
    page = client.get("/admin/intake").get_data(as_text=True)
    assert "cannot map" in page and "old bug" in page
    client.post(f"/admin/intake/{good}/retry")
    client.post(f"/admin/intake/{bad}/retry")
    with app.app_context():
        assert db.session.scalar(sa.select(Message.external_id)) == "fb-message:m7"
        assert db.session.get(IntakeEvent, good).status == IntakeStatus.PROCESSED
        still = db.session.get(IntakeEvent, bad)
        assert still.status == IntakeStatus.FAILED and "cannot map" in still.error
