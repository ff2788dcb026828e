"""``notify()``: tell people that something is waiting, inside the change's own transaction.

A service calls :func:`notify` in the session it is already writing with, so the
change, its notifications and their queued emails commit or roll back together
(one submit = one transaction). Each person is told once per *occasion*
(``"audit_assigned:123"``): calling again with the same occasion, from a rerun,
a retry or a second sender, adds nothing. The insert skips an existing occasion
in the database itself (``INSERT .. ON CONFLICT DO NOTHING`` on both engines), so
two transactions racing to tell the same person cannot both succeed or fail.

Nothing here reads delivery choices: whether an email goes now, in the digest or
not at all is decided when it is sent (qa/notifications/sender.py).

Privacy: a notification holds its kind, the record it opens and the occasion key,
never a name or any text from the record. Callers build occasions from ids only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from db.notifications import OCCASION_MAX, Notification, OutboxMessage, OutboxStatus
from db.organisation import Role, Team, User, UserRole, utcnow
from qa.notifications.kinds import KINDS
from qa.records import RecordRef

__all__ = ["administrators", "besides", "notify", "qa_leads_of"]


def notify(
    session: Session,
    *,
    kind: str,
    recipient_ids: Iterable[int | None],
    record: RecordRef | None,
    occasion: str,
    now: datetime | None = None,
) -> list[Notification]:
    """Notify each active recipient once for this occasion; queue one email per new notification.

    Returns the notifications added now (none for a person already told of this
    occasion, or no longer active). ``None`` among the recipients is skipped, so a
    caller can pass an optional id (a holder's SPO, say) as it is.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    if not occasion or len(occasion) > OCCASION_MAX:
        raise ValueError(f"An occasion key is 1 to {OCCASION_MAX} characters: {occasion!r}")
    wanted = {r for r in recipient_ids if r is not None}
    if not wanted:
        return []
    now = now or utcnow()
    session.flush()  # the caller's pending rows first, in the same transaction
    found = session.exec(select(col(User.id)).where(col(User.id).in_(wanted), col(User.is_active))).all()
    active = sorted(i for i in found if i is not None)  # saved rows: never None
    if not active:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Notification)
        .values(
            [
                {
                    "recipient_id": recipient,
                    "kind": kind,
                    "record_kind": str(record.kind) if record else None,
                    "record_id": record.id if record else None,
                    "occasion": occasion,
                    "created_at": now,
                }
                for recipient in active
            ]
        )
        .on_conflict_do_nothing(index_elements=["recipient_id", "occasion"])
        .returning(col(Notification.id))
    )
    new_ids = list(session.connection().execute(statement).scalars())
    if not new_ids:
        return []
    added = list(session.exec(select(Notification).where(col(Notification.id).in_(new_ids))))
    for row in added:
        session.add(
            OutboxMessage(
                notification_id=row.id,
                recipient_id=row.recipient_id,
                kind=kind,
                status=OutboxStatus.QUEUED,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.flush()
    return sorted(added, key=lambda n: n.recipient_id)


def besides(actor_id: int, *people: int | None) -> list[int]:
    """The people to tell, leaving out whoever made the change themselves (and ``None``)."""
    return sorted({p for p in people if p is not None and p != actor_id})


def qa_leads_of(session: Session, pdu_id: int | None) -> list[int]:
    """The active QA leads whose team is in this PDU (none for a record in no PDU)."""
    if pdu_id is None:
        return []
    found = session.exec(
        select(col(User.id))
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .join(Team, col(Team.id) == col(User.team_id))
        .where(UserRole.role == Role.QA_LEAD, Team.pdu_id == pdu_id, col(User.is_active))
    ).all()
    return sorted(i for i in found if i is not None)


def administrators(session: Session) -> list[int]:
    """The active administrators (they look after the whole organisation, so all of them are told)."""
    found = session.exec(
        select(col(User.id))
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(UserRole.role == Role.ADMIN, col(User.is_active))
    ).all()
    return sorted(i for i in found if i is not None)
