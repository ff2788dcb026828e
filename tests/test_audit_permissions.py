"""Who may see and do what with a case audit, role by role and state by state."""

import pytest

from db.audits import FeedbackSheetUpdate, HolderReply, UrgentConcernCreate
from db.organisation import Grade, Role
from qa.audits import concerns as urgent_concerns
from qa.audits import workflow
from qa.errors import NotFound, PermissionDenied
from qa.validation import validate
from tests.factories import make_user
from tests.test_learn_loop import (
    accepted,
    all_yes,
    first_audit,
    learn,  # noqa: F401  (fixture)
)


def people(org, pair, detail):
    """The cast for one audit, by the part they play in it.

    Called after the pairs are made, so the bystander and the QA lead created
    here are certainly not auditors of this case."""
    qa_lead = make_user("Quincy Overseer", "quincy@example.org", Grade.ACO, [Role.QA_LEAD], team_id=org.team_b_id)
    bystander = make_user(
        "Bo Bystander",
        "bo@example.org",
        Grade.PO,
        [Role.PRACTITIONER],
        team_id=org.team_b_id,
        supervisor_id=org.spo_b_id,
    )
    return {
        "auditor": pair.first_id,
        "case holder": detail.holder_id,
        "holder's SPO": org.spo_id,
        "QA lead of the PDU": qa_lead,
        "admin": org.admin_id,
        "colleague not involved": bystander,
        "practitioner in another PDU": org.outsider_id,
    }


# role -> (view draft, edit draft, view sent, reply, mark discussed)
MATRIX = {
    "auditor": (True, True, True, False, False),
    "case holder": (False, False, True, True, False),
    "holder's SPO": (False, False, True, False, True),
    "QA lead of the PDU": (True, False, True, False, False),
    "admin": (True, False, True, False, False),
    "colleague not involved": (False, False, False, False, False),
    "practitioner in another PDU": (False, False, False, False, False),
}


def attempt(call) -> bool:
    try:
        call()
        return True
    except (NotFound, PermissionDenied):
        return False


@pytest.mark.parametrize("role", list(MATRIX))
def test_audit_permission_matrix(learn, role):  # noqa: F811
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn), not_audited_by=[org.spo_id])
    auditor = org.actor(pair.first_id)
    detail = workflow.audit_detail(auditor, audit_id)
    who = org.actor(people(org, pair, detail)[role])
    view_draft, edit_draft, view_sent, may_reply, may_discuss = MATRIX[role]

    assert attempt(lambda: workflow.audit_detail(who, audit_id)) is view_draft
    assert attempt(lambda: workflow.save_draft(who, audit_id, [], None, None)) is edit_draft

    version = workflow.save_draft(
        auditor, audit_id, all_yes(detail), validate(FeedbackSheetUpdate, {"good_practice": "Good."}), None
    )
    workflow.submit(auditor, audit_id, version)

    assert attempt(lambda: workflow.audit_detail(who, audit_id)) is view_sent
    assert attempt(lambda: workflow.save_draft(who, audit_id, [], None, None)) is False  # nobody edits a sent audit
    assert attempt(lambda: workflow.reply(who, audit_id, validate(HolderReply, {"reply": "My reply"}))) is may_reply
    assert attempt(lambda: workflow.mark_discussed(who, audit_id)) is may_discuss


@pytest.mark.parametrize(
    "role, allowed",
    [("auditor", True), ("QA lead of the PDU", True), ("case holder", False), ("colleague not involved", False)],
)
def test_who_may_raise_an_urgent_concern(learn, role, allowed):  # noqa: F811
    org, _lead, _event = learn
    pair, audit_id = first_audit(accepted(learn), not_audited_by=[org.spo_id])
    detail = workflow.audit_detail(org.actor(pair.first_id), audit_id)
    who = org.actor(people(org, pair, detail)[role])
    assert (
        attempt(
            lambda: urgent_concerns.raise_concern(
                who, audit_id, validate(UrgentConcernCreate, {"description": "Risk to a child"})
            )
        )
        is allowed
    )
