"""The append-only audit trail: who created, changed or deactivated what, and when.

Services write to it inside the same transaction as the change, so a change
and its trail entry land together or not at all. Entries name records and
fields; they never copy private text.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, col, select

from db.organisation import AuditTrail, utcnow
from qa.access.actor import Actor


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object | None = None,
    summary: str = "",
) -> None:
    session.add(
        AuditTrail(
            at=utcnow(),
            actor_id=actor.id if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            summary=summary[:500],
        )
    )


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    # The trail is evidence; refuse any attempt to rewrite it through the ORM.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditTrail):
            raise PermissionError("The audit trail is append-only.")


def entries_for(session: Session, entity: str, entity_id: object) -> list[AuditTrail]:
    """The trail of one record, oldest first (callers have checked the policy)."""
    return list(
        session.exec(
            select(AuditTrail)
            .where(AuditTrail.entity == entity, AuditTrail.entity_id == str(entity_id))
            .order_by(col(AuditTrail.id))
        )
    )
