"""Notifications: each event tells the people it concerns, once per occasion, in the same
transaction as the change; a notification says only that something is waiting and where;
each person sees and marks only their own; the unread count reads an index, not the table."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from db.audits import AuditActionCreate, HolderReply, UrgentConcernCreate
from db.engine import session_scope
from db.notifications import Notification, OutboxMessage
from db.observations import PractitionerReply
from db.organisation import Grade, Role
from db.reflection import EntryKind
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, can
from qa.audits import concerns as urgent_concerns
from qa.audits import workflow
from qa.errors import NotFound
from qa.notifications import inbox
from qa.notifications.kinds import KINDS
from qa.notifications.notify import notify
from qa.observations import workflow as observations
from qa.records import RecordKind, RecordRef
from qa.reflection import sharing, support
from qa.supervision import agenda
from qa.validation import validate
from tests import test_learn_loop
from tests.factories import make_user
from tests.test_learn_loop import accepted, all_yes, auditor_of, first_audit
from tests.test_observations import plan, shared
from tests.test_reflection import SECRET, write_note
from tests.test_supervision import record as supervision_record

AUDIT = RecordRef(RecordKind.CASE_AUDIT, 1)
learn = test_learn_loop.learn  # the LEARN loop's fixture: an event with its sample proposed


def told(user_id, kind=None):
    """(kind, record kind, record id) of each notification this person has, oldest first."""
    with session_scope() as session:
        query = select(Notification).where(Notification.recipient_id == user_id)
        if kind:
            query = query.where(Notification.kind == kind)
        rows = session.exec(query.order_by(col(Notification.id))).all()
        return [(n.kind, n.record_kind, n.record_id) for n in rows]


def all_notifications():
    with session_scope() as session:
        return session.exec(select(Notification)).all()


def outbox():
    with session_scope() as session:
        return session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()


# --- notify() ---------------------------------------------------------------------


def test_each_person_is_told_once_per_occasion_with_one_queued_email_each(org):
    for _ in range(2):  # a rerun, a retry: the same occasion adds nothing
        with session_scope() as session:
            notify(
                session,
                kind="audit_assigned",
                recipient_ids=[org.practitioner_id, org.peer_id, None],
                record=AUDIT,
                occasion="audit_assigned:1",
            )
    assert told(org.practitioner_id) == told(org.peer_id) == [("audit_assigned", "case_audit", 1)]
    queued = outbox()
    assert sorted(m.recipient_id for m in queued) == sorted([org.practitioner_id, org.peer_id])
    assert {(m.status, m.kind, m.attempts) for m in queued} == {("queued", "audit_assigned", 0)}
    assert {m.notification_id for m in queued} == {n.id for n in all_notifications()}


def test_a_new_recipient_of_the_same_occasion_is_still_told(org):
    with session_scope() as session:
        notify(session, kind="audit_assigned", recipient_ids=[org.practitioner_id], record=AUDIT, occasion="o:1")
    with session_scope() as session:
        added = notify(
            session,
            kind="audit_assigned",
            recipient_ids=[org.practitioner_id, org.peer_id],
            record=AUDIT,
            occasion="o:1",
        )
    assert [n.recipient_id for n in added] == [org.peer_id]


def test_the_notification_rolls_back_with_the_change_that_caused_it(org):
    with pytest.raises(RuntimeError), session_scope() as session:
        notify(session, kind="audit_assigned", recipient_ids=[org.practitioner_id], record=AUDIT, occasion="o:2")
        raise RuntimeError("the change failed after notifying")
    assert all_notifications() == [] and outbox() == []


def test_a_deactivated_person_is_not_told(org):
    gone = make_user("Gil Gone", "gil@example.org", Grade.PO, [Role.PRACTITIONER], team_id=org.team_a_id, active=False)
    with session_scope() as session:
        assert notify(session, kind="audit_assigned", recipient_ids=[gone], record=AUDIT, occasion="o:3") == []


def test_an_unknown_kind_or_an_overlong_occasion_is_a_programming_error(org):
    with session_scope() as session, pytest.raises(ValueError):
        notify(session, kind="lottery_win", recipient_ids=[org.peer_id], record=None, occasion="o:4")
    with session_scope() as session, pytest.raises(ValueError):
        notify(session, kind="audit_assigned", recipient_ids=[org.peer_id], record=None, occasion="x" * 161)


def test_every_kind_opens_a_known_record_and_only_urgent_concerns_cannot_be_turned_off():
    assert all(k.opens is None or k.opens in RecordKind for k in KINDS.values())
    assert {k.key for k in KINDS.values() if not k.can_turn_off} == {"urgent_concern", "concern_escalated"}


# --- the LEARN loop ---------------------------------------------------------------


def test_accepting_the_sample_tells_each_auditor_of_each_audit(learn):
    org, _lead, _event = learn
    pairs = accepted(learn)
    for pair in pairs.pairs:
        for person in (pair.first_id, pair.second_id):
            mine = {rid for kind, _rk, rid in told(person, "audit_assigned")}
            assert {c.audit_id for c in pair.cases} <= mine


def test_the_loop_tells_holder_spo_and_action_holder_at_each_hand_over(learn):
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn), not_audited_by=[org.spo_id])
    auditor = auditor_of(org, pair)
    detail = workflow.audit_detail(auditor, audit_id)
    holder, spo = org.actor(detail.holder_id), org.actor(org.spo_id)
    version = workflow.save_draft(auditor, audit_id, all_yes(detail), None, detail.version)
    due = date.today() + timedelta(days=14)
    workflow.add_action(
        auditor,
        audit_id,
        validate(AuditActionCreate, {"description": "Update the risk plan", "owner_id": holder.id, "due_date": due}),
    )
    assert told(holder.id, "feedback_ready") == []  # nothing until the feedback is sent
    workflow.submit(auditor, audit_id, version)
    sheet = ("feedback_sheet", audit_id)
    assert [t[1:] for t in told(holder.id, "feedback_ready")] == [sheet]
    assert [t[1:] for t in told(spo.id, "feedback_ready")] == [sheet]
    assert [t[1:] for t in told(holder.id, "action_assigned")] == [sheet]

    workflow.reply(holder, audit_id, validate(HolderReply, {"reply": "Booked a review."}))
    assert [t[1:] for t in told(spo.id, "holder_replied")] == [sheet]
    workflow.mark_discussed(spo, audit_id)
    workflow.set_action_status(holder, workflow.audit_detail(holder, audit_id).actions[0].id, True)
    assert [t[1:] for t in told(spo.id, "actions_closed")] == [sheet]
    assert told(holder.id, "holder_replied") == told(holder.id, "actions_closed") == []  # never about oneself


def test_an_urgent_concern_tells_the_spo_and_the_pdus_qa_lead_at_once(learn):
    org, lead, _event = learn
    # Raised by an auditor who is neither the SPO nor the QA lead (whoever raises it is not told).
    raiser, audit_id = next(
        (person, p.cases[0].audit_id)
        for p in accepted(learn).pairs
        for person in (p.first_id, p.second_id)
        if p.cases and person not in (org.spo_id, lead.id)
    )
    urgent_concerns.raise_concern(org.actor(raiser), audit_id, validate(UrgentConcernCreate, {"description": SECRET}))
    assert told(org.spo_id, "urgent_concern") == [("urgent_concern", None, None)]  # acknowledged with team feedback
    assert told(lead.id, "urgent_concern") == [("urgent_concern", "case_audit", audit_id)]
    assert told(org.outsider_id) == []


def test_when_the_last_audit_is_in_the_qa_lead_is_told_moderation_is_waiting(learn):
    org, lead, event = learn
    pairs = accepted(learn)
    audits = [(pair, case.audit_id) for pair in pairs.pairs for case in pair.cases]
    for pair, audit_id in audits:
        assert told(lead.id, "moderation_waiting") == []
        auditor = auditor_of(org, pair)
        detail = workflow.audit_detail(auditor, audit_id)
        workflow.submit(
            auditor, audit_id, workflow.save_draft(auditor, audit_id, all_yes(detail), None, detail.version)
        )
    assert told(lead.id, "moderation_waiting") == [("moderation_waiting", "audit_event", event.id)]


# --- observations -----------------------------------------------------------------


def test_each_step_of_an_observation_tells_the_other_person(org):
    obs_id = shared(org)  # the SPO plans, the practitioner accepts, the SPO records and shares
    assert [k for k, _rk, _id in told(org.practitioner_id)] == ["observation_proposed", "observation_shared"]
    assert [k for k, _rk, _id in told(org.spo_id)] == ["observation_accepted"]
    observations.reply(
        org.actor(org.practitioner_id), obs_id, validate(PractitionerReply, {"reflection": SECRET, "reply": "Thanks"})
    )
    assert told(org.spo_id, "observation_replied") == [("observation_replied", "observation", obs_id)]


def test_a_practitioner_inviting_a_peer_tells_the_peer(org):
    obs_id = plan(org, observer_id=org.peer_id, by=org.practitioner_id)
    assert told(org.peer_id) == [("observation_proposed", "observation", obs_id)]
    assert told(org.practitioner_id) == []


# --- sharing, support requests and the agenda --------------------------------------


def test_a_share_and_its_withdrawal_tell_only_the_person_it_was_shared_with(org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.peer_id)
    assert told(org.peer_id) == [("note_shared", "shared_note", note_id)]
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    assert told(org.peer_id, "share_withdrawn") == [("share_withdrawn", None, None)]
    assert told(org.spo_id) == told(org.practitioner_id) == []


def test_a_support_request_tells_only_the_chosen_contact(org):
    request_id = support.ask(org.actor(org.practitioner_id), org.peer_id, "today")
    assert told(org.peer_id) == [("support_request", "support_request", request_id)]
    assert told(org.spo_id) == []  # not the asker's SPO, nobody else


def test_a_practitioners_agenda_item_tells_their_spo(org):
    agenda.add_item(org.actor(org.practitioner_id), org.practitioner_id, SECRET)
    assert told(org.spo_id) == [("agenda_items", "supervisee", org.practitioner_id)]
    agenda.add_item(org.actor(org.spo_id), org.practitioner_id, "Caseload")
    assert told(org.practitioner_id) == [("agenda_items", None, None)]


def test_a_recorded_supervision_asks_participants_to_confirm_and_tells_the_action_holder(org):
    session_id = supervision_record(org)
    here = ("supervision_session", session_id)
    assert [t[1:] for t in told(org.practitioner_id, "supervision_recorded")] == [here]
    assert [t[1:] for t in told(org.practitioner_id, "supervision_action")] == [here]
    group = supervision_record(
        org, participants=[org.practitioner_id, org.peer_id], kind="group case discussion", actions=[]
    )
    assert ("supervision_recorded", "supervision_session", group) in told(org.peer_id)
    assert told(org.peer_id, "supervision_action") == told(org.spo_id) == []


def test_no_notification_or_email_holds_private_text_or_a_name(org):
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.peer_id)
    support.ask(org.actor(org.practitioner_id), org.spo_id, "today")
    agenda.add_item(org.actor(org.practitioner_id), org.practitioner_id, SECRET)
    with session_scope() as session:
        stored = " ".join(
            " ".join(str(v) for v in row)
            for table in ("notification", "outbox_message")
            for row in session.connection().execute(text(f"SELECT * FROM {table}"))
        )
    assert stored  # something was stored
    for private in (SECRET, "After the home visit", "Pat", "Practitioner"):
        assert private not in stored


# --- the inbox --------------------------------------------------------------------


def fill(user_id, count, start=0):
    with session_scope() as session:
        for i in range(start, start + count):
            notify(session, kind="audit_assigned", recipient_ids=[user_id], record=AUDIT, occasion=f"fill:{i}")


def test_the_inbox_lists_newest_first_in_pages_and_counts_unread(org):
    fill(org.practitioner_id, 25)
    fill(org.peer_id, 3)
    pat = org.actor(org.practitioner_id)
    first = inbox.inbox(pat)
    assert (first.total, first.pages, first.unread, len(first.items)) == (25, 2, 25, inbox.PER_PAGE)
    ids = [i.id for i in first.items] + [i.id for i in inbox.inbox(pat, page=2).items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 25
    assert inbox.inbox(pat, page=99).page == 2  # clamped
    assert first.items[0].wording == "An audit has been assigned to you" and first.items[0].record == AUDIT


def test_opening_marks_read_and_mark_all_reads_the_rest(org):
    fill(org.practitioner_id, 3)
    pat = org.actor(org.practitioner_id)
    newest = inbox.inbox(pat).items[0]
    opened = inbox.open_notification(pat, newest.id)
    assert (opened.record, opened.read) == (AUDIT, True)
    assert inbox.my_unread_count(pat) == 2
    assert [i.read for i in inbox.inbox(pat).items] == [True, False, False]
    assert inbox.mark_all_read(pat) == 2
    assert inbox.my_unread_count(pat) == 0


def test_nobody_can_read_or_mark_someone_elses_notification(org):
    fill(org.peer_id, 1)
    theirs = inbox.inbox(org.actor(org.peer_id)).items[0].id
    for who in (org.practitioner_id, org.spo_id, org.qa_lead_id, org.admin_id):
        with pytest.raises(NotFound):
            inbox.open_notification(org.actor(who), theirs)
        with pytest.raises(NotFound):
            inbox.open_notification(org.actor(who), theirs + 1000)  # one that does not exist reads the same
        assert inbox.mark_all_read(org.actor(who)) == 0
    assert inbox.my_unread_count(org.actor(org.peer_id)) == 1


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.SPO, Role.QA_LEAD, Role.ADMIN])
def test_permission_matrix_every_role_reads_its_own_inbox_and_nobody_elses(role):
    me = Actor(id=7, full_name="X", email="x@example.org", grade=Grade.PO, roles=frozenset({role}), team_id=1, pdu_id=1)
    assert can(me, Action.READ_OWN_NOTIFICATIONS, PersonScope(7))
    assert not can(me, Action.READ_OWN_NOTIFICATIONS, PersonScope(8))
    assert not can(me, Action.READ_OWN_NOTIFICATIONS, None)


def test_the_unread_count_stops_at_the_cap(org):
    fill(org.practitioner_id, inbox.UNREAD_CAP + 5)
    with session_scope() as session:
        assert inbox.unread_count(session, org.practitioner_id) == inbox.UNREAD_CAP
        assert inbox.unread_count(session, org.practitioner_id, cap=None) == inbox.UNREAD_CAP + 5
    assert inbox.unread_label(inbox.UNREAD_CAP) == "99+" and inbox.unread_label(3) == "3"


def test_the_unread_count_reads_the_partial_index_not_the_table(org, db_url):
    """Someone with thousands of read items and a few unread: the count's plan uses ix_notification_unread."""
    fill(org.practitioner_id, 3)
    read = [
        {"recipient_id": org.practitioner_id, "kind": "audit_assigned", "occasion": f"old:{i}", "read_at": "2026-01-02"}
        for i in range(3000)
    ]
    with session_scope() as session:
        connection = session.connection()
        connection.execute(
            text(
                "INSERT INTO notification (recipient_id, kind, occasion, created_at, read_at) "
                "VALUES (:recipient_id, :kind, :occasion, '2026-01-01', :read_at)"
            ),
            read,
        )
        connection.execute(text("ANALYZE notification" if db_url.startswith("postgresql") else "ANALYZE"))
        statement = inbox.unread_statement(org.practitioner_id).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        explain = "EXPLAIN QUERY PLAN " if db_url.startswith("sqlite") else "EXPLAIN "
        plan_rows = connection.execute(text(explain + str(statement))).all()
    assert "ix_notification_unread" in " ".join(str(r) for r in plan_rows)
    with session_scope() as session:
        assert inbox.unread_count(session, org.practitioner_id) == 3


def test_read_items_older_than_the_retention_period_are_deleted(org):
    fill(org.practitioner_id, 3)
    pat = org.actor(org.practitioner_id)
    old, kept_unread, recent = inbox.inbox(pat).items[::-1]
    long_ago = inbox.inbox(pat).items[0].created_at - timedelta(days=400)
    with session_scope() as session:
        for row_id in (old.id, kept_unread.id):
            row = session.get(Notification, row_id)
            row.created_at = long_ago
            session.add(row)
        session.exec(select(OutboxMessage)).all()
        for message in session.exec(select(OutboxMessage)):
            message.status = "sent"
            session.add(message)
    inbox.open_notification(pat, old.id)
    inbox.open_notification(pat, recent.id)
    with session_scope() as session:
        assert inbox.purge_read(session, now=recent.created_at, keep_for=timedelta(days=180)) == 1
    assert [i.id for i in inbox.inbox(pat).items] == [recent.id, kept_unread.id]
    assert old.id not in {m.notification_id for m in outbox()}
