"""/api/v1/faq: agents propose, editors review and publish, the public reads."""

import pytest

from desk.models import Role
from tests.faq_helpers import reply


@pytest.fixture
def people(make_person):
    return {
        "agent": make_person(email="anna@example.com", name="Anna Agent"),
        "editor": make_person(email="emil@example.com", name="Emil Editor",
                              roles=(Role.FAQ_EDITOR,)),
    }


def test_propose_list_publish_and_read(app, client, api_as, people, make_ticket):
    ticket = make_ticket(text="Can I bring my dog on the train?")
    message_id = reply(app, people["agent"], ticket.id, "Small dogs in a carrier travel free.")
    agent, editor = api_as(people["agent"]), api_as(people["editor"])

    created = agent.post("/faq/candidates", json={"message_id": message_id,
                                                  "note": "<b>asked often</b>"})
    assert created.status_code == 201, created.get_json()
    candidate = created.get_json()
    assert candidate["status"] == "pending" and candidate["source"] == "agent"
    assert candidate["note"] == "<b>asked often</b>"  # plain text; pages escape it

    assert agent.get("/faq/candidates").status_code == 403
    listed = editor.get("/faq/candidates").get_json()["items"]
    assert [item["id"] for item in listed] == [candidate["id"]]

    assert agent.post(f"/faq/candidates/{candidate['id']}/publish", json={
        "question": "Dogs?", "answer": "Yes.", "category": "Travel", "language": "en",
    }).status_code == 403
    published = editor.post(f"/faq/candidates/{candidate['id']}/publish", json={
        "question": "Can I bring my dog?", "answer": "Small dogs in a carrier travel free.",
        "category": "Travel", "language": "en"})
    assert published.status_code == 201
    entry = published.get_json()
    assert entry["slug"] == "can-i-bring-my-dog"
    assert entry["url"].endswith("/faq/can-i-bring-my-dog")

    public = client.get("/api/v1/faq/entries?q=brnig+dog").get_json()["items"]
    assert [item["slug"] for item in public] == ["can-i-bring-my-dog"]
    again = editor.post(f"/faq/candidates/{candidate['id']}/publish", json={
        "question": "Q", "answer": "A", "category": "C", "language": "en"})
    assert again.status_code == 409


def test_reject_needs_a_reason(app, api_as, people, make_ticket):
    message_id = reply(app, people["agent"], make_ticket().id, "Answer")
    candidate = api_as(people["agent"]).post("/faq/candidates",
                                             json={"message_id": message_id}).get_json()
    editor = api_as(people["editor"])
    missing = editor.post(f"/faq/candidates/{candidate['id']}/reject", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]
    rejected = editor.post(f"/faq/candidates/{candidate['id']}/reject",
                           json={"reason": "Already answered elsewhere."})
    assert rejected.status_code == 200
    assert rejected.get_json()["reject_reason"] == "Already answered elsewhere."
    assert editor.get("/faq/candidates?status=rejected").get_json()["items"][0]["id"] == \
        candidate["id"]


def test_errors_are_problem_details(client, api_as, people):
    agent = api_as(people["agent"])
    assert client.post("/api/v1/faq/candidates", json={"message_id": 1}).status_code == 401
    unknown = agent.post("/faq/candidates", json={"message_id": 999})
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    invalid = api_as(people["editor"]).post("/faq/candidates/1/publish",
                                            json={"question": "Q", "language": "fr"})
    assert invalid.status_code == 422
    assert {"answer", "category", "language"} <= set(invalid.get_json()["fields"])
    bad_token = client.get("/api/v1/faq/entries", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


def test_the_faq_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/faq/candidates"])
    assert "post" in paths["/api/v1/faq/candidates/{candidate_id}/publish"]
    assert "post" in paths["/api/v1/faq/candidates/{candidate_id}/reject"]
    assert "get" in paths["/api/v1/faq/entries"]
