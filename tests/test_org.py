"""Regions contain PDUs, and PDUs contain teams."""

import pytest

from db.organisation import PduCreate, RegionCreate, TeamCreate, TeamUpdate
from qa.errors import PermissionDenied, ValidationFailed
from qa.organisation import org as organisation
from qa.validation import validate


def test_an_admin_builds_the_organisation(org):
    admin = org.actor(org.admin_id)
    region = organisation.create_region(admin, validate(RegionCreate, {"name": "Second Region"}))
    pdu = organisation.create_pdu(admin, validate(PduCreate, {"name": "West PDU", "region_id": region.id}))
    organisation.create_team(admin, validate(TeamCreate, {"name": "Courts Team", "pdu_id": pdu.id}))
    teams = {t.name: t for t in organisation.list_teams(admin)}
    assert teams["Courts Team"].pdu_name == "West PDU"
    assert teams["Courts Team"].region_name == "Second Region"
    assert teams["Team A"].active_members == 4


def test_team_names_are_unique_within_a_pdu_but_may_repeat_across_pdus(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        organisation.create_team(admin, validate(TeamCreate, {"name": "team a", "pdu_id": org.north_pdu_id}))
    assert exc.value.field_errors["name"] == "This PDU already has a team with this name."
    organisation.create_team(admin, validate(TeamCreate, {"name": "Team A", "pdu_id": org.south_pdu_id}))


def test_renaming_and_moving_a_team(org):
    admin = org.actor(org.admin_id)
    organisation.update_team(
        admin, org.team_b_id, validate(TeamUpdate, {"name": "Team Bravo", "pdu_id": org.south_pdu_id})
    )
    moved = {t.id: t for t in organisation.list_teams(admin)}[org.team_b_id]
    assert moved.name == "Team Bravo" and moved.pdu_name == "South PDU"


def test_pdu_names_are_unique_and_checked_in_plain_english(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        organisation.create_pdu(admin, validate(PduCreate, {"name": "north pdu", "region_id": org.region_id}))
    assert exc.value.field_errors["name"] == "A PDU with this name already exists."
    with pytest.raises(ValidationFailed) as exc:
        organisation.create_pdu(admin, validate(PduCreate, {"name": "", "region_id": 999}))
    assert exc.value.field_errors["name"] == "Enter name."


def test_counts_for_the_admin_home(org):
    counts = organisation.organisation_counts(org.actor(org.admin_id))
    assert (counts.regions, counts.pdus, counts.teams, counts.active_users) == (1, 2, 3, 7)


@pytest.mark.parametrize("who", ["practitioner_id", "spo_id", "qa_lead_id"])
def test_only_admins_manage_the_organisation(org, who):
    someone = org.actor(getattr(org, who))
    with pytest.raises(PermissionDenied):
        organisation.create_team(someone, validate(TeamCreate, {"name": "Rogue Team", "pdu_id": org.north_pdu_id}))
    with pytest.raises(PermissionDenied):
        organisation.list_teams(someone)
