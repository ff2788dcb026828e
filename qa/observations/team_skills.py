"""A team's skill profile: the average and spread of observed ratings per skill area.

Only whole-team figures, never a list of named individuals, and nothing is
shown for a skill area rated for fewer than MIN_PEOPLE practitioners, so no
one's ratings can be picked out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select

from db.engine import session_scope
from db.ids import id_of
from db.observations import Observation, ObservationRating, ObservationStatus
from db.organisation import Team, User
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, TeamScope, can
from qa.errors import PermissionDenied
from qa.observations import framework as skills_framework

MIN_PEOPLE = 3
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]


@dataclass(frozen=True)
class DomainSummary:
    domain_key: str
    domain_title: str
    people: int
    ratings: int
    mean: float | None
    spread: float | None  # standard deviation
    low: int | None
    high: int | None


def team_profile(
    actor: Actor, team_id: int | None = None, pdu_id: int | None = None, today: date | None = None
) -> list[DomainSummary]:
    """Per skill area, over the last 12 months, for one team (SPO) or a whole PDU (QA lead)."""
    today = today or date.today()
    with session_scope() as session:
        if team_id is not None:
            team = session.get(Team, team_id)
            if team is None or not can(actor, Action.VIEW_TEAM_PROFILE, TeamScope(id_of(team), team.pdu_id)):
                raise PermissionDenied()
            where = User.team_id == team_id
        elif pdu_id is not None:
            if not can(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id)):
                raise PermissionDenied()
            where = Team.pdu_id == pdu_id
        else:
            raise PermissionDenied()
        rows = session.exec(
            select(Observation.practitioner_id, ObservationRating.domain_key, ObservationRating.rating)
            .join(ObservationRating, col(ObservationRating.observation_id) == col(Observation.id))
            .join(User, col(Observation.practitioner_id) == col(User.id))
            .join(Team, col(User.team_id) == col(Team.id))
            .where(
                where,
                col(Observation.status).in_(SHARED),
                col(Observation.calibration_of_id).is_(None),
                Observation.observed_on > today - timedelta(days=365),
                col(ObservationRating.rating).is_not(None),
            )
        ).all()
        _row, framework = skills_framework.latest(session)
    summaries = []
    for domain in framework.domains:
        values = [(pid, r) for pid, key, r in rows if key == domain.key and r is not None]  # only rated rows are read
        people = len({pid for pid, _ in values})
        ratings = [r for _, r in values]
        if people < MIN_PEOPLE:
            summaries.append(DomainSummary(domain.key, domain.title, people, len(ratings), None, None, None, None))
            continue
        summaries.append(
            DomainSummary(
                domain.key,
                domain.title,
                people,
                len(ratings),
                statistics.fmean(ratings),
                statistics.pstdev(ratings),
                min(ratings),
                max(ratings),
            )
        )
    return summaries
