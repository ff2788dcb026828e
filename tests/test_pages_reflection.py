"""The private screens through AppTest, including attempts to reach someone else's entry."""

import pytest

from db.reflection import DebriefCreate, EntryKind, Need, SupportContactCreate
from pages import _registry as screens
from qa.reflection import debriefs, journal, sharing
from qa.validation import validate
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in
from tests.test_reflection import SECRET, debrief_form, write_note


def everything_on_screen(at) -> str:
    parts = (
        [texts(at)]
        + [t.value for t in at.text]
        + [str(a.value) for a in at.text_area]
        + [str(i.value) for i in at.text_input]
    )
    return "\n".join(parts)


def test_a_practitioner_starts_and_writes_a_note_that_saves_as_they_go(app, org):
    at = signed_in(app, "pat@example.org", screens.JOURNAL.file)
    assert "only you" in texts(at)
    at.selectbox(key="new_note_model").set_value("Rolfe").run()
    [b for b in at.button if b.label == "New note"][0].click().run()
    assert titles(at) == ["New note"]
    note_id = int(at.query_params["note"][0] if isinstance(at.query_params["note"], list) else at.query_params["note"])
    at.text_area(key=f"note_{note_id}_what").input(SECRET).run()
    # Saved without pressing anything: a reload would not lose it.
    assert journal.note(org.actor(org.practitioner_id), note_id).sections["what"] == SECRET


def test_the_journal_lists_and_searches_my_notes(app, org):
    write_note(org)
    at = signed_in(app, "pat@example.org", screens.JOURNAL.file)
    assert "After the home visit" in [link.label for link in at.get("page_link")]


def test_a_quick_debrief_is_saved_and_signposts_specialist_support(app, org):
    from qa.reflection import support

    support.add_contact(
        org.actor(org.admin_id), validate(SupportContactCreate, {"name": "Peer support circle", "independent": True})
    )
    at = signed_in(app, "pat@example.org", screens.DEBRIEF.file)
    pills = at.get("button_group")
    assert pills, "feelings are offered as pills"
    pills[0].set_value(["anxious"])
    at.radio[0].set_value(Need.SPECIALIST)
    at.button(key="FormSubmitter:debrief-Save debrief").click().run()
    assert not at.exception
    assert "Saved. Thank you for taking a moment for yourself." in texts(at)
    assert "Peer support circle" in texts(at)
    assert len(debriefs.my_debriefs(org.actor(org.practitioner_id))) == 1


def test_a_debrief_without_a_feeling_saves_nothing_and_says_why(app, org):
    at = signed_in(app, "pat@example.org", screens.DEBRIEF.file)
    at.button(key="FormSubmitter:debrief-Save debrief").click().run()
    assert "Pick at least one word for how you feel." in texts(at)
    assert debriefs.my_debriefs(org.actor(org.practitioner_id)) == []


@pytest.mark.parametrize("email", ["spo@example.org", "admin@example.org", "qa@example.org", "pip@example.org"])
def test_nobody_else_reaches_an_unshared_note_by_its_link(app, org, email):
    note_id = write_note(org)
    if email == "admin@example.org":
        at = signed_in(app, email, screens.HOME_ADMIN.file)
        with pytest.raises(ValueError):
            at.switch_page(screens.JOURNAL_NOTE.file)  # not in an admin's menu at all
        return
    at = signed_in(app, email, screens.JOURNAL_NOTE.file, note=note_id)
    assert "That entry could not be found." in texts(at)
    assert SECRET not in everything_on_screen(at)


def test_tampered_session_state_does_not_open_someone_elses_note(app, org):
    note_id = write_note(org)
    at = signed_in(app, "spo@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    at.session_state["actor"] = org.actor(org.practitioner_id)  # a forged "who I am"
    at.session_state[f"note_{note_id}_what"] = "forged"
    at.session_state["author_id"] = org.practitioner_id
    at.run()
    assert "That entry could not be found." in texts(at)
    assert SECRET not in everything_on_screen(at)
    assert journal.note(org.actor(org.practitioner_id), note_id).sections["what"] == SECRET


def test_the_spo_reads_a_shared_note_until_it_is_taken_back(app, org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id)
    at = signed_in(app, "spo@example.org", screens.SHARED_WITH_ME.file)
    assert any("Reflective note from Pat Practitioner" in link.label for link in at.get("page_link"))
    at = signed_in(app, "spo@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    assert SECRET in [t.value for t in at.text]
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    at.run()
    assert SECRET not in everything_on_screen(at)


def test_a_request_to_talk_shows_on_the_spo_home_without_its_content(app, org):
    debriefs.record_debrief(
        org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form(support_from=org.spo_id, urgency="today"))
    )
    at = signed_in(app, "spo@example.org", screens.HOME_SPO.file)
    assert "Requests to talk addressed to me: 1" in texts(at)
    # The home page says who asked and how soon, never what the request is about.
    assert any(
        "Pat Practitioner would like to talk (today)" in link.label.replace("\\", "") for link in at.get("page_link")
    )
    assert SECRET not in everything_on_screen(at)
    at = signed_in(app, "spo@example.org", screens.SHARED_WITH_ME.file)
    assert "Pat Practitioner" in texts(at)
    assert SECRET not in everything_on_screen(at)


def test_my_wellbeing_shows_only_my_own_figures(app, org):
    debriefs.record_debrief(org.actor(org.peer_id), validate(DebriefCreate, debrief_form(feelings=["proud"])))
    at = signed_in(app, "pat@example.org", screens.MY_WELLBEING.file)
    assert "Your trends appear here once you have recorded some debriefs." in texts(at)
    debriefs.record_debrief(org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form()))
    at.run()
    assert not at.exception
    assert "proud" not in " ".join(str(v) for d in [*at.dataframe, *at.table] for v in d.value.values.ravel())


def test_the_author_deletes_a_debrief_after_confirming(app, org):
    pat = org.actor(org.practitioner_id)
    saved = debriefs.record_debrief(pat, validate(DebriefCreate, debrief_form()))
    at = signed_in(app, "pat@example.org", screens.MY_WELLBEING.file)
    at.button(key=f"ddelete_{saved.id}").click().run()
    assert "Delete this debrief for good? This cannot be undone." in texts(at)
    assert len(debriefs.my_debriefs(pat)) == 1, "nothing is deleted before the second press"
    at.button(key=f"ddelete_yes_{saved.id}").click().run()
    assert not at.exception
    assert "Debrief deleted." in texts(at)
    assert debriefs.my_debriefs(pat) == []


def test_admin_manages_support_contacts(app, org):
    at = signed_in(app, "admin@example.org", screens.SUPPORT_CONTACTS.file)
    form_inputs = [w for w in at.text_input if w.form_id == "contact"]
    form_inputs[0].input("Staff care line")
    at.button(key="FormSubmitter:contact-Add contact").click().run()
    assert "Contact added." in texts(at)
