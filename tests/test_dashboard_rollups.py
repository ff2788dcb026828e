"""The dashboard rollups always equal a fresh count of the records, and reading them gives
the same figures as counting the records directly."""

from datetime import UTC, date, datetime
from itertools import cycle

import pytest
from sqlalchemy import delete, select

from db.audits import AuditAnswer, AuditEvent, AuditSectionResult, CaseAudit
from db.dashboards import (
    AnswerCell,
    AuditCell,
    DebriefCell,
    FeelingCell,
    ObservationCell,
    RatedPerson,
    RatingCell,
    SectionCell,
)
from db.engine import session_scope
from db.observations import Observation, ObservationRating, SelfRating
from db.organisation import Case, Grade, Role, Setting, User
from db.reflection import Debrief, DebriefFeeling
from qa.dashboards import figures as dashboards
from qa.dashboards import rollups
from qa.dashboards.filters import Filters
from tests.factories import make_case, make_user
from tests.test_dashboards import audit

TABLES = [AuditCell, AnswerCell, SectionCell, ObservationCell, RatingCell, RatedPerson, DebriefCell, FeelingCell]
DOMAINS = ["relationship", "motivation", "risk"]
VERDICTS = cycle(["Sufficient", "Partly sufficient", "Insufficient", "Not applicable"])
ANSWERS = cycle(["yes", "no", "partly", "not applicable", None, "yes"])


def snapshot() -> dict:
    with session_scope() as session:
        out = {}
        for table in TABLES:
            columns = [c for c in table.__table__.columns if c.name != "id"]
            out[table.__tablename__] = sorted(
                tuple(str(v) for v in row) for row in session.execute(select(*columns)).all()
            )
        return out


def recounted() -> dict:
    with session_scope() as session:
        rollups.rebuild_all(session)
    return snapshot()


def observation(
    org, practitioner_id, on: date, ratings: list, own: list | None = None, status="shared with the practitioner"
):
    with session_scope() as session:
        row, _ = __import__("qa.observations.framework", fromlist=["latest"]).latest(session)
        obs = Observation(
            practitioner_id=practitioner_id,
            observer_id=org.spo_id,
            observed_on=on,
            setting="office",
            framework_id=row.id,
            status=status,
            consent=True,
            created_by_id=org.spo_id,
        )
        session.add(obs)
        session.flush()
        for key, rating in zip(DOMAINS, ratings, strict=False):
            session.add(
                ObservationRating(observation_id=obs.id, domain_key=key, rating=rating, not_observed=rating is None)
            )
        for key, rating in zip(DOMAINS, own or [], strict=False):
            session.add(SelfRating(observation_id=obs.id, domain_key=key, rating=rating))
        return obs.id


def debrief(author_id, at: datetime, intensity: int, feelings: list[str]) -> int:
    with session_scope() as session:
        row = Debrief(author_id=author_id, created_at=at, intensity=intensity)
        session.add(row)
        session.flush()
        for word in feelings:
            session.add(DebriefFeeling(debrief_id=row.id, feeling=word))
        return row.id


@pytest.fixture
def busy(org):
    """Audits, observations and debriefs spread over teams, PDUs and months, some edges part-month."""
    extra = [
        make_user(
            f"Extra {i}",
            f"extra{i}@example.org",
            Grade.PO,
            [Role.PRACTITIONER],
            team_id=org.team_a_id,
            supervisor_id=org.spo_id,
        )
        for i in range(4)
    ]
    people = [org.practitioner_id, org.peer_id, *extra]
    cases = [
        make_case("R1", org.practitioner_id, org.team_a_id, org.north_pdu_id, order_type="Licence", rosh="high"),
        make_case("R2", org.peer_id, org.team_a_id, org.north_pdu_id, order_type="Community Order", rosh="medium"),
        make_case("R3", org.peer_id, org.team_b_id, org.north_pdu_id, order_type="Licence", rosh="low"),
        make_case("R4", org.outsider_id, org.team_c_id, org.south_pdu_id),
    ]
    audit_ids = []
    for i, when in enumerate([date(2026, 7, 15), date(2026, 8, 12), date(2026, 9, 16), date(2026, 10, 14)]):
        for j, case_id in enumerate(cases):
            sections = {title: next(VERDICTS) for title in ("Assessment", "Planning", "Implementation")}
            answers = {key: next(ANSWERS) for key in ("a_harm_analysed", "p_contingency", "i_contacts")}
            status = "draft" if (i + j) % 5 == 4 else "feedback sent"
            audit_ids.append(audit(org, case_id, sections, answers, event_date=when, status=status))
    obs_ids = []
    for i, person in enumerate(people):
        for month in (6, 7, 8, 9, 10, 11):
            day = date(2026, month, 3 + (i * 5) % 25)
            ratings = [1 + (i + month) % 4, None if (i + month) % 3 == 0 else 2, 1 + (i * month) % 4]
            own = [2, 3, None] if month % 2 else None
            status = "planned" if (i + month) % 7 == 0 else "shared with the practitioner"
            obs_ids.append(observation(org, person, day, ratings, own, status=status))
    for i, person in enumerate(people):
        for month in (6, 7, 8, 9, 10, 11):
            debrief(
                person,
                datetime(2026, month, 1 + (i * 3) % 27, 9 + i, tzinfo=UTC),
                (i + month) % 11,
                ["anxious", "tired", "proud"][: 1 + (i + month) % 3],
            )
    return {"people": people, "cases": cases, "audits": audit_ids, "observations": obs_ids}


def test_rollups_built_from_scratch_match_rollups_kept_on_every_write(org, busy):
    kept = snapshot()
    assert kept["rollup_answer"] and kept["rollup_rating"] and kept["rollup_feeling"]
    assert kept == recounted()


def test_rollups_follow_edits_moves_and_deletions(org, busy):
    with session_scope() as session:
        # An audit goes back to draft, another loses an answer and gains a verdict.
        first, second = busy["audits"][0], busy["audits"][1]
        session.get(CaseAudit, first).status = "draft"
        answer = session.exec(select(AuditAnswer).where(AuditAnswer.audit_id == second)).scalars().first()
        session.delete(answer)
        session.add(
            AuditSectionResult(audit_id=second, section_key="extra", section_title="Review", verdict="Sufficient")
        )
    with session_scope() as session:
        # A case moves team; an event moves month; an observation moves month and person; a rating changes.
        session.get(Case, busy["cases"][0]).team_id = org.team_b_id
        moved_event = session.get(CaseAudit, busy["audits"][-1]).event_id
        session.get(AuditEvent, moved_event).event_date = date(2026, 5, 20)
        obs = session.get(Observation, busy["observations"][2])
        obs.observed_on, obs.practitioner_id = date(2026, 3, 30), busy["people"][3]
        rating = (
            session.exec(select(ObservationRating).where(ObservationRating.observation_id == busy["observations"][5]))
            .scalars()
            .first()
        )
        rating.rating = 4
    with session_scope() as session:
        # A person moves team (their ratings and feelings move with them), one debrief is deleted, others in bulk.
        session.get(User, busy["people"][2]).team_id = org.team_b_id
        one = session.exec(select(Debrief).where(Debrief.author_id == busy["people"][1])).scalars().first()
        session.exec(delete(DebriefFeeling).where(DebriefFeeling.debrief_id == one.id))
        session.delete(one)
    assert snapshot() == recounted()
    with session_scope() as session:
        doomed = select(Debrief.id).where(Debrief.created_at < datetime(2026, 8, 1, tzinfo=UTC))
        session.exec(delete(DebriefFeeling).where(DebriefFeeling.debrief_id.in_(doomed)))
        session.exec(delete(Debrief).where(Debrief.created_at < datetime(2026, 8, 1, tzinfo=UTC)))
    assert snapshot() == recounted()


def test_a_failed_transaction_leaves_the_rollups_untouched(org, busy):
    before = snapshot()
    with pytest.raises(RuntimeError):
        with session_scope() as session:
            session.add(Debrief(author_id=busy["people"][0], created_at=datetime(2026, 9, 9, tzinfo=UTC), intensity=7))
            session.flush()
            raise RuntimeError("the page failed half way")
    assert snapshot() == before


def test_a_database_whose_rollups_were_never_built_builds_them_on_first_read(org, busy):
    expected = snapshot()
    with session_scope() as session:
        for table in TABLES:
            session.exec(delete(table))
        session.exec(delete(Setting).where(Setting.key == rollups.BUILT_FLAG))
    dashboards.audit_quality(org.actor(org.admin_id), Filters(date(2026, 1, 1), date(2026, 12, 31)))
    assert snapshot() == expected


RANGES = [
    Filters(date(2026, 1, 1), date(2026, 12, 31)),  # whole months only
    Filters(date(2026, 6, 10), date(2026, 10, 20)),  # part months at both ends
    Filters(date(2026, 8, 2), date(2026, 8, 29)),  # inside one month
    Filters(date(2026, 9, 1), date(2026, 9, 30)),  # exactly one month
]


def from_records(monkeypatch):
    """Force every figure to be counted from the records, as the order-type and RoSH filters do."""
    monkeypatch.setattr(dashboards, "_use_rollups", lambda f: False)
    monkeypatch.setattr(dashboards, "_split_months", lambda a, b: (None, [(a, b)]))


def rounded(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


WINDOWS = dict(zip(["year", "part-months", "inside-a-month", "one-month"], RANGES, strict=True))


def test_figures_from_rollups_equal_figures_counted_from_records(org, busy, monkeypatch):
    """For each scope (administrator, QA lead, SPO) and each window. One test, not
    twelve: building ``busy`` is the slow part, and the checks only read it."""
    today = date(2026, 11, 26)
    cases = [(who, name) for who in ("admin_id", "qa_lead_id", "spo_id") for name in WINDOWS]

    def figures(who, name):
        actor, window = org.actor(getattr(org, who)), WINDOWS[name]
        return [
            vars(dashboards.audit_quality(actor, window, today=today)),
            vars(dashboards.observation_summary(actor, window, today=today)),
            vars(dashboards.wellbeing_summary(actor, window)),
        ]

    fast = {case: figures(*case) for case in cases}
    from_records(monkeypatch)
    for case in cases:
        assert rounded(fast[case]) == rounded(figures(*case)), case
    year = fast["admin_id", "year"]
    assert year[0]["audits"] > 10 and year[1]["observations"] > 20 and year[2]["shown"]


def test_rollups_hold_counts_only_never_text():
    for table in TABLES:
        text_columns = {c.name for c in table.__table__.columns if str(c.type).startswith(("VARCHAR", "TEXT"))}
        assert text_columns <= {"question_key", "section_title", "domain_key", "feeling"}, table.__tablename__


def test_months_split_into_whole_months_and_edges():
    assert dashboards._split_months(date(2026, 1, 1), date(2026, 3, 31)) == ((date(2026, 1, 1), date(2026, 4, 1)), [])
    assert dashboards._split_months(date(2026, 1, 15), date(2026, 3, 10)) == (
        (date(2026, 2, 1), date(2026, 3, 1)),
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 10))],
    )
    assert dashboards._split_months(date(2026, 2, 3), date(2026, 2, 20)) == (
        None,
        [(date(2026, 2, 3), date(2026, 2, 20))],
    )
    assert dashboards._split_months(date(2025, 12, 5), date(2026, 1, 31)) == (
        (date(2026, 1, 1), date(2026, 2, 1)),
        [(date(2025, 12, 5), date(2025, 12, 31))],
    )


def test_concurrent_writers_to_one_cell_leave_it_exact(org):
    """Eight people in one team record debriefs at the same moment: every one is counted."""
    from concurrent.futures import ThreadPoolExecutor

    people = [
        make_user(
            f"Writer {i}",
            f"writer{i}@example.org",
            Grade.PSO,
            [Role.PRACTITIONER],
            team_id=org.team_a_id,
            supervisor_id=org.spo_id,
        )
        for i in range(8)
    ]
    at = datetime(2026, 9, 14, 10, tzinfo=UTC)

    def write(person):
        for n in range(3):
            debrief(person, at, 5, ["anxious", "tired"][: 1 + n % 2])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, people))
    kept = snapshot()
    feelings = [row for row in kept["rollup_feeling"] if row[0] == "2026-09-01"]
    assert sorted((row[2], row[3]) for row in feelings) == [("anxious", "24"), ("tired", "8")]
    assert kept == recounted()
