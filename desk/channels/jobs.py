"""Channel jobs: the periodic poll sweep and one poll per channel."""

from desk.channels import polling
from desk.jobs import dispatch, task_path


def poll_due_channels() -> int:
    """Periodic: queue a poll for every channel whose next poll is due; returns how many."""
    claimed = polling.due_channels()
    for channel_id in claimed:
        dispatch(task_path(poll_channel), [channel_id], "default")
    return len(claimed)


def poll_channel(channel_id: int) -> None:
    """Poll one channel; its errors are kept on the channel, not raised (next turn retries)."""
    polling.poll_channel(channel_id)
