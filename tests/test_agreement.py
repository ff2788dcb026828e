"""Agreement between two raters, checked against scikit-learn (a test-only dependency)."""

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from qa.audits.agreement import cohens_kappa, exact_and_adjacent, percent_agreement, weighted_kappa
from tests.conftest import examples

ANSWERS = ["no", "partly", "yes"]


@st.composite
def rated_pairs(draw, max_labels=6, max_items=40):
    """Two raters' ratings of the same items, drawn from 1 to ``max_labels`` ordered labels."""
    k = draw(st.integers(min_value=1, max_value=max_labels))
    n = draw(st.integers(min_value=1, max_value=max_items))
    rating = st.integers(min_value=0, max_value=k - 1)
    a = draw(st.lists(rating, min_size=n, max_size=n))
    # Sometimes make the second rater a noisy copy, so high agreement is well covered.
    if draw(st.booleans()):
        b = [x if draw(st.booleans()) else draw(rating) for x in a]
    else:
        b = draw(st.lists(rating, min_size=n, max_size=n))
    return a, b, list(range(k))


def sklearn_kappa(a, b, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, **kwargs))


def assert_matches(ours, theirs):
    if math.isnan(theirs):
        assert ours is None  # scikit-learn's NaN is our "cannot be computed"
    else:
        assert ours is not None
        assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=examples(400), deadline=None)
@given(rated_pairs())
def test_unweighted_kappa_matches_sklearn(pair):
    a, b, _labels = pair
    assert_matches(cohens_kappa(a, b), sklearn_kappa(a, b))


@settings(max_examples=examples(300), deadline=None)
@given(rated_pairs())
def test_unweighted_kappa_with_labels_matches_sklearn(pair):
    a, b, labels = pair
    assert_matches(cohens_kappa(a, b, labels), sklearn_kappa(a, b, labels=labels))


@settings(max_examples=examples(400), deadline=None)
@given(rated_pairs(), st.sampled_from(["linear", "quadratic"]))
def test_weighted_kappa_matches_sklearn(pair, weights):
    a, b, labels = pair
    assert_matches(weighted_kappa(a, b, labels, weights), sklearn_kappa(a, b, labels=labels, weights=weights))


@settings(max_examples=examples(200), deadline=None)
@given(rated_pairs(max_labels=4))
def test_kappa_works_on_answer_words_as_well_as_numbers(pair):
    a, b, labels = pair
    words_a = [ANSWERS[min(x, 2)] for x in a]
    words_b = [ANSWERS[min(x, 2)] for x in b]
    assert_matches(
        weighted_kappa(words_a, words_b, ANSWERS),
        sklearn_kappa(words_a, words_b, labels=ANSWERS, weights="quadratic"),
    )
    assert_matches(cohens_kappa(words_a, words_b), sklearn_kappa(words_a, words_b))


def test_a_worked_example():
    a = ["yes", "yes", "no", "partly", "yes", "no"]
    b = ["yes", "partly", "no", "partly", "yes", "yes"]
    assert percent_agreement(a, b) == pytest.approx(4 / 6)
    # observed 4/6 = 0.667; chance = (3*3 + 1*2 + 2*1) / 36 = 13/36; kappa = (24/36 - 13/36) / (23/36) = 11/23
    assert cohens_kappa(a, b) == pytest.approx(11 / 23)
    assert exact_and_adjacent(a, b, ANSWERS) == (pytest.approx(4 / 6), pytest.approx(5 / 6))


def test_perfect_agreement_across_categories_is_one():
    a = ["yes", "no", "partly", "yes"]
    assert cohens_kappa(a, list(a)) == 1.0
    assert weighted_kappa(a, list(a), ANSWERS) == 1.0
    assert percent_agreement(a, list(a)) == 1.0


def test_kappa_cannot_be_computed_when_everyone_used_one_category():
    a = ["yes"] * 5
    assert percent_agreement(a, list(a)) == 1.0
    assert cohens_kappa(a, list(a)) is None
    assert cohens_kappa(a, list(a), labels=ANSWERS) is None
    assert weighted_kappa(a, list(a), ANSWERS) is None
    assert cohens_kappa(["yes"], ["yes"]) is None


def test_one_rater_constant_other_varied_gives_zero_not_none():
    a = ["yes", "yes", "yes", "yes"]
    b = ["yes", "no", "yes", "partly"]
    assert cohens_kappa(a, b) == 0.0
    assert weighted_kappa(a, b, ANSWERS) == 0.0


def test_empty_input_is_none_everywhere():
    assert percent_agreement([], []) is None
    assert cohens_kappa([], []) is None
    assert weighted_kappa([], [], ANSWERS) is None
    assert exact_and_adjacent([], [], ANSWERS) is None


def test_exact_and_adjacent_uses_label_order():
    a = [2, 2, 2, 2]
    b = [1, 2, 3, 4]
    assert exact_and_adjacent(a, b, [1, 2, 3, 4]) == (0.25, 0.75)
    # The same ratings on a different order of labels give a different adjacency.
    assert exact_and_adjacent(a, b, [2, 1, 3, 4]) == (0.25, 0.5)


@pytest.mark.parametrize(
    "call",
    [
        lambda: percent_agreement([1, 2], [1]),
        lambda: cohens_kappa([1, 2], [1]),
        lambda: weighted_kappa([1], [2], [1, 2], weights="cubic"),
        lambda: weighted_kappa([1], [3], [1, 2]),
        lambda: exact_and_adjacent([1], [3], [1, 2]),
        lambda: cohens_kappa([1], [1], labels=[1, 1]),
    ],
)
def test_misuse_is_a_clear_error(call):
    with pytest.raises(ValueError):
        call()
