"""LEARN audit events: create an event, propose and adjust its sample, accept it,
and propose and adjust the auditor pairs.

The sample rule itself lives in qa/audits/sampling.py and the pairing rule in
qa/audits/pairing.py; this module feeds them from the database and records every
human override (swaps, pair changes) with its reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.audits import (
    SAMPLE_MAX,
    SAMPLE_MIN,
    AuditEvent,
    AuditEventCreate,
    AuditorPair,
    AuditStatus,
    CaseAudit,
    CaseSample,
    EventStatus,
    PairChange,
    SampleSwap,
    SampleSwapCreate,
    override_reason_problem,
)
from db.engine import session_scope
from db.ids import id_of
from db.organisation import Case, OrderType, Pdu, RoshLevel, Team, User, utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, can, require
from qa.audits import instrument
from qa.audits.pairing import Auditor, CaseToAudit, ProposedPair, check_assignment, propose_pairs
from qa.audits.sampling import CaseFacts, SampleRules, explain_rules, propose_sample, replacement_candidates
from qa.errors import NotFound, ValidationFailed
from qa.lookup import get_required
from qa.notifications.notify import notify
from qa.organisation.directory import names_by_id
from qa.records import RecordKind, RecordRef

# ----------------------------------------------------------------------- views


@dataclass(frozen=True)
class EventSummary:
    id: int
    pdu_id: int
    pdu_name: str
    event_date: date
    status: str
    sample_size: int
    cases_in_sample: int


@dataclass(frozen=True)
class SampleRow:
    sample_id: int
    case_id: int
    case_ref: str
    order_type: str
    rosh: str
    team_name: str
    holder_name: str
    reason: str


@dataclass(frozen=True)
class ExcludedRow:
    case_id: int
    case_ref: str
    reason: str


@dataclass(frozen=True)
class SwapRow:
    removed_ref: str
    added_ref: str
    reason: str
    by_name: str
    at: object


@dataclass
class SampleView:
    event: EventSummary
    low_risk_share: float
    seed: int
    rules: list[str]
    selected: list[SampleRow]
    excluded: list[ExcludedRow]
    eligible_count: int
    shortfall_message: str | None
    swaps: list[SwapRow]
    can_accept: bool
    accept_blocker: str | None


@dataclass(frozen=True)
class PairCase:
    sample_id: int
    case_ref: str
    holder_name: str
    audit_id: int | None
    audit_status: str | None


@dataclass
class PairRow:
    pair_id: int
    first_id: int
    first_name: str
    first_grade: str
    second_id: int
    second_name: str
    second_grade: str
    cases: list[PairCase] = field(default_factory=list)


@dataclass
class PairsView:
    event: EventSummary
    pairs: list[PairRow]
    unassigned: list[PairCase]
    errors: list[str]
    warnings: list[str]
    overrides: list[str]


# ------------------------------------------------------------------ internals


def _event(session: Session, event_id: int) -> AuditEvent:
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound("That audit event could not be found.")
    return event


def _require_event(session: Session, actor: Actor, event_id: int) -> AuditEvent:
    event = _event(session, event_id)
    require(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(event.pdu_id))
    return event


def _summary(session: Session, event: AuditEvent) -> EventSummary:
    pdu = session.get(Pdu, event.pdu_id)
    count = session.exec(select(func.count()).select_from(CaseSample).where(CaseSample.event_id == event.id)).one()
    return EventSummary(
        id_of(event), event.pdu_id, pdu.name if pdu else "", event.event_date, event.status, event.sample_size, count
    )


def _rules(event: AuditEvent) -> SampleRules:
    return SampleRules(size=event.sample_size, low_risk_share=event.low_risk_share)


def case_facts(session: Session, pdu_id: int, event_date: date, exclude_event_id: int | None = None) -> list[CaseFacts]:
    """The PDU's case pool, each with the date it was last in an accepted sample."""
    last_audited = dict(
        session.exec(
            select(CaseSample.case_id, func.max(AuditEvent.event_date))
            .join(AuditEvent, col(CaseSample.event_id) == col(AuditEvent.id))
            .where(
                AuditEvent.status != EventStatus.PLANNING,
                AuditEvent.event_date <= event_date,
                AuditEvent.id != (exclude_event_id or -1),
            )
            .group_by(col(CaseSample.case_id))
        ).all()
    )
    cases = session.exec(select(Case).where(col(Case.pdu_id) == pdu_id).order_by(col(Case.id)))
    return [
        CaseFacts(
            case_id=id_of(c),
            case_ref=c.case_ref,
            order_type=OrderType(c.order_type),  # the table hands back plain strings
            start_date=c.start_date,
            rosh=RoshLevel(c.rosh),
            in_custody=c.in_custody,
            expected_end_date=c.expected_end_date,
            last_audited=last_audited.get(id_of(c)),
        )
        for c in cases
    ]


def save_proposed_sample(session: Session, event: AuditEvent) -> None:
    """Store the sample the documented rule proposes for a new event (before anyone accepts it)."""
    proposal = propose_sample(
        case_facts(session, event.pdu_id, event.event_date, event.id), _rules(event), event.event_date, event.seed
    )
    for position, chosen in enumerate(proposal.selected, start=1):
        session.add(
            CaseSample(event_id=id_of(event), case_id=chosen.case_id, position=position, reason=chosen.reason[:500])
        )


# -------------------------------------------------------------------- events


def list_events(actor: Actor) -> list[EventSummary]:
    with session_scope() as session:
        query = select(AuditEvent).order_by(col(AuditEvent.event_date).desc())
        events = [e for e in session.exec(query) if _can_manage(actor, e.pdu_id)]
        return [_summary(session, e) for e in events]


def _can_manage(actor: Actor, pdu_id: int) -> bool:
    return can(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(pdu_id))


def create_event(actor: Actor, data: AuditEventCreate) -> EventSummary:
    """Create a LEARN day for a PDU and store its proposed sample."""
    require(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(data.pdu_id))
    with session_scope() as session:
        if session.get(Pdu, data.pdu_id) is None:
            raise ValidationFailed({"pdu_id": "Choose a PDU that exists."})
        clash = session.exec(
            select(AuditEvent).where(AuditEvent.pdu_id == data.pdu_id, AuditEvent.event_date == data.event_date)
        ).first()
        if clash is not None:
            raise ValidationFailed({"event_date": "This PDU already has an audit event on that date."})
        instrument.ensure_builtin(session)
        current, _definition = instrument.latest(session)
        event = AuditEvent(
            **data.model_dump(),
            seed=secrets.randbelow(2**31 - 1),
            instrument_id=id_of(current),
            created_by_id=actor.id,
        )
        session.add(event)
        session.flush()
        save_proposed_sample(session, event)
        trail.record(
            session, actor, "created", "audit_event", event.id, f"{data.event_date}, sample size {data.sample_size}"
        )
        session.flush()
        return _summary(session, event)


def event_summary(actor: Actor, event_id: int) -> EventSummary:
    with session_scope() as session:
        return _summary(session, _require_event(session, actor, event_id))


# --------------------------------------------------------------------- sample


def sample_view(actor: Actor, event_id: int) -> SampleView:
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        facts = case_facts(session, event.pdu_id, event.event_date, event.id)
        proposal = propose_sample(facts, _rules(event), event.event_date, event.seed)
        rows = session.exec(
            select(CaseSample, Case, Team)
            .join(Case, col(CaseSample.case_id) == col(Case.id))
            .join(Team, col(Case.team_id) == col(Team.id))
            .where(CaseSample.event_id == event.id)
            .order_by(col(CaseSample.position))
        ).all()
        holders = names_by_id(session, [c.holder_id for _, c, _ in rows])
        selected = [
            SampleRow(
                id_of(s), id_of(c), c.case_ref, c.order_type, c.rosh, t.name, holders.get(c.holder_id, ""), s.reason
            )
            for s, c, t in rows
        ]
        in_sample = {row.case_id for row in selected}
        swaps = session.exec(
            select(SampleSwap).where(col(SampleSwap.event_id) == event.id).order_by(col(SampleSwap.id))
        ).all()
        refs = {f.case_id: f.case_ref for f in facts}
        swappers = names_by_id(session, [s.by_id for s in swaps])
        swapped_out = {s.removed_case_id: s for s in swaps}
        considered = [(e.case_id, e.case_ref, e.reason) for e in proposal.excluded]
        considered += [(s.case_id, s.case_ref, "") for s in proposal.selected]  # chosen, then swapped out
        excluded = []
        for case_id, case_ref, reason in considered:
            if case_id in in_sample:
                continue
            if case_id in swapped_out:
                swap = swapped_out[case_id]
                reason = f"Swapped out by {swappers.get(swap.by_id, 'the lead')}: {swap.reason}"
            excluded.append(ExcludedRow(case_id, case_ref, reason))
        count = len(selected)
        blocker = None
        if event.status != EventStatus.PLANNING:
            blocker = "The sample has already been accepted."
        elif count < SAMPLE_MIN:
            blocker = f"The sample has {count} cases; a LEARN event needs at least {SAMPLE_MIN}."
        elif count > SAMPLE_MAX:
            blocker = f"The sample has {count} cases; a LEARN event takes at most {SAMPLE_MAX}."
        return SampleView(
            event=_summary(session, event),
            low_risk_share=event.low_risk_share,
            seed=event.seed,
            rules=explain_rules(_rules(event)),
            selected=selected,
            excluded=sorted(excluded, key=lambda e: e.case_ref),
            eligible_count=proposal.eligible_count,
            shortfall_message=proposal.shortfall_message,
            swaps=[
                SwapRow(
                    refs.get(s.removed_case_id, "?"),
                    refs.get(s.added_case_id, "?"),
                    s.reason,
                    swappers.get(s.by_id, ""),
                    s.at,
                )
                for s in swaps
            ],
            can_accept=blocker is None,
            accept_blocker=blocker,
        )


def swap_candidates(actor: Actor, event_id: int) -> list[ExcludedRow]:
    """Cases the lead may swap in: eligible, not already sampled, within the low-risk limit."""
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        facts = case_facts(session, event.pdu_id, event.event_date, event.id)
        sampled = set(session.exec(select(CaseSample.case_id).where(CaseSample.event_id == event.id)).all())
        return [
            ExcludedRow(f.case_id, f.case_ref, f"{f.order_type}, {f.rosh} RoSH")
            for f in replacement_candidates(facts, _rules(event), event.event_date, sampled)
        ]


def swap_case(actor: Actor, event_id: int, data: SampleSwapCreate) -> None:
    """Replace one sampled case with an eligible one. The reason is required and kept."""
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        if event.status != EventStatus.PLANNING:
            raise ValidationFailed({"removed_case_id": "The sample has been accepted; it can no longer be changed."})
        row = session.exec(
            select(CaseSample).where(CaseSample.event_id == event.id, CaseSample.case_id == data.removed_case_id)
        ).first()
        if row is None:
            raise ValidationFailed({"removed_case_id": "Choose a case that is in the sample."})
        facts = case_facts(session, event.pdu_id, event.event_date, event.id)
        sampled = set(session.exec(select(CaseSample.case_id).where(CaseSample.event_id == event.id)).all())
        allowed = {
            f.case_id: f
            for f in replacement_candidates(facts, _rules(event), event.event_date, sampled - {data.removed_case_id})
        }
        if data.added_case_id not in allowed or data.added_case_id in sampled:
            raise ValidationFailed(
                {
                    "added_case_id": (
                        "That case cannot join the sample: it is not eligible, is already sampled, "
                        "or would take low-risk cases over the limit."
                    )
                }
            )
        added = allowed[data.added_case_id]
        row.case_id = added.case_id
        row.reason = f"Swapped in by the lead: {data.reason}"[:500]
        session.add(row)
        session.add(
            SampleSwap(
                event_id=id_of(event),
                removed_case_id=data.removed_case_id,
                added_case_id=data.added_case_id,
                reason=data.reason,
                by_id=actor.id,
            )
        )
        trail.record(
            session,
            actor,
            "swapped_case",
            "audit_event",
            event.id,
            f"case {data.removed_case_id} -> {data.added_case_id}: {data.reason}",
        )


def _auditors(session: Session, event: AuditEvent) -> list[Auditor]:
    """Everyone active in the PDU's teams, with how often they audited in the last year."""
    staff = session.exec(
        select(User)
        .join(Team, col(User.team_id) == col(Team.id))
        .where(Team.pdu_id == event.pdu_id, User.is_active)
        .order_by(col(User.id))
    ).all()
    supervisees: dict[int, set[int]] = {}
    for person in session.exec(select(User).where(col(User.supervisor_id).is_not(None), col(User.is_active))):
        if person.supervisor_id is not None:  # the query keeps only people with a supervisor
            supervisees.setdefault(person.supervisor_id, set()).add(id_of(person))
    counts = _events_per_person(session, event.pdu_id, event.event_date - timedelta(days=365), event.event_date)
    return [
        Auditor(
            user_id=id_of(u),
            name=u.full_name,
            grade=u.grade,
            supervisee_ids=frozenset(supervisees.get(id_of(u), set())),
            events_last_12_months=counts.get(id_of(u), 0),
        )
        for u in staff
    ]


def _events_per_person(session: Session, pdu_id: int, start: date, end: date) -> dict[int, int]:
    """How many distinct accepted events each person was paired for, start <= date < end."""
    rows = session.exec(
        select(AuditorPair.first_id, AuditorPair.second_id, AuditorPair.event_id)
        .join(AuditEvent, col(AuditorPair.event_id) == col(AuditEvent.id))
        .where(AuditEvent.pdu_id == pdu_id, AuditEvent.event_date >= start, AuditEvent.event_date < end)
    ).all()
    seen: dict[int, set[int]] = {}
    for first, second, event_id in rows:
        seen.setdefault(first, set()).add(event_id)
        seen.setdefault(second, set()).add(event_id)
    return {person: len(events) for person, events in seen.items()}


def _cases_to_audit(session: Session, event: AuditEvent) -> list[CaseToAudit]:
    rows = session.exec(
        select(Case, User)
        .join(CaseSample, col(CaseSample.case_id) == col(Case.id))
        .join(User, col(Case.holder_id) == col(User.id))
        .where(CaseSample.event_id == event.id)
        .order_by(col(CaseSample.position))
    ).all()
    return [CaseToAudit(case_id=id_of(c), holder_id=c.holder_id, holder_supervisor_id=u.supervisor_id) for c, u in rows]


def _tell_auditors(session: Session, audits: Sequence[CaseAudit]) -> None:
    """Notify each pair of auditors of the draft audits assigned to them (once per audit and person)."""
    session.flush()
    pair_ids = {a.pair_id for a in audits if a.pair_id is not None}
    pairs = {id_of(p): p for p in session.exec(select(AuditorPair).where(col(AuditorPair.id).in_(pair_ids)))}
    for audit in audits:
        pair = pairs.get(audit.pair_id) if audit.pair_id is not None else None
        if pair is None or audit.status != AuditStatus.DRAFT or audit.moderates_id is not None:
            continue
        notify(
            session,
            kind="audit_assigned",
            recipient_ids=(pair.first_id, pair.second_id),
            record=RecordRef(RecordKind.CASE_AUDIT, id_of(audit)),
            occasion=f"audit_assigned:{id_of(audit)}",
        )


def accept_sample(actor: Actor, event_id: int) -> None:
    """Fix the sample, propose the pairs, and open a draft audit for every case."""
    view = sample_view(actor, event_id)
    if not view.can_accept:
        raise ValidationFailed({"sample": view.accept_blocker or "The sample cannot be accepted."})
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        if event.status != EventStatus.PLANNING:
            raise ValidationFailed({"sample": "The sample has already been accepted."})
        proposal = propose_pairs(_auditors(session, event), _cases_to_audit(session, event), event.seed)
        samples = {s.case_id: s for s in session.exec(select(CaseSample).where(CaseSample.event_id == event.id))}
        for proposed in proposal.pairs:
            pair = AuditorPair(event_id=id_of(event), first_id=proposed.first_id, second_id=proposed.second_id)
            session.add(pair)
            session.flush()
            for case_id in proposed.case_ids:
                samples[case_id].pair_id = pair.id
                session.add(samples[case_id])
        audits = [
            CaseAudit(
                event_id=id_of(event),
                case_id=sample.case_id,
                sample_id=id_of(sample),
                pair_id=sample.pair_id,
                instrument_id=event.instrument_id,
            )
            for sample in samples.values()
        ]
        session.add_all(audits)
        _tell_auditors(session, audits)
        event.status = EventStatus.SAMPLE_ACCEPTED
        event.sample_accepted_at = utcnow()
        session.add(event)
        summary = f"{len(samples)} cases, {len(proposal.pairs)} pairs"
        if proposal.problems:
            summary += "; problems: " + " ".join(proposal.problems)
        trail.record(session, actor, "accepted_sample", "audit_event", event.id, summary)


# ---------------------------------------------------------------------- pairs


def pairs_view(actor: Actor, event_id: int) -> PairsView:
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        pairs = session.exec(
            select(AuditorPair).where(col(AuditorPair.event_id) == event.id).order_by(col(AuditorPair.id))
        ).all()
        people = (
            {
                u.id: u
                for u in session.exec(
                    select(User).where(col(User.id).in_({p.first_id for p in pairs} | {p.second_id for p in pairs}))
                )
            }
            if pairs
            else {}
        )
        rows = session.exec(
            select(CaseSample, Case, CaseAudit)
            .join(Case, col(CaseSample.case_id) == col(Case.id))
            .join(
                CaseAudit,
                (col(CaseAudit.sample_id) == col(CaseSample.id)) & col(CaseAudit.moderates_id).is_(None),
                isouter=True,
            )
            .where(CaseSample.event_id == event.id)
            .order_by(col(CaseSample.position))
        ).all()
        holders = names_by_id(session, [c.holder_id for _, c, _ in rows])
        by_pair: dict[int | None, list[PairCase]] = {}
        for sample, case, audit in rows:
            by_pair.setdefault(sample.pair_id, []).append(
                PairCase(
                    id_of(sample),
                    case.case_ref,
                    holders.get(case.holder_id, ""),
                    audit.id if audit else None,
                    audit.status if audit else None,
                )
            )
        pair_rows = [
            PairRow(
                id_of(p),
                p.first_id,
                people[p.first_id].full_name,
                people[p.first_id].grade,
                p.second_id,
                people[p.second_id].full_name,
                people[p.second_id].grade,
                by_pair.get(p.id, []),
            )
            for p in pairs
        ]
        errors, warnings = _check(session, event, pairs)
        overrides = [
            f"{t.at:%d %b %Y %H:%M}: {t.summary}"
            for t in trail.entries_for(session, "audit_event", event.id)
            if t.action in {"changed_pair", "moved_case"}
        ]
        return PairsView(_summary(session, event), pair_rows, by_pair.get(None, []), errors, warnings, overrides)


def _check(session: Session, event: AuditEvent, pairs: Sequence[AuditorPair]) -> tuple[list[str], list[str]]:
    assignment: dict[int, list[int]] = {}
    for sample in session.exec(select(CaseSample).where(CaseSample.event_id == event.id)):
        if sample.pair_id is not None:
            assignment.setdefault(sample.pair_id, []).append(sample.case_id)
    proposed = [ProposedPair(p.first_id, p.second_id, assignment.get(id_of(p), [])) for p in pairs]
    return check_assignment(proposed, _cases_to_audit(session, event), _auditors(session, event))


def _override_reason(reason: str | None, empty: str) -> str:
    reason = (reason or "").strip()
    problem = override_reason_problem(reason, empty)
    if problem:
        raise ValidationFailed({"reason": problem})
    return reason


def change_pair(actor: Actor, event_id: int, pair_id: int, data: PairChange) -> None:
    """The lead replaces a pair's auditors. Refused if someone would audit their own case."""
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        pair = session.get(AuditorPair, pair_id)
        if pair is None or pair.event_id != event.id:
            raise NotFound("That pair could not be found.")
        first, second, reason = data.first_id, data.second_id, data.reason
        eligible = {a.user_id for a in _auditors(session, event)}
        if first not in eligible or second not in eligible:
            raise ValidationFailed({"first_id": "Auditors must be active staff in this PDU."})
        names = names_by_id(session, [pair.first_id, pair.second_id, first, second])
        before = f"{names.get(pair.first_id)} & {names.get(pair.second_id)}"
        pair.first_id, pair.second_id = first, second
        session.add(pair)
        session.flush()
        errors, _warnings = _check(
            session, event, session.exec(select(AuditorPair).where(AuditorPair.event_id == event.id)).all()
        )
        if errors:
            raise ValidationFailed({"first_id": " ".join(errors)})  # rolls the change back
        _tell_auditors(session, session.exec(select(CaseAudit).where(CaseAudit.pair_id == pair.id)).all())
        trail.record(
            session,
            actor,
            "changed_pair",
            "audit_event",
            event.id,
            f"pair {before} -> {names.get(first)} & {names.get(second)}: {reason}",
        )


def move_case(actor: Actor, event_id: int, sample_id: int, to_pair_id: int, reason: str) -> None:
    """The lead gives a case to another pair (only before its audit is submitted)."""
    reason = _override_reason(reason, "Say why you are moving this case.")
    with session_scope() as session:
        event = _require_event(session, actor, event_id)
        sample = session.get(CaseSample, sample_id)
        pair = session.get(AuditorPair, to_pair_id)
        if sample is None or pair is None or sample.event_id != event.id or pair.event_id != event.id:
            raise NotFound("That case or pair could not be found.")
        audit = session.exec(
            select(CaseAudit).where(col(CaseAudit.sample_id) == sample.id, col(CaseAudit.moderates_id).is_(None))
        ).first()
        if audit is not None and audit.status != AuditStatus.DRAFT:
            raise ValidationFailed(
                {"to_pair_id": "This audit has been submitted; it can no longer move to another pair."}
            )
        sample.pair_id = pair.id
        session.add(sample)
        if audit is not None:
            audit.pair_id = pair.id
            session.add(audit)
        session.flush()
        errors, _warnings = _check(
            session, event, session.exec(select(AuditorPair).where(AuditorPair.event_id == event.id)).all()
        )
        if errors:
            raise ValidationFailed({"to_pair_id": " ".join(errors)})
        if audit is not None:
            _tell_auditors(session, [audit])
        case = get_required(session, Case, sample.case_id)
        trail.record(
            session, actor, "moved_case", "audit_event", event.id, f"case {case.case_ref} to pair {pair.id}: {reason}"
        )


# ----------------------------------------------------------------------- rota

ROTA_TARGET_PER_YEAR = 2


@dataclass(frozen=True)
class RotaRow:
    user_id: int
    name: str
    grade: str
    team_name: str
    attended_last_12_months: int
    attended_last_6_months: int
    scheduled_next_6_months: int
    due: bool


def rota(actor: Actor, pdu_id: int, today: date) -> list[RotaRow]:
    """Every active member of staff in the PDU against the target of 2 events a year."""
    require(actor, Action.VIEW_ROTA, PduScope(pdu_id))
    with session_scope() as session:
        staff = session.exec(
            select(User, Team)
            .join(Team, col(User.team_id) == col(Team.id))
            .where(Team.pdu_id == pdu_id, User.is_active)
            .order_by(Team.name, User.full_name)
        ).all()
        year = _events_per_person(session, pdu_id, today - timedelta(days=365), today)
        half = _events_per_person(session, pdu_id, today - timedelta(days=182), today)
        ahead = _events_per_person(session, pdu_id, today, today + timedelta(days=183))
        rows = []
        for user, team in staff:
            user_id = id_of(user)
            attended = year.get(user_id, 0)
            scheduled = ahead.get(user_id, 0)
            rows.append(
                RotaRow(
                    user_id,
                    user.full_name,
                    user.grade,
                    team.name,
                    attended,
                    half.get(user_id, 0),
                    scheduled,
                    due=attended + scheduled < ROTA_TARGET_PER_YEAR,
                )
            )
        return rows


def pdus_i_manage(actor: Actor) -> list[tuple[int, str]]:
    """PDUs whose audit events this person runs: their own as QA lead, or all as admin."""
    with session_scope() as session:
        pdus = session.exec(select(Pdu).order_by(Pdu.name)).all()
        return [(id_of(p), p.name) for p in pdus if _can_manage(actor, id_of(p))]
