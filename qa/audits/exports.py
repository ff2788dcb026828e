"""Exports of LEARN results: a feedback sheet as PDF; an event's results as CSV and XLSX.

Each export goes through the same access checks as the screen it comes from.
"""

from __future__ import annotations

from sqlmodel import col, select

from db.audits import ActionStatus, Answer, CaseAudit
from db.engine import session_scope
from db.ids import id_of
from db.organisation import utcnow
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, require
from qa.audits import events as audit_events
from qa.audits.workflow import audit_detail, learning_themes
from qa.exports import FeedbackSheetDocument, feedback_sheet_pdf, to_csv, to_xlsx


def feedback_pdf(actor: Actor, audit_id: int) -> bytes:
    audit = audit_detail(actor, audit_id)
    themes = {t.id: t.name for t in learning_themes(active_only=False)}
    return feedback_sheet_pdf(
        FeedbackSheetDocument(
            case_ref=audit.case_ref,
            pdu_name=audit.pdu_name,
            event_date=audit.event_date,
            holder_name=audit.holder_name,
            spo_name=audit.spo_name,
            auditors=audit.auditors,
            status=audit.status,
            instrument_title=audit.definition.title,
            instrument_version=audit.definition.version,
            section_judgements=[(j.title, str(j.verdict), j.reason) for j in audit.judgements],
            good_practice=audit.good_practice,
            improvement=audit.improvement,
            improvement_themes=[themes.get(t, "") for t in audit.improvement_themes],
            concerns=audit.concerns,
            concern_themes=[themes.get(t, "") for t in audit.concern_themes],
            actions=[(a.description, a.owner_name, a.due_date, a.status) for a in audit.actions],
            holder_reply=audit.holder_reply,
            generated_at=utcnow(),
        )
    )


CASE_COLUMNS = ["Case", "Order", "RoSH", "Team", "Case holder", "Auditors", "Status", "Open actions", "Urgent concerns"]
ANSWER_COLUMNS = ["Case", "Section", "Question", "Key question", "Answer", "Evidence"]


def _event_tables(actor: Actor, event_id: int) -> tuple[list[str], list[list], list[list]]:
    summary = audit_events.event_summary(actor, event_id)
    require(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(summary.pdu_id))
    with session_scope() as session:
        audits = session.exec(
            select(CaseAudit)
            .where(col(CaseAudit.event_id) == event_id, col(CaseAudit.moderates_id).is_(None))
            .order_by(col(CaseAudit.id))
        ).all()
        audit_ids = [id_of(a) for a in audits]
    details = [audit_detail(actor, audit_id) for audit_id in audit_ids]
    section_titles: list[str] = []
    for detail in details:
        for j in detail.judgements:
            if j.title not in section_titles:
                section_titles.append(j.title)
    columns = CASE_COLUMNS + section_titles
    case_rows, answer_rows = [], []
    for d in details:
        verdicts = {j.title: str(j.verdict) for j in d.judgements}
        case_rows.append(
            [
                d.case_ref,
                d.order_type,
                d.rosh,
                d.team_name,
                d.holder_name,
                ", ".join(d.auditors),
                d.status,
                sum(a.status == ActionStatus.OPEN for a in d.actions),
                len(d.urgent_concerns),
            ]
            + [verdicts.get(t, "") for t in section_titles]
        )
        for section in d.definition.sections:
            for q in section.questions:
                answer, evidence = d.answers.get(q.key, (None, ""))
                answer_rows.append(
                    [
                        d.case_ref,
                        section.title,
                        q.text,
                        "yes" if q.key_question else "no",
                        Answer(answer).label if answer else "",
                        evidence,
                    ]
                )
    return columns, case_rows, answer_rows


def event_results_csv(actor: Actor, event_id: int) -> bytes:
    columns, case_rows, _answers = _event_tables(actor, event_id)
    return to_csv(columns, case_rows)


def event_results_xlsx(actor: Actor, event_id: int) -> bytes:
    columns, case_rows, answer_rows = _event_tables(actor, event_id)
    return to_xlsx({"Cases": (columns, case_rows), "Answers": (ANSWER_COLUMNS, answer_rows)})
