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

from db.organisation import CASE_REF_MAX, utcnow

NOTE_MAX = 4000
EVIDENCE_MAX = 2000
GOAL_MAX = 500
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
        return v.upper() if v else None


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

    @field_validator("case_ref", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        v = _strip(v)
        return v.upper() if v else None

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
    """The practitioner's own rating before the session (optional)."""

    __tablename__ = "self_rating"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="ck_self_rating_scale"),
    )
    observation_id: int = Field(foreign_key="observation.id", primary_key=True)
    domain_key: str = Field(max_length=60, primary_key=True)
    rating: int | None = Field(default=None, ge=RATING_MIN, le=RATING_MAX)
    not_observed: bool = False


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
    progress: str = Field(default="", max_length=NOTE_MAX)
    updated_at: datetime = Field(default_factory=utcnow)


class DevelopmentGoalCreate(DevelopmentGoalBase):
    pass


class GoalProgress(SQLModel):
    status: GoalStatus
    progress: str = Field(default="", max_length=NOTE_MAX)
