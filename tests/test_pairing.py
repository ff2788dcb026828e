"""Auditor pairs and case sharing: the hard rule always, the soft rule where avoidable, even loads."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.organisation import MANAGER_GRADES, Grade
from qa.audits.pairing import Auditor, CaseToAudit, ProposedPair, check_assignment, propose_pairs
from tests.conftest import examples

PRACTITIONER_GRADES = [g for g in Grade if g not in MANAGER_GRADES]


def spo(user_id, events=0, supervises=()):
    return Auditor(user_id, f"SPO {user_id}", Grade.SPO, frozenset(supervises), events)


def po(user_id, events=0, grade=Grade.PO):
    return Auditor(user_id, f"PO {user_id}", grade, frozenset(), events)


def conflicted(pair, case, by_id):
    return any(case.holder_id in by_id[m].supervisee_ids or case.holder_supervisor_id == m for m in pair.member_ids)


def assignment(proposal):
    return {case_id: n for n, pair in enumerate(proposal.pairs) for case_id in pair.case_ids}


# --------------------------------------------------------------------------- strategies
# Ids 1–25 are shared by auditors, case holders and supervisees, so auditors often hold cases
# and supervise holders.

people = st.integers(1, 25)


@st.composite
def events(draw, max_auditors=14, max_cases=20):
    # Draw the sizes first: Hypothesis favours short lists, and one pair tests little.
    n_auditors, n_cases = draw(st.integers(0, max_auditors)), draw(st.integers(0, max_cases))
    auditor_ids = draw(st.lists(people, min_size=n_auditors, max_size=n_auditors, unique=True))
    auditors = [
        Auditor(
            user_id=user_id,
            name=f"Person {user_id}",
            grade=draw(st.sampled_from(list(Grade))),
            supervisee_ids=frozenset(draw(st.lists(people, max_size=4))),
            events_last_12_months=draw(st.integers(0, 3)),
        )
        for user_id in auditor_ids
    ]
    case_ids = draw(st.lists(st.integers(1, 500), min_size=n_cases, max_size=n_cases, unique=True))
    cases = [
        CaseToAudit(case_id, holder_id=draw(people), holder_supervisor_id=draw(st.one_of(st.none(), people)))
        for case_id in case_ids
    ]
    return auditors, cases


PROPERTY = settings(max_examples=examples(200), deadline=None)


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(events(), st.integers())
def test_nobody_ever_audits_their_own_case_and_each_case_is_placed_once(event, seed):
    auditors, cases = event
    proposal = propose_pairs(auditors, cases, seed)
    case_by_id = {c.case_id: c for c in cases}
    placed = [case_id for pair in proposal.pairs for case_id in pair.case_ids]
    assert sorted(placed + proposal.unassigned_case_ids) == sorted(case_by_id)
    for pair in proposal.pairs:
        for case_id in pair.case_ids:
            assert case_by_id[case_id].holder_id not in pair.member_ids
    # A case is left out only if every pair includes its holder.
    for case_id in proposal.unassigned_case_ids:
        assert all(case_by_id[case_id].holder_id in pair.member_ids for pair in proposal.pairs)
    errors, _ = check_assignment(proposal.pairs, cases, auditors)
    assert errors == []


@PROPERTY
@given(events(), st.integers())
def test_supervision_conflicts_only_when_no_pair_could_avoid_them(event, seed):
    auditors, cases = event
    proposal = propose_pairs(auditors, cases, seed)
    by_id = {a.user_id: a for a in auditors}
    case_by_id = {c.case_id: c for c in cases}
    for pair in proposal.pairs:
        for case_id in pair.case_ids:
            case = case_by_id[case_id]
            if conflicted(pair, case, by_id):
                others = [p for p in proposal.pairs if case.holder_id not in p.member_ids]
                assert all(conflicted(p, case, by_id) for p in others)
                assert any(f"case {case_id} although" in note for note in proposal.notes)


@PROPERTY
@given(events(), st.integers())
def test_loads_are_as_even_as_the_rules_allow(event, seed):
    """No case could move to a pair with at least two fewer cases without breaking a rule it now keeps."""
    auditors, cases = event
    proposal = propose_pairs(auditors, cases, seed)
    by_id = {a.user_id: a for a in auditors}
    case_by_id = {c.case_id: c for c in cases}
    loads = [len(p.case_ids) for p in proposal.pairs]
    for here, pair in enumerate(proposal.pairs):
        for case_id in pair.case_ids:
            case = case_by_id[case_id]
            for there, other in enumerate(proposal.pairs):
                if loads[there] <= loads[here] - 2 and case.holder_id not in other.member_ids:
                    assert conflicted(other, case, by_id) and not conflicted(pair, case, by_id)


@PROPERTY
@given(events(), st.integers())
def test_pair_count_grades_and_most_due_auditors(event, seed):
    auditors, cases = event
    proposal = propose_pairs(auditors, cases, seed)
    by_id = {a.user_id: a for a in auditors}
    expected_pairs = min(math.ceil(len(cases) / 2), len(auditors) // 2)
    assert len(proposal.pairs) == expected_pairs
    members = [m for pair in proposal.pairs for m in pair.member_ids]
    assert len(members) == len(set(members))
    # Too few auditors is said plainly.
    assert any("auditors" in p for p in proposal.problems) == (len(auditors) // 2 < math.ceil(len(cases) / 2))
    # SPO grade + practitioner grade wherever both are available; the SPO grade comes first.
    spos = [a for a in auditors if a.grade in MANAGER_GRADES]
    pracs = [a for a in auditors if a.grade not in MANAGER_GRADES]
    mixed = [
        p
        for p in proposal.pairs
        if by_id[p.first_id].grade in MANAGER_GRADES and by_id[p.second_id].grade not in MANAGER_GRADES
    ]
    assert len(mixed) == min(expected_pairs, len(spos), len(pracs))
    assert sum("has no" in note for note in proposal.notes) == expected_pairs - len(mixed)
    # Within each grade group, nobody chosen has done more events than anyone left out.
    chosen = set(members)
    for group in (spos, pracs):
        picked = [a.events_last_12_months for a in group if a.user_id in chosen]
        passed_over = [a.events_last_12_months for a in group if a.user_id not in chosen]
        if picked and passed_over:
            assert max(picked) <= min(passed_over)


@PROPERTY
@given(events(), st.integers(), st.randoms(use_true_random=False))
def test_same_inputs_and_seed_give_the_same_proposal(event, seed, shuffler):
    auditors, cases = event
    auditors2, cases2 = list(auditors), list(cases)
    shuffler.shuffle(auditors2)
    shuffler.shuffle(cases2)
    assert propose_pairs(auditors, cases, seed) == propose_pairs(auditors2, cases2, seed)


@PROPERTY
@given(st.integers(2, 20), st.integers(1, 12), st.integers())
def test_loads_differ_by_at_most_one_when_nothing_gets_in_the_way(n_cases, n_auditors, seed):
    auditors = [spo(i) if i % 2 else po(i) for i in range(1, n_auditors + 1)]
    cases = [CaseToAudit(100 + i, holder_id=900 + i) for i in range(n_cases)]
    loads = [len(p.case_ids) for p in propose_pairs(auditors, cases, seed).pairs]
    if loads:
        assert max(loads) - min(loads) <= 1


# --------------------------------------------------------------------------- examples


def test_about_two_cases_per_pair_and_spo_with_practitioner():
    auditors = [spo(i) for i in range(1, 7)] + [po(i) for i in range(11, 17)]
    cases = [CaseToAudit(100 + i, holder_id=50 + i) for i in range(12)]
    proposal = propose_pairs(auditors, cases, seed=1)
    assert len(proposal.pairs) == 6
    assert all(len(p.case_ids) == 2 for p in proposal.pairs)
    assert all(p.first_id < 10 and p.second_id > 10 for p in proposal.pairs)
    assert proposal.notes == [] and proposal.problems == []


def test_practitioner_pairs_when_spo_grades_run_out():
    auditors = [spo(1)] + [po(i, grade=g) for i, g in zip(range(11, 16), PRACTITIONER_GRADES, strict=False)]
    cases = [CaseToAudit(100 + i, holder_id=50 + i) for i in range(6)]
    proposal = propose_pairs(auditors, cases, seed=3)
    assert len(proposal.pairs) == 3
    assert proposal.notes == [
        "Pair 2 has no SPO grade: not enough SPO grades available.",
        "Pair 3 has no SPO grade: not enough SPO grades available.",
    ]


def test_an_aco_counts_as_an_spo_grade():
    auditors = [Auditor(1, "Head of PDU", Grade.ACO), po(2)]
    proposal = propose_pairs(auditors, [CaseToAudit(100, holder_id=9)], seed=1)
    assert proposal.pairs[0].first_id == 1 and proposal.notes == []


def test_most_due_auditors_are_asked_first():
    auditors = [
        spo(1, events=2),
        spo(2, events=0),
        spo(3, events=1),
        po(11, events=2),
        po(12, events=0),
        po(13, events=1),
    ]
    cases = [CaseToAudit(100 + i, holder_id=50) for i in range(4)]
    proposal = propose_pairs(auditors, cases, seed=8)
    assert {(p.first_id, p.second_id) for p in proposal.pairs} == {(2, 12), (3, 13)}


def test_too_few_auditors_is_said_plainly_and_pairs_take_more_cases():
    auditors = [spo(1), po(11), spo(2), po(12), po(13)]
    cases = [CaseToAudit(100 + i, holder_id=50) for i in range(12)]
    proposal = propose_pairs(auditors, cases, seed=2)
    assert proposal.problems == [
        "Only 5 auditors are available: enough for 2 pairs, but 12 cases need 6 pairs at about 2 cases each. "
        "Each pair will have more cases."
    ]
    assert sorted(len(p.case_ids) for p in proposal.pairs) == [6, 6]


def test_no_pair_at_all():
    proposal = propose_pairs([spo(1)], [CaseToAudit(100, holder_id=50)], seed=2)
    assert proposal.pairs == [] and proposal.unassigned_case_ids == [100]
    assert proposal.problems == ["Not enough auditors to make a pair: 2 are needed and only 1 available."]


def test_a_case_held_by_the_only_pair_is_left_unassigned():
    auditors = [spo(1), po(11)]
    cases = [CaseToAudit(100, holder_id=11, case_ref="X100"), CaseToAudit(101, holder_id=50)]
    proposal = propose_pairs(auditors, cases, seed=4)
    assert proposal.pairs[0].case_ids == [101]
    assert proposal.unassigned_case_ids == [100]
    assert proposal.problems == ["Case X100 is left unassigned: every pair includes its case holder (PO 11)."]


def test_holders_audit_someone_elses_cases():
    auditors = [spo(1), po(11), spo(2), po(12)]
    cases = [
        CaseToAudit(100, holder_id=11),
        CaseToAudit(101, holder_id=11),
        CaseToAudit(102, holder_id=12),
        CaseToAudit(103, holder_id=12),
    ]
    for seed in range(10):
        proposal = propose_pairs(auditors, cases, seed)
        for pair in proposal.pairs:
            holders = {c.holder_id for c in cases if c.case_id in pair.case_ids}
            assert not holders & set(pair.member_ids)


def test_avoidable_supervision_conflict_is_avoided():
    # SPO 1 supervises PO 30, who holds cases 100 and 101; SPO 2 supervises nobody.
    auditors = [spo(1, supervises={30}), po(11), spo(2), po(12)]
    cases = [
        CaseToAudit(100, holder_id=30),
        CaseToAudit(101, holder_id=30),
        CaseToAudit(102, holder_id=40, holder_supervisor_id=2),
        CaseToAudit(103, holder_id=41),
    ]
    for seed in range(20):
        proposal = propose_pairs(auditors, cases, seed)
        by_pair = {p.first_id: set(p.case_ids) for p in proposal.pairs}
        assert by_pair[1] == {102, 103} and by_pair[2] == {100, 101}
        assert proposal.notes == []


def test_unavoidable_supervision_conflict_is_allowed_and_noted():
    auditors = [spo(1, supervises={30}), po(11)]
    proposal = propose_pairs(auditors, [CaseToAudit(100, holder_id=30, case_ref="X100")], seed=1)
    assert proposal.pairs[0].case_ids == [100]
    assert proposal.notes == [
        "Pair 1 audits case X100 although SPO 1 supervises its case holder: no other pair could take it."
    ]


def test_supervisor_recorded_on_the_case_also_counts():
    auditors = [spo(1), po(11), spo(2), po(12)]
    cases = [CaseToAudit(100 + i, holder_id=50 + i, holder_supervisor_id=1) for i in range(4)]
    proposal = propose_pairs(auditors, cases, seed=5)
    spo1_pair = next(p for p in proposal.pairs if 1 in p.member_ids)
    assert spo1_pair.case_ids == []
    assert any("between 0 and 4 cases" in note for note in proposal.notes)


def test_different_seeds_vary_the_proposal():
    auditors = [spo(i) for i in range(1, 6)] + [po(i) for i in range(11, 16)]
    cases = [CaseToAudit(100 + i, holder_id=50 + i) for i in range(10)]
    proposals = {repr(propose_pairs(auditors, cases, seed).pairs) for seed in range(5)}
    assert len(proposals) > 1


def test_check_assignment_catches_hand_edits():
    auditors = [spo(1, supervises={30}), po(11), spo(2), po(12)]
    cases = [
        CaseToAudit(100, holder_id=11),
        CaseToAudit(101, holder_id=30),
        CaseToAudit(102, holder_id=40),
        CaseToAudit(103, holder_id=41),
    ]
    pairs = [ProposedPair(1, 11, [100, 101]), ProposedPair(12, 12, [101, 999]), ProposedPair(2, 77, [])]
    errors, warnings = check_assignment(pairs, cases, auditors)
    assert "PO 11 would audit their own case 100." in errors
    assert "Pair 2 has PO 12 twice." in errors
    assert "Case 101 is given to more than one pair." in errors
    assert "Case 999 in pair 2 is not in this event's case list." in errors
    assert "Auditor 77 in pair 3 is not in the list of auditors." in errors
    assert "SPO 1 would audit case 101, held by someone they supervise." in warnings
    assert "Pair 2 has no SPO grade." in warnings
    assert "Case 102 has no pair." in warnings and "Case 103 has no pair." in warnings


def test_check_assignment_flags_someone_in_two_pairs():
    auditors = [spo(1), po(11), po(12)]
    errors, _ = check_assignment([ProposedPair(1, 11), ProposedPair(1, 12)], [], auditors)
    assert errors == ["SPO 1 is in more than one pair."]


def test_check_assignment_accepts_a_clean_assignment():
    auditors = [spo(1), po(11)]
    assert check_assignment([ProposedPair(1, 11, [100])], [CaseToAudit(100, holder_id=50)], auditors) == ([], [])


def test_duplicate_inputs_are_refused():
    with pytest.raises(ValueError):
        propose_pairs([spo(1), spo(1)], [], seed=1)
    with pytest.raises(ValueError):
        propose_pairs([spo(1), po(2)], [CaseToAudit(1, 5), CaseToAudit(1, 6)], seed=1)


def test_seeded_randomness_is_local():
    random.seed(0)
    before = random.random()
    random.seed(0)
    propose_pairs([spo(1), po(11), spo(2), po(12)], [CaseToAudit(100, holder_id=50)], seed=3)
    assert random.random() == before
