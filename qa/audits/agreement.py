"""How far two raters agree: for moderating audits now, and calibrating observations later.

Pure functions on two equal-length sequences of ratings, ``a`` and ``b``, where
``a[i]`` and ``b[i]`` are the two raters' answers to the same item.

*Cannot be computed* is ``None``, never NaN:

- every function returns ``None`` for empty input;
- a kappa is ``None`` when the agreement expected by chance is already total,
  so there is no room to agree beyond chance. This happens when both raters
  used one and the same category for every item (including a single item).
  scikit-learn's ``cohen_kappa_score`` returns NaN (with a warning) in exactly
  these cases. Show percent agreement instead.

The kappas follow scikit-learn's definitions: ``1 - sum(w * observed) /
sum(w * expected)``, where ``expected`` is the outer product of the two raters'
label counts divided by the number of items, and ``w`` is 0 on the diagonal and
1 elsewhere (unweighted), ``|i - j|`` (linear) or ``(i - j) ** 2`` (quadratic).
The sums are done in whole numbers and fractions, so the result is exact up to
the final conversion to ``float``.

Unlike scikit-learn, a rating that is not in ``labels`` is an error rather than
being silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from fractions import Fraction
from typing import Literal

Weights = Literal["linear", "quadratic"]


def _check_pair(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"The two raters must rate the same items: got {len(a)} and {len(b)} ratings.")


def _index(a: Sequence, b: Sequence, labels: Sequence[Hashable] | None) -> tuple[list[int], list[int], int]:
    if labels is None:
        seen = list(dict.fromkeys([*a, *b]))
        try:
            labels = sorted(seen)
        except TypeError:  # labels of mixed types: order does not matter for unweighted kappa
            labels = seen
    position: dict[Hashable, int] = {}
    for i, label in enumerate(labels):
        if label in position:
            raise ValueError(f"The label {label!r} is listed twice.")
        position[label] = i
    unknown = [x for x in (*a, *b) if x not in position]
    if unknown:
        raise ValueError(f"The rating {unknown[0]!r} is not one of the labels {list(labels)!r}.")
    return [position[x] for x in a], [position[x] for x in b], len(labels)


def _kappa(
    a: Sequence, b: Sequence, labels: Sequence[Hashable] | None, weight: Callable[[int, int], int]
) -> float | None:
    _check_pair(a, b)
    if not a:
        return None
    ia, ib, k = _index(a, b, labels)
    n = len(ia)
    rows = Counter(ia)
    cols = Counter(ib)
    observed = sum(weight(i, j) for i, j in zip(ia, ib, strict=True))
    # sum(w * expected) * n, kept in whole numbers.
    expected_n = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if expected_n == 0:
        return None
    return float(1 - Fraction(observed * n, expected_n))


def percent_agreement(a: Sequence, b: Sequence) -> float | None:
    """The share of items (0 to 1) on which the raters gave the same rating; None if there are none."""
    _check_pair(a, b)
    if not a:
        return None
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohens_kappa(a: Sequence, b: Sequence, labels: Sequence[Hashable] | None = None) -> float | None:
    """Cohen's kappa, unweighted: agreement beyond chance, from -1 to 1.

    ``labels`` defaults to every rating either rater used. None when it cannot
    be computed (see the module notes).
    """
    return _kappa(a, b, labels, lambda i, j: int(i != j))


def weighted_kappa(
    a: Sequence, b: Sequence, labels: Sequence[Hashable], weights: Weights = "quadratic"
) -> float | None:
    """Weighted kappa for ordered ratings: a near miss counts against agreement less than a far one.

    ``labels`` lists every rating in order, e.g. ``["no", "partly", "yes"]``.
    ``weights`` is "quadratic" (the usual choice) or "linear". None when it
    cannot be computed (see the module notes).
    """
    if weights == "quadratic":
        return _kappa(a, b, labels, lambda i, j: (i - j) ** 2)
    if weights == "linear":
        return _kappa(a, b, labels, lambda i, j: abs(i - j))
    raise ValueError(f"weights must be 'linear' or 'quadratic', not {weights!r}.")


def exact_and_adjacent(a: Sequence, b: Sequence, labels: Sequence[Hashable]) -> tuple[float, float] | None:
    """(share exactly the same, share no more than one step apart) on the ordered ``labels``.

    None if there are no items.
    """
    _check_pair(a, b)
    if not a:
        return None
    ia, ib, _k = _index(a, b, labels)
    n = len(ia)
    exact = sum(i == j for i, j in zip(ia, ib, strict=True))
    adjacent = sum(abs(i - j) <= 1 for i, j in zip(ia, ib, strict=True))
    return exact / n, adjacent / n
