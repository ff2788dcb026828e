"""Supervision closes the loop: the agenda gathers what awaits discussion, a
session records it, both people sign, changes keep their history, and
cadence shows who is due."""

from datetime import date, timedelta

import pytest

from db.audits import AuditActionCreate, AuditEventCreate, AuditStatus
from db.engine import session_scope
from db.observations import DevelopmentGoalCreate, ObservationPlan, ObservationRecord, RatingInput
from db.organisation import User
from db.reflection import DebriefCreate, EntryKind
from db.supervision import AgendaKind, SessionRecordCreate, SessionRecordUpdate
from qa.audits import events as audit_events
from qa.audits import workflow
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.observations import workflow as observations
from qa.reflection import debriefs, sharing
from qa.supervision import agenda, cadence
from qa.supervision import records as supervision
from qa.validation import validate
from tests.factories import case_pool
from tests.test_learn_loop import EVENT_DAY, all_yes
from tests.test_observations import RECORD, accept_invitation, ratings
from tests.test_reflection import write_note

TODAY = date.today()


def sent_audit(org, with_action=True):
    """An audit of one of Pat's cases, submitted, so its sheet is with Pat's SPO."""
    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    audit_events.accept_sample(lead, event.id)
    pairs = audit_events.pairs_view(lead, event.id)
    for pair in pairs.pairs:
        for case in pair.cases:
            auditor = org.actor(pair.first_id)
            detail = workflow.audit_detail(auditor, case.audit_id)
            if detail.holder_id != org.practitioner_id:
                continue
            version = workflow.save_draft(auditor, case.audit_id, all_yes(detail), None, detail.version)
            if with_action:
                workflow.add_action(
                    auditor,
                    case.audit_id,
                    validate(
                        AuditActionCreate,
                        {
                            "description": "Refer to MAPPA",
                            "owner_id": org.practitioner_id,
                            "due_date": TODAY + timedelta(days=7),
                        },
                    ),
                )
            workflow.submit(auditor, case.audit_id, version)
            return case.audit_id
    raise AssertionError("every sample of this pool includes Pat's cases")


def shared_observation(org):
    obs_id = observations.plan_observation(
        org.actor(org.spo_b_id),
        validate(
            ObservationPlan,
            {
                "practitioner_id": org.practitioner_id,
                "observer_id": org.spo_b_id,
                "observed_on": TODAY - timedelta(days=2),
                "setting": "office",
                "mode": "live",
            },
        ),
    )
    accept_invitation(org, obs_id)
    observations.save_record(
        org.actor(org.spo_b_id),
        obs_id,
        validate(ObservationRecord, RECORD | {"observed_on": TODAY - timedelta(days=2)}),
        [validate(RatingInput, r) for r in ratings()],
        None,
    )
    goal_id = observations.add_goal(
        org.actor(org.spo_b_id),
        obs_id,
        validate(DevelopmentGoalCreate, {"description": "Use summaries", "review_date": TODAY + timedelta(days=3)}),
    )
    observations.share(org.actor(org.spo_b_id), obs_id)
    observations.agree_goal(org.actor(org.practitioner_id), goal_id)  # only an agreed goal comes up for review
    return obs_id


def kinds(items):
    return sorted({i.kind for i in items})


def record(org, discussed=(), participants=None, **overrides):
    form = {
        "participant_ids": participants or [org.practitioner_id],
        "kind": "one-to-one",
        "held_on": TODAY,
        "accountability": True,
        "development": True,
        "notes": "Talked through the MAPPA referral.",
        "personal_notes": "Feeling the weight of the caseload.",
        "personal_private": True,
        "case_discussions": [
            {"case_ref": "N100000", "decision": "Refer to MAPPA level 2", "rationale": "New partner with children"}
        ],
        "actions": [
            {
                "description": "Book a joint visit",
                "owner_id": org.practitioner_id,
                "due_date": TODAY + timedelta(days=14),
            }
        ],
        "discussed": list(discussed),
    }
    form.update(overrides)
    return supervision.record_session(org.actor(org.spo_id), validate(SessionRecordCreate, form))


# --- the agenda --------------------------------------------------------------------


def test_the_agenda_gathers_every_source(org):
    audit_id = sent_audit(org)
    shared_observation(org)
    note_id = write_note(org)
    pat = org.actor(org.practitioner_id)
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    debriefs.record_debrief(
        pat,
        validate(
            DebriefCreate, {"feelings": ["anxious"], "intensity": 6, "support_from": org.spo_id, "urgency": "this week"}
        ),
    )
    agenda.add_item(pat, org.practitioner_id, "Cover while I am on leave")
    items = agenda.agenda(org.actor(org.spo_id), org.practitioner_id)
    assert kinds(items) == sorted(
        {
            AgendaKind.AUDIT_FEEDBACK,
            AgendaKind.OBSERVATION,
            AgendaKind.GOAL_REVIEW,
            AgendaKind.SHARED_REFLECTION,
            AgendaKind.ACTION,
            AgendaKind.SUPPORT_REQUEST,
            AgendaKind.ADDED,
        }
    )
    assert any(i.kind == AgendaKind.AUDIT_FEEDBACK and i.source_id == audit_id for i in items)
    # The request shows, never its content; the shared note shows by title only.
    assert all("scared" not in i.title + i.detail for i in items)


def test_a_reflection_shared_but_not_for_supervision_stays_off_the_agenda(org):
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=False)
    assert AgendaKind.SHARED_REFLECTION not in kinds(agenda.agenda(org.actor(org.spo_id), org.practitioner_id))


def test_a_revoked_reflection_leaves_the_agenda(org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    assert AgendaKind.SHARED_REFLECTION not in kinds(agenda.agenda(org.actor(org.spo_id), org.practitioner_id))


def test_only_the_practitioner_and_their_spo_see_the_agenda(org):
    for who in ("peer_id", "qa_lead_id", "admin_id", "spo_b_id"):
        with pytest.raises(PermissionDenied):
            agenda.agenda(org.actor(getattr(org, who)), org.practitioner_id)
    with pytest.raises(ValidationFailed):
        agenda.add_item(org.actor(org.practitioner_id), org.practitioner_id, " ")


# --- recording a session ---------------------------------------------------------------


def test_discussing_an_audit_sheet_moves_the_audit_to_discussed(org):
    audit_id = sent_audit(org, with_action=True)
    record(org, discussed=[{"kind": AgendaKind.AUDIT_FEEDBACK, "source_id": audit_id, "note": "Agreed the referral."}])
    assert workflow.audit_detail(org.actor(org.spo_id), audit_id).status == AuditStatus.DISCUSSED
    items = agenda.agenda(org.actor(org.spo_id), org.practitioner_id)
    assert AgendaKind.AUDIT_FEEDBACK not in kinds(items)
    assert AgendaKind.ACTION in kinds(items)  # the action stays until it is done


def test_discussed_items_leave_the_agenda(org):
    obs_id = shared_observation(org)
    pat = org.actor(org.practitioner_id)
    agenda.add_item(pat, org.practitioner_id, "Training on MI")
    added = next(i for i in agenda.agenda(pat, org.practitioner_id) if i.kind == AgendaKind.ADDED)
    record(
        org,
        discussed=[
            {"kind": AgendaKind.OBSERVATION, "source_id": obs_id},
            {"kind": AgendaKind.ADDED, "source_id": added.source_id, "note": "Booked"},
        ],
    )
    left = kinds(agenda.agenda(pat, org.practitioner_id))
    assert AgendaKind.OBSERVATION not in left and AgendaKind.ADDED not in left


def test_a_failed_save_changes_nothing(org):
    audit_id = sent_audit(org)
    with pytest.raises(ValidationFailed):
        record(
            org,
            discussed=[{"kind": AgendaKind.AUDIT_FEEDBACK, "source_id": audit_id}],
            case_discussions=[{"case_ref": "Jo Bloggs", "decision": "x"}],
        )
    assert workflow.audit_detail(org.actor(org.spo_id), audit_id).status == AuditStatus.FEEDBACK_SENT
    assert supervision.sessions_with(org.actor(org.spo_id)) == []


def test_a_session_cannot_be_dated_in_the_future_or_be_with_a_stranger(org):
    with pytest.raises(ValidationFailed):
        record(org, held_on=date.today() + timedelta(days=1))  # read now: a run can cross midnight
    with pytest.raises(ValidationFailed):
        record(org, participants=[org.outsider_id])
    with pytest.raises(PermissionDenied):
        supervision.record_session(
            org.actor(org.practitioner_id),
            validate(SessionRecordCreate, {"participant_ids": [org.peer_id], "held_on": TODAY}),
        )


# --- sign-off and versions ----------------------------------------------------------------


def test_both_people_sign_and_the_practitioner_can_comment(org):
    session_id = record(org)
    assert supervision.session_record(org.actor(org.spo_id), session_id).status == "awaiting sign-off"
    assert (
        supervision.sign(org.actor(org.practitioner_id), session_id, "I would add that I asked for a co-worker.")
        == "signed by both"
    )
    signed = supervision.session_record(org.actor(org.practitioner_id), session_id)
    assert signed.participants[0][3] == "I would add that I asked for a co-worker."


def test_a_change_to_a_signed_record_makes_a_new_version_and_keeps_the_old(org):
    session_id = record(org)
    supervision.sign(org.actor(org.practitioner_id), session_id)
    version = supervision.amend(
        org.actor(org.spo_id),
        session_id,
        validate(
            SessionRecordUpdate,
            {
                "held_on": TODAY,
                "notes": "Corrected: MAPPA level 1.",
                "case_discussions": [
                    {"case_ref": "N100000", "decision": "Refer to MAPPA level 1", "rationale": "Corrected"}
                ],
            },
        ),
    )
    assert version == 2
    now = supervision.session_record(org.actor(org.spo_id), session_id)
    assert now.status == "awaiting sign-off" and now.notes == "Corrected: MAPPA level 1."
    [old] = supervision.history(org.actor(org.practitioner_id), session_id)
    assert old["version"] == 1 and old["notes"] == "Talked through the MAPPA referral."
    with pytest.raises(PermissionDenied):
        supervision.amend(org.actor(org.practitioner_id), session_id, validate(SessionRecordUpdate, {"held_on": TODAY}))


# --- privacy --------------------------------------------------------------------------


def set_manager(org):
    with session_scope() as session:
        spo = session.get(User, org.spo_id)
        spo.supervisor_id = org.qa_lead_id
        session.add(spo)


# who -> (sees the record, sees private personal notes)
VISIBILITY = {
    "practitioner_id": (True, True),
    "spo_id": (True, True),
    "qa_lead_id": (True, False),  # the SPO's manager and the PDU's QA lead: oversight only
    "peer_id": (False, False),
    "spo_b_id": (False, False),
    "admin_id": (False, False),
    "outsider_id": (False, False),
}


@pytest.mark.parametrize("who", list(VISIBILITY))
def test_supervision_permission_matrix(org, who):
    set_manager(org)
    session_id = record(org)
    person = org.actor(getattr(org, who))
    sees, sees_personal = VISIBILITY[who]
    if not sees:
        with pytest.raises(NotFound):
            supervision.session_record(person, session_id)
        return
    shown = supervision.session_record(person, session_id)
    assert (shown.personal_notes == "Feeling the weight of the caseload.") is sees_personal
    if not sees_personal:
        assert shown.is_oversight_view and not shown.can_sign
        assert all(v.get("personal_notes") is None for v in supervision.history(person, session_id))


def test_personal_notes_not_marked_private_are_visible_to_oversight(org):
    set_manager(org)
    session_id = record(org, personal_private=False)
    assert (
        supervision.session_record(org.actor(org.qa_lead_id), session_id).personal_notes
        == "Feeling the weight of the caseload."
    )


def test_a_group_session_is_in_every_participants_history(org):
    session_id = record(org, participants=[org.practitioner_id, org.peer_id], kind="group case discussion")
    for who in (org.practitioner_id, org.peer_id):
        assert [s.id for s in supervision.sessions_with(org.actor(who))] == [session_id]
    record_view = supervision.session_record(org.actor(org.peer_id), session_id)
    assert len(record_view.case_discussions) == 1  # recorded once
    with pytest.raises(ValidationFailed):
        record(org, participants=[org.practitioner_id, org.peer_id], kind="one-to-one")


# --- cadence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weeks_ago, weeks, status",
    [
        (None, (4, 6), "overdue"),
        (2, (4, 6), "up to date"),
        (4, (4, 6), "due"),
        (6, (4, 6), "due"),
        (7, (4, 6), "overdue"),
        (3, (3, 4), "due"),
        (5, (3, 4), "overdue"),
    ],
)
def test_cadence_maths(weeks_ago, weeks, status):
    last = None if weeks_ago is None else TODAY - timedelta(weeks=weeks_ago)
    assert cadence.classify(last, weeks, TODAY)[2] == status


def test_cadence_for_the_spo_and_new_starters_seen_more_often(org):
    record(org, held_on=TODAY - timedelta(weeks=5))
    rows = {r.name: r for r in cadence.cadence_for_supervisor(org.actor(org.spo_id))}
    assert rows["Pat Practitioner"].status == "due"
    assert rows["Pip Peer"].status == "overdue" and rows["Pip Peer"].last_supervised is None
    cadence.set_profile(org.actor(org.spo_id), org.practitioner_id, TODAY - timedelta(days=60), False, org.peer_id)
    rows = {r.name: r for r in cadence.cadence_for_supervisor(org.actor(org.spo_id))}
    assert rows["Pat Practitioner"].new_starter and rows["Pat Practitioner"].status == "overdue"


def test_cadence_weeks_are_set_by_an_admin_per_grade(org):
    with pytest.raises(PermissionDenied):
        cadence.set_weeks(org.actor(org.spo_id), "PO", 2, 3)
    cadence.set_weeks(org.actor(org.admin_id), "PO", 2, 3)
    assert cadence.weeks_for("PO", False) == (2, 3)
    with pytest.raises(ValidationFailed):
        cadence.set_weeks(org.actor(org.admin_id), "PO", 5, 3)


def test_the_qa_lead_sees_cadence_by_team(org):
    record(org)
    teams = {t.team_name: t for t in cadence.cadence_by_team(org.actor(org.qa_lead_id), org.north_pdu_id)}
    assert (teams["Team A"].practitioners, teams["Team A"].within_target) == (2, 1)


def test_actions_agreed_done_in_supervision_are_closed_there(org):
    audit_id = sent_audit(org, with_action=True)
    spo = org.actor(org.spo_id)
    audit_action = next(i for i in agenda.agenda(spo, org.practitioner_id) if i.kind == AgendaKind.ACTION)
    record(
        org,
        discussed=[
            {"kind": AgendaKind.AUDIT_FEEDBACK, "source_id": audit_id},
            {"kind": AgendaKind.ACTION, "source_id": audit_action.source_id, "close": True},
        ],
    )
    # Discussed and its only action done: the audit's loop is closed.
    assert workflow.audit_detail(spo, audit_id).status == AuditStatus.ACTIONS_CLOSED
    left = agenda.agenda(spo, org.practitioner_id)
    assert audit_action.source_id not in [i.source_id for i in left if i.kind == AgendaKind.ACTION]
    # The session's own action ("Book a joint visit") is on the next agenda, and can be closed the same way.
    session_action = next(i for i in left if i.kind == AgendaKind.ACTION)
    record(
        org, discussed=[{"kind": AgendaKind.ACTION, "source_id": session_action.source_id, "close": True}], actions=[]
    )
    assert [i for i in agenda.agenda(spo, org.practitioner_id) if i.kind == AgendaKind.ACTION] == []
