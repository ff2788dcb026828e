"""Observation coverage: is every practitioner observed often enough?

The target is a number of observations per practitioner per year (default 2,
set by an administrator). Someone is overdue when their last shared
observation is older than a year divided by the target (never observed counts
as overdue), and due when that point falls within the next 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from db.engine import session_scope
from db.ids import id_of
from db.observations import Observation, ObservationStatus
from db.organisation import Role, Team, User, UserRole
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, require
from qa.due import DueStatus
from qa.errors import ValidationFailed
from qa.settings import get_flag, set_flag

TARGET_KEY = "observation_target_per_year"
DEFAULT_TARGET = 2
DUE_WINDOW_DAYS = 30
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]


@dataclass(frozen=True)
class CoverageRow:
    practitioner_id: int
    name: str
    team_name: str
    last_observed: date | None
    observed_last_12_months: int
    next_due: date | None
    status: DueStatus


@dataclass(frozen=True)
class TeamCoverage:
    team_name: str
    practitioners: int
    observed_last_12_months: int
    up_to_date: int

    @property
    def share_observed(self) -> float | None:
        return self.observed_last_12_months / self.practitioners if self.practitioners else None


def target_per_year() -> int:
    with session_scope() as session:
        raw = get_flag(session, TARGET_KEY)
    try:
        value = int(raw) if raw is not None else DEFAULT_TARGET
    except ValueError:
        return DEFAULT_TARGET
    return value if value > 0 else DEFAULT_TARGET


def set_target_per_year(actor: Actor, value: int) -> None:
    require(actor, Action.SET_OBSERVATION_TARGET)
    if not isinstance(value, int) or not 1 <= value <= 12:
        raise ValidationFailed({"target": "Choose a target between 1 and 12 observations a year."})
    with session_scope() as session:
        set_flag(session, TARGET_KEY, str(value))
        trail.record(session, actor, "changed", "setting", TARGET_KEY, f"{value} a year")


def classify(last_observed: date | None, target: int, today: date) -> tuple[date | None, DueStatus]:
    """(next due date, status) for one practitioner."""
    if last_observed is None:
        return None, DueStatus.OVERDUE
    next_due = last_observed + timedelta(days=365 // target)
    if next_due < today:
        return next_due, DueStatus.OVERDUE
    if next_due <= today + timedelta(days=DUE_WINDOW_DAYS):
        return next_due, DueStatus.DUE
    return next_due, DueStatus.UP_TO_DATE


def _coverage(
    session: Session, practitioners: Sequence[tuple[User, Team | None]], today: date, target: int
) -> list[CoverageRow]:
    ids = [id_of(u) for u, _t in practitioners]
    if not ids:
        return []
    year_ago = today - timedelta(days=365)
    stats = {
        pid: (last, count)
        for pid, last, count in session.exec(
            select(
                Observation.practitioner_id,
                func.max(Observation.observed_on),
                func.count(col(Observation.id)).filter(col(Observation.observed_on) > year_ago),
            )
            .where(
                col(Observation.practitioner_id).in_(ids),
                col(Observation.status).in_(SHARED),
                col(Observation.calibration_of_id).is_(None),
            )
            .group_by(col(Observation.practitioner_id))
        ).all()
    }
    rows = []
    for user, team in practitioners:
        user_id = id_of(user)
        last, count = stats.get(user_id, (None, 0))
        next_due, status = classify(last, target, today)
        rows.append(CoverageRow(user_id, user.full_name, team.name if team else "", last, count or 0, next_due, status))
    return sorted(rows, key=lambda r: (r.status.order, r.name))


def _practitioners(query: Select[User, Team]) -> Select[User, Team]:
    return query.join(
        UserRole, (col(UserRole.user_id) == col(User.id)) & (col(UserRole.role) == Role.PRACTITIONER)
    ).where(col(User.is_active))


def coverage_for_supervisor(actor: Actor, today: date | None = None) -> list[CoverageRow]:
    """The people I supervise (no policy target: it is always my own supervisees)."""
    today = today or date.today()
    target = target_per_year()
    with session_scope() as session:
        rows = session.exec(
            _practitioners(select(User, Team).join(Team, col(User.team_id) == col(Team.id), isouter=True)).where(
                User.supervisor_id == actor.id
            )
        ).all()
        return _coverage(session, rows, today, target)


def coverage_by_team(actor: Actor, pdu_id: int, today: date | None = None) -> list[TeamCoverage]:
    require(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id))
    today = today or date.today()
    target = target_per_year()
    with session_scope() as session:
        rows = session.exec(
            _practitioners(select(User, Team).join(Team, col(User.team_id) == col(Team.id))).where(
                col(Team.pdu_id) == pdu_id
            )
        ).all()
        coverage = _coverage(session, rows, today, target)
    teams: dict[str, list[CoverageRow]] = {}
    for row in coverage:
        teams.setdefault(row.team_name, []).append(row)
    return [
        TeamCoverage(
            name,
            len(rs),
            sum(r.observed_last_12_months > 0 for r in rs),
            sum(r.status != DueStatus.OVERDUE for r in rs),
        )
        for name, rs in sorted(teams.items())
    ]
