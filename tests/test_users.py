"""Administrators create, edit, deactivate and reactivate staff accounts."""

import pytest
from sqlmodel import func, select

from db.engine import session_scope
from db.organisation import AuditTrail, User, UserCreate, UserUpdate
from qa.access import auth
from qa.errors import ValidationFailed
from qa.organisation import users
from qa.validation import validate


def new_person(**overrides):
    form = {
        "full_name": "Nia Newstarter",
        "email": "nia@example.org",
        "grade": "PSO",
        "roles": ["practitioner"],
        "team_id": None,
        "supervisor_id": None,
        "staff_id": "N001",
        "password": "a-long-first-password",
    }
    form.update(overrides)
    return form


def trail_count():
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(AuditTrail)).one()


def test_an_admin_creates_a_practitioner_with_team_and_supervisor(org):
    admin = org.actor(org.admin_id)
    created = users.create_user(
        admin, validate(UserCreate, new_person(team_id=org.team_a_id, supervisor_id=org.spo_id))
    )
    assert created.team_name == "Team A"
    assert created.supervisor_name == "Sam Supervisor"
    assert created.roles == ["practitioner"]
    assert auth.sign_in("nia@example.org", "a-long-first-password").ok


def test_creating_a_user_is_recorded_in_the_audit_trail(org):
    before = trail_count()
    users.create_user(
        org.actor(org.admin_id), validate(UserCreate, new_person(team_id=org.team_a_id, supervisor_id=org.spo_id))
    )
    assert trail_count() == before + 1


def test_a_practitioner_needs_a_supervisor(org):
    with pytest.raises(ValidationFailed) as exc:
        users.create_user(org.actor(org.admin_id), validate(UserCreate, new_person()))
    assert exc.value.field_errors["supervisor_id"] == "A practitioner needs a supervisor."


def test_duplicate_email_and_staff_id_are_refused_next_to_the_field(org):
    with pytest.raises(ValidationFailed) as exc:
        users.create_user(
            org.actor(org.admin_id),
            validate(UserCreate, new_person(email="PAT@example.org", staff_id="P001", supervisor_id=org.spo_id)),
        )
    assert exc.value.field_errors["email"] == "Another user already has this email address."
    assert exc.value.field_errors["staff_id"] == "Another user already has this staff ID."


def test_over_long_input_is_refused_not_truncated(org):
    with pytest.raises(ValidationFailed) as exc:
        users.create_user(
            org.actor(org.admin_id), validate(UserCreate, new_person(full_name="x" * 121, supervisor_id=org.spo_id))
        )
    assert (
        exc.value.field_errors["full_name"]
        == "Full name must be 120 characters or fewer (you entered 121). Nothing has been saved."
    )
    with session_scope() as session:
        assert session.exec(select(User).where(User.email == "nia@example.org")).first() is None


def test_a_refused_form_saves_nothing(org):
    before = trail_count()
    with pytest.raises(ValidationFailed):
        users.create_user(
            org.actor(org.admin_id), validate(UserCreate, new_person(team_id=9999, supervisor_id=org.spo_id))
        )
    with session_scope() as session:
        assert session.exec(select(User).where(User.email == "nia@example.org")).first() is None
    assert trail_count() == before


def test_editing_records_which_fields_changed(org):
    admin = org.actor(org.admin_id)
    current = users.get_user(admin, org.peer_id)
    form = current.model_dump(include={"full_name", "email", "grade", "staff_id", "team_id", "supervisor_id", "roles"})
    updated = users.update_user(
        admin, org.peer_id, validate(UserUpdate, form | {"grade": "PO", "team_id": org.team_b_id})
    )
    assert updated.grade == "PO" and updated.team_name == "Team B"
    with session_scope() as session:
        last = session.exec(select(AuditTrail).order_by(AuditTrail.id.desc())).first()
    assert last.action == "changed"
    assert last.summary == "changed: grade, team_id"


def test_saving_an_unchanged_form_writes_nothing(org):
    admin = org.actor(org.admin_id)
    current = users.get_user(admin, org.peer_id)
    before = trail_count()
    users.update_user(
        admin,
        org.peer_id,
        validate(
            UserUpdate,
            current.model_dump(
                include={"full_name", "email", "grade", "staff_id", "team_id", "supervisor_id", "roles"}
            ),
        ),
    )
    assert trail_count() == before


def test_nobody_can_supervise_themselves(org):
    admin = org.actor(org.admin_id)
    current = users.get_user(admin, org.spo_id)
    form = current.model_dump(include={"full_name", "email", "grade", "staff_id", "team_id", "supervisor_id", "roles"})
    with pytest.raises(ValidationFailed) as exc:
        users.update_user(admin, org.spo_id, validate(UserUpdate, form | {"supervisor_id": org.spo_id}))
    assert "own supervisor" in exc.value.field_errors["supervisor_id"]


def test_an_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(org):
    admin = org.actor(org.admin_id)
    me = users.get_user(admin, org.admin_id)
    form = me.model_dump(include={"full_name", "email", "grade", "staff_id", "team_id", "supervisor_id", "roles"})
    with pytest.raises(ValidationFailed):
        users.update_user(admin, org.admin_id, validate(UserUpdate, form | {"roles": ["spo"]}))
    with pytest.raises(ValidationFailed):
        users.set_active(admin, org.admin_id, False)


def test_deactivation_keeps_history_and_can_be_undone(org):
    admin = org.actor(org.admin_id)
    users.set_active(admin, org.peer_id, False)
    kept = users.get_user(admin, org.peer_id)
    assert not kept.is_active and kept.team_name == "Team A"
    assert "Pip Peer" in [u.full_name for u in users.list_users(admin)]
    assert "Pip Peer" not in [u.full_name for u in users.list_users(admin, include_inactive=False)]
    users.set_active(admin, org.peer_id, True)
    assert auth.load_actor(org.peer_id) is not None


def test_an_admin_password_reset_also_lifts_a_lockout(org):
    for _ in range(5):
        auth.sign_in("pat@example.org", "wrong")
    users.set_password(org.actor(org.admin_id), org.practitioner_id, "freshly-set-password")
    assert auth.sign_in("pat@example.org", "freshly-set-password").ok
