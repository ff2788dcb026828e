"""Read helpers shared by services: users as the portal presents them.

These take a session and no actor: they are called from services that have
already checked the policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from db.ids import id_of
from db.organisation import Pdu, Role, Team, User, UserPublic, UserRole
from qa.access.actor import Actor


def roles_by_user(session: Session, user_ids: list[int]) -> dict[int, list[Role]]:
    found: dict[int, list[Role]] = defaultdict(list)
    if not user_ids:
        return found
    for row in session.exec(select(UserRole).where(col(UserRole.user_id).in_(user_ids))):
        found[row.user_id].append(Role(row.role))
    for roles in found.values():
        roles.sort(key=list(Role).index)
    return found


def to_public(session: Session, users: list[User]) -> list[UserPublic]:
    ids = [id_of(u) for u in users]
    roles = roles_by_user(session, ids)
    teams = {t.id: t for t in session.exec(select(Team))}
    pdus = {p.id: p for p in session.exec(select(Pdu))}
    sup_ids = {u.supervisor_id for u in users if u.supervisor_id}
    supervisors = (
        {s.id: s.full_name for s in session.exec(select(User).where(col(User.id).in_(sup_ids)))} if sup_ids else {}
    )
    public = []
    for u in users:
        team = teams.get(u.team_id)
        pdu = pdus.get(team.pdu_id) if team else None
        public.append(
            UserPublic(
                id=id_of(u),
                full_name=u.full_name,
                email=u.email,
                grade=u.grade,
                staff_id=u.staff_id,
                team_id=u.team_id,
                supervisor_id=u.supervisor_id,
                is_active=u.is_active,
                roles=roles.get(id_of(u), []),
                team_name=team.name if team else None,
                pdu_name=pdu.name if pdu else None,
                supervisor_name=supervisors.get(u.supervisor_id),
            )
        )
    return public


def actor_from_user(session: Session, user: User) -> Actor:
    team = session.get(Team, user.team_id) if user.team_id else None
    return Actor(
        id=id_of(user),
        full_name=user.full_name,
        email=user.email,
        grade=user.grade,
        roles=frozenset(roles_by_user(session, [id_of(user)]).get(id_of(user), [])),
        team_id=user.team_id,
        pdu_id=team.pdu_id if team else None,
    )


def set_roles(session: Session, user_id: int, roles: list[Role]) -> None:
    wanted = set(roles)
    current = {Role(r.role): r for r in session.exec(select(UserRole).where(UserRole.user_id == user_id))}
    for role, row in current.items():
        if role not in wanted:
            session.delete(row)
    for role in wanted - current.keys():
        session.add(UserRole(user_id=user_id, role=role))


def names_by_id(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    """Full names for a set of user ids, in one query (ids that are None are skipped).

    Keyed by ``int | None`` so a caller can look up an optional id (a supervisor, say) as it is: None finds nothing.
    """
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(col(User.id), col(User.full_name)).where(col(User.id).in_(wanted))).all())
