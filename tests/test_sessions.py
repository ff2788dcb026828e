"""Server-side sign-in sessions (qa/access/sessions.py): what a sign-in creates, the idle and
absolute limits, deactivation, "SSO only", signing out, the cap per person, the one-time cookie
ticket, and the per-address limit on failed sign-ins."""

from datetime import timedelta

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.organisation import AuditTrail, utcnow
from db.sessions import SignInMethod, SignInSession
from qa.access import auth, sessions
from qa.errors import PermissionDenied, ValidationFailed
from qa.organisation import users
from qa.settings import SSO_ONLY_FLAG, set_flag
from tests.factories import PASSWORD

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def rows() -> list[SignInSession]:
    with session_scope() as session:
        return list(session.exec(select(SignInSession)).all())


def sign_in(email="pat@example.org", **kwargs) -> str:
    result = auth.sign_in(email, PASSWORD, **kwargs)
    assert result.ok, result.message
    return result.session_id


# --- what a sign-in creates ---------------------------------------------------------------------


def test_a_sign_in_creates_a_session_row_holding_only_the_hash_of_a_new_random_id(org):
    first = sign_in(user_agent=BROWSER)
    second = sign_in(user_agent=BROWSER)
    assert first != second and len(first) >= 40  # new at every sign-in, 32 random bytes
    stored = rows()
    assert {r.id_hash for r in stored} == {sessions.hash_id(first), sessions.hash_id(second)}
    assert all(first not in r.id_hash and second not in r.id_hash for r in stored)
    row = stored[0]
    assert row.user_id == org.practitioner_id and row.method == SignInMethod.PASSWORD
    assert row.user_agent == BROWSER
    assert row.idle_expires_at - row.last_seen_at == timedelta(minutes=30)
    assert row.absolute_expires_at - row.created_at == timedelta(hours=sessions.DEFAULT_ABSOLUTE_HOURS)


def test_a_refused_sign_in_creates_no_session(org):
    assert auth.sign_in("pat@example.org", "wrong").session_id == ""
    assert rows() == []


def test_a_session_signs_in_its_person_until_it_ends(org):
    raw = sign_in()
    check = sessions.resume(raw)
    assert check.actor is not None and check.actor.id == org.practitioner_id
    assert check.method == SignInMethod.PASSWORD
    assert sessions.resume("made-up") == sessions.SessionCheck()
    assert sessions.resume(None) == sessions.SessionCheck()


def test_sign_in_trail_entries_name_the_person(org):
    sign_in()
    with session_scope() as session:
        entry = session.exec(select(AuditTrail).where(AuditTrail.action == "signed_in")).one()
    assert entry.actor_id == org.practitioner_id


# --- idle and absolute limits -------------------------------------------------------------------


def test_no_activity_for_longer_than_the_idle_time_ends_the_session_on_the_server(org):
    raw = sign_in()
    now = utcnow()
    assert sessions.resume(raw, now + timedelta(minutes=29)).actor is not None  # activity: last seen moves on
    assert sessions.resume(raw, now + timedelta(minutes=58)).actor is not None
    late = sessions.resume(raw, now + timedelta(minutes=89))
    assert late.actor is None and "after 30 minutes without activity" in late.ended
    assert rows() == []  # ended on the server: the same id (a replayed cookie) no longer works
    assert sessions.resume(raw, now + timedelta(minutes=89)).actor is None


def test_the_idle_timer_asks_without_counting_as_activity(org):
    raw = sign_in()
    now = utcnow()
    assert sessions.is_current(raw, now + timedelta(minutes=20))
    assert not sessions.is_current(raw, now + timedelta(minutes=31))
    assert len(rows()) == 1  # asking ends nothing; the next full run does, and says why


def test_a_session_ends_at_its_absolute_limit_however_active(org):
    raw = sign_in()
    start = utcnow()
    for minutes in range(20, 12 * 60, 20):
        assert sessions.resume(raw, start + timedelta(minutes=minutes)).actor is not None
    ended = sessions.resume(raw, start + timedelta(hours=12, minutes=1))
    assert ended.actor is None and "at most 12 hours" in ended.ended


def test_administrators_set_the_limits_and_they_apply_to_sessions(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(PermissionDenied):
        sessions.set_limits(org.actor(org.practitioner_id), 10, 2, 3)
    with pytest.raises(ValidationFailed) as refused:
        sessions.set_limits(admin, 0, 1000, 0)
    assert set(refused.value.field_errors) == {"idle_minutes", "absolute_hours", "per_person"}
    with pytest.raises(ValidationFailed) as refused:
        sessions.set_limits(admin, 180, 2, 3)
    assert "at least the idle time" in refused.value.field_errors["absolute_hours"]

    limits = sessions.set_limits(admin, 10, 2, 3)
    assert (limits.idle, limits.absolute, limits.per_person) == (timedelta(minutes=10), timedelta(hours=2), 3)
    raw = sign_in()
    assert "after 10 minutes without activity" in sessions.resume(raw, utcnow() + timedelta(minutes=11)).ended


# --- deactivation, "SSO only", signing out ------------------------------------------------------


def test_deactivating_a_person_ends_all_their_sessions_at_once(org):
    first, second = sign_in(), sign_in()
    other = sign_in("spo@example.org")
    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)
    assert sessions.resume(first).actor is None and sessions.resume(second).actor is None
    assert sessions.resume(other).actor is not None


def test_passwords_turned_off_end_password_sessions_but_not_sso_ones(org):
    password = sign_in()
    sso = auth.sign_in_sso("spo@example.org").session_id
    with session_scope() as session:
        set_flag(session, SSO_ONLY_FLAG, "on")
    ended = sessions.resume(password)
    assert ended.actor is None and ended.ended == sessions.PASSWORDS_NOW_OFF
    assert sessions.resume(sso).method == SignInMethod.SSO


def test_signing_out_deletes_the_row_so_every_tab_using_it_is_signed_out(org):
    raw = sign_in()
    sessions.end(raw)
    assert rows() == [] and sessions.resume(raw).actor is None


def test_a_lockout_gives_no_new_session_and_leaves_open_ones_alone(org):
    raw = sign_in()
    for _ in range(5):
        auth.sign_in("pat@example.org", "wrong")
    assert auth.sign_in("pat@example.org", PASSWORD).session_id == ""
    # Otherwise anyone could sign a person out by typing wrong passwords for them.
    assert sessions.resume(raw).actor is not None


# --- my sessions, sessions of others, the cap ---------------------------------------------------


def test_i_see_my_sessions_and_can_sign_out_of_all_the_others(org):
    here = sign_in(user_agent=BROWSER)
    sign_in(user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1")
    spo = sign_in("spo@example.org")
    pat = org.actor(org.practitioner_id)
    mine = sessions.my_sessions(pat, here)
    assert sorted(s.device for s in mine) == ["Chrome on Windows", "Safari on iPhone"]
    assert [s.this_one for s in mine].count(True) == 1
    assert sessions.end_my_other_sessions(pat, here) == 1
    assert [s.device for s in sessions.my_sessions(pat, here)] == ["Chrome on Windows"]
    assert sessions.resume(spo).actor is not None  # someone else's sessions are untouched


def test_an_administrator_can_end_a_persons_sessions_and_nobody_else_can(org):
    sign_in(), sign_in()
    admin = org.actor(org.admin_id)
    with pytest.raises(PermissionDenied):
        sessions.end_sessions_of(org.actor(org.spo_id), org.practitioner_id)
    assert sessions.session_count_of(admin, org.practitioner_id) == 2
    assert sessions.end_sessions_of(admin, org.practitioner_id) == 2
    assert sessions.session_count_of(admin, org.practitioner_id) == 0


def test_beyond_the_cap_per_person_the_least_recently_used_sessions_end(org):
    sessions.set_limits(org.actor(org.admin_id), 30, 12, 2)
    oldest = sign_in(now=utcnow() - timedelta(minutes=3))
    middle = sign_in(now=utcnow() - timedelta(minutes=2))
    newest = sign_in()
    assert sessions.resume(oldest).actor is None
    assert sessions.resume(middle).actor is not None and sessions.resume(newest).actor is not None


# --- the one-time ticket that sets the cookie ---------------------------------------------------


def test_a_ticket_is_redeemed_once_by_the_browser_it_was_issued_to_for_a_fresh_id(org):
    raw = sign_in()
    ticket = sessions.issue_ticket(raw, "browser-a")
    assert ticket and sessions.hash_id(ticket) == rows()[0].ticket_hash
    cookie = sessions.redeem_ticket(ticket, "browser-a")
    assert cookie and cookie not in (raw, ticket)
    assert sessions.resume(cookie).actor is not None
    assert sessions.resume(raw).actor is None  # the id that was in the page is no longer valid
    assert sessions.redeem_ticket(ticket, "browser-a") is None  # once only


def test_a_ticket_from_another_browser_or_too_late_is_refused_and_spent(org):
    raw = sign_in()
    ticket = sessions.issue_ticket(raw, "victim")
    assert sessions.redeem_ticket(ticket, "attacker") is None  # a forged sign-in link (login CSRF)
    assert sessions.redeem_ticket(ticket, "victim") is None  # and it cannot be tried again
    unbound = sessions.issue_ticket(raw, "victim")
    assert sessions.redeem_ticket(unbound, None) is None  # a browser with no binding cookie at all
    assert sessions.redeem_ticket(unbound, "victim") is None  # spent all the same
    late = sessions.issue_ticket(raw, "victim")
    assert sessions.redeem_ticket(late, "victim", utcnow() + timedelta(seconds=61)) is None
    assert sessions.issue_ticket(raw, "") is None  # no binding cookie, no ticket
    assert sessions.resume(raw).actor is not None  # the sign-in itself still stands


# --- the per-address limit ----------------------------------------------------------------------


def test_too_many_failures_from_one_address_refuse_it_whichever_accounts_they_name(org, monkeypatch):
    monkeypatch.setenv("PQP_SIGN_IN_ATTEMPTS_PER_ADDRESS", "3")
    now = utcnow()
    for email in ("pat@example.org", "spo@example.org", "nobody@example.org"):
        assert auth.sign_in(email, "wrong", now=now, address="203.0.113.9").message == auth.WRONG_DETAILS
    limited = auth.sign_in("qa@example.org", PASSWORD, now=now, address="203.0.113.9")
    assert not limited.ok and "Too many sign-in attempts" in limited.message
    # Another address is not affected, and the address may try again after the window.
    assert auth.sign_in("qa@example.org", PASSWORD, now=now, address="198.51.100.7").ok
    assert auth.sign_in("qa@example.org", PASSWORD, now=now + timedelta(minutes=16), address="203.0.113.9").ok


# --- single sign-on -----------------------------------------------------------------------------


def test_an_sso_sign_in_creates_the_same_kind_of_session(org):
    result = auth.sign_in_sso("SPO@example.org", claim="preferred_username")
    assert result.ok
    assert sessions.resume(result.session_id).method == SignInMethod.SSO


def test_refused_sso_attempts_are_in_the_trail_with_the_identity_claimed(org):
    missing = auth.sign_in_sso(None, claim="preferred_username")
    assert 'Ask your administrator to add the "preferred_username" claim' in missing.message
    unknown = auth.sign_in_sso("stranger@example.org")
    assert "Ask your administrator to add you" in unknown.message
    with session_scope() as session:
        refused = session.exec(select(AuditTrail.summary).where(AuditTrail.action == "sso_refused")).all()
    assert any("preferred_username" in s for s in refused)
    assert any("stranger@example.org" in s for s in refused)
    assert rows() == []
