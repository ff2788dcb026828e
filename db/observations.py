"""Tables for observation of one-to-one practice.

An observation is planned (by an SPO, a QDO, or a practitioner inviting a
peer), self-rated beforehand if the practitioner wishes, recorded by the
observer against the skills framework, and then shared with the practitioner,
who reflects, replies and acknowledges it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from db.organisation import CASE_REF_MAX, check_not_formula, utcnow

NOTE_MAX = 4000
EVIDENCE_MAX = 2000
GOAL_MAX = 500
REASON_MAX = 1000
RATING_MIN = 1
RATING_MAX = 4
DURATION_MAX = 480


class ObservationSetting(StrEnum):
    OFFICE = "office"
    HOME_VISIT = "home visit"
    APPROVED_PREMISES = "Approved Premises"
    PRISON = "prison"
    TELEPHONE = "telephone"
    VIDEO = "video"


class ObservationMode(StrEnum):
    LIVE = "live"
    RECORDED = "recorded"


class ObservationStatus(StrEnum):
    PLANNED = "planned"
    SHARED = "shared with the practitioner"
    ACKNOWLEDGED = "acknowledged"


class InvitationStatus(StrEnum):
    """The practitioner's answer to an invitation to be observed, before the session."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NEW_DATE_PROPOSED = "another date proposed"


class GoalAgreement(StrEnum):
    """A goal is proposed by the practitioner or the observer and counts once the other agrees."""

    PROPOSED = "proposed"
    AGREED = "agreed"


class GoalStatus(StrEnum):
    OPEN = "in progress"
    ACHIEVED = "achieved"
    SET_ASIDE = "no longer relevant"


def _strip(v):
    return v.strip() if isinstance(v, str) else v


class ObservationPlan(SQLModel):
    """What is known before the session; the form for planning or inviting."""

    practitioner_id: int
    observer_id: int
    observed_on: date
    setting: ObservationSetting
    mode: ObservationMode = ObservationMode.LIVE
    duration_minutes: int | None = Field(default=None, ge=1, le=DURATION_MAX)
    case_ref: str | None = Field(default=None, max_length=CASE_REF_MAX)

    @field_validator("case_ref", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        v = _strip(v)
        return check_not_formula(v.upper(), "A case reference") if v else None


class Observation(ObservationPlan, table=True):
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", index=True)
    observer_id: int = Field(foreign_key="user.id", index=True)
    observed_on: date = Field(index=True)
    setting: ObservationSetting = Field(sa_type=sa.String(30))
    mode: ObservationMode = Field(default=ObservationMode.LIVE, sa_type=sa.String(10))
    # Two observers rating the same session independently share the first one's id here.
    calibration_of_id: int | None = Field(default=None, foreign_key="observation.id", index=True)
    framework_id: int = Field(foreign_key="instrument.id")
    status: ObservationStatus = Field(default=ObservationStatus.PLANNED, sa_type=sa.String(40), index=True)
    # The practitioner's answer to the invitation. Rows written outside the services (the
    # synthetic history) are sessions that happened, so the database default is "accepted".
    invitation: InvitationStatus = Field(
        default=InvitationStatus.ACCEPTED, sa_type=sa.String(30), sa_column_kwargs={"server_default": "accepted"}
    )
    planned_on: date | None = None  # the agreed date; observed_on becomes the date it happened
    proposed_on: date | None = None  # the practitioner's other date, until the observer accepts it
    decline_reason: str | None = Field(default=None, max_length=REASON_MAX)
    responded_at: datetime | None = None
    consent: bool = False
    strengths: str = Field(default="", max_length=NOTE_MAX)
    development_points: str = Field(default="", max_length=NOTE_MAX)
    feedback_wanted: str = Field(default="", max_length=NOTE_MAX)
    reflection: str | None = Field(default=None, max_length=NOTE_MAX)
    reply: str | None = Field(default=None, max_length=NOTE_MAX)
    acknowledged_at: datetime | None = None
    shared_at: datetime | None = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class ObservationRecord(SQLModel):
    """The observer's form after the session."""

    consent: bool
    observed_on: date
    setting: ObservationSetting
    mode: ObservationMode
    duration_minutes: int = Field(ge=1, le=DURATION_MAX)
    case_ref: str | None = Field(default=None, max_length=CASE_REF_MAX)
    strengths: str = Field(default="", max_length=NOTE_MAX)
    development_points: str = Field(default="", max_length=NOTE_MAX)
    # Ticked by the observer when the session took place on another day than planned.
    date_change_confirmed: bool = False

    @field_validator("case_ref", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        v = _strip(v)
        return check_not_formula(v.upper(), "A case reference") if v else None

    @field_validator("observed_on")
    @classmethod
    def _not_in_the_future(cls, v: date) -> date:
        if v > date.today():
            raise ValueError("The session has to have happened: the date cannot be in the future.")
        return v

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, v: bool) -> bool:
        if not v:
            raise ValueError(
                "An observation can only be saved when the person on probation has agreed to it. "
                "Confirm their consent, or do not record this session."
            )
        return v


class InvitationResponse(SQLModel):
    """The practitioner's answer: accept, decline (a reason is optional) or propose another date."""

    answer: InvitationStatus
    reason: str = Field(default="", max_length=REASON_MAX)
    proposed_on: date | None = None

    @field_validator("reason", mode="before")
    @classmethod
    def _strip_reason(cls, v):
        return _strip(v) or ""

    @field_validator("answer")
    @classmethod
    def _an_answer(cls, v: InvitationStatus) -> InvitationStatus:
        if v == InvitationStatus.INVITED:
            raise ValueError("Choose accept, decline or propose another date.")
        return v


class RatingInput(SQLModel):
    domain_key: str = Field(min_length=1, max_length=60)
    rating: int | None = Field(default=None, ge=RATING_MIN, le=RATING_MAX)
    not_observed: bool = False
    evidence: str = Field(default="", max_length=EVIDENCE_MAX)


class ObservationRating(SQLModel, table=True):
    __tablename__ = "observation_rating"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="ck_observation_rating_scale"),
        sa.Index("ix_observation_rating_cover", "observation_id", "domain_key", "rating"),
    )
    observation_id: int = Field(foreign_key="observation.id", primary_key=True)
    domain_key: str = Field(max_length=60, primary_key=True)
    rating: int | None = Field(default=None, ge=RATING_MIN, le=RATING_MAX)
    not_observed: bool = False
    evidence: str = Field(default="", max_length=EVIDENCE_MAX)


class SelfRating(SQLModel, table=True):
    """The practitioner's own rating: before the session, or after reading the observer's (optional)."""

    __tablename__ = "self_rating"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="ck_self_rating_scale"),
    )
    observation_id: int = Field(foreign_key="observation.id", primary_key=True)
    domain_key: str = Field(max_length=60, primary_key=True)
    rating: int | None = Field(default=None, ge=RATING_MIN, le=RATING_MAX)
    not_observed: bool = False
    after_sharing: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class PractitionerReply(SQLModel):
    reflection: str = Field(default="", max_length=NOTE_MAX)
    reply: str = Field(default="", max_length=NOTE_MAX)


class DevelopmentGoalBase(SQLModel):
    description: str = Field(min_length=1, max_length=GOAL_MAX)
    review_date: date

    @field_validator("description", mode="before")
    @classmethod
    def _strip_description(cls, v):
        return _strip(v)


class DevelopmentGoal(DevelopmentGoalBase, table=True):
    __tablename__ = "development_goal"
    id: int | None = Field(default=None, primary_key=True)
    observation_id: int = Field(foreign_key="observation.id", index=True)
    practitioner_id: int = Field(foreign_key="user.id", index=True)
    review_date: date = Field(index=True)
    status: GoalStatus = Field(default=GoalStatus.OPEN, sa_type=sa.String(30))
    # Only an agreed goal is open for reviews and agendas. Goals from before proposals
    # existed, and the synthetic history's, were agreed at the time: hence the default.
    agreement: GoalAgreement = Field(
        default=GoalAgreement.AGREED, sa_type=sa.String(20), sa_column_kwargs={"server_default": "agreed"}
    )
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    agreed_at: datetime | None = None
    progress: str = Field(default="", max_length=NOTE_MAX)
    updated_at: datetime = Field(default_factory=utcnow)


class DevelopmentGoalCreate(DevelopmentGoalBase):
    pass


class GoalProgress(SQLModel):
    status: GoalStatus
    progress: str = Field(default="", max_length=NOTE_MAX)
