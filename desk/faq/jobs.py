"""FAQ tasks (they take ids, are safe to run twice) and the receiver that queues them."""

from typing import Any

from desk import events
from desk.jobs import dispatch, task_path


def count_faq_links(message_id: int) -> None:
    """Count the FAQ entries a sent reply links to."""
    from desk.faq.service import count_links

    count_links(message_id)


def suggest_candidates(days: int = 180, limit: int = 100_000) -> dict[str, int]:
    """Cluster recent answered questions into FAQ candidates; count follow-ups per entry."""
    from desk.faq.learning import suggest_candidates as suggest

    return suggest(days=days, limit=limit)


def _reply_created(sender: Any = None, **facts: Any) -> None:
    # Sent after the reply's commit: a job counts its FAQ links, so a failure there can
    # never turn a sent reply into an error page.
    if facts.get("kind") == "reply":
        dispatch(task_path(count_faq_links), [facts["message_id"]], "default")


def install() -> None:
    """Listen for new replies; blinker ignores a second connect of the same receiver."""
    events.message_created.connect(_reply_created, weak=False)
