"""X channels: CRC challenge, signed Account Activity deliveries, replies via the v2 API.

X cannot be reached from here: deliveries are built as the Account Activity API
documents them (`tweet_create_events`, `x-twitter-webhooks-signature`), and the
v2 `POST /2/tweets` endpoint is a local HTTP server answering `{"data": {"id"}}`.
"""

import base64
import hashlib
import hmac
import json

import sqlalchemy as sa

from desk.channels.service import create_channel
from desk.extensions import db
from desk.models import ChannelKind, IntakeEvent, OutboxItem, OutboxState, Role, Ticket
from desk.replies.service import add_reply
from tests.platforms import Reply

SECRET = "consumer-secret"


def signature(data: bytes, secret=SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), data,
                                                 hashlib.sha256).digest()).decode()


def tweet(tid, text, user="pendler", uid="55", reply_to=None):
    return {"id_str": tid, "text": text, "created_at": "Mon Nov 23 08:00:00 +0000 2026",
            "in_reply_to_status_id_str": reply_to, "lang": "de",
            "user": {"id_str": uid, "screen_name": user, "name": "Pendler P.",
                     "followers_count": 1200}}


def deliver(client, *tweets, secret=SECRET):
    raw = json.dumps({"for_user_id": "1", "tweet_create_events": list(tweets)}).encode()
    return client.post("/api/v1/intake/xs", data=raw, content_type="application/json",
                       headers={"x-twitter-webhooks-signature": signature(raw, secret)})


def x_channel(platform=None):
    return create_channel("xs", ChannelKind.X, secret=SECRET, allow_private=True,
                          settings={"url": platform.url} if platform else {},
                          secrets_given={"token": "user-token"} if platform else {})


def test_crc_challenge(app, ctx, client):
    x_channel()
    response = client.get("/api/v1/intake/xs?crc_token=abc123")
    assert response.status_code == 200
    assert response.get_json() == {"response_token": signature(b"abc123")}


def test_wrong_signature_stores_nothing(app, ctx, client):
    x_channel()
    assert deliver(client, tweet("1", "@desk hilfe"), secret="nope").status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeEvent)) == 0


def test_mentions_become_tickets_and_own_tweets_are_ignored(app, ctx, client):
    x_channel()
    deliver(client, tweet("10", "@desk mein Zug 🚆"), tweet("11", "unsere Antwort", uid="1"))
    deliver(client, tweet("12", "@desk und jetzt?", reply_to="10"))
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.message_count == 2 and ticket.contact.handle == "@pendler"
    assert ticket.contact.reach == 1200


def test_replies_go_out_as_tweets_in_reply(app, ctx, client, platform, make_person):
    platform.route("POST", "/2/tweets", Reply(201, {"data": {"id": "5000", "text": "x"}}))
    x_channel(platform)
    deliver(client, tweet("10", "@desk hilfe"))
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Wir helfen.")
    body = platform.requests("POST", "/2/tweets")[0].json()
    assert body == {"text": "Wir helfen.", "reply": {"in_reply_to_tweet_id": "10"}}
    item = db.session.scalar(sa.select(OutboxItem))
    assert (item.state, item.remote_id) == (OutboxState.SENT, "5000")
