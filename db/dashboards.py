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
from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from db.engine import get_engine


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


class DataVersion(SQLModel, table=True):
    """One row (id 1) whose ``version`` goes up by one in every transaction that writes through a session.

    The session hooks below bump it just before the commit, in the same transaction as the write, so a figure cached
    under the old version is never served after the write is visible, in this process or any other. The
    dashboards read it by primary key (O(1)) as their cache key (qa/dashboards/figures.data_version).
    """

    __tablename__ = "data_version"
    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    version: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))


# --- the data version: bumped in the same transaction as every write ----------

#: session.info key: this transaction has written something (set at flush and by bulk statements).
_WROTE = "pqp_wrote"
#: Tables whose writes never change a figure the dashboards show (who looked at a record, sign-in state,
#: notifications): writing them leaves cached figures valid.
UNVERSIONED_TABLES = frozenset(
    {"record_view", "sign_in_session", "sign_in_attempt", "notification", "outbox_message", "audit_seen"}
)


def _versioned(tables: set[str]) -> bool:
    return bool(tables - UNVERSIONED_TABLES)


@event.listens_for(OrmSession, "after_flush")
def _note_flush(session: OrmSession, _context: object) -> None:
    tables = {
        getattr(obj, "__tablename__", "")
        for obj in (*session.new, *session.dirty, *session.deleted)
        if obj not in session.dirty or session.is_modified(obj)
    }
    if _versioned(tables):
        session.info[_WROTE] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        if _versioned({str(getattr(m.local_table, "name", "")) for m in state.all_mappers}):
            state.session.info[_WROTE] = True


@event.listens_for(OrmSession, "before_commit")
def _bump_version(session: OrmSession) -> None:
    session.flush()
    if session.info.pop(_WROTE, False):
        # Insert-or-increment: works on both engines, and on a database whose row is missing.
        session.execute(
            text(
                "INSERT INTO data_version (id, version) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1"
            )
        )


@event.listens_for(OrmSession, "after_rollback")
def _forget_writes(session: OrmSession) -> None:
    session.info.pop(_WROTE, None)


def data_version() -> int:
    """The current data version (0 before the first write): one primary-key read."""
    with get_engine().connect() as conn:
        return int(conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar() or 0)
