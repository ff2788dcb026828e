"""Observer calibration says plainly when there is too little to judge agreement, and never shows a bare None."""

from datetime import date, timedelta

from db.engine import session_scope
from db.observations import Observation, ObservationRating
from qa.observations import calibration
from qa.observations import framework as skills_framework

DAY = date(2026, 10, 1)


def double_rated(org, firsts: dict[str, int], seconds: dict[str, int], on: date = DAY) -> None:
    """One session rated by two observers (the SPO, then the other SPO), both shared."""
    with session_scope() as session:
        row, _framework = skills_framework.latest(session)
        ids = []
        for observer, ratings, of in ((org.spo_id, firsts, None), (org.spo_b_id, seconds, "first")):
            obs = Observation(
                practitioner_id=org.practitioner_id,
                observer_id=observer,
                observed_on=on,
                setting="office",
                framework_id=row.id,
                status="shared with the practitioner",
                consent=True,
                created_by_id=org.spo_id,
                calibration_of_id=ids[0] if of else None,
            )
            session.add(obs)
            session.flush()
            ids.append(obs.id)
            for key, rating in ratings.items():
                session.add(ObservationRating(observation_id=obs.id, domain_key=key, rating=rating))


def report(org):
    return calibration.calibration_report(org.actor(org.qa_lead_id), org.north_pdu_id)


def by_key(result):
    return {d.domain_key: d for d in result.domains}


def test_too_few_double_rated_sessions_says_so_instead_of_a_kappa(org):
    for n in range(2):
        double_rated(org, {"relationship": 2 + n, "structuring": 3}, {"relationship": 3, "structuring": 2 + n})
    result = report(org)
    assert result.sessions == 2
    assert result.too_few == (
        f"Too few double-rated sessions to judge agreement (at least {calibration.MIN_PAIRS} needed). "
        "2 sessions rated twice so far."
    )
    relationship = by_key(result)["relationship"]
    assert relationship.weighted_kappa is not None  # computable, but not judged on two pairs
    assert relationship.shown_kappa is None
    assert relationship.in_brief == f"Too few sessions (2 of {calibration.MIN_PAIRS})"
    assert relationship.why_not.startswith("Too few double-rated sessions to judge agreement")
    unrated = by_key(result)["recording"]
    assert (unrated.pairs, unrated.in_brief) == (0, f"Too few sessions (0 of {calibration.MIN_PAIRS})")


def test_enough_sessions_show_kappa_and_explain_one_that_cannot_be_worked_out(org):
    firsts, seconds = [1, 2, 3, 4, 2], [1, 3, 3, 4, 2]
    for n, (a, b) in enumerate(zip(firsts, seconds, strict=True)):
        double_rated(
            org, {"relationship": a, "structuring": 3}, {"relationship": b, "structuring": 3}, DAY - timedelta(days=n)
        )
    result = report(org)
    assert result.too_few is None
    relationship, structuring = by_key(result)["relationship"], by_key(result)["structuring"]
    assert relationship.judged and relationship.shown_kappa is not None and relationship.why_not is None
    assert relationship.in_brief is None
    # Both observers rated every session 3: chance alone explains the agreement.
    assert structuring.judged and structuring.shown_kappa is None
    assert structuring.why_not == calibration.NO_KAPPA and structuring.in_brief == "Same rating every time"
    assert structuring.exact == 1.0
