"""Supervision records as the place a discussion happened: an audit links to the record where its sheet
was discussed, and an amended record does not carry the earlier version's confirmation comments."""

from datetime import date

from db.audits import AuditorPair, AuditStatus, CaseAudit
from db.engine import session_scope
from db.supervision import AgendaKind, SessionRecordUpdate
from qa.audits import workflow
from qa.errors import NotFound
from qa.records import RecordKind, RecordRef
from qa.supervision import records as supervision
from qa.validation import validate
from tests.test_supervision import record, sent_audit


def test_an_audit_discussed_in_a_session_links_to_that_record_for_those_who_may_open_it(org):
    audit_id = sent_audit(org)
    assert supervision.audit_discussed_in(org.actor(org.spo_id), audit_id) is None
    session_id = record(org, discussed=[{"kind": AgendaKind.AUDIT_FEEDBACK, "source_id": audit_id}])
    assert workflow.audit_detail(org.actor(org.spo_id), audit_id).status == AuditStatus.DISCUSSED
    for who in (org.spo_id, org.practitioner_id, org.qa_lead_id):  # the QA lead: oversight of the PDU
        found = supervision.audit_discussed_in(org.actor(who), audit_id)
        assert found is not None and found.held_on == date.today()
        assert found.record == RecordRef(RecordKind.SUPERVISION_SESSION, session_id)


def test_an_auditor_sees_when_it_was_discussed_but_gets_no_link_to_a_record_they_cannot_open(org):
    audit_id = sent_audit(org)
    record(org, discussed=[{"kind": AgendaKind.AUDIT_FEEDBACK, "source_id": audit_id}])
    with session_scope() as session:
        audit = session.get(CaseAudit, audit_id)
        assert audit is not None and audit.pair_id is not None
        pair = session.get(AuditorPair, audit.pair_id)
        assert pair is not None
        auditors = {pair.first_id, pair.second_id} - {org.spo_id, org.practitioner_id, None}
    assert auditors
    for who in auditors:
        found = supervision.audit_discussed_in(org.actor(who), audit_id)
        assert found is not None and found.held_on == date.today()
        try:
            supervision.session_record(org.actor(who), found.record.id if found.record else 0)
            may_open = True
        except NotFound:
            may_open = False
        assert (found.record is not None) == may_open


def test_an_amendment_moves_the_confirmation_comments_to_the_earlier_version(org):
    session_id = record(org)
    supervision.sign(org.actor(org.practitioner_id), session_id, "Fair, but I asked for a co-worker.")
    supervision.amend(
        org.actor(org.spo_id),
        session_id,
        validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "Corrected: MAPPA level 1."}),
    )
    now = supervision.session_record(org.actor(org.practitioner_id), session_id)
    [(_pid, _name, signed_at, comments)] = now.participants
    assert signed_at is None and comments is None  # nothing shown as waiting on the new version
    [old] = supervision.history(org.actor(org.practitioner_id), session_id)
    [given] = old["confirmations"]
    assert given["comments"] == "Fair, but I asked for a co-worker." and given["signed_at"] is not None
