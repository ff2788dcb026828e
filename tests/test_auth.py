"""Signing in: argon2id passwords, lockout after five failures, SSO matching, first run."""

from datetime import timedelta

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.organisation import AuditTrail, FirstAdminCreate, PasswordChange, User, utcnow
from qa.access import auth
from qa.errors import PermissionDenied, ValidationFailed
from qa.organisation import users
from qa.validation import validate
from tests.factories import PASSWORD


def test_passwords_are_stored_as_argon2id_hashes(org):
    with session_scope() as session:
        user = session.get(User, org.practitioner_id)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_the_portal_hashes_at_argon2ids_full_cost_not_the_tests_cheap_one():
    """The suite hashes cheaply (tests/conftest._cheap_password_hashing); the portal must not. A fresh
    interpreter, as the portal runs, hashes with argon2id at argon2-cffi's defaults: 64 MiB, 3 passes,
    4 lanes. A cheaper production setting would make stolen hashes easy to crack."""
    import subprocess
    import sys

    from argon2 import extract_parameters, profiles

    made = subprocess.run(
        [sys.executable, "-c", "from qa.access.passwords import hash_password; print(hash_password('x'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert made.startswith("$argon2id$")
    assert extract_parameters(made) == profiles.RFC_9106_LOW_MEMORY
    assert extract_parameters(made).memory_cost == 65536 and extract_parameters(made).time_cost == 3


def test_the_right_password_signs_in_and_returns_the_actor(org):
    result = auth.sign_in("PAT@example.org ", PASSWORD)
    assert result.ok
    assert result.actor.id == org.practitioner_id
    assert result.actor.team_id == org.team_a_id
    assert result.actor.pdu_id == org.north_pdu_id


def test_a_wrong_password_or_unknown_email_gives_the_same_message(org):
    wrong = auth.sign_in("pat@example.org", "nope")
    unknown = auth.sign_in("nobody@example.org", "nope")
    assert not wrong.ok and not unknown.ok
    # Word for word the same, with no countdown: a failed try never tells whether the email has an account.
    assert wrong.message == unknown.message == auth.WRONG_DETAILS


def test_five_failures_lock_the_account_for_fifteen_minutes(org):
    now = utcnow()
    for _ in range(4):
        assert auth.sign_in("pat@example.org", "wrong", now=now).message == auth.WRONG_DETAILS
    fifth = auth.sign_in("pat@example.org", "wrong", now=now)
    assert "locked for 15 minutes" in fifth.message
    # Even the right password is refused while locked.
    locked = auth.sign_in("pat@example.org", PASSWORD, now=now + timedelta(minutes=14))
    assert not locked.ok and "locked" in locked.message
    # After 15 minutes the right password works again.
    assert auth.sign_in("pat@example.org", PASSWORD, now=now + timedelta(minutes=15, seconds=1)).ok


def test_a_lockout_is_recorded_in_the_audit_trail(org):
    for _ in range(5):
        auth.sign_in("pat@example.org", "wrong")
    with session_scope() as session:
        actions = session.exec(select(AuditTrail.action).where(AuditTrail.entity_id == str(org.practitioner_id))).all()
    assert "locked" in actions


def test_a_successful_sign_in_resets_the_failure_count(org):
    for _ in range(4):
        auth.sign_in("pat@example.org", "wrong")
    assert auth.sign_in("pat@example.org", PASSWORD).ok
    for _ in range(4):
        auth.sign_in("pat@example.org", "wrong")
    assert auth.sign_in("pat@example.org", PASSWORD).ok


def test_deactivated_users_cannot_sign_in(org):
    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)
    result = auth.sign_in("pat@example.org", PASSWORD)
    assert not result.ok
    assert "deactivated" in result.message
    assert auth.load_actor(org.practitioner_id) is None


def test_load_actor_refuses_anything_but_a_real_user_id(org):
    for bogus in (None, "1", 1.0, True, 99999):
        assert auth.load_actor(bogus) is None


def test_sso_matches_an_existing_user_by_email(org):
    result = auth.sign_in_sso("SPO@example.org")
    assert result.ok and result.actor.id == org.spo_id


def test_sso_never_creates_an_account_for_an_unknown_identity(org):
    with session_scope() as session:
        before = len(session.exec(select(User)).all())
    result = auth.sign_in_sso("stranger@example.org")
    assert not result.ok
    assert "Ask your administrator to add you" in result.message
    with session_scope() as session:
        assert len(session.exec(select(User)).all()) == before


def test_sso_refuses_a_deactivated_user(org):
    users.set_active(org.actor(org.admin_id), org.spo_b_id, False)
    assert not auth.sign_in_sso("spo.b@example.org").ok


def change_password(actor, form):
    """As the My account page does: build the form model, then save."""
    auth.change_password(actor, validate(PasswordChange, form))


def create_first_admin(form):
    """As the first-run page does: build the form model, then save."""
    return auth.create_first_admin(validate(FirstAdminCreate, form))


def test_change_password_checks_the_current_one_and_the_confirmation(org):
    pat = org.actor(org.practitioner_id)
    with pytest.raises(ValidationFailed) as wrong:
        change_password(
            pat,
            {
                "current_password": "nope",
                "new_password": "a-new-long-password",
                "confirm_password": "a-new-long-password",
            },
        )
    assert "current_password" in wrong.value.field_errors
    with pytest.raises(ValidationFailed) as mismatch:
        change_password(
            pat, {"current_password": PASSWORD, "new_password": "a-new-long-password", "confirm_password": "different"}
        )
    assert "confirm_password" in mismatch.value.field_errors
    with pytest.raises(ValidationFailed) as short:
        change_password(pat, {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
    assert "at least 12" in short.value.field_errors["new_password"]
    change_password(
        pat,
        {
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
    )
    assert auth.sign_in("pat@example.org", "a-new-long-password").ok
    assert not auth.sign_in("pat@example.org", PASSWORD).ok


def test_first_administrator_only_while_there_are_no_users(db_url):
    assert not auth.has_any_user()
    form = {
        "full_name": "First Admin",
        "email": "first@example.org",
        "password": "long-enough-password",
        "confirm_password": "long-enough-password",
    }
    actor = create_first_admin(form)
    assert auth.has_any_user()
    assert actor.has("admin")
    with pytest.raises(PermissionDenied):
        create_first_admin(form | {"email": "second@example.org"})


def test_first_administrator_form_errors_are_plain_english(db_url):
    with pytest.raises(ValidationFailed) as exc:
        create_first_admin({"full_name": "", "email": "not-an-email", "password": "short", "confirm_password": "short"})
    errors = exc.value.field_errors
    assert errors["full_name"] == "Enter full name."
    assert errors["email"] == "Enter an email address like name@example.org"
    assert errors["password"] == "Password must be at least 12 characters."
    assert not auth.has_any_user()
