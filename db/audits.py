"""Tables for LEARN-style risk-of-harm case audits.

An audit event samples cases from one PDU's pool; auditor pairs audit them
against a versioned instrument; each audit produces a feedback sheet with
actions for the case holder's SPO, and may raise an urgent concern.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from sqlmodel import Field, SQLModel

from db.organisation import utcnow

SAMPLE_MIN = 12
SAMPLE_MAX = 20
DEFAULT_LOW_RISK_SHARE = 0.2
MAX_LOW_RISK_SHARE = 0.5
REASON_MAX = 500
EVIDENCE_MAX = 2000
SHEET_TEXT_MAX = 4000
ACTION_MAX = 500
THEME_MAX = 80


class EventStatus(StrEnum):
    PLANNING = "planning"
    SAMPLE_ACCEPTED = "sample accepted"
    CLOSED = "closed"


class AuditStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FEEDBACK_SENT = "feedback sent"
    DISCUSSED = "discussed in supervision"
    ACTIONS_CLOSED = "actions closed"


class Answer(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NOT_APPLICABLE = "not applicable"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class SheetSection(StrEnum):
    IMPROVEMENT = "improvement"
    CONCERNS = "concerns"


# ---------------------------------------------------------------- instruments


class Instrument(SQLModel, table=True):
    """A version of an audit question set. Audits point at the version they used."""

    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_instrument_key_version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60)
    version: int
    title: str = Field(max_length=200)
    definition: str = Field(sa_type=sa.Text)  # the JSON question set, exactly as loaded
    loaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    loaded_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------- events


class AuditEventBase(SQLModel):
    pdu_id: int
    event_date: date
    sample_size: int = Field(default=16, ge=SAMPLE_MIN, le=SAMPLE_MAX)
    low_risk_share: float = Field(default=DEFAULT_LOW_RISK_SHARE, ge=0.0, le=MAX_LOW_RISK_SHARE)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    pdu_id: int = Field(foreign_key="pdu.id", index=True)
    event_date: date = Field(index=True)
    seed: int
    status: EventStatus = Field(default=EventStatus.PLANNING, sa_type=sa.String(20))
    instrument_id: int = Field(foreign_key="instrument.id")
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    sample_accepted_at: datetime | None = None


class AuditEventCreate(AuditEventBase):
    pass


class CaseSample(SQLModel, table=True):
    """A case in an event's sample, with the reason it was eligible."""

    __tablename__ = "case_sample"
    __table_args__ = (sa.UniqueConstraint("event_id", "case_id", name="uq_case_sample_event_case"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    case_id: int = Field(foreign_key="probation_case.id", index=True)
    position: int
    reason: str = Field(max_length=REASON_MAX)
    pair_id: int | None = Field(default=None, foreign_key="auditor_pair.id", index=True)


class SampleSwap(SQLModel, table=True):
    __tablename__ = "sample_swap"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    removed_case_id: int = Field(foreign_key="probation_case.id")
    added_case_id: int = Field(foreign_key="probation_case.id")
    reason: str = Field(max_length=REASON_MAX)
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class SampleSwapCreate(SQLModel):
    removed_case_id: int
    added_case_id: int
    reason: str = Field(min_length=1, max_length=REASON_MAX)

    @field_validator("reason", mode="before")
    @classmethod
    def _strip(cls, v):
        return v.strip() if isinstance(v, str) else v


class AuditorPair(SQLModel, table=True):
    """Two auditors, normally one SPO grade and one practitioner grade."""

    __tablename__ = "auditor_pair"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    first_id: int = Field(foreign_key="user.id", index=True)
    second_id: int = Field(foreign_key="user.id", index=True)


#: A pair change or a moved case keeps its reason in the audit trail, beside the names.
OVERRIDE_REASON_MAX = 300


def override_reason_problem(reason: str, empty: str) -> str | None:
    """What is wrong with a lead's reason for an override (``empty`` if there is none), or None."""
    if not reason:
        return empty
    if len(reason) > OVERRIDE_REASON_MAX:
        return (
            f"Keep the reason to {OVERRIDE_REASON_MAX} characters or fewer (you entered {len(reason)}). "
            "Nothing has been changed."
        )
    return None


class PairChange(SQLModel):
    """The lead's new auditors for a pair, and why. 0 (or None) means nobody was chosen."""

    first_id: int = 0
    second_id: int = 0
    reason: str = ""

    @field_validator("first_id", "second_id", mode="before")
    @classmethod
    def _none_is_nobody(cls, v):
        return 0 if v is None else v

    @field_validator("second_id")
    @classmethod
    def _two_people(cls, v: int, info: ValidationInfo) -> int:
        first = info.data.get("first_id")
        if not first or not v or first == v:
            raise ValueError("Choose two different people.")
        return v

    @field_validator("reason", mode="before")
    @classmethod
    def _strip(cls, v):
        return (v or "").strip() if isinstance(v, str | None) else v

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, v: str) -> str:
        problem = override_reason_problem(v, "Say why you are changing this pair.")
        if problem:
            raise ValueError(problem)
        return v


# --------------------------------------------------------------------- audits


class CaseAudit(SQLModel, table=True):
    __tablename__ = "case_audit"
    # Migration 0016. The dashboards count submitted, non-moderation audits by when they were submitted:
    # this index covers that filter, so a date range reads only its own audits, never the table. The index
    # on moderates_id holds only moderation audits (the lookups by the audit moderated), so a planner can no
    # longer choose it for "moderates_id IS NULL", which matches almost every audit.
    __table_args__ = (
        sa.Index("ix_case_audit_submitted_cover", "submitted_at", "moderates_id", "status", "case_id"),
        sa.Index(
            "ix_case_audit_moderates_id",
            "moderates_id",
            sqlite_where=sa.text("moderates_id IS NOT NULL"),
            postgresql_where=sa.text("moderates_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    case_id: int = Field(foreign_key="probation_case.id", index=True)
    sample_id: int = Field(foreign_key="case_sample.id", index=True)
    pair_id: int | None = Field(default=None, foreign_key="auditor_pair.id", index=True)
    instrument_id: int = Field(foreign_key="instrument.id")
    status: AuditStatus = Field(default=AuditStatus.DRAFT, sa_type=sa.String(30), index=True)
    # A moderation audit is a blind second audit of a submitted one by a QA lead.
    moderates_id: int | None = Field(default=None, foreign_key="case_audit.id")
    moderator_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The dashboards count an audit in the month it was submitted (qa/dashboards/rollups.py).
    submitted_at: datetime | None = None  # indexed first in ix_case_audit_submitted_cover
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    feedback_to_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    feedback_sent_at: datetime | None = None
    discussed_at: datetime | None = None
    discussed_by_id: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = None


class AuditAnswer(SQLModel, table=True):
    __tablename__ = "audit_answer"
    __table_args__ = (sa.Index("ix_audit_answer_cover", "audit_id", "question_key", "answer"),)
    audit_id: int = Field(foreign_key="case_audit.id", primary_key=True)
    question_key: str = Field(max_length=60, primary_key=True)
    answer: Answer | None = Field(default=None, sa_type=sa.String(20))
    evidence: str = Field(default="", max_length=EVIDENCE_MAX)


class AnswerInput(SQLModel):
    question_key: str = Field(min_length=1, max_length=60)
    answer: Answer | None = None
    evidence: str = Field(default="", max_length=EVIDENCE_MAX)


class FeedbackSheetBase(SQLModel):
    good_practice: str = Field(default="", max_length=SHEET_TEXT_MAX)
    improvement: str = Field(default="", max_length=SHEET_TEXT_MAX)
    concerns: str = Field(default="", max_length=SHEET_TEXT_MAX)


class FeedbackSheet(FeedbackSheetBase, table=True):
    __tablename__ = "feedback_sheet"
    audit_id: int = Field(foreign_key="case_audit.id", primary_key=True)
    holder_reply: str | None = Field(default=None, max_length=SHEET_TEXT_MAX)
    reply_at: datetime | None = None


class FeedbackSheetUpdate(FeedbackSheetBase):
    improvement_themes: list[int] = Field(default_factory=list)
    concern_themes: list[int] = Field(default_factory=list)


class HolderReply(SQLModel):
    reply: str = Field(min_length=1, max_length=SHEET_TEXT_MAX)


class AuditActionBase(SQLModel):
    description: str = Field(min_length=1, max_length=ACTION_MAX)
    owner_id: int
    due_date: date

    @field_validator("description", mode="before")
    @classmethod
    def _strip(cls, v):
        return v.strip() if isinstance(v, str) else v


class AuditAction(AuditActionBase, table=True):
    __tablename__ = "audit_action"
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="case_audit.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    due_date: date = Field(index=True)
    status: ActionStatus = Field(default=ActionStatus.OPEN, sa_type=sa.String(10), index=True)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="user.id")


class AuditActionCreate(AuditActionBase):
    pass


class LearningTheme(SQLModel, table=True):
    __tablename__ = "learning_theme"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=THEME_MAX, sa_column_kwargs={"unique": True})
    active: bool = True


class FeedbackTheme(SQLModel, table=True):
    """A learning theme tagged on a sheet's areas for improvement or concerns."""

    __tablename__ = "feedback_theme"
    audit_id: int = Field(foreign_key="case_audit.id", primary_key=True)
    section: SheetSection = Field(sa_type=sa.String(20), primary_key=True)
    theme_id: int = Field(foreign_key="learning_theme.id", primary_key=True)


class UrgentConcern(SQLModel, table=True):
    """An immediate risk-of-harm worry raised during an audit, for the holder's SPO at once."""

    __tablename__ = "urgent_concern"
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="case_audit.id", index=True)
    case_id: int = Field(foreign_key="probation_case.id")
    raised_by_id: int = Field(foreign_key="user.id")
    raised_at: datetime = Field(default_factory=utcnow, index=True)
    description: str = Field(max_length=EVIDENCE_MAX)
    spo_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="user.id")
    acknowledgement: str | None = Field(default=None, max_length=EVIDENCE_MAX)


class AuditSeen(SQLModel, table=True):
    """When the SPO a sheet went to last opened the audit: replies and closed actions after it are news."""

    __tablename__ = "audit_seen"
    audit_id: int = Field(foreign_key="case_audit.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    seen_at: datetime = Field(default_factory=utcnow)


class UrgentConcernCreate(SQLModel):
    description: str = Field(min_length=1, max_length=EVIDENCE_MAX)


class Acknowledgement(SQLModel):
    note: str = Field(min_length=1, max_length=EVIDENCE_MAX)


DEFAULT_LEARNING_THEMES = (
    "Professional curiosity",
    "Optimism bias",
    "Enforcement and recall",
    "Allocation and experience",
    "Management oversight",
    "Review after significant events",
    "Information sharing",
    "Victims and children",
    "Mental health and substance misuse",
)


class AuditSectionResult(SQLModel, table=True):
    """A submitted audit's judgement per section, stored so dashboards can count in SQL."""

    __tablename__ = "audit_section_result"
    __table_args__ = (sa.Index("ix_audit_section_result_cover", "audit_id", "verdict", "section_title"),)
    audit_id: int = Field(foreign_key="case_audit.id", primary_key=True)
    section_key: str = Field(max_length=60, primary_key=True)
    section_title: str = Field(max_length=200)
    verdict: str = Field(max_length=40, index=True)
