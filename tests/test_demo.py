"""The synthetic demo organisation with its history, and the ``python -m portal`` commands that load it.

The demo is loaded once for the module (it takes seconds) into its own SQLite file; each test
points the portal at it again, since other fixtures move the engine elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from db import engine as db_engine
from db import migrate
from db.audits import (
    AuditEvent,
    AuditorPair,
    CaseAudit,
    CaseSample,
    EventStatus,
    FeedbackSheet,
    FeedbackTheme,
    UrgentConcern,
)
from db.demo import (
    ADMIN_EMAIL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    NOT_EMPTY,
    PRACTITIONER_EMAIL,
    QA_LEAD_EMAIL,
    SPO_EMAIL,
)
from db.engine import ENV_VAR, session_scope
from db.observations import Observation, ObservationRating, ObservationStatus
from db.organisation import MANAGER_GRADES, Case, Grade, OrderType, Pdu, Role, RoshLevel, Team, User
from db.reflection import Debrief, EntryShare, JournalEntry, RequestStatus, SupportRequest
from db.supervision import SessionParticipant
from portal.synthetic import demo as synthetic_demo
from portal.synthetic.engine import Result
from qa.access.actor import Actor
from qa.access.auth import load_actor, sign_in
from qa.access.passwords import hash_password
from qa.audits import workflow as audit_workflow
from qa.audits.agreement import weighted_kappa
from qa.audits.pairing import Auditor, CaseToAudit, propose_pairs
from qa.dashboards import figures
from qa.dashboards.filters import default_filters
from qa.errors import NotFound, PermissionDenied
from qa.observations.calibration import calibration_report
from qa.organisation.directory import roles_by_user
from qa.reflection import debriefs, journal
from qa.reflection.wellbeing import team_wellbeing
from qa.settings import DEMO_FLAG, get_flag
from qa.supervision.cadence import DueStatus, cadence_for_supervisor
from tests.factories import make_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CASE_REF = re.compile(r"^[A-Z]\d{6}$")
# Hashed once for the module: argon2 is slow on purpose, and its salt is random.
DEMO_HASH = hash_password(DEMO_PASSWORD)
TODAY = date.today()


@dataclass
class Demo:
    url: str
    path: Path
    result: Result


def _load(path: Path) -> Demo:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    result = synthetic_demo.load_demo(url, password_hash=DEMO_HASH, today=TODAY)
    db_engine.get_engine(url).dispose()
    return Demo(url, path, result)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    # tests/conftest.py sets PQP_ENCRYPTION_KEYS for the whole run.
    return _load(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture
def demo(loaded, monkeypatch):
    monkeypatch.setenv(db_engine.ENV_VAR, loaded.url)
    db_engine.configure(loaded.url)
    yield loaded
    db_engine.configure(None)


def _actor(email: str) -> Actor:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
    actor = load_actor(user.id)
    assert actor is not None
    return actor


def _users_by_email(session) -> dict[str, User]:
    return {u.email: u for u in session.exec(select(User))}


# ------------------------------------------------------------- the organisation


def test_demo_has_two_pdus_six_teams_and_sixty_to_eighty_staff(demo):
    with session_scope() as session:
        assert len(session.exec(select(Pdu)).all()) == 2
        assert len(session.exec(select(Team)).all()) == 6
        staff = session.exec(select(User)).all()
    assert 60 <= len(staff) <= 80
    # The generator's staff, plus the new starters the administrator has still to place.
    assert len(staff) == demo.result.staff + len(synthetic_demo.NEW_STARTERS)


def test_every_practitioner_has_an_active_spo_as_supervisor(demo):
    with session_scope() as session:
        users = {u.id: u for u in session.exec(select(User))}
        roles = roles_by_user(session, list(users))
    practitioners = [u for u in users.values() if Role.PRACTITIONER in roles[u.id]]
    starters = [u for u in practitioners if u.email.startswith("new.starter")]
    # The new starters are deliberately unplaced: they are on the administrator's home page.
    assert len(starters) == len(synthetic_demo.NEW_STARTERS)
    assert all(u.supervisor_id is None for u in starters)
    for user in (u for u in practitioners if u not in starters):
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
    assert all(re.fullmatch(r"DEMO\d{6}", u.staff_id) for u in staff)
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
    assert 500 <= len(cases) <= 800
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


# ------------------------------------------------------------------ the history


def test_history_runs_for_about_eighteen_months_up_to_yesterday(demo):
    window = synthetic_demo.demo_window(TODAY)
    assert window.end == TODAY - timedelta(days=1)
    assert 18 * 30 <= (window.end - window.start).days <= 19 * 31
    with session_scope() as session:
        events = session.exec(select(AuditEvent)).all()
        debrief_days = [d.created_at.date() for d in session.exec(select(Debrief))]
    # A LEARN event each month in each PDU.
    for pdu_id in {e.pdu_id for e in events}:
        months = {(e.event_date.year, e.event_date.month) for e in events if e.pdu_id == pdu_id}
        assert len(months) >= 18
    held = [e for e in events if e.event_date <= window.end]
    assert all(window.start <= e.event_date for e in held)
    # Beyond the history, each PDU's next LEARN day is planned, its proposed sample not yet accepted.
    planned = [e for e in events if e.event_date > window.end]
    assert sorted(e.pdu_id for e in planned) == sorted({e.pdu_id for e in events})
    assert all(e.status == EventStatus.PLANNING and e.sample_accepted_at is None for e in planned)
    with session_scope() as session:
        sampled = session.exec(select(CaseSample).where(col(CaseSample.event_id).in_([e.id for e in planned]))).all()
    assert len(sampled) == sum(e.sample_size for e in planned)
    assert min(debrief_days) >= window.start and max(debrief_days) <= window.end


def test_each_readme_login_exists_with_its_role(demo):
    with session_scope() as session:
        users = _users_by_email(session)
        roles = roles_by_user(session, [users[e].id for e in DEMO_LOGINS])
    for email, role in DEMO_LOGINS.items():
        assert role in roles[users[email].id], email


def test_dashboards_have_figures_for_the_demo_spo_and_qa_lead(demo):
    for email in (SPO_EMAIL, QA_LEAD_EMAIL):
        actor = _actor(email)
        filters = default_filters(TODAY)
        quality = figures.audit_quality(actor, filters, TODAY)
        assert quality.audits > 0 and quality.sufficiency_by_month and quality.question_heatmap, email
        observed = figures.observation_summary(actor, filters, TODAY)
        assert observed.observations > 0 and observed.domains and observed.self_vs_observer, email
        supervision = figures.supervision_summary(actor, filters, TODAY)
        assert supervision.practitioners > 0 and supervision.items_discussed > 0, email
        assert 0 < supervision.within_target < supervision.practitioners, "some supervision is overdue"
        assert figures.rota_summary(actor, filters, TODAY).at_target > 0, email
        assert figures.wellbeing_summary(actor, filters).shown, email


def test_calibration_shows_kappa_for_several_observer_pairs(demo):
    qa_lead = _actor(QA_LEAD_EMAIL)
    with session_scope() as session:
        pdu_id = session.exec(select(Team.pdu_id).where(Team.id == qa_lead.team_id)).one()
        seconds = session.exec(select(Observation).where(col(Observation.calibration_of_id).is_not(None))).all()
        ratings: dict[int, dict[str, int]] = {}
        for r in session.exec(select(ObservationRating).where(col(ObservationRating.rating).is_not(None))):
            ratings.setdefault(r.observation_id, {})[r.domain_key] = r.rating
        by_pair: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        for second in seconds:
            first = session.get(Observation, second.calibration_of_id)
            a, b = ratings.get(first.id, {}), ratings.get(second.id, {})
            pair = by_pair.setdefault((first.observer_id, second.observer_id), ([], []))
            for key in a.keys() & b.keys():
                pair[0].append(a[key])
                pair[1].append(b[key])
    kappas = {p: weighted_kappa(a, b, [1, 2, 3, 4]) for p, (a, b) in by_pair.items() if a}
    assert sum(k is not None for k in kappas.values()) >= 3
    report = calibration_report(qa_lead, pdu_id)
    assert report.sessions >= 5
    assert all(d.weighted_kappa is not None for d in report.domains)


def test_team_wellbeing_shows_for_most_teams_and_is_suppressed_for_one(demo):
    start = datetime.combine(TODAY - timedelta(days=365), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    shown, hidden = [], []
    with session_scope() as session:
        teams = session.exec(select(Team)).all()
        pdu_of = {t.id: t.pdu_id for t in teams}
        acos = {pdu_of[u.team_id]: u.id for u in session.exec(select(User).where(User.grade == Grade.ACO))}
    for team in teams:
        actor = load_actor(acos[team.pdu_id])
        (shown if team_wellbeing(actor, team.id, start, end) is not None else hidden).append(team.id)
    assert len(shown) == 5
    assert hidden == [synthetic_demo.QUIET_TEAM]


def test_every_auditor_pair_is_mixed_grade(demo):
    with session_scope() as session:
        grades = {u.id: u.grade for u in session.exec(select(User))}
        pairs = session.exec(select(AuditorPair)).all()
        staff = session.exec(
            select(User).join(Team, col(User.team_id) == col(Team.id)).where(Team.pdu_id == 1, User.is_active)
        ).all()
        cases = session.exec(select(Case).where(Case.pdu_id == 1).order_by(col(Case.id)).limit(20)).all()
    assert pairs
    for pair in pairs:
        assert (grades[pair.first_id] in MANAGER_GRADES) != (grades[pair.second_id] in MANAGER_GRADES), pair
    # The portal's own pairing rules find a mixed pair for every two cases of the largest sample.
    auditors = [Auditor(u.id, u.full_name, u.grade) for u in staff]
    proposal = propose_pairs(auditors, [CaseToAudit(c.id, c.holder_id) for c in cases], seed=1)
    assert len(proposal.pairs) == 10
    assert all(
        (grades[p.first_id] in MANAGER_GRADES) != (grades[p.second_id] in MANAGER_GRADES) for p in proposal.pairs
    )
    assert not [n for n in proposal.notes if "has no" in n]


def test_learn_has_concerns_themes_and_moderation_in_the_qa_leads_pdu(demo):
    with session_scope() as session:
        concerns = session.exec(
            select(UrgentConcern).join(Case, col(Case.id) == col(UrgentConcern.case_id)).where(Case.pdu_id == 1)
        ).all()
        themes = session.exec(
            select(FeedbackTheme).join(CaseAudit, col(CaseAudit.id) == col(FeedbackTheme.audit_id))
        ).all()
        moderation = session.exec(select(CaseAudit).where(col(CaseAudit.moderates_id).is_not(None))).all()
    assert any(c.acknowledged_at is None for c in concerns), "one urgent concern not yet acknowledged"
    assert any(c.acknowledged_at is not None for c in concerns)
    assert themes and moderation


def test_the_practitioner_and_spo_have_work_waiting(demo):
    me, spo = _actor(PRACTITIONER_EMAIL), _actor(SPO_EMAIL)
    with session_scope() as session:
        my_audits = session.exec(
            select(CaseAudit, FeedbackSheet)
            .join(Case, col(Case.id) == col(CaseAudit.case_id))
            .join(FeedbackSheet, col(FeedbackSheet.audit_id) == col(CaseAudit.id))
            .where(Case.holder_id == me.id)
        ).all()
        from db.audits import ActionStatus, AuditAction

        overdue = session.exec(
            select(AuditAction).where(
                AuditAction.owner_id == me.id, AuditAction.status == ActionStatus.OPEN, AuditAction.due_date < TODAY
            )
        ).all()
        my_obs = session.exec(select(Observation).where(Observation.practitioner_id == me.id)).all()
        notes = session.exec(select(JournalEntry).where(JournalEntry.author_id == me.id)).all()
        shares = session.exec(select(EntryShare).where(EntryShare.author_id == me.id)).all()
        sessions = session.exec(select(SessionParticipant).where(SessionParticipant.practitioner_id == me.id)).all()
        requests = session.exec(
            select(SupportRequest).where(
                SupportRequest.recipient_id == spo.id, SupportRequest.status != RequestStatus.DONE
            )
        ).all()
        to_discuss = session.exec(
            select(CaseAudit).where(CaseAudit.feedback_to_id == spo.id, CaseAudit.status == "feedback sent")
        ).all()
    assert my_audits and any(sheet.holder_reply is None for _, sheet in my_audits)
    assert overdue
    assert any(o.status == ObservationStatus.SHARED for o in my_obs)
    assert any(o.reply for o in my_obs)
    assert notes and shares and len(sessions) >= 8
    assert requests and to_discuss
    cadence = cadence_for_supervisor(spo, TODAY)
    assert any(r.status == DueStatus.OVERDUE for r in cadence)
    assert any(r.status != DueStatus.OVERDUE for r in cadence)


@pytest.mark.parametrize(
    "email, kinds",
    [
        (PRACTITIONER_EMAIL, {"feedback_ready", "action_assigned", "observation_shared"}),
        (SPO_EMAIL, {"feedback_ready", "support_request"}),
        (QA_LEAD_EMAIL, {"urgent_concern"}),
        (ADMIN_EMAIL, {"person_to_place"}),
    ],
)
def test_each_login_has_unread_notifications_about_its_own_history(demo, email, kinds):
    from qa.notifications import inbox

    me = _actor(email)
    items = inbox.inbox(me, per_page=100).items
    assert inbox.my_unread_count(me) > 0
    assert kinds <= {i.kind for i in items if not i.read}
    # Each one opens a record this person may see, and says nothing private.
    for item in items:
        if item.record is None:  # only the SPO's urgent concern, acknowledged among the team's feedback
            assert (item.kind, email) == ("urgent_concern", SPO_EMAIL)
        elif item.record.kind in ("case_audit", "feedback_sheet"):
            audit_workflow.ensure_visible(me, item.record.id)
    assert all(not item.wording.startswith("[Demo]") for item in items)


def test_private_notes_and_debriefs_are_readable_only_by_their_authors(demo):
    admin, spo = _actor(ADMIN_EMAIL), _actor(SPO_EMAIL)
    with session_scope() as session:
        team = session.exec(select(User).where(User.team_id == spo.team_id, User.id != spo.id)).all()
        ids = [u.id for u in team]
        notes = session.exec(select(JournalEntry).where(col(JournalEntry.author_id).in_(ids))).all()
        shared = {s.entry_id: s.shared_with_id for s in session.exec(select(EntryShare))}
        their_debriefs = session.exec(select(Debrief).where(col(Debrief.author_id).in_(ids)).limit(20)).all()
    assert notes and their_debriefs
    for entry in notes:
        author = load_actor(entry.author_id)
        view = journal.note(author, entry.id)
        assert view.title.startswith("[Demo]")
        for other in (admin, spo):
            if shared.get(entry.id) == other.id:
                assert journal.note(other, entry.id).title == view.title
                continue
            with pytest.raises((NotFound, PermissionDenied)):
                journal.note(other, entry.id)
    for row in their_debriefs:
        assert debriefs.debrief(load_actor(row.author_id), row.id)
        with pytest.raises((NotFound, PermissionDenied)):
            debriefs.debrief(admin, row.id)
    raw = sqlite3.connect(demo.path)
    try:
        for table, column in (("journal_entry", "content"), ("debrief", "content"), ("agenda_item", "title")):
            for (value,) in raw.execute(f"SELECT {column} FROM {table}"):
                if table == "agenda_item":
                    assert "[Demo]" not in value, "an agenda item never copies a private note's title"
                else:
                    assert value.startswith("gAAAA"), f"{table}.{column} is encrypted"
    finally:
        raw.close()


# ------------------------------------------------------- safety and repeatability


def test_the_portal_knows_it_holds_synthetic_data(demo):
    with session_scope() as session:
        assert get_flag(session, DEMO_FLAG) == "true"


def _digest(path: Path) -> dict[str, str]:
    """Every table's rows, except what differs on every load: Fernet tokens (random IVs) and load times."""
    skip = {"content", "notes", "personal_notes", "decision", "rationale", "discussion_note", "comments", "snapshot"}
    skip |= {"last_login_at", "failed_logins", "locked_until"}  # other tests in the module sign in
    conn = sqlite3.connect(path)
    try:
        out = {}
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name <> 'alembic_version'")
        for (table,) in tables.fetchall():
            # Other tests in the module sign in, open records and save (which moves the data version on).
            if table in ("audit_trail", "record_view", "sign_in_session", "sign_in_attempt", "data_version"):
                continue
            encrypted = {"agenda_item": {"title"}}.get(table, set())
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] not in skip | encrypted]
            rows = conn.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"')
            out[table] = hashlib.sha256(repr(sorted(map(repr, rows.fetchall()))).encode()).hexdigest()
        return out
    finally:
        conn.close()


def test_the_same_seed_and_day_give_the_same_rows(loaded, tmp_path):
    again = _load(tmp_path / "again.db")
    assert again.result.counts == loaded.result.counts
    first, second = _digest(loaded.path), _digest(again.path)
    assert [t for t in first if first[t] != second.get(t)] == []


def test_the_generated_text_is_marked_as_synthetic():
    rng_texts = (
        synthetic_demo.WHAT_HAPPENED
        + synthetic_demo.NOTE_TITLES
        + synthetic_demo.NOTE_TEXTS
        + (synthetic_demo.ACTION_TEXT, synthetic_demo.CONCERN_TEXT, synthetic_demo.REPLY_TEXT, synthetic_demo.GOAL_TEXT)
    )
    assert all(text.startswith("[Demo] ") for text in rng_texts)


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
    assert "LEARN events" in first.stdout

    second = _run_portal("demo", "--if-empty", url=url)
    assert second.returncode == 0, second.stderr
    assert "Database already has data; leaving it as it is." in second.stdout

    without_flag = _run_portal("demo", url=url)
    assert without_flag.returncode == 1
    assert NOT_EMPTY in without_flag.stderr


def test_the_demo_command_refuses_a_database_that_already_has_users(db_url):
    make_user("Real Person", "real@example.org", Grade.OTHER, [Role.ADMIN])
    result = _run_portal("demo", url=db_url)
    assert result.returncode == 1
    assert NOT_EMPTY in result.stderr
    with session_scope() as session:
        assert len(session.exec(select(User)).all()) == 1
        assert session.exec(select(Case)).first() is None
        assert get_flag(session, DEMO_FLAG) is None
