"""The access policy: who may do what. It denies by default.

Every service calls :func:`require` before it reads or writes. Pages may call
:func:`can` to decide what to show, but hiding a page is never the protection:
the service check is.

A rule is a predicate ``(actor, target) -> bool``. An action with no rule, a
missing actor or an unknown target type is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from db.models import Role
from qa.actor import Actor
from qa.errors import PermissionDenied


class Action(StrEnum):
    VIEW_OWN_PROFILE = "view_own_profile"
    CHANGE_OWN_PASSWORD = "change_own_password"
    VIEW_TEAM = "view_team"
    VIEW_PDU = "view_pdu"
    VIEW_DIRECTORY = "view_directory"
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATION = "manage_organisation"
    IMPORT_STAFF = "import_staff"


@dataclass(frozen=True)
class TeamScope:
    team_id: int
    pdu_id: int


@dataclass(frozen=True)
class PduScope:
    pdu_id: int


def _admin(actor: Actor, _target: Any) -> bool:
    return actor.has(Role.ADMIN)


def _anyone_signed_in(_actor: Actor, _target: Any) -> bool:
    return True


def _team_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, TeamScope):
        return False
    if actor.has(Role.ADMIN):
        return True
    if actor.team_id == target.team_id:
        return True
    return actor.has(Role.QA_LEAD) and actor.pdu_id == target.pdu_id


def _pdu_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, PduScope):
        return False
    if actor.has(Role.ADMIN):
        return True
    return actor.has(Role.QA_LEAD) and actor.pdu_id == target.pdu_id


RULES: dict[Action, Callable[[Actor, Any], bool]] = {
    Action.VIEW_OWN_PROFILE: _anyone_signed_in,
    Action.CHANGE_OWN_PASSWORD: _anyone_signed_in,
    Action.VIEW_TEAM: _team_viewer,
    Action.VIEW_PDU: _pdu_viewer,
    Action.VIEW_DIRECTORY: _admin,
    Action.MANAGE_USERS: _admin,
    Action.MANAGE_ORGANISATION: _admin,
    Action.IMPORT_STAFF: _admin,
}


def can(actor: Actor | None, action: Action, target: Any = None) -> bool:
    if actor is None or not isinstance(actor, Actor):
        return False
    rule = RULES.get(action)
    if rule is None:
        return False
    return bool(rule(actor, target))


def require(actor: Actor | None, action: Action, target: Any = None) -> Actor:
    if not can(actor, action, target):
        raise PermissionDenied()
    return actor  # type: ignore[return-value]
