"""Sessions time out after the configured idle time."""

from datetime import datetime, timedelta

from qa.access.idle import has_timed_out
from qa.settings import DEFAULT_IDLE_MINUTES, idle_timeout_minutes

NOW = datetime(2026, 11, 26, 12, 0)


def test_a_fresh_session_has_not_timed_out():
    assert not has_timed_out(None, NOW, 30)


def test_activity_within_the_limit_keeps_the_session():
    assert not has_timed_out(NOW - timedelta(minutes=30), NOW, 30)


def test_idle_beyond_the_limit_times_out():
    assert has_timed_out(NOW - timedelta(minutes=30, seconds=1), NOW, 30)


def test_idle_minutes_come_from_secrets_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("PQP_IDLE_TIMEOUT_MINUTES", raising=False)
    assert idle_timeout_minutes() == DEFAULT_IDLE_MINUTES
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_MINUTES", "10")
    assert idle_timeout_minutes() == 10
    assert idle_timeout_minutes(5) == 5
    for bad in ("soon", 0, -3):
        assert idle_timeout_minutes(bad) == DEFAULT_IDLE_MINUTES
