"""The dashboard and meeting screens through AppTest."""

import pytest

from pages import _registry as screens
from tests.test_dashboards import audits  # noqa: F401  (fixture)
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in

WINDOW = {"from": "2026-01-01", "to": "2026-11-30"}


@pytest.mark.parametrize(
    "email, title",
    [
        ("spo@example.org", "Dashboards: Team A"),
        ("qa@example.org", "Dashboards: North PDU"),
        ("admin@example.org", "Dashboards: all PDUs"),
    ],
)
def test_each_dashboard_renders_its_scope(app, org, audits, email, title):  # noqa: F811
    at = signed_in(app, email, screens.DASHBOARDS.file, **WINDOW)
    assert not at.exception
    assert titles(at) == [title]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_filters_are_written_to_the_address(app, org, audits):  # noqa: F811
    at = signed_in(app, "spo@example.org", screens.DASHBOARDS.file, **WINDOW)
    at.selectbox[0].set_value("Licence").run()
    assert at.query_params["order"] in ("Licence", ["Licence"])
    metric = next(m for m in at.metric if m.label == "Audits in view")
    assert metric.value == "2"


def test_an_address_with_filters_opens_that_view(app, org, audits):  # noqa: F811
    at = signed_in(app, "spo@example.org", screens.DASHBOARDS.file, **WINDOW, rosh="high")
    assert next(m for m in at.metric if m.label == "Audits in view").value == "1"


def test_wellbeing_says_not_enough_responses_below_five(app, org, audits):  # noqa: F811
    at = signed_in(app, "spo@example.org", screens.DASHBOARDS.file, **WINDOW)
    at.get("button_group")[0].set_value("Wellbeing").run()
    assert "Not enough responses to show." in texts(at)


@pytest.mark.parametrize("area", ["Observations", "Supervision and rota"])
def test_every_area_renders(app, org, audits, area):  # noqa: F811
    at = signed_in(app, "qa@example.org", screens.DASHBOARDS.file, **WINDOW)
    at.get("button_group")[0].set_value(area).run()
    assert not at.exception
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart") or at.metric


def test_a_practitioner_has_no_dashboard(app, org):
    at = signed_in(app, "pat@example.org", screens.HOME_PRACTITIONER.file)
    with pytest.raises(ValueError):
        at.switch_page(screens.DASHBOARDS.file)


def test_meeting_mode_leaves_out_anything_with_fewer_than_five_behind_it(app, org, audits):  # noqa: F811
    at = signed_in(app, "qa@example.org", screens.MEETING_MODE.file, **WINDOW)
    assert not at.exception
    assert "There are no charts with enough behind them to show for this view." in texts(at)


def test_meeting_mode_shows_one_chart_at_a_time_in_large_type(app, org):
    from tests.factories import make_case
    from tests.test_dashboards import audit

    for i in range(6):
        case_id = make_case(f"M{i}", org.practitioner_id, org.team_a_id, org.north_pdu_id)
        audit(
            org,
            case_id,
            {"Assessment": "Sufficient" if i % 2 else "Insufficient"},
            {f"q{j}": "yes" for j in range(1)} | {"a_harm_analysed": "yes"},
        )
    at = signed_in(app, "qa@example.org", screens.MEETING_MODE.file, **WINDOW)
    assert not at.exception
    first = at.title[0].value  # the chart's title is the page's one h1, then where and which chart as an h2
    assert len(at.title) == 1 and "chart 1 of" in at.header[0].value
    shown = " ".join(m.value for m in [*at.markdown, *at.title, *at.header])
    assert "Quinn" not in shown and "Pat" not in shown
    [b for b in at.button if "Next" in b.label][0].click().run()
    assert at.title[0].value != first
