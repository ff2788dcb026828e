"""Every screen, driven through Streamlit's AppTest as a user would."""

from datetime import timedelta

import pytest

from db.engine import session_scope
from db.organisation import utcnow
from pages import _registry as screens
from qa.settings import DEMO_FLAG, set_flag
from tests.conftest import menu_pages, sign_in
from tests.factories import PASSWORD, backdate_sessions

DASHBOARDS = {screens.DASHBOARDS.file, screens.MEETING_MODE.file}
ADMIN_PAGES = {
    screens.HOME_ADMIN.file,
    screens.USERS.file,
    screens.PDUS_AND_TEAMS.file,
    screens.IMPORT_STAFF.file,
    screens.IMPORT_CASES.file,
    screens.QUESTION_SETS.file,
    screens.SETTINGS.file,
    screens.SUPPORT_CONTACTS.file,
    screens.AUDIT_TRAIL.file,
    screens.OUTBOX.file,
} | DASHBOARDS
EVERYONE = {
    screens.MY_ACCOUNT.file,
    screens.NOTIFICATIONS.file,
    screens.WHO_VIEWED.file,
    screens.NOTIFICATION_PREFERENCES.file,
    screens.ACCESSIBILITY.file,
}
STAFF = EVERYONE | {
    screens.AUDITS_MINE.file,
    screens.AUDIT_CASE.file,
    screens.OBSERVING.file,
    screens.PLAN_OBSERVATION.file,
    screens.OBSERVATION.file,
    screens.JOURNAL.file,
    screens.JOURNAL_NOTE.file,
    screens.DEBRIEF.file,
    screens.MY_WELLBEING.file,
    screens.SHARED_WITH_ME.file,
    screens.MY_SUPERVISION.file,
    screens.SUPERVISION_RECORD.file,
}
PRACTITIONER_PAGES = {screens.HOME_PRACTITIONER.file, screens.AUDIT_FEEDBACK_MINE.file, screens.MY_DEVELOPMENT.file}
SPO_PAGES = {
    screens.HOME_SPO.file,
    screens.AUDIT_FEEDBACK_TEAM.file,
    screens.TEAM_OBSERVATIONS.file,
    screens.SUPERVISION_TEAM.file,
} | DASHBOARDS
QA_PAGES = {
    screens.HOME_QA.file,
    screens.AUDIT_EVENTS.file,
    screens.AUDIT_EVENT.file,
    screens.AUDIT_ROTA.file,
    screens.URGENT_CONCERNS.file,
    screens.IMPORT_CASES.file,
    screens.LEARNING_THEMES.file,
    screens.OBSERVATION_COVERAGE.file,
    screens.SUPERVISION_CADENCE.file,
} | DASHBOARDS


def titles(at):
    return [t.value for t in at.title]


def texts(at):
    """All the words on screen, for "does the user see X" checks."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("error", "warning", "info", "success", "header", "subheader", "title"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


# --- first run and sign-in ------------------------------------------------------


def test_an_empty_portal_offers_only_the_first_administrator(app):
    at = app()
    assert titles(at) == ["Create the first administrator"]
    assert menu_pages(at) == {screens.FIRST_RUN.file}


def test_creating_the_first_administrator_signs_them_in(app):
    at = app()
    at.text_input[0].input("First Admin")
    at.text_input[1].input("first@example.org")
    at.text_input[2].input("a-long-password")
    at.text_input[3].input("a-long-password")
    at.button[0].click().run()
    assert titles(at) == ["Administration"]
    assert screens.USERS.file in menu_pages(at)


def test_first_run_errors_appear_beside_the_fields_and_keep_the_text(app):
    at = app()
    at.text_input[0].input("First Admin")
    at.text_input[1].input("not-an-email")
    at.text_input[2].input("short")
    at.text_input[3].input("short")
    at.button[0].click().run()
    errors = [e.value for e in at.error]
    assert "Enter an email address like name@example.org" in errors
    assert "Password must be at least 12 characters." in errors
    assert at.text_input[0].value == "First Admin"


def test_with_users_the_portal_asks_to_sign_in(app, org):
    at = app()
    assert titles(at) == ["Practice Quality Portal"]
    # The accessibility statement is open to everyone (the sign-in page links to it).
    assert menu_pages(at) == {screens.SIGN_IN.file, screens.ACCESSIBILITY.file}


def test_the_sign_in_form_sits_in_a_middle_column_away_from_where_the_menu_opens(app, org):
    """A pointer left on the Sign in button must not rest on a menu entry once signed in (it would look current)."""
    at = app()
    left, middle, right = at.columns
    assert [t.label for t in middle.text_input] == ["Email", "Password"]
    assert not left.children and not right.children


def test_a_wrong_password_is_refused_with_a_clear_message(app, org):
    at = sign_in(app(), "pat@example.org", "wrong")
    assert "The email or password is not right" in at.error[0].value
    assert titles(at) == ["Practice Quality Portal"]


def test_the_fifth_failure_locks_the_account_with_a_clear_message(app, org):
    at = app()
    for _ in range(5):
        sign_in(at, "pat@example.org", "wrong")
    assert "locked for 15 minutes after 5 failed sign-in attempts" in at.error[0].value
    sign_in(at, "pat@example.org", PASSWORD)
    assert "locked" in at.error[0].value


@pytest.mark.parametrize(
    "email, home_title, expected_sections",
    [
        ("pat@example.org", "Welcome, Pat", PRACTITIONER_PAGES | STAFF),
        ("spo@example.org", "Team home: Team A", SPO_PAGES | STAFF),
        ("qa@example.org", "PDU overview: North PDU", QA_PAGES | STAFF),
        ("admin@example.org", "Administration", ADMIN_PAGES | EVERYONE),
    ],
)
def test_each_role_signs_in_to_its_own_home_and_menu(app, org, email, home_title, expected_sections):
    at = sign_in(app(), email, PASSWORD)
    assert not at.exception
    assert titles(at) == [home_title]
    assert menu_pages(at) == expected_sections


def test_who_i_am_my_team_and_my_supervisor_are_on_my_account(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    assert "Who I am" not in texts(at)  # the home page starts the work instead
    at.switch_page(screens.MY_ACCOUNT.file).run()
    shown = texts(at)
    assert "Who I am" in shown
    assert "Pat Practitioner" in shown
    assert "Team A" in shown
    assert "Sam Supervisor" in shown


def test_an_spo_home_lists_the_people_they_supervise(app, org):
    at = sign_in(app(), "spo@example.org", PASSWORD)
    people = at.table[0].value  # a real table, for reading
    assert set(people["Name"]) == {"Pat Practitioner", "Pip Peer"}


def test_a_qa_lead_home_lists_the_teams_in_their_pdu(app, org):
    at = sign_in(app(), "qa@example.org", PASSWORD)
    teams = at.table[0].value  # a real table, for reading
    assert list(teams["Team"]) == ["Team A", "Team B"]


def test_a_practitioner_cannot_open_an_admin_page(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    with pytest.raises(ValueError):
        at.switch_page(screens.USERS.file)


def test_a_page_opened_without_signing_in_shows_nothing(app, org):
    at = app()
    at.session_state["user_id"] = "1"  # tampered: not a real id
    at.run()
    assert titles(at) == ["Practice Quality Portal"]


# --- sessions -------------------------------------------------------------------


def test_signing_out_returns_to_the_sign_in_page(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    at.sidebar.button[0].click().run()
    assert titles(at) == ["Practice Quality Portal"]
    assert "You have signed out." in texts(at)


def test_an_idle_session_is_signed_out(app, org, monkeypatch):
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_MINUTES", "10")
    at = sign_in(app(), "pat@example.org", PASSWORD)
    backdate_sessions(minutes=11)  # no activity for 11 minutes, as the session row records
    at.run()
    assert titles(at) == ["Practice Quality Portal"]
    assert "signed out after 10 minutes without activity" in texts(at)


def test_a_deactivated_user_is_signed_out_on_their_next_click(app, org):
    from qa.organisation import users

    at = sign_in(app(), "pat@example.org", PASSWORD)
    users.set_active(org.actor(org.admin_id), org.practitioner_id, False)
    at.run()
    assert titles(at) == ["Practice Quality Portal"]


def test_changing_my_password(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    at.switch_page(screens.MY_ACCOUNT.file).run()
    at.text_input[0].input(PASSWORD)
    at.text_input[1].input("my-new-long-password")
    at.text_input[2].input("my-new-long-password")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert "Your password has been changed." in texts(at)


def test_the_demo_banner_shows_when_demo_data_is_loaded(app, org):
    with session_scope() as session:
        set_flag(session, DEMO_FLAG, "true")
    at = app()
    assert any("synthetic" in w.value for w in at.warning)


# --- admin screens --------------------------------------------------------------


def admin_at(app, page):
    at = sign_in(app(), "admin@example.org", PASSWORD)
    return at.switch_page(page).run()


def test_admin_adds_a_user_through_the_form(app, org):
    at = admin_at(app, screens.USERS.file)
    form = "add_user"
    inputs = [w for w in at.text_input if w.form_id == form]
    inputs[0].input("Nia Newstarter")
    inputs[1].input("nia@example.org")
    [w for w in at.selectbox if w.form_id == form and w.label == "Supervisor"][0].select_index(1)
    at.button(key=f"FormSubmitter:{form}-Add user").click().run()
    assert not at.exception
    assert "Nia Newstarter has been added." in texts(at)
    assert "Nia Newstarter" in list(at.dataframe[0].value["Name"])


def test_admin_form_errors_show_beside_the_field(app, org):
    at = admin_at(app, screens.USERS.file)
    form = "add_user"
    inputs = [w for w in at.text_input if w.form_id == form]
    # (Too long a name cannot be typed: the box stops at 120 characters. tests/test_text_limits.py checks the service.)
    inputs[0].input("Nia Newstarter")
    inputs[1].input("pat@example.org")
    at.button(key=f"FormSubmitter:{form}-Add user").click().run()
    errors = [e.value for e in at.error]
    assert "Another user already has this email address." in errors
    # What was typed is still there to correct.
    assert [w for w in at.text_input if w.form_id == form][1].value == "pat@example.org"


def test_admin_deactivates_a_user(app, org):
    at = admin_at(app, screens.USERS.file)
    at.selectbox(key="edit_user_choice").set_value(org.peer_id).run()
    at.button(key=f"deactivate_{org.peer_id}").click().run()
    assert "Pip Peer has been deactivated." in texts(at)


def test_admin_adds_a_team(app, org):
    at = admin_at(app, screens.PDUS_AND_TEAMS.file)
    at.text_input(key="new_team_name").input("Courts Team")
    at.button(key="FormSubmitter:new_team-Add team").click().run()
    assert "Team 'Courts Team' added." in texts(at)
    assert "Courts Team" in list(at.dataframe[0].value["Team"])


def test_admin_sees_the_audit_trail(app, org):
    from qa.organisation import users

    users.set_active(org.actor(org.admin_id), org.peer_id, False)
    at = admin_at(app, screens.AUDIT_TRAIL.file)
    trail = at.dataframe[0].value
    assert "deactivated" in list(trail["Action"])
    assert "Ada Admin" in list(trail["Who"])


HEADER = "staff_id,full_name,email,grade,roles,pdu,team,supervisor\n"


def test_admin_imports_staff_from_a_csv_file(app, org):
    at = admin_at(app, screens.IMPORT_STAFF.file)
    assert at.get("download_button"), "a template can be downloaded"
    good = HEADER + "N100,Nia New,nia@example.org,PSO,practitioner,North PDU,Team A,S001\n"
    at.file_uploader(key="staff_csv").set_value(("staff.csv", good.encode(), "text/csv")).run()
    assert "Ready to import: 1 new, 0 to update, 0 unchanged." in texts(at)
    [b for b in at.button if b.label == "Import staff"][0].click().run()
    assert "Import finished: 1 added, 0 updated, 0 unchanged." in texts(at)


def test_an_invalid_staff_file_lists_every_problem_by_row_and_imports_nothing(app, org):
    at = admin_at(app, screens.IMPORT_STAFF.file)
    bad = (
        HEADER
        + "N100,Nia New,nia@example.org,PSO,practitioner,North PDU,Team A,S001\nN101,Ned,ned@example.org,Officer,practitioner,North PDU,Team A,S001\n"
    )
    at.file_uploader(key="staff_csv").set_value(("staff.csv", bad.encode(), "text/csv")).run()
    assert "1 problem found. Nothing has been imported." in texts(at)
    problems = at.dataframe[0].value
    assert list(problems["Row"]) == [3]
    assert "Officer" in problems.iloc[0]["Problem"]
    assert not [b for b in at.button if b.label == "Import staff"]


# --- single sign-on -------------------------------------------------------------

SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-only-cookie-secret",
        "client_id": "portal",
        "client_secret": "not-a-secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}


def sso_app(email: str | None, logged_in: bool = True):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets.update(SSO_SECRETS)
    at.user = {"is_logged_in": logged_in, "email": email} if logged_in else {"is_logged_in": False}
    return at.run()


def test_the_sign_in_page_offers_single_sign_on_when_configured(org):
    at = sso_app(None, logged_in=False)
    assert [b.label for b in at.button][0] == "Sign in with single sign-on"


def test_a_known_sso_identity_lands_on_their_home(org):
    at = sso_app("SPO@example.org")
    assert titles(at) == ["Team home: Team A"]


def test_an_unknown_sso_identity_is_told_to_ask_their_administrator(org):
    at = sso_app("stranger@example.org")
    assert titles(at) == ["Practice Quality Portal"]
    assert "Ask your administrator to add you." in at.error[0].value


def test_page_files_have_distinct_legacy_names():
    """On a fresh server Streamlit first lists pages/ the old way, by file name without a leading
    underscore or number; two files with the same name there stop the whole app before app.py runs."""
    from pathlib import Path

    from streamlit.source_util import page_icon_and_name

    names = [page_icon_and_name(path)[1] for path in (Path(__file__).resolve().parent.parent / "pages").glob("*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


# --- home pages: what is waiting, each a link to its record ------------------------


def open_with(at, page, **query):
    """Open a screen with query parameters, as following a link does."""
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


def home_links(at):
    """(label, page address, query string) for every link on the screen."""
    return [(link.proto.label, link.proto.page, link.proto.query_string) for link in at.get("page_link")]


def test_a_practitioner_home_lists_what_is_waiting_with_links_to_each_record(app, org):
    from tests.test_supervision import sent_audit, shared_observation

    audit_id = sent_audit(org)
    obs_id = shared_observation(org)
    at = sign_in(app(), "pat@example.org", PASSWORD)
    assert not at.exception
    shown = texts(at)
    assert "Audit feedback on my cases to read and reply to: 1" in shown
    assert "Nothing waiting." in shown  # e.g. nothing shared with Pat
    links = home_links(at)
    assert any(label.startswith("Feedback on case") and query == f"audit={audit_id}" for label, _p, query in links)
    assert any("Refer to MAPPA" in label and query == f"audit={audit_id}" for label, _p, query in links)
    assert any(label.startswith("Observation of") and query == f"observation={obs_id}" for label, _p, query in links)
    # The link opens the record.
    open_with(at, screens.AUDIT_CASE.file, audit=audit_id)
    assert not at.exception and not at.error


def test_an_spo_home_lists_sheets_people_due_and_requests_and_the_month_strip(app, org):
    from db.reflection import Urgency
    from qa.reflection import support
    from tests.test_supervision import sent_audit

    audit_id = sent_audit(org)
    support.ask(org.actor(org.practitioner_id), org.spo_id, Urgency.TODAY)
    at = sign_in(app(), "spo@example.org", PASSWORD)
    assert not at.exception
    shown = texts(at)
    assert "Audit feedback sheets to discuss in supervision: 1" in shown
    assert "Supervision due or overdue: 2" in shown
    assert "This month against last" in shown
    links = home_links(at)
    assert any(query == f"audit={audit_id}" for _l, _p, query in links)
    assert any(query == f"person={org.peer_id}" for _l, _p, query in links)
    assert any(label.startswith("Pat Practitioner would like to talk") for label, _p, _q in links)
    assert any(label == "Audits done on the dashboard" and "from=" in query for label, _p, query in links)
    # The supervision link opens that person's agenda.
    open_with(at, screens.SUPERVISION_TEAM.file, person=org.peer_id)
    assert at.selectbox(key="sup_person").value == org.peer_id


def test_a_qa_lead_home_shows_the_learn_event_and_teams(app, org):
    from tests.test_supervision import sent_audit

    sent_audit(org)
    at = sign_in(app(), "qa@example.org", PASSWORD)
    assert not at.exception
    shown = texts(at)
    assert "The current and next LEARN event: 1" in shown
    assert "Supervision cadence by team" in shown
    links = home_links(at)
    assert any(label.startswith("Next LEARN event") and query.startswith("event=") for label, _p, query in links)
    assert any(label.startswith("Team A:") for label, _p, _q in links)


def test_an_admin_home_shows_locked_accounts_and_what_to_fix(app, org):
    from db.organisation import User

    with session_scope() as session:
        pip = session.get(User, org.peer_id)
        pip.locked_until = utcnow() + timedelta(minutes=10)
        session.add(pip)
    at = sign_in(app(), "admin@example.org", PASSWORD)
    assert not at.exception
    shown = texts(at)
    assert "Locked accounts: 1" in shown
    assert "Imports keep no record of files that were refused" in shown
    links = home_links(at)
    assert any(label.startswith("Pip Peer: locked") and query == f"user={org.peer_id}" for label, _p, query in links)
    assert any(label.startswith("No support contacts") for label, _p, _q in links)
    open_with(at, screens.USERS.file, user=org.peer_id)
    assert at.selectbox(key="edit_user_choice").value == org.peer_id
