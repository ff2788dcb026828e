"""Notifications: the in-portal inbox, the email outbox and each person's delivery choices (issue 14).

A :class:`Notification` says only *that* something is waiting and *where*
(its ``kind`` and the record it opens): never a note's, debrief's or support
request's text, and never a name. Each occasion notifies a person once
(``uq_notification_recipient_occasion``).

An :class:`OutboxMessage` is written in the same transaction as the change that
caused it, so a change and its email commit or roll back together; the sender
(qa/notifications/sender.py) delivers it outside the request.

:class:`NotificationPreference` is one person's choice per kind: immediately, in
the daily digest, or off. No row means the kind's default.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.organisation import utcnow

KIND_MAX = 40
OCCASION_MAX = 160
RECORD_KIND_MAX = 40
STATUS_MAX = 16
CLAIMED_BY_MAX = 64
LAST_ERROR_MAX = 500
DELIVERY_MAX = 16


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "occasion", name="uq_notification_recipient_occasion"),
        # The unread count beside the menu on every page reads only this small index.
        sa.Index(
            "ix_notification_unread",
            "recipient_id",
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        ),
        # The inbox lists one person's items, newest first.
        sa.Index("ix_notification_recipient_created", "recipient_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=KIND_MAX)  # a key of qa/notifications/kinds.py
    record_kind: str | None = Field(default=None, max_length=RECORD_KIND_MAX)  # qa.records.RecordKind
    record_id: int | None = None
    occasion: str = Field(max_length=OCCASION_MAX)  # e.g. "audit_assigned:123"
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class OutboxStatus:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    # The sender picks what is due: queued messages whose next attempt has come.
    __table_args__ = (sa.Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id")  # None: a test email
    recipient_id: int | None = Field(default=None, foreign_key="user.id")
    to_address: str | None = Field(default=None, max_length=254)  # only for a test email
    kind: str = Field(max_length=KIND_MAX)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=STATUS_MAX)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=CLAIMED_BY_MAX)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=LAST_ERROR_MAX)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class NotificationPreference(SQLModel, table=True):
    __tablename__ = "notification_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", name="uq_notification_preference_user_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=KIND_MAX)
    delivery: str = Field(max_length=DELIVERY_MAX)  # "immediate" | "digest" | "off"
