"""Observation is done with people, not to them: the practitioner answers an invitation
before the session; nothing of the observer's is saved before consent, goals included;
goals are proposed by one and agreed by the other; a self-rating may follow the
observer's; the session date is never changed behind the observer's back."""

from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from db.engine import session_scope
from db.migrate import upgrade
from db.observations import (
    DevelopmentGoalCreate,
    GoalProgress,
    InvitationResponse,
    ObservationRecord,
    RatingInput,
)
from db.organisation import AuditTrail, Grade, Role
from db.supervision import AgendaKind
from qa.access.actor import Actor
from qa.access.policy import Action, GoalScope, ObservationScope, can
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.observations import workflow as observations
from qa.supervision import agenda
from qa.validation import validate
from qa.worklist import practitioner_work
from tests.test_observations import RECORD, plan, ratings

TODAY = date.today()
ON = TODAY - timedelta(days=3)


def answer(org, obs_id, who=None, **form):
    observations.respond_to_invitation(
        org.actor(who or org.practitioner_id), obs_id, validate(InvitationResponse, form), None
    )


def record(org, obs_id, observer_id=None, **overrides):
    return observations.save_record(
        org.actor(observer_id or org.spo_id),
        obs_id,
        validate(ObservationRecord, RECORD | {"observed_on": ON} | overrides),
        [validate(RatingInput, r) for r in ratings()],
        None,
    )


def goal(org, obs_id, who, description="Use more summaries"):
    return observations.add_goal(
        org.actor(who),
        obs_id,
        validate(DevelopmentGoalCreate, {"description": description, "review_date": TODAY + timedelta(days=7)}),
    )


def trail_of(obs_id):
    with session_scope() as session:
        return [
            (t.action, t.summary)
            for t in session.exec(
                select(AuditTrail).where(AuditTrail.entity == "observation", AuditTrail.entity_id == str(obs_id))
            )
        ]


# --- the invitation -------------------------------------------------------------


def test_a_planned_observation_is_an_invitation_and_nothing_is_recorded_before_it_is_accepted(org):
    obs_id = plan(org, accept=False)
    sam = org.actor(org.spo_id)
    detail = observations.observation_detail(sam, obs_id)
    assert detail.invitation == "invited" and not detail.can_record
    with pytest.raises(PermissionDenied):
        record(org, obs_id)
    assert observations.observation_detail(org.actor(org.practitioner_id), obs_id).can_respond
    answer(org, obs_id, answer="accepted")
    assert observations.observation_detail(sam, obs_id).can_record
    assert ("accepted_invitation", "") in trail_of(obs_id)


def test_a_practitioner_who_asks_to_be_observed_has_accepted_already(org):
    obs_id = plan(org, observer_id=org.peer_id, by=org.practitioner_id, accept=False)
    assert observations.observation_detail(org.actor(org.peer_id), obs_id).can_record


def test_the_practitioner_declines_with_an_optional_reason_that_stays_out_of_the_trail(org):
    obs_id = plan(org, accept=False)
    answer(org, obs_id, answer="declined", reason="  That visit is a difficult one to add a visitor to.  ")
    sam = org.actor(org.spo_id)
    detail = observations.observation_detail(sam, obs_id)
    assert (detail.invitation, detail.decline_reason) == (
        "declined",
        "That visit is a difficult one to add a visitor to.",
    )
    assert not detail.can_record and not detail.can_accept_date
    with pytest.raises(PermissionDenied):
        observations.save_self_assessment(org.actor(org.practitioner_id), obs_id, [], "")
    assert not any("difficult" in summary for _action, summary in trail_of(obs_id))
    assert ("declined_invitation", "") in trail_of(obs_id)
    answer(org, obs_id, answer="declined")  # no reason needed
    assert observations.observation_detail(sam, obs_id).decline_reason is None
    # The practitioner's SPO (not the observer here) and the QA lead never see a declined invitation.
    other = plan(org, observer_id=org.spo_b_id, accept=False)
    answer(org, other, answer="declined", reason="Not this week")
    for who in ("spo_id", "qa_lead_id", "peer_id"):
        with pytest.raises(NotFound):
            observations.observation_detail(org.actor(getattr(org, who)), other)


def test_the_practitioner_proposes_another_date_which_the_observer_accepts(org):
    obs_id = plan(org, accept=False, on=TODAY + timedelta(days=5))
    for bad, message in (
        ({}, "Choose the date"),
        ({"proposed_on": TODAY - timedelta(days=1)}, "cannot be in the past"),
        ({"proposed_on": TODAY + timedelta(days=5)}, "already planned"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            answer(org, obs_id, answer="another date proposed", **bad)
        assert message in exc.value.field_errors["proposed_on"]
    new_date = TODAY + timedelta(days=9)
    answer(org, obs_id, answer="another date proposed", proposed_on=new_date)
    sam = org.actor(org.spo_id)
    detail = observations.observation_detail(sam, obs_id)
    assert (detail.invitation, detail.proposed_on, detail.observed_on) == (
        "another date proposed",
        new_date,
        TODAY + timedelta(days=5),
    )
    assert detail.can_accept_date and not detail.can_record
    with pytest.raises(PermissionDenied):  # only the observer accepts the other date
        observations.accept_proposed_date(org.actor(org.practitioner_id), obs_id)
    observations.accept_proposed_date(sam, obs_id, detail.version)
    detail = observations.observation_detail(sam, obs_id)
    assert (detail.invitation, detail.observed_on, detail.planned_on, detail.proposed_on) == (
        "accepted",
        new_date,
        new_date,
        None,
    )
    assert detail.can_record
    assert any(a == "accepted_proposed_date" and new_date.isoformat() in s for a, s in trail_of(obs_id))


def test_answers_use_the_optimistic_version_check(org):
    obs_id = plan(org, accept=False)
    pat = org.actor(org.practitioner_id)
    version = observations.observation_detail(pat, obs_id).version
    observations.respond_to_invitation(pat, obs_id, validate(InvitationResponse, {"answer": "accepted"}), version)
    with pytest.raises(observations.StaleObservation):
        observations.respond_to_invitation(pat, obs_id, validate(InvitationResponse, {"answer": "declined"}), version)


def test_only_the_practitioner_answers_and_only_until_the_session_is_recorded(org):
    obs_id = plan(org, accept=False)
    for who in ("spo_id", "qa_lead_id", "admin_id"):
        with pytest.raises((PermissionDenied, NotFound)):
            answer(org, obs_id, who=getattr(org, who), answer="accepted")
    answer(org, obs_id, answer="accepted")
    record(org, obs_id)
    with pytest.raises(PermissionDenied):
        answer(org, obs_id, answer="declined")


def test_a_second_observer_follows_the_practitioners_one_answer(org):
    obs_id = plan(org, accept=False)
    second = observations.add_second_observer(org.actor(org.spo_id), obs_id, org.spo_b_id)
    assert not observations.observation_detail(org.actor(org.spo_b_id), second).can_record
    answer(org, second, answer="accepted")  # answered from either row, held on the first
    assert observations.observation_detail(org.actor(org.spo_id), obs_id).invitation == "accepted"
    assert observations.observation_detail(org.actor(org.spo_b_id), second).can_record


def test_the_home_pages_show_the_invitation_to_the_practitioner_and_the_other_date_to_the_observer(org):
    obs_id = plan(org, accept=False)
    labels = [r.label for g in practitioner_work(org.actor(org.practitioner_id)) for r in g.records]
    assert any("accept, decline or propose another date" in label for label in labels)
    answer(org, obs_id, answer="another date proposed", proposed_on=TODAY + timedelta(days=3))
    from qa.worklist import spo_work

    labels = [r.label for g in spo_work(org.actor(org.spo_id)) for r in g.records]
    assert any("proposed another date" in label for label in labels)
    assert not any("Finish the observation" in label for label in labels)


# --- consent, goals and the date -------------------------------------------------


def test_no_goal_is_saved_before_the_session_is_recorded_with_consent(org):
    obs_id = plan(org)
    with pytest.raises(PermissionDenied):
        goal(org, obs_id, org.spo_id)
    with pytest.raises(ValidationFailed):
        record(org, obs_id, consent=False)
    with pytest.raises(PermissionDenied):
        goal(org, obs_id, org.spo_id)
    record(org, obs_id)
    goal(org, obs_id, org.spo_id)


def test_goals_are_proposed_by_one_and_agreed_by_the_other(org):
    obs_id = plan(org)
    record(org, obs_id)
    sam, pat = org.actor(org.spo_id), org.actor(org.practitioner_id)
    by_observer = goal(org, obs_id, org.spo_id, "Summarise at the end")
    with pytest.raises(PermissionDenied):  # the practitioner proposes once it is shared
        goal(org, obs_id, org.practitioner_id)
    observations.share(sam, obs_id)
    by_practitioner = goal(org, obs_id, org.practitioner_id, "Practise open questions")
    views = {g.id: g for g in observations.observation_detail(pat, obs_id).goals}
    assert views[by_observer].agreement_text == "proposed by Sam Supervisor, waiting for Pat Practitioner to agree"
    assert views[by_practitioner].agreement_text == "proposed by Pat Practitioner, waiting for Sam Supervisor to agree"
    assert views[by_observer].can_agree and not views[by_practitioner].can_agree
    # A proposal is not an open goal: no review on the agenda or the home page, no progress.
    assert not [i for i in agenda.agenda(sam, org.practitioner_id) if i.kind == AgendaKind.GOAL_REVIEW]
    assert not [g for g in practitioner_work(pat) if g.key == "goals" and g.records]
    with pytest.raises(ValidationFailed):
        observations.update_goal(pat, by_observer, validate(GoalProgress, {"status": "achieved", "progress": ""}))
    for who, goal_id in ((sam, by_observer), (pat, by_practitioner), (org.actor(org.peer_id), by_observer)):
        with pytest.raises((PermissionDenied, NotFound)):
            observations.agree_goal(who, goal_id)
    observations.agree_goal(pat, by_observer)
    observations.agree_goal(sam, by_practitioner)
    views = observations.observation_detail(pat, obs_id).goals
    assert all(g.agreed and g.agreement_text == "agreed" for g in views)
    reviews = [i for i in agenda.agenda(sam, org.practitioner_id) if i.kind == AgendaKind.GOAL_REVIEW]
    assert len(reviews) == 2
    assert [g for g in practitioner_work(pat) if g.key == "goals" and len(g.records) == 2]
    with pytest.raises(PermissionDenied):  # agreed once
        observations.agree_goal(pat, by_observer)
    assert [a for a, _s in trail_of(obs_id)].count("agreed_goal") == 2


def test_a_different_session_date_is_saved_only_when_the_observer_says_so(org):
    obs_id = plan(org, on=TODAY - timedelta(days=3))
    with pytest.raises(ValidationFailed) as exc:
        record(org, obs_id, observed_on=TODAY - timedelta(days=1))
    assert "planned for" in exc.value.field_errors["observed_on"]
    sam = org.actor(org.spo_id)
    assert observations.observation_detail(sam, obs_id).observed_on == TODAY - timedelta(days=3)
    record(org, obs_id, observed_on=TODAY - timedelta(days=1), date_change_confirmed=True)
    detail = observations.observation_detail(sam, obs_id)
    assert (detail.observed_on, detail.planned_on, detail.date_changed) == (
        TODAY - timedelta(days=1),
        TODAY - timedelta(days=3),
        True,
    )
    assert any("session date changed" in s for a, s in trail_of(obs_id) if a == "recorded")


# --- self-rating after sharing ----------------------------------------------------


def test_the_practitioner_may_rate_themselves_after_sharing_until_they_acknowledge(org):
    obs_id = plan(org)
    pat = org.actor(org.practitioner_id)
    observations.save_self_assessment(
        pat, obs_id, [validate(RatingInput, {"domain_key": "relationship", "rating": 3})], ""
    )
    record(org, obs_id)
    observations.share(org.actor(org.spo_id), obs_id)
    assert observations.observation_detail(pat, obs_id).can_self_assess
    observations.save_self_assessment(
        pat,
        obs_id,
        [
            validate(RatingInput, {"domain_key": "relationship", "rating": 3}),
            validate(RatingInput, {"domain_key": "authority", "rating": 2}),
        ],
        "",
    )
    own = observations.observation_detail(org.actor(org.spo_id), obs_id).self_ratings
    assert (own["relationship"].after_sharing, own["authority"].after_sharing) == (False, True)
    assert ("self_assessed_after_sharing", "") in trail_of(obs_id)
    from db.observations import PractitionerReply

    observations.reply(pat, obs_id, validate(PractitionerReply, {"reflection": "", "reply": ""}), acknowledge=True)
    with pytest.raises(PermissionDenied):
        observations.save_self_assessment(pat, obs_id, [], "")


# --- the policy: every role against each new action --------------------------------

PRACTITIONER, OBSERVER, SPO, QA_LEAD, PEER, ADMIN = 1, 2, 3, 4, 5, 6
ROLES = {
    "practitioner": (PRACTITIONER, Role.PRACTITIONER),
    "observer": (OBSERVER, Role.SPO),
    "practitioner's SPO": (SPO, Role.SPO),
    "QA lead": (QA_LEAD, Role.QA_LEAD),
    "peer": (PEER, Role.PRACTITIONER),
    "admin": (ADMIN, Role.ADMIN),
}


def person(name):
    user_id, role = ROLES[name]
    return Actor(user_id, name, f"{user_id}@example.org", Grade.PO, frozenset({role}), team_id=1, pdu_id=1)


def obs_scope(planned=True, invitation="invited", recorded=False, acknowledged=False):
    return ObservationScope(
        PRACTITIONER, OBSERVER, SPO, 1, planned, acknowledged, invitation=invitation, recorded=recorded
    )


# action, target, the roles allowed
MATRIX = [
    (Action.RESPOND_TO_OBSERVATION_INVITATION, obs_scope(), {"practitioner"}),
    (Action.RESPOND_TO_OBSERVATION_INVITATION, obs_scope(invitation="accepted", recorded=True), set()),
    (Action.RESPOND_TO_OBSERVATION_INVITATION, obs_scope(planned=False, invitation="accepted", recorded=True), set()),
    (Action.ACCEPT_PROPOSED_OBSERVATION_DATE, obs_scope(invitation="another date proposed"), {"observer"}),
    (Action.ACCEPT_PROPOSED_OBSERVATION_DATE, obs_scope(invitation="invited"), set()),
    (Action.RECORD_OBSERVATION, obs_scope(invitation="invited"), set()),
    (Action.RECORD_OBSERVATION, obs_scope(invitation="declined"), set()),
    (Action.RECORD_OBSERVATION, obs_scope(invitation="accepted"), {"observer"}),
    (Action.SELF_ASSESS, obs_scope(invitation="invited"), {"practitioner"}),
    (Action.SELF_ASSESS, obs_scope(invitation="declined"), set()),
    (Action.SELF_ASSESS, obs_scope(planned=False, invitation="accepted", recorded=True), {"practitioner"}),
    (Action.SELF_ASSESS, obs_scope(planned=False, invitation="accepted", recorded=True, acknowledged=True), set()),
    (Action.PROPOSE_GOAL, obs_scope(invitation="accepted"), set()),
    (Action.PROPOSE_GOAL, obs_scope(invitation="accepted", recorded=True), {"observer"}),
    (Action.PROPOSE_GOAL, obs_scope(planned=False, invitation="accepted", recorded=True), {"observer", "practitioner"}),
    (Action.AGREE_GOAL, GoalScope(PRACTITIONER, OBSERVER, OBSERVER, agreed=False, shared=True), {"practitioner"}),
    (Action.AGREE_GOAL, GoalScope(PRACTITIONER, OBSERVER, PRACTITIONER, agreed=False, shared=True), {"observer"}),
    (Action.AGREE_GOAL, GoalScope(PRACTITIONER, OBSERVER, OBSERVER, agreed=False, shared=False), set()),
    (Action.AGREE_GOAL, GoalScope(PRACTITIONER, OBSERVER, OBSERVER, agreed=True, shared=True), set()),
]


@pytest.mark.parametrize("who", list(ROLES))
@pytest.mark.parametrize("action, target, allowed", MATRIX, ids=[f"{a}-{i}" for i, (a, _t, _r) in enumerate(MATRIX)])
def test_permission_matrix_for_invitations_and_goals(who, action, target, allowed):
    assert can(person(who), action, target) is (who in allowed)


@pytest.mark.parametrize(
    "action",
    [
        Action.RESPOND_TO_OBSERVATION_INVITATION,
        Action.ACCEPT_PROPOSED_OBSERVATION_DATE,
        Action.PROPOSE_GOAL,
        Action.AGREE_GOAL,
    ],
)
def test_the_new_actions_refuse_a_missing_or_wrong_target(action):
    for who in ROLES:
        assert not can(person(who), action, None)
        assert not can(person(who), action, object())


# --- migrating existing rows ---------------------------------------------------------


def test_existing_rows_migrate_to_sensible_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    engine = create_engine(url)  # foreign keys are not enforced on this raw connection
    with engine.begin() as conn:
        for uid in (1, 2):
            conn.execute(
                text(
                    'INSERT INTO "user" (id, full_name, email, grade, is_active, failed_logins, created_at, updated_at) '
                    "VALUES (:id, :name, :email, 'PO', 1, 0, '2026-01-01', '2026-01-01')"
                ),
                {"id": uid, "name": f"Person {uid}", "email": f"p{uid}@example.org"},
            )
        rows = {  # id: (status, consent, created_by)
            1: ("planned", 0, 2),  # planned by the observer, no consent yet: waits for an answer
            2: ("planned", 1, 2),  # consent recorded: accepted
            3: ("planned", 0, 1),  # the practitioner asked for it: accepted
            4: ("shared with the practitioner", 1, 2),
        }
        for oid, (status, consent, by) in rows.items():
            conn.execute(
                text(
                    "INSERT INTO observation (id, practitioner_id, observer_id, observed_on, setting, mode, framework_id, "
                    "status, consent, strengths, development_points, feedback_wanted, created_by_id, created_at, "
                    "updated_at, version) VALUES (:id, 1, 2, '2026-03-01', 'office', 'live', 1, :s, :c, '', '', '', "
                    ":by, '2026-01-01', '2026-01-01', 1)"
                ),
                {"id": oid, "s": status, "c": consent, "by": by},
            )
        conn.execute(
            text(
                "INSERT INTO development_goal (id, observation_id, practitioner_id, description, review_date, status, "
                "progress, updated_at) VALUES (1, 4, 1, 'g', '2026-05-01', 'in progress', '', '2026-01-01')"
            )
        )
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        answers = dict(conn.execute(text("SELECT id, invitation FROM observation")).all())
        planned = set(conn.execute(text("SELECT planned_on FROM observation")).scalars())
        agreement = conn.execute(text("SELECT agreement FROM development_goal")).scalar_one()
    engine.dispose()
    assert answers == {1: "invited", 2: "accepted", 3: "accepted", 4: "accepted"}
    assert planned == {"2026-03-01"} and agreement == "agreed"
