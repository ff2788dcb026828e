"""The access log: one row each time someone opens a record about another person.

It answers a practitioner's question "who has looked at what is held about
me?". It is append-only (``qa/access/access_log.py`` refuses ORM updates and deletes)
and holds only who, what and when: never the record's text.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.organisation import utcnow


class RecordKind(StrEnum):
    OBSERVATION = "observation"
    CASE_AUDIT = "case_audit"
    FEEDBACK_SHEET = "feedback_sheet"
    SHARED_NOTE = "shared_note"
    SHARED_DEBRIEF = "shared_debrief"
    SUPERVISION_SESSION = "supervision_session"
    DEVELOPMENT = "development"


class RecordView(SQLModel, table=True):
    __tablename__ = "record_view"
    # "Who has viewed my records" reads one person's views, newest first.
    __table_args__ = (sa.Index("ix_record_view_subject_at", "subject_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    viewer_id: int = Field(foreign_key="user.id", index=True)
    subject_id: int = Field(foreign_key="user.id")  # the person the record is about
    record_kind: RecordKind = Field(sa_type=sa.String(30))
    record_id: int
