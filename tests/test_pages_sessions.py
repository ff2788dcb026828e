"""The session screens under AppTest: My account lists my sessions and signs out of the others;
an administrator ends a person's sessions on Users and sets the limits on Settings."""

from pages import _registry as screens
from qa.access import auth, sessions
from tests.conftest import sign_in
from tests.factories import PASSWORD

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1"


def cells(at) -> list[dict]:
    return [row for frame in at.dataframe for row in frame.value.to_dict("records")]


def test_my_account_lists_my_sessions_and_signs_out_of_the_others(app, org):
    phone = auth.sign_in("pat@example.org", PASSWORD, user_agent=PHONE).session_id
    at = sign_in(app(), "pat@example.org", PASSWORD)
    at.switch_page(screens.MY_ACCOUNT.file).run()
    devices = [row["Device"] for row in cells(at) if "Device" in row]
    assert sorted(devices) == ["Safari on iPhone", "Unknown device (this one)"]

    at.button(key="end_other_sessions").click().run()
    assert not at.exception
    assert "Signed out of 1 other session." in [s.value for s in at.success]
    assert sessions.resume(phone).actor is None  # the phone is signed out at its next click
    assert [row["Device"] for row in cells(at) if "Device" in row] == ["Unknown device (this one)"]
    assert at.session_state["user_id"] == org.practitioner_id  # and this one still works


def test_a_session_ended_elsewhere_signs_this_tab_out_on_its_next_click(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    sessions.end_sessions_of(org.actor(org.admin_id), org.practitioner_id)
    at.run()
    assert [t.value for t in at.title] == ["Practice Quality Portal"]
    assert sessions.ENDED_ELSEWHERE in [i.value for i in at.info]


def test_an_administrator_ends_a_persons_sessions_on_users(app, org):
    pat = auth.sign_in("pat@example.org", PASSWORD).session_id
    at = sign_in(app(), "admin@example.org", PASSWORD)
    at.switch_page(screens.USERS.file).run()
    at.selectbox(key="edit_user_choice").select(org.practitioner_id).run()
    at.button(key=f"end_sessions_{org.practitioner_id}").click().run()
    assert not at.exception
    assert sessions.resume(pat).actor is None


def test_an_administrator_sets_the_session_limits_on_settings(app, org):
    at = sign_in(app(), "admin@example.org", PASSWORD)
    at.switch_page(screens.SETTINGS.file).run()
    boxes = {box.label: box for box in at.number_input}
    boxes["Idle time (minutes)"].set_value(20)
    boxes["Longest a session lasts (hours)"].set_value(8)
    boxes["Sessions one person may have at once"].set_value(2)
    at.button(key="FormSubmitter:session_limits-Save session limits").click().run()
    assert not at.exception
    limits = sessions.limits()
    assert (limits.idle_minutes, limits.absolute_hours, limits.per_person) == (20, 8, 2)
