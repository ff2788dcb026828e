"""The access log: who has opened a record about me, and when.

Every service that shows a record about a person calls :func:`record_view`
inside its own transaction, so the view and its log row land together. The
log names the viewer, the person the record is about, the kind of record and
its id, and the time; never the record's text.

- Opening your own record is not logged: the log answers "who else has looked?".
- A page redraws on every click, so opening the same record again within
  :data:`REPEAT_WINDOW` counts as the same view.
- Only the person the records are about may read their log (see
  ``qa/access/policy.py``, ``Action.VIEW_ACCESS_LOG``): no role, admin included.
- Rows are never changed or deleted through the portal (an ORM guard below).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, col, select

from db.access_log import RecordKind, RecordView
from db.audits import CaseAudit
from db.engine import session_scope
from db.ids import id_of
from db.observations import Observation
from db.organisation import GRADE_LABELS, Case, Grade, Role, User, utcnow
from db.reflection import Debrief, JournalEntry
from db.supervision import SupervisionSession
from qa.access.actor import Actor
from qa.access.policy import AccessLogScope, Action, require
from qa.organisation.directory import roles_by_user

REPEAT_WINDOW = timedelta(minutes=15)
LIST_LIMIT = 1000

KIND_LABELS = {
    RecordKind.OBSERVATION: "Observation of your practice",
    RecordKind.CASE_AUDIT: "Case audit (in progress)",
    RecordKind.FEEDBACK_SHEET: "Audit feedback sheet",
    RecordKind.SHARED_NOTE: "Reflective note you shared",
    RecordKind.SHARED_DEBRIEF: "Debrief you shared",
    RecordKind.SUPERVISION_SESSION: "Supervision record",
    RecordKind.DEVELOPMENT: "Your development profile",
}


def record_view(
    session: Session, actor: Actor | None, subject_id: int | None, kind: RecordKind | str, record_id: int
) -> bool:
    """Log that ``actor`` opened a record about ``subject_id``. Returns True if a row was written.

    Nothing is written when the viewer is the subject, or when the same person
    opened the same record within the last :data:`REPEAT_WINDOW`.
    """
    if actor is None or subject_id is None or actor.id == subject_id:
        return False
    kind = RecordKind(kind)
    recent = session.exec(
        select(RecordView.id).where(
            RecordView.subject_id == subject_id,
            RecordView.at >= utcnow() - REPEAT_WINDOW,
            RecordView.viewer_id == actor.id,
            RecordView.record_kind == kind,
            RecordView.record_id == record_id,
        )
    ).first()
    if recent is not None:
        return False
    session.add(RecordView(viewer_id=actor.id, subject_id=subject_id, record_kind=kind, record_id=record_id))
    return True


def record_views(
    session: Session, actor: Actor | None, subject_ids: Iterable[int], kind: RecordKind | str, record_id: int
) -> int:
    """The same, for a record about several people (a group supervision session)."""
    return sum(record_view(session, actor, subject_id, kind, record_id) for subject_id in dict.fromkeys(subject_ids))


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    # The log is evidence for the person it is about; refuse any rewrite through the ORM.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, RecordView):
            raise PermissionError("The access log is append-only.")


# ---------------------------------------------------------------------- read


@dataclass(frozen=True)
class ViewRow:
    at: datetime
    viewer_name: str
    viewer_role: str  # grade, and how they relate to me: "your supervisor", "quality-assurance lead"
    kind: str
    kind_label: str
    record_id: int
    description: str  # plain words naming the record, e.g. "Supervision record of 03 Mar 2026"


def views_of_my_records(actor: Actor, since: datetime | None = None, limit: int = LIST_LIMIT) -> list[ViewRow]:
    """Who has opened records about me, newest first."""
    require(actor, Action.VIEW_ACCESS_LOG, AccessLogScope(actor.id) if actor is not None else None)
    with session_scope() as session:
        query = (
            select(RecordView, User)
            .join(User, col(RecordView.viewer_id) == col(User.id))
            .where(RecordView.subject_id == actor.id)
        )
        if since is not None:
            query = query.where(RecordView.at >= since)
        rows = session.exec(query.order_by(col(RecordView.at).desc(), col(RecordView.id).desc()).limit(limit)).all()
        me = session.get(User, actor.id)
        roles = roles_by_user(session, list({id_of(viewer) for _view, viewer in rows}))
        describe = _Describer(session)
        return [
            ViewRow(
                at=view.at,
                viewer_name=viewer.full_name,
                viewer_role=_role(viewer, roles.get(id_of(viewer), []), me),
                kind=view.record_kind,
                kind_label=KIND_LABELS.get(RecordKind(view.record_kind), str(view.record_kind)),
                record_id=view.record_id,
                description=describe(RecordKind(view.record_kind), view.record_id),
            )
            for view, viewer in rows
        ]


def _role(viewer: User, roles: list[Role], me: User | None) -> str:
    parts = [GRADE_LABELS.get(Grade(viewer.grade), str(viewer.grade))]
    if me is not None and me.supervisor_id == viewer.id:
        parts.append("your supervisor")
    if Role.QA_LEAD in roles:
        parts.append("quality-assurance lead")
    if Role.ADMIN in roles:
        parts.append("administrator")
    return ", ".join(parts)


class _Describer:
    """Plain words for each record, looked up once per record."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[RecordKind, int], str] = {}

    def __call__(self, kind: RecordKind, record_id: int) -> str:
        key = (kind, record_id)
        if key not in self.cache:
            self.cache[key] = self._describe(kind, record_id)
        return self.cache[key]

    def _describe(self, kind: RecordKind, record_id: int) -> str:
        session = self.session
        if kind == RecordKind.OBSERVATION:
            obs = session.get(Observation, record_id)
            return (
                f"Observation of your practice on {obs.observed_on:%d %b %Y}"
                if obs
                else "An observation that no longer exists"
            )
        if kind in (RecordKind.CASE_AUDIT, RecordKind.FEEDBACK_SHEET):
            audit = session.get(CaseAudit, record_id)
            case = session.get(Case, audit.case_id) if audit else None
            if audit is None or case is None:
                return "A case audit that no longer exists"
            if audit.moderates_id is not None:
                return f"Moderation (second) audit of case {case.case_ref}"
            if kind == RecordKind.FEEDBACK_SHEET:
                return f"Audit feedback sheet on case {case.case_ref}"
            return f"Case audit of case {case.case_ref}, before the feedback was sent"
        if kind == RecordKind.SHARED_NOTE:
            note = session.get(JournalEntry, record_id)
            if note is None:
                return "A reflective note you have since deleted"
            try:
                title = json.loads(note.content or "{}").get("title", "")
            except ValueError:
                title = ""
            return (
                f"Your reflective note “{title}”"
                if title
                else f"Your untitled reflective note of {note.entry_date:%d %b %Y}"
            )
        if kind == RecordKind.SHARED_DEBRIEF:
            debrief = session.get(Debrief, record_id)
            return f"Your debrief of {debrief.created_at:%d %b %Y}" if debrief else "A debrief you have since deleted"
        if kind == RecordKind.SUPERVISION_SESSION:
            record = session.get(SupervisionSession, record_id)
            return (
                f"Supervision record of {record.held_on:%d %b %Y}"
                if record
                else "A supervision record that no longer exists"
            )
        if kind == RecordKind.DEVELOPMENT:
            return "Your development profile: skills over time, self-rating and goals"
        return str(kind)
