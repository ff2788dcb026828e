"""Moderation: a QA lead second-audits a sample of submitted audits, blind,
and the portal reports how far the two agree.

Agreement is reported per question and overall, as percent agreement and
Cohen's kappa over the four answers (yes, partly, no, not applicable).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.audits import Answer, AuditAnswer, AuditEvent, AuditStatus, CaseAudit
from db.engine import session_scope
from db.ids import id_of
from db.organisation import Case
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, require
from qa.audits import instrument
from qa.audits.agreement import cohens_kappa, percent_agreement
from qa.errors import NotFound, ValidationFailed

DEFAULT_MODERATION_SHARE = 0.10
LABELS = [a.value for a in Answer]


@dataclass(frozen=True)
class QuestionAgreement:
    question_key: str
    question_text: str
    pairs: int
    percent_agreement: float | None
    kappa: float | None


@dataclass
class AgreementReport:
    audits_compared: int
    overall_percent: float | None
    overall_kappa: float | None
    questions: list[QuestionAgreement]


def _event_for(session: Session, actor: Actor, event_id: int) -> AuditEvent:
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound("That audit event could not be found.")
    require(actor, Action.MODERATE, PduScope(event.pdu_id))
    return event


def _submitted_originals(session: Session, event_id: int) -> list[CaseAudit]:
    return list(
        session.exec(
            select(CaseAudit)
            .where(
                CaseAudit.event_id == event_id,
                col(CaseAudit.moderates_id).is_(None),
                CaseAudit.status != AuditStatus.DRAFT,
            )
            .order_by(col(CaseAudit.id))
        )
    )


def start_moderation(actor: Actor, event_id: int, share: float = DEFAULT_MODERATION_SHARE) -> list[int]:
    """Pick a seeded share of the event's submitted audits and open a blind second audit of each."""
    if not 0 < share <= 1:
        raise ValidationFailed({"share": "Choose a share between 1% and 100%."})
    with session_scope() as session:
        event = _event_for(session, actor, event_id)
        originals = _submitted_originals(session, event_id)
        already = set(
            session.exec(
                select(CaseAudit.moderates_id).where(
                    col(CaseAudit.moderates_id).is_not(None), col(CaseAudit.event_id) == event.id
                )
            ).all()
        )
        candidates = [a for a in originals if a.id not in already]
        if not candidates:
            raise ValidationFailed({"share": "There are no submitted audits left to moderate in this event."})
        wanted = max(1, math.ceil(share * len(originals))) - len(already)
        if wanted <= 0:
            raise ValidationFailed({"share": "This event already has its moderation sample."})
        chosen = sorted(random.Random(event.seed + 1).sample(candidates, min(wanted, len(candidates))), key=id_of)
        created = []
        for original in chosen:
            second = CaseAudit(
                event_id=event_id,
                case_id=original.case_id,
                sample_id=original.sample_id,
                instrument_id=original.instrument_id,  # the same version, so answers compare like with like
                moderates_id=original.id,
                moderator_id=actor.id,
            )
            session.add(second)
            session.flush()
            created.append(id_of(second))
        trail.record(session, actor, "started_moderation", "audit_event", event.id, f"{len(created)} audits")
        return created


@dataclass(frozen=True)
class ModerationRow:
    moderation_id: int
    original_id: int
    case_ref: str
    status: str


def moderation_audits(actor: Actor, event_id: int) -> list[ModerationRow]:
    with session_scope() as session:
        event = _event_for(session, actor, event_id)
        rows = session.exec(
            select(CaseAudit, Case.case_ref)
            .join(Case, col(CaseAudit.case_id) == col(Case.id))
            .where(col(CaseAudit.event_id) == event.id, col(CaseAudit.moderates_id).is_not(None))
            .order_by(col(CaseAudit.id))
        ).all()
        return [ModerationRow(id_of(a), _original_id(a), ref, a.status) for a, ref in rows]


def _original_id(moderation: CaseAudit) -> int:
    """The audit a moderation audit second-checks (the queries here select moderation audits only)."""
    assert moderation.moderates_id is not None, "a moderation audit always points at the audit it checks"
    return moderation.moderates_id


def agreement_report(actor: Actor, event_id: int) -> AgreementReport:
    """Agreement between each submitted moderation audit and the audit it second-checks."""
    with session_scope() as session:
        event = _event_for(session, actor, event_id)
        seconds = session.exec(
            select(CaseAudit).where(
                CaseAudit.event_id == event.id,
                col(CaseAudit.moderates_id).is_not(None),
                CaseAudit.status == AuditStatus.SUBMITTED,
            )
        ).all()
        by_question: dict[str, tuple[list[str], list[str]]] = {}
        all_first: list[str] = []
        all_second: list[str] = []
        texts: dict[str, str] = {}
        for second in seconds:
            definition = instrument.definition_of(session, second.instrument_id)
            for section in definition.sections:
                for q in section.questions:
                    texts.setdefault(q.key, q.text)
            first_answers = _answers(session, _original_id(second))
            second_answers = _answers(session, id_of(second))
            for key, value in second_answers.items():
                if key in first_answers:
                    firsts, seconds_ = by_question.setdefault(key, ([], []))
                    firsts.append(first_answers[key])
                    seconds_.append(value)
                    all_first.append(first_answers[key])
                    all_second.append(value)
        order = list(texts)
        questions = [
            QuestionAgreement(
                key, texts.get(key, key), len(a), percent_agreement(a, b), cohens_kappa(a, b, labels=LABELS)
            )
            for key, (a, b) in sorted(
                by_question.items(), key=lambda item: order.index(item[0]) if item[0] in order else 0
            )
        ]
        return AgreementReport(
            audits_compared=len(seconds),
            overall_percent=percent_agreement(all_first, all_second) if all_first else None,
            overall_kappa=cohens_kappa(all_first, all_second, labels=LABELS) if all_first else None,
            questions=questions,
        )


def _answers(session: Session, audit_id: int) -> dict[str, str]:
    return {
        a.question_key: a.answer
        for a in session.exec(select(AuditAnswer).where(AuditAnswer.audit_id == audit_id))
        if a.answer is not None
    }
