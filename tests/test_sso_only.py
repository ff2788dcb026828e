"""The "SSO only" setting, its break-glass command, and SSO identities against the idle timeout.

With SSO only on, portal passwords are refused by the service (qa/access/auth), not
just hidden; an administrator can turn it on only while single sign-on is set
up and they signed in with it; ``python -m portal sso-only off`` turns it off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.organisation import AuditTrail, PasswordChange, User, utcnow
from pages import _registry as screens
from qa.access import auth, idle
from qa.errors import PermissionDenied, ValidationFailed
from qa.settings import IDLE_SECONDS_ENV, SSO_ONLY_FLAG, get_flag, idle_timeout
from tests.conftest import APP, sign_in
from tests.factories import PASSWORD, backdate_sessions

SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-only-cookie-secret",
        "client_id": "portal",
        "client_secret": "not-a-secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}


def turn_on(org) -> None:
    auth.set_sso_only(org.actor(org.admin_id), True, sso_configured=True, signed_in_with_sso=True)


def trail_for_setting() -> list[AuditTrail]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditTrail).where(AuditTrail.entity == "setting", AuditTrail.entity_id == SSO_ONLY_FLAG)
            )
        )


# --- the service ---------------------------------------------------------------


def test_passwords_work_while_sso_only_is_off(org):
    assert not auth.sso_only()
    assert auth.sign_in("pat@example.org", PASSWORD).ok


def test_sso_only_refuses_every_password_sign_in_at_the_service(org):
    turn_on(org)
    assert auth.sso_only()
    for email, password in [
        ("pat@example.org", PASSWORD),  # the right password
        ("pat@example.org", "wrong"),
        ("nobody@example.org", "wrong"),  # same answer: it says nothing about who has an account
    ]:
        result = auth.sign_in(email, password)
        assert not result.ok
        assert result.message == auth.PASSWORDS_OFF
    with session_scope() as session:
        pat = session.get(User, org.practitioner_id)
        assert pat.failed_logins == 0 and pat.locked_until is None, "refused attempts do not lock anyone out"
        assert pat.last_login_at is None


def test_single_sign_on_still_works_while_passwords_are_off(org):
    turn_on(org)
    result = auth.sign_in_sso("pat@example.org")
    assert result.ok and result.actor.id == org.practitioner_id


def test_sso_only_refuses_a_password_change(org):
    turn_on(org)
    form = PasswordChange(
        current_password=PASSWORD, new_password="a-new-long-password", confirm_password="a-new-long-password"
    )
    with pytest.raises(PermissionDenied, match="single sign-on"):
        auth.change_password(org.actor(org.practitioner_id), form)
    auth.sso_only_off_from_command_line()
    auth.change_password(org.actor(org.practitioner_id), form)  # allowed again once off


def test_it_cannot_be_turned_on_unless_single_sign_on_is_configured(org):
    with pytest.raises(ValidationFailed) as refused:
        auth.set_sso_only(org.actor(org.admin_id), True, sso_configured=False, signed_in_with_sso=True)
    assert refused.value.field_errors == {"sso_only": auth.SSO_NOT_CONFIGURED}
    assert not auth.sso_only()


def test_it_cannot_be_turned_on_by_an_admin_who_did_not_sign_in_with_sso(org):
    with pytest.raises(ValidationFailed) as refused:
        auth.set_sso_only(org.actor(org.admin_id), True, sso_configured=True, signed_in_with_sso=False)
    assert refused.value.field_errors == {"sso_only": auth.SSO_NOT_PROVEN}
    assert not auth.sso_only()


@pytest.mark.parametrize("who", ["practitioner_id", "spo_id", "qa_lead_id"])
def test_only_an_administrator_may_change_it(org, who):
    actor = org.actor(getattr(org, who))
    for on in (True, False):
        with pytest.raises(PermissionDenied):
            auth.set_sso_only(actor, on, sso_configured=True, signed_in_with_sso=True)
    assert get_flag_value() is None


def get_flag_value() -> str | None:
    with session_scope() as session:
        return get_flag(session, SSO_ONLY_FLAG)


def test_turning_it_on_and_off_is_in_the_audit_trail(org):
    turn_on(org)
    auth.set_sso_only(org.actor(org.admin_id), False, sso_configured=False, signed_in_with_sso=False)
    assert not auth.sso_only()
    entries = trail_for_setting()
    assert [(e.actor_id, e.summary) for e in entries] == [
        (org.admin_id, "on: passwords turned off"),
        (org.admin_id, "off: passwords allowed"),
    ]


# --- break-glass ---------------------------------------------------------------


def test_the_break_glass_command_turns_it_off_and_is_recorded(org, db_url, capsys):
    from portal.__main__ import main

    turn_on(org)
    assert main(["--database-url", db_url, "sso-only", "status"]) == 0
    assert "SSO only is on" in capsys.readouterr().out
    assert main(["--database-url", db_url, "sso-only", "off"]) == 0
    assert "portal passwords can be used again" in capsys.readouterr().out
    assert not auth.sso_only()
    assert auth.sign_in("pat@example.org", PASSWORD).ok
    last = trail_for_setting()[-1]
    assert last.actor_id is None and "command line" in last.summary


def test_the_command_has_no_way_to_turn_it_on(org, db_url):
    from portal.__main__ import main

    with pytest.raises(SystemExit):
        main(["--database-url", db_url, "sso-only", "on"])
    assert not auth.sso_only()


# --- screens (AppTest) -----------------------------------------------------------


def portal(*, sso: bool, user: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=30)
    if sso:
        at.secrets.update(SSO_SECRETS)
    if user is not None:
        at.user = user
    return at.run()


def texts(at) -> str:
    return " ".join(
        str(e.value)
        for kind in ("markdown", "info", "error", "success", "caption", "title", "header", "subheader")
        for e in getattr(at, kind)
    )


def test_the_sign_in_page_offers_only_single_sign_on_when_passwords_are_off(org):
    turn_on(org)
    at = portal(sso=True, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in with single sign-on"]
    assert not at.text_input, "no email or password box"


def test_the_sign_in_page_says_plainly_when_passwords_are_off_and_sso_is_missing(org):
    turn_on(org)
    at = portal(sso=False)
    assert not at.text_input and not at.button
    assert "Signing in with a portal password is turned off" in at.error[0].value
    assert "Ask your administrator" in at.error[0].value


def test_the_account_page_offers_no_password_change_when_passwords_are_off(org):
    turn_on(org)
    at = portal(sso=True, user={"is_logged_in": True, "email": "pat@example.org"})
    at.switch_page(screens.MY_ACCOUNT.file).run()
    assert not at.exception
    assert not at.text_input
    assert "no password to change here" in texts(at)


def test_the_account_page_still_offers_a_password_change_normally(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    at.switch_page(screens.MY_ACCOUNT.file).run()
    assert [t.label for t in at.text_input] == ["Current password", "New password", "Confirm new password"]


def settings_page(at):
    at.switch_page(screens.SETTINGS.file).run()
    assert not at.exception
    return at


def save_sso_only(at, on: bool):
    [box] = [c for c in at.checkbox if c.label == "Single sign-on only: turn off portal passwords"]
    box.set_value(on)
    at.button(key="FormSubmitter:sso_only-Save sign-in setting").click().run()
    return at


def test_an_admin_signed_in_with_sso_can_turn_passwords_off_and_on(org):
    at = settings_page(portal(sso=True, user={"is_logged_in": True, "email": "admin@example.org"}))
    assert "Staff can sign in with single sign-on or with a portal password." in texts(at)
    save_sso_only(at, True)
    assert auth.sso_only()
    assert "Single sign-on only is on: portal passwords are turned off." in texts(at)
    save_sso_only(at, False)
    assert not auth.sso_only()
    assert "Portal passwords are allowed." in texts(at)


def test_an_admin_signed_in_with_a_password_is_told_to_use_sso_first(org):
    at = sign_in(portal(sso=True, user={"is_logged_in": False}), "admin@example.org", PASSWORD)
    save_sso_only(settings_page(at), True)
    assert not auth.sso_only()
    assert auth.SSO_NOT_PROVEN in [e.value for e in at.error]


def test_an_admin_without_sso_set_up_is_told_it_would_lock_everyone_out(app, org):
    at = settings_page(sign_in(app(), "admin@example.org", PASSWORD))
    assert "Single sign-on is not set up" in texts(at)
    save_sso_only(at, True)
    assert not auth.sso_only()
    assert auth.SSO_NOT_CONFIGURED in [e.value for e in at.error]


# --- SSO identities and the idle timeout --------------------------------------------


def test_a_stale_sso_identity_does_not_open_a_new_session(org):
    """A browser's SSO cookie older than the idle time must go back through the
    provider; otherwise a refresh after the idle time would sign straight back in."""
    old = (utcnow() - timedelta(minutes=31)).timestamp()
    at = portal(sso=True, user={"is_logged_in": True, "email": "spo@example.org", "iat": old})
    assert [t.value for t in at.title] == ["Practice Quality Portal"]
    assert [b.label for b in at.button][0] == "Sign in with single sign-on"

    fresh = (utcnow() - timedelta(minutes=1)).timestamp()
    at = portal(sso=True, user={"is_logged_in": True, "email": "spo@example.org", "iat": fresh})
    assert [t.value for t in at.title] == ["Team home: Team A"]


def test_an_sso_session_that_goes_idle_is_not_signed_straight_back_in(org, monkeypatch):
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_MINUTES", "10")
    at = portal(sso=True, user={"is_logged_in": True, "email": "spo@example.org", "iat": utcnow().timestamp()})
    assert [t.value for t in at.title] == ["Team home: Team A"]
    # Eleven minutes later, with the same identity cookie:
    backdate_sessions(minutes=11)  # no activity for 11 minutes, as the session row records
    at.user = {"is_logged_in": True, "email": "spo@example.org", "iat": (utcnow() - timedelta(minutes=11)).timestamp()}
    at.run()
    assert [t.value for t in at.title] == ["Practice Quality Portal"]
    assert "signed out after 10 minutes without activity" in texts(at)


NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "issued_at, fresh",
    [
        (NOW.timestamp(), True),
        ((NOW - timedelta(minutes=29)).timestamp(), True),
        ((NOW - timedelta(minutes=31)).timestamp(), False),
        (int((NOW - timedelta(minutes=5)).timestamp()), True),
        (str(int(NOW.timestamp())), True),
        ((NOW + timedelta(minutes=1)).timestamp(), True),  # clocks a little apart
        ((NOW + timedelta(hours=1)).timestamp(), False),  # from the future: not believed
        ("yesterday", False),
        (True, False),
        (1e20, False),
        (None, True),  # OIDC requires iat; without it the identity is accepted (see qa/access/idle)
    ],
)
def test_identity_freshness(issued_at, fresh):
    assert idle.identity_is_fresh(issued_at, NOW, 30) is fresh


def test_idle_time_in_words():
    assert idle.describe(30) == "30 minutes"
    assert idle.describe(timedelta(minutes=1)) == "1 minute"
    assert idle.describe(timedelta(seconds=8)) == "8 seconds"
    assert idle.describe(timedelta(seconds=1)) == "1 second"


def test_a_seconds_timeout_is_used_only_when_configured(monkeypatch):
    monkeypatch.delenv(IDLE_SECONDS_ENV, raising=False)
    monkeypatch.delenv("PQP_IDLE_TIMEOUT_MINUTES", raising=False)
    assert idle_timeout() == timedelta(minutes=30)
    assert idle_timeout(12) == timedelta(minutes=12)
    monkeypatch.setenv(IDLE_SECONDS_ENV, "8")
    assert idle_timeout(12) == timedelta(seconds=8)
    for bad in ("0", "-3", "soon"):
        monkeypatch.setenv(IDLE_SECONDS_ENV, bad)
        assert idle_timeout(12) == timedelta(minutes=12)
    assert idle.has_timed_out(NOW - timedelta(seconds=9), NOW, timedelta(seconds=8))
    assert not idle.has_timed_out(NOW - timedelta(seconds=7), NOW, timedelta(seconds=8))
