"""Time-based reminders: each is raised once per occasion, on the right working day, to the right people.

Dates are fixed so that weekends and England and Wales bank holidays fall where
the tests say: Easter 2026 is Good Friday 3 April and Easter Monday 6 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from db.audits import AuditAction, AuditEvent, AuditEventCreate, UrgentConcern, UrgentConcernCreate
from db.engine import session_scope
from db.ids import id_of
from db.notifications import Notification
from db.organisation import Grade, Role, User
from db.supervision import SessionKind, SessionParticipant, SupervisionSession
from qa.audits import concerns
from qa.audits import events as audit_events
from qa.notifications import reminders, sender
from qa.notifications.kinds import kind
from qa.records import RecordKind
from qa.validation import validate
from tests.factories import case_pool, make_user
from tests.mailserver import MailCatcher
from tests.test_notification_delivery import LINKS, settings
from tests.test_supervision import sent_audit


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` (UTC; in winter that is UK time too, and no test needs the hour exactly)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def told(kind: str) -> list[tuple[int, str | None, int | None]]:
    """Who was told about ``kind``: (recipient, record kind, record id), in order."""
    with session_scope() as session:
        rows = session.exec(
            select(Notification).where(Notification.kind == kind).order_by(col(Notification.recipient_id))
        ).all()
    return [(n.recipient_id, n.record_kind, n.record_id) for n in rows]


def run(day: date) -> reminders.Raised:
    return reminders.raise_due(at(day))


# --- audit actions ---------------------------------------------------------------------------------


@pytest.fixture
def action(org):
    """Pat's one open action from a submitted audit; the test sets its due date."""
    audit_id = sent_audit(org)
    with session_scope() as session:
        row = session.exec(select(AuditAction).where(AuditAction.audit_id == audit_id)).one()
    return row


def due_on(action: AuditAction, day: date) -> None:
    with session_scope() as session:
        row = session.get(AuditAction, action.id)
        assert row is not None
        row.due_date = day
        session.add(row)


def test_an_action_due_within_3_working_days_reminds_its_holder_once(org, action):
    due_on(action, date(2026, 11, 27))  # a Friday
    assert run(date(2026, 11, 23)).counts["action_due_soon"] == 0  # Monday: 4 working days away
    assert run(date(2026, 11, 24)).counts["action_due_soon"] == 1  # Tuesday: 3
    assert told("action_due_soon") == [(org.practitioner_id, RecordKind.FEEDBACK_SHEET, action.audit_id)]
    for day in (24, 25, 26, 27):
        run(date(2026, 11, day))
    assert len(told("action_due_soon")) == 1
    assert told("action_overdue") == []


def test_bank_holidays_do_not_count_towards_the_3_working_days(org, action):
    due_on(action, date(2026, 4, 8))  # the Wednesday after Easter
    run(date(2026, 3, 31))  # Tuesday before: Wed 1, Thu 2, Tue 7, Wed 8 is 4 working days
    assert told("action_due_soon") == []
    run(date(2026, 4, 1))  # Thu 2, (Good Friday, weekend, Easter Monday), Tue 7, Wed 8: 3
    assert told("action_due_soon") == [(org.practitioner_id, RecordKind.FEEDBACK_SHEET, action.audit_id)]


def test_an_overdue_action_reminds_its_holder_once_and_a_new_due_date_is_a_new_occasion(org, action):
    due_on(action, date(2026, 11, 27))
    run(date(2026, 11, 28))
    run(date(2026, 11, 30))
    assert told("action_overdue") == [(org.practitioner_id, RecordKind.FEEDBACK_SHEET, action.audit_id)]
    due_on(action, date(2026, 12, 1))  # agreed a later date, then missed that too
    run(date(2026, 12, 2))
    assert len(told("action_overdue")) == 2


def test_a_closed_action_is_never_reminded(org, action):
    from db.audits import ActionStatus

    with session_scope() as session:
        row = session.get(AuditAction, action.id)
        assert row is not None
        row.due_date, row.status = date(2026, 11, 20), ActionStatus.DONE
        session.add(row)
    run(date(2026, 11, 30))
    assert told("action_overdue") == told("action_due_soon") == []


# --- urgent concerns: escalation to the ACO --------------------------------------------------------


@pytest.fixture
def concern(org):
    """An urgent concern on an audit of Pat's case, raised by the QA lead; the test sets when."""
    audit_id = sent_audit(org)
    return concerns.raise_concern(
        org.actor(org.qa_lead_id), audit_id, validate(UrgentConcernCreate, {"description": "Children at risk"})
    )


def raised_on(concern_id: int, day: date) -> int:
    with session_scope() as session:
        row = session.get(UrgentConcern, concern_id)
        assert row is not None
        row.raised_at = at(day, 15)
        session.add(row)
        return row.audit_id


@pytest.mark.parametrize(
    "raised, first_working_day, second_working_day",
    [
        (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)),  # Monday: Tuesday, Wednesday
        (date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)),  # Thursday: Friday, then over the weekend
        (date(2026, 4, 2), date(2026, 4, 7), date(2026, 4, 8)),  # Thursday before Easter: over two bank holidays
        (date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30)),  # Christmas Eve: 25, 28 are holidays
    ],
)
def test_an_unacknowledged_concern_escalates_to_the_aco_on_the_second_working_day(
    org, concern, raised, first_working_day, second_working_day
):
    audit_id = raised_on(concern, raised)
    day = raised
    while day < second_working_day:
        run(day)
        day += timedelta(days=1)
    assert told("concern_escalated") == [], f"not before {second_working_day}"
    run(first_working_day)
    assert told("concern_escalated") == []
    run(second_working_day)
    # Quinn is the north PDU's senior manager (grade ACO).
    assert told("concern_escalated") == [(org.qa_lead_id, RecordKind.CASE_AUDIT, audit_id)]
    run(second_working_day + timedelta(days=1))
    assert len(told("concern_escalated")) == 1


def test_an_acknowledged_concern_never_escalates(org, concern):
    from db.audits import Acknowledgement

    raised_on(concern, date(2026, 11, 23))
    concerns.acknowledge(org.actor(org.spo_id), concern, validate(Acknowledgement, {"note": "Spoke to Pat"}))
    run(date(2026, 11, 30))
    assert told("concern_escalated") == []


def test_the_escalation_goes_to_the_spos_own_manager_when_they_are_an_aco(org, concern):
    aco = make_user("Ari Manager", "aco@example.org", Grade.ACO, [Role.SPO], team_id=org.team_b_id)
    with session_scope() as session:
        spo = session.get(User, org.spo_id)
        assert spo is not None
        spo.supervisor_id = aco
        session.add(spo)
    audit_id = raised_on(concern, date(2026, 11, 23))
    run(date(2026, 11, 25))
    assert told("concern_escalated") == [(aco, RecordKind.CASE_AUDIT, audit_id)]


def test_without_an_aco_in_the_pdu_the_escalation_goes_to_its_qa_leads(org, concern):
    with session_scope() as session:
        lead = session.get(User, org.qa_lead_id)
        assert lead is not None
        lead.grade = Grade.SPO  # the PDU now has no one of ACO grade
        session.add(lead)
    audit_id = raised_on(concern, date(2026, 11, 23))
    run(date(2026, 11, 25))
    assert told("concern_escalated") == [(org.qa_lead_id, RecordKind.CASE_AUDIT, audit_id)]


def test_one_email_per_person_and_occasion_however_often_the_command_runs(org, concern):
    raised_on(concern, date(2026, 11, 23))
    mail = MailCatcher().start()
    try:
        for hour in (9, 10, 11):
            moment = at(date(2026, 11, 25), hour)
            reminders.raise_due(moment)
            sender.send_due(LINKS, server=mail.mail_server(), now=moment, settings=settings())
        escalations = [r for r in mail.received if r.subject.startswith(kind("concern_escalated").wording)]
    finally:
        mail.stop()
    assert [r.recipients for r in escalations] == [("qa@example.org",)]
    assert "Children at risk" not in escalations[0].whole


# --- supervision --------------------------------------------------------------------------------------


def supervised_on(org, day: date, *people: int) -> None:
    with session_scope() as session:
        meeting = SupervisionSession(supervisor_id=org.spo_id, kind=SessionKind.ONE_TO_ONE, held_on=day)
        session.add(meeting)
        session.flush()
        for person in people:
            session.add(SessionParticipant(session_id=id_of(meeting), practitioner_id=person))


def test_supervision_due_within_7_days_tells_the_supervisee_and_the_spo(org):
    # Last seen 2 November: due by 14 December (every 4 to 6 weeks).
    supervised_on(org, date(2026, 11, 2), org.practitioner_id, org.peer_id)
    run(date(2026, 12, 6))
    assert told("supervision_due") == []
    run(date(2026, 12, 7))
    run(date(2026, 12, 8))
    assert sorted(told("supervision_due")) == sorted(
        [
            (org.spo_id, RecordKind.SUPERVISEE, org.practitioner_id),
            (org.spo_id, RecordKind.SUPERVISEE, org.peer_id),
            (org.practitioner_id, None, None),
            (org.peer_id, None, None),
        ]
    )
    # (Olu, in the south PDU, has never been supervised: Olu and Bea hear that he is overdue; nobody else does.)
    ours = {org.spo_id, org.practitioner_id, org.peer_id}
    assert [t for t in told("supervision_overdue") if t[0] in ours] == []
    run(date(2026, 12, 15))
    assert len([t for t in told("supervision_overdue") if t[0] in ours]) == 4


def test_never_supervised_is_overdue_once(org):
    run(date(2026, 12, 7))
    run(date(2026, 12, 8))
    overdue = told("supervision_overdue")
    assert {r for r, _k, _i in overdue} == {org.spo_id, org.practitioner_id, org.peer_id, org.outsider_id, org.spo_b_id}
    assert len(overdue) == 6  # Pat and Pip each tell themselves and Sam; Olu tells himself and Bea


# --- LEARN events --------------------------------------------------------------------------------------


def event_on(org, day: date) -> int:
    """A LEARN event in the north PDU on ``day``, its sample proposed but not accepted."""
    case_pool(org, 16)
    event = audit_events.create_event(
        org.actor(org.qa_lead_id),
        validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": date(2027, 1, 20), "sample_size": 12}),
    )
    with session_scope() as session:  # moved to a fixed day, which the service would refuse as past
        row = session.get(AuditEvent, event.id)
        assert row is not None
        row.event_date = day
        session.add(row)
    return event.id


def test_a_sample_not_accepted_5_working_days_before_the_day_tells_the_qa_lead(org):
    event_id = event_on(org, date(2026, 4, 10))  # the Friday after Easter
    run(date(2026, 4, 1))  # Thu 2, (Good Friday, weekend, Easter Monday), Tue 7, Wed 8, Thu 9, Fri 10: 5 working days
    assert told("sample_not_accepted") == [(org.qa_lead_id, RecordKind.AUDIT_EVENT, event_id)]
    run(date(2026, 4, 2))
    assert len(told("sample_not_accepted")) == 1


def test_a_sample_more_than_5_working_days_away_or_accepted_tells_no_one(org):
    event_id = event_on(org, date(2026, 4, 10))
    run(date(2026, 3, 31))  # Wed 1, Thu 2, Tue 7, Wed 8, Thu 9, Fri 10: 6 working days
    assert told("sample_not_accepted") == []
    audit_events.accept_sample(org.actor(org.qa_lead_id), event_id)
    run(date(2026, 4, 8))
    assert told("sample_not_accepted") == []
