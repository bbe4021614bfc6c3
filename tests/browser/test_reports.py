"""The reports page in a real Chromium: charts drawn under the CSP, counters that move live."""

import pytest
from playwright.sync_api import expect

from desk.models import Role
from desk.reports.rollups import refresh_changed
from tests.browser.test_golden_path import post_complaint

pytestmark = pytest.mark.browser


def test_supervisor_sees_charts_beside_tables_and_todays_counters_move_live(
        app, page, live_server, make_person, make_channel, make_ticket):
    make_person("boss@example.com", "Sabine Supervisor", roles=(Role.SUPERVISOR,))
    make_channel()
    make_ticket()
    with app.app_context():
        refresh_changed()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "boss@example.com")
    page.fill("input[name=password]", "correct horse battery")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.goto(f"{live_server}/reports")

    expect(page.locator("#table-response")).to_be_visible()
    # Chart.js drew the chart from the table beside it (a chart object on the canvas).
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('canvas[data-chart-type]'))
        .map(canvas => Boolean(window.Chart && window.Chart.getChart(canvas)))""")
    assert drawn and all(drawn)
    expect(page.locator("body.is-live")).to_have_count(1)
    expect(page.locator('[data-counter="received"]')).to_have_text("1")

    post_complaint(live_server, "reports-live-1", "Schon wieder kein WLAN im Zug.")
    expect(page.locator('[data-counter="received"]')).to_have_text("2")
    expect(page.locator('[data-counter="unassigned"]')).to_have_text("2")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], \
        problems
