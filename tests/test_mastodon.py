"""Mastodon channels: mentions polled with since_id, replies as statuses.

No Mastodon server is reachable from here: a local HTTP server answers as the
Mastodon API documentation describes `GET /api/v1/notifications` (newest first,
`since_id`/`max_id`), `POST /api/v1/statuses` (with `Idempotency-Key`) and
`GET /api/v1/statuses/:id/context`.
"""

import sqlalchemy as sa

from desk.channels.polling import poll_channel
from desk.channels.service import create_channel
from desk.extensions import db
from desk.models import ChannelKind, Delivery, Message, OutboxItem, OutboxState, Role, Ticket
from desk.replies.service import add_reply
from tests.platforms import Reply


def mention(nid: int, sid: int, text: str, acct="kunde@social.example", reply_to=None,
            visibility="public"):
    return {"id": str(nid), "type": "mention", "created_at": "2026-11-23T08:00:00.000Z",
            "account": {"id": "9", "acct": acct, "username": acct.split("@")[0],
                        "display_name": "Kundin K.", "followers_count": 321},
            "status": {"id": str(sid), "in_reply_to_id": reply_to, "visibility": visibility,
                       "content": f"<p><span class=\"h-card\">@hilfe</span> {text}</p>",
                       "url": f"https://social.example/@kunde/{sid}", "language": "de",
                       "created_at": "2026-11-23T08:00:00.000Z", "media_attachments": []}}


def mastodon_channel(platform, token="masto-token"):
    return create_channel("masto", ChannelKind.MASTODON, allow_private=True,
                          settings={"url": platform.url}, secrets_given={"token": token})


def test_mentions_are_polled_with_since_id(app, ctx, platform):
    pages = {None: [mention(12, 112, "Mein Konto ist gesperrt"), mention(11, 111, "Hilfe!")],
             "12": [mention(13, 113, "Noch jemand da?", reply_to="112")]}

    def notifications(seen):
        assert seen.query["types[]"] == ["mention"]
        assert seen.headers["authorization"] == "Bearer masto-token"
        return Reply(200, pages.get((seen.query.get("since_id") or [None])[0], []))

    platform.route("GET", "/api/v1/notifications", notifications)
    channel = mastodon_channel(platform)
    assert poll_channel(channel.id).taken == ["111", "112"]
    assert poll_channel(channel.id).taken == ["113"]
    assert poll_channel(channel.id).taken == []
    tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    # The answer to 112 joined its ticket.
    assert [(t.thread_key, t.message_count) for t in tickets] == [("111", 1), ("112", 2)]
    assert tickets[0].contact.handle == "@kunde@social.example"
    assert tickets[0].contact.reach == 321


def test_a_full_page_is_followed_back_with_max_id(app, ctx, platform, monkeypatch):
    from desk.channels.connectors import mastodon

    monkeypatch.setattr(mastodon, "PAGE", 2)
    first = [mention(5, 105, "e"), mention(4, 104, "d")]
    older = [mention(3, 103, "c")]

    def notifications(seen):
        return Reply(200, older if seen.query.get("max_id") == ["4"] else first)

    platform.route("GET", "/api/v1/notifications", notifications)
    assert poll_channel(mastodon_channel(platform).id).taken == ["103", "104", "105"]


def test_a_refused_token_shows_on_the_channel(app, ctx, platform):
    platform.route("GET", "/api/v1/notifications", Reply(401, {"error": "The access token "
                                                                "is invalid"}))
    channel = mastodon_channel(platform)
    report = poll_channel(channel.id)
    assert "refused the token" in report.error
    db.session.expire_all()
    assert "refused the token" in db.session.get(type(channel), channel.id).last_error


def test_replies_are_statuses_in_reply_to_the_mention(app, ctx, platform, make_person):
    platform.route("GET", "/api/v1/notifications", Reply(200, [mention(1, 101, "Hilfe")]))
    platform.route("POST", "/api/v1/statuses", Reply(200, {"id": "900", "content": "x"}))
    channel = mastodon_channel(platform)
    poll_channel(channel.id)
    ticket = db.session.scalar(sa.select(Ticket))
    reply = add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Wir schauen nach 🔍")
    sent = platform.requests("POST", "/api/v1/statuses")
    assert len(sent) == 1
    form = sent[0].form()
    assert form == {"status": "@kunde@social.example Wir schauen nach 🔍",
                    "in_reply_to_id": "101", "visibility": "public"}
    assert sent[0].headers["idempotency-key"].startswith("desk-outbox-")
    db.session.expire_all()
    assert db.session.get(Message, reply.id).delivery == Delivery.SENT
    assert db.session.scalar(sa.select(OutboxItem.remote_id)) == "900"


def test_direct_messages_are_answered_directly(app, ctx, platform, make_person):
    platform.route("GET", "/api/v1/notifications",
                   Reply(200, [mention(1, 101, "privat", visibility="direct")]))
    platform.route("POST", "/api/v1/statuses", Reply(200, {"id": "901"}))
    poll_channel(mastodon_channel(platform).id)
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Gern per DM")
    assert platform.requests("POST", "/api/v1/statuses")[0].form()["visibility"] == "direct"


def test_a_lost_answer_is_settled_by_looking_at_the_thread(app, ctx, platform, make_person,
                                                           monkeypatch):
    from desk import outbound

    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    platform.route("GET", "/api/v1/notifications", Reply(200, [mention(1, 101, "Hilfe")]))
    platform.route("POST", "/api/v1/statuses", Reply(200, {"id": "902"}, delay=1.2))
    platform.route("GET", "/api/v1/accounts/verify_credentials", Reply(200, {"id": "77"}))
    platform.route("GET", "/api/v1/statuses/101/context", Reply(200, {"ancestors": [],
        "descendants": [{"id": "902", "in_reply_to_id": "101", "account": {"id": "77"},
                         "content": "<p>@kunde@social.example Sofort erledigt</p>"}]}))
    poll_channel(mastodon_channel(platform).id)
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Sofort erledigt")
    db.session.expire_all()
    item = db.session.scalar(sa.select(OutboxItem))
    assert (item.state, item.remote_id) == (OutboxState.SENT, "902")
    assert len(platform.requests("POST", "/api/v1/statuses")) == 1


def test_not_found_in_the_thread_means_sending_again_is_safe(app, ctx, platform, make_person,
                                                             monkeypatch):
    from desk import outbound
    from desk.models import utcnow
    from desk.replies import outbox

    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    platform.route("GET", "/api/v1/notifications", Reply(200, [mention(1, 101, "Hilfe")]))
    platform.route("POST", "/api/v1/statuses", Reply(502, "bad gateway", delay=1.2))
    platform.route("GET", "/api/v1/accounts/verify_credentials", Reply(200, {"id": "77"}))
    platform.route("GET", "/api/v1/statuses/101/context",
                   Reply(200, {"ancestors": [], "descendants": []}))
    poll_channel(mastodon_channel(platform).id)
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Nochmal")
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.QUEUED and "did not arrive" in item.error
    platform.route("POST", "/api/v1/statuses", Reply(200, {"id": "903"}))
    item.next_attempt_at = utcnow()
    db.session.commit()
    outbox.sweep()
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboxItem.state)) == OutboxState.SENT


def test_delivery_status_reaches_the_desk_live(app, platform, make_person):
    """Queued, then failed with the reason, then sent after "Send again": each live."""
    from desk.extensions import socketio
    from desk.replies import outbox
    from tests.conftest import login

    platform.route("GET", "/api/v1/notifications", Reply(200, [mention(1, 101, "Hilfe")]))
    platform.route("POST", "/api/v1/statuses", Reply(422, {"error": "Text too long"}))
    with app.app_context():
        poll_channel(mastodon_channel(platform).id)
        ticket_id = db.session.scalar(sa.select(Ticket.id))
    person = make_person(roles=(Role.AGENT,))
    client = app.test_client()
    login(client, person.email)
    socket = socketio.test_client(app, flask_test_client=client)
    socket.get_received()
    with app.app_context():
        reply = add_reply(person, ticket_id, "Antwort")
        reply_id = reply.id
    updates = [e["args"][0] for e in socket.get_received() if e["name"] == "delivery.updated"]
    assert updates[-1] == {"ticket_id": ticket_id, "message_id": reply_id,
                           "delivery": "failed"}
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Text too long" in page and "Send again" in page
    platform.route("POST", "/api/v1/statuses", Reply(200, {"id": "904"}))
    client.post(f"/tickets/{ticket_id}/messages/{reply_id}/retry")
    updates = [e["args"][0]["delivery"] for e in socket.get_received()
               if e["name"] == "delivery.updated"]
    assert updates == ["queued", "sent"]
    with app.app_context():
        assert outbox.item_for(reply_id).state == OutboxState.SENT
    socket.disconnect()
