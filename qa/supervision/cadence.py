"""Supervision cadence: how often each person should be supervised, and who is due.

The default is every 4 to 6 weeks: due from 4 weeks after the last session,
overdue after 6. New starters (in their first year) and newly qualified
officers are seen more often: due from 3 weeks, overdue after 4. An
administrator can set the weeks for each grade.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import ScalarSelect, Subquery, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import Grade, Role, Setting, Team, User, UserRole
from db.supervision import SessionParticipant, StaffProfile, SupervisionSession
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, require
from qa.due import DueStatus
from qa.errors import ValidationFailed
from qa.settings import set_flag

DEFAULT_WEEKS = (4, 6)  # (due from, overdue after)
NEW_STARTER_WEEKS = (3, 4)
NEW_STARTER_DAYS = 365


@dataclass(frozen=True)
class CadenceRow:
    practitioner_id: int
    name: str
    team_name: str
    last_supervised: date | None
    due_from: date | None
    overdue_after: date | None
    status: DueStatus
    new_starter: bool


def classify(last: date | None, weeks: tuple[int, int], today: date) -> tuple[date | None, date | None, DueStatus]:
    if last is None:
        return None, None, DueStatus.OVERDUE
    due_from = last + timedelta(weeks=weeks[0])
    overdue_after = last + timedelta(weeks=weeks[1])
    if today > overdue_after:
        return due_from, overdue_after, DueStatus.OVERDUE
    if today >= due_from:
        return due_from, overdue_after, DueStatus.DUE
    return due_from, overdue_after, DueStatus.UP_TO_DATE


def is_new_starter(newly_qualified: bool | None, started_on: date | None, today: date) -> bool:
    """Newly qualified, or started less than a year ago: seen more often (NEW_STARTER_WEEKS)."""
    return bool(newly_qualified or (started_on and (today - started_on).days < NEW_STARTER_DAYS))


def last_supervised_column(today: date) -> ScalarSelect[date | None]:
    """The person's (``User.id``'s) last supervision held on or before ``today``, as a column of a query over
    users: one probe of the index on (practitioner, session) per person, so it costs what the people
    in the query cost, and the query stays one statement (the dashboards' supervision counts)."""
    return (
        select(func.max(SupervisionSession.held_on))
        .join(SessionParticipant, col(SessionParticipant.session_id) == col(SupervisionSession.id))
        .where(col(SessionParticipant.practitioner_id) == col(User.id), SupervisionSession.held_on <= today)
        .scalar_subquery()
    )


def _last_held(today: date) -> Select:
    """Each practitioner's last supervision held on or before ``today`` (``practitioner_id``, ``last``),
    before grouping by practitioner (a caller may narrow it to some people first)."""
    return (
        select(
            col(SessionParticipant.practitioner_id).label("practitioner_id"),
            func.max(SupervisionSession.held_on).label("last"),
        )
        .join(SupervisionSession, col(SessionParticipant.session_id) == col(SupervisionSession.id))
        .where(SupervisionSession.held_on <= today)
    )


def last_supervised_by_person(today: date) -> Subquery:
    """Everyone's last supervision held on or before ``today`` (``practitioner_id``, ``last``), in one
    grouped pass: cheaper than a lookup per person once the query covers a whole region."""
    return _last_held(today).group_by(col(SessionParticipant.practitioner_id)).subquery()


def within_target(
    session: Session, people: Sequence[tuple[str, bool | None, date | None, date | None]], today: date
) -> int:
    """How many of ``people`` (grade, newly qualified, started on, last supervised) are not overdue."""
    weeks = _weeks_table(session)
    return sum(
        classify(last, weeks(grade, is_new_starter(qualified, started, today)), today)[2] != DueStatus.OVERDUE
        for grade, qualified, started, last in people
    )


def _parse_weeks(raw: str | None, fallback: tuple[int, int]) -> tuple[int, int]:
    try:
        due, overdue = (int(x) for x in (raw or "").split(","))
        return due, overdue
    except ValueError:
        return fallback


def weeks_for(grade: str, new_starter: bool) -> tuple[int, int]:
    with session_scope() as session:
        return _weeks_table(session)(grade, new_starter)


def _weeks_table(session: Session) -> Callable[[str, bool], tuple[int, int]]:
    """Every configured interval, read once, as a lookup (not one query per person)."""
    configured = {
        s.key.split(":", 1)[1]: s.value
        for s in session.exec(select(Setting).where(Setting.key.startswith("supervision_weeks:")))
    }

    def lookup(grade: str, new_starter: bool) -> tuple[int, int]:
        key = "new_starter" if new_starter else str(grade)
        return _parse_weeks(configured.get(key), NEW_STARTER_WEEKS if new_starter else DEFAULT_WEEKS)

    return lookup


def set_weeks(actor: Actor, key: str, due_from: int, overdue_after: int) -> None:
    require(actor, Action.SET_CADENCE)
    if key != "new_starter" and key not in {g.value for g in Grade}:
        raise ValidationFailed({"key": "Choose a grade, or new starters."})
    if not (1 <= due_from <= overdue_after <= 26):
        raise ValidationFailed({"weeks": "Use whole weeks, with 'due from' no later than 'overdue after', up to 26."})
    with session_scope() as session:
        set_flag(session, f"supervision_weeks:{key}", f"{due_from},{overdue_after}")
        trail.record(
            session, actor, "changed", "setting", f"supervision_weeks:{key}", f"{due_from}-{overdue_after} weeks"
        )


def cadence_rows(session: Session, people: Sequence[tuple[User, Team | None]], today: date) -> list[CadenceRow]:
    ids = [id_of(u) for u, _t in people]
    if not ids:
        return []
    last = last_supervised(session, ids, today)
    profiles = {p.user_id: p for p in session.exec(select(StaffProfile).where(col(StaffProfile.user_id).in_(ids)))}
    weeks = _weeks_table(session)
    rows = []
    for user, team in people:
        user_id = id_of(user)
        profile = profiles.get(user_id)
        new = bool(profile and is_new_starter(profile.newly_qualified, profile.started_on, today))
        due_from, overdue_after, status = classify(last.get(user_id), weeks(user.grade, new), today)
        rows.append(
            CadenceRow(
                user_id,
                user.full_name,
                team.name if team else "",
                last.get(user_id),
                due_from,
                overdue_after,
                status,
                new,
            )
        )
    return sorted(rows, key=lambda r: (r.status.order, r.name))


#: Up to this many people, their last supervisions are looked up person by person (the index on
#: practitioner and session); beyond it (a whole region), one grouped pass over all participation is cheaper.
PER_PERSON_LIMIT = 400


def last_supervised(session: Session, ids: Sequence[int], today: date) -> dict[int, date]:
    """Each person's last supervision held on or before today, costing what these people cost."""
    query = _last_held(today)
    if len(ids) <= PER_PERSON_LIMIT:
        query = query.where(col(SessionParticipant.practitioner_id).in_(ids))
    wanted = set(ids)
    rows = session.exec(query.group_by(col(SessionParticipant.practitioner_id))).all()
    return {pid: held for pid, held in rows if pid in wanted}


_Query = TypeVar("_Query", bound=Select)


def practitioners_query(query: _Query) -> _Query:
    """``query`` narrowed to active practitioners."""
    return query.join(
        UserRole, (col(UserRole.user_id) == col(User.id)) & (col(UserRole.role) == Role.PRACTITIONER)
    ).where(col(User.is_active))


def cadence_for_supervisor(actor: Actor, today: date | None = None) -> list[CadenceRow]:
    today = today or date.today()
    with session_scope() as session:
        people = session.exec(
            practitioners_query(select(User, Team).join(Team, col(User.team_id) == col(Team.id), isouter=True)).where(
                User.supervisor_id == actor.id
            )
        ).all()
        return cadence_rows(session, people, today)


@dataclass(frozen=True)
class TeamCadence:
    team_name: str
    practitioners: int
    within_target: int

    @property
    def share(self) -> float | None:
        return self.within_target / self.practitioners if self.practitioners else None


def cadence_by_team(actor: Actor, pdu_id: int, today: date | None = None) -> list[TeamCadence]:
    require(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id))
    today = today or date.today()
    with session_scope() as session:
        people = session.exec(
            practitioners_query(select(User, Team).join(Team, col(User.team_id) == col(Team.id))).where(
                col(Team.pdu_id) == pdu_id
            )
        ).all()
        rows = cadence_rows(session, people, today)
    teams: dict[str, list[CadenceRow]] = {}
    for row in rows:
        teams.setdefault(row.team_name, []).append(row)
    return [
        TeamCadence(name, len(rs), sum(r.status != DueStatus.OVERDUE for r in rs)) for name, rs in sorted(teams.items())
    ]


def set_profile(
    actor: Actor, user_id: int, started_on: date | None, newly_qualified: bool, mentor_id: int | None
) -> None:
    """An SPO records a supervisee's start date, NQO status and named mentor."""
    with session_scope() as session:
        person = session.get(User, user_id)
        if person is None or person.supervisor_id != actor.id:
            raise ValidationFailed({"user_id": "You can only set this for people you supervise."})
        if mentor_id is not None and (mentor_id == user_id or session.get(User, mentor_id) is None):
            raise ValidationFailed({"mentor_id": "Choose a colleague as mentor."})
        profile = session.get(StaffProfile, user_id) or StaffProfile(user_id=user_id)
        profile.started_on, profile.newly_qualified, profile.mentor_id = started_on, newly_qualified, mentor_id
        session.add(profile)
        trail.record(session, actor, "changed", "staff_profile", user_id, "start date, NQO status or mentor")


def profile_of(actor: Actor, user_id: int) -> StaffProfile | None:
    with session_scope() as session:
        person = session.get(User, user_id)
        if person is None or actor.id not in (user_id, person.supervisor_id):
            raise ValidationFailed({"user_id": "You can only see this for yourself or people you supervise."})
        return session.get(StaffProfile, user_id)
