"""The supervision screens through AppTest."""

from db.reflection import EntryKind
from pages import _registry as screens
from qa.audits import workflow
from qa.reflection import sharing
from qa.supervision import agenda
from qa.supervision import records as supervision
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in
from tests.test_reflection import write_note
from tests.test_supervision import record, sent_audit


def test_the_spo_sees_the_agenda_records_a_session_and_marks_items_discussed(app, org):
    audit_id = sent_audit(org)
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    at = signed_in(app, "spo@example.org", screens.SUPERVISION_TEAM.file)
    assert titles(at) == ["Supervision"]
    shown = texts(at)
    assert "Audit feedback on case" in shown and "Shared reflection: After the home visit" in shown
    for box in at.checkbox:
        if box.key and box.key.startswith("disc_"):
            box.check()
    at.button(key="FormSubmitter:record_session-Save and sign the record").click().run()
    assert not at.exception
    assert titles(at)[0].startswith("Supervision on")
    assert workflow.audit_detail(org.actor(org.spo_id), audit_id).status in (
        "discussed in supervision",
        "actions closed",
    )
    remaining = {i.kind for i in agenda.agenda(org.actor(org.spo_id), org.practitioner_id)}
    assert "audit feedback" not in remaining and "shared reflection" not in remaining


def test_the_practitioner_confirms_the_record_with_a_comment(app, org):
    session_id = record(org)
    at = signed_in(app, "pat@example.org", screens.MY_SUPERVISION.file)
    assert "1 supervision record waiting for you to confirm." in texts(at)
    at = signed_in(app, "pat@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    at.text_area[0].input("Agreed, and thanks.")
    at.button(key=f"FormSubmitter:sign_{session_id}-I confirm this is a fair record").click().run()
    assert "Your confirmation is recorded." in texts(at)
    assert supervision.session_record(org.actor(org.spo_id), session_id).status == "signed by both"


def test_a_peer_cannot_open_someone_elses_record(app, org):
    session_id = record(org)
    at = signed_in(app, "pip@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert "That supervision record could not be found." in texts(at)


def test_the_qa_lead_sees_cadence_by_team(app, org):
    record(org)
    at = signed_in(app, "qa@example.org", screens.SUPERVISION_CADENCE.file)
    assert not at.exception
    assert list(at.dataframe[0].value["Team"]) == ["Team A"]


def test_admin_sets_the_cadence_for_a_grade(app, org):
    from qa.supervision import cadence

    at = signed_in(app, "admin@example.org", screens.SETTINGS.file)
    at.selectbox[-1].set_value("PO").run()
    inputs = [n for n in at.number_input if n.form_id == "cadence"]
    inputs[0].set_value(3)
    inputs[1].set_value(5)
    at.button(key="FormSubmitter:cadence-Save cadence").click().run()
    assert cadence.weeks_for("PO", False) == (3, 5)


def test_agreed_actions_are_added_one_at_a_time_with_plain_boxes(app, org):
    import datetime as dt

    at = signed_in(app, "spo@example.org", screens.SUPERVISION_TEAM.file)
    add = "FormSubmitter:record_session-Add this action"
    at.text_input(key="sup_action_what").input("Book a joint home visit")
    at.date_input(key="sup_action_due").set_value(dt.date.today() + dt.timedelta(days=10))
    at.button(key=add).click().run()
    assert not at.exception
    assert "Book a joint home visit" in texts(at)
    assert at.text_input(key="sup_action_what").value == ""  # emptied for the next one
    at.button(key=add).click().run()
    assert "Say what was agreed, then add the action." in texts(at)
    at.text_input(key="sup_action_what").input("Read the MAPPA guidance")  # typed, not added: saved too
    at.button(key="FormSubmitter:record_session-Save and sign the record").click().run()
    assert not at.exception
    assert titles(at)[0].startswith("Supervision on")
    (session_id,) = [r.id for r in supervision.sessions_with(org.actor(org.spo_id))]
    actions = supervision.session_record(org.actor(org.spo_id), session_id).actions
    assert [(a["description"], a["due_date"]) for a in actions] == [
        ("Book a joint home visit", dt.date.today() + dt.timedelta(days=10)),
        ("Read the MAPPA guidance", dt.date.today() + dt.timedelta(days=28)),
    ]


def test_a_later_version_does_not_show_earlier_comments_as_waiting(app, org):
    import datetime as dt

    from db.supervision import SessionRecordUpdate
    from qa.validation import validate

    session_id = record(org)
    supervision.sign(org.actor(org.practitioner_id), session_id, "Fair, but I asked for a co-worker.")
    supervision.amend(
        org.actor(org.spo_id), session_id, validate(SessionRecordUpdate, {"held_on": dt.date.today(), "notes": "v2"})
    )
    at = signed_in(app, "pat@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert not at.exception
    assert at.text_area(key=f"sign_comments_{session_id}").value == ""
    shown = texts(at)
    assert "Their comments:" not in shown and "not yet confirmed" in shown
    assert "(this version)" in shown  # with version 1, in the earlier versions
    assert "Fair, but I asked for a co-worker." in [t.value for t in at.text]


def test_the_record_shows_a_shared_reflections_title_to_its_readers_only(app, org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    session_id = record(org, discussed=[{"kind": "shared reflection", "source_id": share_id}])
    at = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert "Shared reflection: After the home visit" in texts(at)
    at = signed_in(app, "qa@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert "After the home visit" not in texts(at) and supervision.REFLECTION_DISCUSSED in texts(at)
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    at = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert "After the home visit" not in texts(at) and supervision.REFLECTION_DISCUSSED in texts(at)


def test_the_audit_links_to_the_supervision_record_where_it_was_discussed(app, org):
    audit_id = sent_audit(org)
    at = signed_in(app, "spo@example.org", screens.AUDIT_CASE.file, audit=audit_id)
    assert "Prepare supervision with" in " ".join(link.label for link in at.get("page_link"))
    session_id = record(org, discussed=[{"kind": "audit feedback", "source_id": audit_id}])
    at = signed_in(app, "spo@example.org", screens.AUDIT_CASE.file, audit=audit_id)
    assert not at.exception
    [link] = [link for link in at.get("page_link") if link.label.startswith("Discussed in supervision on")]
    assert link.proto.query_string == f"session={session_id}"
