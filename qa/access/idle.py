"""Idle-session timeout, as pure rules the entrypoint applies on every run.

Two rules:

- :func:`has_timed_out`: a portal session with no activity for longer than the
  idle time is signed out.
- :func:`identity_is_fresh`: a single-sign-on identity (Streamlit keeps it in a
  cookie for up to 30 days) may start a *new* portal session only if the
  provider issued it within the idle time. Otherwise a refresh or a new tab
  after the idle time would sign the person straight back in, and the timeout
  would mean nothing for SSO users. They go back through the provider instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _as_delta(idle: int | timedelta) -> timedelta:
    return idle if isinstance(idle, timedelta) else timedelta(minutes=idle)


def has_timed_out(last_activity: datetime | None, now: datetime, idle: int | timedelta) -> bool:
    """``idle`` is a timedelta, or a whole number of minutes."""
    if last_activity is None:
        return False
    return now - last_activity > _as_delta(idle)


def describe(idle: int | timedelta) -> str:
    """The idle time in words: "30 minutes", "1 minute", "8 seconds"."""
    seconds = int(_as_delta(idle).total_seconds())
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def identity_is_fresh(issued_at: object, now: datetime, idle: int | timedelta) -> bool:
    """Whether an SSO identity issued at ``issued_at`` (the ID token's ``iat``,
    seconds since 1970) may open a new portal session at ``now``.

    OpenID Connect requires ``iat`` in every ID token. If a provider leaves it
    out, the identity is accepted: refusing would lock every SSO user out for
    good, since signing in again would bring the same kind of token.
    """
    if issued_at is None:
        return True
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
        try:
            issued_at = float(str(issued_at))
        except ValueError:
            return False
    try:
        issued = datetime.fromtimestamp(float(issued_at), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return False
    # A little allowance for clocks that differ between the provider and us.
    return issued - timedelta(minutes=2) <= now and now - issued <= _as_delta(idle)
