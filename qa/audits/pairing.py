"""Proposing LEARN auditor pairs and sharing the sampled cases between them.

LEARN pairs an SPO grade with a practitioner grade, and each pair works on
about two cases in the day. Auditors attend about two events a year, so the
people who have audited least recently are asked first.

Rules for sharing cases, strongest first:

1. Hard: nobody audits a case they hold. A case that breaks this in every pair
   is left unassigned and reported as a problem.
2. Soft: nobody audits a case held by someone they supervise, unless every
   pair that could take the case has that conflict; then it is allowed and
   noted, naming the pair and case.
3. Balance: loads as even as the first two rules allow.

Pure module: dataclasses in and out; the only randomness is
``random.Random(seed)`` applied to lists already sorted by id.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from db.organisation import MANAGER_GRADES, Grade


@dataclass(frozen=True)
class Auditor:
    user_id: int
    name: str
    grade: Grade
    #: People this auditor supervises.
    supervisee_ids: frozenset[int] = frozenset()
    events_last_12_months: int = 0

    @property
    def is_spo_grade(self) -> bool:
        return self.grade in MANAGER_GRADES


@dataclass(frozen=True)
class CaseToAudit:
    case_id: int
    holder_id: int
    holder_supervisor_id: int | None = None
    #: Optional, only used to make messages readable.
    case_ref: str | None = None


@dataclass
class ProposedPair:
    first_id: int  # the SPO grade, when the pair has one
    second_id: int
    case_ids: list[int] = field(default_factory=list)

    @property
    def member_ids(self) -> tuple[int, int]:
        return (self.first_id, self.second_id)


@dataclass
class PairingProposal:
    pairs: list[ProposedPair]
    unassigned_case_ids: list[int]
    notes: list[str]
    problems: list[str]


# ------------------------------------------------------------------ rules


def holds(auditor_id: int, case: CaseToAudit) -> bool:
    return case.holder_id == auditor_id


def supervises_holder(auditor: Auditor, case: CaseToAudit) -> bool:
    return case.holder_id in auditor.supervisee_ids or case.holder_supervisor_id == auditor.user_id


def _case_label(case: CaseToAudit, *, start: bool = False) -> str:
    return f"{'Case' if start else 'case'} {case.case_ref or case.case_id}"


def _names(people: Sequence[Auditor]) -> str:
    return " and ".join(p.name for p in people)


# ------------------------------------------------------------------ choosing pairs


def _most_due(people: list[Auditor], rng: random.Random) -> list[Auditor]:
    """Fewest events in the last year first; a seeded shuffle breaks ties (sort is stable)."""
    people = sorted(people, key=lambda a: a.user_id)
    rng.shuffle(people)
    return sorted(people, key=lambda a: a.events_last_12_months)


def _make_pairs(auditors: list[Auditor], n_pairs: int, rng: random.Random) -> tuple[list[ProposedPair], list[str]]:
    """SPO grade + practitioner grade pairs first; same-grade pairs only when one kind runs out.

    "Most due first" applies within each grade group: passing over a due
    practitioner for a less due SPO keeps the LEARN pairing.
    """
    spos = _most_due([a for a in auditors if a.is_spo_grade], rng)
    pracs = _most_due([a for a in auditors if not a.is_spo_grade], rng)
    mixed = min(n_pairs, len(spos), len(pracs))
    pairs = [ProposedPair(spos[i].user_id, pracs[i].user_id) for i in range(mixed)]
    # Whichever group still has people makes up the remaining pairs.
    rest, missing = (spos[mixed:], "practitioner") if len(spos) > mixed else (pracs[mixed:], "SPO")
    notes = []
    for i in range(n_pairs - mixed):
        pairs.append(ProposedPair(rest[2 * i].user_id, rest[2 * i + 1].user_id))
        notes.append(f"Pair {len(pairs)} has no {missing} grade: not enough {missing} grades available.")
    return pairs, notes


# ------------------------------------------------------------------ sharing cases


def _min_cost_assignment(options: list[list[tuple[int, int]]], n_pairs: int) -> list[int | None]:
    """Give each case one of its allowed pairs at least total cost.

    ``options[c]`` lists ``(pair, cost)``. A pair's k-th case adds cost k, which
    is convex, so the cheapest answer spreads cases as evenly as it can.
    Solved as a min-cost flow by successive shortest paths (sizes are tiny).
    """
    n = len(options)
    source, sink = n + n_pairs, n + n_pairs + 1
    graph: list[list[list[int]]] = [[] for _ in range(n + n_pairs + 2)]  # edge: [to, capacity, cost, reverse index]

    def add(u: int, v: int, cost: int) -> None:
        graph[u].append([v, 1, cost, len(graph[v])])
        graph[v].append([u, 0, -cost, len(graph[u]) - 1])

    for c, allowed in enumerate(options):
        add(source, c, 0)
        for p, cost in allowed:
            add(c, n + p, cost)
    for p in range(n_pairs):
        for k in range(n):
            add(n + p, sink, k)

    while True:  # Bellman-Ford (queue form): residual edges have negative costs
        dist = [math.inf] * len(graph)
        back: list[tuple[int, int] | None] = [None] * len(graph)
        dist[source] = 0
        queue, queued = deque([source]), {source}
        while queue:
            u = queue.popleft()
            queued.discard(u)
            for i, (v, cap, cost, _) in enumerate(graph[u]):
                if cap and dist[u] + cost < dist[v]:
                    dist[v], back[v] = dist[u] + cost, (u, i)
                    if v not in queued:
                        queued.add(v)
                        queue.append(v)
        if dist[sink] == math.inf:
            break
        v = sink
        while v != source:
            step = back[v]
            assert step is not None, "every node on the path just found has the edge that reached it"
            u, i = step
            edge = graph[u][i]
            edge[1] -= 1
            graph[v][edge[3]][1] += 1
            v = u

    return [next((v - n for v, cap, _, _ in graph[c] if n <= v < n + n_pairs and cap == 0), None) for c in range(n)]


def propose_pairs(auditors: Iterable[Auditor], cases: Iterable[CaseToAudit], seed: int) -> PairingProposal:
    """Propose pairs (about 2 cases each) and share the cases between them."""
    auditors = sorted(auditors, key=lambda a: a.user_id)
    cases = sorted(cases, key=lambda c: c.case_id)
    if len({a.user_id for a in auditors}) != len(auditors):
        raise ValueError("Each auditor may appear only once.")
    if len({c.case_id for c in cases}) != len(cases):
        raise ValueError("Each case may appear only once.")
    rng = random.Random(seed)
    by_id = {a.user_id: a for a in auditors}

    wanted, possible = math.ceil(len(cases) / 2), len(auditors) // 2
    problems = []
    if wanted > possible:
        if possible == 0:
            problems.append(f"Not enough auditors to make a pair: 2 are needed and only {len(auditors)} available.")
        else:
            problems.append(
                f"Only {len(auditors)} auditors are available: enough for {possible} pairs, but {len(cases)} cases need "
                f"{wanted} pairs at about 2 cases each. Each pair will have more cases."
            )
    pairs, notes = _make_pairs(auditors, min(wanted, possible), rng)

    order = list(cases)
    rng.shuffle(order)  # which pair gets which case, among equally good answers
    soft_cost = len(order) ** 2 + 1  # beats any balance gain, so conflicts are avoided first
    options = []
    for case in order:
        allowed = []
        for p, pair in enumerate(pairs):
            if case.holder_id in pair.member_ids:
                continue
            conflicted = any(supervises_holder(by_id[m], case) for m in pair.member_ids)
            allowed.append((p, soft_cost if conflicted else 0))
        options.append(allowed)
    pair_of = dict(zip((c.case_id for c in order), _min_cost_assignment(options, len(pairs)), strict=True))

    unassigned: list[int] = []
    for case in cases:  # case-id order, so messages read in a stable order
        given = pair_of[case.case_id]
        if given is None:
            unassigned.append(case.case_id)
            if pairs:  # with no pairs at all, the shortage problem above already says why
                holder = by_id.get(case.holder_id)
                who = f" ({holder.name})" if holder else ""
                problems.append(
                    f"{_case_label(case, start=True)} is left unassigned: every pair includes its case holder{who}."
                )
            continue
        pairs[given].case_ids.append(case.case_id)
        supervisors = [by_id[m] for m in pairs[given].member_ids if supervises_holder(by_id[m], case)]
        if supervisors:
            verb = "supervises" if len(supervisors) == 1 else "supervise"
            notes.append(
                f"Pair {given + 1} audits {_case_label(case)} although {_names(supervisors)} {verb} its case holder: "
                "no other pair could take it."
            )
    loads = [len(pair.case_ids) for pair in pairs]
    if loads and max(loads) - min(loads) > 1:
        notes.append(
            f"Pairs have between {min(loads)} and {max(loads)} cases: the spread keeps people from auditing "
            "their own cases or cases held by people they supervise."
        )
    return PairingProposal(pairs=pairs, unassigned_case_ids=unassigned, notes=notes, problems=problems)


# ------------------------------------------------------------------ checking a hand-edited assignment


def check_assignment(
    pairs: Iterable[ProposedPair], cases: Iterable[CaseToAudit], auditors: Iterable[Auditor]
) -> tuple[list[str], list[str]]:
    """Check an assignment, perhaps edited by hand. Returns ``(errors, warnings)``.

    Errors break the hard rule or make no sense (unknown people or cases,
    someone in two pairs, a case given twice). Warnings are the soft rule,
    unassigned cases and pairs without an SPO grade.
    """
    pairs = list(pairs)
    case_by_id = {c.case_id: c for c in cases}
    by_id = {a.user_id: a for a in auditors}
    errors: list[str] = []
    warnings: list[str] = []

    def name(user_id: int) -> str:
        return by_id[user_id].name if user_id in by_id else f"Auditor {user_id}"

    seen_people: set[int] = set()
    seen_cases: set[int] = set()
    for number, pair in enumerate(pairs, start=1):
        members = pair.member_ids
        if members[0] == members[1]:
            errors.append(f"Pair {number} has {name(members[0])} twice.")
        for m in dict.fromkeys(members):
            if m not in by_id:
                errors.append(f"Auditor {m} in pair {number} is not in the list of auditors.")
            elif m in seen_people:
                errors.append(f"{name(m)} is in more than one pair.")
            seen_people.add(m)
        if all(m in by_id for m in members) and not any(by_id[m].is_spo_grade for m in members):
            warnings.append(f"Pair {number} has no SPO grade.")
        for case_id in pair.case_ids:
            case = case_by_id.get(case_id)
            if case is None:
                errors.append(f"Case {case_id} in pair {number} is not in this event's case list.")
                continue
            if case_id in seen_cases:
                errors.append(f"{_case_label(case, start=True)} is given to more than one pair.")
            seen_cases.add(case_id)
            for m in dict.fromkeys(members):
                if holds(m, case):
                    errors.append(f"{name(m)} would audit their own {_case_label(case)}.")
                elif m in by_id and supervises_holder(by_id[m], case):
                    warnings.append(f"{name(m)} would audit {_case_label(case)}, held by someone they supervise.")
    for case_id in sorted(set(case_by_id) - seen_cases):
        warnings.append(f"{_case_label(case_by_id[case_id], start=True)} has no pair.")
    return errors, warnings


__all__ = [
    "Auditor",
    "CaseToAudit",
    "ProposedPair",
    "PairingProposal",
    "holds",
    "supervises_holder",
    "propose_pairs",
    "check_assignment",
]
