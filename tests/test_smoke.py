"""The app builds, migrates and answers on both databases."""

from desk.models import Role


def test_login_page_answers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data


def test_api_lists_tickets(make_person, make_ticket, api_as):
    agent = make_person(roles=(Role.AGENT,))
    ticket = make_ticket()
    response = api_as(agent).get("/tickets")
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["items"]] == [ticket.id]


def test_starting_the_app_leaves_the_numeric_libraries_unloaded():
    """scikit-learn and friends cost ~65 MiB and a second; only FAQ search loads them."""
    import subprocess
    import sys

    code = ("import sys; from desk import create_app; create_app(); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"
