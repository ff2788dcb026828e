"""The access log: each view of a record about someone else is one row, the
subject alone can read their log, and the log cannot be rewritten."""

from datetime import timedelta

import pytest
from sqlmodel import select

from db.access_log import RecordKind, RecordView
from db.engine import session_scope
from db.reflection import DebriefCreate, EntryKind
from qa.access import access_log
from qa.access.policy import AccessLogScope, Action, can
from qa.audits import workflow
from qa.errors import NotFound, PermissionDenied
from qa.observations import development
from qa.observations import workflow as observations
from qa.reflection import debriefs, journal, sharing
from qa.supervision import records as supervision
from qa.validation import validate
from tests.test_observations import shared as shared_observation
from tests.test_reflection import debrief_form, write_note
from tests.test_supervision import record, sent_audit

ROLES = ["admin_id", "qa_lead_id", "spo_id", "spo_b_id", "practitioner_id", "peer_id", "outsider_id"]


def views(**where) -> list[RecordView]:
    with session_scope() as session:
        query = select(RecordView).order_by(RecordView.id)
        for name, value in where.items():
            query = query.where(getattr(RecordView, name) == value)
        return list(session.exec(query))


def rows_for(org, kind, record_id):
    return [(v.viewer_id, v.subject_id) for v in views(record_kind=kind, record_id=record_id)]


# --- one row per view by someone else, none for your own ---------------------------


def test_an_observation_viewed_by_others_is_logged_once_each_and_not_by_the_practitioner(org):
    obs_id = shared_observation(org)
    observations.observation_detail(org.actor(org.practitioner_id), obs_id)
    observations.observation_detail(org.actor(org.qa_lead_id), obs_id)
    assert rows_for(org, RecordKind.OBSERVATION, obs_id) == [(org.qa_lead_id, org.practitioner_id)]
    observations.observation_detail(org.actor(org.spo_id), obs_id)  # the observer
    assert rows_for(org, RecordKind.OBSERVATION, obs_id) == [
        (org.qa_lead_id, org.practitioner_id),
        (org.spo_id, org.practitioner_id),
    ]


def test_the_development_profile_viewed_by_the_spo_is_logged(org):
    development.development(org.actor(org.practitioner_id), org.practitioner_id)
    assert views(record_kind=RecordKind.DEVELOPMENT) == []
    development.development(org.actor(org.spo_id), org.practitioner_id)
    assert rows_for(org, RecordKind.DEVELOPMENT, org.practitioner_id) == [(org.spo_id, org.practitioner_id)]


def test_a_supervision_record_is_logged_for_the_practitioner_when_anyone_else_opens_it(org):
    session_id = record(org)
    supervision.session_record(org.actor(org.practitioner_id), session_id)
    assert views(record_kind=RecordKind.SUPERVISION_SESSION) == []
    supervision.session_record(org.actor(org.spo_id), session_id)
    supervision.session_record(org.actor(org.qa_lead_id), session_id)  # oversight
    assert rows_for(org, RecordKind.SUPERVISION_SESSION, session_id) == [
        (org.spo_id, org.practitioner_id),
        (org.qa_lead_id, org.practitioner_id),
    ]


def test_a_group_supervision_record_is_logged_for_each_other_participant(org):
    session_id = record(org, participants=[org.practitioner_id, org.peer_id], kind="group case discussion", actions=[])
    supervision.session_record(org.actor(org.practitioner_id), session_id)
    assert rows_for(org, RecordKind.SUPERVISION_SESSION, session_id) == [(org.practitioner_id, org.peer_id)]


def test_a_draft_audit_is_logged_for_the_case_holder_and_the_sent_sheet_as_a_feedback_sheet(org):
    audit_id = sent_audit(org)
    holder_rows = views(record_kind=RecordKind.CASE_AUDIT, record_id=audit_id)
    # The auditor opened the draft while working on it: one row, about the case holder.
    assert [(v.subject_id) for v in holder_rows] == [org.practitioner_id]
    assert len(holder_rows) == 1
    workflow.audit_detail(org.actor(org.practitioner_id), audit_id)  # the holder reads their own feedback
    assert views(record_kind=RecordKind.FEEDBACK_SHEET) == []
    workflow.audit_detail(org.actor(org.spo_id), audit_id)
    assert rows_for(org, RecordKind.FEEDBACK_SHEET, audit_id) == [(org.spo_id, org.practitioner_id)]


def test_a_shared_note_is_logged_when_the_person_it_was_shared_with_reads_it(org):
    note_id = write_note(org)
    pat = org.actor(org.practitioner_id)
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id)
    journal.note(pat, note_id)
    assert views(record_kind=RecordKind.SHARED_NOTE) == []
    journal.note(org.actor(org.spo_id), note_id)
    assert rows_for(org, RecordKind.SHARED_NOTE, note_id) == [(org.spo_id, org.practitioner_id)]


def test_a_shared_debrief_is_logged_when_the_person_it_was_shared_with_reads_it(org):
    pat = org.actor(org.practitioner_id)
    saved = debriefs.record_debrief(pat, validate(DebriefCreate, debrief_form()))
    sharing.share(pat, EntryKind.DEBRIEF, saved.id, org.peer_id)
    debriefs.my_debriefs(pat)
    debriefs.debrief(pat, saved.id)
    assert views(record_kind=RecordKind.SHARED_DEBRIEF) == []
    debriefs.debrief(org.actor(org.peer_id), saved.id)
    assert rows_for(org, RecordKind.SHARED_DEBRIEF, saved.id) == [(org.peer_id, org.practitioner_id)]


def test_a_refused_view_is_not_logged(org):
    note_id = write_note(org)
    with pytest.raises((PermissionDenied, NotFound)):
        journal.note(org.actor(org.spo_id), note_id)  # not shared
    obs_id = shared_observation(org)
    with pytest.raises((PermissionDenied, NotFound)):
        observations.observation_detail(org.actor(org.peer_id), obs_id)
    assert views(viewer_id=org.spo_id, record_kind=RecordKind.SHARED_NOTE) == []
    assert views(viewer_id=org.peer_id) == []


def test_linking_a_note_to_an_audit_checks_access_without_logging_a_view(org):
    audit_id = sent_audit(org)
    spo = org.actor(org.spo_id)
    note_id = journal.new_note(spo)
    before = len(views(viewer_id=org.spo_id))
    journal.save_note(spo, note_id, title="Before supervision", audit_id=audit_id)
    assert len(views(viewer_id=org.spo_id)) == before


def test_reopening_within_the_window_is_one_view_and_after_it_another(org, monkeypatch):
    session_id = record(org)
    spo = org.actor(org.spo_id)
    for _ in range(3):  # a page redraws on every click
        supervision.session_record(spo, session_id)
    assert len(views(record_kind=RecordKind.SUPERVISION_SESSION)) == 1
    monkeypatch.setattr(access_log, "REPEAT_WINDOW", timedelta(0))
    supervision.session_record(spo, session_id)
    assert len(views(record_kind=RecordKind.SUPERVISION_SESSION)) == 2


# --- reading the log -------------------------------------------------------------------


def test_my_log_lists_only_views_of_my_records_newest_first_in_plain_words(org):
    session_id = record(org)
    obs_id = shared_observation(org)
    observations.observation_detail(org.actor(org.qa_lead_id), obs_id)
    supervision.session_record(org.actor(org.spo_id), session_id)
    other = shared_observation(org, practitioner_id=org.peer_id)
    observations.observation_detail(org.actor(org.qa_lead_id), other)  # about Pip, not Pat

    rows = access_log.views_of_my_records(org.actor(org.practitioner_id))
    assert [(r.viewer_name, r.kind) for r in rows] == [
        ("Sam Supervisor", "supervision_session"),
        ("Quinn Lead", "observation"),
    ]
    assert rows[0].at >= rows[1].at
    assert "your supervisor" in rows[0].viewer_role
    assert "quality-assurance lead" in rows[1].viewer_role
    assert rows[0].description.startswith("Supervision record of ")
    assert rows[1].description.startswith("Observation of your practice on ")
    pip_rows = access_log.views_of_my_records(org.actor(org.peer_id))
    assert {r.record_id for r in pip_rows} == {other}


def test_a_deleted_shared_note_still_shows_in_the_log_without_its_title(org):
    note_id = write_note(org)
    pat = org.actor(org.practitioner_id)
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id)
    journal.note(org.actor(org.spo_id), note_id)
    assert access_log.views_of_my_records(pat)[0].description == "Your reflective note “After the home visit”"
    journal.delete_note(pat, note_id)
    assert access_log.views_of_my_records(pat)[0].description == "A reflective note you have since deleted"


def test_the_period_filter_narrows_the_list(org):
    session_id = record(org)
    supervision.session_record(org.actor(org.spo_id), session_id)
    pat = org.actor(org.practitioner_id)
    from db.organisation import utcnow

    assert len(access_log.views_of_my_records(pat, since=utcnow() - timedelta(days=1))) == 1
    assert access_log.views_of_my_records(pat, since=utcnow() + timedelta(minutes=1)) == []


# --- who may read it ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("subject", ["practitioner_id", "spo_id", "admin_id"])
def test_access_log_permission_matrix(org, who, subject):
    """Each role against each person's log: only the person themselves, no role overrides it."""
    actor = org.actor(getattr(org, who))
    assert can(actor, Action.VIEW_ACCESS_LOG, AccessLogScope(getattr(org, subject))) == (who == subject)


def test_the_rule_refuses_a_missing_actor_or_the_wrong_target(org):
    pat = org.actor(org.practitioner_id)
    assert not can(None, Action.VIEW_ACCESS_LOG, AccessLogScope(org.practitioner_id))
    assert not can(pat, Action.VIEW_ACCESS_LOG, None)
    assert not can(pat, Action.VIEW_ACCESS_LOG, org.practitioner_id)


def test_the_service_reads_only_the_signed_in_persons_log(org):
    """There is no parameter for whose log: an admin asking gets their own, empty, log."""
    session_id = record(org)
    supervision.session_record(org.actor(org.spo_id), session_id)
    assert access_log.views_of_my_records(org.actor(org.admin_id)) == []
    assert len(access_log.views_of_my_records(org.actor(org.practitioner_id))) == 1


def test_the_service_refuses_without_an_actor(org):
    with pytest.raises(PermissionDenied):
        access_log.views_of_my_records(None)


# --- append-only -------------------------------------------------------------------------


def test_the_log_cannot_be_changed_or_deleted_through_the_orm(org):
    session_id = record(org)
    supervision.session_record(org.actor(org.spo_id), session_id)
    with pytest.raises(PermissionError):
        with session_scope() as session:
            row = session.exec(select(RecordView)).one()
            row.viewer_id = org.admin_id
            session.add(row)
    with pytest.raises(PermissionError):
        with session_scope() as session:
            session.delete(session.exec(select(RecordView)).one())
    assert [(v.viewer_id) for v in views()] == [org.spo_id]


def test_each_record_kind_has_a_label():
    assert set(access_log.KIND_LABELS) == set(RecordKind)
