"""'Who has viewed my records' through AppTest: views made through the real
screens appear for the person the record is about, and only for them."""

import pytest

from db.engine import session_scope
from db.organisation import User
from pages import _registry as screens
from qa.observations import workflow as observations
from tests.conftest import menu_pages, sign_in
from tests.factories import PASSWORD
from tests.test_observations import shared as shared_observation
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in
from tests.test_supervision import record

PAGE = screens.WHO_VIEWED.file


def table(at):
    return at.dataframe[0].value


def test_with_no_views_the_page_says_so_plainly(app, org):
    at = signed_in(app, "pat@example.org", PAGE)
    assert not at.exception
    assert titles(at) == ["Who has viewed my records"]
    shown = texts(at)
    assert "Each time someone else opens a record about you" in shown
    assert "Only you can see this page" in shown
    assert "Nobody else has opened a record about you in this period." in shown
    assert not at.dataframe


def test_views_made_on_the_real_screens_are_listed_for_the_practitioner(app, org):
    session_id = record(org)
    obs_id = shared_observation(org)
    spo = signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    assert titles(spo)[0].startswith("Supervision on")
    lead = signed_in(app, "qa@example.org", screens.OBSERVATION.file, observation=obs_id)
    assert titles(lead)[0].startswith("Observation of")

    at = signed_in(app, "pat@example.org", PAGE)
    rows = table(at)
    assert list(rows.columns) == ["When (UK time)", "Who", "Their role", "What", "Record"]
    assert list(rows["Who"]) == ["Quinn Lead", "Sam Supervisor"]  # newest first
    assert list(rows["What"]) == ["Observation of your practice", "Supervision record"]
    assert "your supervisor" in rows["Their role"][1]
    assert rows["Record"][1].startswith("Supervision record of ")
    assert all(rows["When (UK time)"])
    assert "2 views** by **2 people" in texts(at)


def test_opening_my_own_records_adds_nothing(app, org):
    session_id = record(org)
    obs_id = shared_observation(org)
    signed_in(app, "pat@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    signed_in(app, "pat@example.org", screens.OBSERVATION.file, observation=obs_id)
    signed_in(app, "pat@example.org", screens.MY_DEVELOPMENT.file)
    at = signed_in(app, "pat@example.org", PAGE)
    assert "Nobody else has opened a record about you in this period." in texts(at)


def test_other_people_never_see_my_log_on_their_page(app, org):
    session_id = record(org)
    signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    for email in ("spo@example.org", "admin@example.org", "qa@example.org", "pip@example.org"):
        at = signed_in(app, email, PAGE)
        assert not at.exception
        assert "Nobody else has opened a record about you in this period." in texts(at), email


def test_names_are_shown_as_written_never_as_markup(app, org):
    with session_scope() as session:
        lead = session.get(User, org.qa_lead_id)
        lead.full_name = "**Quinn** <script>alert(1)</script> [x](javascript:alert(1))"
        session.add(lead)
    obs_id = shared_observation(org)
    observations.observation_detail(org.actor(org.qa_lead_id), obs_id)
    at = signed_in(app, "pat@example.org", PAGE)
    assert list(table(at)["Who"]) == ["**Quinn** <script>alert(1)</script> [x](javascript:alert(1))"]


@pytest.mark.parametrize("email", ["pat@example.org", "spo@example.org", "qa@example.org", "admin@example.org"])
def test_every_role_has_the_page_in_its_menu(app, org, email):
    at = sign_in(app(), email, PASSWORD)
    assert PAGE in menu_pages(at)


def test_the_practitioner_home_links_to_the_page(app, org):
    at = sign_in(app(), "pat@example.org", PASSWORD)
    assert "Who has viewed my records" in [link.label for link in at.get("page_link")]


def test_the_period_can_be_widened(app, org):
    session_id = record(org)
    signed_in(app, "spo@example.org", screens.SUPERVISION_RECORD.file, session=session_id)
    at = signed_in(app, "pat@example.org", PAGE)
    at.selectbox(key="who_viewed_period").set_value("Everything").run()
    assert len(table(at)) == 1
