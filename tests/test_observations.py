"""Observation of one-to-one practice: planning, consent, ratings, sharing,
the practitioner's reply, goals, coverage, calibration and who may see what."""

from datetime import date, timedelta

import pytest
from sklearn.metrics import cohen_kappa_score
from sqlmodel import select

from db.engine import session_scope
from db.observations import (
    DevelopmentGoalCreate,
    GoalProgress,
    InvitationResponse,
    ObservationPlan,
    ObservationRecord,
    PractitionerReply,
    RatingInput,
)
from db.organisation import AuditTrail
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.observations import calibration, development, team_skills
from qa.observations import coverage as observation_coverage
from qa.observations import workflow as observations
from qa.validation import validate

TODAY = date.today()
DOMAINS = [
    "relationship",
    "structuring",
    "authority",
    "prosocial",
    "motivational",
    "cognitive",
    "risk_need",
    "desistance",
    "responsivity",
    "recording",
]
RECORD = {
    "consent": True,
    "observed_on": TODAY - timedelta(days=3),
    "setting": "office",
    "mode": "live",
    "duration_minutes": 26,
    "case_ref": "x123456",
    "strengths": "Warm and clear.",
    "development_points": "Summarise more.",
}


def ratings(value=3, **overrides):
    rows = []
    for key in DOMAINS:
        given = overrides.get(key, value)
        rows.append(
            {
                "domain_key": key,
                "rating": None if given == "n/o" else given,
                "not_observed": given == "n/o",
                "evidence": f"Seen: {key}",
            }
        )
    return rows


def plan(org, observer_id=None, practitioner_id=None, by=None, on=TODAY - timedelta(days=3), accept=True):
    """Plan an observation; unless accept=False, the practitioner then accepts the invitation."""
    observer_id = observer_id or org.spo_id
    practitioner_id = practitioner_id or org.practitioner_id
    obs_id = observations.plan_observation(
        org.actor(by or observer_id),
        validate(
            ObservationPlan,
            {
                "practitioner_id": practitioner_id,
                "observer_id": observer_id,
                "observed_on": on,
                "setting": "office",
                "mode": "live",
            },
        ),
    )
    if accept and (by or observer_id) != practitioner_id:
        accept_invitation(org, obs_id, practitioner_id)
    return obs_id


def accept_invitation(org, obs_id, practitioner_id=None):
    observations.respond_to_invitation(
        org.actor(practitioner_id or org.practitioner_id), obs_id, validate(InvitationResponse, {"answer": "accepted"})
    )


def shared(org, observer_id=None, practitioner_id=None, values=None, on=TODAY - timedelta(days=3)):
    obs_id = plan(org, observer_id, practitioner_id, on=on)
    observer = org.actor(observer_id or org.spo_id)
    observations.save_record(
        observer,
        obs_id,
        validate(ObservationRecord, RECORD | {"observed_on": on}),
        [validate(RatingInput, r) for r in values or ratings()],
        None,
    )
    observations.share(observer, obs_id)
    return obs_id


# --- planning -------------------------------------------------------------------


def test_the_spo_plans_an_observation_of_their_supervisee(org):
    obs_id = plan(org)
    detail = observations.observation_detail(org.actor(org.spo_id), obs_id)
    assert detail.status == "planned" and detail.can_record


def test_a_practitioner_invites_a_peer_to_observe_them(org):
    obs_id = plan(org, observer_id=org.peer_id, by=org.practitioner_id)
    assert observations.observation_detail(org.actor(org.peer_id), obs_id).can_record


def test_a_practitioner_cannot_plan_to_observe_a_peer(org):
    with pytest.raises(PermissionDenied):
        plan(org, observer_id=org.practitioner_id, practitioner_id=org.peer_id, by=org.practitioner_id)


def test_nobody_observes_themselves(org):
    with pytest.raises(ValidationFailed):
        plan(org, observer_id=org.practitioner_id, practitioner_id=org.practitioner_id, by=org.practitioner_id)


def test_an_spo_from_another_pdu_cannot_plan(org):
    from db.organisation import Grade, Role
    from tests.factories import make_user

    far_spo = make_user("Far Spo", "far@example.org", Grade.SPO, [Role.SPO], team_id=org.team_c_id)
    with pytest.raises(PermissionDenied):
        plan(org, observer_id=far_spo)


# --- recording ------------------------------------------------------------------


def test_no_observation_is_saved_without_consent(org):
    obs_id = plan(org)
    with pytest.raises(ValidationFailed) as exc:
        observations.save_record(
            org.actor(org.spo_id),
            obs_id,
            validate(ObservationRecord, RECORD | {"consent": False}),
            [validate(RatingInput, r) for r in ratings()],
            None,
        )
    assert "agreed" in exc.value.field_errors["consent"]
    detail = observations.observation_detail(org.actor(org.spo_id), obs_id)
    assert detail.ratings == {} and not detail.consent


@pytest.mark.parametrize("bad", [0, 5, -1])
def test_ratings_must_be_on_the_four_point_scale(org, bad):
    obs_id = plan(org)
    with pytest.raises(ValidationFailed):
        observations.save_record(
            org.actor(org.spo_id),
            obs_id,
            validate(ObservationRecord, RECORD),
            [validate(RatingInput, r) for r in ratings(relationship=bad)],
            None,
        )


def test_the_database_also_refuses_an_off_scale_rating(org):
    from sqlalchemy.exc import IntegrityError

    from db.observations import ObservationRating

    obs_id = plan(org)
    with pytest.raises(IntegrityError):
        with session_scope() as session:
            session.add(ObservationRating(observation_id=obs_id, domain_key="relationship", rating=7))


def test_a_skill_area_may_be_marked_not_observed(org):
    obs_id = shared(org, values=ratings(cognitive="n/o"))
    detail = observations.observation_detail(org.actor(org.practitioner_id), obs_id)
    assert detail.ratings["cognitive"].not_observed and detail.ratings["cognitive"].rating is None


def test_sharing_needs_every_skill_area_rated_or_marked_not_observed(org):
    obs_id = plan(org)
    observations.save_record(
        org.actor(org.spo_id),
        obs_id,
        validate(ObservationRecord, RECORD),
        [validate(RatingInput, r) for r in ratings()[:8]],
        None,
    )
    with pytest.raises(ValidationFailed) as exc:
        observations.share(org.actor(org.spo_id), obs_id)
    assert "Rate these skill areas" in exc.value.field_errors["ratings"]


def test_a_session_date_in_the_future_is_refused(org):
    obs_id = plan(org)
    with pytest.raises(ValidationFailed) as exc:
        observations.save_record(
            org.actor(org.spo_id),
            obs_id,
            validate(ObservationRecord, RECORD | {"observed_on": date.today() + timedelta(days=1)}),
            [validate(RatingInput, r) for r in ratings()],
            None,
        )
    assert "cannot be in the future" in exc.value.field_errors["observed_on"]


def test_a_stale_save_is_refused(org):
    obs_id = plan(org)
    observer = org.actor(org.spo_id)
    version = observations.observation_detail(observer, obs_id).version
    observations.save_record(
        observer, obs_id, validate(ObservationRecord, RECORD), [validate(RatingInput, r) for r in ratings()], version
    )
    with pytest.raises(observations.StaleObservation):
        observations.save_record(
            observer,
            obs_id,
            validate(ObservationRecord, RECORD),
            [validate(RatingInput, r) for r in ratings(2)],
            version,
        )


# --- the practitioner's part ----------------------------------------------------


def test_self_rating_before_and_hidden_from_the_observer_until_shared(org):
    obs_id = plan(org)
    pat = org.actor(org.practitioner_id)
    observations.save_self_assessment(
        pat,
        obs_id,
        [validate(RatingInput, r) for r in [{"domain_key": "motivational", "rating": 4}]],
        "How I handle change talk",
    )
    observer_view = observations.observation_detail(org.actor(org.spo_id), obs_id)
    assert observer_view.self_ratings == {}
    assert observer_view.feedback_wanted == "How I handle change talk"
    observations.save_record(
        org.actor(org.spo_id),
        obs_id,
        validate(ObservationRecord, RECORD),
        [validate(RatingInput, r) for r in ratings()],
        None,
    )
    observations.share(org.actor(org.spo_id), obs_id)
    assert observations.observation_detail(org.actor(org.spo_id), obs_id).self_ratings["motivational"].rating == 4


def test_the_practitioner_replies_and_acknowledges_and_the_observer_cannot_edit_it(org):
    obs_id = shared(org)
    pat, sam = org.actor(org.practitioner_id), org.actor(org.spo_id)
    observations.reply(
        pat,
        obs_id,
        validate(PractitionerReply, {"reflection": "I rushed the ending.", "reply": "Fair feedback."}),
        acknowledge=True,
    )
    with pytest.raises(PermissionDenied):
        observations.reply(sam, obs_id, validate(PractitionerReply, {"reflection": "changed", "reply": "changed"}))
    with pytest.raises(PermissionDenied):
        observations.save_record(
            sam, obs_id, validate(ObservationRecord, RECORD), [validate(RatingInput, r) for r in ratings(1)], None
        )
    detail = observations.observation_detail(sam, obs_id)
    assert (detail.reflection, detail.reply, detail.status) == (
        "I rushed the ending.",
        "Fair feedback.",
        "acknowledged",
    )


def test_goals_have_review_dates_and_progress(org):
    obs_id = plan(org)
    sam, pat = org.actor(org.spo_id), org.actor(org.practitioner_id)
    observations.save_record(
        sam, obs_id, validate(ObservationRecord, RECORD), [validate(RatingInput, r) for r in ratings()], None
    )
    with pytest.raises(ValidationFailed):
        observations.add_goal(
            sam,
            obs_id,
            validate(
                DevelopmentGoalCreate, {"description": "Use summaries", "review_date": date.today() - timedelta(days=1)}
            ),
        )
    observations.add_goal(
        sam,
        obs_id,
        validate(
            DevelopmentGoalCreate, {"description": "Use summaries", "review_date": date.today() + timedelta(days=60)}
        ),
    )
    observations.share(sam, obs_id)
    goal = development.development(pat, pat.id).goals[0]
    observations.agree_goal(pat, goal.id)
    observations.update_goal(pat, goal.id, validate(GoalProgress, {"status": "achieved", "progress": "Now routine."}))
    assert development.development(pat, pat.id).goals[0].status == "achieved"
    with pytest.raises(PermissionDenied):
        observations.update_goal(
            org.actor(org.peer_id), goal.id, validate(GoalProgress, {"status": "in progress", "progress": "x"})
        )


def test_profile_over_time_and_self_against_observer(org):
    first = plan(org, on=TODAY - timedelta(days=200))
    pat, sam = org.actor(org.practitioner_id), org.actor(org.spo_id)
    observations.save_self_assessment(
        pat, first, [validate(RatingInput, r) for r in [{"domain_key": "relationship", "rating": 4}]], ""
    )
    observations.save_record(
        sam,
        first,
        validate(ObservationRecord, RECORD | {"observed_on": TODAY - timedelta(days=200)}),
        [validate(RatingInput, r) for r in ratings(2)],
        None,
    )
    observations.share(sam, first)
    shared(org, values=ratings(3))
    view = development.development(pat, pat.id)
    relationship = [p.rating for p in view.profile if p.domain_key == "relationship"]
    assert relationship == [2, 3]
    comparison = {c.domain_key: c for c in view.comparison}
    assert (comparison["relationship"].self_average, comparison["relationship"].observer_average) == (4, 2)
    assert comparison["authority"].pairs == 0


# --- privacy --------------------------------------------------------------------

# who -> (sees a planned observation, sees a shared one)
VISIBILITY = {
    "practitioner_id": (True, True),
    "spo_id": (True, True),  # the observer here
    "qa_lead_id": (False, True),
    "peer_id": (False, False),
    "spo_b_id": (False, False),
    "outsider_id": (False, False),
    "admin_id": (False, False),
}


@pytest.mark.parametrize("who", list(VISIBILITY))
def test_permission_matrix_for_viewing(org, who):
    planned_id = plan(org)
    shared_id = shared(org)
    person = org.actor(getattr(org, who))
    for obs_id, allowed in zip((planned_id, shared_id), VISIBILITY[who], strict=False):
        if allowed:
            observations.observation_detail(person, obs_id)
        else:
            with pytest.raises(NotFound):
                observations.observation_detail(person, obs_id)


def test_the_practitioners_spo_sees_it_once_shared_even_when_someone_else_observed(org):
    obs_id = shared(org, observer_id=org.spo_b_id)
    observations.observation_detail(org.actor(org.spo_id), obs_id)
    with pytest.raises(NotFound):
        observations.observation_detail(org.actor(org.peer_id), obs_id)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("practitioner_id", True),
        ("spo_id", True),
        ("qa_lead_id", True),
        ("peer_id", False),
        ("admin_id", False),
        ("outsider_id", False),
    ],
)
def test_permission_matrix_for_development(org, who, allowed):
    shared(org)
    person = org.actor(getattr(org, who))
    if allowed:
        development.development(person, org.practitioner_id)
    else:
        with pytest.raises(PermissionDenied):
            development.development(person, org.practitioner_id)


def test_only_the_practitioner_self_rates_and_replies(org):
    planned_id = plan(org)
    with pytest.raises(PermissionDenied):
        observations.save_self_assessment(org.actor(org.spo_id), planned_id, [validate(RatingInput, r) for r in []], "")
    shared_id = shared(org)
    for who in ("spo_id", "qa_lead_id"):
        with pytest.raises(PermissionDenied):
            observations.reply(
                org.actor(getattr(org, who)), shared_id, validate(PractitionerReply, {"reflection": "", "reply": "x"})
            )


def test_views_by_anyone_but_the_practitioner_are_in_the_audit_trail(org):
    obs_id = shared(org)
    observations.observation_detail(org.actor(org.practitioner_id), obs_id)
    observations.observation_detail(org.actor(org.qa_lead_id), obs_id)
    with session_scope() as session:
        viewers = session.exec(
            select(AuditTrail.actor_id).where(
                AuditTrail.entity == "observation", AuditTrail.entity_id == str(obs_id), AuditTrail.action == "viewed"
            )
        ).all()
    assert viewers == [org.qa_lead_id]


# --- coverage, team profile and calibration --------------------------------------


def test_coverage_marks_never_observed_as_overdue_and_recent_as_up_to_date(org):
    shared(org, on=TODAY - timedelta(days=10))
    rows = {r.name: r for r in observation_coverage.coverage_for_supervisor(org.actor(org.spo_id), today=TODAY)}
    assert rows["Pip Peer"].status == "overdue" and rows["Pip Peer"].last_observed is None
    assert rows["Pat Practitioner"].status == "up to date"


@pytest.mark.parametrize(
    "days_ago, status",
    [(10, "up to date"), (160, "due"), (190, "overdue")],
)
def test_coverage_follows_the_target(days_ago, status):
    _next, got = observation_coverage.classify(TODAY - timedelta(days=days_ago), 2, TODAY)
    assert got == status


def test_the_target_is_set_by_an_admin_only(org):
    with pytest.raises(PermissionDenied):
        observation_coverage.set_target_per_year(org.actor(org.spo_id), 4)
    observation_coverage.set_target_per_year(org.actor(org.admin_id), 4)
    assert observation_coverage.target_per_year() == 4
    with pytest.raises(ValidationFailed):
        observation_coverage.set_target_per_year(org.actor(org.admin_id), 0)


def test_coverage_by_team_for_the_qa_lead(org):
    shared(org)
    teams = {
        t.team_name: t
        for t in observation_coverage.coverage_by_team(org.actor(org.qa_lead_id), org.north_pdu_id, today=TODAY)
    }
    assert (teams["Team A"].practitioners, teams["Team A"].observed_last_12_months) == (2, 1)
    with pytest.raises(PermissionDenied):
        observation_coverage.coverage_by_team(org.actor(org.spo_id), org.north_pdu_id)


def test_team_profile_hides_skill_areas_rated_for_too_few_people(org):
    shared(org)
    profile = team_skills.team_profile(org.actor(org.spo_id), team_id=org.team_a_id, today=TODAY)
    assert all(s.mean is None for s in profile)  # one person is never shown
    with pytest.raises(PermissionDenied):
        team_skills.team_profile(org.actor(org.practitioner_id), team_id=org.team_a_id)


def test_calibration_matches_scikit_learn(org):
    first_ratings = [1, 2, 3, 4, 2, 3, 3, 4, 1, 2]
    second_ratings = [1, 3, 3, 4, 2, 2, 3, 3, 2, 2]
    first = shared(org, values=[{"domain_key": k, "rating": r} for k, r in zip(DOMAINS, first_ratings, strict=False)])
    second = observations.add_second_observer(org.actor(org.spo_id), first, org.spo_b_id)
    observations.save_record(
        org.actor(org.spo_b_id),
        second,
        validate(ObservationRecord, RECORD),
        [
            validate(RatingInput, r)
            for r in [{"domain_key": k, "rating": r} for k, r in zip(DOMAINS, second_ratings, strict=False)]
        ],
        None,
    )
    observations.share(org.actor(org.spo_b_id), second)
    # A second session so each skill area has two pairs.
    third = shared(
        org,
        values=[{"domain_key": k, "rating": r} for k, r in zip(DOMAINS, second_ratings, strict=False)],
        on=TODAY - timedelta(days=20),
    )
    fourth = observations.add_second_observer(org.actor(org.spo_id), third, org.spo_b_id)
    observations.save_record(
        org.actor(org.spo_b_id),
        fourth,
        validate(ObservationRecord, RECORD | {"observed_on": TODAY - timedelta(days=20)}),
        [
            validate(RatingInput, r)
            for r in [{"domain_key": k, "rating": r} for k, r in zip(DOMAINS, first_ratings, strict=False)]
        ],
        None,
    )
    observations.share(org.actor(org.spo_b_id), fourth)

    report = calibration.calibration_report(org.actor(org.qa_lead_id), org.north_pdu_id)
    assert report.sessions == 2
    for i, domain in enumerate(report.domains):
        a = [first_ratings[i], second_ratings[i]]
        b = [second_ratings[i], first_ratings[i]]
        expected = cohen_kappa_score(a, b, labels=[1, 2, 3, 4], weights="quadratic")
        if expected != expected:  # nan: chance agreement is total
            assert domain.weighted_kappa is None
        else:
            assert domain.weighted_kappa == pytest.approx(expected)
        assert domain.exact == (1.0 if a == b else 0.0)
    with pytest.raises(PermissionDenied):
        calibration.calibration_report(org.actor(org.spo_id), org.north_pdu_id)
