"""Pre-counted dashboard figures, kept up to date as the underlying records are written.

At region scale the dashboards would otherwise count hundreds of thousands of
answers, ratings and debriefs on every view. Each table here holds additive
counts for one small "cell" (a month and a team, or a month and a person),
so a dashboard sums far fewer rows instead. qa/dashboards/rollups.py rebuilds a cell
from the source records whenever one of them changes, in the same transaction.

They hold counts only, never text. The per-person wellbeing cells exist so
the dashboard can count distinct contributors; only qa/dashboards/figures.py reads
them, and only into aggregates of at least 5 people.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class AuditCell(SQLModel, table=True):
    """Submitted, non-moderation audits submitted in one month, of cases held in one team.

    The month is when the audit was submitted, not its event's date (migration 0012 recounted the cells).
    """

    __tablename__ = "rollup_audit"
    month: date = Field(primary_key=True)  # first day of the month the audit was submitted in
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    pdu_id: int = Field(foreign_key="pdu.id", index=True)
    audits: int = 0


class AnswerCell(SQLModel, table=True):
    __tablename__ = "rollup_answer"
    month: date = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    question_key: str = Field(max_length=60, primary_key=True)
    pdu_id: int = Field(foreign_key="pdu.id", index=True)
    yes: int = 0
    partly: int = 0
    no: int = 0
    not_applicable: int = 0


class SectionCell(SQLModel, table=True):
    __tablename__ = "rollup_section"
    month: date = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    section_title: str = Field(max_length=200, primary_key=True)
    pdu_id: int = Field(foreign_key="pdu.id", index=True)
    sufficient: int = 0
    judged: int = 0


class ObservationCell(SQLModel, table=True):
    """Shared, non-calibration observations of one practitioner in one calendar month."""

    __tablename__ = "rollup_observation"
    month: date = Field(primary_key=True)  # first day of the month
    practitioner_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    observations: int = 0


class RatingCell(SQLModel, table=True):
    """Observer ratings, and self-ratings paired with them, per skill area for one team and month.

    The team is the practitioner's current team, as the dashboards filter by it;
    qa/dashboards/rollups.py recounts a team's cells when someone joins or leaves it.
    """

    __tablename__ = "rollup_rating"
    __table_args__ = (sa.UniqueConstraint("month", "team_id", "domain_key", name="uq_rollup_rating_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)  # people with no team count here too
    domain_key: str = Field(max_length=60)
    ratings: int = 0
    rating_sum: int = 0
    rating_squares: int = 0
    pairs: int = 0
    self_sum: int = 0
    paired_observer_sum: int = 0


class RatedPerson(SQLModel, table=True):
    """That a practitioner was rated in a skill area in a month, so people can be counted once each.

    The key starts with the skill area so that counting distinct people per area reads the key in order.
    """

    __tablename__ = "rollup_rated_person"
    # Deliberately no other index: given one on the month or the person, SQLite's planner picks it and
    # then sorts, where reading this key in order is about 5x faster. Recounting one (month, person)
    # cell finds its rows through the key (a skip-scan over the ten skill areas).
    domain_key: str = Field(max_length=60, primary_key=True)
    practitioner_id: int = Field(foreign_key="user.id", primary_key=True)
    month: date = Field(primary_key=True)


class DebriefCell(SQLModel, table=True):
    """How many debriefs one person recorded in a month, and their summed intensity."""

    __tablename__ = "rollup_debrief"
    month: date = Field(primary_key=True)
    author_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    debriefs: int = 0
    intensity_sum: int = 0


class FeelingCell(SQLModel, table=True):
    """How often a feeling word was chosen in a month by debriefs of one team's members."""

    __tablename__ = "rollup_feeling"
    __table_args__ = (sa.UniqueConstraint("month", "team_id", "feeling", name="uq_rollup_feeling_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)  # people with no team count here too
    feeling: str = Field(max_length=40)
    count: int = 0
