"""Keeping the dashboard rollups (db/dashboards.py) equal to the records they count.

Whenever a session flushes an audit, answer, section verdict, case, observation,
rating, debrief, feeling or a person's team, the cells those rows fall in are
noted; just before the transaction commits, each noted cell is counted again
from the source records. A record and the figures that count it therefore
change together or not at all, and no service has to remember to do it.

Bulk UPDATE or DELETE statements through the ORM (retention, erasure) rebuild
the whole family they touch. Raw SQL that bypasses the ORM (the region
generator) must call rebuild_all() itself. The first dashboard read on a
database whose rollups were never built builds them (ensure_built).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from time import perf_counter
from typing import Any

from sqlalchemy import Date, DateTime, and_, case, cast, delete, event, func, insert, inspect, label, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, SQLModel, col

from db.audits import AuditAnswer, AuditSectionResult, AuditStatus, CaseAudit
from db.dashboards import (
    AnswerCell,
    AuditCell,
    DebriefCell,
    FeelingCell,
    ObservationCell,
    RatedPerson,
    RatingCell,
    SectionCell,
)
from db.observations import Observation, ObservationRating, ObservationStatus, SelfRating
from db.organisation import Case, Setting, User
from db.reflection import Debrief, DebriefFeeling
from portal import metrics

SUBMITTED = [AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED, AuditStatus.SUBMITTED]
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]
JUDGED = ["Sufficient", "Partly sufficient", "Insufficient"]
BUILT_FLAG = "dashboard_rollups_built"
_PENDING = "rollup_pending"


def month_start(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _month_expr(
    session: OrmSession, column: Mapped[date] | Mapped[datetime] | Mapped[datetime | None]
) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "start of month")
    return cast(func.date_trunc("month", cast(column, DateTime)), Date)


# ------------------------------------------------------------------ audits


def _audit_source(
    session: OrmSession, cells: set[tuple[date, int]] | None, months: set[date] | None = None
) -> Subquery:
    """Submitted, non-moderation audits with the month they were submitted in and the team holding the case.

    An audit counts from when it is submitted, not by its event's date: one finished early for a
    LEARN day still to come counts at once.
    """
    submitted = col(CaseAudit.submitted_at)
    query = (
        select(
            label("audit_id", col(CaseAudit.id)),
            _month_expr(session, submitted).label("month"),
            label("team_id", col(Case.team_id)),
            label("pdu_id", col(Case.pdu_id)),
        )
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .where(
            col(CaseAudit.moderates_id).is_(None),
            col(CaseAudit.status).in_(SUBMITTED),
            submitted.is_not(None),
        )
    )
    if cells is not None:
        query = query.where(
            or_(
                *[
                    and_(submitted >= _at(m), submitted < _at(next_month(m)), col(Case.team_id) == t)
                    for m, t in sorted(cells)
                ]
            )
        )
    if months is not None:
        query = query.where(or_(*[and_(submitted >= _at(m), submitted < _at(next_month(m))) for m in sorted(months)]))
    return query.subquery()


def _refresh_audits(session: OrmSession, cells: set[tuple[date, int]] | None, months: set[date] | None = None) -> None:
    """Recount (month, team) cells, or whole months for every team, or (both None) everything."""
    for table in (AuditCell, AnswerCell, SectionCell):
        statement = delete(table)
        if cells is not None:
            statement = statement.where(
                or_(*[and_(col(table.month) == m, col(table.team_id) == t) for m, t in sorted(cells)])
            )
        if months is not None:
            statement = statement.where(col(table.month).in_(sorted(months)))
        session.execute(statement)
    source = _audit_source(session, cells, months)
    session.execute(
        insert(AuditCell).from_select(
            ["month", "team_id", "pdu_id", "audits"],
            select(source.c.month, source.c.team_id, func.min(source.c.pdu_id), func.count()).group_by(
                source.c.month, source.c.team_id
            ),
        )
    )

    def tally(value: str) -> ColumnElement[int]:
        return func.sum(case((col(AuditAnswer.answer) == value, 1), else_=0))

    session.execute(
        insert(AnswerCell).from_select(
            ["month", "team_id", "question_key", "pdu_id", "yes", "partly", "no", "not_applicable"],
            select(
                source.c.month,
                source.c.team_id,
                col(AuditAnswer.question_key),
                func.min(source.c.pdu_id),
                tally("yes"),
                tally("partly"),
                tally("no"),
                tally("not applicable"),
            )
            .join(source, col(AuditAnswer.audit_id) == source.c.audit_id)
            .group_by(source.c.month, source.c.team_id, col(AuditAnswer.question_key)),
        )
    )
    session.execute(
        insert(SectionCell).from_select(
            ["month", "team_id", "section_title", "pdu_id", "sufficient", "judged"],
            select(
                source.c.month,
                source.c.team_id,
                col(AuditSectionResult.section_title),
                func.min(source.c.pdu_id),
                func.sum(case((col(AuditSectionResult.verdict) == "Sufficient", 1), else_=0)),
                func.count(),
            )
            .join(source, col(AuditSectionResult.audit_id) == source.c.audit_id)
            .where(col(AuditSectionResult.verdict).in_(JUDGED))
            .group_by(source.c.month, source.c.team_id, col(AuditSectionResult.section_title)),
        )
    )


# ------------------------------------------------------------ observations


def _in_months(column: Mapped[datetime], months: set[date]) -> list[ColumnElement[bool]]:
    return [and_(column >= _at(m), column < _at(next_month(m))) for m in sorted(months)]


def _shared_observations(session: OrmSession, cells: set[tuple[date, int]] | None) -> Subquery:
    """Shared, non-calibration observations with their month, practitioner and the practitioner's team."""
    query = (
        select(
            label("obs_id", col(Observation.id)),
            label("pid", col(Observation.practitioner_id)),
            label("team_id", col(User.team_id)),
            _month_expr(session, col(Observation.observed_on)).label("month"),
        )
        .join(User, col(Observation.practitioner_id) == col(User.id))
        .where(col(Observation.status).in_(SHARED), col(Observation.calibration_of_id).is_(None))
    )
    if cells is not None:
        query = query.where(
            or_(
                *[
                    and_(
                        col(Observation.practitioner_id) == p,
                        col(Observation.observed_on) >= m,
                        col(Observation.observed_on) < next_month(m),
                    )
                    for m, p in sorted(cells)
                ]
            )
        )
    return query.subquery()


def _refresh_observations(session: OrmSession, cells: set[tuple[date, int]] | None) -> None:
    """Cells are (month, practitioner): their counts, and the sums of their team in those months."""
    if cells is None:
        for table in (ObservationCell, RatedPerson):
            session.execute(delete(table))
    else:
        for m, p in cells:
            session.execute(
                delete(ObservationCell).where(
                    col(ObservationCell.month) == m, col(ObservationCell.practitioner_id) == p
                )
            )
            session.execute(
                delete(RatedPerson).where(col(RatedPerson.month) == m, col(RatedPerson.practitioner_id) == p)
            )
    obs = _shared_observations(session, cells)
    session.execute(
        insert(ObservationCell).from_select(
            ["month", "practitioner_id", "observations"],
            select(obs.c.month, obs.c.pid, func.count()).group_by(obs.c.month, obs.c.pid),
        )
    )
    session.execute(
        insert(RatedPerson).from_select(
            ["domain_key", "practitioner_id", "month"],
            select(col(ObservationRating.domain_key), obs.c.pid, obs.c.month)
            .join(obs, col(ObservationRating.observation_id) == obs.c.obs_id)
            .where(col(ObservationRating.rating).is_not(None))
            .distinct(),
        )
    )
    if cells is None:
        _refresh_rating_sums(session, None, None)
        return
    teams = dict(
        session.execute(select(col(User.id), col(User.team_id)).where(col(User.id).in_({p for _m, p in cells}))).all()
    )
    for m in {m for m, _p in cells}:
        _refresh_rating_sums(session, {m}, {teams.get(p) for mm, p in cells if mm == m})


def _team_match(column: Mapped[int | None], teams: set[int | None]) -> ColumnElement[bool]:
    known = sorted(t for t in teams if t is not None)
    return or_(column.in_(known), *([column.is_(None)] if None in teams else []))


def _refresh_rating_sums(session: OrmSession, months: set[date] | None, teams: set[int | None] | None) -> None:
    """Recount the per-team rating sums for the given months and teams (None: all)."""
    statement = delete(RatingCell)
    if months is not None:
        statement = statement.where(col(RatingCell.month).in_(sorted(months)))
    if teams is not None:
        statement = statement.where(_team_match(col(RatingCell.team_id), teams))
    session.execute(statement)
    month = _month_expr(session, col(Observation.observed_on))
    where: list[ColumnElement[bool]] = [
        col(Observation.status).in_(SHARED),
        col(Observation.calibration_of_id).is_(None),
    ]
    if months is not None:
        where.append(
            or_(
                *[
                    and_(col(Observation.observed_on) >= m, col(Observation.observed_on) < next_month(m))
                    for m in sorted(months)
                ]
            )
        )
    if teams is not None:
        where.append(_team_match(col(User.team_id), teams))
    rated = col(ObservationRating.rating).is_not(None)
    paired = and_(rated, col(SelfRating.rating).is_not(None))
    session.execute(
        insert(RatingCell).from_select(
            [
                "month",
                "team_id",
                "domain_key",
                "ratings",
                "rating_sum",
                "rating_squares",
                "pairs",
                "self_sum",
                "paired_observer_sum",
            ],
            select(
                month,
                col(User.team_id),
                col(ObservationRating.domain_key),
                func.count(col(ObservationRating.rating)),
                func.coalesce(func.sum(col(ObservationRating.rating)), 0),
                func.coalesce(func.sum(col(ObservationRating.rating) * col(ObservationRating.rating)), 0),
                func.sum(case((paired, 1), else_=0)),
                func.coalesce(func.sum(case((paired, col(SelfRating.rating)), else_=0)), 0),
                func.coalesce(func.sum(case((paired, col(ObservationRating.rating)), else_=0)), 0),
            )
            .select_from(ObservationRating)
            .join(Observation, col(ObservationRating.observation_id) == col(Observation.id))
            .join(User, col(Observation.practitioner_id) == col(User.id))
            .outerjoin(
                SelfRating,
                and_(
                    col(SelfRating.observation_id) == col(ObservationRating.observation_id),
                    col(SelfRating.domain_key) == col(ObservationRating.domain_key),
                ),
            )
            .where(*where)
            .group_by(month, col(User.team_id), col(ObservationRating.domain_key)),
        )
    )


# ------------------------------------------------------------------ debriefs


def _refresh_debriefs(session: OrmSession, cells: set[tuple[date, int]] | None) -> None:
    month = _month_expr(session, col(Debrief.created_at))
    if cells is not None:
        for m, author in cells:
            session.execute(
                delete(DebriefCell).where(col(DebriefCell.month) == m, col(DebriefCell.author_id) == author)
            )
    else:
        session.execute(delete(DebriefCell))
    chosen = select(
        label("aid", col(Debrief.author_id)), label("intensity", col(Debrief.intensity)), month.label("month")
    )
    if cells is not None:
        chosen = chosen.where(
            or_(
                *[
                    and_(
                        col(Debrief.author_id) == a,
                        col(Debrief.created_at) >= _at(m),
                        col(Debrief.created_at) < _at(next_month(m)),
                    )
                    for m, a in sorted(cells)
                ]
            )
        )
    src = chosen.subquery()
    session.execute(
        insert(DebriefCell).from_select(
            ["month", "author_id", "debriefs", "intensity_sum"],
            select(src.c.month, src.c.aid, func.count(), func.sum(src.c.intensity)).group_by(src.c.month, src.c.aid),
        )
    )


def _refresh_feelings(session: OrmSession, months: set[date] | None, teams: set[int | None] | None) -> None:
    """Feelings are counted per month and the author's current team; rebuild the given months or teams."""
    month = _month_expr(session, col(Debrief.created_at))
    statement = delete(FeelingCell)
    where: list[ColumnElement[bool]] = []
    if months is not None:
        statement = statement.where(col(FeelingCell.month).in_(sorted(months)))
        where.append(or_(*_in_months(col(Debrief.created_at), months)))
    if teams is not None:
        statement = statement.where(_team_match(col(FeelingCell.team_id), teams))
        where.append(_team_match(col(User.team_id), teams))
    session.execute(statement)
    session.execute(
        insert(FeelingCell).from_select(
            ["month", "team_id", "feeling", "count"],
            select(month, col(User.team_id), col(DebriefFeeling.feeling), func.count())
            .select_from(DebriefFeeling)
            .join(Debrief, col(DebriefFeeling.debrief_id) == col(Debrief.id))
            .join(User, col(Debrief.author_id) == col(User.id))
            .where(*where)
            .group_by(month, col(User.team_id), col(DebriefFeeling.feeling)),
        )
    )


# --------------------------------------------------------------- entry points


def rebuild_all(session: Session) -> None:
    """Count every rollup again from the source records (after bulk loads, or on first use)."""
    _refresh_audits(session, None)
    _refresh_observations(session, None)
    _refresh_debriefs(session, None)
    _refresh_feelings(session, None, None)
    setting = session.get(Setting, BUILT_FLAG) or Setting(key=BUILT_FLAG, value="1")
    setting.value = "1"
    session.add(setting)
    session.flush()


def ensure_built(session: Session) -> None:
    if session.get(Setting, BUILT_FLAG) is None:
        rebuild_all(session)


class _Pending:
    """What one transaction has touched, collected at each flush."""

    def __init__(self) -> None:
        self.audit_refs: set[tuple[date, int]] = set()  # (month submitted, case_id)
        self.audit_ids: set[int] = set()
        self.moved_cases: set[int] = set()
        self.obs_cells: set[tuple[date, int]] = set()
        self.obs_ids: set[int] = set()
        self.debrief_cells: set[tuple[date, int]] = set()
        self.debrief_ids: set[int] = set()
        self.moved_teams: set[int | None] = set()  # someone joined or left: per-team cells recounted
        self.everything: set[str] = set()

    def __bool__(self) -> bool:
        return any(bool(v) for v in vars(self).values())


def _pending(session: OrmSession) -> _Pending:
    return session.info.setdefault(_PENDING, _Pending())


def _old_and_new(obj: object, name: str) -> list[Any]:
    history = inspect(obj).attrs[name].history
    values = list(history.deleted or []) + [getattr(obj, name)]
    return [v for v in values if v is not None]


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _flush_context: object) -> None:
    objects = list(session.new) + list(session.dirty) + list(session.deleted)
    if not objects:
        return
    pending = None
    for obj in objects:
        if isinstance(obj, CaseAudit):
            pending = pending or _pending(session)
            for submitted_at in _old_and_new(obj, "submitted_at"):
                pending.audit_refs.add((month_start(submitted_at), obj.case_id))
        elif isinstance(obj, (AuditAnswer, AuditSectionResult)):
            (pending := pending or _pending(session)).audit_ids.add(obj.audit_id)
        elif isinstance(obj, Case):
            pending = pending or _pending(session)
            if obj.id is not None and inspect(obj).attrs["team_id"].history.deleted:
                pending.moved_cases.add(obj.id)
        elif isinstance(obj, Observation):
            pending = pending or _pending(session)
            for day in _old_and_new(obj, "observed_on"):
                for person in _old_and_new(obj, "practitioner_id"):
                    pending.obs_cells.add((month_start(day), person))
        elif isinstance(obj, (ObservationRating, SelfRating)):
            (pending := pending or _pending(session)).obs_ids.add(obj.observation_id)
        elif isinstance(obj, Debrief):
            pending = pending or _pending(session)
            if obj.created_at is not None:
                pending.debrief_cells.add((month_start(obj.created_at), obj.author_id))
        elif isinstance(obj, DebriefFeeling):
            (pending := pending or _pending(session)).debrief_ids.add(obj.debrief_id)
        elif isinstance(obj, User) and obj.id is not None:
            moved = inspect(obj).attrs["team_id"].history
            if moved.deleted:
                pending = pending or _pending(session)
                pending.moved_teams.update(list(moved.deleted) + [obj.team_id])


TRACKED_BULK: dict[type[SQLModel], str] = {
    CaseAudit: "audit",
    AuditAnswer: "audit",
    AuditSectionResult: "audit",
    Case: "audit",
    Observation: "observation",
    ObservationRating: "observation",
    SelfRating: "observation",
    Debrief: "debrief",
    DebriefFeeling: "debrief",
    User: "team",
}


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        family = TRACKED_BULK.get(mapper.class_)
        if family:
            _pending(state.session).everything.add(family)


@event.listens_for(OrmSession, "before_commit")
def _recount(session: OrmSession) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    started = perf_counter()
    _apply(session, pending)
    metrics.ROLLUP_SECONDS.observe(perf_counter() - started)


# One PostgreSQL advisory lock per family of rollups, always taken in this order.
LOCKS = {"audit": 7_360_001, "observation": 7_360_002, "debrief": 7_360_003}


def _serialise(session: OrmSession, pending: _Pending) -> None:
    """On PostgreSQL, recount one transaction at a time per family.

    Two transactions recounting the same cell at once would each count from a snapshot
    missing the other's rows, and the later commit would leave a figure one short (or
    trip the cell's unique key). Holding the family's lock until commit makes the
    second wait; under READ COMMITTED its recount then sees the first one's rows.
    SQLite already lets only one writer in at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    touched = set(pending.everything)
    if pending.audit_refs or pending.audit_ids or pending.moved_cases:
        touched.add("audit")
    if pending.obs_cells or pending.obs_ids or pending.moved_teams:
        touched.add("observation")
    if pending.debrief_cells or pending.debrief_ids or pending.moved_teams:
        touched.add("debrief")
    if "team" in touched:
        touched |= {"observation", "debrief"}
    for family, key in LOCKS.items():
        if family in touched:
            session.execute(select(func.pg_advisory_xact_lock(key)))


def _apply(session: OrmSession, pending: _Pending) -> None:
    _serialise(session, pending)
    if "team" in pending.everything:
        # A bulk change to people may have moved anyone between teams.
        pending.everything |= {"observation", "debrief"}
    if "audit" in pending.everything:
        _refresh_audits(session, None)
    else:
        _apply_audits(session, pending)
    if "observation" in pending.everything:
        _refresh_observations(session, None)
    else:
        if pending.moved_teams:
            _refresh_rating_sums(session, None, pending.moved_teams)
        cells = _month_cells(
            session,
            pending.obs_cells,
            pending.obs_ids,
            col(Observation.id),
            col(Observation.observed_on),
            col(Observation.practitioner_id),
        )
        if cells:
            _refresh_observations(session, cells)
    if "debrief" in pending.everything:
        _refresh_debriefs(session, None)
        _refresh_feelings(session, None, None)
        return
    cells = _month_cells(
        session,
        pending.debrief_cells,
        pending.debrief_ids,
        col(Debrief.id),
        col(Debrief.created_at),
        col(Debrief.author_id),
    )
    if cells:
        _refresh_debriefs(session, cells)
        # Feelings are counted per team: recount those months for the authors' current teams.
        authors = {a for _m, a in cells}
        teams = set(session.execute(select(col(User.team_id)).where(col(User.id).in_(authors))).scalars())
        _refresh_feelings(session, {m for m, _a in cells}, teams)
    if pending.moved_teams:
        _refresh_feelings(session, None, pending.moved_teams)


def _month_cells(
    session: OrmSession,
    cells: set[tuple[date, int]],
    ids: set[int],
    id_column: Mapped[int | None],
    when_column: Mapped[date] | Mapped[datetime],
    person_column: Mapped[int],
) -> set[tuple[date, int]]:
    """The (month, person) cells already noted, plus those of the records whose ids were noted."""
    found = set(cells)
    if ids:
        rows = session.execute(select(when_column, person_column).where(id_column.in_(ids))).all()
        found |= {(month_start(when), person) for when, person in rows}
    return found


def _apply_audits(session: OrmSession, pending: _Pending) -> None:
    """Recount the (month submitted, team) cells of the audits this transaction touched."""
    cells: set[tuple[date, int]] = set()
    if pending.audit_refs:
        teams = dict(
            session.execute(
                select(col(Case.id), col(Case.team_id)).where(col(Case.id).in_({c for _m, c in pending.audit_refs}))
            ).all()
        )
        cells |= {(m, teams[c]) for m, c in pending.audit_refs if teams.get(c) is not None}
    if pending.audit_ids:
        for submitted_at, team_id in session.execute(
            select(col(CaseAudit.submitted_at), col(Case.team_id))
            .join(Case, col(CaseAudit.case_id) == col(Case.id))
            .where(col(CaseAudit.id).in_(pending.audit_ids), col(CaseAudit.submitted_at).is_not(None))
        ).all():
            if submitted_at is not None and team_id is not None:
                cells.add((month_start(submitted_at), team_id))
    months: set[date] = set()
    if pending.moved_cases:
        # A case changing team moves its audits' counts between teams: recount the months they were submitted in.
        months = {
            month_start(d)
            for d in session.execute(
                select(col(CaseAudit.submitted_at)).where(
                    col(CaseAudit.case_id).in_(pending.moved_cases), col(CaseAudit.submitted_at).is_not(None)
                )
            ).scalars()
            if d is not None
        }
    if months:
        _refresh_audits(session, None, months)
    cells = {(m, t) for m, t in cells if m not in months}  # whole months already recounted above
    if cells:
        _refresh_audits(session, cells)
