"""The LEARN screens through AppTest: events, the audit form, the feedback sheet."""

from datetime import date, timedelta

import pytest

from db.audits import AuditActionCreate, AuditEventCreate, FeedbackSheetUpdate, HolderReply, UrgentConcernCreate
from pages import _registry as screens
from qa.audits import concerns as urgent_concerns
from qa.audits import events as audit_events
from qa.audits import workflow
from qa.validation import validate
from tests.conftest import sign_in
from tests.factories import PASSWORD, case_pool
from tests.test_learn_loop import EVENT_DAY, all_yes
from tests.test_pages import texts, titles


def signed_in(app, email, page, **query):
    at = sign_in(app(), email, PASSWORD)
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


@pytest.fixture
def event(org):
    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    created = audit_events.create_event(
        lead, validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": EVENT_DAY, "sample_size": 12})
    )
    return created


@pytest.fixture
def draft(org, event):
    lead = org.actor(org.qa_lead_id)
    audit_events.accept_sample(lead, event.id)
    pair = next(p for p in audit_events.pairs_view(lead, event.id).pairs if p.cases)
    return pair, pair.cases[0].audit_id


def submitted(org, draft, with_action=True):
    pair, audit_id = draft
    auditor = org.actor(pair.first_id)
    detail = workflow.audit_detail(auditor, audit_id)
    version = workflow.save_draft(
        auditor,
        audit_id,
        all_yes(detail),
        validate(FeedbackSheetUpdate, {"good_practice": "Thorough plan.", "improvement": "", "concerns": ""}),
        detail.version,
    )
    if with_action:
        workflow.add_action(
            auditor,
            audit_id,
            validate(
                AuditActionCreate,
                {
                    "description": "Book a home visit",
                    "owner_id": detail.holder_id,
                    "due_date": date.today() + timedelta(days=7),
                },
            ),
        )
    workflow.submit(auditor, audit_id, version)
    return detail


def test_a_qa_lead_plans_an_event_and_sees_the_proposed_sample(app, org):
    case_pool(org, 16)
    at = signed_in(app, "qa@example.org", screens.AUDIT_EVENTS.file)
    assert titles(at) == ["Audit events"]
    at.slider[0].set_value(12)
    at.button(key="FormSubmitter:new_event-Create event and propose a sample").click().run()
    assert not at.exception
    assert titles(at)[0].startswith("LEARN day")
    sample = at.table[0].value  # a static table, so the reasons wrap and read in full
    assert len(sample) == 12 and all(sample["Why it is in the sample"])


def test_the_event_page_explains_exclusions_and_accepts_the_sample(app, org, event):
    at = signed_in(app, "qa@example.org", screens.AUDIT_EVENT.file, event=event.id)
    excluded = at.dataframe[0].value
    assert len(excluded) == 4 and all(excluded["Why not"])
    [b for b in at.button if b.label == "Accept the sample"][0].click().run()
    assert not at.exception
    assert "Sample accepted" in texts(at)
    assert any("Pair 1:" in m.value for m in at.markdown)


def test_an_event_id_from_another_pdu_is_refused(app, org, event):
    at = signed_in(app, "spo.b@example.org", screens.AUDITS_MINE.file)
    # An SPO has no event page in their menu at all.
    with pytest.raises(ValueError):
        at.switch_page(screens.AUDIT_EVENT.file)


def test_an_auditor_fills_in_and_submits_the_audit_form(app, org, draft):
    pair, audit_id = draft
    from db.engine import session_scope
    from db.organisation import User

    with session_scope() as session:
        email = session.get(User, pair.first_id).email
    at = signed_in(app, email, screens.AUDIT_CASE.file, audit=audit_id)
    assert titles(at)[0].startswith("Case audit:")
    for radio in at.radio:
        radio.set_value("yes")
    at.text_area(key=f"s_good_{audit_id}").input("Risk plan reviewed after the arrest.")
    at.button(key=f"FormSubmitter:audit_form_{audit_id}-Submit audit").click().run()
    assert not at.exception
    assert "The feedback sheet has gone to the case holder's SPO." in texts(at)
    assert workflow.audit_detail(org.actor(pair.first_id), audit_id).status == "feedback sent"


def test_the_audit_forms_actions_come_before_submit(app, org, draft):
    pair, audit_id = draft
    from db.engine import session_scope
    from db.organisation import User

    with session_scope() as session:
        email = session.get(User, pair.first_id).email
    at = signed_in(app, email, screens.AUDIT_CASE.file, audit=audit_id)
    keys = [b.key for b in at.button]
    add, submit_key = (
        f"FormSubmitter:audit_form_{audit_id}-Add action",
        f"FormSubmitter:audit_form_{audit_id}-Submit audit",
    )
    assert keys.index(add) < keys.index(submit_key)
    for radio in at.radio:
        radio.set_value("yes")
    at.text_input(key=f"new_action_{audit_id}").input("Review the contingency plan.")
    at.button(key=add).click().run()
    assert "Action added." in texts(at)
    assert at.text_input(key=f"new_action_{audit_id}").value == ""
    assert at.radio[0].value == "yes", "adding an action keeps the answers typed so far"
    # An action typed but not added is added when the audit is submitted, not lost.
    at.text_input(key=f"new_action_{audit_id}").input("Book a three-way meeting.")
    at.button(key=submit_key).click().run()
    assert not at.exception
    detail = workflow.audit_detail(org.actor(pair.first_id), audit_id)
    assert detail.status == "feedback sent"
    assert [a.description for a in detail.actions] == ["Review the contingency plan.", "Book a three-way meeting."]


def test_submitting_with_gaps_lists_the_missing_questions_and_keeps_the_text(app, org, draft):
    pair, audit_id = draft
    from db.engine import session_scope
    from db.organisation import User

    with session_scope() as session:
        email = session.get(User, pair.first_id).email
    at = signed_in(app, email, screens.AUDIT_CASE.file, audit=audit_id)
    at.radio[0].set_value("no")
    at.text_area(key=f"s_imp_{audit_id}").input("Curiosity about the new relationship.")
    at.button(key=f"FormSubmitter:audit_form_{audit_id}-Submit audit").click().run()
    assert "Answer these questions before submitting" in texts(at)
    # The message beside the questions (the error summary at the top only links to it).
    listed = next(e.value for e in at.error if e.value.startswith("Answer these questions"))
    assert listed.count("\n- ") == len(workflow.audit_detail(org.actor(pair.first_id), audit_id).unanswered) > 0
    assert at.text_area(key=f"s_imp_{audit_id}").value == "Curiosity about the new relationship."


def test_the_spo_sees_the_sheet_and_marks_it_discussed(app, org, draft):
    _pair, audit_id = draft
    submitted(org, draft)
    at = signed_in(app, "spo@example.org", screens.AUDIT_FEEDBACK_TEAM.file)
    assert any(link.label.startswith("N1") for link in at.get("page_link"))
    at = signed_in(app, "spo@example.org", screens.AUDIT_CASE.file, audit=audit_id)
    assert "Thorough plan." in [t.value for t in at.text]
    [b for b in at.button if b.label == "Mark as discussed in supervision"][0].click().run()
    assert "Marked as discussed." in texts(at)


def test_a_closed_sheet_stays_under_team_feedback_with_the_holders_reply(app, org, draft):
    _pair, audit_id = draft
    detail = submitted(org, draft)
    holder, spo = org.actor(detail.holder_id), org.actor(org.spo_id)
    workflow.reply(holder, audit_id, validate(HolderReply, {"reply": "Visit done; plan updated."}))
    workflow.mark_discussed(spo, audit_id)
    workflow.set_action_status(holder, workflow.audit_detail(holder, audit_id).actions[0].id, True)
    assert workflow.audit_detail(spo, audit_id).status == "actions closed"
    assert audit_id not in [r.audit_id for r in workflow.feedback_awaiting_me(spo)]
    assert [r.audit_id for r in workflow.feedback_closed_for_me(spo)] == [audit_id]
    assert workflow.feedback_closed_for_me(org.actor(org.spo_b_id)) == []

    at = signed_in(app, "spo@example.org", screens.AUDIT_FEEDBACK_TEAM.file)
    assert "Closed" in [h.value for h in at.header]
    assert [link.label for link in at.get("page_link") if link.label == detail.case_ref] == [detail.case_ref]
    shown = [m.value for m in at.markdown]
    assert "**closed**" in shown and "The case holder replied" in shown
    at = signed_in(app, "spo@example.org", screens.AUDIT_CASE.file, audit=audit_id)
    assert "Visit done; plan updated." in [t.value for t in at.text]


def test_the_case_holder_replies_to_the_sheet(app, org, draft):
    _pair, audit_id = draft
    detail = submitted(org, draft)
    from db.engine import session_scope
    from db.organisation import User

    with session_scope() as session:
        email = session.get(User, detail.holder_id).email
    at = signed_in(app, email, screens.AUDIT_CASE.file, audit=audit_id)
    at.text_area(key=f"reply_text_{audit_id}").input("Agreed; visit booked for Tuesday.")
    at.button(key=f"FormSubmitter:reply_{audit_id}-Save reply").click().run()
    assert "Your reply has been saved." in texts(at)
    assert (
        workflow.audit_detail(org.actor(detail.holder_id), audit_id).holder_reply == "Agreed; visit booked for Tuesday."
    )


def test_a_peer_opening_an_audit_link_sees_nothing_of_it(app, org, draft):
    _pair, audit_id = draft
    submitted(org, draft)
    at = signed_in(app, "olu@example.org", screens.AUDIT_CASE.file, audit=audit_id)
    assert "That audit could not be found." in texts(at)
    assert not at.radio and not at.text


def test_an_urgent_concern_appears_for_the_spo_to_acknowledge(app, org, draft):
    pair, audit_id = draft
    urgent_concerns.raise_concern(
        org.actor(pair.first_id),
        audit_id,
        validate(UrgentConcernCreate, {"description": "Threats made to a neighbour."}),
    )
    at = signed_in(app, "spo@example.org", screens.AUDIT_FEEDBACK_TEAM.file)
    assert "Threats made to a neighbour." in [t.value for t in at.text]
    concern_id = urgent_concerns.concerns_for_me(org.actor(org.spo_id))[0].id
    at.text_area(key=f"ack_note_{concern_id}").input("Police informed; home visit today.")
    at.button(key=f"FormSubmitter:ack_{concern_id}-Acknowledge").click().run()
    assert "Concern acknowledged." in texts(at)


@pytest.mark.parametrize(
    "page",
    [screens.AUDIT_ROTA.file, screens.URGENT_CONCERNS.file, screens.LEARNING_THEMES.file, screens.AUDITS_MINE.file],
)
def test_qa_lead_screens_render(app, org, event, page):
    at = signed_in(app, "qa@example.org", page)
    assert not at.exception
    assert titles(at)


def test_the_rota_lists_everyone_in_the_pdu(app, org, event):
    at = signed_in(app, "qa@example.org", screens.AUDIT_ROTA.file)
    names = set(at.table[0].value["Name"])  # a real table, for reading
    assert {"Pat Practitioner", "Pip Peer", "Sam Supervisor", "Bea Supervisor", "Quinn Lead"} <= names
    assert "Olu Outsider" not in names
