"""Portal settings: environment-level configuration and stored flags."""

from __future__ import annotations

import os

from sqlmodel import Session

from db.models import Setting

DEFAULT_IDLE_MINUTES = 30
LOCKOUT_THRESHOLD = 5
LOCKOUT_MINUTES = 15
DEMO_FLAG = "demo_data"


def idle_timeout_minutes(configured: object | None = None) -> int:
    """Idle time before a session signs out: secrets value, then env, then 30."""
    raw = configured if configured is not None else os.environ.get("PQP_IDLE_TIMEOUT_MINUTES")
    try:
        minutes = int(raw) if raw is not None else DEFAULT_IDLE_MINUTES
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES
    return minutes if minutes > 0 else DEFAULT_IDLE_MINUTES


def get_flag(session: Session, key: str) -> str | None:
    setting = session.get(Setting, key)
    return setting.value if setting else None


def set_flag(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key) or Setting(key=key, value=value)
    setting.value = value
    session.add(setting)
