"""The home pages' work queues (qa/worklist.py): what is waiting for each role, only what they may open,
most pressing first, and never private text in a label."""

from datetime import date, datetime, timedelta

from db.access_log import RecordKind as LogKind
from db.audits import HolderReply, UrgentConcernCreate
from db.engine import session_scope
from db.organisation import User, utcnow
from db.reflection import EntryKind, Urgency
from qa import worklist
from qa.audits import concerns, workflow
from qa.audits import events as audit_events
from qa.records import RecordKind, RecordRef
from qa.reflection import sharing, support
from qa.validation import validate
from tests.test_reflection import SECRET, write_note
from tests.test_supervision import record, sent_audit, shared_observation

TODAY = date.today()


def groups(queues):
    return {g.key: g for g in queues}


def refs(group):
    return [r.record for r in group.records]


def test_the_access_logs_record_kinds_are_all_record_kinds():
    assert {k.value for k in LogKind} <= {k.value for k in RecordKind}
    assert RecordKind("case_audit") == LogKind.CASE_AUDIT


def test_a_new_practitioner_has_nothing_waiting_but_is_told_when_supervision_is_due(org):
    pat = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))
    assert all(g.waiting == 0 for g in pat.values())
    assert "overdue" in pat["next_supervision"].note  # never supervised


def test_feedback_and_its_action_wait_for_the_holder_only(org):
    audit_id = sent_audit(org)
    pat = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))
    assert refs(pat["feedback_to_reply"]) == [RecordRef(RecordKind.FEEDBACK_SHEET, audit_id)]
    assert refs(pat["actions_due"]) == [RecordRef(RecordKind.CASE_AUDIT, audit_id)]
    assert "Refer to MAPPA" in pat["actions_due"].records[0].label
    assert RecordRef(RecordKind.CASE_AUDIT, audit_id) in refs(pat["next_supervision"])  # on the agenda too
    pip = groups(worklist.practitioner_work(org.actor(org.peer_id)))
    assert pip["feedback_to_reply"].waiting == pip["actions_due"].waiting == 0
    # Replying takes it off the list.
    workflow.reply(org.actor(org.practitioner_id), audit_id, validate(HolderReply, {"reply": "Done, thanks."}))
    pat = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))
    assert pat["feedback_to_reply"].waiting == 0


def test_an_overdue_action_comes_first_and_says_so(org):
    sent_audit(org)
    later = TODAY + timedelta(days=30)
    actions = groups(worklist.practitioner_work(org.actor(org.practitioner_id), later))["actions_due"]
    assert actions.records[0].overdue


def test_the_spo_sees_the_sheet_to_discuss_and_news_until_they_open_it(org):
    audit_id = sent_audit(org)
    sam = org.actor(org.spo_id)
    spo = groups(worklist.spo_work(sam))
    assert refs(spo["sheets_to_discuss"]) == [RecordRef(RecordKind.FEEDBACK_SHEET, audit_id)]
    assert spo["news"].waiting == 0
    workflow.reply(org.actor(org.practitioner_id), audit_id, validate(HolderReply, {"reply": "Referred today."}))
    news = groups(worklist.spo_work(sam))["news"]
    assert refs(news) == [RecordRef(RecordKind.FEEDBACK_SHEET, audit_id)]
    assert "replied" in news.records[0].label and "Referred" not in news.records[0].label
    workflow.audit_detail(sam, audit_id)  # the SPO opens it
    assert groups(worklist.spo_work(sam))["news"].waiting == 0
    # Discussed, then the holder closes the last action: the closed sheet stays in sight until opened.
    workflow.mark_discussed(sam, audit_id)
    action = workflow.audit_detail(org.actor(org.practitioner_id), audit_id).actions[0]
    workflow.set_action_status(org.actor(org.practitioner_id), action.id, True)
    news = groups(worklist.spo_work(sam))["news"]
    assert refs(news) == [RecordRef(RecordKind.FEEDBACK_SHEET, audit_id)]
    assert "all actions now closed" in news.records[0].label
    assert groups(worklist.spo_work(sam))["sheets_to_discuss"].waiting == 0
    workflow.audit_detail(sam, audit_id)
    assert groups(worklist.spo_work(sam))["news"].waiting == 0
    # Another SPO never sees it.
    assert groups(worklist.spo_work(org.actor(org.spo_b_id)))["news"].waiting == 0


def test_an_urgent_concern_waits_for_the_spo_then_for_the_qa_lead_after_two_working_days(org):
    audit_id = sent_audit(org)
    lead = org.actor(org.qa_lead_id)
    pairs = audit_events.pairs_view(lead, workflow.audit_detail(lead, audit_id).event_id).pairs
    auditor = org.actor(next(p.first_id for p in pairs if audit_id in {c.audit_id for c in p.cases}))
    concerns.raise_concern(auditor, audit_id, validate(UrgentConcernCreate, {"description": "Children at risk"}))
    spo = groups(worklist.spo_work(org.actor(org.spo_id)))["urgent_concerns"]
    assert refs(spo) == [RecordRef(RecordKind.CASE_AUDIT, audit_id)]
    assert "Children" not in spo.records[0].label
    assert groups(worklist.qa_lead_work(lead))["overdue_concerns"].waiting == 0
    later = groups(worklist.qa_lead_work(lead, TODAY + timedelta(days=7)))["overdue_concerns"]
    assert refs(later) == [RecordRef(RecordKind.CASE_AUDIT, audit_id)]


def test_supervision_and_observations_due_for_the_spo_link_to_each_person(org):
    spo = groups(worklist.spo_work(org.actor(org.spo_id)))
    people = {org.practitioner_id, org.peer_id}
    assert {r.id for r in refs(spo["supervision_due"])} == people
    assert {r.kind for r in refs(spo["supervision_due"])} == {RecordKind.SUPERVISEE}
    assert {r.id for r in refs(spo["team_observations"])} == people
    record(org)
    spo = groups(worklist.spo_work(org.actor(org.spo_id)))
    assert {r.id for r in refs(spo["supervision_due"])} == {org.peer_id}
    # The record is for Pat to confirm, and links straight to it.
    pat = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))
    assert [r.kind for r in refs(pat["records_to_confirm"])] == [RecordKind.SUPERVISION_SESSION]


def test_a_shared_observation_waits_for_a_reply_and_its_goal_for_review(org):
    obs_id = shared_observation(org)
    pat = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))
    assert refs(pat["observations"]) == [RecordRef(RecordKind.OBSERVATION, obs_id)]
    assert refs(pat["goals"]) == [RecordRef(RecordKind.OBSERVATION, obs_id)]


def test_a_shared_note_shows_who_shared_it_never_its_title_or_text(org):
    note_id = write_note(org, author=org.peer_id)
    share_id = sharing.share(org.actor(org.peer_id), EntryKind.NOTE, note_id, org.practitioner_id)
    shared = groups(worklist.practitioner_work(org.actor(org.practitioner_id)))["shared_with_me"]
    assert refs(shared) == [RecordRef(RecordKind.SHARED_NOTE, note_id)]
    label = shared.records[0].label
    assert "Pip Peer" in label and "After the home visit" not in label and SECRET not in label
    sharing.revoke(org.actor(org.peer_id), share_id)
    assert groups(worklist.practitioner_work(org.actor(org.practitioner_id)))["shared_with_me"].waiting == 0


def test_requests_to_talk_say_who_and_how_soon_with_today_first(org):
    support.ask(org.actor(org.peer_id), org.spo_id, Urgency.THIS_WEEK)
    support.ask(org.actor(org.practitioner_id), org.spo_id, Urgency.TODAY)
    requests = groups(worklist.spo_work(org.actor(org.spo_id)))["support_requests"]
    assert requests.waiting == 2
    assert requests.records[0].label.startswith("Pat Practitioner") and requests.records[0].overdue
    assert {r.kind for r in refs(requests)} == {RecordKind.SUPPORT_REQUEST}
    assert groups(worklist.spo_work(org.actor(org.spo_b_id)))["support_requests"].waiting == 0


def test_the_qa_lead_sees_the_learn_event_and_team_figures_for_their_pdu_only(org):
    audit_id = sent_audit(org)
    event_id = workflow.audit_detail(org.actor(org.qa_lead_id), audit_id).event_id
    lead = groups(worklist.qa_lead_work(org.actor(org.qa_lead_id)))
    events = lead["learn_events"]
    assert refs(events) == [RecordRef(RecordKind.AUDIT_EVENT, event_id)]
    assert "audits outstanding" in events.records[0].label
    assert {t.label.split(":")[0] for t in lead["observation_target"].records} == {"Team A"}
    assert {r.kind for r in refs(lead["supervision_cadence"])} == {RecordKind.PDU_SUPERVISION_CADENCE}
    assert lead["supervision_cadence"].waiting == 1  # Team A: nobody supervised yet
    assert worklist.qa_lead_work(org.actor(org.practitioner_id)) == ()
    assert worklist.qa_lead_work(org.actor(org.outsider_id)) == ()


def test_the_administrator_sees_locked_and_unplaced_accounts_and_what_to_fix(org):
    with session_scope() as session:
        pip = session.get(User, org.peer_id)
        pip.locked_until = utcnow() + timedelta(minutes=10)
        session.add(pip)
        pat = session.get(User, org.practitioner_id)
        pat.supervisor_id = None
        session.add(pat)
    admin = groups(worklist.admin_work(org.actor(org.admin_id), sso_configured=True))
    assert refs(admin["locked"]) == [RecordRef(RecordKind.USER, org.peer_id)]
    assert RecordRef(RecordKind.USER, org.practitioner_id) in refs(admin["unplaced"])
    assert "no supervisor" in admin["unplaced"].records[0].label
    assert {r.kind for r in refs(admin["fixes"])} == {RecordKind.SETTINGS, RecordKind.SUPPORT_CONTACTS}
    assert admin["import_errors"].waiting == 0 and "no record" in admin["import_errors"].note
    without_sso = groups(worklist.admin_work(org.actor(org.admin_id), sso_configured=False))
    assert {r.kind for r in refs(without_sso["fixes"])} == {RecordKind.SUPPORT_CONTACTS}
    assert worklist.admin_work(org.actor(org.spo_id), sso_configured=True) == ()


def test_the_month_strip_is_for_spos_and_qa_leads(org):
    sent_audit(org)
    strip = worklist.month_strip(org.actor(org.qa_lead_id))
    assert [f.label for f in strip.figures] == [
        "Audits done",
        "Share judged sufficient",
        "Observations",
        "Supervision on time",
    ]
    this = strip.figures[0].filters
    assert this.date_from == TODAY.replace(day=1) and this.date_to == TODAY
    assert worklist.month_strip(org.actor(org.spo_id)).figures
    assert worklist.month_strip(org.actor(org.practitioner_id)).figures == ()


def test_records_are_sorted_overdue_first_then_oldest():
    day = date(2026, 3, 1)
    records = [
        worklist.WorkRecord(None, "later", day + timedelta(days=5)),
        worklist.WorkRecord(None, "undated"),
        worklist.WorkRecord(None, "overdue", day + timedelta(days=9), overdue=True),
        worklist.WorkRecord(None, "older", day),
    ]
    assert [r.label for r in worklist._sorted(records)] == ["overdue", "older", "later", "undated"]
    assert isinstance(utcnow(), datetime)
