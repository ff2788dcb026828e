"""The synthetic demo organisation, and the ``python -m portal`` commands that load it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from db.demo import (
    ADMIN_EMAIL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    NOT_EMPTY,
    PRACTITIONER_EMAIL,
    QA_LEAD_EMAIL,
    SPO_EMAIL,
    build,
    load_demo,
)
from db.engine import ENV_VAR, session_scope
from db.organisation import Case, Grade, OrderType, Pdu, Role, RoshLevel, Team, User
from qa.access.auth import sign_in
from qa.access.passwords import hash_password
from qa.organisation.directory import roles_by_user
from qa.settings import DEMO_FLAG, get_flag
from tests.factories import make_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CASE_REF = re.compile(r"^[A-Z]\d{6}$")
# Hashed once for the module: argon2 is slow on purpose.
DEMO_HASH = hash_password(DEMO_PASSWORD)


@pytest.fixture
def demo(db_url):
    started = time.perf_counter()
    summary = load_demo(password_hash=DEMO_HASH)
    elapsed = time.perf_counter() - started
    return summary, elapsed


def _users_by_email(session) -> dict[str, User]:
    return {u.email: u for u in session.exec(select(User))}


# ------------------------------------------------------------- the organisation


def test_demo_has_two_pdus_six_teams_and_about_sixty_staff(demo):
    summary, elapsed = demo
    with session_scope() as session:
        assert len(session.exec(select(Pdu)).all()) == 2 == summary.pdus
        assert len(session.exec(select(Team)).all()) == 6 == summary.teams
        staff = session.exec(select(User)).all()
    assert 50 <= len(staff) <= 70
    assert len(staff) == summary.staff
    assert elapsed < 10, "loading the demo should take seconds, not minutes"


def test_every_practitioner_has_an_active_spo_as_supervisor(demo):
    with session_scope() as session:
        users = {u.id: u for u in session.exec(select(User))}
        roles = roles_by_user(session, list(users))
    practitioners = [u for u in users.values() if Role.PRACTITIONER in roles[u.id]]
    assert practitioners
    for user in practitioners:
        supervisor = users.get(user.supervisor_id)
        assert supervisor is not None and supervisor.is_active, user.email
        assert Role.SPO in roles[supervisor.id]


def test_spos_are_supervised_by_the_aco_of_their_pdu(demo):
    with session_scope() as session:
        users = {u.id: u for u in session.exec(select(User))}
        teams = {t.id: t for t in session.exec(select(Team))}
    for spo in (u for u in users.values() if u.grade == Grade.SPO):
        aco = users[spo.supervisor_id]
        assert aco.grade == Grade.ACO
        assert teams[aco.team_id].pdu_id == teams[spo.team_id].pdu_id


def test_staff_ids_and_emails_are_unique_and_look_like_the_readme_says(demo):
    with session_scope() as session:
        staff = session.exec(select(User)).all()
    assert len({u.staff_id for u in staff}) == len(staff)
    assert all(re.fullmatch(r"DEMO\d{4}", u.staff_id) for u in staff)
    assert all(u.email.endswith("@demo.example") for u in staff)


@pytest.mark.parametrize("email", list(DEMO_LOGINS))
def test_each_demo_login_signs_in_with_the_demo_password(demo, email):
    result = sign_in(email, DEMO_PASSWORD)
    assert result.ok, result.message
    assert result.actor.has(DEMO_LOGINS[email])


def test_demo_logins_form_one_line_of_supervision(demo):
    """The practitioner is supervised by the SPO, who reports to the QA lead."""
    with session_scope() as session:
        users = _users_by_email(session)
        pdus = {t.id: t.pdu_id for t in session.exec(select(Team))}
    practitioner, spo, qa_lead = users[PRACTITIONER_EMAIL], users[SPO_EMAIL], users[QA_LEAD_EMAIL]
    assert practitioner.grade == Grade.PO
    assert practitioner.supervisor_id == spo.id
    assert practitioner.team_id == spo.team_id
    assert spo.supervisor_id == qa_lead.id
    assert qa_lead.grade == Grade.ACO
    assert pdus[qa_lead.team_id] == pdus[spo.team_id]
    admin = users[ADMIN_EMAIL]
    assert admin.team_id is None


# -------------------------------------------------------------------- the cases


def test_cases_are_pseudonymous_and_sit_with_their_holders_team(demo):
    with session_scope() as session:
        cases = session.exec(select(Case)).all()
        holders = {u.id: u for u in session.exec(select(User))}
        pdus = {t.id: t.pdu_id for t in session.exec(select(Team))}
    assert 250 <= len(cases) <= 400
    refs = [c.case_ref for c in cases]
    assert len(set(refs)) == len(refs)
    assert all(CASE_REF.match(ref) for ref in refs)
    for case in cases:
        holder = holders[case.holder_id]
        assert holder.grade in (Grade.PO, Grade.PSO)
        assert case.team_id == holder.team_id
        assert case.pdu_id == pdus[holder.team_id]
        assert case.expected_end_date is None or case.expected_end_date > case.start_date


def test_higher_risk_cases_are_held_by_probation_officers(demo):
    with session_scope() as session:
        grades = {u.id: u.grade for u in session.exec(select(User))}
        cases = session.exec(select(Case)).all()
    for case in cases:
        if case.rosh in (RoshLevel.HIGH, RoshLevel.VERY_HIGH):
            assert grades[case.holder_id] == Grade.PO, case.case_ref


def test_the_caseload_has_a_realistic_mix(demo):
    with session_scope() as session:
        cases = session.exec(select(Case)).all()
    assert {c.order_type for c in cases} == set(OrderType)
    assert {c.rosh for c in cases} == set(RoshLevel)
    assert 0.03 < sum(c.in_custody for c in cases) / len(cases) < 0.15


# ------------------------------------------------------- safety and repeatability


def test_the_portal_knows_it_holds_synthetic_data(demo):
    with session_scope() as session:
        assert get_flag(session, DEMO_FLAG) == "true"


def test_refuses_a_database_that_already_has_users(db_url):
    make_user("Real Person", "real@example.org", Grade.OTHER, [Role.ADMIN])
    with pytest.raises(RuntimeError, match=re.escape(NOT_EMPTY)):
        load_demo(password_hash=DEMO_HASH)
    with session_scope() as session:
        assert len(session.exec(select(User)).all()) == 1
        assert session.exec(select(Case)).first() is None
        assert get_flag(session, DEMO_FLAG) is None


def test_the_same_seed_builds_the_same_organisation():
    first, again, other = build(7), build(7), build(8)
    assert first == again
    assert [p.full_name for p in first.people] != [p.full_name for p in other.people]
    assert [c.case_ref for c in first.cases] != [c.case_ref for c in other.cases]


def test_what_is_saved_is_what_was_built(demo):
    planned = build()
    with session_scope() as session:
        saved_people = {(u.staff_id, u.full_name, u.email) for u in session.exec(select(User))}
        saved_refs = {c.case_ref for c in session.exec(select(Case))}
    assert saved_people == {(p.staff_id, p.full_name, p.email) for p in planned.people}
    assert saved_refs == {c.case_ref for c in planned.cases}


# --------------------------------------------------------------------- the CLI


def _run_portal(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, ENV_VAR: url}
    return subprocess.run(
        [sys.executable, "-m", "portal", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_quick_start_demo_command_is_safe_to_run_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'quickstart.db'}"

    first = _run_portal("demo", "--if-empty", url=url)
    assert first.returncode == 0, first.stderr
    assert "Loaded the synthetic demo organisation" in first.stdout

    second = _run_portal("demo", "--if-empty", url=url)
    assert second.returncode == 0, second.stderr
    assert "Database already has data; leaving it as it is." in second.stdout

    without_flag = _run_portal("demo", url=url)
    assert without_flag.returncode == 1
    assert NOT_EMPTY in without_flag.stderr
