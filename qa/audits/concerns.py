"""Urgent risk-of-harm concerns raised during an audit.

A concern goes at once to the case holder's SPO and stays on their home page
until acknowledged with a note. Concerns unacknowledged for more than 2
working days are highlighted for the PDU's QA lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from db.audits import Acknowledgement, AuditEvent, CaseAudit, UrgentConcern, UrgentConcernCreate
from db.engine import session_scope
from db.ids import id_of
from db.organisation import Case, User, utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, ConcernScope, PduScope, can, require
from qa.audits.workflow import load_for, scope_of
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.lookup import get_required
from qa.notifications.notify import besides, notify, qa_leads_of
from qa.records import RecordKind, RecordRef
from qa.working_days import working_days_between

ESCALATE_AFTER_WORKING_DAYS = 2


@dataclass(frozen=True)
class ConcernAlert:
    id: int
    audit_id: int
    case_ref: str
    description: str
    raised_by_name: str
    raised_at: datetime
    spo_name: str | None
    working_days_open: int
    acknowledged_at: datetime | None
    acknowledgement: str | None

    @property
    def overdue(self) -> bool:
        return self.acknowledged_at is None and self.working_days_open > ESCALATE_AFTER_WORKING_DAYS


def raise_concern(actor: Actor, audit_id: int, data: UrgentConcernCreate) -> int:
    with session_scope() as session:
        audit, scope = load_for(session, actor, audit_id, Action.RAISE_URGENT_CONCERN)
        concern = UrgentConcern(
            audit_id=audit_id,
            case_id=audit.case_id,
            raised_by_id=actor.id,
            description=data.description,
            spo_id=scope.spo_id,
        )
        session.add(concern)
        session.flush()
        # At once, to the holder's SPO and the PDU's QA leads: this kind's email cannot be turned off. The SPO
        # acknowledges it among their team's feedback (the audit itself may still be a draft they cannot open);
        # a QA lead may open the audit, where the concern stands at the top.
        occasion = f"urgent_concern:{id_of(concern)}"
        notify(
            session,
            kind="urgent_concern",
            recipient_ids=besides(actor.id, scope.spo_id),
            record=None,
            occasion=occasion,
        )
        notify(
            session,
            kind="urgent_concern",
            recipient_ids=besides(actor.id, *qa_leads_of(session, scope.pdu_id)),
            record=RecordRef(RecordKind.CASE_AUDIT, audit_id),
            occasion=occasion,
        )
        trail.record(session, actor, "raised_urgent_concern", "case_audit", audit.id, f"concern {concern.id}")
        return id_of(concern)


def _alerts(session: Session, concerns: Sequence[UrgentConcern], today: date) -> list[ConcernAlert]:
    ids = {c.raised_by_id for c in concerns} | {c.spo_id for c in concerns if c.spo_id}
    names = (
        dict(session.exec(select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids))).all()) if ids else {}
    )
    refs = (
        dict(
            session.exec(
                select(col(Case.id), col(Case.case_ref)).where(col(Case.id).in_({c.case_id for c in concerns}))
            ).all()
        )
        if concerns
        else {}
    )
    return [
        ConcernAlert(
            id_of(c),
            c.audit_id,
            refs.get(c.case_id, ""),
            c.description,
            names.get(c.raised_by_id, ""),
            c.raised_at,
            names.get(c.spo_id),
            working_days_between(c.raised_at.date(), today),
            c.acknowledged_at,
            c.acknowledgement,
        )
        for c in concerns
    ]


def concerns_for_me(actor: Actor, today: date | None = None) -> list[ConcernAlert]:
    """Unacknowledged concerns about my supervisees' cases, oldest first."""
    today = today or date.today()
    with session_scope() as session:
        concerns = session.exec(
            select(UrgentConcern)
            .where(col(UrgentConcern.spo_id) == actor.id, col(UrgentConcern.acknowledged_at).is_(None))
            .order_by(col(UrgentConcern.raised_at))
        ).all()
        return _alerts(session, list(concerns), today)


def pdu_concerns(actor: Actor, pdu_id: int, today: date | None = None) -> list[ConcernAlert]:
    """Every concern in the PDU's audits, for the QA lead; overdue ones are flagged."""
    require(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(pdu_id))
    today = today or date.today()
    with session_scope() as session:
        concerns = session.exec(
            select(UrgentConcern)
            .join(CaseAudit, col(UrgentConcern.audit_id) == col(CaseAudit.id))
            .join(AuditEvent, col(CaseAudit.event_id) == col(AuditEvent.id))
            .where(AuditEvent.pdu_id == pdu_id)
            .order_by(col(UrgentConcern.acknowledged_at).is_not(None), col(UrgentConcern.raised_at))
        ).all()
        return _alerts(session, list(concerns), today)


def acknowledge(actor: Actor, concern_id: int, data: Acknowledgement) -> None:
    with session_scope() as session:
        concern = session.get(UrgentConcern, concern_id)
        if concern is None:
            raise NotFound("That concern could not be found.")
        audit = get_required(session, CaseAudit, concern.audit_id)
        scope = scope_of(session, audit)
        if not can(actor, Action.ACKNOWLEDGE_CONCERN, ConcernScope(scope.pdu_id, concern.spo_id)):
            raise PermissionDenied()
        if concern.acknowledged_at is not None:
            raise ValidationFailed({"note": "This concern has already been acknowledged."})
        concern.acknowledged_at, concern.acknowledged_by_id, concern.acknowledgement = utcnow(), actor.id, data.note
        session.add(concern)
        trail.record(session, actor, "acknowledged_urgent_concern", "case_audit", audit.id, f"concern {concern.id}")
