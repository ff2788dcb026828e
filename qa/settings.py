"""Portal settings: environment-level configuration and stored flags."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlmodel import Session

from db.organisation import Setting

DEFAULT_IDLE_MINUTES = 30
LOCKOUT_THRESHOLD = 5
from db.organisation import DEMO_FLAG as DEMO_FLAG  # re-exported: the flag is stored in db, read here
LOCKOUT_MINUTES = 15
#: Stored flag: "on" turns off portal passwords, so everyone signs in with single sign-on.
SSO_ONLY_FLAG = "sso_only"
#: Seconds instead of minutes, for browser tests and demonstrations only. Unset in real use.
IDLE_SECONDS_ENV = "PQP_IDLE_TIMEOUT_SECONDS"


def idle_timeout_minutes(configured: object | None = None) -> int:
    """Idle time before a session signs out: secrets value, then env, then 30."""
    raw = configured if configured is not None else os.environ.get("PQP_IDLE_TIMEOUT_MINUTES")
    try:
        minutes = int(raw) if raw is not None else DEFAULT_IDLE_MINUTES
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES
    return minutes if minutes > 0 else DEFAULT_IDLE_MINUTES


def idle_timeout(configured: object | None = None) -> timedelta:
    """The idle time before a session signs out.

    ``PQP_IDLE_TIMEOUT_SECONDS`` wins when it is set to a positive whole number:
    it exists so that a browser test need not wait minutes, and is never set in
    real use. Otherwise it is :func:`idle_timeout_minutes`."""
    raw = os.environ.get(IDLE_SECONDS_ENV)
    if raw:
        try:
            seconds = int(raw)
        except ValueError:
            seconds = 0
        if seconds > 0:
            return timedelta(seconds=seconds)
    return timedelta(minutes=idle_timeout_minutes(configured))


def get_flag(session: Session, key: str) -> str | None:
    setting = session.get(Setting, key)
    return setting.value if setting else None


def set_flag(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key) or Setting(key=key, value=value)
    setting.value = value
    session.add(setting)
