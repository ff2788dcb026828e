"""One person's inbox: the unread count beside the menu, the list, marking read, and retention.

A person only ever sees and marks their own notifications (``Action.READ_OWN_NOTIFICATIONS``):
an id that is not theirs is "not found", exactly like an id that does not exist.

The count beside the menu runs on every page, so :func:`unread_count` reads only
the partial index ``ix_notification_unread`` (this person's unread rows) and stops
counting at :data:`UNREAD_CAP`: the menu says "99+" beyond that.

Read notifications older than the retention period (setting
``notification_retention_days``) are deleted by :func:`purge_read`, which the
sender's command runs (``python -m portal send-notifications``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.sql.selectable import Select as CoreSelect
from sqlmodel import Session, col, select

from db.engine import session_scope
from db.ids import id_of
from db.notifications import Notification, OutboxMessage, OutboxStatus
from db.organisation import utcnow
from portal.settings import get_settings
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, can, require
from qa.errors import NotFound
from qa.notifications.kinds import KINDS
from qa.records import RecordKind, RecordRef

__all__ = [
    "PER_PAGE",
    "UNREAD_CAP",
    "InboxItem",
    "InboxPage",
    "inbox",
    "mark_all_read",
    "my_unread_count",
    "open_notification",
    "purge_read",
    "unread_count",
    "unread_label",
    "unread_statement",
]

#: How many items one page of the inbox shows.
PER_PAGE = 20
#: The count beside the menu stops here ("99+"): nobody needs the exact figure beyond it.
UNREAD_CAP = 100
NOT_FOUND = "That notification could not be found."

CountQuery = CoreSelect[int]


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    #: The kind's plain wording (qa/notifications/kinds.py): all the item says.
    wording: str
    #: What the item opens, when it points at a record.
    record: RecordRef | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    page: int  # 1-based, clamped to the pages there are
    pages: int  # at least 1
    total: int
    unread: int


def unread_statement(user_id: int, cap: int | None = UNREAD_CAP) -> CountQuery:
    """The query behind :func:`unread_count` (tests read its plan)."""
    unread = select(col(Notification.id)).where(
        col(Notification.recipient_id) == user_id, col(Notification.read_at).is_(None)
    )
    if cap is not None:
        unread = unread.limit(cap)
    return sa.select(sa.func.count()).select_from(unread.subquery())


def unread_count(session: Session, user_id: int, *, cap: int | None = UNREAD_CAP) -> int:
    """How many unread notifications this person has, counting at most ``cap`` (None: all).

    Served by the partial index on unread rows: the count reads this person's
    unread index entries only, never the table. No policy check: callers pass
    the signed-in person's own id (:func:`my_unread_count` does)."""
    return int(session.scalar(unread_statement(user_id, cap)) or 0)


def unread_label(count: int) -> str:
    """The count as the menu shows it: "99+" at the cap."""
    return f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)


def _own(actor: Actor) -> None:
    require(actor, Action.READ_OWN_NOTIFICATIONS, PersonScope(actor.id))


def my_unread_count(actor: Actor) -> int:
    """The signed-in person's unread count, for the menu."""
    _own(actor)
    with session_scope() as session:
        return unread_count(session, actor.id)


def _record(row: Notification) -> RecordRef | None:
    if row.record_kind is None or row.record_id is None:
        return None
    return RecordRef(RecordKind(row.record_kind), row.record_id)


def _item(row: Notification) -> InboxItem:
    known = KINDS.get(row.kind)
    wording = known.wording if known else "Something is waiting for you"
    return InboxItem(id_of(row), row.kind, wording, _record(row), row.created_at, row.read_at is not None)


def inbox(actor: Actor, page: int = 1, per_page: int = PER_PAGE) -> InboxPage:
    """The signed-in person's notifications, newest first, one page at a time."""
    _own(actor)
    with session_scope() as session:
        mine = col(Notification.recipient_id) == actor.id
        total = int(session.exec(select(sa.func.count()).select_from(Notification).where(mine)).one())
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = session.exec(
            select(Notification)
            .where(mine)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        return InboxPage([_item(r) for r in rows], page, pages, total, unread_count(session, actor.id))


def open_notification(actor: Actor, notification_id: int, now: datetime | None = None) -> InboxItem:
    """Mark one of the signed-in person's notifications read; returns it (``.record`` is what it opens).

    Someone else's notification, or one that does not exist, is NotFound."""
    _own(actor)
    with session_scope() as session:
        row = session.get(Notification, notification_id)
        if row is None or not can(actor, Action.READ_OWN_NOTIFICATIONS, PersonScope(row.recipient_id)):
            raise NotFound(NOT_FOUND)
        if row.read_at is None:
            row.read_at = now or utcnow()
            session.add(row)
        return _item(row)


def mark_all_read(actor: Actor, now: datetime | None = None) -> int:
    """Mark every unread notification of the signed-in person read; returns how many."""
    _own(actor)
    with session_scope() as session:
        result = session.execute(
            sa.update(Notification)
            .where(col(Notification.recipient_id) == actor.id, col(Notification.read_at).is_(None))
            .values(read_at=now or utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)


def retention() -> timedelta:
    """How long a read notification is kept (setting ``notification_retention_days``)."""
    return timedelta(days=get_settings().notification_retention_days)


def purge_read(session: Session, *, now: datetime, keep_for: timedelta | None = None) -> int:
    """Delete read notifications created more than the retention period ago; returns how many.

    Unread ones are kept, however old. A notification whose email is still queued
    or being sent is kept too; the finished outbox rows of those deleted go with them."""
    before = now - (keep_for if keep_for is not None else retention())
    pending = select(col(OutboxMessage.notification_id)).where(
        col(OutboxMessage.notification_id).is_not(None),
        col(OutboxMessage.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
    )
    old = select(col(Notification.id)).where(
        col(Notification.read_at).is_not(None),
        col(Notification.created_at) < before,
        col(Notification.id).not_in(pending),
    )
    session.execute(sa.delete(OutboxMessage).where(col(OutboxMessage.notification_id).in_(old)))
    result = session.execute(sa.delete(Notification).where(col(Notification.id).in_(old)))
    return int(getattr(result, "rowcount", 0) or 0)
