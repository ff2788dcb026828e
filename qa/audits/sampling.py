"""The LEARN case-sampling rule: documented, random and reproducible.

LEARN audits 12–20 cases per event. They are chosen at random from cases at
least six months into the order or licence, mixing order types, mostly medium
and high RoSH, leaving out cases in custody and stand-alone Community Payback
(sampled separately). Cases audited in the last year are held back unless they
are needed to make up the numbers.

This module is pure: plain dataclasses in and out, no database, no UI. The only
randomness is ``random.Random(seed)``, and every collection is put into case-id
order before it is shuffled, so the same cases and the same seed give the same
sample whatever order the cases arrive in.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from db.organisation import OrderType, RoshLevel

SAMPLE_MIN = 12
SAMPLE_MAX = 20


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    case_ref: str
    order_type: OrderType
    start_date: date
    rosh: RoshLevel
    in_custody: bool
    expected_end_date: date | None = None
    #: The most recent event date on which this case was in a sample.
    last_audited: date | None = None


@dataclass(frozen=True)
class SampleRules:
    size: int
    low_risk_share: float = 0.2
    min_months: int = 6
    recent_months: int = 12

    def __post_init__(self) -> None:
        if not SAMPLE_MIN <= self.size <= SAMPLE_MAX:
            raise ValueError(f"A LEARN sample has {SAMPLE_MIN} to {SAMPLE_MAX} cases; {self.size} was asked for.")
        if not 0 <= self.low_risk_share <= 0.5:
            raise ValueError("The low RoSH share must be between 0 and 0.5 (half the sample).")
        if self.min_months < 0 or self.recent_months < 0:
            raise ValueError("Month limits cannot be negative.")


@dataclass(frozen=True)
class SampledCase:
    case_id: int
    case_ref: str
    reason: str


@dataclass(frozen=True)
class ExcludedCase:
    case_id: int
    case_ref: str
    reason: str


@dataclass(frozen=True)
class SampleProposal:
    selected: list[SampledCase]
    excluded: list[ExcludedCase]
    eligible_count: int
    shortfall_message: str | None
    size_requested: int


# ------------------------------------------------------------------ dates


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to month end: 31 Aug + 6 months = 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, on: date) -> int:
    """Whole calendar months from ``start`` to ``on`` (the largest m with start + m months <= on)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    # add_months rises with m, so one step back is enough when the day has not come yet.
    return months - 1 if add_months(start, months) > on else months


def low_cap(share: float, n: int) -> int:
    """Most low-RoSH cases allowed in a sample of ``n``. The epsilon stops
    float noise (0.29 * 100 = 28.999…) costing a whole case."""
    return math.floor(share * n + 1e-9)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ------------------------------------------------------------------ eligibility


def ineligible_reason(case: CaseFacts, rules: SampleRules, event_date: date) -> str | None:
    """Why a case cannot be sampled at all, or None if it can."""
    if case.order_type == OrderType.CP:
        return "Stand-alone Community Payback: sampled separately."
    if case.in_custody:
        return "In custody."
    if case.start_date > event_date:
        return f"Starts on {case.start_date.isoformat()}, after the event date."
    if case.expected_end_date is not None and case.expected_end_date < event_date:
        return f"Order ended on {case.expected_end_date.isoformat()}."
    months = months_between(case.start_date, event_date)
    if months < rules.min_months:
        return f"Only {_plural(months, 'month')} into the order (at least {rules.min_months} needed)."
    return None


def recently_audited(case: CaseFacts, rules: SampleRules, event_date: date) -> bool:
    """Audited within ``recent_months`` before the event (mirrors the six-month rule's month arithmetic)."""
    return case.last_audited is not None and add_months(case.last_audited, rules.recent_months) > event_date


def _is_low(case: CaseFacts) -> bool:
    return case.rosh == RoshLevel.LOW


def _low_budget(non_low: int, low: int, size: int, share: float) -> int:
    """How many low-RoSH cases the sample may take.

    First find the largest sample reachable when lows must stay within the
    share of the sample *actually chosen*; then allow the share of that. If the
    sample comes up short, every non-low case was taken, so the lows taken
    (all of this budget) still fit the share of the final size.
    """
    sizes = ((n_low, min(size, non_low + n_low)) for n_low in range(min(low, size) + 1))
    reachable = max(n for n_low, n in sizes if n_low <= low_cap(share, n))
    return min(low, low_cap(share, reachable))


# ------------------------------------------------------------------ selection


def _round_robin(
    pool: list[CaseFacts],
    rng: random.Random,
    slots: int,
    lows_left: int,
    represented: frozenset[OrderType] = frozenset(),
) -> list[CaseFacts]:
    """Take one case from each order type in turn, skipping lows once the budget is spent.

    Queues are put in case-id order before shuffling so input order never matters.
    """
    queues: dict[OrderType, list[CaseFacts]] = {}
    for order_type in OrderType:  # enum order: fixed, so the rng is used in a fixed sequence
        queue = sorted((c for c in pool if c.order_type == order_type), key=lambda c: c.case_id)
        rng.shuffle(queue)
        if queue:
            queues[order_type] = queue
    types = list(queues)
    rng.shuffle(types)
    types.sort(key=lambda t: t in represented)  # stable sort: types not yet in the sample go first
    chosen: list[CaseFacts] = []
    while len(chosen) < slots and queues:
        for order_type in types:
            waiting = queues.get(order_type)
            if not waiting or len(chosen) >= slots:
                continue
            pick = next((c for c in waiting if lows_left > 0 or not _is_low(c)), None)
            if pick is None:  # only lows left in this type, and no room for lows
                del queues[order_type]
                continue
            waiting.remove(pick)
            lows_left -= _is_low(pick)
            chosen.append(pick)
            if not waiting:
                del queues[order_type]
    return chosen


def _chosen_reason(case: CaseFacts, event_date: date, rules: SampleRules, recent: bool) -> str:
    months = months_between(case.start_date, event_date)
    into = "the licence" if case.order_type == OrderType.LICENCE else "the order"
    audited = (
        f"audited on {case.last_audited.isoformat()}, but needed because there were not enough other eligible cases."
        if recent and case.last_audited is not None  # a recent case always has its date
        else f"not audited in the last {rules.recent_months} months."
    )
    facts = f"{case.order_type.value}, {case.rosh.value} RoSH, {_plural(months, 'month')} into {into}"
    return f"{facts}; not in custody; {audited}"


def propose_sample(cases: Iterable[CaseFacts], rules: SampleRules, event_date: date, seed: int) -> SampleProposal:
    """Propose a LEARN sample. Every input case appears once, in ``selected`` or ``excluded``."""
    cases = sorted(cases, key=lambda c: c.case_id)
    if len({c.case_id for c in cases}) != len(cases):
        raise ValueError("Each case may appear only once.")
    rng = random.Random(seed)

    reasons = {c.case_id: ineligible_reason(c, rules, event_date) for c in cases}
    eligible = [c for c in cases if reasons[c.case_id] is None]
    fresh = [c for c in eligible if not recently_audited(c, rules, event_date)]
    recent = [c for c in eligible if recently_audited(c, rules, event_date)]

    n_low = sum(map(_is_low, eligible))
    budget = _low_budget(len(eligible) - n_low, n_low, rules.size, rules.low_risk_share)

    # Recently audited cases are a second pool, drawn on only if fresh ones run out.
    chosen = _round_robin(fresh, rng, rules.size, budget)
    used_recent = len(chosen) < rules.size
    if used_recent:
        lows_left = budget - sum(map(_is_low, chosen))
        represented = frozenset(c.order_type for c in chosen)
        chosen += _round_robin(recent, rng, rules.size - len(chosen), lows_left, represented)

    chosen_ids = {c.case_id for c in chosen}
    lows_taken = sum(map(_is_low, chosen))
    recent_ids = {c.case_id for c in recent}
    selected, excluded = [], []
    for case in cases:  # case-id order
        is_recent = case.case_id in recent_ids
        if case.case_id in chosen_ids:
            selected.append(
                SampledCase(case.case_id, case.case_ref, _chosen_reason(case, event_date, rules, is_recent))
            )
            continue
        reason = reasons[case.case_id]
        if reason is None and is_recent and not used_recent and case.last_audited is not None:  # recent: dated
            reason = f"Audited on {case.last_audited.isoformat()}, within the last {rules.recent_months} months."
        elif reason is None and _is_low(case) and lows_taken >= budget:
            reason = f"Not chosen: low RoSH share already at its limit of {budget}."
        elif reason is None:
            reason = "Not chosen at random this time."
        excluded.append(ExcludedCase(case.case_id, case.case_ref, reason))

    return SampleProposal(
        selected=selected,
        excluded=excluded,
        eligible_count=len(eligible),
        shortfall_message=_shortfall(len(eligible), len(selected), budget, rules),
        size_requested=rules.size,
    )


def _shortfall(eligible: int, chosen: int, budget: int, rules: SampleRules) -> str | None:
    parts = []
    if eligible < SAMPLE_MIN:
        verb = "case is" if eligible == 1 else "cases are"
        parts.append(f"Only {eligible} {verb} eligible for this event; a LEARN sample needs at least {SAMPLE_MIN}.")
    elif eligible < rules.size:
        parts.append(f"Only {eligible} cases are eligible for this event, fewer than the {rules.size} asked for.")
    if chosen < min(eligible, rules.size):
        parts.append(
            f"Only {chosen} can be proposed: too many eligible cases are low RoSH, and at most "
            f"{_plural(budget, 'low RoSH case')} may be included to keep the sample mostly medium and high RoSH."
        )
    return " ".join(parts) or None


def replacement_candidates(
    cases: Iterable[CaseFacts],
    rules: SampleRules,
    event_date: date,
    already_selected_ids: Iterable[int],
    *,
    exclude_ids: Iterable[int] = (),
) -> list[CaseFacts]:
    """Cases that could join the sample for the "swap a case" feature.

    ``already_selected_ids`` are the cases staying in the sample (leave out the
    one being swapped out, or pass it in ``exclude_ids`` so it is not offered
    back). A low-RoSH candidate is offered only if the sample would still keep
    within the low share once it joins. Fresh cases come before recently
    audited ones; within each, case-id order.
    """
    cases = sorted(cases, key=lambda c: c.case_id)
    staying = set(already_selected_ids)
    skip = staying | set(exclude_ids)
    lows_staying = sum(1 for c in cases if c.case_id in staying and _is_low(c))
    low_fits = lows_staying + 1 <= low_cap(rules.low_risk_share, len(staying) + 1)
    candidates = [
        c
        for c in cases
        if c.case_id not in skip and ineligible_reason(c, rules, event_date) is None and (low_fits or not _is_low(c))
    ]
    return sorted(candidates, key=lambda c: (recently_audited(c, rules, event_date), c.case_id))


def explain_rules(rules: SampleRules) -> list[str]:
    """The rule in plain sentences, for the page that shows a proposed sample."""
    cap = low_cap(rules.low_risk_share, rules.size)
    percent = round(rules.low_risk_share * 100)
    return [
        f"Each event audits {rules.size} cases (LEARN asks for {SAMPLE_MIN} to {SAMPLE_MAX}).",
        f"A case can be chosen only once it is at least {rules.min_months} calendar months into its order "
        "or licence on the event date.",
        "Cases currently in custody are left out.",
        "Stand-alone Community Payback cases are left out: they are sampled separately.",
        "Cases that have ended, or that start after the event date, are left out.",
        f"The sample is mostly medium, high and very high RoSH: at most {percent}% of the chosen cases "
        f"may be low RoSH ({_plural(cap, 'case')} in a sample of {rules.size}).",
        "Order types are mixed: the sample takes one case from each order type in turn, so every order type "
        "with an eligible case is included where the other rules allow.",
        f"Cases audited in the last {rules.recent_months} months are used only when there are not enough "
        "other eligible cases.",
        "Cases are chosen at random, using a stored seed, so the same cases and the same seed always give the same sample.",
    ]


__all__ = [
    "SAMPLE_MIN",
    "SAMPLE_MAX",
    "CaseFacts",
    "SampleRules",
    "SampledCase",
    "ExcludedCase",
    "SampleProposal",
    "add_months",
    "months_between",
    "low_cap",
    "ineligible_reason",
    "recently_audited",
    "propose_sample",
    "replacement_candidates",
    "explain_rules",
]
