"""Regions, PDUs and teams: the organisation model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import SQLColumnExpression
from sqlmodel import Session, SQLModel, col, func, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import (
    Pdu,
    PduBase,
    PduCreate,
    PduUpdate,
    Region,
    RegionCreate,
    Team,
    TeamBase,
    TeamCreate,
    TeamUpdate,
    User,
)
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    pdu_id: int
    pdu_name: str
    region_name: str
    active_members: int


@dataclass(frozen=True)
class PduRow:
    id: int
    name: str
    region_id: int
    region_name: str
    teams: int


def list_regions(actor: Actor) -> list[Region]:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        return list(session.exec(select(Region).order_by(Region.name)))


def list_pdus(actor: Actor) -> list[PduRow]:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        team_counts = dict(session.exec(select(col(Team.pdu_id), func.count()).group_by(col(Team.pdu_id))).all())
        rows = session.exec(select(Pdu, Region).join(Region).order_by(Region.name, Pdu.name))
        return [PduRow(id_of(p), p.name, id_of(r), r.name, team_counts.get(id_of(p), 0)) for p, r in rows]


def list_teams(actor: Actor) -> list[TeamRow]:
    """Every team (admins use this to build pick lists)."""
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        counts = dict(
            session.exec(
                select(col(User.team_id), func.count()).where(col(User.is_active)).group_by(col(User.team_id))
            ).all()
        )
        rows = session.exec(
            select(Team, Pdu, Region)
            .join(Pdu, col(Team.pdu_id) == col(Pdu.id))
            .join(Region)
            .order_by(col(Pdu.name), col(Team.name))
        )
        return [TeamRow(id_of(t), t.name, id_of(p), p.name, r.name, counts.get(id_of(t), 0)) for t, p, r in rows]


def create_region(actor: Actor, data: RegionCreate) -> Region:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        if session.exec(select(Region).where(func.lower(Region.name) == data.name.lower())).first():
            raise ValidationFailed({"name": "A region with this name already exists."})
        region = Region.model_validate(data)
        session.add(region)
        session.flush()
        trail.record(session, actor, "created", "region", region.id, region.name)
        return region


R = TypeVar("R", Pdu, Team)


@dataclass(frozen=True)
class _Level(Generic[R]):
    """What differs between a PDU and a team: each belongs to a parent and has a name; the words differ."""

    table: type[R]
    entity: str  # as the trail names it
    parent_field: str
    parent_table: type[Region] | type[Pdu]
    no_parent: str
    not_found: str
    name_taken: str
    # PDU names are unique in the whole portal; team names only within their PDU.
    unique_within_parent: bool


_PDU: _Level[Pdu] = _Level(
    table=Pdu,
    entity="pdu",
    parent_field="region_id",
    parent_table=Region,
    no_parent="Choose a region that exists.",
    not_found="That PDU could not be found.",
    name_taken="A PDU with this name already exists.",
    unique_within_parent=False,
)
_TEAM: _Level[Team] = _Level(
    table=Team,
    entity="team",
    parent_field="pdu_id",
    parent_table=Pdu,
    no_parent="Choose a PDU that exists.",
    not_found="That team could not be found.",
    name_taken="This PDU already has a team with this name.",
    unique_within_parent=True,
)


def _check(session: Session, level: _Level[R], data: PduBase | TeamBase, record_id: int | None) -> None:
    errors = {}
    parent_id = getattr(data, level.parent_field)
    if session.get(level.parent_table, parent_id) is None:
        errors[level.parent_field] = level.no_parent
    same_name = [func.lower(level.table.name) == data.name.lower()]
    if level.unique_within_parent:
        same_name.append(getattr(level.table, level.parent_field) == parent_id)
    clash = session.exec(select(level.table).where(*same_name)).first()
    if clash is not None and clash.id != record_id:
        errors["name"] = level.name_taken
    if errors:
        raise ValidationFailed(errors)


def _create(actor: Actor, level: _Level[R], data: PduCreate | TeamCreate) -> R:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        _check(session, level, data, None)
        record = level.table.model_validate(data)
        session.add(record)
        session.flush()
        trail.record(session, actor, "created", level.entity, record.id, record.name)
        return record


def _update(actor: Actor, level: _Level[R], record_id: int, data: PduUpdate | TeamUpdate) -> R:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        record = session.get(level.table, record_id)
        if record is None:
            raise NotFound(level.not_found)
        _check(session, level, data, record_id)
        fields = ("name", level.parent_field)
        changed = [f for f in fields if getattr(record, f) != getattr(data, f)]
        if changed:
            for f in fields:
                setattr(record, f, getattr(data, f))
            session.add(record)
            trail.record(session, actor, "changed", level.entity, record_id, "changed: " + ", ".join(changed))
        return record


def create_pdu(actor: Actor, data: PduCreate) -> Pdu:
    return _create(actor, _PDU, data)


def update_pdu(actor: Actor, pdu_id: int, data: PduUpdate) -> Pdu:
    return _update(actor, _PDU, pdu_id, data)


def create_team(actor: Actor, data: TeamCreate) -> Team:
    return _create(actor, _TEAM, data)


def update_team(actor: Actor, team_id: int, data: TeamUpdate) -> Team:
    return _update(actor, _TEAM, team_id, data)


@dataclass(frozen=True)
class OrganisationCounts:
    regions: int
    pdus: int
    teams: int
    active_users: int
    deactivated_users: int


def organisation_counts(actor: Actor) -> OrganisationCounts:
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:

        def count(model: type[SQLModel], *where: SQLColumnExpression[bool] | bool) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return OrganisationCounts(
            regions=count(Region),
            pdus=count(Pdu),
            teams=count(Team),
            active_users=count(User, col(User.is_active)),
            deactivated_users=count(User, ~col(User.is_active)),
        )
