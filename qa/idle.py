"""Idle-session timeout, as a pure rule the entrypoint applies on every run."""

from __future__ import annotations

from datetime import datetime, timedelta


def has_timed_out(last_activity: datetime | None, now: datetime, idle_minutes: int) -> bool:
    if last_activity is None:
        return False
    return now - last_activity > timedelta(minutes=idle_minutes)
