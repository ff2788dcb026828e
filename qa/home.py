"""What each role's home page shows: who I am, my team, and the people around me."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select

from db.engine import session_scope
from db.organisation import Pdu, Team, User, UserPublic
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, TeamScope, can, require
from qa.errors import PermissionDenied
from qa.organisation.directory import to_public


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
