"""What each role's home page shows: who I am, my team, the people around me, and what needs my attention.

The alerts are counts only: what counts (which statuses, what is overdue) is decided
here, and the home pages only word and link them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, func, select

from db.audits import AuditStatus
from db.engine import session_scope
from db.observations import ObservationStatus
from db.organisation import Pdu, Role, Team, User, UserPublic
from db.reflection import Urgency
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, TeamScope, can, require
from qa.audits import concerns as urgent_concerns
from qa.audits import workflow as audit_workflow
from qa.due import DueCounts, count_due
from qa.errors import PermissionDenied
from qa.observations import coverage as observation_coverage
from qa.observations import development
from qa.observations import workflow as observations
from qa.organisation.directory import to_public
from qa.reflection import support
from qa.supervision import cadence
from qa.supervision import records as supervision


@dataclass(frozen=True)
class TeamHeadcount:
    team_name: str
    active_staff: int


@dataclass
class HomeSummary:
    me: UserPublic
    supervisor: UserPublic | None = None
    supervisees: list[UserPublic] = field(default_factory=list)
    team_members: list[UserPublic] = field(default_factory=list)
    pdu_teams: list[TeamHeadcount] = field(default_factory=list)


def home_summary(actor: Actor) -> HomeSummary:
    require(actor, Action.VIEW_OWN_PROFILE)
    with session_scope() as session:
        me_row = session.get(User, actor.id)
        if me_row is None:
            raise PermissionDenied()
        me = to_public(session, [me_row])[0]
        summary = HomeSummary(me=me)
        if me_row.supervisor_id:
            sup = session.get(User, me_row.supervisor_id)
            summary.supervisor = to_public(session, [sup])[0] if sup else None
        supervisees = session.exec(
            select(User).where(User.supervisor_id == actor.id, User.is_active).order_by(User.full_name)
        )
        summary.supervisees = to_public(session, list(supervisees))
        if actor.team_id and actor.pdu_id and can(actor, Action.VIEW_TEAM, TeamScope(actor.team_id, actor.pdu_id)):
            members = session.exec(
                select(User).where(User.team_id == actor.team_id, User.is_active).order_by(User.full_name)
            )
            summary.team_members = to_public(session, list(members))
        if actor.pdu_id and can(actor, Action.VIEW_PDU, PduScope(actor.pdu_id)):
            rows = session.exec(
                select(col(Team.name), func.count(col(User.id)))
                .select_from(Team)
                .join(User, (col(User.team_id) == col(Team.id)) & col(User.is_active), isouter=True)
                .where(Team.pdu_id == actor.pdu_id)
                .group_by(col(Team.id), col(Team.name))
                .order_by(Team.name)
            )
            summary.pdu_teams = [TeamHeadcount(name, count) for name, count in rows]
        return summary


def pdu_name(actor: Actor) -> str | None:
    if actor.pdu_id is None:
        return None
    with session_scope() as session:
        pdu = session.get(Pdu, actor.pdu_id)
        return pdu.name if pdu else None


# ------------------------------------------------------------------------ alerts


@dataclass(frozen=True)
class AuditAlerts:
    concerns_to_acknowledge: int = 0
    concerns_overdue: int = 0  # of those, waiting more than 2 working days
    sheets_to_discuss: int = 0
    team_overdue_actions: int = 0
    my_overdue_actions: int = 0
    audits_to_complete: int = 0


def audit_alerts(actor: Actor, today: date | None = None) -> AuditAlerts:
    """What needs attention from LEARN audits. All zero when all is clear."""
    concerns = urgent_concerns.concerns_for_me(actor, today)
    return AuditAlerts(
        concerns_to_acknowledge=len(concerns),
        concerns_overdue=sum(c.overdue for c in concerns),
        sheets_to_discuss=sum(
            a.status == AuditStatus.FEEDBACK_SENT for a in audit_workflow.feedback_awaiting_me(actor, today)
        ),
        team_overdue_actions=len(audit_workflow.overdue_actions_for_spo(actor, today)),
        my_overdue_actions=sum(a.overdue for a, _ref, _id in audit_workflow.my_open_actions(actor, today)),
        audits_to_complete=sum(a.status == AuditStatus.DRAFT for a in audit_workflow.my_audits(actor, today)),
    )


def pdu_overdue_concerns(actor: Actor, today: date | None = None) -> int:
    """Urgent concerns in my PDU that have waited more than 2 working days for an SPO (for a QA lead)."""
    if actor.pdu_id is None:
        return 0
    return sum(c.overdue for c in urgent_concerns.pdu_concerns(actor, actor.pdu_id, today))


@dataclass(frozen=True)
class ObservationAlerts:
    to_reply: int = 0  # observations of my practice shared with me
    upcoming: int = 0  # planned observations of me, which I can prepare for
    goals_due: int = 0
    to_record: int = 0  # observations I am to carry out
    team: DueCounts = DueCounts()  # the people I supervise, for an SPO


def observation_alerts(actor: Actor, today: date | None = None) -> ObservationAlerts:
    to_reply = upcoming = goals_due = 0
    if actor.has(Role.PRACTITIONER):
        mine = observations.observations_of_me(actor)
        to_reply = sum(o.status == ObservationStatus.SHARED for o in mine)
        upcoming = sum(o.status == ObservationStatus.PLANNED for o in mine)
        goals_due = sum(g.due_for_review for g in development.development(actor, actor.id, today).goals)
    to_record = sum(o.status == ObservationStatus.PLANNED for o in observations.observations_by_me(actor))
    team = count_due(observation_coverage.coverage_for_supervisor(actor, today)) if actor.has(Role.SPO) else DueCounts()
    return ObservationAlerts(to_reply, upcoming, goals_due, to_record, team)


@dataclass(frozen=True)
class SupportAlerts:
    waiting: int = 0  # colleagues who would like to talk to me
    today: int = 0  # of those, asking to talk today


def support_alerts(actor: Actor) -> SupportAlerts:
    """Who is waiting and how soon, never what they wrote."""
    waiting = support.requests_to_me(actor)
    return SupportAlerts(len(waiting), sum(r.urgency == Urgency.TODAY for r in waiting))


@dataclass(frozen=True)
class SupervisionAlerts:
    to_confirm: int = 0  # records I took part in and have not yet confirmed
    team: DueCounts = DueCounts()  # the people I supervise, for an SPO


def supervision_alerts(actor: Actor, today: date | None = None) -> SupervisionAlerts:
    to_confirm = sum(s.awaiting_me for s in supervision.sessions_with(actor))
    team = count_due(cadence.cadence_for_supervisor(actor, today)) if actor.has(Role.SPO) else DueCounts()
    return SupervisionAlerts(to_confirm, team)
