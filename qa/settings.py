"""The idle time, the sign-in lockout rules and the flags stored in the database.

Configuration from the environment or secrets.toml is read in ``portal.settings``
(documented in docs/OPERATIONS.md); this module applies it. Stored flags are
rows in the ``setting`` table that administrators change on screen.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from db.organisation import DEMO_FLAG as DEMO_FLAG  # re-exported: the flag is stored in db, read here
from db.organisation import Setting
from portal.settings import DEFAULT_IDLE_MINUTES as DEFAULT_IDLE_MINUTES  # re-exported for callers here
from portal.settings import environment_variable, get_settings, positive_whole_number

LOCKOUT_THRESHOLD = 5
LOCKOUT_MINUTES = 15
#: Stored flag: "on" turns off portal passwords, so everyone signs in with single sign-on.
SSO_ONLY_FLAG = "sso_only"
#: Seconds instead of minutes, for browser tests and demonstrations only. Unset in real use.
IDLE_SECONDS_ENV = environment_variable("idle_timeout_seconds")


def idle_timeout_minutes(configured: object | None = None) -> int:
    """Idle minutes before a session signs out: ``configured`` if given (tests), else the setting.

    Anything but a whole number above zero means the default, 30."""
    if configured is None:
        return get_settings().idle_timeout_minutes
    return positive_whole_number(configured) or DEFAULT_IDLE_MINUTES


def idle_timeout(configured: object | None = None) -> timedelta:
    """The idle time before a session signs out.

    ``PQP_IDLE_TIMEOUT_SECONDS`` wins when it is set to a positive whole number:
    it exists so that a browser test need not wait minutes, and is never set in
    real use. Otherwise it is :func:`idle_timeout_minutes`."""
    seconds = get_settings().idle_timeout_seconds
    if seconds:
        return timedelta(seconds=seconds)
    return timedelta(minutes=idle_timeout_minutes(configured))


def get_flag(session: Session, key: str) -> str | None:
    setting = session.get(Setting, key)
    return setting.value if setting else None


def set_flag(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key) or Setting(key=key, value=value)
    setting.value = value
    session.add(setting)
