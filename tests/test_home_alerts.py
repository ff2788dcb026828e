"""The home-page alerts: what each person is told needs their attention, counted in qa/home.py."""

from datetime import date, timedelta

from db.audits import AuditEventCreate
from db.observations import PractitionerReply
from db.reflection import Urgency
from qa import home
from qa.audits import events as audit_events
from qa.audits import workflow
from qa.due import DueCounts, DueStatus, count_due
from qa.observations import workflow as observations
from qa.reflection import support
from qa.validation import validate
from tests.factories import case_pool
from tests.test_learn_loop import EVENT_DAY, all_yes
from tests.test_observations import plan
from tests.test_supervision import record, sent_audit, shared_observation

TODAY = date.today()


def test_a_new_practitioner_has_nothing_waiting(org):
    pat = org.actor(org.practitioner_id)
    assert home.audit_alerts(pat) == home.AuditAlerts()
    assert home.observation_alerts(pat) == home.ObservationAlerts()
    assert home.support_alerts(pat) == home.SupportAlerts()
    assert home.supervision_alerts(pat) == home.SupervisionAlerts()


def test_an_spo_is_told_about_supervisees_never_supervised_or_observed(org):
    sam = org.actor(org.spo_id)
    assert home.supervision_alerts(sam).team == DueCounts(overdue=2)
    assert home.observation_alerts(sam).team == DueCounts(overdue=2)


def test_a_recorded_session_is_for_the_practitioner_to_confirm_and_brings_them_up_to_date(org):
    record(org)
    assert home.supervision_alerts(org.actor(org.practitioner_id)).to_confirm == 1
    sam = org.actor(org.spo_id)
    assert home.supervision_alerts(sam).to_confirm == 0  # the SPO signed when recording
    assert home.supervision_alerts(sam).team == DueCounts(overdue=1, up_to_date=1)


def test_a_planned_observation_is_to_record_for_the_observer_and_to_prepare_for_the_practitioner(org):
    plan(org, on=TODAY + timedelta(days=2))
    assert home.observation_alerts(org.actor(org.spo_id)).to_record == 1
    pat = home.observation_alerts(org.actor(org.practitioner_id))
    assert (pat.upcoming, pat.to_reply) == (1, 0)
    assert home.observation_alerts(org.actor(org.peer_id)).upcoming == 0


def test_a_shared_observation_is_to_reply_to_and_its_goal_comes_due(org):
    obs_id = shared_observation(org)
    alerts = home.observation_alerts(org.actor(org.practitioner_id))
    assert (alerts.to_reply, alerts.upcoming, alerts.goals_due) == (1, 0, 0)  # the goal's review is 3 days away
    later = home.observation_alerts(org.actor(org.practitioner_id), TODAY + timedelta(days=5))
    assert later.goals_due == 1
    observations.reply(
        org.actor(org.practitioner_id), obs_id, validate(PractitionerReply, {"reply": "Thank you."}), acknowledge=True
    )
    assert home.observation_alerts(org.actor(org.practitioner_id)).to_reply == 0


def test_requests_to_talk_count_those_wanted_today(org):
    support.ask(org.actor(org.practitioner_id), org.spo_id, Urgency.TODAY)
    support.ask(org.actor(org.peer_id), org.spo_id, Urgency.THIS_WEEK)
    assert home.support_alerts(org.actor(org.spo_id)) == home.SupportAlerts(waiting=2, today=1)
    assert home.support_alerts(org.actor(org.practitioner_id)) == home.SupportAlerts()


def test_each_auditor_has_their_pairs_drafts_to_complete(org):
    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    audit_events.accept_sample(lead, event.id)
    pair = audit_events.pairs_view(lead, event.id).pairs[0]
    auditor = org.actor(pair.first_id)
    before = home.audit_alerts(auditor).audits_to_complete
    assert before >= len(pair.cases) > 0
    detail = workflow.audit_detail(auditor, pair.cases[0].audit_id)
    version = workflow.save_draft(auditor, detail.id, all_yes(detail), None, detail.version)
    workflow.submit(auditor, detail.id, version)
    assert home.audit_alerts(auditor).audits_to_complete == before - 1


def test_a_sent_feedback_sheet_is_for_the_spo_to_discuss_and_its_action_becomes_overdue(org):
    sent_audit(org)
    assert home.audit_alerts(org.actor(org.spo_id)).sheets_to_discuss == 1
    pat = org.actor(org.practitioner_id)
    assert home.audit_alerts(pat).my_overdue_actions == 0  # due in a week
    later = TODAY + timedelta(days=30)
    assert home.audit_alerts(pat, later).my_overdue_actions == 1
    assert home.audit_alerts(org.actor(org.spo_id), later).team_overdue_actions == 1


def test_pdu_overdue_concerns_is_zero_without_a_pdu_or_a_concern(org):
    assert home.pdu_overdue_concerns(org.actor(org.qa_lead_id)) == 0
    assert home.pdu_overdue_concerns(org.actor(org.admin_id)) == 0


def test_count_due_sorts_rows_into_the_three_states():
    class Row:
        def __init__(self, status):
            self.status = status

    rows = [Row(DueStatus.OVERDUE), Row("due"), Row(DueStatus.DUE), Row(DueStatus.UP_TO_DATE)]
    assert count_due(rows) == DueCounts(overdue=1, due=2, up_to_date=1)
    assert count_due(rows).needs_attention
    assert not DueCounts(up_to_date=3).needs_attention
