"""Tables for the practitioner's own space: reflective notes, emotional debriefs,
shares and support requests.

Every free-text field is an EncryptedText column. Feelings are stored as
words from the portal's fixed vocabulary, in their own table, so that the
only team-level use of them (an aggregate of at least 5 people) can be
counted in SQL without decrypting anyone's text.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from db.encryption import EncryptedText
from db.organisation import CASE_REF_MAX, FormulaSafeNames, utcnow

TEXT_MAX = 20000  # each part of a journal note
SHORT_MAX = 2000  # each debrief text; a support contact's description
CONTACT_NAME_MAX = 120
HOW_TO_REACH_MAX = 300

E = TypeVar("E", bound=StrEnum)


class ReflectiveModel(StrEnum):
    FREE = "free writing"
    SCHEIN = "Schein's cycle"
    GIBBS = "Gibbs"
    ROLFE = "Rolfe"


class EntryKind(StrEnum):
    NOTE = "note"
    DEBRIEF = "debrief"


class ContactSetting(StrEnum):
    OFFICE = "office"
    HOME_VISIT = "home visit"
    APPROVED_PREMISES = "Approved Premises"
    PRISON = "prison"
    COURT = "court"
    TELEPHONE = "telephone or video"
    COMMUNITY = "in the community"
    OTHER = "other"


class Need(StrEnum):
    NOTHING = "nothing right now"
    TIME_OUT = "some time out"
    COLLEAGUE = "to talk to a colleague"
    SPO = "to talk to my SPO"
    FORMAL_DEBRIEF = "a formal debrief"
    SPECIALIST = "specialist support"


class Urgency(StrEnum):
    WHEN_CONVENIENT = "when convenient"
    THIS_WEEK = "this week"
    TODAY = "today"


class RequestStatus(StrEnum):
    OPEN = "open"
    OFFERED = "offered"
    DONE = "done"


class JournalEntry(SQLModel, table=True):
    __tablename__ = "journal_entry"
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    model: ReflectiveModel = Field(default=ReflectiveModel.FREE, sa_type=sa.String(20))
    entry_date: date = Field(default_factory=date.today)
    # {"title": ..., "sections": {prompt_key: text}, "tags": [...]} as one encrypted JSON document.
    content: str = Field(default="{}", sa_type=EncryptedText)
    case_ref: str | None = Field(default=None, max_length=CASE_REF_MAX)
    audit_id: int | None = Field(default=None, foreign_key="case_audit.id")
    observation_id: int | None = Field(default=None, foreign_key="observation.id")
    is_draft: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Debrief(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    intensity: int = Field(ge=0, le=10)
    setting: ContactSetting | None = Field(default=None, sa_type=sa.String(30))
    need: Need = Field(default=Need.NOTHING, sa_type=sa.String(30))
    # {"what_happened": ..., "what_helped": ..., "signs": [...]} as one encrypted JSON document.
    content: str = Field(default="{}", sa_type=EncryptedText)
    __table_args__ = (
        sa.CheckConstraint("intensity >= 0 AND intensity <= 10", name="ck_debrief_intensity"),
        sa.Index("ix_debrief_created_cover", "created_at", "author_id", "intensity"),
    )


def _choice(enum: type[E], value: object, message: str) -> E | None:
    """A choice from a list: blank is None, anything not on the list is refused with ``message``."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            return enum(value)
    except ValueError:
        pass
    raise ValueError(message)


class DebriefCreate(SQLModel):
    """A debrief as typed: types and clean text only.

    The rules (a known feeling, an intensity from 0 to 10, text limits, an active colleague to ask) are
    checked by qa.reflection.debriefs.record_debrief, which needs the database for some of them and reports
    every problem at once, with its own messages.
    """

    feelings: list[str] = Field(default_factory=list)
    intensity: int | None = None  # None when not a whole number: refused by the service
    need: Need = Need.NOTHING
    setting: ContactSetting | None = None
    what_happened: str = ""
    what_helped: str = ""
    signs: list[str] = Field(default_factory=list)
    support_from: int | None = None
    urgency: Urgency = Urgency.WHEN_CONVENIENT

    @field_validator("feelings", "signs", mode="before")
    @classmethod
    def _once_each(cls, v):
        return list(dict.fromkeys(v or []))

    @field_validator("intensity", mode="before")
    @classmethod
    def _whole_number(cls, v):
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    @field_validator("need", mode="before")
    @classmethod
    def _need(cls, v):
        return _choice(Need, v, "Choose from the list.") or Need.NOTHING

    @field_validator("setting", mode="before")
    @classmethod
    def _setting(cls, v):
        return _choice(ContactSetting, v, "Choose from the list.")

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, v):
        return _choice(Urgency, v, "Choose how soon you would like to talk.") or Urgency.WHEN_CONVENIENT

    @field_validator("what_happened", "what_helped", mode="before")
    @classmethod
    def _strip(cls, v):
        return "" if v is None else v.strip() if isinstance(v, str) else v


class DebriefFeeling(SQLModel, table=True):
    __tablename__ = "debrief_feeling"
    debrief_id: int = Field(foreign_key="debrief.id", primary_key=True)
    feeling: str = Field(max_length=40, primary_key=True)


class EntryShare(SQLModel, table=True):
    """One entry shared with one person, until the author revokes it."""

    __tablename__ = "entry_share"
    id: int | None = Field(default=None, primary_key=True)
    kind: EntryKind = Field(sa_type=sa.String(10))
    entry_id: int = Field(index=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    shared_with_id: int = Field(foreign_key="user.id", index=True)
    for_supervision: bool = False
    shared_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class SupportRequest(SQLModel, table=True):
    __tablename__ = "support_request"
    id: int | None = Field(default=None, primary_key=True)
    requester_id: int = Field(foreign_key="user.id", index=True)
    recipient_id: int = Field(foreign_key="user.id", index=True)
    debrief_id: int | None = Field(default=None, foreign_key="debrief.id")
    urgency: Urgency = Field(sa_type=sa.String(20))
    status: RequestStatus = Field(default=RequestStatus.OPEN, sa_type=sa.String(10), index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SupportContact(SQLModel, table=True):
    """A place to go for support, configured by an administrator."""

    __tablename__ = "support_contact"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=CONTACT_NAME_MAX)
    description: str = Field(default="", max_length=SHORT_MAX)
    how_to_reach: str = Field(default="", max_length=HOW_TO_REACH_MAX)
    independent: bool = False  # not run by the employer
    active: bool = True


class SupportContactCreate(FormulaSafeNames):
    name: str = Field(min_length=1, max_length=CONTACT_NAME_MAX)
    description: str = Field(default="", max_length=SHORT_MAX)
    how_to_reach: str = Field(default="", max_length=HOW_TO_REACH_MAX)
    independent: bool = False
