"""Report tasks: periodic, argument-free, safe to run twice or late."""

from typing import Any


def refresh_rollups() -> int:
    """Count every ticket changed since the last run into the facts and daily rollups."""
    from desk.reports.rollups import refresh_changed

    return refresh_changed()


def send_weekly_digest() -> dict[str, Any]:
    """Send last week's management summary, once per week (a no-op when already sent)."""
    from desk.reports.digest import send_due_digest

    return send_due_digest()
