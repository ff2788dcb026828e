"""Managing staff accounts (administrators only)."""

from __future__ import annotations

from sqlmodel import Session, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import PASSWORD_MAX, PASSWORD_MIN, Role, Team, User, UserCreate, UserPublic, UserUpdate, utcnow
from qa.access import sessions, trail
from qa.access.actor import Actor
from qa.access.passwords import hash_password
from qa.access.policy import Action, require
from qa.errors import NotFound, ValidationFailed
from qa.organisation.directory import roles_by_user, set_roles, to_public


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user could not be found.")
    return user


def list_users(actor: Actor, include_inactive: bool = True) -> list[UserPublic]:
    require(actor, Action.VIEW_DIRECTORY)
    with session_scope() as session:
        query = select(User).order_by(User.full_name)
        if not include_inactive:
            query = query.where(User.is_active)
        return to_public(session, list(session.exec(query)))


def get_user(actor: Actor, user_id: int) -> UserPublic:
    require(actor, Action.VIEW_DIRECTORY)
    with session_scope() as session:
        user = _load(session, user_id)
        return to_public(session, [user])[0]


def check_references(session: Session, data: UserCreate | UserUpdate, user_id: int | None) -> dict[str, str]:
    """Rules that need the database: uniqueness, existing team, a valid supervisor."""
    errors: dict[str, str] = {}
    clash = session.exec(select(User).where(User.email == data.email)).first()
    if clash is not None and clash.id != user_id:
        errors["email"] = "Another user already has this email address."
    if data.staff_id:
        clash = session.exec(select(User).where(User.staff_id == data.staff_id)).first()
        if clash is not None and clash.id != user_id:
            errors["staff_id"] = "Another user already has this staff ID."
    if data.team_id is not None and session.get(Team, data.team_id) is None:
        errors["team_id"] = "Choose a team that exists."
    if data.supervisor_id is not None:
        supervisor = session.get(User, data.supervisor_id)
        if supervisor is None or not supervisor.is_active:
            errors["supervisor_id"] = "Choose an active member of staff as supervisor."
        elif user_id is not None and data.supervisor_id == user_id:
            errors["supervisor_id"] = "Nobody can be their own supervisor."
    if Role.PRACTITIONER in data.roles and data.supervisor_id is None:
        errors["supervisor_id"] = "A practitioner needs a supervisor."
    return errors


def create_user(actor: Actor, data: UserCreate) -> UserPublic:
    require(actor, Action.MANAGE_USERS)
    with session_scope() as session:
        errors = check_references(session, data, None)
        if errors:
            raise ValidationFailed(errors)
        user = User.model_validate(data.model_dump(exclude={"roles", "password"}))
        if data.password:
            user.password_hash = hash_password(data.password)
        session.add(user)
        session.flush()
        set_roles(session, id_of(user), data.roles)
        trail.record(session, actor, "created", "user", user.id, f"roles: {', '.join(data.roles)}")
        session.flush()
        return to_public(session, [user])[0]


def _changes(user: User, data: UserUpdate, old_roles: list[Role]) -> list[str]:
    changed = [
        field
        for field in ("full_name", "email", "grade", "staff_id", "team_id", "supervisor_id")
        if getattr(user, field) != getattr(data, field)
    ]
    if set(old_roles) != set(data.roles):
        changed.append("roles")
    return changed


def update_user(actor: Actor, user_id: int, data: UserUpdate) -> UserPublic:
    require(actor, Action.MANAGE_USERS)
    with session_scope() as session:
        user = _load(session, user_id)
        errors = check_references(session, data, user_id)
        if user_id == actor.id and Role.ADMIN not in data.roles:
            errors["roles"] = "You cannot remove your own administrator role."
        if errors:
            raise ValidationFailed(errors)
        old_roles = roles_by_user(session, [user_id]).get(user_id, [])
        changed = _changes(user, data, old_roles)
        if changed:
            for field, value in data.model_dump(exclude={"roles"}).items():
                setattr(user, field, value)
            user.updated_at = utcnow()
            session.add(user)
            set_roles(session, user_id, data.roles)
            trail.record(session, actor, "changed", "user", user_id, "changed: " + ", ".join(changed))
        session.flush()
        return to_public(session, [user])[0]


def set_active(actor: Actor, user_id: int, active: bool) -> UserPublic:
    """Deactivated users keep their history but cannot sign in."""
    require(actor, Action.MANAGE_USERS)
    with session_scope() as session:
        user = _load(session, user_id)
        if user_id == actor.id and not active:
            raise ValidationFailed({"is_active": "You cannot deactivate your own account."})
        if user.is_active != active:
            user.is_active = active
            user.updated_at = utcnow()
            session.add(user)
            trail.record(session, actor, "reactivated" if active else "deactivated", "user", user_id)
            if not active:  # every session of theirs ends at once, in the same transaction
                sessions.end_all_for_user(session, user_id)
        return to_public(session, [user])[0]


def set_password(actor: Actor, user_id: int, password: str) -> None:
    """An administrator sets a new password; this also lifts any lockout."""
    require(actor, Action.MANAGE_USERS)
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed({"password": f"Password must be at least {PASSWORD_MIN} characters."})
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed({"password": f"Password must be {PASSWORD_MAX} characters or fewer."})
    with session_scope() as session:
        user = _load(session, user_id)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.updated_at = utcnow()
        session.add(user)
        trail.record(session, actor, "reset_password", "user", user_id)


def unlock(actor: Actor, user_id: int) -> None:
    require(actor, Action.MANAGE_USERS)
    with session_scope() as session:
        user = _load(session, user_id)
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
        trail.record(session, actor, "unlocked", "user", user_id)
