"""The access policy denies by default, and services enforce it."""

import pytest

from db.organisation import Grade, Role, UserCreate
from qa.access.actor import Actor
from qa.access.policy import RULES, Action, PduScope, TeamScope, can, require
from qa.errors import PermissionDenied
from qa.organisation import users


def actor(*roles, team_id=1, pdu_id=1, id=1):
    return Actor(
        id=id,
        full_name="X",
        email="x@example.org",
        grade=Grade.PO,
        roles=frozenset(roles),
        team_id=team_id,
        pdu_id=pdu_id,
    )


def test_every_action_has_an_explicit_rule():
    assert set(RULES) == set(Action)


def test_nobody_signed_in_may_do_nothing():
    for action in Action:
        assert not can(None, action)


def test_an_unknown_action_is_refused():
    assert not can(actor(Role.ADMIN), "launch_missiles")


def test_a_user_without_roles_cannot_manage_anything():
    nobody = actor()
    for action in (Action.MANAGE_USERS, Action.MANAGE_ORGANISATION, Action.IMPORT_STAFF, Action.VIEW_DIRECTORY):
        assert not can(nobody, action)


@pytest.mark.parametrize(
    "role, allowed",
    [(Role.PRACTITIONER, False), (Role.SPO, False), (Role.QA_LEAD, False), (Role.ADMIN, True)],
)
@pytest.mark.parametrize(
    "action", [Action.MANAGE_USERS, Action.MANAGE_ORGANISATION, Action.IMPORT_STAFF, Action.VIEW_DIRECTORY]
)
def test_admin_only_actions(role, allowed, action):
    assert can(actor(role), action) is allowed


def test_team_view_is_for_members_qa_leads_of_the_pdu_and_admins():
    team = TeamScope(team_id=1, pdu_id=1)
    other_team = TeamScope(team_id=2, pdu_id=1)
    other_pdu_team = TeamScope(team_id=3, pdu_id=2)
    assert can(actor(Role.PRACTITIONER), Action.VIEW_TEAM, team)
    assert not can(actor(Role.PRACTITIONER), Action.VIEW_TEAM, other_team)
    assert not can(actor(Role.SPO), Action.VIEW_TEAM, other_team)
    assert can(actor(Role.QA_LEAD), Action.VIEW_TEAM, other_team)
    assert not can(actor(Role.QA_LEAD), Action.VIEW_TEAM, other_pdu_team)
    assert can(actor(Role.ADMIN, team_id=None, pdu_id=None), Action.VIEW_TEAM, other_pdu_team)


def test_scoped_rules_refuse_a_missing_or_wrong_target():
    assert not can(actor(Role.QA_LEAD), Action.VIEW_TEAM, None)
    assert not can(actor(Role.QA_LEAD), Action.VIEW_PDU, TeamScope(1, 1))
    assert can(actor(Role.QA_LEAD), Action.VIEW_PDU, PduScope(1))
    assert not can(actor(Role.QA_LEAD), Action.VIEW_PDU, PduScope(2))


def test_require_raises_permission_denied():
    with pytest.raises(PermissionDenied):
        require(actor(Role.PRACTITIONER), Action.MANAGE_USERS)


def test_an_admin_only_service_refuses_a_practitioner(org):
    practitioner = org.actor(org.practitioner_id)
    with pytest.raises(PermissionDenied):
        users.create_user(
            practitioner,
            UserCreate(full_name="New Person", email="new@example.org", grade=Grade.PO, roles=[Role.ADMIN]),
        )
    with pytest.raises(PermissionDenied):
        users.list_users(practitioner)
    with pytest.raises(PermissionDenied):
        users.set_active(practitioner, org.peer_id, False)


@pytest.mark.parametrize("action", [Action.MANAGE_AUDIT_EVENTS, Action.VIEW_ROTA, Action.MODERATE, Action.VIEW_PDU])
def test_a_qa_lead_in_no_pdu_oversees_nothing_not_even_records_in_no_pdu(action):
    """None is 'no PDU', not a PDU: it must never match another None."""
    lead = actor(Role.QA_LEAD, team_id=None, pdu_id=None)
    assert not can(lead, action, PduScope(pdu_id=None))
    assert can(actor(Role.QA_LEAD, pdu_id=3), action, PduScope(pdu_id=3))


def test_people_in_no_team_are_not_each_others_team():
    loner = actor(Role.PRACTITIONER, team_id=None, pdu_id=None)
    assert not can(loner, Action.VIEW_TEAM, TeamScope(team_id=None, pdu_id=None))
