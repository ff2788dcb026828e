"""Tables for supervision: sessions, their agenda, case decisions, actions, sign-off and history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from db.encryption import EncryptedText
from db.organisation import CASE_REF_MAX, utcnow

NOTE_MAX = 8000  # notes and personal-support notes
ITEM_MAX = 300  # an agenda item's title
DECISION_MAX = 4000  # a case decision, and its rationale
COMMENTS_MAX = 4000  # a practitioner's sign-off comments
ACTION_MAX = 500
DISCUSSION_NOTE_MAX = 2000  # the note on an agenda item discussed


class SessionKind(StrEnum):
    ONE_TO_ONE = "one-to-one"
    REFLECTIVE = "reflective"
    GROUP = "group case discussion"
    CONSULTATION = "consultation"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_SIGN_OFF = "awaiting sign-off"
    SIGNED = "signed by both"


class AgendaKind(StrEnum):
    AUDIT_FEEDBACK = "audit feedback"
    OBSERVATION = "observation"
    GOAL_REVIEW = "development goal review"
    SHARED_REFLECTION = "shared reflection"
    ACTION = "open action"
    SUPPORT_REQUEST = "request to talk"
    ADDED = "added item"


class SupervisionSession(SQLModel, table=True):
    __tablename__ = "supervision_session"
    id: int | None = Field(default=None, primary_key=True)
    supervisor_id: int = Field(foreign_key="user.id", index=True)
    kind: SessionKind = Field(sa_type=sa.String(30))
    held_on: date = Field(index=True)
    # Morrison's three purposes of supervision.
    accountability: bool = False
    development: bool = False
    support: bool = False
    notes: str = Field(default="", sa_type=EncryptedText)
    personal_notes: str = Field(default="", sa_type=EncryptedText)
    personal_private: bool = True  # personal-support notes stay between the participants
    status: SessionStatus = Field(default=SessionStatus.DRAFT, sa_type=sa.String(20))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SessionParticipant(SQLModel, table=True):
    """A practitioner in a session (one for one-to-one, several for a group)."""

    __tablename__ = "session_participant"
    # Person first, then session: a person's last supervision is found from their own rows (migration 0016).
    __table_args__ = (sa.Index("ix_session_participant_person_session", "practitioner_id", "session_id"),)
    session_id: int = Field(foreign_key="supervision_session.id", primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", primary_key=True)
    signed_at: datetime | None = None
    comments: str | None = Field(default=None, sa_type=EncryptedText)


class SupervisorSignOff(SQLModel, table=True):
    __tablename__ = "supervisor_sign_off"
    session_id: int = Field(foreign_key="supervision_session.id", primary_key=True)
    version: int = Field(primary_key=True)
    signed_at: datetime = Field(default_factory=utcnow)


class CaseDiscussion(SQLModel, table=True):
    """A case decision discussed, with its rationale: the defensible-decision record."""

    __tablename__ = "case_discussion"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_session.id", index=True)
    case_ref: str = Field(max_length=CASE_REF_MAX)
    decision: str = Field(sa_type=EncryptedText)
    rationale: str = Field(default="", sa_type=EncryptedText)


class SupervisionAction(SQLModel, table=True):
    __tablename__ = "supervision_action"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_session.id", index=True)
    description: str = Field(max_length=ACTION_MAX)
    owner_id: int = Field(foreign_key="user.id", index=True)
    due_date: date
    done_at: datetime | None = None


class AgendaItem(SQLModel, table=True):
    """Something to discuss: added by hand, or noted as discussed from an automatic source."""

    __tablename__ = "agenda_item"
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", index=True)
    kind: AgendaKind = Field(sa_type=sa.String(30))
    source_id: int | None = None  # the audit, observation, goal, share, action or request
    # What a person added (encrypted: they may write something personal), or the label of an item from
    # another record. Never a shared reflection's title: that item refers to the share (source_id) and
    # the title is looked up, for the note's readers only, when the record is shown (migration 0013).
    title: str = Field(default="", sa_type=EncryptedText)
    added_by_id: int | None = Field(default=None, foreign_key="user.id")
    added_at: datetime = Field(default_factory=utcnow)
    discussed_in_id: int | None = Field(default=None, foreign_key="supervision_session.id", index=True)
    discussion_note: str = Field(default="", sa_type=EncryptedText)


class SessionVersion(SQLModel, table=True):
    """A signed record as it stood before someone changed it."""

    __tablename__ = "session_version"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="supervision_session.id", index=True)
    version: int
    snapshot: str = Field(sa_type=EncryptedText)  # JSON of the whole record
    changed_by_id: int = Field(foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)


class StaffProfile(SQLModel, table=True):
    """What cadence needs to know about a person: when they started, and their mentor."""

    __tablename__ = "staff_profile"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    started_on: date | None = None
    newly_qualified: bool = False
    mentor_id: int | None = Field(default=None, foreign_key="user.id")


# --- the forms: types and clean input only ------------------------------------------------------------------
# The rules (text limits, the CRN pattern, who may be in a session or own an action, the date) are checked by
# qa.supervision.records, which needs the database for some of them and reports every problem at once, under
# its own keys (case_1, action_2, ...).


def _clean(v):
    return "" if v is None else v.strip() if isinstance(v, str) else v


def _day(v):
    """A date, or None for anything else (the service then asks for one)."""
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else None


class CaseDiscussionInput(SQLModel):
    """One row of the case-discussion table; a row left empty is skipped by the service."""

    case_ref: str = ""  # stripped and upper-cased
    decision: str = ""
    rationale: str = ""

    @field_validator("case_ref", "decision", "rationale", mode="before")
    @classmethod
    def _strip(cls, v):
        return _clean(v)

    @field_validator("case_ref")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class SupervisionActionInput(SQLModel):
    """One agreed action; a row without a description is skipped by the service."""

    description: str = ""
    owner_id: int | None = None
    due_date: date | None = None

    @field_validator("description", mode="before")
    @classmethod
    def _strip(cls, v):
        return _clean(v)

    @field_validator("due_date", mode="before")
    @classmethod
    def _day(cls, v):
        return _day(v)


class DiscussedItem(SQLModel):
    """An agenda item ticked as discussed in the session (and, for an action, perhaps agreed done).

    ``title`` is the label the agenda showed; the service never stores it for a shared reflection.
    """

    kind: AgendaKind
    source_id: int | None = None
    title: str = ""
    note: str = ""
    practitioner_id: int | None = None  # None: the first person in the session
    close: bool = False

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, v):
        return _clean(v)

    @field_validator("title", mode="before")
    @classmethod
    def _blank(cls, v):
        return "" if v is None else v


class SessionRecordBase(SQLModel):
    """What recording a session and changing its record share."""

    held_on: date | None = None  # None when not a date: the service asks for one
    notes: str = ""
    personal_notes: str = ""
    personal_private: bool = True
    accountability: bool = False
    development: bool = False
    support: bool = False
    case_discussions: list[CaseDiscussionInput] = Field(default_factory=list)
    actions: list[SupervisionActionInput] = Field(default_factory=list)

    @field_validator("held_on", mode="before")
    @classmethod
    def _day(cls, v):
        return _day(v)

    @field_validator("notes", "personal_notes", mode="before")
    @classmethod
    def _strip(cls, v):
        return _clean(v)

    @field_validator("personal_private", "accountability", "development", "support", mode="before")
    @classmethod
    def _flag(cls, v):
        return bool(v)

    @field_validator("case_discussions", "actions", mode="before")
    @classmethod
    def _rows(cls, v):
        return v or []


class SessionRecordCreate(SessionRecordBase):
    """A new session: who it was with, what kind, and the agenda items discussed."""

    participant_ids: list[int] = Field(default_factory=list)  # each once, in order
    kind: SessionKind = SessionKind.ONE_TO_ONE
    discussed: list[DiscussedItem] = Field(default_factory=list)

    @field_validator("participant_ids", mode="before")
    @classmethod
    def _once_each(cls, v):
        return list(dict.fromkeys(v or []))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v):
        if v is None or v == "":
            return SessionKind.ONE_TO_ONE
        try:
            if isinstance(v, str):
                return SessionKind(v)
        except ValueError:
            pass
        raise ValueError("Choose the type of session.")

    @field_validator("discussed", mode="before")
    @classmethod
    def _items(cls, v):
        return v or []


class SessionRecordUpdate(SessionRecordBase):
    """A change to a record: the people and the kind of session stay as recorded."""
