"""The supervision agenda: everything waiting to be discussed with one practitioner.

Assembled each time from its sources, so nothing has to be copied onto it:
audit feedback sheets not yet discussed, new observations and goals due for
review, reflections shared for supervision, open actions, requests to talk,
and items either person added. An item leaves the agenda once it has been
marked discussed in a session (open actions stay until they are done).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from db.audits import ActionStatus, AuditAction, AuditStatus, CaseAudit
from db.engine import session_scope
from db.ids import id_of
from db.observations import DevelopmentGoal, GoalAgreement, GoalStatus, Observation, ObservationStatus
from db.organisation import Case, User
from db.reflection import EntryKind, EntryShare, JournalEntry, RequestStatus, SupportRequest
from db.supervision import AgendaItem, AgendaKind, SupervisionAction
from qa.access.actor import Actor
from qa.access.policy import Action, can
from qa.errors import PermissionDenied, ValidationFailed
from qa.notifications.notify import besides, notify
from qa.observations.workflow import practitioner_scope
from qa.records import RecordKind, RecordRef

GOAL_REVIEW_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class AgendaEntry:
    kind: str
    source_id: int | None
    title: str
    detail: str = ""
    #: The record the item is about, when there is one to open.
    record: RecordRef | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.source_id}"


def _discussed(session: Session, practitioner_id: int, kind: AgendaKind) -> set[int]:
    source_ids = session.exec(
        select(AgendaItem.source_id).where(
            AgendaItem.practitioner_id == practitioner_id,
            AgendaItem.kind == kind,
            col(AgendaItem.discussed_in_id).is_not(None),
        )
    ).all()
    return {i for i in source_ids if i is not None}  # only compared with saved rows' ids, never None


def assemble(session: Session, practitioner_id: int, supervisor_id: int | None, today: date) -> list[AgendaEntry]:
    """The agenda itself (callers check the policy)."""
    items: list[AgendaEntry] = []
    refs = dict(session.exec(select(Case.id, Case.case_ref).where(Case.holder_id == practitioner_id)).all())

    audits = session.exec(
        select(CaseAudit)
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .where(
            Case.holder_id == practitioner_id,
            CaseAudit.status == AuditStatus.FEEDBACK_SENT,
            col(CaseAudit.moderates_id).is_(None),
            CaseAudit.feedback_to_id == supervisor_id,
        )
    ).all()
    items += [
        AgendaEntry(
            AgendaKind.AUDIT_FEEDBACK,
            a.id,
            f"Audit feedback on case {refs.get(a.case_id, '')}",
            "Discussing it marks the audit 'discussed in supervision'.",
            RecordRef(RecordKind.CASE_AUDIT, id_of(a)),
        )
        for a in audits
    ]

    seen = _discussed(session, practitioner_id, AgendaKind.OBSERVATION)
    observations = session.exec(
        select(Observation).where(
            Observation.practitioner_id == practitioner_id,
            col(Observation.status).in_([ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]),
            col(Observation.calibration_of_id).is_(None),
        )
    ).all()
    items += [
        AgendaEntry(
            AgendaKind.OBSERVATION,
            o.id,
            f"Observation of {o.observed_on:%d %b %Y}",
            o.status,
            RecordRef(RecordKind.OBSERVATION, id_of(o)),
        )
        for o in observations
        if o.id not in seen
    ]

    seen = _discussed(session, practitioner_id, AgendaKind.GOAL_REVIEW)
    goals = session.exec(
        select(DevelopmentGoal).where(
            DevelopmentGoal.practitioner_id == practitioner_id,
            DevelopmentGoal.status == GoalStatus.OPEN,
            DevelopmentGoal.agreement == GoalAgreement.AGREED,  # a proposal is not an open goal yet
            DevelopmentGoal.review_date <= today + GOAL_REVIEW_WINDOW,
        )
    ).all()
    items += [
        AgendaEntry(
            AgendaKind.GOAL_REVIEW,
            g.id,
            f"Review goal: {g.description}",
            f"review by {g.review_date:%d %b %Y}",
            RecordRef(RecordKind.OBSERVATION, g.observation_id),
        )
        for g in goals
        if g.id not in seen
    ]

    if supervisor_id is not None:
        seen = _discussed(session, practitioner_id, AgendaKind.SHARED_REFLECTION)
        shares = session.exec(
            select(EntryShare).where(
                EntryShare.author_id == practitioner_id,
                EntryShare.shared_with_id == supervisor_id,
                EntryShare.for_supervision,
                col(EntryShare.revoked_at).is_(None),
                EntryShare.kind == EntryKind.NOTE,
            )
        ).all()
        for share in shares:
            if share.id in seen:
                continue
            note = session.get(JournalEntry, share.entry_id)
            title = json.loads(note.content or "{}").get("title", "") if note is not None else ""
            items.append(
                AgendaEntry(
                    AgendaKind.SHARED_REFLECTION,
                    share.id,
                    f"Shared reflection: {title or 'untitled note'}",
                    "Shared with you for supervision.",
                    RecordRef(RecordKind.SHARED_NOTE, share.entry_id),
                )
            )

        requests = session.exec(
            select(SupportRequest).where(
                SupportRequest.requester_id == practitioner_id,
                SupportRequest.recipient_id == supervisor_id,
                SupportRequest.status != RequestStatus.DONE,
            )
        ).all()
        items += [
            AgendaEntry(
                AgendaKind.SUPPORT_REQUEST,
                r.id,
                f"Asked to talk ({r.urgency})",
                "What it is about stays private unless they share it.",
            )
            for r in requests
        ]

    actions = session.exec(
        select(AuditAction, CaseAudit.case_id)
        .join(CaseAudit, col(AuditAction.audit_id) == col(CaseAudit.id))
        .where(
            AuditAction.owner_id == practitioner_id,
            AuditAction.status == ActionStatus.OPEN,
            col(CaseAudit.status).in_([AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED]),
        )
    ).all()
    for action, case_id in actions:
        overdue = " · overdue" if action.due_date < today else ""
        items.append(
            AgendaEntry(
                AgendaKind.ACTION,
                action.id,
                f"Audit action: {action.description}",
                f"case {refs.get(case_id, '')}, due {action.due_date:%d %b %Y}{overdue}",
                RecordRef(RecordKind.CASE_AUDIT, action.audit_id),
            )
        )
    for agreed in session.exec(
        select(SupervisionAction).where(
            col(SupervisionAction.owner_id) == practitioner_id, col(SupervisionAction.done_at).is_(None)
        )
    ).all():
        overdue = " · overdue" if agreed.due_date < today else ""
        items.append(
            AgendaEntry(
                AgendaKind.ACTION,
                -id_of(agreed),
                f"Supervision action: {agreed.description}",
                f"due {agreed.due_date:%d %b %Y}{overdue}",
            )
        )

    added = session.exec(
        select(AgendaItem).where(
            AgendaItem.practitioner_id == practitioner_id,
            AgendaItem.kind == AgendaKind.ADDED,
            col(AgendaItem.discussed_in_id).is_(None),
        )
    ).all()
    names = (
        dict(
            session.exec(
                select(col(User.id), col(User.full_name)).where(
                    col(User.id).in_({a.added_by_id for a in added if a.added_by_id})
                )
            ).all()
        )
        if added
        else {}
    )
    items += [AgendaEntry(AgendaKind.ADDED, a.id, a.title, f"added by {names.get(a.added_by_id, '')}") for a in added]
    return items


def agenda(actor: Actor, practitioner_id: int, today: date | None = None) -> list[AgendaEntry]:
    today = today or date.today()
    with session_scope() as session:
        scope = practitioner_scope(session, practitioner_id)
        if not can(actor, Action.VIEW_AGENDA, scope):
            raise PermissionDenied()
        return assemble(session, practitioner_id, scope.spo_id, today)


def add_item(actor: Actor, practitioner_id: int, title: str) -> None:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "Say what you would like to discuss."})
    if len(title) > 300:
        raise ValidationFailed({"title": f"Keep it to 300 characters or fewer (you entered {len(title)})."})
    with session_scope() as session:
        scope = practitioner_scope(session, practitioner_id)
        if not can(actor, Action.VIEW_AGENDA, scope):
            raise PermissionDenied()
        item = AgendaItem(practitioner_id=practitioner_id, kind=AgendaKind.ADDED, title=title, added_by_id=actor.id)
        session.add(item)
        session.flush()
        # The other of the two is told that the agenda has something new; never what it says.
        occasion = f"agenda_items:{id_of(item)}"
        if scope.spo_id is not None and scope.spo_id != actor.id:
            supervisee = RecordRef(RecordKind.SUPERVISEE, practitioner_id)
            notify(session, kind="agenda_items", recipient_ids=[scope.spo_id], record=supervisee, occasion=occasion)
        notify(
            session,
            kind="agenda_items",
            recipient_ids=besides(actor.id, practitioner_id),
            record=None,
            occasion=occasion,
        )
