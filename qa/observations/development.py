"""A practitioner's development over time: skill profile, self-rating against
observer rating, and development goals. Seen by the practitioner, their SPO,
and their PDU's QA leads; never by peers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from db.access_log import RecordKind
from db.engine import session_scope
from db.observations import DevelopmentGoal, Observation, ObservationRating, ObservationStatus, SelfRating
from qa.access import access_log, trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.observations import framework as skills_framework
from qa.observations.workflow import GoalView, _goal_view, practitioner_scope
from qa.organisation.directory import names_by_id

SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]


@dataclass(frozen=True)
class ProfilePoint:
    observed_on: date
    domain_key: str
    domain_title: str
    rating: int


@dataclass(frozen=True)
class SelfVsObserver:
    domain_key: str
    domain_title: str
    self_average: float | None
    observer_average: float | None
    pairs: int


@dataclass
class DevelopmentView:
    practitioner_id: int
    profile: list[ProfilePoint]
    comparison: list[SelfVsObserver]
    goals: list[GoalView]


def development(actor: Actor, practitioner_id: int, today: date | None = None) -> DevelopmentView:
    today = today or date.today()
    with session_scope() as session:
        require(actor, Action.VIEW_PRACTITIONER_DEVELOPMENT, practitioner_scope(session, practitioner_id))
        if actor.id != practitioner_id:
            trail.record(session, actor, "viewed", "development", practitioner_id)
        access_log.record_view(session, actor, practitioner_id, RecordKind.DEVELOPMENT, practitioner_id)
        _row, framework = skills_framework.latest(session)
        titles = {d.key: d.title for d in framework.domains}
        rows = session.exec(
            select(
                col(Observation.id),
                col(Observation.observed_on),
                col(ObservationRating.domain_key),
                col(ObservationRating.rating),
            )
            .join(ObservationRating, col(ObservationRating.observation_id) == col(Observation.id))
            .where(
                Observation.practitioner_id == practitioner_id,
                col(Observation.status).in_(SHARED),
                col(ObservationRating.rating).is_not(None),
            )
            .order_by(col(Observation.observed_on))
        ).all()
        # The query keeps only rated domains; the None test tells the type checker so.
        profile = [
            ProfilePoint(on, key, titles.get(key, key), rating) for _id, on, key, rating in rows if rating is not None
        ]
        observer = {(obs_id, key): rating for obs_id, _on, key, rating in rows if rating is not None}
        selfs = session.exec(
            select(SelfRating.observation_id, SelfRating.domain_key, SelfRating.rating)
            .join(Observation, col(SelfRating.observation_id) == col(Observation.id))
            .where(
                Observation.practitioner_id == practitioner_id,
                col(Observation.status).in_(SHARED),
                col(SelfRating.rating).is_not(None),
            )
        ).all()
        pairs: dict[str, list[tuple[int, int]]] = {}
        for obs_id, key, rating in selfs:
            if rating is not None and (obs_id, key) in observer:  # only rated domains are read
                pairs.setdefault(key, []).append((rating, observer[(obs_id, key)]))
        comparison = []
        for domain in framework.domains:
            matched = pairs.get(domain.key, [])
            comparison.append(
                SelfVsObserver(
                    domain.key,
                    domain.title,
                    sum(s for s, _ in matched) / len(matched) if matched else None,
                    sum(o for _, o in matched) / len(matched) if matched else None,
                    len(matched),
                )
            )
        goals = session.exec(
            select(DevelopmentGoal, Observation)
            .join(Observation, col(DevelopmentGoal.observation_id) == col(Observation.id))
            .where(col(DevelopmentGoal.practitioner_id) == practitioner_id, col(Observation.status).in_(SHARED))
            .order_by(col(DevelopmentGoal.review_date))
        ).all()
        people = [o.observer_id for _g, o in goals] + [practitioner_id]
        names = names_by_id(session, people + [g.proposed_by_id for g, _o in goals])
        return DevelopmentView(
            practitioner_id, profile, comparison, [_goal_view(g, today, o, names, actor) for g, o in goals]
        )
