"""The observation screens through AppTest: planning, the observer's form, the reply."""

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
    assert "1 observation of your practice to read and reply to." in texts(pat)
    sam = signed_in(app, "spo@example.org", screens.HOME_SPO.file)
    assert "You have 1 observation to record." in texts(sam)
    assert "Observation: 1 person is overdue" in texts(sam)


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
