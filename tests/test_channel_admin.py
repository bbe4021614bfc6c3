"""Channel administration: the admin pages, the API list and the CLI; secrets never shown."""

import sqlalchemy as sa

from desk.channels.service import create_channel
from desk.extensions import db
from desk.models import AuditEvent, Channel, ChannelKind, Role
from tests.conftest import login
from tests.platforms import Reply

TOKEN = "very-secret-token-value"


def admin(make_person):
    return make_person("admin@example.com", "Ada Admin", roles=(Role.ADMIN,))


def test_the_api_lists_channels_with_status_but_never_secrets(app, client, make_person,
                                                              api_as, platform):
    with app.app_context():
        create_channel("masto", ChannelKind.MASTODON, settings={"url": platform.url},
                       secrets_given={"token": TOKEN}, allow_private=True, team="Technik")
        create_channel("hook", ChannelKind.WEBHOOK, secret="hook-secret-value")
    response = api_as(admin(make_person)).get("/channels")
    assert response.status_code == 200
    items = {item["slug"]: item for item in response.get_json()["items"]}
    assert items["masto"]["secrets_set"] == ["token"] and items["masto"]["team"] == "Technik"
    assert items["masto"]["polled"] is True and items["hook"]["has_secret"] is True
    text = response.get_data(as_text=True)
    assert TOKEN not in text and "hook-secret-value" not in text


def test_only_admins_list_channels(app, client, make_person, api_as):
    agent = make_person(roles=(Role.AGENT, Role.SUPERVISOR))
    response = api_as(agent).get("/channels")
    assert response.status_code == 403
    assert client.get("/api/v1/channels").status_code == 401


def test_admin_creates_edits_and_pauses_a_channel(app, client, make_person, platform):
    platform.route("GET", "/feed", Reply(200, "<rss version='2.0'><channel></channel></rss>"))
    admin(make_person)
    login(client, "admin@example.com")
    response = client.post("/admin/channels/new", data={
        "slug": "forum", "kind": "feed", "url": platform.url + "/feed",
        "keywords": "Bahn\n-Werbung", "allow_private": "y", "token": TOKEN})
    assert response.status_code == 302
    with app.app_context():
        channel = db.session.scalar(sa.select(Channel))
        assert channel.settings["keywords"] == ["Bahn", "-Werbung"]
        channel_id = channel.id
    page = client.get(f"/admin/channels/{channel_id}").get_data(as_text=True)
    assert "Bahn" in page and TOKEN not in page
    response = client.post(f"/admin/channels/{channel_id}", data={
        "name": "Forum", "url": platform.url + "/feed", "keywords": "DB",
        "poll_interval": "600", "allow_private": "y"})
    assert response.status_code == 302
    assert client.post(f"/admin/channels/{channel_id}/pause").status_code == 302
    listing = client.get("/admin/channels/").get_data(as_text=True)
    assert "Forum" in listing and "paused" in listing.lower()
    with app.app_context():
        channel = db.session.get(Channel, channel_id)
        assert (channel.poll_interval, channel.is_active) == (600, False)
        assert channel.settings["keywords"] == ["DB"]
        audit = " ".join(str(e.data) for e in db.session.scalars(sa.select(AuditEvent)))
        assert TOKEN not in audit


def test_a_bad_feed_url_is_shown_on_the_form(app, client, make_person):
    admin(make_person)
    login(client, "admin@example.com")
    response = client.post("/admin/channels/new", data={
        "slug": "intranet", "kind": "feed", "url": "http://169.254.169.254/latest"})
    assert response.status_code == 200
    assert "metadata" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_agents_cannot_open_channel_admin(app, client, make_person):
    make_person(roles=(Role.AGENT,))
    login(client, "agent@example.com")
    assert client.get("/admin/channels/").status_code == 403


def desk(runner, *args):
    return runner.invoke(args=["desk", *args])


def test_cli_creates_each_kind_and_polls(app, runner, platform):
    platform.route("GET", "/feed", Reply(200, "<rss version='2.0'><channel><item><guid>g1"
                                              "</guid><title>Bahn kaputt</title><description>"
                                              "Zug weg</description></item></channel></rss>"))
    assert desk(runner, "create-channel", "forum", "--kind", "feed", "--url",
                platform.url + "/feed", "--keyword", "Bahn", "--allow-private").exit_code == 0
    assert desk(runner, "create-channel", "fb", "--kind", "meta", "--secret", "s",
                "--verify-token", "v").exit_code == 0
    assert desk(runner, "create-channel", "masto", "--kind", "mastodon", "--url",
                "https://mastodon.social", "--token", TOKEN).exit_code == 0
    assert desk(runner, "create-channel", "xs", "--kind", "x", "--secret", "c").exit_code == 0
    result = desk(runner, "poll", "forum")
    assert result.exit_code == 0, result.output
    assert "took in g1" in result.output and "1 new" in result.output
    assert TOKEN not in result.output


def test_cli_refuses_bad_channel_input_in_one_line(app, runner):
    for args, words in (
        (["intra", "--kind", "feed", "--url", "http://10.0.0.1/feed"], "may not be reached"),
        (["fb", "--kind", "meta", "--verify-token", "v"], "--secret"),
        (["fb", "--kind", "meta", "--secret", "s"], "verify_token"),
        (["masto", "--kind", "mastodon"], "url"),
    ):
        result = desk(runner, "create-channel", *args)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
    result = desk(runner, "poll", "nothing-here")
    assert result.exit_code == 2 and "no channel" in result.stderr


def test_cli_poll_reports_a_failing_feed(app, runner, platform):
    platform.route("GET", "/feed", Reply(500, "oops"))
    desk(runner, "create-channel", "forum", "--kind", "feed", "--url", platform.url + "/feed",
         "--allow-private")
    result = desk(runner, "poll", "forum")
    assert result.exit_code == 1 and "HTTP 500" in result.output + result.stderr
