"""Deactivation keeps a departing person's history; erasure then removes only
what was private to them, in one transaction, with a count-only trail entry."""

import pytest
from sqlmodel import func, select

from db.audits import CaseAudit, FeedbackSheet, HolderReply
from db.engine import session_scope
from db.observations import Observation
from db.organisation import AuditTrail, User
from db.reflection import Debrief, DebriefCreate, DebriefFeeling, EntryKind, EntryShare, JournalEntry, SupportRequest
from db.supervision import SessionParticipant, SupervisionSession
from pages import _registry as screens
from qa.access import auth, trail_view
from qa.access.auth import INACTIVE
from qa.audits import workflow as audit_workflow
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.observations import workflow as observations
from qa.organisation import users
from qa.privacy import erasure
from qa.reflection import debriefs, sharing, support
from qa.supervision import records as supervision
from qa.validation import validate
from tests.factories import PASSWORD
from tests.test_reflection import SECRET, debrief_form, write_note
from tests.test_supervision import record, sent_audit, shared_observation

PAT_EMAIL = "pat@example.org"


def count(model, *where) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def history(org):
    """Pat's working life in the portal: audited cases, an observation, supervision, and a private space."""
    pat = org.actor(org.practitioner_id)
    audit_id = sent_audit(org)
    audit_workflow.reply(pat, audit_id, validate(HolderReply, {"reply": "Thank you, I have made the referral."}))
    obs_id = shared_observation(org)
    session_id = record(org)
    supervision.sign(pat, session_id, "Agreed.")
    note_id = write_note(org)
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    saved = debriefs.record_debrief(
        pat, validate(DebriefCreate, debrief_form(support_from=org.spo_id, urgency="this week"))
    )
    sharing.share(pat, EntryKind.DEBRIEF, saved.id, org.peer_id)
    support.ask(pat, org.peer_id, "today")
    # A colleague's note shared with Pat: Pip's, not Pat's.
    pips_note = write_note(org, author=org.peer_id, secret="Pip's own words")
    pips_share = sharing.share(org.actor(org.peer_id), EntryKind.NOTE, pips_note, org.practitioner_id)
    # Pat's request to talk that Pip received stays Pip's business too: Pip asks Pat.
    support.ask(org.actor(org.peer_id), org.practitioner_id, "this week")
    return {
        "audit_id": audit_id,
        "obs_id": obs_id,
        "session_id": session_id,
        "note_id": note_id,
        "debrief_id": saved.id,
        "pips_note": pips_note,
        "pips_share": pips_share,
    }


def trail_by(user_id: int) -> int:
    return count(AuditTrail, AuditTrail.actor_id == user_id)


# --- deactivation keeps history -------------------------------------------------------


def test_deactivation_keeps_audit_history_with_the_persons_name(org, history):
    admin = org.actor(org.admin_id)
    spo = org.actor(org.spo_id)
    before = trail_by(org.practitioner_id)
    assert before > 0

    users.set_active(admin, org.practitioner_id, False)

    assert trail_by(org.practitioner_id) == before
    audit = audit_workflow.audit_detail(spo, history["audit_id"])
    assert audit.holder_name == "Pat Practitioner"
    assert audit.holder_reply == "Thank you, I have made the referral."
    obs = observations.observation_detail(org.actor(org.spo_b_id), history["obs_id"])
    assert obs.practitioner_name == "Pat Practitioner" and obs.strengths
    sup = supervision.session_record(spo, history["session_id"])
    assert [name for _id, name, _signed, _comments in sup.participants] == ["Pat Practitioner"]
    rows = trail_view.recent_entries(admin, limit=1000)
    assert any(r.actor_name == "Pat Practitioner" for r in rows)
    assert any(r.action == "deactivated" and r.entity_id == str(org.practitioner_id) for r in rows)


def test_a_deactivated_person_cannot_sign_in_or_act(org, history):
    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)
    result = auth.sign_in(PAT_EMAIL, PASSWORD)
    assert not result.ok and result.message == INACTIVE
    assert auth.load_actor(org.practitioner_id) is None, "a session already open ends on the next click"


def test_a_deactivated_sign_in_attempt_through_the_app_is_refused(app, org):
    from tests.conftest import sign_in
    from tests.test_pages import texts

    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)
    at = sign_in(app(), PAT_EMAIL, PASSWORD)
    assert INACTIVE in texts(at)
    assert "Sign out" not in [b.label for b in at.button]


# --- erasure ---------------------------------------------------------------------------


def deactivate_pat(org):
    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)


def test_erasure_removes_only_the_persons_private_entries_and_keeps_everything_else(org, history):
    admin = org.actor(org.admin_id)
    deactivate_pat(org)
    trail_before = trail_by(org.practitioner_id)
    preview = erasure.preview(admin, org.practitioner_id)
    assert (preview.notes, preview.debriefs, preview.shares, preview.requests, preview.shares_to_them_stopped) == (
        1,
        1,
        2,
        2,
        1,
    )

    counts = erasure.erase_private_entries(admin, org.practitioner_id, "  PAT@example.org ")

    assert counts == preview
    pat = org.practitioner_id
    assert count(JournalEntry, JournalEntry.author_id == pat) == 0
    assert count(Debrief, Debrief.author_id == pat) == 0
    assert count(DebriefFeeling) == 0
    assert count(EntryShare, EntryShare.author_id == pat) == 0
    assert count(SupportRequest, SupportRequest.requester_id == pat) == 0
    # Pip's note and Pip's request to Pat are Pip's: kept, and the share with Pat is stopped.
    assert count(JournalEntry, JournalEntry.id == history["pips_note"]) == 1
    assert count(SupportRequest, SupportRequest.recipient_id == pat) == 1
    with session_scope() as session:
        assert session.get(EntryShare, history["pips_share"]).revoked_at is not None
        # The organisation's records stay, still naming Pat.
        assert session.get(User, pat) is not None
        assert session.get(CaseAudit, history["audit_id"]) is not None
        assert session.get(FeedbackSheet, history["audit_id"]).holder_reply == "Thank you, I have made the referral."
        assert session.get(Observation, history["obs_id"]).practitioner_id == pat
        assert session.get(SupervisionSession, history["session_id"]) is not None
        assert session.get(SessionParticipant, (history["session_id"], pat)).comments == "Agreed."
    assert trail_by(pat) == trail_before
    assert audit_workflow.audit_detail(org.actor(org.spo_id), history["audit_id"]).holder_name == "Pat Practitioner"
    from tests.test_dashboard_rollups import recounted, snapshot

    assert snapshot() == recounted(), "the dashboards' pre-counted figures no longer count the erased debrief"


def test_erasure_leaves_one_trail_entry_with_counts_and_no_text(org, history):
    deactivate_pat(org)
    erasure.erase_private_entries(org.actor(org.admin_id), org.practitioner_id, PAT_EMAIL)
    with session_scope() as session:
        entries = session.exec(select(AuditTrail).where(AuditTrail.action == "erased_private_entries")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.entity, entry.entity_id) == (org.admin_id, "user", str(org.practitioner_id))
    assert entry.summary.startswith("1 journal notes, 1 debriefs, 2 shares and 2 requests to talk deleted")
    assert SECRET not in entry.summary and "After the home visit" not in entry.summary


def test_an_active_person_is_not_erased(org, history):
    with pytest.raises(ValidationFailed) as exc:
        erasure.erase_private_entries(org.actor(org.admin_id), org.practitioner_id, PAT_EMAIL)
    assert "Deactivate Pat Practitioner first" in exc.value.field_errors["confirm"]
    assert count(JournalEntry, JournalEntry.author_id == org.practitioner_id) == 1


@pytest.mark.parametrize("typed", ["", "pip@example.org", "pat@example", "Pat Practitioner"])
def test_the_email_must_be_typed_exactly_to_confirm(org, history, typed):
    deactivate_pat(org)
    with pytest.raises(ValidationFailed) as exc:
        erasure.erase_private_entries(org.actor(org.admin_id), org.practitioner_id, typed)
    assert "Nothing has been deleted" in exc.value.field_errors["confirm"]
    assert count(Debrief, Debrief.author_id == org.practitioner_id) == 1


@pytest.mark.parametrize("who", ["qa_lead_id", "spo_id", "peer_id", "outsider_id"])
def test_only_an_administrator_may_erase(org, history, who):
    deactivate_pat(org)
    for call in (
        lambda: erasure.preview(org.actor(getattr(org, who)), org.practitioner_id),
        lambda: erasure.erase_private_entries(org.actor(getattr(org, who)), org.practitioner_id, PAT_EMAIL),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert count(JournalEntry, JournalEntry.author_id == org.practitioner_id) == 1


def test_an_administrator_cannot_erase_their_own_entries_or_a_missing_person(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(PermissionDenied):
        erasure.erase_private_entries(admin, org.admin_id, "admin@example.org")
    with pytest.raises(NotFound):
        erasure.preview(admin, 987654)


def test_erasure_is_one_transaction(org, history, monkeypatch):
    deactivate_pat(org)

    def broken(*_args, **_kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(erasure.trail, "record", broken)
    with pytest.raises(RuntimeError):
        erasure.erase_private_entries(org.actor(org.admin_id), org.practitioner_id, PAT_EMAIL)
    assert count(JournalEntry, JournalEntry.author_id == org.practitioner_id) == 1
    assert count(Debrief, Debrief.author_id == org.practitioner_id) == 1
    assert count(EntryShare, EntryShare.author_id == org.practitioner_id) == 2
    with session_scope() as session:
        assert session.get(EntryShare, history["pips_share"]).revoked_at is None


# --- the Users page --------------------------------------------------------------------


def test_an_administrator_erases_a_departed_persons_entries_on_the_users_page(app, org, history):
    from tests.test_pages import texts
    from tests.test_pages_learn import signed_in

    at = signed_in(app, "admin@example.org", screens.USERS.file)
    at.selectbox(key="edit_user_choice").set_value(org.practitioner_id).run()
    assert "once they are deactivated" in texts(at)
    assert not [b for b in at.button if b.label == "Erase private entries"]

    deactivate_pat(org)
    at.run()
    assert "**1** journal note, **1** debrief, **2** shares of them and **2** requests to talk" in texts(at)
    confirm = next(t for t in at.text_input if t.label == "Their email address, to confirm")
    confirm.input("pat@example.com")
    at.button(key=f"FormSubmitter:erase_{org.practitioner_id}-Erase private entries").click().run()
    assert "Type Pat Practitioner's email address exactly, to confirm. Nothing has been deleted." in texts(at)
    assert count(JournalEntry, JournalEntry.author_id == org.practitioner_id) == 1

    confirm = next(t for t in at.text_input if t.label == "Their email address, to confirm")
    confirm.input("pat@example.org")
    at.button(key=f"FormSubmitter:erase_{org.practitioner_id}-Erase private entries").click().run()
    assert not at.exception
    assert "Erased Pat Practitioner's private entries: 1 journal note and 1 debrief." in texts(at)
    assert "**0** journal notes, **0** debriefs" in texts(at)
    assert count(JournalEntry, JournalEntry.author_id == org.practitioner_id) == 0
