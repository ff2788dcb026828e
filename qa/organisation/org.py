"""Regions, PDUs and teams: the organisation model."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import func, select

from db.engine import session_scope
from db.organisation import Pdu, PduCreate, Region, RegionCreate, Team, TeamCreate, User
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import NotFound, ValidationFailed
from qa.validation import validate


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
        team_counts = dict(session.exec(select(Team.pdu_id, func.count()).group_by(Team.pdu_id)).all())
        rows = session.exec(select(Pdu, Region).join(Region).order_by(Region.name, Pdu.name))
        return [PduRow(p.id, p.name, r.id, r.name, team_counts.get(p.id, 0)) for p, r in rows]


def list_teams(actor: Actor) -> list[TeamRow]:
    """Every team (admins use this to build pick lists)."""
    require(actor, Action.MANAGE_ORGANISATION)
    with session_scope() as session:
        counts = dict(
            session.exec(select(User.team_id, func.count()).where(User.is_active).group_by(User.team_id)).all()
        )
        rows = session.exec(
            select(Team, Pdu, Region).join(Pdu, Team.pdu_id == Pdu.id).join(Region).order_by(Pdu.name, Team.name)
        )
        return [TeamRow(t.id, t.name, p.id, p.name, r.name, counts.get(t.id, 0)) for t, p, r in rows]


def create_region(actor: Actor, form: dict) -> Region:
    require(actor, Action.MANAGE_ORGANISATION)
    data = validate(RegionCreate, form)
    with session_scope() as session:
        if session.exec(select(Region).where(func.lower(Region.name) == data.name.lower())).first():
            raise ValidationFailed({"name": "A region with this name already exists."})
        region = Region.model_validate(data)
        session.add(region)
        session.flush()
        trail.record(session, actor, "created", "region", region.id, region.name)
        return region


def _check_pdu(session, data: PduCreate, pdu_id: int | None) -> None:
    errors = {}
    if session.get(Region, data.region_id) is None:
        errors["region_id"] = "Choose a region that exists."
    clash = session.exec(select(Pdu).where(func.lower(Pdu.name) == data.name.lower())).first()
    if clash is not None and clash.id != pdu_id:
        errors["name"] = "A PDU with this name already exists."
    if errors:
        raise ValidationFailed(errors)


def create_pdu(actor: Actor, form: dict) -> Pdu:
    require(actor, Action.MANAGE_ORGANISATION)
    data = validate(PduCreate, form)
    with session_scope() as session:
        _check_pdu(session, data, None)
        pdu = Pdu.model_validate(data)
        session.add(pdu)
        session.flush()
        trail.record(session, actor, "created", "pdu", pdu.id, pdu.name)
        return pdu


def update_pdu(actor: Actor, pdu_id: int, form: dict) -> Pdu:
    require(actor, Action.MANAGE_ORGANISATION)
    data = validate(PduCreate, form)
    with session_scope() as session:
        pdu = session.get(Pdu, pdu_id)
        if pdu is None:
            raise NotFound("That PDU could not be found.")
        _check_pdu(session, data, pdu_id)
        changed = [f for f in ("name", "region_id") if getattr(pdu, f) != getattr(data, f)]
        if changed:
            pdu.name, pdu.region_id = data.name, data.region_id
            session.add(pdu)
            trail.record(session, actor, "changed", "pdu", pdu_id, "changed: " + ", ".join(changed))
        return pdu


def _check_team(session, data: TeamCreate, team_id: int | None) -> None:
    errors = {}
    if session.get(Pdu, data.pdu_id) is None:
        errors["pdu_id"] = "Choose a PDU that exists."
    clash = session.exec(
        select(Team).where(Team.pdu_id == data.pdu_id, func.lower(Team.name) == data.name.lower())
    ).first()
    if clash is not None and clash.id != team_id:
        errors["name"] = "This PDU already has a team with this name."
    if errors:
        raise ValidationFailed(errors)


def create_team(actor: Actor, form: dict) -> Team:
    require(actor, Action.MANAGE_ORGANISATION)
    data = validate(TeamCreate, form)
    with session_scope() as session:
        _check_team(session, data, None)
        team = Team.model_validate(data)
        session.add(team)
        session.flush()
        trail.record(session, actor, "created", "team", team.id, team.name)
        return team


def update_team(actor: Actor, team_id: int, form: dict) -> Team:
    require(actor, Action.MANAGE_ORGANISATION)
    data = validate(TeamCreate, form)
    with session_scope() as session:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFound("That team could not be found.")
        _check_team(session, data, team_id)
        changed = [f for f in ("name", "pdu_id") if getattr(team, f) != getattr(data, f)]
        if changed:
            team.name, team.pdu_id = data.name, data.pdu_id
            session.add(team)
            trail.record(session, actor, "changed", "team", team_id, "changed: " + ", ".join(changed))
        return team


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

        def count(model, *where):
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return OrganisationCounts(
            regions=count(Region),
            pdus=count(Pdu),
            teams=count(Team),
            active_users=count(User, User.is_active),
            deactivated_users=count(User, ~User.is_active),
        )
