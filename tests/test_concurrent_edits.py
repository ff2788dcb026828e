"""No lost updates: when two people edit the same audit, feedback sheet or
supervision record, the later stale save is refused, plainly, and the
person's typed text stays in the form so they can re-apply it.

The service tests show the version check is a compare-and-set in the database,
not only a comparison in Python. The AppTest tests run two real portal
sessions side by side, signed in as two different people (or as one person in
two tabs), both editing the same record.
"""

from datetime import date

import pytest
from sqlmodel import select

from db.audits import AnswerInput, AuditEventCreate, CaseAudit, FeedbackSheet, FeedbackSheetUpdate
from db.engine import session_scope
from db.organisation import User
from db.supervision import SessionParticipant, SessionRecordUpdate, SessionVersion, SupervisionSession
from pages import _registry as screens
from qa import optimistic
from qa.audits import events as audit_events
from qa.audits import workflow
from qa.errors import StaleEdit, ValidationFailed
from qa.supervision import records as supervision
from qa.validation import validate
from tests.factories import case_pool
from tests.test_learn_loop import EVENT_DAY, all_yes
from tests.test_observations import plan
from tests.test_pages import texts
from tests.test_pages_learn import signed_in
from tests.test_supervision import record

STALE = "Someone else saved this"
KEEP = "Your text is still below: copy what you need, reload the latest version, then re-apply your changes."


@pytest.fixture
def draft(org):
    """A draft audit and its pair of auditors."""
    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    audit_events.accept_sample(lead, event.id)
    pair = next(p for p in audit_events.pairs_view(lead, event.id).pairs if p.cases)
    return pair, pair.cases[0].audit_id


def email_of(user_id: int) -> str:
    with session_scope() as session:
        return session.get(User, user_id).email


# --- services ---------------------------------------------------------------------------


def test_stale_edit_is_shared_by_every_service():
    from qa.observations import workflow as observations

    assert workflow.StaleEdit is StaleEdit
    assert issubclass(observations.StaleObservation, StaleEdit)
    assert "Your text is still below" in str(StaleEdit())


def test_the_version_check_is_a_compare_and_set_in_the_database(org, draft):
    """This transaction read version 1; another save commits version 2 before this one writes.
    The in-Python comparison cannot see that; the UPDATE ... WHERE version = 1 matches no row."""
    _pair, audit_id = draft
    with pytest.raises(StaleEdit):
        with session_scope() as session:
            mine = session.get(CaseAudit, audit_id)
            assert mine.version == 1
            with session_scope() as other:
                assert optimistic.claim(other, other.get(CaseAudit, audit_id), 1) == 2
            optimistic.claim(session, mine, None)
    with session_scope() as session:
        assert session.get(CaseAudit, audit_id).version == 2


def test_two_auditors_saving_from_the_same_version_the_second_is_refused_and_nothing_of_it_is_kept(org, draft):
    pair, audit_id = draft
    first, second = org.actor(pair.first_id), org.actor(pair.second_id)
    opened = workflow.audit_detail(first, audit_id).version
    assert workflow.audit_detail(second, audit_id).version == opened
    detail = workflow.audit_detail(first, audit_id)
    workflow.save_draft(
        first,
        audit_id,
        all_yes(detail),
        validate(FeedbackSheetUpdate, {"good_practice": "First auditor's words"}),
        opened,
    )
    with pytest.raises(StaleEdit) as refused:
        workflow.save_draft(
            second,
            audit_id,
            [AnswerInput(question_key=all_yes(detail)[0].question_key, answer="no", evidence="Second's evidence")],
            validate(FeedbackSheetUpdate, {"good_practice": "Second auditor's words"}),
            opened,
        )
    assert "Someone else saved this audit" in str(refused.value)
    now = workflow.audit_detail(first, audit_id)
    assert now.good_practice == "First auditor's words"
    assert now.answers[all_yes(detail)[0].question_key] == ("yes", "Seen in the case record.")
    assert now.version == opened + 1
    with pytest.raises(StaleEdit):
        workflow.submit(second, audit_id, opened)  # submitting from the old version is refused too


def test_two_supervision_amendments_from_the_same_version_the_second_is_refused(org):
    session_id = record(org)
    spo = org.actor(org.spo_id)
    opened = supervision.session_record(spo, session_id).version
    supervision.amend(
        spo,
        session_id,
        validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "First tab's notes."}),
        expected_version=opened,
    )
    with pytest.raises(StaleEdit) as refused:
        supervision.amend(
            spo,
            session_id,
            validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "Second tab's notes."}),
            expected_version=opened,
        )
    assert KEEP in str(refused.value)
    now = supervision.session_record(spo, session_id)
    assert now.notes == "First tab's notes." and now.version == opened + 1
    with session_scope() as session:
        kept = session.exec(select(SessionVersion.version).where(SessionVersion.session_id == session_id)).all()
    assert kept == [opened]  # only one old version: the refused save wrote nothing


def test_a_confirmation_of_a_version_since_changed_is_refused_and_not_recorded(org):
    session_id = record(org)
    pat, spo = org.actor(org.practitioner_id), org.actor(org.spo_id)
    read = supervision.session_record(pat, session_id).version
    supervision.amend(
        spo,
        session_id,
        validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "Changed while Pat was reading."}),
        expected_version=read,
    )
    with pytest.raises(StaleEdit) as refused:
        supervision.sign(pat, session_id, "Fair, thanks.", expected_version=read)
    assert "your confirmation has not been recorded" in str(refused.value)
    with session_scope() as session:
        row = session.get(SessionParticipant, (session_id, org.practitioner_id))
        assert row.signed_at is None and row.comments is None
    assert supervision.sign(pat, session_id, "Fair, thanks.", expected_version=read + 1) == "signed by both"


def test_a_supervision_amendment_without_a_version_still_cannot_overwrite_a_save_in_between(org):
    """Callers that pass no version get the version read in their own transaction, checked by compare-and-set."""
    session_id = record(org)
    spo = org.actor(org.spo_id)
    assert (
        supervision.amend(spo, session_id, validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "One."}))
        == 2
    )
    assert (
        supervision.amend(spo, session_id, validate(SessionRecordUpdate, {"held_on": date.today(), "notes": "Two."}))
        == 3
    )


def test_over_long_comments_are_refused_before_anything_else(org):
    session_id = record(org)
    with pytest.raises(ValidationFailed):
        supervision.sign(org.actor(org.practitioner_id), session_id, "x" * 4001, expected_version=99)


# --- two portal sessions: the audit and its feedback sheet ----------------------------------


def test_two_auditors_in_two_sessions_the_later_save_is_refused_and_its_text_kept(app, org, draft):
    pair, audit_id = draft
    first = signed_in(app, email_of(pair.first_id), screens.AUDIT_CASE.file, audit=audit_id)
    second = signed_in(app, email_of(pair.second_id), screens.AUDIT_CASE.file, audit=audit_id)
    good, evidence = f"s_good_{audit_id}", first.text_area[0].key
    save = f"FormSubmitter:audit_form_{audit_id}-Save draft"

    first.text_area(key=good).input("Risk plan reviewed after the arrest.")
    second.text_area(key=good).input("Thorough MAPPA referral, well evidenced.")
    second.text_area(key=evidence).input("Second auditor's evidence.")
    first.button(key=save).click().run()
    assert "Draft saved." in texts(first)

    second.button(key=save).click().run()
    assert not second.exception
    shown = texts(second)
    assert "Someone else saved this audit while you were editing, so your changes have not been saved." in shown
    assert KEEP in shown
    # The typed text is still in the form, and listed to copy.
    assert second.text_area(key=good).value == "Thorough MAPPA referral, well evidenced."
    assert second.text_area(key=evidence).value == "Second auditor's evidence."
    copies = [c.value for c in second.code]
    assert "Thorough MAPPA referral, well evidenced." in copies and "Second auditor's evidence." in copies
    with session_scope() as session:
        assert session.get(FeedbackSheet, audit_id).good_practice == "Risk plan reviewed after the arrest."

    # Saving again from the same old version is still refused: nothing is overwritten by accident.
    second.button(key=save).click().run()
    assert STALE in texts(second)

    # Loading the latest version shows the first auditor's words; the second's stay on screen to copy.
    second.button(key=f"reload:audit:{audit_id}").click().run()
    assert second.text_area(key=good).value == "Risk plan reviewed after the arrest."
    assert "Thorough MAPPA referral, well evidenced." in [c.value for c in second.code]
    assert "The form now shows the latest saved version." in texts(second)

    # Re-applying and saving now works.
    second.text_area(key=good).input("Risk plan reviewed after the arrest. Thorough MAPPA referral, well evidenced.")
    second.button(key=save).click().run()
    assert "Draft saved." in texts(second)
    assert not second.code  # the unsaved text is gone once saved
    with session_scope() as session:
        assert (
            session.get(FeedbackSheet, audit_id).good_practice
            == "Risk plan reviewed after the arrest. Thorough MAPPA referral, well evidenced."
        )


def test_an_auditor_who_saves_twice_is_not_refused_by_their_own_save(app, org, draft):
    pair, audit_id = draft
    at = signed_in(app, email_of(pair.first_id), screens.AUDIT_CASE.file, audit=audit_id)
    save = f"FormSubmitter:audit_form_{audit_id}-Save draft"
    for words in ("First draft.", "Second draft.", "Third draft."):
        at.text_area(key=f"s_good_{audit_id}").input(words)
        at.button(key=save).click().run()
        assert "Draft saved." in texts(at), words


def test_leaving_and_reopening_the_audit_starts_from_the_latest_version(app, org, draft):
    pair, audit_id = draft
    first = signed_in(app, email_of(pair.first_id), screens.AUDIT_CASE.file, audit=audit_id)
    first.switch_page(screens.AUDITS_MINE.file).run()
    detail = workflow.audit_detail(org.actor(pair.second_id), audit_id)
    workflow.save_draft(
        org.actor(pair.second_id),
        audit_id,
        [],
        validate(FeedbackSheetUpdate, {"good_practice": "Saved while away."}),
        detail.version,
    )
    first.switch_page(screens.AUDIT_CASE.file)
    first.query_params["audit"] = str(audit_id)
    first.run()
    assert first.text_area(key=f"s_good_{audit_id}").value == "Saved while away."
    first.text_area(key=f"s_good_{audit_id}").input("Saved while away. Added on return.")
    first.button(key=f"FormSubmitter:audit_form_{audit_id}-Save draft").click().run()
    assert "Draft saved." in texts(first)


# --- two portal sessions: the supervision record -----------------------------------------


def test_spo_amends_while_the_practitioner_is_confirming_the_confirmation_is_refused_and_comments_kept(app, org):
    session_id = record(org)
    pat = signed_in(app, "pat@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    spo = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)

    pat.text_area(key=f"sign_comments_{session_id}").input("Fair record. I would add that I asked for a co-worker.")
    spo.text_area(key=f"amend_notes_{session_id}").input("Talked through the MAPPA referral; level 1, not 2.")
    spo.button(key=f"FormSubmitter:amend_{session_id}-Save as a new version").click().run()
    assert "Saved as a new version." in texts(spo)

    pat.button(key=f"FormSubmitter:sign_{session_id}-I confirm this is a fair record").click().run()
    assert not pat.exception
    shown = texts(pat)
    assert "This record was changed after you opened it, so your confirmation has not been recorded." in shown
    assert (
        pat.text_area(key=f"sign_comments_{session_id}").value
        == "Fair record. I would add that I asked for a co-worker."
    )
    assert "Talked through the MAPPA referral; level 1, not 2." in [
        t.value for t in pat.text
    ]  # the new version is on screen
    with session_scope() as session:
        assert session.get(SessionParticipant, (session_id, org.practitioner_id)).signed_at is None

    # Having read the new version, Pat loads it and confirms with the same words.
    pat.button(key=f"reload:sign:{session_id}").click().run()
    pat.text_area(key=f"sign_comments_{session_id}").input("Fair record. I would add that I asked for a co-worker.")
    pat.button(key=f"FormSubmitter:sign_{session_id}-I confirm this is a fair record").click().run()
    assert "Your confirmation is recorded." in texts(pat)
    with session_scope() as session:
        assert (
            session.get(SessionParticipant, (session_id, org.practitioner_id)).comments
            == "Fair record. I would add that I asked for a co-worker."
        )


def test_the_same_spo_in_two_tabs_the_later_amendment_is_refused_and_its_text_kept(app, org):
    session_id = record(org)
    tab1 = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    tab2 = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    notes, personal = f"amend_notes_{session_id}", f"amend_personal_{session_id}"
    save = f"FormSubmitter:amend_{session_id}-Save as a new version"

    tab1.text_area(key=notes).input("Tab one: MAPPA level 1.")
    tab2.text_area(key=notes).input("Tab two: MAPPA level 2, with the police.")
    tab2.text_area(key=personal).input("Tab two: asked about leave.")
    tab1.button(key=save).click().run()
    tab2.button(key=save).click().run()

    shown = texts(tab2)
    assert "Someone else saved this record while you were editing, so your changes have not been saved." in shown
    assert KEEP in shown
    assert tab2.text_area(key=notes).value == "Tab two: MAPPA level 2, with the police."
    assert tab2.text_area(key=personal).value == "Tab two: asked about leave."
    assert {"Tab two: MAPPA level 2, with the police.", "Tab two: asked about leave."} <= {c.value for c in tab2.code}
    with session_scope() as session:
        record_row = session.get(SupervisionSession, session_id)
        assert record_row.notes == "Tab one: MAPPA level 1." and record_row.version == 2

    tab2.button(key=f"reload:amend:{session_id}").click().run()
    assert tab2.text_area(key=notes).value == "Tab one: MAPPA level 1."
    tab2.text_area(key=notes).input("Tab one: MAPPA level 1. Tab two: with the police.")
    tab2.button(key=save).click().run()
    assert "Saved as a new version." in texts(tab2)
    assert supervision.session_record(org.actor(org.spo_id), session_id).version == 3


# --- two portal sessions: the observation record ------------------------------------------


def test_an_observation_saved_in_another_tab_refuses_the_stale_save_and_keeps_its_text(app, org):
    obs_id = plan(org)
    tab1 = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    tab2 = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    for at in (tab1, tab2):
        at.checkbox(key=f"consent_{obs_id}").check()
    tab1.text_area(key=f"strengths_{obs_id}").input("Warm and clear.")
    tab2.text_area(key=f"strengths_{obs_id}").input("Used open questions well.")
    tab1.button(key=f"FormSubmitter:record_{obs_id}-Save").click().run()
    assert "Saved." in texts(tab1)
    tab2.button(key=f"FormSubmitter:record_{obs_id}-Save").click().run()
    assert "Someone else saved this observation while you were editing" in texts(tab2)
    assert tab2.text_area(key=f"strengths_{obs_id}").value == "Used open questions well."
    assert "Used open questions well." in [c.value for c in tab2.code]
