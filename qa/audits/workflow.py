"""A case audit from draft to closed actions.

draft -> submitted -> feedback sent -> discussed in supervision -> actions closed

Both auditors in a pair can work on a draft. Submitting needs every question
answered (Not applicable counts). On submission the feedback sheet goes to the
case holder's SPO; without an SPO it waits at "submitted" and the QA lead sees
why. The SPO marks it discussed; once every action is done, the audit closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from db.access_log import RecordKind
from db.audits import (
    ActionStatus,
    Answer,
    AnswerInput,
    AuditAction,
    AuditActionCreate,
    AuditAnswer,
    AuditEvent,
    AuditorPair,
    AuditSectionResult,
    AuditSeen,
    AuditStatus,
    CaseAudit,
    FeedbackSheet,
    FeedbackSheetUpdate,
    FeedbackTheme,
    HolderReply,
    LearningTheme,
    SheetSection,
    UrgentConcern,
)
from db.engine import session_scope
from db.ids import id_of
from db.organisation import Case, Pdu, Team, User, check_not_formula, utcnow
from qa import optimistic
from qa import records as qa_records
from qa.access import access_log, trail
from qa.access.actor import Actor
from qa.access.policy import Action, ActionScope, AuditScope, PduScope, can, require
from qa.audits import instrument
from qa.audits.judgement import judge_audit, missing_answers
from qa.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from qa.lookup import get_required
from qa.notifications.notify import besides, notify, qa_leads_of
from qa.organisation.directory import names_by_id
from qa.records import RecordRef

SENT_STATUSES = {AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED}


STALE_AUDIT = (
    "Someone else saved this audit while you were editing, so your changes have not been saved. "
    "Your text is still below: copy what you need, reload the latest version, then re-apply your changes."
)


class UnansweredQuestions(ValidationFailed):
    """An audit was submitted with questions left unanswered; ``questions`` lists them, in order.

    :attr:`AuditDetail.unanswered` gives the same list for a page to show after it reruns.
    """

    def __init__(self, questions: list[str]) -> None:
        super().__init__({"answers": "Answer these questions before submitting."})
        self.questions = list(questions)


# ----------------------------------------------------------------------- views


@dataclass(frozen=True)
class ActionRow:
    id: int
    description: str
    owner_id: int
    owner_name: str
    due_date: date
    status: str
    overdue: bool

    @property
    def done(self) -> bool:
        return self.status == ActionStatus.DONE


@dataclass(frozen=True)
class ConcernRow:
    id: int
    description: str
    raised_by_name: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledgement: str | None


@dataclass
class AuditDetail:
    id: int
    version: int
    status: str
    event_id: int
    event_date: date
    pdu_id: int
    pdu_name: str
    case_ref: str
    order_type: str
    rosh: str
    team_name: str
    holder_id: int
    holder_name: str
    spo_id: int | None
    spo_name: str | None
    auditors: list[str]
    is_moderation: bool
    instrument_id: int
    definition: instrument.InstrumentDefinition
    answers: dict[str, tuple[str | None, str]]
    good_practice: str = ""
    improvement: str = ""
    concerns: str = ""
    holder_reply: str | None = None
    reply_at: datetime | None = None
    improvement_themes: list[int] = field(default_factory=list)
    concern_themes: list[int] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    urgent_concerns: list[ConcernRow] = field(default_factory=list)
    judgements: list = field(default_factory=list)
    #: Questions with no answer yet, as "Section title: question text", in order.
    unanswered: list[str] = field(default_factory=list)
    can_edit: bool = False
    can_reply: bool = False
    can_mark_discussed: bool = False
    can_raise_concern: bool = False


@dataclass(frozen=True)
class AuditListRow:
    audit_id: int
    case_ref: str
    event_date: date
    pdu_name: str
    holder_name: str
    status: str
    open_actions: int = 0
    overdue_actions: int = 0
    is_moderation: bool = False
    #: The case holder has replied to the feedback sheet.
    replied: bool = False

    @property
    def to_complete(self) -> bool:
        """Still a draft: the auditors have not submitted it."""
        return self.status == AuditStatus.DRAFT


# ------------------------------------------------------------------ internals


def _audit(session: Session, audit_id: int) -> CaseAudit:
    audit = session.get(CaseAudit, audit_id)
    if audit is None:
        raise NotFound("That audit could not be found.")
    return audit


def scope_of(session: Session, audit: CaseAudit) -> AuditScope:
    event = get_required(session, AuditEvent, audit.event_id)
    case = get_required(session, Case, audit.case_id)
    holder = get_required(session, User, case.holder_id)
    auditors: frozenset[int] = frozenset()
    if audit.pair_id is not None:
        pair = get_required(session, AuditorPair, audit.pair_id)
        auditors = frozenset({pair.first_id, pair.second_id})
    return AuditScope(
        pdu_id=event.pdu_id,
        auditor_ids=auditors,
        holder_id=case.holder_id,
        spo_id=audit.feedback_to_id or holder.supervisor_id,
        feedback_sent=audit.status in SENT_STATUSES,
        is_draft=audit.status == AuditStatus.DRAFT,
        moderator_id=audit.moderator_id if audit.moderates_id is not None else None,
    )


def load_for(session: Session, actor: Actor, audit_id: int, action: Action) -> tuple[CaseAudit, AuditScope]:
    audit = _audit(session, audit_id)
    scope = scope_of(session, audit)
    if not can(actor, action, scope):
        # Someone with no business seeing an audit is not told it exists.
        if not can(actor, Action.VIEW_AUDIT, scope):
            raise NotFound("That audit could not be found.")
        raise PermissionDenied()
    return audit, scope


def _blind_guard(session: Session, actor: Actor, audit: CaseAudit) -> None:
    """A moderator does not see the audit they are second-auditing until their own is in."""
    pending = session.exec(
        select(CaseAudit).where(
            CaseAudit.moderates_id == audit.id,
            CaseAudit.moderator_id == actor.id,
            CaseAudit.status == AuditStatus.DRAFT,
        )
    ).first()
    if pending is not None:
        raise PermissionDenied("You are moderating this audit blind. You can see it once you have submitted your own.")


def _bump(session: Session, audit: CaseAudit, expected_version: int | None) -> None:
    """Refuse a save made from an older version (compare-and-set, so racing saves cannot both win)."""
    optimistic.claim(session, audit, expected_version, StaleEdit(STALE_AUDIT))
    audit.updated_at = utcnow()


def _tell(session: Session, actor: Actor, audit: CaseAudit, kind: str, *people: int | None, about: int) -> None:
    """Tell these people (never the one acting) that the audit's feedback sheet has news: once per ``about``."""
    notify(
        session,
        kind=kind,
        recipient_ids=besides(actor.id, *people),
        record=RecordRef(qa_records.RecordKind.FEEDBACK_SHEET, id_of(audit)),
        occasion=f"{kind}:{about}",
    )


def _tell_feedback_sent(session: Session, actor: Actor, audit: CaseAudit, scope: AuditScope) -> None:
    """The feedback has gone to the SPO: the case holder and the SPO are told, and each action's holder."""
    _tell(session, actor, audit, "feedback_ready", scope.holder_id, audit.feedback_to_id, about=id_of(audit))
    for action in session.exec(select(AuditAction).where(AuditAction.audit_id == audit.id)):
        _tell(session, actor, audit, "action_assigned", action.owner_id, about=id_of(action))


def _tell_if_moderation_waits(session: Session, audit: CaseAudit, pdu_id: int) -> None:
    """Once the last audit of an event is submitted, its QA leads are told moderation can start."""
    if audit.moderates_id is not None:
        return
    draft = session.exec(
        select(CaseAudit.id).where(
            CaseAudit.event_id == audit.event_id,
            col(CaseAudit.moderates_id).is_(None),
            CaseAudit.status == AuditStatus.DRAFT,
        )
    ).first()
    if draft is None:
        notify(
            session,
            kind="moderation_waiting",
            recipient_ids=qa_leads_of(session, pdu_id),
            record=RecordRef(qa_records.RecordKind.AUDIT_EVENT, audit.event_id),
            occasion=f"moderation_waiting:{audit.event_id}",
        )


# ----------------------------------------------------------------------- read


def ensure_visible(actor: Actor, audit_id: int) -> None:
    """Refuse (NotFound or PermissionDenied) unless the actor may see this audit. Reads nothing, logs nothing."""
    with session_scope() as session:
        audit, _scope = load_for(session, actor, audit_id, Action.VIEW_AUDIT)
        _blind_guard(session, actor, audit)


def audit_detail(actor: Actor, audit_id: int, today: date | None = None) -> AuditDetail:
    today = today or date.today()
    with session_scope() as session:
        audit, scope = load_for(session, actor, audit_id, Action.VIEW_AUDIT)
        _blind_guard(session, actor, audit)
        # The case holder can see who has opened an audit of their case (not logged when it is them).
        kind = RecordKind.FEEDBACK_SHEET if audit.status in SENT_STATUSES else RecordKind.CASE_AUDIT
        access_log.record_view(session, actor, scope.holder_id, kind, id_of(audit))
        if scope.feedback_sent and actor.id == scope.spo_id:
            mark_seen(session, actor, id_of(audit))
        event = get_required(session, AuditEvent, audit.event_id)
        case = get_required(session, Case, audit.case_id)
        team = get_required(session, Team, case.team_id)
        pdu = get_required(session, Pdu, event.pdu_id)
        auditor_ids = sorted(scope.auditor_ids) if audit.moderates_id is None else [audit.moderator_id]
        names = names_by_id(session, [case.holder_id, scope.spo_id, *auditor_ids])
        definition = instrument.definition_of(session, audit.instrument_id)
        answers: dict[str, tuple[str | None, str]] = {
            a.question_key: (a.answer, a.evidence)
            for a in session.exec(select(AuditAnswer).where(AuditAnswer.audit_id == audit.id))
        }
        given = {k: (Answer(v[0]) if v[0] else None) for k, v in answers.items()}
        detail = AuditDetail(
            id=id_of(audit),
            version=audit.version,
            status=audit.status,
            event_id=id_of(event),
            event_date=event.event_date,
            pdu_id=event.pdu_id,
            pdu_name=pdu.name,
            case_ref=case.case_ref,
            order_type=case.order_type,
            rosh=case.rosh,
            team_name=team.name,
            holder_id=case.holder_id,
            holder_name=names.get(case.holder_id, ""),
            spo_id=scope.spo_id,
            spo_name=names.get(scope.spo_id) if scope.spo_id is not None else None,
            auditors=[names.get(i, "") if i is not None else "" for i in auditor_ids],
            is_moderation=audit.moderates_id is not None,
            instrument_id=audit.instrument_id,
            definition=definition,
            answers=answers,
            judgements=judge_audit(definition, given),
            unanswered=missing_answers(definition, given),
            can_edit=can(actor, Action.EDIT_AUDIT, scope),
            can_reply=can(actor, Action.REPLY_TO_FEEDBACK, scope),
            can_mark_discussed=can(actor, Action.MARK_DISCUSSED, scope) and audit.status == AuditStatus.FEEDBACK_SENT,
            can_raise_concern=can(actor, Action.RAISE_URGENT_CONCERN, scope),
        )
        sheet = session.get(FeedbackSheet, audit.id)
        if sheet is not None:
            detail.good_practice, detail.improvement, detail.concerns = (
                sheet.good_practice,
                sheet.improvement,
                sheet.concerns,
            )
            detail.holder_reply, detail.reply_at = sheet.holder_reply, sheet.reply_at
        for tag in session.exec(select(FeedbackTheme).where(FeedbackTheme.audit_id == audit.id)):
            (detail.improvement_themes if tag.section == SheetSection.IMPROVEMENT else detail.concern_themes).append(
                tag.theme_id
            )
        detail.actions = _action_rows(session, [id_of(audit)], today)
        concerns = session.exec(
            select(UrgentConcern).where(col(UrgentConcern.audit_id) == audit.id).order_by(col(UrgentConcern.id))
        ).all()
        raisers = names_by_id(session, [c.raised_by_id for c in concerns])
        detail.urgent_concerns = [
            ConcernRow(
                id_of(c),
                c.description,
                raisers.get(c.raised_by_id, ""),
                c.raised_at,
                c.acknowledged_at,
                c.acknowledgement,
            )
            for c in concerns
        ]
        return detail


def mark_seen(session: Session, actor: Actor, audit_id: int) -> None:
    """The SPO the sheet went to has opened it: replies and closed actions up to now are no longer news."""
    seen = session.get(AuditSeen, (audit_id, actor.id)) or AuditSeen(audit_id=audit_id, user_id=actor.id)
    seen.seen_at = utcnow()
    session.add(seen)


def _action_rows(session: Session, audit_ids: list[int], today: date) -> list[ActionRow]:
    actions = session.exec(
        select(AuditAction)
        .where(col(AuditAction.audit_id).in_(audit_ids))
        .order_by(col(AuditAction.due_date), col(AuditAction.id))
    ).all()
    owners = names_by_id(session, [a.owner_id for a in actions])
    return [
        ActionRow(
            id_of(a),
            a.description,
            a.owner_id,
            owners.get(a.owner_id, ""),
            a.due_date,
            a.status,
            overdue=a.status == ActionStatus.OPEN and a.due_date < today,
        )
        for a in actions
    ]


def _list_rows(session: Session, audits: list[CaseAudit], today: date) -> list[AuditListRow]:
    rows = []
    for audit in audits:
        event = get_required(session, AuditEvent, audit.event_id)
        case = get_required(session, Case, audit.case_id)
        pdu = get_required(session, Pdu, event.pdu_id)
        actions = _action_rows(session, [id_of(audit)], today)
        open_actions = [a for a in actions if a.status == ActionStatus.OPEN]
        sheet = session.get(FeedbackSheet, audit.id)
        rows.append(
            AuditListRow(
                id_of(audit),
                case.case_ref,
                event.event_date,
                pdu.name,
                names_by_id(session, [case.holder_id]).get(case.holder_id, ""),
                audit.status,
                len(open_actions),
                sum(a.overdue for a in open_actions),
                audit.moderates_id is not None,
                sheet is not None and bool(sheet.holder_reply),
            )
        )
    return rows


def my_audits(actor: Actor, today: date | None = None) -> list[AuditListRow]:
    """Audits I am doing: as one of a pair, or as a moderator."""
    today = today or date.today()
    with session_scope() as session:
        pairs = session.exec(
            select(AuditorPair.id).where((AuditorPair.first_id == actor.id) | (AuditorPair.second_id == actor.id))
        ).all()
        audits = session.exec(
            select(CaseAudit)
            .where(
                (col(CaseAudit.pair_id).in_(pairs) & col(CaseAudit.moderates_id).is_(None))
                | (col(CaseAudit.moderator_id) == actor.id)
            )
            .order_by(col(CaseAudit.id).desc())
        ).all()
        return _list_rows(session, list(audits), today)


def feedback_awaiting_me(actor: Actor, today: date | None = None) -> list[AuditListRow]:
    """For an SPO: sheets sent to me, not yet closed (awaiting discussion or with open actions)."""
    return _sheets_sent_to(
        actor,
        today or date.today(),
        col(CaseAudit.status).in_([AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED]),
        order_by=col(CaseAudit.feedback_sent_at),
    )


#: How long a closed sheet stays listed under Team audit feedback.
CLOSED_KEPT_DAYS = 365


def feedback_closed_for_me(actor: Actor, today: date | None = None) -> list[AuditListRow]:
    """For an SPO: sheets sent to me whose actions are all closed, most recently closed first.

    The SPO keeps sight of the sheet and the holder's reply after the audit closes, for a year.
    """
    today = today or date.today()
    since = datetime.combine(today - timedelta(days=CLOSED_KEPT_DAYS), time.min, tzinfo=UTC)
    return _sheets_sent_to(
        actor,
        today,
        CaseAudit.status == AuditStatus.ACTIONS_CLOSED,
        col(CaseAudit.closed_at) >= since,
        order_by=col(CaseAudit.closed_at).desc(),
    )


def _sheets_sent_to(actor: Actor, today: date, *where: Any, order_by: Any) -> list[AuditListRow]:
    """Feedback sheets sent to this SPO that also meet ``where``, as list rows."""
    with session_scope() as session:
        audits = session.exec(
            select(CaseAudit).where(CaseAudit.feedback_to_id == actor.id, *where).order_by(order_by)
        ).all()
        return _list_rows(session, list(audits), today)


def feedback_on_my_cases(actor: Actor, today: date | None = None) -> list[AuditListRow]:
    today = today or date.today()
    with session_scope() as session:
        audits = session.exec(
            select(CaseAudit)
            .join(Case, col(CaseAudit.case_id) == col(Case.id))
            .where(
                col(Case.holder_id) == actor.id,
                col(CaseAudit.status).in_(list(SENT_STATUSES)),
                col(CaseAudit.moderates_id).is_(None),
            )
            .order_by(col(CaseAudit.feedback_sent_at).desc())
        ).all()
        return _list_rows(session, list(audits), today)


def my_open_actions(actor: Actor, today: date | None = None) -> list[tuple[ActionRow, str, int]]:
    """Open actions I own, with the case reference and audit id, overdue first."""
    today = today or date.today()
    with session_scope() as session:
        rows = session.exec(
            select(AuditAction, Case.case_ref)
            .join(CaseAudit, col(AuditAction.audit_id) == col(CaseAudit.id))
            .join(Case, col(CaseAudit.case_id) == col(Case.id))
            .where(
                AuditAction.owner_id == actor.id,
                AuditAction.status == ActionStatus.OPEN,
                col(CaseAudit.status).in_(list(SENT_STATUSES)),
            )
            .order_by(col(AuditAction.due_date))
        ).all()
        return [
            (
                ActionRow(
                    id_of(a), a.description, a.owner_id, actor.full_name, a.due_date, a.status, a.due_date < today
                ),
                ref,
                a.audit_id,
            )
            for a, ref in rows
        ]


def overdue_actions_for_spo(actor: Actor, today: date | None = None) -> list[tuple[ActionRow, str, int]]:
    """Overdue actions on feedback sent to me as the case holder's SPO."""
    today = today or date.today()
    with session_scope() as session:
        rows = session.exec(
            select(AuditAction, Case.case_ref)
            .join(CaseAudit, col(AuditAction.audit_id) == col(CaseAudit.id))
            .join(Case, col(CaseAudit.case_id) == col(Case.id))
            .where(
                CaseAudit.feedback_to_id == actor.id,
                AuditAction.status == ActionStatus.OPEN,
                AuditAction.due_date < today,
            )
            .order_by(col(AuditAction.due_date))
        ).all()
        owners = names_by_id(session, [a.owner_id for a, _ in rows])
        return [
            (
                ActionRow(id_of(a), a.description, a.owner_id, owners.get(a.owner_id, ""), a.due_date, a.status, True),
                ref,
                a.audit_id,
            )
            for a, ref in rows
        ]


# ---------------------------------------------------------------------- write


def save_draft(
    actor: Actor,
    audit_id: int,
    inputs: list[AnswerInput],
    sheet_data: FeedbackSheetUpdate | None,
    expected_version: int | None,
) -> int:
    """Save answers and the feedback sheet as one transaction; returns the new version."""
    with session_scope() as session:
        audit, _scope = load_for(session, actor, audit_id, Action.EDIT_AUDIT)
        definition = instrument.definition_of(session, audit.instrument_id)
        known = {q.key for section in definition.sections for q in section.questions}
        unknown = [a.question_key for a in inputs if a.question_key not in known]
        if unknown:
            raise ValidationFailed({"answers": f"Unknown question: {', '.join(unknown)}."})
        _bump(session, audit, expected_version)
        session.add(audit)
        existing = {
            a.question_key: a for a in session.exec(select(AuditAnswer).where(AuditAnswer.audit_id == audit.id))
        }
        for item in inputs:
            row = existing.get(item.question_key) or AuditAnswer(audit_id=id_of(audit), question_key=item.question_key)
            row.answer, row.evidence = item.answer, item.evidence
            session.add(row)
        if sheet_data is not None and audit.moderates_id is None:
            _save_sheet(session, id_of(audit), sheet_data)
        trail.record(session, actor, "saved_draft", "case_audit", audit.id)
        return audit.version


def _save_sheet(session: Session, audit_id: int, data: FeedbackSheetUpdate) -> None:
    sheet = session.get(FeedbackSheet, audit_id) or FeedbackSheet(audit_id=audit_id)
    sheet.good_practice, sheet.improvement, sheet.concerns = data.good_practice, data.improvement, data.concerns
    session.add(sheet)
    active = set(session.exec(select(LearningTheme.id).where(LearningTheme.active)).all())
    wanted = {(SheetSection.IMPROVEMENT, t) for t in data.improvement_themes} | {
        (SheetSection.CONCERNS, t) for t in data.concern_themes
    }
    if any(theme not in active for _, theme in wanted):
        raise ValidationFailed({"themes": "Choose learning themes from the list."})
    current = {
        (SheetSection(t.section), t.theme_id): t
        for t in session.exec(select(FeedbackTheme).where(FeedbackTheme.audit_id == audit_id))
    }
    for key, row in current.items():
        if key not in wanted:
            session.delete(row)
    for section, theme in wanted - current.keys():
        session.add(FeedbackTheme(audit_id=audit_id, section=section, theme_id=theme))


def add_action(actor: Actor, audit_id: int, data: AuditActionCreate, today: date | None = None) -> None:
    today = today or date.today()
    with session_scope() as session:
        audit, _scope = load_for(session, actor, audit_id, Action.EDIT_AUDIT)
        if audit.moderates_id is not None:
            raise PermissionDenied("A moderation audit has no feedback sheet or actions.")
        if data.due_date < today:
            raise ValidationFailed({"due_date": "The due date cannot be in the past."})
        owner = session.get(User, data.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed({"owner_id": "Choose an active member of staff as the owner."})
        session.add(AuditAction(audit_id=id_of(audit), **data.model_dump()))
        trail.record(session, actor, "added_action", "case_audit", audit.id)


def remove_action(actor: Actor, action_id: int) -> None:
    with session_scope() as session:
        action = session.get(AuditAction, action_id)
        if action is None:
            raise NotFound("That action could not be found.")
        load_for(session, actor, action.audit_id, Action.EDIT_AUDIT)
        session.delete(action)
        trail.record(session, actor, "removed_action", "case_audit", action.audit_id)


def submit(actor: Actor, audit_id: int, expected_version: int | None = None) -> AuditStatus:
    """Submit an audit. Every question needs an answer; the sheet then goes to the SPO."""
    with session_scope() as session:
        audit, scope = load_for(session, actor, audit_id, Action.EDIT_AUDIT)
        definition = instrument.definition_of(session, audit.instrument_id)
        answers = {
            a.question_key: a.answer for a in session.exec(select(AuditAnswer).where(AuditAnswer.audit_id == audit.id))
        }
        missing = missing_answers(definition, {k: (Answer(v) if v else None) for k, v in answers.items()})
        if missing:
            raise UnansweredQuestions(missing)
        _bump(session, audit, expected_version)
        now = utcnow()
        audit.submitted_at, audit.submitted_by_id = now, actor.id
        for judgement in judge_audit(definition, {k: (Answer(v) if v else None) for k, v in answers.items()}):
            session.add(
                AuditSectionResult(
                    audit_id=id_of(audit),
                    section_key=judgement.section_key,
                    section_title=judgement.title[:200],
                    verdict=str(judgement.verdict),
                )
            )
        if audit.moderates_id is not None:
            audit.status = AuditStatus.SUBMITTED
        elif scope.spo_id is not None:
            audit.status = AuditStatus.FEEDBACK_SENT
            audit.feedback_to_id, audit.feedback_sent_at = scope.spo_id, now
        else:
            audit.status = AuditStatus.SUBMITTED  # no SPO to send to: the QA lead sees it waiting
        session.add(audit)
        if audit.status == AuditStatus.FEEDBACK_SENT:
            _tell_feedback_sent(session, actor, audit, scope)
        _tell_if_moderation_waits(session, audit, scope.pdu_id)
        trail.record(session, actor, "submitted", "case_audit", audit.id, f"status: {audit.status}")
        return AuditStatus(audit.status)


def send_waiting_feedback(actor: Actor, audit_id: int) -> None:
    """Send a submitted sheet that was waiting because the case holder had no SPO recorded."""
    with session_scope() as session:
        audit = _audit(session, audit_id)
        scope = scope_of(session, audit)
        if not can(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(scope.pdu_id)):
            raise PermissionDenied()
        if audit.status != AuditStatus.SUBMITTED or audit.moderates_id is not None:
            raise ValidationFailed({"status": "Only a submitted audit waiting for an SPO can be sent."})
        if scope.spo_id is None:
            raise ValidationFailed(
                {"status": "The case holder still has no supervisor recorded. Add one on the Users page first."}
            )
        audit.status, audit.feedback_to_id, audit.feedback_sent_at = AuditStatus.FEEDBACK_SENT, scope.spo_id, utcnow()
        session.add(audit)
        _tell_feedback_sent(session, actor, audit, scope)
        trail.record(session, actor, "sent_feedback", "case_audit", audit.id)


def reply(actor: Actor, audit_id: int, data: HolderReply) -> None:
    """The case holder's reply to the feedback sheet."""
    with session_scope() as session:
        audit, _scope = load_for(session, actor, audit_id, Action.REPLY_TO_FEEDBACK)
        sheet = session.get(FeedbackSheet, id_of(audit)) or FeedbackSheet(audit_id=id_of(audit))
        sheet.holder_reply, sheet.reply_at = data.reply, utcnow()
        session.add(sheet)
        _tell(session, actor, audit, "holder_replied", audit.feedback_to_id, about=id_of(audit))
        trail.record(session, actor, "replied", "case_audit", audit.id)


def mark_discussed(actor: Actor, audit_id: int) -> AuditStatus:
    with session_scope() as session:
        return discuss_in(session, actor, audit_id)


def discuss_in(session: Session, actor: Actor, audit_id: int) -> AuditStatus:
    """Move an audit to "discussed in supervision" inside the caller's transaction."""
    audit, _scope = load_for(session, actor, audit_id, Action.MARK_DISCUSSED)
    if audit.status != AuditStatus.FEEDBACK_SENT:
        raise ValidationFailed({"status": "This feedback has already been marked as discussed."})
    audit.status, audit.discussed_at, audit.discussed_by_id = AuditStatus.DISCUSSED, utcnow(), actor.id
    _close_if_done(session, audit)
    session.add(audit)
    trail.record(session, actor, "discussed", "case_audit", audit.id, f"status: {audit.status}")
    return AuditStatus(audit.status)


def _close_if_done(session: Session, audit: CaseAudit) -> None:
    if audit.status != AuditStatus.DISCUSSED:
        return
    open_count = session.exec(
        select(AuditAction).where(AuditAction.audit_id == audit.id, AuditAction.status == ActionStatus.OPEN)
    ).first()
    if open_count is None:
        audit.status, audit.closed_at = AuditStatus.ACTIONS_CLOSED, utcnow()


def _tell_if_last_action_closed(session: Session, actor: Actor, audit: CaseAudit) -> None:
    """Closing the last open action tells the SPO the sheet gave them (unless they closed it)."""
    still_open = session.exec(
        select(AuditAction.id).where(AuditAction.audit_id == audit.id, AuditAction.status == ActionStatus.OPEN)
    ).first()
    if still_open is None:
        _tell(session, actor, audit, "actions_closed", audit.feedback_to_id, about=id_of(audit))


def set_action_status(actor: Actor, action_id: int, done: bool) -> None:
    with session_scope() as session:
        _set_action_status(session, actor, action_id, done)


def close_action_in(session: Session, actor: Actor, action_id: int) -> None:
    """Mark an audit action done inside the caller's transaction (from a supervision session)."""
    _set_action_status(session, actor, action_id, True)


def _set_action_status(session: Session, actor: Actor, action_id: int, done: bool) -> None:
    action = session.get(AuditAction, action_id)
    if action is None:
        raise NotFound("That action could not be found.")
    audit = _audit(session, action.audit_id)
    scope = scope_of(session, audit)
    if not scope.feedback_sent or not can(
        actor, Action.UPDATE_ACTION, ActionScope(scope.pdu_id, action.owner_id, scope.spo_id)
    ):
        raise PermissionDenied()
    action.status = ActionStatus.DONE if done else ActionStatus.OPEN
    action.closed_at, action.closed_by_id = (utcnow(), actor.id) if done else (None, None)
    session.add(action)
    session.flush()
    if done:
        _close_if_done(session, audit)
        _tell_if_last_action_closed(session, actor, audit)
    elif audit.status == AuditStatus.ACTIONS_CLOSED:
        audit.status, audit.closed_at = AuditStatus.DISCUSSED, None  # reopened
    session.add(audit)
    trail.record(
        session, actor, "action_done" if done else "action_reopened", "case_audit", audit.id, f"action {action.id}"
    )


# --------------------------------------------------------------------- themes


def learning_themes(active_only: bool = True) -> list[LearningTheme]:
    with session_scope() as session:
        query = select(LearningTheme).order_by(LearningTheme.name)
        if active_only:
            query = query.where(LearningTheme.active)
        return list(session.exec(query))


def add_learning_theme(actor: Actor, name: str) -> None:
    require(actor, Action.MANAGE_THEMES)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "Enter a name for the theme."})
    if len(name) > 80:
        raise ValidationFailed({"name": f"Theme names must be 80 characters or fewer (you entered {len(name)})."})
    try:
        check_not_formula(name, "A theme's name")
    except ValueError as refused:
        raise ValidationFailed({"name": str(refused)}) from None
    with session_scope() as session:
        existing = [t.name.lower() for t in session.exec(select(LearningTheme))]
        if name.lower() in existing:
            raise ValidationFailed({"name": "That theme is already on the list."})
        session.add(LearningTheme(name=name))
        trail.record(session, actor, "created", "learning_theme", None, name)


def set_learning_theme_active(actor: Actor, theme_id: int, active: bool) -> None:
    require(actor, Action.MANAGE_THEMES)
    with session_scope() as session:
        theme = session.get(LearningTheme, theme_id)
        if theme is None:
            raise NotFound("That theme could not be found.")
        theme.active = active
        session.add(theme)
        trail.record(session, actor, "reactivated" if active else "retired", "learning_theme", theme_id)
