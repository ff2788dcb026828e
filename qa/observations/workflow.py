"""Observation of one-to-one practice: plan (an invitation the practitioner accepts,
declines or answers with another date), self-rate, record, share, reply, agree goals.

Who may do what is in qa/access/policy.py. Every view of an observation by anyone
other than the practitioner is written to the audit trail, so the
practitioner can always find out who has read feedback about them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from db.access_log import RecordKind
from db.engine import session_scope
from db.ids import id_of
from db.observations import (
    DevelopmentGoal,
    DevelopmentGoalCreate,
    GoalAgreement,
    GoalProgress,
    GoalStatus,
    InvitationResponse,
    InvitationStatus,
    Observation,
    ObservationPlan,
    ObservationRating,
    ObservationRecord,
    ObservationStatus,
    PractitionerReply,
    RatingInput,
    SelfRating,
)
from db.organisation import Role, Team, User, UserRole, utcnow
from qa import optimistic
from qa.access import access_log, trail
from qa.access.actor import Actor
from qa.access.policy import Action, GoalScope, ObservationScope, PduScope, PractitionerScope, can, require
from qa.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from qa.notifications.notify import besides, notify
from qa.observations import framework as skills_framework
from qa.organisation.directory import names_by_id
from qa.records import RecordKind as RecordOpens
from qa.records import RecordRef


class StaleObservation(StaleEdit):
    def __init__(self) -> None:
        super().__init__(
            "Someone else saved this observation while you were editing, so your changes have not been saved. "
            "Your text is still below: copy what you need, reload the latest version, then re-apply your changes."
        )


# ----------------------------------------------------------------------- views


@dataclass(frozen=True)
class RatingView:
    rating: int | None
    not_observed: bool
    evidence: str = ""
    after_sharing: bool = False  # a self-rating given after reading the observer's


@dataclass(frozen=True)
class GoalView:
    id: int
    description: str
    review_date: date
    status: str
    progress: str
    due_for_review: bool
    agreed: bool = True
    proposed_by_name: str = ""
    waiting_for_name: str = ""  # while proposed: the other person, whose agreement it needs
    can_agree: bool = False

    @property
    def agreement_text(self) -> str:
        if self.agreed:
            return "agreed"
        return f"proposed by {self.proposed_by_name}, waiting for {self.waiting_for_name} to agree"


@dataclass
class ObservationDetail:
    id: int
    version: int
    status: str
    practitioner_id: int
    practitioner_name: str
    observer_id: int
    observer_name: str
    spo_name: str | None
    observed_on: date
    setting: str
    mode: str
    duration_minutes: int | None
    case_ref: str | None
    consent: bool
    invitation: str
    planned_on: date | None
    proposed_on: date | None
    decline_reason: str | None
    framework: skills_framework.SkillsFramework
    ratings: dict[str, RatingView]
    self_ratings: dict[str, RatingView]
    feedback_wanted: str
    strengths: str
    development_points: str
    reflection: str | None
    reply: str | None
    acknowledged_at: datetime | None
    calibration_of_id: int | None
    goals: list[GoalView] = field(default_factory=list)
    can_record: bool = False
    can_self_assess: bool = False
    can_reply: bool = False
    can_update_goals: bool = False
    can_respond: bool = False  # the practitioner may answer the invitation
    can_accept_date: bool = False  # the observer may accept the practitioner's other date
    can_propose_goal: bool = False

    @property
    def shared(self) -> bool:
        """Recorded and shared with the practitioner (whether or not they have acknowledged it yet)."""
        return self.status != ObservationStatus.PLANNED

    @property
    def date_changed(self) -> bool:
        """Recorded on another day than planned: shown, never silently replaced."""
        return self.planned_on is not None and self.planned_on != self.observed_on


@dataclass(frozen=True)
class ObservationRow:
    id: int
    observed_on: date
    practitioner_name: str
    observer_name: str
    setting: str
    status: str
    is_calibration: bool
    invitation: str = InvitationStatus.ACCEPTED

    @property
    def to_record(self) -> bool:
        """Planned, accepted by the practitioner, and not yet recorded and shared."""
        return self.status == ObservationStatus.PLANNED and self.invitation == InvitationStatus.ACCEPTED

    @property
    def awaiting(self) -> bool:
        """Planned, and the invitation is not (or not yet) accepted."""
        return self.status == ObservationStatus.PLANNED and self.invitation != InvitationStatus.ACCEPTED

    @property
    def label(self) -> str:
        return f"{self.status}: {self.invitation}" if self.status == ObservationStatus.PLANNED else self.status


# ------------------------------------------------------------------ internals


def practitioner_scope(session: Session, practitioner_id: int) -> PractitionerScope:
    person = session.get(User, practitioner_id)
    if person is None:
        raise NotFound("That person could not be found.")
    team = session.get(Team, person.team_id) if person.team_id else None
    return PractitionerScope(id_of(person), person.supervisor_id, team.pdu_id if team else None)


def _invitation(session: Session, obs: Observation) -> InvitationStatus:
    """A second observer's rating belongs to the same session, so the practitioner's one answer holds for both."""
    first = session.get(Observation, obs.calibration_of_id) if obs.calibration_of_id else None
    return InvitationStatus((first or obs).invitation)


def _scope(session: Session, obs: Observation) -> ObservationScope:
    p = practitioner_scope(session, obs.practitioner_id)
    return ObservationScope(
        practitioner_id=obs.practitioner_id,
        observer_id=obs.observer_id,
        spo_id=p.spo_id,
        pdu_id=p.pdu_id,
        planned=obs.status == ObservationStatus.PLANNED,
        acknowledged=obs.status == ObservationStatus.ACKNOWLEDGED,
        invitation=_invitation(session, obs),
        recorded=obs.consent,
    )


def _load(session: Session, actor: Actor, observation_id: int, action: Action) -> tuple[Observation, ObservationScope]:
    obs = session.get(Observation, observation_id)
    if obs is None:
        raise NotFound("That observation could not be found.")
    scope = _scope(session, obs)
    if not can(actor, action, scope):
        if not can(actor, Action.VIEW_OBSERVATION, scope):
            raise NotFound("That observation could not be found.")
        raise PermissionDenied()
    return obs, scope


def _bump(session: Session, obs: Observation, expected_version: int | None) -> None:
    optimistic.claim(
        session, obs, expected_version, StaleObservation()
    )  # compare-and-set: racing saves cannot both win
    obs.updated_at = utcnow()


def _check_ratings(framework: skills_framework.SkillsFramework, ratings: list[RatingInput]) -> None:
    known = {d.key for d in framework.domains}
    unknown = [r.domain_key for r in ratings if r.domain_key not in known]
    if unknown:
        raise ValidationFailed({"ratings": f"Unknown skill area: {', '.join(unknown)}."})
    both = [r.domain_key for r in ratings if r.not_observed and r.rating is not None]
    if both:
        raise ValidationFailed({"ratings": "A skill area is either rated or marked not observed, not both."})


def _save_ratings(
    session: Session,
    model: type[ObservationRating],
    observation_id: int,
    ratings: list[RatingInput],
    with_evidence: bool,
) -> None:
    existing = {r.domain_key: r for r in session.exec(select(model).where(model.observation_id == observation_id))}
    for item in ratings:
        row = existing.get(item.domain_key) or model(observation_id=observation_id, domain_key=item.domain_key)
        row.rating, row.not_observed = item.rating, item.not_observed
        if with_evidence:
            row.evidence = item.evidence
        session.add(row)


def _tell(session: Session, actor: Actor, obs: Observation, kind: str, *people: int | None, occasion: str) -> None:
    """Tell the other person about this observation (never the one who made the change)."""
    notify(
        session,
        kind=kind,
        recipient_ids=besides(actor.id, *people),
        record=RecordRef(RecordOpens.OBSERVATION, id_of(obs)),
        occasion=occasion,
    )


# ----------------------------------------------------------------------- plan


def plan_observation(actor: Actor, data: ObservationPlan) -> int:
    """Plan an observation (an SPO or QDO), or invite a peer to observe me (a practitioner)."""
    with session_scope() as session:
        practitioner = session.get(User, data.practitioner_id)
        observer = session.get(User, data.observer_id)
        if practitioner is None or not practitioner.is_active:
            raise ValidationFailed({"practitioner_id": "Choose an active practitioner."})
        if observer is None or not observer.is_active:
            raise ValidationFailed({"observer_id": "Choose an active member of staff to observe."})
        if data.observer_id == data.practitioner_id:
            raise ValidationFailed({"observer_id": "Nobody can observe themselves."})
        p = practitioner_scope(session, id_of(practitioner))
        require(
            actor,
            Action.PLAN_OBSERVATION,
            ObservationScope(id_of(practitioner), id_of(observer), p.spo_id, p.pdu_id, planned=True),
        )
        framework_row, _framework = skills_framework.latest(session)
        asked_for = actor.id == practitioner.id  # a practitioner inviting an observer has said yes already
        obs = Observation(
            **data.model_dump(),
            planned_on=data.observed_on,
            invitation=InvitationStatus.ACCEPTED if asked_for else InvitationStatus.INVITED,
            framework_id=id_of(framework_row),
            created_by_id=actor.id,
        )
        session.add(obs)
        session.flush()
        _tell(
            session,
            actor,
            obs,
            "observation_proposed",
            obs.practitioner_id,
            obs.observer_id,
            occasion=f"observation_proposed:{id_of(obs)}",
        )
        what = "invited an observer" if asked_for else "planned"
        trail.record(session, actor, what, "observation", obs.id)
        return id_of(obs)


def respond_to_invitation(
    actor: Actor,
    observation_id: int,
    data: InvitationResponse,
    expected_version: int | None = None,
    today: date | None = None,
) -> None:
    """The practitioner accepts, declines (a reason is optional) or proposes another date.

    They may change their answer until the session is recorded. Nothing of the observer's can be
    saved until they accept.
    """
    today = today or date.today()
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.RESPOND_TO_OBSERVATION_INVITATION)
        if obs.calibration_of_id is not None:  # one answer for the session, held on its first observation
            obs, _scope_ = _load(session, actor, obs.calibration_of_id, Action.RESPOND_TO_OBSERVATION_INVITATION)
        summary = ""
        if data.answer == InvitationStatus.NEW_DATE_PROPOSED:
            if data.proposed_on is None:
                raise ValidationFailed({"proposed_on": "Choose the date you would like instead."})
            if data.proposed_on < today:
                raise ValidationFailed({"proposed_on": "The date you propose cannot be in the past."})
            if data.proposed_on == obs.observed_on:
                raise ValidationFailed({"proposed_on": "That is the date already planned: accept it instead."})
            summary = f"proposed {data.proposed_on.isoformat()} instead of {obs.observed_on.isoformat()}"
        _bump(session, obs, expected_version)
        obs.invitation = data.answer
        obs.proposed_on = data.proposed_on if data.answer == InvitationStatus.NEW_DATE_PROPOSED else None
        obs.decline_reason = (data.reason or None) if data.answer == InvitationStatus.DECLINED else None
        obs.responded_at = utcnow()
        session.add(obs)
        for second in session.exec(select(Observation).where(col(Observation.calibration_of_id) == obs.id)):
            second.invitation = data.answer  # the same session, so the same answer
            session.add(second)
        what = {
            InvitationStatus.ACCEPTED: "accepted_invitation",
            InvitationStatus.DECLINED: "declined_invitation",
            InvitationStatus.NEW_DATE_PROPOSED: "proposed_another_date",
        }[data.answer]
        told = {
            InvitationStatus.ACCEPTED: "observation_accepted",
            InvitationStatus.DECLINED: "observation_declined",
            InvitationStatus.NEW_DATE_PROPOSED: "observation_new_date",
        }[data.answer]
        observers = session.exec(select(Observation.observer_id).where(col(Observation.calibration_of_id) == obs.id))
        _tell(session, actor, obs, told, obs.observer_id, *observers, occasion=f"{told}:{id_of(obs)}:v{obs.version}")
        trail.record(session, actor, what, "observation", obs.id, summary)  # the reason is never copied


def accept_proposed_date(actor: Actor, observation_id: int, expected_version: int | None = None) -> None:
    """The observer agrees to the practitioner's other date: it becomes the planned date, and the invitation is accepted."""
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.ACCEPT_PROPOSED_OBSERVATION_DATE)
        if obs.calibration_of_id is not None or obs.proposed_on is None:
            raise ValidationFailed({"proposed_on": "There is no other date to accept on this observation."})
        _bump(session, obs, expected_version)
        before, new_date = obs.observed_on, obs.proposed_on
        obs.observed_on = obs.planned_on = new_date
        obs.proposed_on, obs.invitation = None, InvitationStatus.ACCEPTED
        session.add(obs)
        for second in session.exec(select(Observation).where(col(Observation.calibration_of_id) == obs.id)):
            second.invitation = InvitationStatus.ACCEPTED
            if second.status == ObservationStatus.PLANNED and not second.consent:
                second.observed_on = second.planned_on = new_date
            session.add(second)
        _tell(
            session,
            actor,
            obs,
            "observation_date_agreed",
            obs.practitioner_id,
            occasion=f"observation_date_agreed:{id_of(obs)}:v{obs.version}",
        )
        trail.record(
            session,
            actor,
            "accepted_proposed_date",
            "observation",
            obs.id,
            f"moved from {before.isoformat()} to {new_date.isoformat()}",
        )


def add_second_observer(actor: Actor, observation_id: int, observer_id: int) -> int:
    """A second observer rates the same session independently, for calibration."""
    with session_scope() as session:
        first, scope = _load(session, actor, observation_id, Action.VIEW_OBSERVATION)
        if actor.id != first.observer_id and not can(actor, Action.VIEW_CALIBRATION, PduScope(scope.pdu_id)):
            raise PermissionDenied()
        if first.calibration_of_id is not None:
            raise ValidationFailed({"observer_id": "Add the second observer to the first observation of the session."})
        if observer_id in (first.observer_id, first.practitioner_id):
            raise ValidationFailed(
                {"observer_id": "Choose someone other than the practitioner and the first observer."}
            )
        observer = session.get(User, observer_id)
        if observer is None or not observer.is_active:
            raise ValidationFailed({"observer_id": "Choose an active member of staff."})
        second = Observation(
            practitioner_id=first.practitioner_id,
            observer_id=observer_id,
            observed_on=first.observed_on,
            setting=first.setting,
            mode=first.mode,
            duration_minutes=first.duration_minutes,
            case_ref=first.case_ref,
            planned_on=first.planned_on or first.observed_on,
            invitation=first.invitation,
            calibration_of_id=first.id,
            framework_id=first.framework_id,
            created_by_id=actor.id,
        )
        session.add(second)
        session.flush()
        trail.record(
            session, actor, "added_second_observer", "observation", first.id, f"second observation {second.id}"
        )
        return id_of(second)


# ----------------------------------------------------------------------- read


def ensure_visible(actor: Actor, observation_id: int) -> None:
    """Refuse (NotFound or PermissionDenied) unless the actor may see this observation. Reads nothing, logs nothing."""
    with session_scope() as session:
        _load(session, actor, observation_id, Action.VIEW_OBSERVATION)


def observation_detail(actor: Actor, observation_id: int, today: date | None = None) -> ObservationDetail:
    today = today or date.today()
    with session_scope() as session:
        obs, scope = _load(session, actor, observation_id, Action.VIEW_OBSERVATION)
        if actor.id != obs.practitioner_id:
            trail.record(session, actor, "viewed", "observation", obs.id)
        access_log.record_view(
            session, actor, obs.practitioner_id, RecordKind.OBSERVATION, id_of(obs)
        )  # the practitioner can see who looked
        names = names_by_id(session, [obs.practitioner_id, obs.observer_id, scope.spo_id])
        framework = skills_framework.framework_of(session, obs.framework_id)
        ratings = {
            r.domain_key: RatingView(r.rating, r.not_observed, r.evidence)
            for r in session.exec(select(ObservationRating).where(ObservationRating.observation_id == obs.id))
        }
        # The observer sees the practitioner's self-rating only after sharing, so it cannot anchor their own.
        show_self = actor.id == obs.practitioner_id or not scope.planned
        self_ratings = (
            {
                r.domain_key: RatingView(r.rating, r.not_observed, after_sharing=r.after_sharing)
                for r in session.exec(select(SelfRating).where(SelfRating.observation_id == obs.id))
            }
            if show_self
            else {}
        )
        goals = session.exec(
            select(DevelopmentGoal)
            .where(DevelopmentGoal.observation_id == obs.id)
            .order_by(col(DevelopmentGoal.review_date))
        ).all()
        names |= names_by_id(session, [g.proposed_by_id for g in goals])
        pscope = PractitionerScope(obs.practitioner_id, scope.spo_id, scope.pdu_id)
        return ObservationDetail(
            id=id_of(obs),
            version=obs.version,
            status=obs.status,
            practitioner_id=obs.practitioner_id,
            practitioner_name=names.get(obs.practitioner_id, ""),
            observer_id=obs.observer_id,
            observer_name=names.get(obs.observer_id, ""),
            spo_name=names.get(scope.spo_id),
            observed_on=obs.observed_on,
            setting=obs.setting,
            mode=obs.mode,
            duration_minutes=obs.duration_minutes,
            case_ref=obs.case_ref,
            consent=obs.consent,
            invitation=scope.invitation or InvitationStatus.ACCEPTED,
            planned_on=obs.planned_on,
            proposed_on=obs.proposed_on,
            decline_reason=obs.decline_reason,
            framework=framework,
            ratings=ratings,
            self_ratings=self_ratings,
            feedback_wanted=obs.feedback_wanted,
            strengths=obs.strengths,
            development_points=obs.development_points,
            reflection=obs.reflection,
            reply=obs.reply,
            acknowledged_at=obs.acknowledged_at,
            calibration_of_id=obs.calibration_of_id,
            goals=[_goal_view(g, today, obs, names, actor) for g in goals],
            can_record=can(actor, Action.RECORD_OBSERVATION, scope),
            can_self_assess=can(actor, Action.SELF_ASSESS, scope),
            can_reply=can(actor, Action.REPLY_TO_OBSERVATION, scope),
            can_update_goals=not scope.planned and can(actor, Action.UPDATE_GOAL, pscope),
            can_respond=obs.calibration_of_id is None and can(actor, Action.RESPOND_TO_OBSERVATION_INVITATION, scope),
            can_accept_date=obs.calibration_of_id is None
            and can(actor, Action.ACCEPT_PROPOSED_OBSERVATION_DATE, scope),
            can_propose_goal=can(actor, Action.PROPOSE_GOAL, scope),
        )


def _goal_scope(goal: DevelopmentGoal, obs: Observation) -> GoalScope:
    return GoalScope(
        practitioner_id=obs.practitioner_id,
        observer_id=obs.observer_id,
        proposed_by_id=goal.proposed_by_id,
        agreed=goal.agreement == GoalAgreement.AGREED,
        shared=obs.status != ObservationStatus.PLANNED,
    )


def _goal_view(
    goal: DevelopmentGoal,
    today: date,
    obs: Observation | None = None,
    names: dict[int | None, str] | None = None,
    actor: Actor | None = None,
) -> GoalView:
    """A goal as shown. Given its observation, also who proposed it and whose agreement it waits for."""
    names = names or {}
    agreed = goal.agreement == GoalAgreement.AGREED
    waiting_for = None
    if obs is not None and not agreed:
        waiting_for = obs.observer_id if goal.proposed_by_id == obs.practitioner_id else obs.practitioner_id
    return GoalView(
        id_of(goal),
        goal.description,
        goal.review_date,
        goal.status,
        goal.progress,
        agreed and goal.status == GoalStatus.OPEN and goal.review_date <= today,
        agreed=agreed,
        proposed_by_name=names.get(goal.proposed_by_id, ""),
        waiting_for_name=names.get(waiting_for, ""),
        can_agree=obs is not None and can(actor, Action.AGREE_GOAL, _goal_scope(goal, obs)),
    )


def _rows(session: Session, observations: Sequence[Observation]) -> list[ObservationRow]:
    names = names_by_id(session, [o.practitioner_id for o in observations] + [o.observer_id for o in observations])
    return [
        ObservationRow(
            id_of(o),
            o.observed_on,
            names.get(o.practitioner_id, ""),
            names.get(o.observer_id, ""),
            o.setting,
            o.status,
            o.calibration_of_id is not None,
            _invitation(session, o),
        )
        for o in observations
    ]


def observations_of_me(actor: Actor) -> list[ObservationRow]:
    with session_scope() as session:
        found = session.exec(
            select(Observation)
            .where(col(Observation.practitioner_id) == actor.id)
            .order_by(col(Observation.observed_on).desc())
        ).all()
        return _rows(session, found)


def observations_by_me(actor: Actor) -> list[ObservationRow]:
    with session_scope() as session:
        found = session.exec(
            select(Observation)
            .where(col(Observation.observer_id) == actor.id)
            .order_by(col(Observation.observed_on).desc())
        ).all()
        return _rows(session, found)


# ---------------------------------------------------------------------- write


def save_self_assessment(actor: Actor, observation_id: int, items: list[RatingInput], feedback_wanted: str) -> None:
    if len(feedback_wanted or "") > 4000:
        raise ValidationFailed(
            {"feedback_wanted": f"This must be 4000 characters or fewer (you entered {len(feedback_wanted)})."}
        )
    with session_scope() as session:
        obs, scope = _load(session, actor, observation_id, Action.SELF_ASSESS)
        _check_ratings(skills_framework.framework_of(session, obs.framework_id), items)
        after_sharing = not scope.planned
        existing = {
            r.domain_key: r for r in session.exec(select(SelfRating).where(SelfRating.observation_id == obs.id))
        }
        for item in items:
            row = existing.get(item.domain_key)
            if row is not None and (row.rating, row.not_observed) == (item.rating, item.not_observed):
                continue  # unchanged: a rating given before sharing stays marked as given before
            row = row or SelfRating(observation_id=id_of(obs), domain_key=item.domain_key)
            row.rating, row.not_observed, row.after_sharing = item.rating, item.not_observed, after_sharing
            session.add(row)
        if not after_sharing:  # what they want feedback on only matters before the session
            obs.feedback_wanted = (feedback_wanted or "").strip()
        obs.updated_at = utcnow()
        session.add(obs)
        trail.record(
            session, actor, "self_assessed_after_sharing" if after_sharing else "self_assessed", "observation", obs.id
        )


def save_record(
    actor: Actor,
    observation_id: int,
    data: ObservationRecord,
    items: list[RatingInput],
    expected_version: int | None,
) -> int:
    """The observer's ratings and notes. Nothing is saved without the person's consent."""
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.RECORD_OBSERVATION)
        _check_ratings(skills_framework.framework_of(session, obs.framework_id), items)
        summary = ""
        if data.observed_on != obs.observed_on:
            # Never replaced behind the observer's back: a different date is saved only when they say so.
            if not data.date_change_confirmed:
                raise ValidationFailed(
                    {
                        "observed_on": f"The session was planned for {obs.observed_on:%d %b %Y}. If it took place on "
                        f"{data.observed_on:%d %b %Y}, tick 'The session took place on a different date' and save again."
                    }
                )
            summary = f"session date changed from {obs.observed_on.isoformat()} to {data.observed_on.isoformat()}"
        _bump(session, obs, expected_version)
        if obs.planned_on is None:
            obs.planned_on = obs.observed_on
        for name, value in data.model_dump(exclude={"date_change_confirmed"}).items():
            setattr(obs, name, value)
        session.add(obs)
        _save_ratings(session, ObservationRating, id_of(obs), items, with_evidence=True)
        trail.record(session, actor, "recorded", "observation", obs.id, summary)
        return obs.version


def add_goal(actor: Actor, observation_id: int, data: DevelopmentGoalCreate, today: date | None = None) -> int:
    """Propose a goal: the observer once the session is recorded with consent, the practitioner once it is shared.

    It counts as an open goal (reviews, agendas, home pages) only once the other of the two has agreed it.
    """
    today = today or date.today()
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.PROPOSE_GOAL)
        if obs.calibration_of_id is not None:
            raise ValidationFailed({"description": "Goals are agreed on the first observation of the session."})
        if data.review_date < today:
            raise ValidationFailed({"review_date": "The review date cannot be in the past."})
        goal = DevelopmentGoal(
            observation_id=id_of(obs),
            practitioner_id=obs.practitioner_id,
            **data.model_dump(),
            agreement=GoalAgreement.PROPOSED,
            proposed_by_id=actor.id,
        )
        session.add(goal)
        session.flush()
        trail.record(session, actor, "proposed_goal", "observation", obs.id, f"goal {goal.id}")
        return goal.id or 0


def agree_goal(actor: Actor, goal_id: int) -> None:
    """The other person agrees a proposed goal; from then on it is an open goal."""
    with session_scope() as session:
        goal = session.get(DevelopmentGoal, goal_id)
        obs = session.get(Observation, goal.observation_id) if goal is not None else None
        if goal is None or obs is None or not can(actor, Action.VIEW_OBSERVATION, _scope(session, obs)):
            raise NotFound("That goal could not be found.")
        require(actor, Action.AGREE_GOAL, _goal_scope(goal, obs))
        goal.agreement, goal.agreed_at, goal.updated_at = GoalAgreement.AGREED, utcnow(), utcnow()
        session.add(goal)
        trail.record(session, actor, "agreed_goal", "observation", obs.id, f"goal {goal.id}")


def share(actor: Actor, observation_id: int) -> None:
    """Share the observation with the practitioner. Every skill area needs a rating or 'not observed'."""
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.RECORD_OBSERVATION)
        if not obs.consent:
            raise ValidationFailed({"consent": "Record the person's consent and the session details first."})
        framework = skills_framework.framework_of(session, obs.framework_id)
        done = {
            r.domain_key
            for r in session.exec(select(ObservationRating).where(ObservationRating.observation_id == obs.id))
            if r.rating is not None or r.not_observed
        }
        missing = [d.title for d in framework.domains if d.key not in done]
        if missing:
            raise ValidationFailed(
                {"ratings": "Rate these skill areas, or mark them not observed: " + "; ".join(missing)}
            )
        obs.status, obs.shared_at = ObservationStatus.SHARED, utcnow()
        obs.version += 1
        session.add(obs)
        _tell(
            session, actor, obs, "observation_shared", obs.practitioner_id, occasion=f"observation_shared:{id_of(obs)}"
        )
        trail.record(session, actor, "shared", "observation", obs.id)


def reply(actor: Actor, observation_id: int, data: PractitionerReply, acknowledge: bool = False) -> None:
    """The practitioner's reflection and reply. Only they ever write it."""
    with session_scope() as session:
        obs, _scope_ = _load(session, actor, observation_id, Action.REPLY_TO_OBSERVATION)
        obs.reflection, obs.reply = data.reflection.strip() or None, data.reply.strip() or None
        if acknowledge:
            obs.status, obs.acknowledged_at = ObservationStatus.ACKNOWLEDGED, utcnow()
        obs.updated_at = utcnow()
        session.add(obs)
        _tell(session, actor, obs, "observation_replied", obs.observer_id, occasion=f"observation_replied:{id_of(obs)}")
        trail.record(session, actor, "acknowledged" if acknowledge else "replied", "observation", obs.id)


def update_goal(actor: Actor, goal_id: int, data: GoalProgress) -> None:
    with session_scope() as session:
        goal = session.get(DevelopmentGoal, goal_id)
        if goal is None:
            raise NotFound("That goal could not be found.")
        scope = practitioner_scope(session, goal.practitioner_id)
        if not can(actor, Action.UPDATE_GOAL, scope):
            raise PermissionDenied()
        if goal.agreement != GoalAgreement.AGREED:
            raise ValidationFailed({"status": "This goal has not been agreed yet, so there is no progress to record."})
        goal.status, goal.progress, goal.updated_at = data.status, data.progress.strip(), utcnow()
        session.add(goal)
        trail.record(session, actor, "updated_goal", "observation", goal.observation_id)


def practitioners_i_can_observe(actor: Actor) -> list[tuple[int, str]]:
    """Practitioners this person could plan an observation of, for the planning form."""
    with session_scope() as session:
        rows = session.exec(
            select(User, Team)
            .join(UserRole, (col(UserRole.user_id) == col(User.id)) & (col(UserRole.role) == Role.PRACTITIONER))
            .join(Team, col(User.team_id) == col(Team.id))
            .where(User.is_active, User.id != actor.id)
            .order_by(User.full_name)
        ).all()
        return [
            (id_of(u), f"{u.full_name} ({t.name})")
            for u, t in rows
            if can(
                actor,
                Action.PLAN_OBSERVATION,
                ObservationScope(id_of(u), actor.id, u.supervisor_id, t.pdu_id, planned=True),
            )
        ]


def colleagues_to_invite(actor: Actor) -> list[tuple[int, str]]:
    """Active staff in my PDU whom I may invite to observe me."""
    with session_scope() as session:
        rows = session.exec(
            select(User, Team)
            .join(Team, col(User.team_id) == col(Team.id))
            .where(User.is_active, User.id != actor.id, Team.pdu_id == actor.pdu_id)
            .order_by(User.full_name)
        ).all()
        return [(id_of(u), f"{u.full_name} ({u.grade}, {t.name})") for u, t in rows]
