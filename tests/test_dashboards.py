"""Dashboard figures on small datasets whose answers are worked out by hand."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.audits import (
    AuditAction,
    AuditAnswer,
    AuditEvent,
    AuditSectionResult,
    CaseAudit,
    CaseSample,
    UrgentConcern,
)
from db.engine import session_scope
from db.observations import ObservationRecord, RatingInput
from db.organisation import Grade, Role
from db.reflection import DebriefCreate
from qa.audits import instrument
from qa.dashboards import figures as dashboards
from qa.dashboards.filters import Filters, from_query, to_query
from qa.errors import PermissionDenied
from qa.reflection import debriefs
from qa.validation import validate
from tests.factories import make_case, make_user

OCT = date(2026, 10, 14)
WINDOW = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 11, 30))


def audit(org, case_id, sections: dict, answers: dict, event_date=OCT, status="feedback sent", submitted_at=None):
    """An audit at the event on ``event_date``; unless a draft, submitted at noon that day unless told otherwise."""
    if submitted_at is None and status != "draft":
        submitted_at = datetime.combine(event_date, time(12), tzinfo=UTC)
    with session_scope() as session:
        row, _definition = instrument.latest(session)
        event = session.exec(
            __import__("sqlmodel").select(AuditEvent).where(AuditEvent.event_date == event_date)
        ).first()
        if event is None:
            event = AuditEvent(
                pdu_id=org.north_pdu_id,
                event_date=event_date,
                seed=1,
                instrument_id=row.id,
                created_by_id=org.qa_lead_id,
                status="sample accepted",
            )
            session.add(event)
            session.flush()
        sample = CaseSample(event_id=event.id, case_id=case_id, position=1, reason="test")
        session.add(sample)
        session.flush()
        audit_row = CaseAudit(
            event_id=event.id,
            case_id=case_id,
            sample_id=sample.id,
            instrument_id=row.id,
            status=status,
            submitted_at=submitted_at,
        )
        session.add(audit_row)
        session.flush()
        for title, verdict in sections.items():
            session.add(
                AuditSectionResult(
                    audit_id=audit_row.id, section_key=title.lower(), section_title=title, verdict=verdict
                )
            )
        for key, answer in answers.items():
            session.add(AuditAnswer(audit_id=audit_row.id, question_key=key, answer=answer))
        return audit_row.id


@pytest.fixture
def audits(org):
    a = make_case("A1", org.practitioner_id, org.team_a_id, org.north_pdu_id, order_type="Licence", rosh="high")
    b = make_case(
        "A2", org.practitioner_id, org.team_a_id, org.north_pdu_id, order_type="Community Order", rosh="medium"
    )
    c = make_case("A3", org.peer_id, org.team_a_id, org.north_pdu_id, order_type="Licence", rosh="medium")
    south = make_case("S1", org.outsider_id, org.team_c_id, org.south_pdu_id)
    ids = [
        audit(
            org,
            a,
            {"Assessment": "Sufficient", "Planning": "Partly sufficient"},
            {"a_harm_analysed": "yes", "p_contingency": "no"},
        ),
        audit(
            org,
            b,
            {"Assessment": "Sufficient", "Planning": "Not applicable"},
            {"a_harm_analysed": "no", "p_contingency": "not applicable"},
        ),
        audit(
            org,
            c,
            {"Assessment": "Insufficient", "Planning": "Sufficient"},
            {"a_harm_analysed": "partly", "p_contingency": "yes"},
        ),
        audit(org, south, {"Assessment": "Insufficient"}, {"a_harm_analysed": "no"}),
    ]
    with session_scope() as session:
        session.add(
            AuditAction(
                audit_id=ids[0],
                description="x",
                owner_id=org.practitioner_id,
                due_date=date(2026, 10, 20),
                created_at=datetime(2026, 10, 15, tzinfo=UTC),
            )
        )
        session.add(
            AuditAction(
                audit_id=ids[1],
                description="y",
                owner_id=org.practitioner_id,
                due_date=date(2026, 12, 1),
                status="done",
                created_at=datetime(2026, 10, 15, tzinfo=UTC),
                closed_at=datetime(2026, 11, 2, tzinfo=UTC),
            )
        )
        raised = datetime(2026, 10, 15, 9, tzinfo=UTC)
        session.add(
            UrgentConcern(
                audit_id=ids[0],
                case_id=a,
                raised_by_id=org.spo_b_id,
                raised_at=raised,
                description="x",
                acknowledged_at=raised + timedelta(hours=6),
            )
        )
        session.add(
            UrgentConcern(
                audit_id=ids[2],
                case_id=c,
                raised_by_id=org.spo_b_id,
                raised_at=raised,
                description="y",
                acknowledged_at=raised + timedelta(hours=30),
            )
        )
    return ids


def shares(result, section):
    return {r["month"]: (r["sufficient"], r["judged"]) for r in result.sufficiency_by_month if r["section"] == section}


def test_sufficiency_per_section_per_month_for_the_spo(org, audits):
    result = dashboards.audit_quality(org.actor(org.spo_id), WINDOW, today=date(2026, 11, 26))
    assert result.audits == 3  # the South PDU's audit is not in this team's scope
    assert shares(result, "Assessment") == {"2026-10": (2, 3)}
    assert shares(result, "Planning") == {"2026-10": (1, 2)}  # "Not applicable" is not judged


def test_question_heatmap_counts_no_and_partly_among_applicable_answers(org, audits):
    result = dashboards.audit_quality(org.actor(org.spo_id), WINDOW)
    by_key = {row["question"]: row for row in result.question_heatmap}
    harm = next(r for r in result.question_heatmap if r["no_or_partly"] == 2 and r["answered"] == 3)
    contingency = next(r for r in result.question_heatmap if r["answered"] == 2)
    assert harm["share"] == pytest.approx(2 / 3)
    assert contingency["no_or_partly"] == 1
    assert len(by_key) == 2


def test_actions_concerns_and_acknowledgement_times(org, audits):
    result = dashboards.audit_quality(org.actor(org.spo_id), WINDOW, today=date(2026, 11, 26))
    assert {(r["month"], r["raised"], r["closed"]) for r in result.actions_by_month} == {
        ("2026-10", 2, 0),
        ("2026-11", 0, 1),
    }
    assert all(r["total"] == r["raised"] + r["closed"] for r in result.actions_by_month)
    assert result.overdue_actions == 1
    assert (result.urgent_raised, result.urgent_acknowledged) == (2, 2)
    assert result.median_hours_to_acknowledge == pytest.approx(18)


def test_an_audit_submitted_early_for_a_future_event_counts_now(org):
    """Dashboards count an audit when it is submitted: one finished before its LEARN day appears at once."""
    from qa.dashboards.rollups import month_start, next_month

    today = date.today()
    event_day = today + timedelta(days=45)  # always a later month
    case_id = make_case("E1", org.practitioner_id, org.team_a_id, org.north_pdu_id)
    audit(
        org,
        case_id,
        {"Assessment": "Sufficient"},
        {"a_harm_analysed": "yes"},
        event_date=event_day,
        submitted_at=datetime.now(UTC),
    )
    spo = org.actor(org.spo_id)
    this_month = month_start(today)
    whole_month = Filters(this_month, next_month(this_month) - timedelta(days=1))  # read from the rollups
    so_far = Filters(this_month, today)  # a part month, counted from the records
    for window in (whole_month, so_far):
        result = dashboards.audit_quality(spo, window, today=today)
        assert result.audits == 1, window
        assert shares(result, "Assessment") == {f"{today:%Y-%m}": (1, 1)}
    event_month = month_start(event_day)
    later = Filters(event_month, next_month(event_month) - timedelta(days=1))
    assert dashboards.audit_quality(spo, later, today=today).audits == 0


def test_filters_by_order_type_and_rosh(org, audits):
    licences = dashboards.audit_quality(
        org.actor(org.spo_id), Filters(WINDOW.date_from, WINDOW.date_to, order_type="Licence")
    )
    assert licences.audits == 2
    high = dashboards.audit_quality(org.actor(org.spo_id), Filters(WINDOW.date_from, WINDOW.date_to, rosh="high"))
    assert high.audits == 1


def test_each_role_sees_its_own_scope(org, audits):
    assert dashboards.audit_quality(org.actor(org.qa_lead_id), WINDOW).audits == 3  # North PDU
    assert dashboards.audit_quality(org.actor(org.admin_id), WINDOW).audits == 4  # everything
    assert (
        dashboards.audit_quality(
            org.actor(org.admin_id), Filters(WINDOW.date_from, WINDOW.date_to, pdu_id=org.south_pdu_id)
        ).audits
        == 1
    )
    # A QA lead cannot widen their view through the filters.
    assert (
        dashboards.audit_quality(
            org.actor(org.qa_lead_id), Filters(WINDOW.date_from, WINDOW.date_to, pdu_id=org.south_pdu_id)
        ).audits
        == 3
    )
    with pytest.raises(PermissionDenied):
        dashboards.audit_quality(org.actor(org.practitioner_id), WINDOW)


def test_teams_compared_for_the_qa_lead(org, audits):
    teams = dashboards.audit_quality(org.actor(org.qa_lead_id), WINDOW).teams
    assert teams == [{"team": "Team A", "audits": 3, "share": pytest.approx(3 / 5)}]


def test_wellbeing_is_hidden_below_five_people(org):
    extra = [
        make_user(
            f"Extra {i}",
            f"x{i}@example.org",
            Grade.PSO,
            [Role.PRACTITIONER],
            team_id=org.team_a_id,
            supervisor_id=org.spo_id,
        )
        for i in range(3)
    ]
    people = [org.practitioner_id, org.peer_id, *extra]
    window = Filters(date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    for who in people[:4]:
        debriefs.record_debrief(org.actor(who), validate(DebriefCreate, {"feelings": ["anxious"], "intensity": 4}))
    assert dashboards.wellbeing_summary(org.actor(org.spo_id), window).shown is False
    debriefs.record_debrief(org.actor(people[4]), validate(DebriefCreate, {"feelings": ["relieved"], "intensity": 9}))
    shown = dashboards.wellbeing_summary(org.actor(org.spo_id), window)
    assert (shown.shown, shown.people, shown.debriefs) == (True, 5, 5)
    assert shown.mean_intensity == pytest.approx((4 * 4 + 9) / 5)


def test_meeting_mode_drops_counts_small_enough_to_identify_someone():
    rows = [{"month": "2026-09", "judged": 4}, {"month": "2026-10", "judged": 5}]
    assert dashboards.anonymise(rows, "judged") == [{"month": "2026-10", "judged": 5}]


def test_filters_survive_the_trip_through_the_address():
    filters = Filters(date(2026, 1, 1), date(2026, 6, 30), pdu_id=3, team_id=7, order_type="Licence", rosh="high")
    assert from_query(to_query(filters)) == filters


@given(st.dictionaries(st.sampled_from(["from", "to", "pdu", "team", "order", "rosh", "junk"]), st.text(max_size=20)))
def test_any_address_gives_valid_filters_never_an_error(query):
    filters = from_query(query, today=date(2026, 11, 26))
    assert filters.date_from <= filters.date_to


def test_chart_exports_read_back(org, audits):
    import csv
    import io

    import pandas as pd
    from pypdf import PdfReader

    from pages import _charts as charts
    from qa.exports import meeting_pack_pdf, to_csv

    result = dashboards.audit_quality(org.actor(org.admin_id), WINDOW)
    frame = pd.DataFrame(result.question_heatmap)
    parsed = list(
        csv.DictReader(io.StringIO(to_csv(list(frame.columns), frame.to_dict("records")).decode("utf-8-sig")))
    )
    assert len(parsed) == len(result.question_heatmap)
    chart = charts.sufficiency_by_month(result.sufficiency_by_month)
    png, svg = charts.to_png(chart), charts.to_svg(chart)
    assert png.startswith(b"\x89PNG") and svg.lstrip().startswith("<svg")
    pack = meeting_pack_pdf("Pack", "North PDU", [("One", png), ("Two", png), ("Three", png)], "footer")
    assert len(PdfReader(io.BytesIO(pack)).pages) == 3


def test_observation_figures(org):
    from qa.observations import workflow as observations
    from tests.test_observations import DOMAINS, RECORD, plan

    for rating, when in ((2, 10), (4, 5)):
        obs_id = plan(org, on=date.today() - timedelta(days=when))
        observations.save_record(
            org.actor(org.spo_id),
            obs_id,
            validate(ObservationRecord, RECORD | {"observed_on": date.today() - timedelta(days=when)}),
            [RatingInput(domain_key=k, rating=rating) for k in DOMAINS],
            None,
        )
        observations.share(org.actor(org.spo_id), obs_id)
    window = Filters(date.today() - timedelta(days=30), date.today())
    summary = dashboards.observation_summary(org.actor(org.spo_id), window)
    relationship = next(d for d in summary.domains if d["domain"].lower().startswith("relationship"))
    assert (relationship["mean"], relationship["spread"], relationship["ratings"]) == (3.0, 1.0, 2)
    assert (summary.practitioners, summary.observed) == (2, 1)
    assert summary.coverage == 0.5


def test_supervision_and_rota_figures(org):
    from tests.test_supervision import record

    record(org, held_on=date.today() - timedelta(days=7))
    window = Filters(date.today() - timedelta(days=30), date.today())
    supervision = dashboards.supervision_summary(org.actor(org.spo_id), window)
    assert (supervision.practitioners, supervision.within_target) == (2, 1)
    rota = dashboards.rota_summary(org.actor(org.qa_lead_id), window)
    assert rota.staff == 5 and rota.at_target == 0
