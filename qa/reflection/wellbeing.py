"""Team wellbeing: an aggregate of debriefs, never an individual's.

Shown only when at least 5 different people contributed in the period;
otherwise callers get None and say "not enough responses to show". The
counting happens in SQL over intensities and vocabulary words only: no
private text is read, and nothing here is joined to audit, observation or
other performance data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import Team, User
from db.reflection import Debrief, DebriefFeeling
from qa.access.actor import Actor
from qa.access.policy import Action, TeamScope, can
from qa.errors import PermissionDenied
from qa.reflection.wellbeing_rules import MIN_PEOPLE, NOT_ENOUGH  # noqa: F401  (pages show NOT_ENOUGH)


@dataclass(frozen=True)
class TeamWellbeing:
    people: int
    debriefs: int
    mean_intensity: float
    top_feelings: list[tuple[str, int]]


def team_wellbeing(actor: Actor, team_id: int, start: datetime, end: datetime) -> TeamWellbeing | None:
    with session_scope() as session:
        team = session.get(Team, team_id)
        if team is None or not can(actor, Action.VIEW_TEAM_WELLBEING, TeamScope(id_of(team), team.pdu_id)):
            raise PermissionDenied()
        in_team = (
            select(Debrief.id, Debrief.author_id, Debrief.intensity)
            .join(User, col(Debrief.author_id) == col(User.id))
            .where(User.team_id == team_id, Debrief.created_at >= start, Debrief.created_at < end)
            .subquery()
        )
        people, debriefs, mean = session.exec(
            select(
                func.count(func.distinct(in_team.c.author_id)), func.count(in_team.c.id), func.avg(in_team.c.intensity)
            )
        ).one()
        if people < MIN_PEOPLE:
            return None
        top = session.exec(
            select(DebriefFeeling.feeling, func.count())
            .join(in_team, col(DebriefFeeling.debrief_id) == in_team.c.id)
            .group_by(DebriefFeeling.feeling)
            .order_by(func.count().desc(), DebriefFeeling.feeling)
            .limit(5)
        ).all()
        return TeamWellbeing(people, debriefs, float(mean), [(w, c) for w, c in top])
