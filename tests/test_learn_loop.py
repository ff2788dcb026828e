"""The LEARN loop end to end through the services: event, sample, pairs,
audit, feedback sheet, supervision, reply and closed actions."""

from datetime import date, timedelta

import pytest

from db.audits import (
    Acknowledgement,
    Answer,
    AnswerInput,
    AuditActionCreate,
    AuditEventCreate,
    AuditStatus,
    FeedbackSheetUpdate,
    HolderReply,
    PairChange,
    SampleSwapCreate,
    UrgentConcernCreate,
)
from qa.audits import concerns as urgent_concerns
from qa.audits import events as audit_events
from qa.audits import moderation, workflow
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.validation import validate
from tests.factories import case_pool

EVENT_DAY = date(2026, 12, 10)


@pytest.fixture
def learn(org):
    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    return org, lead, event


def accepted(learn):
    org, lead, event = learn
    audit_events.accept_sample(lead, event.id)
    return audit_events.pairs_view(lead, event.id)


def first_audit(pairs, not_audited_by=()):
    """A case audit, from a pair that includes none of ``not_audited_by``."""
    pair = next(p for p in pairs.pairs if p.cases and not {p.first_id, p.second_id} & set(not_audited_by))
    return pair, pair.cases[0].audit_id


def all_yes(detail):
    return [
        AnswerInput(question_key=q.key, answer="yes", evidence="Seen in the case record.")
        for section in detail.definition.sections
        for q in section.questions
    ]


def auditor_of(org, pair):
    return org.actor(pair.first_id)


def test_a_qa_lead_creates_an_event_with_a_sample_of_the_requested_size(learn):
    org, lead, event = learn
    view = audit_events.sample_view(lead, event.id)
    assert len(view.selected) == 12
    assert all(row.reason for row in view.selected)
    assert len(view.selected) + len(view.excluded) == 16
    assert view.can_accept


def test_only_the_pdus_qa_lead_or_an_admin_may_run_its_events(learn):
    org, lead, event = learn
    for who in (org.spo_id, org.practitioner_id):
        with pytest.raises(PermissionDenied):
            audit_events.sample_view(org.actor(who), event.id)
    audit_events.sample_view(org.actor(org.admin_id), event.id)


def test_two_events_for_the_same_pdu_and_day_are_refused(learn):
    org, lead, event = learn
    with pytest.raises(ValidationFailed) as exc:
        audit_events.create_event(
            lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
        )
    assert "already has an audit event" in exc.value.field_errors["event_date"]


def test_sample_size_outside_12_to_20_is_refused(learn):
    org, lead, _event = learn
    with pytest.raises(ValidationFailed) as exc:
        audit_events.create_event(
            lead,
            validate(
                AuditEventCreate,
                {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY + timedelta(days=30), "sample_size": 25},
            ),
        )
    assert "sample_size" in exc.value.field_errors


def test_swapping_a_case_needs_a_reason_and_records_it(learn):
    org, lead, event = learn
    view = audit_events.sample_view(lead, event.id)
    candidates = audit_events.swap_candidates(lead, event.id)
    assert candidates, "four eligible cases were not chosen"
    out, into = view.selected[0], candidates[0]
    with pytest.raises(ValidationFailed) as exc:
        audit_events.swap_case(
            lead,
            event.id,
            validate(SampleSwapCreate, {"removed_case_id": out.case_id, "added_case_id": into.case_id, "reason": " "}),
        )
    assert "reason" in exc.value.field_errors
    audit_events.swap_case(
        lead,
        event.id,
        validate(
            SampleSwapCreate,
            {
                "removed_case_id": out.case_id,
                "added_case_id": into.case_id,
                "reason": "Case transferring out next week",
            },
        ),
    )
    after = audit_events.sample_view(lead, event.id)
    assert into.case_id in {r.case_id for r in after.selected}
    assert out.case_id not in {r.case_id for r in after.selected}
    assert after.swaps[0].reason == "Case transferring out next week"
    swapped_out = next(e for e in after.excluded if e.case_id == out.case_id)
    assert "Case transferring out next week" in swapped_out.reason


def test_too_few_eligible_cases_is_said_plainly_and_blocks_acceptance(org):
    case_pool(org, 8)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    view = audit_events.sample_view(lead, event.id)
    assert "8" in view.shortfall_message
    assert not view.can_accept
    with pytest.raises(ValidationFailed):
        audit_events.accept_sample(lead, event.id)


def test_accepting_the_sample_pairs_auditors_and_opens_a_draft_per_case(learn):
    org, _lead, _event = learn
    pairs = accepted(learn)
    cases = [c for p in pairs.pairs for c in p.cases]
    assert len(cases) == 12 and not pairs.unassigned
    assert all(c.audit_status == AuditStatus.DRAFT for c in cases)
    assert not pairs.errors


def test_nobody_is_paired_to_audit_a_case_they_hold(learn):
    org, _lead, event = learn
    pairs = accepted(learn)
    from db.engine import session_scope
    from db.organisation import Case

    with session_scope() as session:
        holders = {c.case_ref: c.holder_id for c in session.exec(__import__("sqlmodel").select(Case))}
    for pair in pairs.pairs:
        for case in pair.cases:
            assert holders[case.case_ref] not in (pair.first_id, pair.second_id)


def test_a_pair_change_that_would_audit_an_own_case_is_refused(learn):
    org, lead, event = learn
    pairs = accepted(learn)
    pair = next(p for p in pairs.pairs if p.cases)
    holder_ids = set()
    from sqlmodel import select

    from db.engine import session_scope
    from db.organisation import Case

    with session_scope() as session:
        refs = {c.case_ref: c.holder_id for c in session.exec(select(Case))}
    holder_ids = {refs[c.case_ref] for c in pair.cases}
    holder = next(iter(holder_ids))
    other = next(i for i in (org.spo_id, org.spo_b_id, org.qa_lead_id) if i not in holder_ids and i != holder)
    with pytest.raises(ValidationFailed):
        audit_events.change_pair(
            lead,
            event.id,
            pair.pair_id,
            validate(PairChange, {"first_id": holder, "second_id": other, "reason": "try"}),
        )
    with pytest.raises(ValidationFailed) as exc:
        audit_events.change_pair(
            lead,
            event.id,
            pair.pair_id,
            validate(PairChange, {"first_id": other, "second_id": org.spo_b_id, "reason": ""}),
        )
    assert "reason" in exc.value.field_errors


def test_submission_lists_every_unanswered_question_by_name(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    answers = all_yes(detail)[:-2]
    version = workflow.save_draft(auditor, audit_id, answers, None, detail.version)
    with pytest.raises(workflow.UnansweredQuestions) as exc:
        workflow.submit(auditor, audit_id, version)
    last_two = [(s.title, q.text) for s in detail.definition.sections for q in s.questions][-2:]
    assert exc.value.questions == [f"{section}: {text}" for section, text in last_two]
    assert "answers" in exc.value.field_errors  # still a ValidationFailed, shown beside the answers
    after = workflow.audit_detail(auditor, audit_id)
    assert after.status == AuditStatus.DRAFT
    assert after.unanswered == exc.value.questions


def test_a_stale_save_is_refused_and_changes_nothing(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    first, second = org.actor(pair.first_id), org.actor(pair.second_id)
    opened = workflow.audit_detail(first, audit_id).version
    workflow.save_draft(
        second, audit_id, [], validate(FeedbackSheetUpdate, {"good_practice": "Second auditor's words"}), opened
    )
    with pytest.raises(workflow.StaleEdit):
        workflow.save_draft(
            first, audit_id, [], validate(FeedbackSheetUpdate, {"good_practice": "First auditor's words"}), opened
        )
    assert workflow.audit_detail(first, audit_id).good_practice == "Second auditor's words"


def test_the_whole_loop_from_draft_to_closed_actions(learn):
    org, lead, _event = learn
    # Both team A practitioners hold cases and are supervised by the SPO, so take a pair without the SPO.
    pair, audit_id = first_audit(accepted(learn), not_audited_by=[org.spo_id])
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    holder = org.actor(detail.holder_id)
    spo = org.actor(org.spo_id)
    assert detail.spo_id == org.spo_id

    # Before submission neither the case holder nor their SPO can see the audit.
    for outsider in (holder, spo):
        with pytest.raises(NotFound):
            workflow.audit_detail(outsider, audit_id)

    version = workflow.save_draft(
        auditor,
        audit_id,
        all_yes(detail),
        validate(
            FeedbackSheetUpdate,
            {
                "good_practice": "Clear risk management plan.",
                "improvement": "Record the MAPPA discussion.",
                "concerns": "",
            },
        ),
        detail.version,
    )
    workflow.add_action(
        auditor,
        audit_id,
        validate(
            AuditActionCreate,
            {
                "description": "Update the risk plan",
                "owner_id": holder.id,
                "due_date": date.today() + timedelta(days=14),
            },
        ),
    )
    assert workflow.submit(auditor, audit_id, version + 0) == AuditStatus.FEEDBACK_SENT

    assert audit_id in [r.audit_id for r in workflow.feedback_awaiting_me(spo)]
    assert audit_id in [r.audit_id for r in workflow.feedback_on_my_cases(holder)]
    assert [a.description for a, _ref, _id in workflow.my_open_actions(holder)] == ["Update the risk plan"]

    workflow.reply(holder, audit_id, validate(HolderReply, {"reply": "Thank you, I have booked a review."}))
    with pytest.raises(PermissionDenied):
        workflow.reply(spo, audit_id, validate(HolderReply, {"reply": "Not mine to write"}))
    assert workflow.mark_discussed(spo, audit_id) == AuditStatus.DISCUSSED

    action = workflow.audit_detail(holder, audit_id).actions[0]
    workflow.set_action_status(holder, action.id, True)
    closed = workflow.audit_detail(spo, audit_id)
    assert closed.status == AuditStatus.ACTIONS_CLOSED
    assert closed.holder_reply == "Thank you, I have booked a review."


def test_without_actions_discussion_closes_the_audit(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    version = workflow.save_draft(auditor, audit_id, all_yes(detail), None, detail.version)
    workflow.submit(auditor, audit_id, version)
    assert workflow.mark_discussed(org.actor(org.spo_id), audit_id) == AuditStatus.ACTIONS_CLOSED


def test_overdue_actions_are_flagged_to_the_owner_and_the_spo(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    version = workflow.save_draft(auditor, audit_id, all_yes(detail), None, detail.version)
    workflow.add_action(
        auditor,
        audit_id,
        validate(
            AuditActionCreate, {"description": "Home visit", "owner_id": detail.holder_id, "due_date": date.today()}
        ),
    )
    workflow.submit(auditor, audit_id, version)
    later = date.today() + timedelta(days=3)
    assert workflow.my_open_actions(org.actor(detail.holder_id), today=later)[0][0].overdue
    assert [a.description for a, _r, _i in workflow.overdue_actions_for_spo(org.actor(org.spo_id), today=later)] == [
        "Home visit"
    ]


def test_an_action_due_in_the_past_is_refused(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    with pytest.raises(ValidationFailed) as exc:
        workflow.add_action(
            auditor_of(org, pair),
            audit_id,
            validate(
                AuditActionCreate,
                {
                    "description": "Too late",
                    "owner_id": org.practitioner_id,
                    "due_date": date.today() - timedelta(days=1),
                },
            ),
        )
    assert "past" in exc.value.field_errors["due_date"]


def test_an_urgent_concern_reaches_the_spo_until_acknowledged(learn):
    org, lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    auditor = auditor_of(org, pair)
    urgent_concerns.raise_concern(
        auditor,
        audit_id,
        validate(UrgentConcernCreate, {"description": "New partner has children; no safeguarding check."}),
    )
    spo = org.actor(org.spo_id)
    waiting = urgent_concerns.concerns_for_me(spo)
    assert len(waiting) == 1
    assert not waiting[0].overdue
    # Three working days later the QA lead sees it highlighted.
    later = date.today() + timedelta(days=7)
    assert urgent_concerns.pdu_concerns(lead, org.north_pdu_id, today=later)[0].overdue
    with pytest.raises(ValidationFailed):
        urgent_concerns.acknowledge(spo, waiting[0].id, validate(Acknowledgement, {"note": ""}))
    with pytest.raises(PermissionDenied):
        urgent_concerns.acknowledge(
            org.actor(org.peer_id), waiting[0].id, validate(Acknowledgement, {"note": "not mine"})
        )
    urgent_concerns.acknowledge(
        spo, waiting[0].id, validate(Acknowledgement, {"note": "Referral made to children's services today."})
    )
    assert urgent_concerns.concerns_for_me(spo) == []


def test_peers_never_see_an_audit_of_someone_elses_case(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn))
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    version = workflow.save_draft(auditor, audit_id, all_yes(detail), None, detail.version)
    workflow.submit(auditor, audit_id, version)
    for outsider in (
        org.outsider_id,
        org.spo_b_id if org.spo_b_id not in (pair.first_id, pair.second_id) else org.outsider_id,
    ):
        with pytest.raises(NotFound):
            workflow.audit_detail(org.actor(outsider), audit_id)


def test_moderation_is_blind_and_reports_agreement(learn):
    org, lead, event = learn
    pairs = accepted(learn)
    submitted = []
    for pair in pairs.pairs:
        auditor = org.actor(pair.first_id)
        for case in pair.cases[:2]:
            detail = workflow.audit_detail(auditor, case.audit_id)
            version = workflow.save_draft(auditor, case.audit_id, all_yes(detail), None, detail.version)
            workflow.submit(auditor, case.audit_id, version)
            submitted.append(case.audit_id)
    created = moderation.start_moderation(lead, event.id, 0.25)
    assert len(created) == 1
    second = workflow.audit_detail(lead, created[0])
    assert second.is_moderation and second.answers == {}
    original = moderation.moderation_audits(lead, event.id)[0].original_id
    with pytest.raises(PermissionDenied):
        workflow.audit_detail(lead, original)  # blind until the moderation is in
    answers = all_yes(second)
    answers[0].answer = Answer.NO
    version = workflow.save_draft(lead, created[0], answers, None, second.version)
    workflow.submit(lead, created[0], version)
    report = moderation.agreement_report(lead, event.id)
    assert report.audits_compared == 1
    total = len(answers)
    assert report.overall_percent == pytest.approx((total - 1) / total)
    assert workflow.audit_detail(lead, original).status == AuditStatus.FEEDBACK_SENT
