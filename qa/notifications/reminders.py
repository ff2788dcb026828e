"""Time-based reminders: what becomes due just because days pass, raised by the sender's command.

``python -m portal send-notifications`` calls :func:`raise_due` before it sends.
Each reminder goes through :func:`qa.notifications.notify.notify` with an
*occasion* key built from ids and the date it is about, so it is raised once per
occasion however often the command runs (every minute from a loop, or from two
machines at once). Working days skip weekends and England and Wales bank
holidays (qa/working_days.py).

- ``action_due_soon``: an open audit action is due within 3 working days; its holder;
  ``action_due_soon:<action>:<due date>``.
- ``action_overdue``: an open audit action's due date has passed; its holder; ``action_overdue:<action>:<due date>``.
- ``supervision_due``: supervision must happen within 7 days; the supervisee and their SPO;
  ``supervision_due:<person>:<deadline>``.
- ``supervision_overdue``: supervision is overdue, or has never happened; the supervisee and their SPO;
  ``supervision_overdue:<person>:<deadline>``.
- ``concern_escalated``: an urgent concern is still unacknowledged on the 2nd working day after it was
  raised; the ACO (below); ``concern_escalated:<concern>``.
- ``sample_not_accepted``: a LEARN event's sample is not accepted 5 working days before the day; the PDU's
  QA leads; ``sample_not_accepted:<event>:<day>``.
- ``moderation_waiting``: every audit of an event is in and no moderation has started; the PDU's QA leads;
  ``moderation_waiting:<event>``, the audit workflow's own key, so a catch-up never tells anyone twice.

A due date in a key means a changed due date is a new occasion.

**Who the ACO is.** The portal has no "ACO" role: a senior manager is a person of
grade ``Grade.ACO`` ("Senior manager / ACO"), usually the manager of the PDU's
SPOs (in the demo each PDU's ACO also holds the QA lead role). An escalation goes
to the SPO's own manager if that person is an active ACO; otherwise to the active
ACO-grade people in the PDU; and if the PDU has none, to its QA leads, so an
escalation never goes nowhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from db.audits import ActionStatus, AuditAction, AuditEvent, AuditStatus, CaseAudit, EventStatus, UrgentConcern
from db.engine import session_scope
from db.ids import id_of
from db.notifications import Notification
from db.organisation import Grade, Team, User
from qa.audits.concerns import ESCALATE_AFTER_WORKING_DAYS
from qa.notifications.notify import notify, qa_leads_of
from qa.records import RecordKind, RecordRef
from qa.supervision.cadence import cadence_rows, practitioners_query
from qa.working_days import working_days_between

__all__ = ["ACTION_DUE_WORKING_DAYS", "SAMPLE_WORKING_DAYS", "SUPERVISION_DUE_DAYS", "Raised", "aco_for", "raise_due"]

UK = ZoneInfo("Europe/London")
ACTION_DUE_WORKING_DAYS = 3
SUPERVISION_DUE_DAYS = 7
SAMPLE_WORKING_DAYS = 5


@dataclass
class Raised:
    """How many people each kind of reminder told in one run (nobody twice for one occasion)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, told: int) -> None:
        if told:
            self.counts[kind] += told

    def describe(self) -> str:
        if not self.counts:
            return "nothing new is due."
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.counts.items())) + "."


def raise_due(now: datetime | None = None) -> Raised:
    """Raise every reminder that is due at ``now`` (default: now), each once per occasion."""
    moment = now if now else datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    today = moment.astimezone(UK).date()
    raised = Raised()
    for step in (_actions, _supervision, _escalations, _samples, _moderation):
        with session_scope() as session:
            _raise_new(session, list(step(session, today)), moment, raised)
    return raised


@dataclass(frozen=True)
class _Reminder:
    kind: str
    people: list[int | None]
    record: RecordRef | None
    occasion: str


def _raise_new(session: Session, reminders: list[_Reminder], now: datetime, raised: Raised) -> None:
    """Notify each reminder's people who were not told of its occasion before.

    notify() alone would keep every occasion once; asking first which (person,
    occasion) pairs exist, in one query per 500 occasions, spares a run that finds
    nothing new (most runs) two statements per reminder still due."""
    occasions = sorted({r.occasion for r in reminders})
    told: set[tuple[int, str]] = set()
    for start in range(0, len(occasions), 500):
        told.update(
            (recipient, occasion)
            for recipient, occasion in session.exec(
                select(col(Notification.recipient_id), col(Notification.occasion)).where(
                    col(Notification.occasion).in_(occasions[start : start + 500])
                )
            ).all()
        )
    for r in reminders:
        people = [p for p in r.people if p is not None and (p, r.occasion) not in told]
        if people:
            added = notify(session, kind=r.kind, recipient_ids=people, record=r.record, occasion=r.occasion, now=now)
            raised.add(r.kind, len(added))


def _actions(session: Session, today: date) -> Iterator[_Reminder]:
    horizon = today + timedelta(days=ACTION_DUE_WORKING_DAYS + 7)  # enough calendar days for any run of holidays
    actions = session.exec(
        select(AuditAction).where(AuditAction.status == ActionStatus.OPEN, col(AuditAction.due_date) <= horizon)
    ).all()
    for action in actions:
        sheet = RecordRef(RecordKind.FEEDBACK_SHEET, action.audit_id)
        if action.due_date < today:
            kind = "action_overdue"
        elif working_days_between(today, action.due_date) <= ACTION_DUE_WORKING_DAYS:
            kind = "action_due_soon"
        else:
            continue
        yield _Reminder(kind, [action.owner_id], sheet, f"{kind}:{id_of(action)}:{action.due_date}")


def _supervision(session: Session, today: date) -> Iterator[_Reminder]:
    people = session.exec(
        practitioners_query(select(User, Team).join(Team, col(User.team_id) == col(Team.id), isouter=True)).where(
            col(User.supervisor_id).is_not(None)
        )
    ).all()
    supervisors = {id_of(user): user.supervisor_id for user, _team in people}
    for row in cadence_rows(session, people, today):
        deadline = row.overdue_after
        if deadline is None or deadline < today:
            kind = "supervision_overdue"
        elif (deadline - today).days <= SUPERVISION_DUE_DAYS:
            kind = "supervision_due"
        else:
            continue
        occasion = f"{kind}:{row.practitioner_id}:{deadline or 'never'}"
        # The SPO's link opens this person's supervision; the supervisee's opens their notifications.
        supervisee = RecordRef(RecordKind.SUPERVISEE, row.practitioner_id)
        yield _Reminder(kind, [supervisors[row.practitioner_id]], supervisee, occasion)
        yield _Reminder(kind, [row.practitioner_id], None, occasion)


def aco_for(session: Session, spo_id: int | None, pdu_id: int) -> list[int]:
    """Who an urgent concern escalates to: see the module docstring."""
    if spo_id is not None:
        spo = session.get(User, spo_id)
        manager = session.get(User, spo.supervisor_id) if spo and spo.supervisor_id else None
        if manager is not None and manager.is_active and manager.grade == Grade.ACO:
            return [id_of(manager)]
    acos = session.exec(
        select(User.id)
        .join(Team, col(Team.id) == col(User.team_id))
        .where(col(Team.pdu_id) == pdu_id, col(User.grade) == Grade.ACO, col(User.is_active))
        .order_by(col(User.id))
    ).all()
    return [aco for aco in acos if aco is not None] or qa_leads_of(session, pdu_id)


def _escalations(session: Session, today: date) -> Iterator[_Reminder]:
    rows = session.exec(
        select(UrgentConcern, AuditEvent.pdu_id)
        .join(CaseAudit, col(CaseAudit.id) == col(UrgentConcern.audit_id))
        .join(AuditEvent, col(AuditEvent.id) == col(CaseAudit.event_id))
        .where(col(UrgentConcern.acknowledged_at).is_(None))
    ).all()
    for concern, pdu_id in rows:
        raised_on = (
            concern.raised_at if concern.raised_at.tzinfo else concern.raised_at.replace(tzinfo=UTC)
        ).astimezone(UK)
        if working_days_between(raised_on.date(), today) < ESCALATE_AFTER_WORKING_DAYS:
            continue
        yield _Reminder(
            "concern_escalated",
            list(aco_for(session, concern.spo_id, pdu_id)),
            RecordRef(RecordKind.CASE_AUDIT, concern.audit_id),
            f"concern_escalated:{id_of(concern)}",
        )


def _to_qa_leads(session: Session, kind: str, event: AuditEvent, key: str) -> _Reminder:
    """A reminder for the event's PDU's QA leads; the occasion is ``<kind>:<key>``."""
    leads: list[int | None] = list(qa_leads_of(session, event.pdu_id))
    return _Reminder(kind, leads, RecordRef(RecordKind.AUDIT_EVENT, id_of(event)), f"{kind}:{key}")


def _samples(session: Session, today: date) -> Iterator[_Reminder]:
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.status == EventStatus.PLANNING,
            col(AuditEvent.event_date) >= today,
            col(AuditEvent.event_date) <= today + timedelta(days=SAMPLE_WORKING_DAYS + 14),
        )
    ).all()
    for event in events:
        if working_days_between(today, event.event_date) > SAMPLE_WORKING_DAYS:
            continue
        yield _to_qa_leads(session, "sample_not_accepted", event, f"{id_of(event)}:{event.event_date}")


def _moderation(session: Session, today: date) -> Iterator[_Reminder]:
    """Catch-up for events whose audits were all in before notifications existed (the workflow tells at once)."""
    originals = (
        select(
            col(CaseAudit.event_id),
            func.count().label("audits"),
            func.sum(case((col(CaseAudit.status) == AuditStatus.DRAFT, 1), else_=0)).label("drafts"),
        )
        .where(col(CaseAudit.moderates_id).is_(None))
        .group_by(col(CaseAudit.event_id))
        .subquery()
    )
    moderated = select(col(CaseAudit.event_id)).where(col(CaseAudit.moderates_id).is_not(None))
    events = session.exec(
        select(AuditEvent)
        .join(originals, originals.c.event_id == col(AuditEvent.id))
        .where(
            originals.c.audits > 0,
            originals.c.drafts == 0,
            col(AuditEvent.id).not_in(moderated),
            col(AuditEvent.event_date) >= today - timedelta(days=90),
        )
    ).all()
    for event in events:
        yield _to_qa_leads(session, "moderation_waiting", event, str(id_of(event)))
