"""The LEARN sampling rule: examples for each rule, and properties that must hold for any case list."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.organisation import OrderType, RoshLevel
from qa.audits.sampling import (
    SAMPLE_MIN,
    CaseFacts,
    SampleRules,
    add_months,
    explain_rules,
    propose_sample,
    replacement_candidates,
)
from tests.conftest import examples

EVENT = date(2026, 3, 12)
RULES = SampleRules(size=12)


def case(
    case_id,
    *,
    order_type=OrderType.CO,
    start=date(2025, 1, 10),
    rosh=RoshLevel.HIGH,
    custody=False,
    end=None,
    audited=None,
):
    return CaseFacts(case_id, f"X{case_id:05d}", order_type, start, rosh, custody, end, audited)


def ids(proposal):
    return [s.case_id for s in proposal.selected]


def reason_for(proposal, case_id):
    return next(e.reason for e in proposal.excluded if e.case_id == case_id)


# --------------------------------------------------------------------------- independent oracles
# Written differently from the module on purpose, so the tests do not repeat its arithmetic.


def at_least_months_in(start: date, on: date, months: int) -> bool:
    gap = (on.year * 12 + on.month) - (start.year * 12 + start.month)
    if gap != months:
        return gap > months
    # Same month as the anniversary: the day has come, or the month is too short to hold it.
    return on.day >= start.day or on.day == calendar.monthrange(on.year, on.month)[1]


def eligible(c: CaseFacts, rules: SampleRules, on: date) -> bool:
    return (
        c.order_type != OrderType.CP
        and not c.in_custody
        and c.start_date <= on
        and (c.expected_end_date is None or c.expected_end_date >= on)
        and at_least_months_in(c.start_date, on, rules.min_months)
    )


def recent(c: CaseFacts, rules: SampleRules, on: date) -> bool:
    return c.last_audited is not None and not at_least_months_in(c.last_audited, on, rules.recent_months)


def floor_share(share: float, n: int) -> int:
    return int(share * n + 1e-9)


def largest_possible(n_non_low: int, n_low: int, rules: SampleRules) -> int:
    """Brute force: the biggest sample whose lows stay within the share of that sample."""
    best = 0
    for lows in range(n_low + 1):
        for non_low in range(n_non_low + 1):
            n = lows + non_low
            if n <= rules.size and lows <= floor_share(rules.low_risk_share, n):
                best = max(best, n)
    return best


# --------------------------------------------------------------------------- strategies

ELIGIBLE_TYPES = [t for t in OrderType if t != OrderType.CP]


def on_day(months_before: int, day: int) -> date:
    """A date ``months_before`` the event month, on ``day`` clamped to the month's end (so month ends come up often)."""
    first = add_months(EVENT.replace(day=1), -months_before)
    return first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))


def _to_case(drawn) -> CaseFacts:
    case_id, order_type, started, day, rosh, custody_roll, ends, audited, audited_day = drawn
    return CaseFacts(
        case_id=case_id,
        case_ref=f"X{case_id:05d}",
        order_type=order_type,
        start_date=on_day(started, day),
        rosh=rosh,
        in_custody=custody_roll == 0,  # about one case in seven
        expected_end_date=None if ends is None else on_day(-ends, day),
        last_audited=None if audited is None else on_day(audited, audited_day),
    )


# Integers mapped to dates keep generation quick and put many cases on the 6- and 12-month boundaries.
one_case = st.tuples(
    st.integers(1, 10_000),
    st.sampled_from(list(OrderType)),
    st.integers(-1, 48),  # months before the event month that the order started
    st.integers(1, 31),
    st.sampled_from(list(RoshLevel)),
    st.integers(0, 6),
    st.one_of(st.none(), st.integers(-3, 36)),  # months after the event month that the order ends
    st.one_of(st.none(), st.integers(0, 30)),  # months before the event month of the last audit
    st.integers(1, 31),
).map(_to_case)


def case_lists(max_size=40):
    # Hypothesis favours short lists; drawing the length first gives full samples often too.
    return st.integers(0, max_size).flatmap(
        lambda n: st.lists(one_case, min_size=n, max_size=n, unique_by=lambda c: c.case_id)
    )


rules_st = st.builds(
    SampleRules,
    size=st.integers(12, 20),
    low_risk_share=st.one_of(st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5]), st.floats(0, 0.5)),
)

PROPERTY = settings(max_examples=examples(200), deadline=None)


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(case_lists(), rules_st, st.integers())
def test_never_selects_an_ineligible_case_and_accounts_for_every_case_once(cases, rules, seed):
    proposal = propose_sample(cases, rules, EVENT, seed)
    by_id = {c.case_id: c for c in cases}
    for chosen in proposal.selected:
        assert eligible(by_id[chosen.case_id], rules, EVENT)
    accounted = [s.case_id for s in proposal.selected] + [e.case_id for e in proposal.excluded]
    assert sorted(accounted) == sorted(by_id)
    assert proposal.eligible_count == sum(eligible(c, rules, EVENT) for c in cases)
    assert proposal.size_requested == rules.size
    assert all(s.reason and e.reason for s in proposal.selected for e in proposal.excluded)


@PROPERTY
@given(case_lists(), rules_st, st.integers())
def test_low_rosh_share_is_always_respected(cases, rules, seed):
    proposal = propose_sample(cases, rules, EVENT, seed)
    by_id = {c.case_id: c for c in cases}
    lows = sum(by_id[i].rosh == RoshLevel.LOW for i in ids(proposal))
    assert lows <= floor_share(rules.low_risk_share, len(proposal.selected))


@PROPERTY
@given(case_lists(), rules_st, st.integers())
def test_sample_is_as_large_as_the_rules_allow(cases, rules, seed):
    """The exact guarantee: the sample is the size asked for, unless no rule-abiding sample of
    that size exists; then it is the largest that does. In particular it is full whenever
    eligible non-low cases >= size - min(eligible low cases, floor(share * size))."""
    proposal = propose_sample(cases, rules, EVENT, seed)
    pool = [c for c in cases if eligible(c, rules, EVENT)]
    n_low = sum(c.rosh == RoshLevel.LOW for c in pool)
    n_non_low = len(pool) - n_low
    assert len(proposal.selected) == largest_possible(n_non_low, n_low, rules)
    if n_non_low >= rules.size - min(n_low, floor_share(rules.low_risk_share, rules.size)):
        assert len(proposal.selected) == rules.size
    assert (proposal.shortfall_message is None) == (len(proposal.selected) == rules.size)


@PROPERTY
@given(case_lists(), rules_st, st.integers(), st.randoms(use_true_random=False))
def test_same_cases_and_seed_give_the_same_sample_in_any_input_order(cases, rules, seed, shuffler):
    shuffled = list(cases)
    shuffler.shuffle(shuffled)
    assert propose_sample(cases, rules, EVENT, seed) == propose_sample(shuffled, rules, EVENT, seed)


@PROPERTY
@given(case_lists(), rules_st, st.integers())
def test_recently_audited_cases_are_used_only_when_needed(cases, rules, seed):
    proposal = propose_sample(cases, rules, EVENT, seed)
    by_id = {c.case_id: c for c in cases}
    chosen = set(ids(proposal))
    if any(recent(by_id[i], rules, EVENT) for i in chosen):
        fresh_left_out = [
            c for c in cases if eligible(c, rules, EVENT) and not recent(c, rules, EVENT) and c.case_id not in chosen
        ]
        # A fresh case is passed over only because it is low RoSH and the low share is full.
        assert all(c.rosh == RoshLevel.LOW for c in fresh_left_out)
        if fresh_left_out:
            lows = sum(by_id[i].rosh == RoshLevel.LOW for i in chosen)
            assert lows == floor_share(rules.low_risk_share, len(chosen))
    elif len(chosen) == rules.size:  # fresh cases filled the sample, so the others were not needed
        for c in cases:
            if c.case_id not in chosen and eligible(c, rules, EVENT) and recent(c, rules, EVENT):
                assert reason_for(proposal, c.case_id).startswith(f"Audited on {c.last_audited.isoformat()}")


@PROPERTY
@given(case_lists(), rules_st, st.integers())
def test_every_order_type_with_a_fresh_medium_or_higher_case_is_represented(cases, rules, seed):
    """The mix guarantee. Types whose only eligible cases are low RoSH (the share may be full) or
    recently audited (they may not be needed) cannot be promised a place. With k such types and
    a size of at least 12 (more than the six order types), all k appear."""
    proposal = propose_sample(cases, rules, EVENT, seed)
    by_id = {c.case_id: c for c in cases}
    must_appear = {
        c.order_type
        for c in cases
        if eligible(c, rules, EVENT) and not recent(c, rules, EVENT) and c.rosh != RoshLevel.LOW
    }
    appeared = {by_id[i].order_type for i in ids(proposal)}
    assert must_appear <= appeared
    assert len(appeared) >= min(len(must_appear), rules.size)


@PROPERTY
@given(case_lists(), rules_st, st.integers(), st.data())
def test_replacement_candidates_keep_every_rule(cases, rules, seed, data):
    proposal = propose_sample(cases, rules, EVENT, seed)
    by_id = {c.case_id: c for c in cases}
    staying = ids(proposal)
    if staying:
        swapped_out = data.draw(st.sampled_from(staying))
        staying = [i for i in staying if i != swapped_out]
    candidates = replacement_candidates(cases, rules, EVENT, staying)
    for candidate in candidates:
        assert eligible(candidate, rules, EVENT)
        assert candidate.case_id not in staying
        new_sample = [by_id[i] for i in staying] + [candidate]
        assert sum(c.rosh == RoshLevel.LOW for c in new_sample) <= floor_share(rules.low_risk_share, len(new_sample))
    flags = [recent(c, rules, EVENT) for c in candidates]
    assert flags == sorted(flags)  # fresh first
    # Nothing eligible is left out of the candidates except for the low share.
    offered = {c.case_id for c in candidates}
    for c in cases:
        if eligible(c, rules, EVENT) and c.case_id not in staying and c.case_id not in offered:
            assert c.rosh == RoshLevel.LOW


# --------------------------------------------------------------------------- examples


def test_six_months_is_counted_in_calendar_months_with_month_ends():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    started = case(1, start=date(2025, 8, 31))
    proposal = propose_sample([started], RULES, date(2026, 2, 28), seed=1)
    assert ids(proposal) == [1]
    proposal = propose_sample([started], RULES, date(2026, 2, 27), seed=1)
    assert reason_for(proposal, 1) == "Only 5 months into the order (at least 6 needed)."
    leap = case(2, start=date(2023, 8, 31))
    assert ids(propose_sample([leap], RULES, date(2024, 2, 29), seed=1)) == [2]
    assert ids(propose_sample([leap], RULES, date(2024, 2, 28), seed=1)) == []


def test_each_exclusion_is_explained_in_plain_english():
    cases = [
        case(1, custody=True),
        case(2, order_type=OrderType.CP),
        case(3, start=date(2025, 11, 1)),
        case(4, end=date(2026, 1, 31)),
        case(5, start=date(2026, 4, 1)),
        case(6, start=date(2025, 9, 1), custody=True, order_type=OrderType.CP),
    ]
    proposal = propose_sample(cases, RULES, EVENT, seed=3)
    assert proposal.selected == []
    assert reason_for(proposal, 1) == "In custody."
    assert reason_for(proposal, 2) == "Stand-alone Community Payback: sampled separately."
    assert reason_for(proposal, 3) == "Only 4 months into the order (at least 6 needed)."
    assert reason_for(proposal, 4) == "Order ended on 2026-01-31."
    assert reason_for(proposal, 5) == "Starts on 2026-04-01, after the event date."
    assert reason_for(proposal, 6) == "Stand-alone Community Payback: sampled separately."
    assert proposal.shortfall_message == "Only 0 cases are eligible for this event; a LEARN sample needs at least 12."


def test_an_order_ending_on_the_event_day_is_still_running():
    assert ids(propose_sample([case(1, end=EVENT)], RULES, EVENT, seed=1)) == [1]


def test_chosen_cases_say_why():
    licence = case(7, order_type=OrderType.LICENCE, start=date(2025, 1, 12))
    proposal = propose_sample([licence], RULES, EVENT, seed=1)
    assert proposal.selected[0].reason == (
        "Licence, high RoSH, 14 months into the licence; not in custody; not audited in the last 12 months."
    )
    again = case(8, rosh=RoshLevel.MEDIUM, audited=date(2025, 6, 1))
    reason = propose_sample([again], RULES, EVENT, seed=1).selected[0].reason
    assert reason.startswith(
        "Community Order, medium RoSH, 14 months into the order; not in custody; audited on 2025-06-01"
    )


def test_too_few_eligible_cases_is_said_plainly():
    cases = [case(i) for i in range(1, 10)] + [case(99, custody=True)]
    proposal = propose_sample(cases, RULES, EVENT, seed=5)
    assert proposal.eligible_count == 9
    assert len(proposal.selected) == 9
    assert proposal.shortfall_message == "Only 9 cases are eligible for this event; a LEARN sample needs at least 12."


def test_fewer_eligible_than_asked_for_is_said_plainly():
    cases = [case(i) for i in range(1, 15)]
    proposal = propose_sample(cases, SampleRules(size=16), EVENT, seed=5)
    assert len(proposal.selected) == 14
    assert proposal.shortfall_message == "Only 14 cases are eligible for this event, fewer than the 16 asked for."


def test_low_rosh_cap_limits_the_sample_and_says_why():
    cases = [case(i, rosh=RoshLevel.LOW) for i in range(1, 21)] + [case(i) for i in range(21, 29)]
    proposal = propose_sample(cases, RULES, EVENT, seed=11)
    by_id = {c.case_id: c for c in cases}
    lows = [i for i in ids(proposal) if by_id[i].rosh == RoshLevel.LOW]
    # 8 non-low cases; 10 cases with 2 low is the largest sample where lows stay within 20%.
    assert len(proposal.selected) == 10 and len(lows) == 2
    assert "Only 10 can be proposed" in proposal.shortfall_message
    left_out_low = next(e for e in proposal.excluded if by_id[e.case_id].rosh == RoshLevel.LOW)
    assert left_out_low.reason == "Not chosen: low RoSH share already at its limit of 2."


def test_recently_audited_cases_wait_when_others_are_available():
    fresh = [case(i, order_type=ELIGIBLE_TYPES[i % 6]) for i in range(1, 16)]
    audited = case(50, audited=date(2025, 12, 1))
    proposal = propose_sample(fresh + [audited], RULES, EVENT, seed=2)
    assert 50 not in ids(proposal)
    assert reason_for(proposal, 50) == "Audited on 2025-12-01, within the last 12 months."
    assert "Not chosen at random this time." in {e.reason for e in proposal.excluded}


def test_recently_audited_cases_fill_the_gap_when_needed():
    fresh = [case(i) for i in range(1, 11)]
    audited = [case(i, audited=date(2025, 12, 1)) for i in range(50, 55)]
    proposal = propose_sample(fresh + audited, RULES, EVENT, seed=2)
    assert set(range(1, 11)) <= set(ids(proposal))
    assert len(proposal.selected) == 12


def test_audited_exactly_twelve_months_ago_is_fresh_again():
    fresh = [case(i) for i in range(1, 12)]
    year_ago = case(50, audited=date(2025, 3, 12))
    day_later = case(51, audited=date(2025, 3, 13))
    proposal = propose_sample(fresh + [year_ago, day_later], RULES, EVENT, seed=9)
    assert 50 in ids(proposal) and 51 not in ids(proposal)


def test_different_seeds_give_different_samples():
    cases = [case(i, order_type=ELIGIBLE_TYPES[i % 6]) for i in range(1, 41)]
    samples = {tuple(ids(propose_sample(cases, RULES, EVENT, seed))) for seed in range(5)}
    assert len(samples) > 1


def test_a_mix_of_order_types_is_taken_where_available():
    cases = [case(i, order_type=OrderType.CO) for i in range(1, 31)]
    cases += [case(100 + i, order_type=t) for i, t in enumerate(ELIGIBLE_TYPES)]
    proposal = propose_sample(cases, RULES, EVENT, seed=4)
    by_id = {c.case_id: c for c in cases}
    assert Counter(by_id[i].order_type for i in ids(proposal)).keys() == set(ELIGIBLE_TYPES)


@pytest.mark.parametrize("size", [11, 21, 0])
def test_sample_size_must_be_12_to_20(size):
    with pytest.raises(ValueError, match="12 to 20"):
        SampleRules(size=size)


@pytest.mark.parametrize("share", [-0.1, 0.51, 1.0])
def test_low_share_must_be_at_most_half(share):
    with pytest.raises(ValueError):
        SampleRules(size=12, low_risk_share=share)


def test_duplicate_cases_are_refused():
    with pytest.raises(ValueError):
        propose_sample([case(1), case(1)], RULES, EVENT, seed=1)


def test_replacement_candidates_put_fresh_before_recent_and_respect_the_low_share():
    cases = [case(i) for i in range(1, 12)]
    cases += [case(20, audited=date(2025, 12, 1)), case(21), case(22, rosh=RoshLevel.LOW), case(23, custody=True)]
    staying = list(range(1, 12))  # 11 cases, none low: a 12th may be low (floor(0.2 * 12) = 2)
    assert [c.case_id for c in replacement_candidates(cases, RULES, EVENT, staying)] == [21, 22, 20]
    assert [c.case_id for c in replacement_candidates(cases, RULES, EVENT, staying, exclude_ids=[21])] == [22, 20]
    tight = SampleRules(size=12, low_risk_share=0.0)
    assert [c.case_id for c in replacement_candidates(cases, tight, EVENT, staying)] == [21, 20]


def test_explain_rules_states_the_rule_for_the_page():
    lines = explain_rules(SampleRules(size=15, low_risk_share=0.2))
    assert (
        "Cases are chosen at random, using a stored seed, so the same cases and the same seed always give the same sample."
        in lines
    )
    assert any("3 cases in a sample of 15" in line for line in lines)
    assert any("Community Payback" in line and "separately" in line for line in lines)
    assert any("6 calendar months" in line for line in lines)
    assert all(line.endswith(".") for line in lines)
    assert SAMPLE_MIN == 12
