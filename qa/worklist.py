"""What is waiting for each role: the work queues their home page starts from.

Each queue is a :class:`WorkGroup`: a plain-English label, a count and the records
it is about (a :class:`WorkRecord` each: a :class:`~qa.records.RecordRef`, a short
label and a date), oldest or most urgent first. The rules for what is waiting live
here; the home pages only render them.

Every record listed is one the viewer may open (the policy is asked, deny by
default), and no label holds private text: a shared note or debrief is named by
its author and the date it was shared, never its title or content, and a request
to talk by who asked and how soon, never what they wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from db.audits import (
    ActionStatus,
    AuditAction,
    AuditEvent,
    AuditorPair,
    AuditSeen,
    AuditStatus,
    CaseAudit,
    EventStatus,
    FeedbackSheet,
)
from db.engine import session_scope
from db.ids import id_of
from db.observations import (
    DevelopmentGoal,
    GoalAgreement,
    GoalStatus,
    InvitationStatus,
    Observation,
    ObservationStatus,
    SelfRating,
)
from db.organisation import Case, Role, Team, User, UserRole, utcnow
from db.reflection import EntryKind, SupportContact, Urgency
from qa.access import auth
from qa.access.actor import Actor
from qa.access.policy import Action, PduScope, can
from qa.audits import concerns as urgent_concerns
from qa.audits import workflow as audit_workflow
from qa.audits.concerns import ESCALATE_AFTER_WORKING_DAYS
from qa.dashboards import figures
from qa.dashboards.filters import Filters
from qa.due import DueStatus
from qa.observations import coverage as observation_coverage
from qa.observations.workflow import practitioner_scope
from qa.records import RecordKind, RecordRef
from qa.reflection import sharing, support
from qa.supervision import agenda as supervision_agenda
from qa.supervision import cadence
from qa.supervision import records as supervision

#: Audit actions due within this many days count as "due" on a practitioner's home.
ACTIONS_DUE_WINDOW = timedelta(days=14)
#: Share of a team's practitioners observed in the last 12 months below which the team is listed.
OBSERVATION_TARGET_SHARE = 1.0
SENT = (AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED)


@dataclass(frozen=True)
class WorkRecord:
    """One thing waiting: the record to open, a short label, and its date (due, or waiting since)."""

    record: RecordRef | None
    label: str
    when: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class WorkGroup:
    """One queue on a home page: a plain-English label, how many, and the records, most pressing first."""

    key: str
    label: str
    records: tuple[WorkRecord, ...] = ()
    #: How many are waiting; the number of records unless the group counts something else (teams, say).
    count: int | None = None
    #: A sentence of context: when my next supervision is due, or why a list is empty.
    note: str = ""

    @property
    def waiting(self) -> int:
        return len(self.records) if self.count is None else self.count


def _date(moment: datetime | date | None) -> date | None:
    if isinstance(moment, datetime):
        return moment.date()
    return moment


def _sorted(records: Iterable[WorkRecord]) -> tuple[WorkRecord, ...]:
    """Overdue first, then oldest (or soonest due) first; undated last."""
    return tuple(sorted(records, key=lambda r: (not r.overdue, r.when is None, r.when or date.max)))


def _visible_audits(session: Session, actor: Actor, audits: Sequence[CaseAudit]) -> list[CaseAudit]:
    """The audits the policy lets this person see.

    Each audit's scope needs its event, case, holder and auditor pair: they are loaded first in four
    statements (kept referenced here, so the session's identity map holds them), and ``scope_of`` then
    finds each one there instead of asking the database four times per audit.
    """
    loaded: list[object] = []
    for model, ids in (
        (AuditEvent, {a.event_id for a in audits}),
        (Case, {a.case_id for a in audits}),
        (AuditorPair, {a.pair_id for a in audits if a.pair_id is not None}),
    ):
        if ids:
            loaded += session.exec(select(model).where(col(model.id).in_(ids))).all()
    holders = {c.holder_id for c in loaded if isinstance(c, Case)}
    if holders:
        loaded += session.exec(select(User).where(col(User.id).in_(holders))).all()
    return [a for a in audits if can(actor, Action.VIEW_AUDIT, audit_workflow.scope_of(session, a))]


# ------------------------------------------------------------------ practitioner


def practitioner_work(actor: Actor, today: date | None = None) -> tuple[WorkGroup, ...]:
    today = today or date.today()
    with session_scope() as session:
        groups = [
            _feedback_to_reply(session, actor),
            _my_actions(actor, today),
            _my_observations(session, actor),
            _my_goals(session, actor, today),
            _my_next_supervision(session, actor, today),
            _records_to_confirm(actor),
            _shared_with_me(actor),
            _my_audits(actor),
        ]
    return tuple(groups)


def _feedback_to_reply(session: Session, actor: Actor) -> WorkGroup:
    rows = session.exec(
        select(CaseAudit, Case.case_ref)
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .join(FeedbackSheet, col(FeedbackSheet.audit_id) == col(CaseAudit.id), isouter=True)
        .where(
            col(Case.holder_id) == actor.id,
            col(CaseAudit.status).in_(SENT),
            col(CaseAudit.moderates_id).is_(None),
            col(FeedbackSheet.holder_reply).is_(None),
        )
    ).all()
    visible = {a.id for a in _visible_audits(session, actor, [a for a, _ref in rows])}
    return WorkGroup(
        "feedback_to_reply",
        "Audit feedback on my cases to read and reply to",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.FEEDBACK_SHEET, id_of(a)),
                f"Feedback on case {ref}",
                _date(a.feedback_sent_at),
            )
            for a, ref in rows
            if a.id in visible
        ),
    )


def _my_actions(actor: Actor, today: date) -> WorkGroup:
    return WorkGroup(
        "actions_due",
        "Audit actions due or overdue",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.CASE_AUDIT, audit_id),
                f"{action.description} (case {ref})",
                action.due_date,
                action.overdue,
            )
            for action, ref, audit_id in audit_workflow.my_open_actions(actor, today)
            if action.due_date <= today + ACTIONS_DUE_WINDOW
        ),
    )


def _my_observations(session: Session, actor: Actor) -> WorkGroup:
    observations = session.exec(
        select(Observation).where(
            col(Observation.practitioner_id) == actor.id,
            col(Observation.status).in_([ObservationStatus.PLANNED, ObservationStatus.SHARED]),
            col(Observation.calibration_of_id).is_(None),
        )
    ).all()
    rated = set(
        session.exec(
            select(SelfRating.observation_id).where(col(SelfRating.observation_id).in_([o.id for o in observations]))
        ).all()
    )
    records = []
    for obs in observations:
        if obs.status == ObservationStatus.PLANNED and obs.invitation == InvitationStatus.INVITED:
            records.append(
                WorkRecord(
                    RecordRef(RecordKind.OBSERVATION, obs.id or 0),
                    f"Invitation to be observed on {obs.observed_on:%d %b %Y}: accept, decline or propose another date",
                    obs.observed_on,
                )
            )
        elif obs.status == ObservationStatus.PLANNED and obs.invitation != InvitationStatus.ACCEPTED:
            continue  # declined, or waiting for the observer to answer my other date
        elif obs.status == ObservationStatus.SHARED:
            records.append(
                WorkRecord(
                    RecordRef(RecordKind.OBSERVATION, obs.id or 0),
                    f"Observation of {obs.observed_on:%d %b %Y}: read the feedback and reply",
                    obs.observed_on,
                )
            )
        elif obs.id not in rated:
            records.append(
                WorkRecord(
                    RecordRef(RecordKind.OBSERVATION, obs.id or 0),
                    f"Observation planned for {obs.observed_on:%d %b %Y}: rate yourself first",
                    obs.observed_on,
                )
            )
    return WorkGroup("observations", "Observations waiting for my answer, self-rating or reply", _sorted(records))


def _my_goals(session: Session, actor: Actor, today: date) -> WorkGroup:
    goals = session.exec(
        select(DevelopmentGoal).where(
            col(DevelopmentGoal.practitioner_id) == actor.id,
            col(DevelopmentGoal.status) == GoalStatus.OPEN,
            col(DevelopmentGoal.agreement) == GoalAgreement.AGREED,
            col(DevelopmentGoal.review_date) <= today + supervision_agenda.GOAL_REVIEW_WINDOW,
        )
    ).all()
    return WorkGroup(
        "goals",
        "Development goals to review",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.OBSERVATION, g.observation_id),
                f"{g.description} (review by {g.review_date:%d %b %Y})",
                g.review_date,
                g.review_date < today,
            )
            for g in goals
        ),
    )


def _my_next_supervision(session: Session, actor: Actor, today: date) -> WorkGroup:
    me = session.get(User, actor.id)
    team = session.get(Team, me.team_id) if me is not None and me.team_id else None
    note = ""
    if me is not None and actor.has(Role.PRACTITIONER):
        row = cadence.cadence_rows(session, [(me, team)], today)[0]
        if row.status == DueStatus.OVERDUE:
            note = "My next supervision is overdue: ask my supervisor for a time."
        elif row.due_from is None or row.due_from <= today:
            note = "My next supervision is due now."
        else:
            note = f"My next supervision is due from {row.due_from:%d %b %Y}."
    scope = practitioner_scope(session, actor.id)
    items = (
        supervision_agenda.assemble(session, actor.id, scope.spo_id, today)
        if can(actor, Action.VIEW_AGENDA, scope)
        else []
    )
    # The agenda is mine: what it names I may open (an audit of my case, my observation, my own note).
    return WorkGroup(
        "next_supervision",
        "My next supervision: on the agenda",
        tuple(WorkRecord(item.record, f"{item.kind.capitalize()}: {item.title}") for item in items),
        note=note,
    )


def _records_to_confirm(actor: Actor) -> WorkGroup:
    return WorkGroup(
        "records_to_confirm",
        "Supervision records to confirm",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.SUPERVISION_SESSION, row.id),
                f"{row.held_on:%d %b %Y} · {row.kind} with {row.supervisor_name}",
                row.held_on,
            )
            for row in supervision.sessions_with(actor)
            if row.awaiting_me
        ),
    )


def _shared_with_me(actor: Actor) -> WorkGroup:
    records = []
    for share in sharing.shared_with_me(actor):
        is_note = share.kind == EntryKind.NOTE
        what = "Reflective note" if is_note else "Debrief"
        records.append(
            WorkRecord(
                RecordRef(RecordKind.SHARED_NOTE if is_note else RecordKind.SHARED_DEBRIEF, share.entry_id),
                f"{what} from {share.author_name}, shared {share.shared_at:%d %b %Y}"
                + (" for supervision" if share.for_supervision else ""),
                _date(share.shared_at),
            )
        )
    return WorkGroup("shared_with_me", "Notes and debriefs shared with me", _sorted(records))


def _my_audits(actor: Actor) -> WorkGroup:
    return WorkGroup(
        "audits_to_complete",
        "Case audits I am assigned to as an auditor",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.CASE_AUDIT, row.audit_id),
                ("Second audit (moderation) of case " if row.is_moderation else "Audit of case ") + row.case_ref,
                row.event_date,
            )
            for row in audit_workflow.my_audits(actor)
            if row.to_complete
        ),
    )


# --------------------------------------------------------------------------- SPO


def spo_work(actor: Actor, today: date | None = None) -> tuple[WorkGroup, ...]:
    today = today or date.today()
    with session_scope() as session:
        groups = [
            _sheets_to_discuss(session, actor),
            _news_since_seen(session, actor),
            _team_concerns(actor, today),
            _supervision_due(actor, today),
            _observations_to_arrange(actor, today),
            _requests_to_me(actor),
        ]
    return tuple(groups)


def _sheets_to_discuss(session: Session, actor: Actor) -> WorkGroup:
    rows = session.exec(
        select(CaseAudit, Case.case_ref, User.full_name)
        .join(Case, col(CaseAudit.case_id) == col(Case.id))
        .join(User, col(Case.holder_id) == col(User.id))
        .where(col(CaseAudit.feedback_to_id) == actor.id, col(CaseAudit.status) == AuditStatus.FEEDBACK_SENT)
    ).all()
    visible = {a.id for a in _visible_audits(session, actor, [a for a, _r, _n in rows])}
    return WorkGroup(
        "sheets_to_discuss",
        "Audit feedback sheets to discuss in supervision",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.FEEDBACK_SHEET, id_of(a)),
                f"Case {ref}, held by {holder}",
                _date(a.feedback_sent_at),
            )
            for a, ref, holder in rows
            if a.id in visible
        ),
    )


def _news_since_seen(session: Session, actor: Actor) -> WorkGroup:
    """Sheets sent to me where the holder replied, or someone else closed an action, since I last opened them.

    A sheet stays here after all its actions close, until I open it.
    """
    audits = session.exec(
        select(CaseAudit).where(col(CaseAudit.feedback_to_id) == actor.id, col(CaseAudit.status).in_(SENT))
    ).all()
    audits = _visible_audits(session, actor, audits)
    ids = [id_of(a) for a in audits]
    if not ids:
        return WorkGroup("news", "Replies and actions closed since I last looked")
    seen = dict(
        session.exec(
            select(AuditSeen.audit_id, AuditSeen.seen_at).where(
                col(AuditSeen.user_id) == actor.id, col(AuditSeen.audit_id).in_(ids)
            )
        ).all()
    )
    replies = dict(
        session.exec(
            select(FeedbackSheet.audit_id, FeedbackSheet.reply_at).where(
                col(FeedbackSheet.audit_id).in_(ids), col(FeedbackSheet.reply_at).is_not(None)
            )
        ).all()
    )
    closed: dict[int, list[datetime]] = {}
    for audit_id, closed_at in session.exec(
        select(AuditAction.audit_id, AuditAction.closed_at).where(
            col(AuditAction.audit_id).in_(ids),
            col(AuditAction.status) == ActionStatus.DONE,
            col(AuditAction.closed_at).is_not(None),
            col(AuditAction.closed_by_id) != actor.id,
        )
    ).all():
        if closed_at is not None:
            closed.setdefault(audit_id, []).append(closed_at)
    refs = dict(
        session.exec(
            select(col(Case.id), col(Case.case_ref)).where(col(Case.id).in_({a.case_id for a in audits}))
        ).all()
    )
    records = []
    for audit in audits:
        audit_id = id_of(audit)
        since = seen.get(audit_id)
        replied = replies.get(audit_id)
        new_reply = replied is not None and (since is None or replied > since)
        new_closed = [c for c in closed.get(audit_id, []) if since is None or c > since]
        if not (new_reply or new_closed):
            continue
        parts = []
        if new_reply:
            parts.append("the holder replied")
        if new_closed:
            parts.append(f"{len(new_closed)} action{'s' if len(new_closed) != 1 else ''} closed")
        if audit.status == AuditStatus.ACTIONS_CLOSED:
            parts.append("all actions now closed")
        latest = max([d for d in [replied if new_reply else None, *new_closed] if d is not None])
        records.append(
            WorkRecord(
                RecordRef(RecordKind.FEEDBACK_SHEET, audit_id),
                f"Case {refs.get(audit.case_id, '')}: {', '.join(parts)}",
                latest.date(),
            )
        )
    return WorkGroup("news", "Replies and actions closed since I last looked", _sorted(records))


def _team_concerns(actor: Actor, today: date) -> WorkGroup:
    return WorkGroup(
        "urgent_concerns",
        "Urgent risk-of-harm concerns on my team's cases, to acknowledge",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.CASE_AUDIT, c.audit_id),
                f"Case {c.case_ref}, raised {c.raised_at:%d %b %Y} by {c.raised_by_name}",
                c.raised_at.date(),
                c.overdue,
            )
            for c in urgent_concerns.concerns_for_me(actor, today)
        ),
    )


def _supervision_due(actor: Actor, today: date) -> WorkGroup:
    records = []
    for row in cadence.cadence_for_supervisor(actor, today):
        if row.status == DueStatus.UP_TO_DATE:
            continue
        last = f"last {row.last_supervised:%d %b %Y}" if row.last_supervised else "none recorded yet"
        records.append(
            WorkRecord(
                RecordRef(RecordKind.SUPERVISEE, row.practitioner_id),
                f"{row.name}: {row.status} ({last})",
                row.overdue_after if row.status == DueStatus.OVERDUE else row.due_from,
                row.status == DueStatus.OVERDUE,
            )
        )
    return WorkGroup("supervision_due", "Supervision due or overdue", _sorted(records))


def _observations_to_arrange(actor: Actor, today: date) -> WorkGroup:
    records = []
    for row in observation_coverage.coverage_for_supervisor(actor, today):
        if row.status == DueStatus.UP_TO_DATE:
            continue
        last = f"last observed {row.last_observed:%d %b %Y}" if row.last_observed else "never observed"
        records.append(
            WorkRecord(
                RecordRef(RecordKind.OBSERVATION_TO_PLAN, row.practitioner_id),
                f"Plan an observation of {row.name}: {row.status} ({last})",
                row.next_due,
                row.status == DueStatus.OVERDUE,
            )
        )
    with session_scope() as session:
        planned = session.exec(
            select(Observation, User.full_name)
            .join(User, col(Observation.practitioner_id) == col(User.id))
            .where(col(Observation.observer_id) == actor.id, col(Observation.status) == ObservationStatus.PLANNED)
        ).all()
        for obs, name in planned:
            if obs.invitation == InvitationStatus.NEW_DATE_PROPOSED and obs.calibration_of_id is None:
                records.append(
                    WorkRecord(
                        RecordRef(RecordKind.OBSERVATION, obs.id or 0),
                        f"{name} proposed another date for the observation planned for {obs.observed_on:%d %b %Y}",
                        obs.observed_on,
                    )
                )
                continue
            if obs.invitation != InvitationStatus.ACCEPTED:
                continue  # waiting for their answer, or declined
            records.append(
                WorkRecord(
                    RecordRef(RecordKind.OBSERVATION, obs.id or 0),
                    f"Finish the observation of {name} planned for {obs.observed_on:%d %b %Y}",
                    obs.observed_on,
                    obs.observed_on < today,
                )
            )
    return WorkGroup("team_observations", "Observations to plan or finish", _sorted(records))


def _requests_to_me(actor: Actor) -> WorkGroup:
    """Who asked, how soon and when: what the support screens already show the recipient, never what they wrote."""
    records = [
        WorkRecord(
            RecordRef(RecordKind.SUPPORT_REQUEST, r.id),
            f"{r.requester_name} would like to talk ({r.urgency}), asked {r.created_at:%d %b %Y}",
            r.created_at.date(),
            r.urgency == Urgency.TODAY,
        )
        for r in support.requests_to_me(actor)
    ]
    return WorkGroup("support_requests", "Requests to talk addressed to me", _sorted(records))


# ----------------------------------------------------------------------- QA lead


def qa_lead_work(actor: Actor, today: date | None = None) -> tuple[WorkGroup, ...]:
    today = today or date.today()
    if actor.pdu_id is None or not can(actor, Action.MANAGE_AUDIT_EVENTS, PduScope(actor.pdu_id)):
        return ()
    pdu_id = actor.pdu_id
    with session_scope() as session:
        groups = [_learn_events(session, pdu_id, today), _moderation_waiting(session, pdu_id)]
    groups.insert(1, _overdue_concerns(actor, pdu_id, today))
    groups += [_teams_below_target(actor, pdu_id, today), _cadence_by_team(actor, pdu_id, today)]
    return tuple(groups)


def _event_counts(session: Session, event_id: int) -> dict[str, int]:
    rows = session.exec(
        select(CaseAudit.status, func.count())
        .where(col(CaseAudit.event_id) == event_id, col(CaseAudit.moderates_id).is_(None))
        .group_by(col(CaseAudit.status))
    ).all()
    return {str(status): count for status, count in rows}


def _learn_events(session: Session, pdu_id: int, today: date) -> WorkGroup:
    """The current event (the latest on or before today) and the next one, and what each still needs."""
    events = session.exec(
        select(AuditEvent).where(col(AuditEvent.pdu_id) == pdu_id).order_by(col(AuditEvent.event_date))
    ).all()
    past = [e for e in events if e.event_date <= today]
    future = [e for e in events if e.event_date > today]
    chosen = ([past[-1]] if past else []) + ([future[0]] if future else [])
    records = []
    for event in chosen:
        which = "Current" if event.event_date <= today else "Next"
        needs = []
        if event.status == EventStatus.PLANNING:
            needs.append("sample not yet accepted")
        counts = _event_counts(session, id_of(event))
        if drafts := counts.get(AuditStatus.DRAFT, 0):
            needs.append(f"{drafts} audit{'s' if drafts != 1 else ''} outstanding")
        if unsent := counts.get(AuditStatus.SUBMITTED, 0):
            needs.append(f"{unsent} feedback sheet{'s' if unsent != 1 else ''} not sent")
        records.append(
            WorkRecord(
                RecordRef(RecordKind.AUDIT_EVENT, id_of(event)),
                f"{which} LEARN event, {event.event_date:%d %b %Y}: " + ("; ".join(needs) or "nothing outstanding"),
                event.event_date,
                bool(needs) and event.event_date < today,
            )
        )
    waiting = sum(not r.label.endswith("nothing outstanding") for r in records)
    note = "" if events else "No LEARN event has been planned in this PDU yet."
    return WorkGroup("learn_events", "The current and next LEARN event", tuple(records), count=waiting, note=note)


def _overdue_concerns(actor: Actor, pdu_id: int, today: date) -> WorkGroup:
    return WorkGroup(
        "overdue_concerns",
        f"Urgent concerns unacknowledged for more than {ESCALATE_AFTER_WORKING_DAYS} working days",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.CASE_AUDIT, c.audit_id),
                f"Case {c.case_ref}: waiting {c.working_days_open} working days"
                + (f" for {c.spo_name}" if c.spo_name else " (the holder has no SPO recorded)"),
                c.raised_at.date(),
                True,
            )
            for c in urgent_concerns.pdu_concerns(actor, pdu_id, today)
            if c.overdue
        ),
    )


def _moderation_waiting(session: Session, pdu_id: int) -> WorkGroup:
    rows = session.exec(
        select(AuditEvent, func.count())
        .join(CaseAudit, col(CaseAudit.event_id) == col(AuditEvent.id))
        .where(
            col(AuditEvent.pdu_id) == pdu_id,
            col(CaseAudit.moderates_id).is_not(None),
            col(CaseAudit.status) == AuditStatus.DRAFT,
        )
        .group_by(col(AuditEvent.id))
    ).all()
    records = [
        WorkRecord(
            RecordRef(RecordKind.AUDIT_EVENT, id_of(event)),
            f"LEARN event of {event.event_date:%d %b %Y}: {n} blind second audit{'s' if n != 1 else ''} not yet in",
            event.event_date,
        )
        for event, n in rows
    ]
    return WorkGroup("moderation", "Moderation waiting", _sorted(records), count=sum(n for _e, n in rows))


def _teams_below_target(actor: Actor, pdu_id: int, today: date) -> WorkGroup:
    if not can(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id)):
        return WorkGroup("observation_target", "Teams below the observation target")
    teams = observation_coverage.coverage_by_team(actor, pdu_id, today)
    below = [t for t in teams if t.practitioners and (t.up_to_date / t.practitioners) < OBSERVATION_TARGET_SHARE]
    below.sort(key=lambda t: (t.up_to_date / t.practitioners, t.team_name))
    return WorkGroup(
        "observation_target",
        "Teams below the observation target",
        tuple(
            WorkRecord(
                RecordRef(RecordKind.PDU_OBSERVATION_COVERAGE, pdu_id),
                f"{t.team_name}: {t.up_to_date} of {t.practitioners} practitioners observed on target",
            )
            for t in below
        ),
    )


def _cadence_by_team(actor: Actor, pdu_id: int, today: date) -> WorkGroup:
    if not can(actor, Action.VIEW_CALIBRATION, PduScope(pdu_id)):
        return WorkGroup("supervision_cadence", "Supervision cadence by team")
    teams = sorted(cadence.cadence_by_team(actor, pdu_id, today), key=lambda t: (t.share or 0.0, t.team_name))
    return WorkGroup(
        "supervision_cadence",
        "Supervision cadence by team",
        tuple(
            WorkRecord(
                RecordRef(RecordKind.PDU_SUPERVISION_CADENCE, pdu_id),
                f"{t.team_name}: {t.within_target} of {t.practitioners} supervised on time",
            )
            for t in teams
        ),
        count=sum(t.within_target < t.practitioners for t in teams),
    )


# ------------------------------------------------------------------ administrator

IMPORT_ERRORS_NOTE = (
    "Imports keep no record of files that were refused: a file with any problem saves nothing, and its "
    "problems are shown only to whoever ran it. Ask them, or run the import again."
)


def admin_work(actor: Actor, *, sso_configured: bool, now: datetime | None = None) -> tuple[WorkGroup, ...]:
    """``sso_configured`` comes from the running portal's settings (the page knows them; qa/ does not)."""
    if not can(actor, Action.MANAGE_USERS):
        return ()
    now = now or utcnow()
    with session_scope() as session:
        return (
            _locked_accounts(session, now),
            _people_to_place(session),
            WorkGroup("import_errors", "Imports with errors", note=IMPORT_ERRORS_NOTE),
            _portal_fixes(session, sso_configured),
        )


def _locked_accounts(session: Session, now: datetime) -> WorkGroup:
    users = session.exec(
        select(User).where(col(User.is_active), col(User.locked_until).is_not(None), col(User.locked_until) > now)
    ).all()
    return WorkGroup(
        "locked",
        "Locked accounts",
        _sorted(
            WorkRecord(
                RecordRef(RecordKind.USER, u.id or 0),
                f"{u.full_name}: locked until {u.locked_until:%H:%M} after failed sign-ins",
                _date(u.locked_until),
            )
            for u in users
            if u.locked_until is not None
        ),
    )


def _people_to_place(session: Session) -> WorkGroup:
    """Only the people missing a team or a supervisor are read (not every user), with their roles."""
    placed_roles = [Role.PRACTITIONER, Role.SPO, Role.QA_LEAD]
    has_role = select(UserRole.user_id).where(col(UserRole.role).in_(placed_roles))
    practitioners = select(UserRole.user_id).where(col(UserRole.role) == Role.PRACTITIONER)
    users = session.exec(
        select(User)
        .where(
            col(User.is_active),
            or_(
                and_(col(User.team_id).is_(None), col(User.id).in_(has_role)),
                and_(col(User.supervisor_id).is_(None), col(User.id).in_(practitioners)),
            ),
        )
        .order_by(col(User.full_name))
    ).all()
    roles: dict[int, set[Role]] = {}
    for user_id, role in session.exec(
        select(UserRole.user_id, UserRole.role).where(col(UserRole.user_id).in_([id_of(u) for u in users]))
    ).all():
        roles.setdefault(user_id, set()).add(Role(role))
    records = []
    for user in users:
        mine = roles.get(user.id or 0, set())
        missing = []
        if mine & {Role.PRACTITIONER, Role.SPO, Role.QA_LEAD} and user.team_id is None:
            missing.append("no team")
        if Role.PRACTITIONER in mine and user.supervisor_id is None:
            missing.append("no supervisor")
        if missing:
            records.append(
                WorkRecord(RecordRef(RecordKind.USER, user.id or 0), f"{user.full_name}: {' and '.join(missing)}")
            )
    return WorkGroup("unplaced", "People without a supervisor or team", tuple(records))


def _portal_fixes(session: Session, sso_configured: bool) -> WorkGroup:
    records = []
    if sso_configured and not auth.sso_only():
        records.append(
            WorkRecord(
                RecordRef(RecordKind.SETTINGS, 0),
                "Single sign-on is set up but passwords still work: consider turning on 'SSO only'",
            )
        )
    contacts = session.exec(select(func.count()).select_from(SupportContact).where(col(SupportContact.active))).one()
    if not contacts:
        records.append(
            WorkRecord(
                RecordRef(RecordKind.SUPPORT_CONTACTS, 0),
                "No support contacts are configured: staff who debrief have nowhere to be signposted",
            )
        )
    return WorkGroup("fixes", "Things the portal needs you to fix", tuple(records))


# ---------------------------------------------------------- this month against last


@dataclass(frozen=True)
class MonthFigure:
    """One figure for this month so far and for last month; ``filters`` opens this month on the dashboard."""

    label: str
    this_month: float | None
    last_month: float | None
    is_share: bool
    filters: Filters
    last_filters: Filters


@dataclass(frozen=True)
class MonthStrip:
    figures: tuple[MonthFigure, ...] = field(default_factory=tuple)


def _sufficient_share(quality: figures.AuditQuality) -> float | None:
    judged = sum(int(row.get("judged", 0)) for row in quality.sufficiency_by_month)
    sufficient = sum(int(row.get("sufficient", 0)) for row in quality.sufficiency_by_month)
    return sufficient / judged if judged else None


def month_strip(actor: Actor, today: date | None = None) -> MonthStrip:
    """Audits done, share judged sufficient, observations and supervision on time: this month so far against last.

    Scoped as the dashboards are (an SPO sees their team, a QA lead their PDU).
    """
    if not (actor.has(Role.SPO) or actor.has(Role.QA_LEAD)):
        return MonthStrip()
    today = today or date.today()
    this_start = today.replace(day=1)
    last_end = this_start - timedelta(days=1)
    this = Filters(date_from=this_start, date_to=today)
    last = Filters(date_from=last_end.replace(day=1), date_to=last_end)
    quality = (figures.audit_quality(actor, this, today), figures.audit_quality(actor, last, today))
    observed = (figures.observation_summary(actor, this, today), figures.observation_summary(actor, last, today))
    supervised = (
        figures.supervision_summary(actor, this, today),
        figures.supervision_summary(actor, last, last_end),
    )
    return MonthStrip(
        (
            MonthFigure("Audits done", quality[0].audits, quality[1].audits, False, this, last),
            MonthFigure(
                "Share judged sufficient",
                _sufficient_share(quality[0]),
                _sufficient_share(quality[1]),
                True,
                this,
                last,
            ),
            MonthFigure("Observations", observed[0].observations, observed[1].observations, False, this, last),
            MonthFigure("Supervision on time", supervised[0].share, supervised[1].share, True, this, last),
        )
    )
