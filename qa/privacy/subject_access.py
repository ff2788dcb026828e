"""Subject access: everything the portal holds about me, as a ZIP of JSON and CSV.

Only the signed-in person can ask, and only for themselves
(``Action.EXPORT_MY_DATA``; no role may export someone else's data). The
ZIP holds each data set twice, as ``name.json`` and ``name.csv``, and a
``README.txt`` that says what each file is.

What is included, and what is deliberately left out:

- My own journal notes and debriefs, decrypted (I am their author), the
  shares I made and the requests to talk I made. **Never** anyone else's
  private entry, even one shared with me: it is theirs to export.
- Observations of my practice, with the observer's and my own ratings, my
  replies and development goals. Observations I carried out appear as a
  list (date, who, status) without the other person's ratings.
- Audits of the cases I hold once the feedback has reached me (drafts and
  blind moderation audits are not yet about me), with their answers,
  feedback sheets, my replies and actions; actions I own on any audit; and a
  list of the audits I carried out.
- Supervision sessions I took part in (as practitioner or supervisor), with
  case discussions, actions, earlier versions and agenda items. Personal-
  support notes marked private are included only where I was the one
  practitioner in the session (they are about me); in a group session, or
  for the supervisor, private personal notes are about someone else and are
  left out. Of the practitioners' sign-off comments, only mine are included.
- Who has viewed my records (the access log), and every audit-trail entry
  where I was the one acting.

CSV cells go through :func:`qa.exports.safe_cell`, so a value that starts
with ``=``, ``+``, ``-`` or ``@`` cannot run as a formula. The download is
written to the audit trail (who and when, never the contents).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from db.audits import (
    AuditAction,
    AuditAnswer,
    AuditEvent,
    AuditorPair,
    CaseAudit,
    FeedbackSheet,
    FeedbackTheme,
    LearningTheme,
)
from db.engine import session_scope
from db.ids import id_of
from db.observations import DevelopmentGoal, Observation, ObservationRating, SelfRating
from db.organisation import AuditTrail, Case, Pdu, Team, User, utcnow
from db.reflection import Debrief, DebriefFeeling, EntryShare, JournalEntry, SupportRequest
from db.supervision import (
    AgendaItem,
    AgendaKind,
    CaseDiscussion,
    SessionParticipant,
    SessionVersion,
    StaffProfile,
    SupervisionAction,
    SupervisionSession,
)
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, require
from qa.audits.workflow import SENT_STATUSES
from qa.exports import to_csv
from qa.lookup import get_required
from qa.organisation.directory import names_by_id, roles_by_user
from qa.supervision.records import REFLECTION_DISCUSSED

FOLDER = "my-portal-data"


@dataclass(frozen=True)
class DataSet:
    name: str
    description: str
    columns: list[str]
    rows: list[dict[str, Any]]


# ------------------------------------------------------------------ formatting


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    return value


def _csv_value(value: Any) -> Any:
    """Lists become "a; b", dictionaries "key: value" lines; the rest is left to the CSV writer."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_csv_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(_csv_value(v)) for v in value)
    if isinstance(value, Enum):
        return value.value
    return value


def _content(raw: str | None) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------ the data


def _profile(session: Session, me: User) -> DataSet:
    team = session.get(Team, me.team_id) if me.team_id else None
    pdu = session.get(Pdu, team.pdu_id) if team else None
    profile = session.get(StaffProfile, me.id)
    names = names_by_id(session, [me.supervisor_id, profile.mentor_id if profile else None])
    row = {
        "id": me.id,
        "full_name": me.full_name,
        "email": me.email,
        "grade": me.grade,
        "staff_id": me.staff_id,
        "roles": [r.value for r in roles_by_user(session, [id_of(me)]).get(id_of(me), [])],
        "team": team.name if team else None,
        "pdu": pdu.name if pdu else None,
        "supervisor": names.get(me.supervisor_id),
        "active": me.is_active,
        "account_created_at": me.created_at,
        "account_updated_at": me.updated_at,
        "last_sign_in_at": me.last_login_at,
        "failed_sign_ins_since_last_success": me.failed_logins,
        "locked_until": me.locked_until,
        "password": "held only as a one-way hash (argon2id); the hash is not included"
        if me.password_hash
        else "none set (single sign-on)",
        "started_on": profile.started_on if profile else None,
        "newly_qualified": profile.newly_qualified if profile else None,
        "mentor": names.get(profile.mentor_id) if profile else None,
    }
    return DataSet(
        "profile", "Who I am in the portal: my account, roles, team, supervisor and start date.", list(row), [row]
    )


def _notes(session: Session, me: User) -> DataSet:
    columns = [
        "id",
        "entry_date",
        "model",
        "title",
        "sections",
        "tags",
        "case_ref",
        "linked_audit_id",
        "linked_observation_id",
        "draft",
        "created_at",
        "updated_at",
    ]
    rows = []
    for entry in session.exec(
        select(JournalEntry)
        .where(col(JournalEntry.author_id) == me.id)
        .order_by(col(JournalEntry.entry_date), col(JournalEntry.id))
    ):
        content = _content(entry.content)
        rows.append(
            {
                "id": entry.id,
                "entry_date": entry.entry_date,
                "model": entry.model,
                "title": content.get("title", ""),
                "sections": content.get("sections", {}),
                "tags": content.get("tags", []),
                "case_ref": entry.case_ref,
                "linked_audit_id": entry.audit_id,
                "linked_observation_id": entry.observation_id,
                "draft": entry.is_draft,
                "created_at": entry.created_at,
                "updated_at": entry.updated_at,
            }
        )
    return DataSet("journal_notes", "My reflective journal notes, in full (decrypted: I wrote them).", columns, rows)


def _debriefs(session: Session, me: User) -> DataSet:
    columns = ["id", "created_at", "intensity", "feelings", "setting", "need", "what_happened", "what_helped", "signs"]
    debriefs = session.exec(
        select(Debrief).where(col(Debrief.author_id) == me.id).order_by(col(Debrief.created_at), col(Debrief.id))
    ).all()
    feelings: dict[int, list[str]] = {}
    if debriefs:
        for row in session.exec(
            select(DebriefFeeling).where(col(DebriefFeeling.debrief_id).in_([d.id for d in debriefs]))
        ):
            feelings.setdefault(row.debrief_id, []).append(row.feeling)
    rows = []
    for d in debriefs:
        content = _content(d.content)
        rows.append(
            {
                "id": d.id,
                "created_at": d.created_at,
                "intensity": d.intensity,
                "feelings": sorted(feelings.get(id_of(d), [])),
                "setting": d.setting,
                "need": d.need,
                "what_happened": content.get("what_happened", ""),
                "what_helped": content.get("what_helped", ""),
                "signs": content.get("signs", []),
            }
        )
    return DataSet("debriefs", "My emotional debriefs, in full (decrypted: I wrote them).", columns, rows)


def _shares(session: Session, me: User) -> DataSet:
    columns = ["id", "kind", "entry_id", "shared_with", "for_supervision", "shared_at", "stopped_at"]
    shares = session.exec(
        select(EntryShare)
        .where(col(EntryShare.author_id) == me.id)
        .order_by(col(EntryShare.shared_at), col(EntryShare.id))
    ).all()
    names = names_by_id(session, [s.shared_with_id for s in shares])
    rows = [
        {
            "id": s.id,
            "kind": s.kind,
            "entry_id": s.entry_id,
            "shared_with": names.get(s.shared_with_id, ""),
            "for_supervision": s.for_supervision,
            "shared_at": s.shared_at,
            "stopped_at": s.revoked_at,
        }
        for s in shares
    ]
    return DataSet(
        "shares_i_made",
        "Each time I shared one of my notes or debriefs with someone, and when I stopped.",
        columns,
        rows,
    )


def _requests(session: Session, me: User) -> DataSet:
    columns = ["id", "asked", "urgency", "status", "debrief_id", "created_at", "updated_at"]
    requests = session.exec(
        select(SupportRequest)
        .where(SupportRequest.requester_id == me.id)
        .order_by(col(SupportRequest.created_at), col(SupportRequest.id))
    ).all()
    names = names_by_id(session, [r.recipient_id for r in requests])
    rows = [
        {
            "id": r.id,
            "asked": names.get(r.recipient_id, ""),
            "urgency": r.urgency,
            "status": r.status,
            "debrief_id": r.debrief_id,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in requests
    ]
    return DataSet("support_requests_i_made", "My requests to talk to my SPO or a colleague.", columns, rows)


def _observations(session: Session, me: User) -> list[DataSet]:
    observations = session.exec(
        select(Observation)
        .where(Observation.practitioner_id == me.id)
        .order_by(col(Observation.observed_on), col(Observation.id))
    ).all()
    ids = [o.id for o in observations]
    names = names_by_id(session, [o.observer_id for o in observations])
    obs_columns = [
        "id",
        "observed_on",
        "observer",
        "setting",
        "mode",
        "duration_minutes",
        "case_ref",
        "status",
        "consent",
        "what_i_wanted_feedback_on",
        "strengths",
        "development_points",
        "my_reflection",
        "my_reply",
        "shared_at",
        "acknowledged_at",
        "second_observer_of",
    ]
    obs_rows = [
        {
            "id": o.id,
            "observed_on": o.observed_on,
            "observer": names.get(o.observer_id, ""),
            "setting": o.setting,
            "mode": o.mode,
            "duration_minutes": o.duration_minutes,
            "case_ref": o.case_ref,
            "status": o.status,
            "consent": o.consent,
            "what_i_wanted_feedback_on": o.feedback_wanted,
            "strengths": o.strengths,
            "development_points": o.development_points,
            "my_reflection": o.reflection,
            "my_reply": o.reply,
            "shared_at": o.shared_at,
            "acknowledged_at": o.acknowledged_at,
            "second_observer_of": o.calibration_of_id,
        }
        for o in observations
    ]
    ratings: dict[tuple[int, str], dict[str, Any]] = {}
    if ids:
        for r in session.exec(select(ObservationRating).where(col(ObservationRating.observation_id).in_(ids))):
            ratings.setdefault((r.observation_id, r.domain_key), {}).update(
                observer_rating=r.rating, observer_not_observed=r.not_observed, evidence=r.evidence
            )
        for own in session.exec(select(SelfRating).where(col(SelfRating.observation_id).in_(ids))):
            ratings.setdefault((own.observation_id, own.domain_key), {}).update(
                my_rating=own.rating, my_not_observed=own.not_observed
            )
    rating_columns = [
        "observation_id",
        "skill_area",
        "observer_rating",
        "observer_not_observed",
        "evidence",
        "my_rating",
        "my_not_observed",
    ]
    rating_rows = [
        {"observation_id": obs_id, "skill_area": key} | values for (obs_id, key), values in sorted(ratings.items())
    ]
    goal_columns = ["id", "observation_id", "description", "review_date", "status", "progress", "updated_at"]
    goals = session.exec(
        select(DevelopmentGoal)
        .where(DevelopmentGoal.practitioner_id == me.id)
        .order_by(col(DevelopmentGoal.review_date), col(DevelopmentGoal.id))
    ).all()
    goal_rows = [
        {
            "id": g.id,
            "observation_id": g.observation_id,
            "description": g.description,
            "review_date": g.review_date,
            "status": g.status,
            "progress": g.progress,
            "updated_at": g.updated_at,
        }
        for g in goals
    ]
    by_me = session.exec(
        select(Observation)
        .where(col(Observation.observer_id) == me.id)
        .order_by(col(Observation.observed_on), col(Observation.id))
    ).all()
    practitioners = names_by_id(session, [o.practitioner_id for o in by_me])
    by_me_rows = [
        {
            "id": o.id,
            "observed_on": o.observed_on,
            "practitioner": practitioners.get(o.practitioner_id, ""),
            "status": o.status,
        }
        for o in by_me
    ]
    return [
        DataSet(
            "observations_of_me",
            "Observations of my practice: the observer's notes, what I asked for feedback on, and my reflection and reply.",
            obs_columns,
            obs_rows,
        ),
        DataSet(
            "observation_ratings",
            "Ratings in each skill area of the observations of me: the observer's, with evidence, and my own self-rating.",
            rating_columns,
            rating_rows,
        ),
        DataSet("development_goals", "My development goals from observations, with progress.", goal_columns, goal_rows),
        DataSet(
            "observations_i_carried_out",
            "Observations I carried out of colleagues (date, who and status only; the ratings are about them).",
            ["id", "observed_on", "practitioner", "status"],
            by_me_rows,
        ),
    ]


def _audits(session: Session, me: User) -> list[DataSet]:
    mine = session.exec(
        select(CaseAudit, col(Case.case_ref), col(AuditEvent.event_date))
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .join(AuditEvent, col(CaseAudit.event_id) == col(AuditEvent.id))
        .where(
            col(Case.holder_id) == me.id,
            col(CaseAudit.moderates_id).is_(None),
            col(CaseAudit.status).in_(list(SENT_STATUSES)),
        )
        .order_by(col(AuditEvent.event_date), col(CaseAudit.id))
    ).all()
    ids = [a.id for a, _ref, _day in mine]
    refs = {a.id: ref for a, ref, _day in mine}
    pair_ids = {a.pair_id for a, _r, _d in mine if a.pair_id}
    pairs = (
        {p.id: p for p in session.exec(select(AuditorPair).where(col(AuditorPair.id).in_(pair_ids)))}
        if pair_ids
        else {}
    )
    sheets = (
        {s.audit_id: s for s in session.exec(select(FeedbackSheet).where(col(FeedbackSheet.audit_id).in_(ids)))}
        if ids
        else {}
    )
    theme_names = dict(session.exec(select(LearningTheme.id, LearningTheme.name)).all())
    themes: dict[tuple[int, str], list[str]] = {}
    if ids:
        for t in session.exec(select(FeedbackTheme).where(col(FeedbackTheme.audit_id).in_(ids))):
            themes.setdefault((t.audit_id, str(t.section)), []).append(theme_names.get(t.theme_id, ""))
    names = names_by_id(
        session,
        [a.feedback_to_id for a, _r, _d in mine] + [x for p in pairs.values() for x in (p.first_id, p.second_id)],
    )
    audit_columns = [
        "id",
        "case_ref",
        "event_date",
        "status",
        "auditors",
        "feedback_to",
        "submitted_at",
        "feedback_sent_at",
        "discussed_at",
        "closed_at",
        "good_practice",
        "improvement",
        "improvement_themes",
        "concerns",
        "concern_themes",
        "my_reply",
        "my_reply_at",
    ]
    audit_rows = []
    for audit, ref, day in mine:
        pair = pairs.get(audit.pair_id)
        sheet = sheets.get(id_of(audit))
        audit_rows.append(
            {
                "id": audit.id,
                "case_ref": ref,
                "event_date": day,
                "status": audit.status,
                "auditors": [names.get(pair.first_id, ""), names.get(pair.second_id, "")] if pair else [],
                "feedback_to": names.get(audit.feedback_to_id),
                "submitted_at": audit.submitted_at,
                "feedback_sent_at": audit.feedback_sent_at,
                "discussed_at": audit.discussed_at,
                "closed_at": audit.closed_at,
                "good_practice": sheet.good_practice if sheet else "",
                "improvement": sheet.improvement if sheet else "",
                "improvement_themes": themes.get((id_of(audit), "improvement"), []),
                "concerns": sheet.concerns if sheet else "",
                "concern_themes": themes.get((id_of(audit), "concerns"), []),
                "my_reply": sheet.holder_reply if sheet else None,
                "my_reply_at": sheet.reply_at if sheet else None,
            }
        )
    answer_rows = [
        {
            "audit_id": a.audit_id,
            "case_ref": refs[a.audit_id],
            "question": a.question_key,
            "answer": a.answer,
            "evidence": a.evidence,
        }
        for a in (
            session.exec(
                select(AuditAnswer)
                .where(col(AuditAnswer.audit_id).in_(ids))
                .order_by(col(AuditAnswer.audit_id), col(AuditAnswer.question_key))
            )
            if ids
            else []
        )
    ]
    actions = session.exec(
        select(AuditAction)
        .where(
            (col(AuditAction.audit_id).in_(ids)) | (col(AuditAction.owner_id) == me.id)
            if ids
            else col(AuditAction.owner_id) == me.id
        )
        .order_by(col(AuditAction.due_date), col(AuditAction.id))
    ).all()
    action_refs = (
        dict(
            session.exec(
                select(CaseAudit.id, Case.case_ref)
                .join(Case, col(CaseAudit.case_id) == col(Case.id))
                .where(col(CaseAudit.id).in_({a.audit_id for a in actions}))
            ).all()
        )
        if actions
        else {}
    )
    owners = names_by_id(session, [a.owner_id for a in actions])
    action_rows = [
        {
            "id": a.id,
            "audit_id": a.audit_id,
            "case_ref": action_refs.get(a.audit_id, ""),
            "description": a.description,
            "owner": owners.get(a.owner_id, ""),
            "due_date": a.due_date,
            "status": a.status,
            "created_at": a.created_at,
            "closed_at": a.closed_at,
        }
        for a in actions
    ]
    done = session.exec(
        select(CaseAudit, col(Case.case_ref), col(AuditEvent.event_date))
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .join(AuditEvent, col(CaseAudit.event_id) == col(AuditEvent.id))
        .join(AuditorPair, col(CaseAudit.pair_id) == col(AuditorPair.id), isouter=True)
        .where(
            (col(AuditorPair.first_id) == me.id)
            | (col(AuditorPair.second_id) == me.id)
            | (col(CaseAudit.moderator_id) == me.id)
        )
        .order_by(col(AuditEvent.event_date), col(CaseAudit.id))
    ).all()
    done_rows = [
        {
            "id": a.id,
            "case_ref": ref,
            "event_date": day,
            "my_part": "moderator" if a.moderates_id is not None and a.moderator_id == me.id else "auditor",
            "status": a.status,
            "submitted_at": a.submitted_at,
        }
        for a, ref, day in done
    ]
    return [
        DataSet(
            "audits_of_my_cases",
            "LEARN audits of cases I hold, once the feedback reached me: the feedback sheet and my reply.",
            audit_columns,
            audit_rows,
        ),
        DataSet(
            "audit_answers",
            "The auditors' answers and evidence for those audits.",
            ["audit_id", "case_ref", "question", "answer", "evidence"],
            answer_rows,
        ),
        DataSet(
            "audit_actions",
            "Actions on those audits, and any audit action I own.",
            ["id", "audit_id", "case_ref", "description", "owner", "due_date", "status", "created_at", "closed_at"],
            action_rows,
        ),
        DataSet(
            "audits_i_carried_out",
            "Audits I carried out as an auditor or moderator (the audit itself is about the case holder's work).",
            ["id", "case_ref", "event_date", "my_part", "status", "submitted_at"],
            done_rows,
        ),
    ]


def _personal_notes(record: SupervisionSession, me: User, participants: list[int], text: str | None) -> str | None:
    """Private personal-support notes are about the one practitioner in the session: theirs alone."""
    if not record.personal_private:
        return text
    return text if participants == [me.id] else None


def _supervision(session: Session, me: User) -> list[DataSet]:
    ids = set(
        session.exec(select(SessionParticipant.session_id).where(SessionParticipant.practitioner_id == me.id)).all()
    )
    ids |= {
        i
        for i in session.exec(
            select(col(SupervisionSession.id)).where(col(SupervisionSession.supervisor_id) == me.id)
        ).all()
        if i is not None
    }
    records = (
        session.exec(
            select(SupervisionSession)
            .where(col(SupervisionSession.id).in_(ids))
            .order_by(col(SupervisionSession.held_on), col(SupervisionSession.id))
        ).all()
        if ids
        else []
    )
    parts: dict[int, list[SessionParticipant]] = {}
    for p in session.exec(select(SessionParticipant).where(col(SessionParticipant.session_id).in_(ids))) if ids else []:
        parts.setdefault(p.session_id, []).append(p)
    names = names_by_id(
        session, [r.supervisor_id for r in records] + [p.practitioner_id for ps in parts.values() for p in ps]
    )
    session_columns = [
        "id",
        "held_on",
        "kind",
        "my_part",
        "supervisor",
        "practitioners",
        "accountability",
        "development",
        "support",
        "notes",
        "personal_notes",
        "personal_notes_private",
        "status",
        "version",
        "my_comments",
        "i_confirmed_at",
    ]
    session_rows = []
    for r in records:
        people = sorted(p.practitioner_id for p in parts.get(id_of(r), []))
        me_part = next((p for p in parts.get(id_of(r), []) if p.practitioner_id == me.id), None)
        session_rows.append(
            {
                "id": r.id,
                "held_on": r.held_on,
                "kind": r.kind,
                "my_part": "supervisor" if r.supervisor_id == me.id else "practitioner",
                "supervisor": names.get(r.supervisor_id, ""),
                "practitioners": sorted(names.get(i, "") for i in people),
                "accountability": r.accountability,
                "development": r.development,
                "support": r.support,
                "notes": r.notes,
                "personal_notes": _personal_notes(r, me, people, r.personal_notes),
                "personal_notes_private": r.personal_private,
                "status": r.status,
                "version": r.version,
                "my_comments": me_part.comments if me_part else None,
                "i_confirmed_at": me_part.signed_at if me_part else None,
            }
        )
    by_id = {r.id: r for r in records}
    discussion_rows = [
        {"session_id": c.session_id, "case_ref": c.case_ref, "decision": c.decision, "rationale": c.rationale}
        for c in (
            session.exec(
                select(CaseDiscussion)
                .where(col(CaseDiscussion.session_id).in_(ids))
                .order_by(col(CaseDiscussion.session_id), col(CaseDiscussion.id))
            )
            if ids
            else []
        )
    ]
    actions = (
        session.exec(
            select(SupervisionAction)
            .where(col(SupervisionAction.session_id).in_(ids))
            .order_by(col(SupervisionAction.session_id), col(SupervisionAction.id))
        ).all()
        if ids
        else []
    )
    owners = names_by_id(session, [a.owner_id for a in actions])
    action_rows = [
        {
            "id": a.id,
            "session_id": a.session_id,
            "description": a.description,
            "owner": owners.get(a.owner_id, ""),
            "due_date": a.due_date,
            "done_at": a.done_at,
        }
        for a in actions
    ]
    version_rows = []
    for v in (
        session.exec(
            select(SessionVersion)
            .where(col(SessionVersion.session_id).in_(ids))
            .order_by(col(SessionVersion.session_id), col(SessionVersion.version))
        )
        if ids
        else []
    ):
        snap = _content(v.snapshot)
        record = by_id[v.session_id]
        people = sorted(p.practitioner_id for p in parts.get(id_of(record), []))
        private = bool(snap.get("personal_private", True))
        personal = snap.get("personal_notes") if (not private or people == [me.id]) else None
        version_rows.append(
            {
                "session_id": v.session_id,
                "version": v.version,
                "changed_at": v.changed_at,
                "held_on": snap.get("held_on"),
                "notes": snap.get("notes", ""),
                "personal_notes": personal,
                "case_discussions": snap.get("case_discussions", []),
            }
        )
    items = session.exec(
        select(AgendaItem)
        .where((AgendaItem.practitioner_id == me.id) | (AgendaItem.added_by_id == me.id))
        .order_by(col(AgendaItem.added_at), col(AgendaItem.id))
    ).all()
    item_names = names_by_id(session, [i.practitioner_id for i in items] + [i.added_by_id for i in items])
    item_rows = [
        {
            "id": i.id,
            "about": item_names.get(i.practitioner_id, ""),
            "kind": i.kind,
            # A discussed shared reflection holds no copy of the note: the export says only that it was discussed
            # (the author's own notes are in their notes data set).
            "title": REFLECTION_DISCUSSED if i.kind == AgendaKind.SHARED_REFLECTION else i.title,
            "added_by": item_names.get(i.added_by_id),
            "added_at": i.added_at,
            "discussed_in_session": i.discussed_in_id,
            "discussion_note": i.discussion_note if (i.practitioner_id == me.id or i.discussed_in_id in ids) else "",
        }
        for i in items
    ]
    return [
        DataSet(
            "supervision_sessions",
            "Supervision sessions I took part in, as practitioner or supervisor.",
            session_columns,
            session_rows,
        ),
        DataSet(
            "supervision_case_discussions",
            "Case decisions and their rationale recorded in those sessions.",
            ["session_id", "case_ref", "decision", "rationale"],
            discussion_rows,
        ),
        DataSet(
            "supervision_actions",
            "Actions agreed in those sessions.",
            ["id", "session_id", "description", "owner", "due_date", "done_at"],
            action_rows,
        ),
        DataSet(
            "supervision_earlier_versions",
            "Earlier versions of those records, kept when a record was changed.",
            ["session_id", "version", "changed_at", "held_on", "notes", "personal_notes", "case_discussions"],
            version_rows,
        ),
        DataSet(
            "agenda_items",
            "Supervision agenda items about me, or that I added.",
            ["id", "about", "kind", "title", "added_by", "added_at", "discussed_in_session", "discussion_note"],
            item_rows,
        ),
    ]


def _views(session: Session, me: User) -> DataSet:
    columns = ["at", "viewer", "record", "record_id"]
    rows: list[dict[str, Any]] = []
    try:
        from db.access_log import RecordView
    except ImportError:  # pragma: no cover - the access log table predates this module in every release
        pass
    else:
        views = session.exec(
            select(RecordView)
            .where(col(RecordView.subject_id) == me.id)
            .order_by(col(RecordView.at), col(RecordView.id))
        ).all()
        viewers = names_by_id(session, [v.viewer_id for v in views])
        rows = [
            {"at": v.at, "viewer": viewers.get(v.viewer_id, ""), "record": v.record_kind, "record_id": v.record_id}
            for v in views
        ]
    return DataSet(
        "views_of_my_records",
        "Who opened a record about me (an observation, audit, feedback sheet, shared entry or supervision record), and when.",
        columns,
        rows,
    )


def _trail(session: Session, me: User) -> DataSet:
    columns = ["at", "action", "record", "record_id", "summary"]
    rows = [
        {"at": t.at, "action": t.action, "record": t.entity, "record_id": t.entity_id, "summary": t.summary}
        for t in session.exec(select(AuditTrail).where(col(AuditTrail.actor_id) == me.id).order_by(col(AuditTrail.id)))
    ]
    return DataSet(
        "my_actions_in_the_audit_trail",
        "Every audit-trail entry for something I did (the trail names records, never their text).",
        columns,
        rows,
    )


def datasets_for(session: Session, me: User) -> list[DataSet]:
    return [
        _profile(session, me),
        _notes(session, me),
        _debriefs(session, me),
        _shares(session, me),
        _requests(session, me),
        *_observations(session, me),
        *_audits(session, me),
        *_supervision(session, me),
        _views(session, me),
        _trail(session, me),
    ]


# ------------------------------------------------------------------ the ZIP


def _readme(me: User, sets: Iterable[DataSet], made_at: datetime) -> str:
    lines = [
        "Everything the Practice Quality Portal holds about you",
        "=" * 54,
        "",
        f"For: {me.full_name} <{me.email}>",
        f"Made: {made_at:%Y-%m-%d %H:%M} UTC",
        "",
        "Each set of data is here twice: as JSON (for computers) and as CSV (opens in a",
        "spreadsheet). Times in the JSON files are UTC (ISO 8601); times in the CSV files",
        "are UK local time. In the CSV files, a cell that begins with =, +, - or @ has an",
        "apostrophe in front so that a spreadsheet shows it as text and never runs it.",
        "",
        "Your own notes and debriefs are included in full. Other people's private notes",
        "and debriefs are never included, even ones they shared with you: they belong to",
        "their authors. Private personal-support notes from supervision are included only",
        "for sessions where you were the one practitioner.",
        "",
        "The files",
        "---------",
    ]
    for s in sets:
        lines += [
            f"{s.name}.json / {s.name}.csv ({len(s.rows)} row{'s' if len(s.rows) != 1 else ''})",
            f"    {s.description}",
        ]
    lines += [
        "",
        "If something is missing or wrong, ask your administrator or your organisation's",
        "data protection officer.",
        "",
    ]
    return "\n".join(lines)


def export_for(actor: Actor | None) -> bytes:
    """A ZIP of everything held about the signed-in person. Only ever their own.

    ``actor`` is None for an account deactivated or removed since sign-in: refused, like any missing actor.
    """
    actor = require(actor, Action.EXPORT_MY_DATA, PersonScope(actor.id) if isinstance(actor, Actor) else None)
    made_at = utcnow()
    with session_scope() as session:
        me = get_required(session, User, actor.id)
        sets = datasets_for(session, me)
        readme = _readme(me, sets, made_at)
        trail.record(
            session, actor, "exported", "subject_access", actor.id, f"downloaded their own data: {len(sets)} files"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{FOLDER}/README.txt", readme)
        for s in sets:
            rows = [{c: _json_value(row.get(c)) for c in s.columns} for row in s.rows]
            archive.writestr(f"{FOLDER}/{s.name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
            archive.writestr(
                f"{FOLDER}/{s.name}.csv",
                to_csv(s.columns, [{c: _csv_value(row.get(c)) for c in s.columns} for row in s.rows]),
            )
    return buffer.getvalue()


def file_name(actor: Actor, today: date | None = None) -> str:
    return f"portal-data-{actor.id}-{(today or date.today()).isoformat()}.zip"
