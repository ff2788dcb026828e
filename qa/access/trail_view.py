"""Reading the audit trail (administrators only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from db.engine import session_scope
from db.organisation import AuditTrail, User
from qa.access.actor import Actor
from qa.access.policy import Action, require


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    actor_name: str | None
    action: str
    entity: str
    entity_id: str | None
    summary: str


def recent_entries(actor: Actor, limit: int = 200) -> list[TrailRow]:
    require(actor, Action.VIEW_DIRECTORY)
    with session_scope() as session:
        rows = session.exec(
            select(AuditTrail, User.full_name)
            .join(User, col(AuditTrail.actor_id) == col(User.id), isouter=True)
            .order_by(col(AuditTrail.id).desc())
            .limit(limit)
        )
        return [TrailRow(t.at, name, t.action, t.entity, t.entity_id, t.summary) for t, name in rows]
