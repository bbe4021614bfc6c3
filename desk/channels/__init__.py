"""Channels: where complaints come from and where replies go."""
