"""The observation screens through AppTest: planning, the observer's form, the reply."""

from datetime import date, timedelta

from db.observations import InvitationStatus
from pages import _registry as screens
from tests.test_observations import plan, shared
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in


def test_an_spo_plans_an_observation(app, org):
    at = signed_in(app, "spo@example.org", screens.PLAN_OBSERVATION.file)
    at.button(key="FormSubmitter:plan_observation-Plan observation").click().run()
    assert not at.exception
    assert titles(at) == ["Observation of Pat Practitioner"]


def test_a_practitioner_invites_a_colleague(app, org):
    at = signed_in(app, "pat@example.org", screens.PLAN_OBSERVATION.file)
    assert at.selectbox[0].label == "Who will observe you?"
    at.button(key="FormSubmitter:invite_observer-Send invitation").click().run()
    assert not at.exception
    assert titles(at) == ["Observation of Pat Practitioner"]
    assert at.get("select_slider"), "the practitioner can rate themselves first"


def test_the_observer_cannot_save_without_consent_and_keeps_what_was_typed(app, org):
    obs_id = plan(org)
    at = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    at.text_area(key=f"strengths_{obs_id}").input("Calm, clear agenda.")
    at.button(key=f"FormSubmitter:record_{obs_id}-Save").click().run()
    assert any("has agreed to it" in e.value for e in at.error)
    assert at.text_area(key=f"strengths_{obs_id}").value == "Calm, clear agenda."


def test_the_observer_records_and_shares(app, org):
    obs_id = plan(org)
    at = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    at.checkbox(key=f"consent_{obs_id}").check()
    for radio in at.radio:
        if radio.key and radio.key.startswith(f"r_{obs_id}_"):
            radio.set_value(3)
    at.button(key=f"FormSubmitter:record_{obs_id}-Save and share with the practitioner").click().run()
    assert not at.exception
    assert "Shared. The practitioner can now read it and reply." in texts(at)


def test_the_practitioner_replies_and_the_spo_sees_the_reply(app, org):
    obs_id = shared(org, observer_id=org.spo_b_id)
    at = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    at.text_area(key=f"oreply_{obs_id}").input("Thank you: I will use summaries.")
    at.button(key=f"FormSubmitter:reply_{obs_id}-Save and acknowledge").click().run()
    assert "Acknowledged. Thank you." in texts(at)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert "Thank you: I will use summaries." in [t.value for t in spo.text]


def test_a_peer_with_the_link_sees_nothing(app, org):
    obs_id = shared(org)
    at = signed_in(app, "pip@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert "That observation could not be found." in texts(at)
    assert not at.dataframe


def test_my_development_page_shows_the_charts(app, org):
    shared(org)
    at = signed_in(app, "pat@example.org", screens.MY_DEVELOPMENT.file)
    assert not at.exception
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_team_and_pdu_pages_render(app, org):
    shared(org)
    for email, page in (
        ("spo@example.org", screens.TEAM_OBSERVATIONS.file),
        ("qa@example.org", screens.OBSERVATION_COVERAGE.file),
        ("spo@example.org", screens.OBSERVING.file),
    ):
        at = signed_in(app, email, page)
        assert not at.exception, page
        assert titles(at)


def test_home_pages_show_observation_work_waiting(app, org):
    shared(org)
    plan(org, practitioner_id=org.peer_id)
    pat = signed_in(app, "pat@example.org", screens.HOME_PRACTITIONER.file)
    assert "Observations waiting for my answer, self-rating or reply: 1" in texts(pat)
    sam = signed_in(app, "spo@example.org", screens.HOME_SPO.file)
    assert "Observations to plan or finish: 2" in texts(sam)  # Pip is overdue; Pip's accepted session to finish


def test_calibration_with_too_few_sessions_says_so_and_never_shows_none(app, org):
    from qa.observations.calibration import MIN_PAIRS
    from tests.test_calibration import double_rated

    double_rated(org, {"relationship": 2, "structuring": 3}, {"relationship": 3, "structuring": 3})
    at = signed_in(app, "qa@example.org", screens.OBSERVATION_COVERAGE.file)
    assert not at.exception
    too_few = (
        f"Too few double-rated sessions to judge agreement (at least {MIN_PAIRS} needed). 1 session rated twice so far."
    )
    assert too_few in [i.value for i in at.info]
    table = at.dataframe[-1].value
    assert list(table["Weighted kappa"])[:2] == [f"Too few sessions (1 of {MIN_PAIRS})"] * 2
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()
    assert not table.isna().to_numpy().any()


# --- the invitation, self-rating after sharing, goals ------------------------------


def test_the_practitioner_accepts_an_invitation_and_then_the_observer_can_record(app, org):
    obs_id = plan(org, accept=False)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert "Waiting for Pat Practitioner to accept, decline or propose another date." in texts(spo)
    assert not spo.get("form") or not [c for c in spo.checkbox if c.key == f"consent_{obs_id}"]
    pat = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    pat.radio(key=f"answer_{obs_id}").set_value(InvitationStatus.ACCEPTED)
    pat.button(key=f"FormSubmitter:invite_{obs_id}-Send my answer").click().run()
    assert not pat.exception
    assert "Accepted. Your observer can now record the session." in texts(pat)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert [c for c in spo.checkbox if c.key == f"consent_{obs_id}"]


def test_the_practitioner_declines_with_a_reason_the_observer_sees(app, org):
    obs_id = plan(org, accept=False)
    pat = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    pat.radio(key=f"answer_{obs_id}").set_value(InvitationStatus.DECLINED)
    pat.text_area(key=f"decline_reason_{obs_id}").input("A hard visit to bring a visitor to.")
    pat.button(key=f"FormSubmitter:invite_{obs_id}-Send my answer").click().run()
    assert "Declined." in texts(pat)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert "Pat Practitioner declined this observation." in texts(spo)
    assert "A hard visit to bring a visitor to." in [t.value for t in spo.text]


def test_the_practitioner_proposes_another_date_and_the_observer_accepts_it(app, org):
    obs_id = plan(org, accept=False, on=date.today() + timedelta(days=2))
    new_date = date.today() + timedelta(days=10)
    pat = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    pat.radio(key=f"answer_{obs_id}").set_value(InvitationStatus.NEW_DATE_PROPOSED)
    pat.date_input(key=f"proposed_{obs_id}").set_value(new_date)
    pat.button(key=f"FormSubmitter:invite_{obs_id}-Send my answer").click().run()
    assert "Your other date has been sent. The observer can accept it." in texts(pat)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert f"proposed {new_date:%d %b %Y}" in texts(spo)
    spo.button(key=f"accept_date_{obs_id}").click().run()
    assert not spo.exception
    assert "New date accepted. The observation is now planned for that day." in texts(spo)
    assert f"{new_date:%d %b %Y}" in texts(spo)


def test_the_recording_form_keeps_the_planned_date_and_asks_before_changing_it(app, org):
    obs_id = plan(org)
    planned = date.today() - timedelta(days=3)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert spo.date_input(key=f"date_{obs_id}").value == planned
    spo.checkbox(key=f"consent_{obs_id}").check()
    spo.date_input(key=f"date_{obs_id}").set_value(planned + timedelta(days=1))
    spo.button(key=f"FormSubmitter:record_{obs_id}-Save").click().run()
    assert any("tick 'The session took place on a different date'" in e.value for e in spo.error)
    spo.checkbox(key=f"datechange_{obs_id}").check()
    spo.button(key=f"FormSubmitter:record_{obs_id}-Save").click().run()
    assert "Saved." in texts(spo)
    assert f"Planned for {planned:%d %b %Y}" in texts(spo)


def test_the_practitioner_rates_themselves_after_the_observer_shares(app, org):
    obs_id = shared(org)
    pat = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert "My own view" in [h.value for h in pat.header]
    pat.select_slider(key=f"self_{obs_id}_relationship").set_value(2)
    pat.button(key=f"FormSubmitter:self_{obs_id}-Save my view").click().run()
    assert not pat.exception
    assert "Your view has been saved." in texts(pat)
    assert "(given after reading the observer's)" in texts(pat)


def test_goals_are_proposed_confirmed_and_agreed_by_the_other_person(app, org):
    obs_id = shared(org)
    pat = signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    pat.text_input(key=f"goal_text_{obs_id}").input("Practise open questions")
    pat.button(key=f"FormSubmitter:goal_{obs_id}-Propose goal").click().run()
    assert not pat.exception
    assert "Goal saved. It shows as proposed until Sam Supervisor agrees it." in texts(pat)
    assert "proposed by Pat Practitioner, waiting for Sam Supervisor to agree" in texts(pat)
    spo = signed_in(app, "spo@example.org", screens.OBSERVATION.file, observation=obs_id)
    agree = [b for b in spo.button if b.key and b.key.startswith("agree_goal_")]
    assert len(agree) == 1
    agree[0].click().run()
    assert "Goal agreed. It is now one of the open goals reviewed in supervision." in texts(spo)
    assert "waiting for" not in texts(spo)
