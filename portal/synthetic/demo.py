"""The demo organisation with about 18 months of history, dated relative to today.

It is the region engine (:mod:`portal.synthetic.engine`) at a small size and a moving window:
2 PDUs, 6 teams and about 70 staff, a LEARN event each month in each PDU, observations (some
double-observed, for calibration), debriefs and supervision on a realistic cadence. After the raw
load, :func:`enrich` adds what only the demo needs, through the ORM so that private text is
encrypted row by row: journal notes (a few shared for supervision), agenda items linking
supervision to what was discussed, and the records each README login needs to be worth opening
(an overdue action, an observation awaiting reply, an unacknowledged urgent concern, a request
to talk addressed to the SPO).

Every text written here is invented and says so ("[Demo] ..."). The same seed and the same
``today`` give the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from random import Random

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.audits import (
    ActionStatus,
    AuditAction,
    AuditEvent,
    AuditorPair,
    AuditSeen,
    AuditStatus,
    CaseAudit,
    FeedbackSheet,
    Instrument,
    UrgentConcern,
)
from db.demo import (
    DEFAULT_SEED,
    EMAIL_DOMAIN,
    PDU_PLACES,
    PRACTITIONER_EMAIL,
    QA_LEAD_EMAIL,
    REGION_NAME,
    SPO_EMAIL,
    TEAM_KINDS,
)
from db.engine import get_engine
from db.ids import id_of
from db.notifications import OutboxMessage, OutboxStatus
from db.observations import (
    DevelopmentGoal,
    GoalStatus,
    Observation,
    ObservationRating,
    ObservationStatus,
    SelfRating,
)
from db.organisation import DEMO_FLAG, Case, Grade, Role, Setting, User, UserRole
from db.reflection import (
    Debrief,
    EntryKind,
    EntryShare,
    JournalEntry,
    ReflectiveModel,
    RequestStatus,
    SupportContact,
    SupportRequest,
)
from db.reflection import Urgency as RequestUrgency
from db.supervision import AgendaItem, AgendaKind, SessionKind, SessionParticipant, SupervisionSession
from portal.synthetic.engine import Cases, Org, Plan, Result, Window, generate
from qa.audits.events import save_proposed_sample
from qa.audits.sampling import add_months, months_between
from qa.notifications.notify import administrators, notify, qa_leads_of
from qa.records import RecordKind, RecordRef
from qa.reflection.emotions import SIGN_PROMPTS

MONTHS = 18
PRACTITIONERS_PER_TEAM = 8
CASES_PER_PRACTITIONER = 13
DEBRIEFS_PER_PERSON_MONTH = 1.2
#: The team whose wellbeing figures are suppressed: only 4 people debrief there (5 are needed).
QUIET_TEAM = 6

WHAT_HAPPENED = (
    "[Demo] A home visit where the person was not expecting me and the conversation became tense.",
    "[Demo] A long office appointment about a new relationship; I was not sure I had asked enough.",
    "[Demo] A phone call from a partner agency with worrying news about a case.",
    "[Demo] A court day with several reports due at once.",
    "[Demo] A first appointment after release that went better than I feared.",
    "[Demo] The person raised their voice in reception and I had to end the appointment early.",
    "[Demo] A three-way meeting with children's services that ran over.",
    "[Demo] A recall decision I keep going back over.",
)
WHAT_HELPED = (
    "[Demo] Talking it through with a colleague straight afterwards.",
    "[Demo] A short walk before the next appointment.",
    "[Demo] Writing it up while it was fresh.",
    "",
    "",
)
NOTE_TITLES = (
    "[Demo] What I noticed in a difficult appointment",
    "[Demo] Thinking about optimism bias on one case",
    "[Demo] After the LEARN feedback on my case",
    "[Demo] A session that went well, and why",
    "[Demo] Balancing support and enforcement",
    "[Demo] Feelings I would rather not have about a case",
    "[Demo] Preparing for supervision",
    "[Demo] What the observation told me about my questions",
)
NOTE_TEXTS = (
    "[Demo] I noticed I was rushing the end of the appointment. Next time I will leave time to summarise.",
    "[Demo] I may be seeing the progress I want to see. I will check the police information again.",
    "[Demo] The feedback was fair. I had not recorded why I did not refer to the domestic abuse service.",
    "[Demo] Open questions worked better than I expected; the person talked about their family for the first time.",
    "[Demo] I am not sure the warning was proportionate. I want to talk it through in supervision.",
    "[Demo] I felt irritated for most of the session and want to understand why before the next one.",
)
NOTE_TAGS = ("risk", "relationships", "supervision", "wellbeing", "LEARN", "observation")
#: New starters the administrator has still to place: (name, grade, already in a team).
NEW_STARTERS = (
    ("Robin Demo-Starter", Grade.PSO, True),
    ("Sam Demo-Starter", Grade.PSO, True),
    ("Alex Demo-Starter", Grade.PO, False),
)
SUPPORT_CONTACTS = (
    {
        "name": "[Demo] Employee assistance programme",
        "description": "Free, confidential counselling and advice, any time of day.",
        "how_to_reach": "Phone the number on the staff intranet (demo: not a real service).",
    },
    {
        "name": "[Demo] Peer support network",
        "description": "Colleagues trained to listen after a difficult contact.",
        "how_to_reach": "Ask any peer supporter in your office (demo: not a real service).",
        "independent": True,
    },
)
ACTION_TEXT = "[Demo] Record the outcome of the safeguarding check and update the risk management plan."
CONCERN_TEXT = "[Demo] A new partner with children was mentioned in the contact log; no checks are recorded yet."
ACK_TEXT = "[Demo] Spoken to the case holder; checks requested the same day."
REPLY_TEXT = "[Demo] Thank you. I agree about summarising more, and I have added it to my goals."
GOAL_TEXT = "[Demo] Summarise at the end of every appointment and agree one next step."


def demo_window(today: date) -> Window:
    """From the first of the month 18 months back to yesterday (so nothing is dated later today)."""
    end = today - timedelta(days=1)
    return Window(add_months(date(end.year, end.month, 1), -MONTHS), end)


def demo_plan(today: date) -> Plan:
    window = demo_window(today)
    months = months_between(window.start, window.end) + 1
    teams = len(PDU_PLACES) * len(TEAM_KINDS)
    practitioners = teams * PRACTITIONERS_PER_TEAM
    extra_spos = 2  # three SPO grades a team, and the ACO: ten per PDU, enough for a 20-case sample's pairs
    authors = practitioners + teams * (1 + extra_spos)
    return Plan(
        scale=round(practitioners / 1_500, 3),
        pdus=len(PDU_PLACES),
        teams=teams,
        practitioners=practitioners,
        cases=practitioners * CASES_PER_PRACTITIONER,
        events=len(PDU_PLACES) * months,  # one LEARN event a month in each PDU
        debriefs=round(authors * DEBRIEFS_PER_PERSON_MONTH * months),
        window=window,
        region_name=REGION_NAME,
        places=PDU_PLACES,
        team_kinds=TEAM_KINDS,
        email_domain=EMAIL_DOMAIN,
        staff_prefix="DEMO",
        label="demo",
        login_emails=(QA_LEAD_EMAIL, SPO_EMAIL, PRACTITIONER_EMAIL),
        extra_spos_per_team=extra_spos,
        sample_sizes=(12, 16),
        calibration_share=0.3,
        private_text=True,
        quiet_teams=(QUIET_TEAM,),
        lapsed_share=0.12,
        monthly_events=True,
    )


def debrief_text(rng: Random, intensity: int) -> str:
    signs = [p.key for p in SIGN_PROMPTS if intensity >= 7 and rng.random() < 0.3]
    return json.dumps(
        {"what_happened": rng.choice(WHAT_HAPPENED), "what_helped": rng.choice(WHAT_HELPED), "signs": signs}
    )


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


# ------------------------------------------------------------------ after the raw load


class _Enricher:
    def __init__(self, session: Session, org: Org, cases: Cases, rng: Random) -> None:
        self.s, self.org, self.cases, self.rng = session, org, cases, rng
        self.w = org.window
        self.practitioner = org.practitioners[0]
        self.spo = org.spo_of_team[1]
        self.sessions: dict[int, list[tuple[date, int]]] = {}  # supervisee -> (held on, session id), by date
        rows = session.exec(
            select(col(SessionParticipant.practitioner_id), col(SupervisionSession.held_on), col(SupervisionSession.id))
            .join(SupervisionSession, col(SupervisionSession.id) == col(SessionParticipant.session_id))
            .where(SupervisionSession.kind != SessionKind.GROUP)
            .order_by(col(SupervisionSession.held_on), col(SupervisionSession.id))
        ).all()
        for person, held_on, session_id in rows:
            assert session_id is not None
            self.sessions.setdefault(person, []).append((held_on, session_id))

    def next_session(self, person: int, after: date) -> int | None:
        return next((sid for held, sid in self.sessions.get(person, []) if held >= after), None)

    def run(self) -> None:
        self.journal()
        self.agenda()
        self.practitioner_history()
        self.spo_history()
        self.urgent_concern()
        self.administration()
        self.sheets_already_read()
        self.next_learn_events()
        self.notifications()
        self.s.merge(Setting(key=DEMO_FLAG, value="true"))

    # -- journal notes, a few shared for supervision

    def journal(self) -> None:
        rng, org, w = self.rng, self.org, self.w
        writers = org.practitioners + [s for spos in org.spos_of_pdu.values() for s in spos]
        for author in writers:
            count = rng.randint(1, 4) if author != self.practitioner else 6
            for _ in range(count):
                day = w.start + timedelta(days=rng.randrange(w.span_days))
                model = rng.choice((ReflectiveModel.FREE, ReflectiveModel.FREE, ReflectiveModel.SCHEIN))
                content = {
                    "title": rng.choice(NOTE_TITLES),
                    "sections": {"notes": rng.choice(NOTE_TEXTS)}
                    if model is ReflectiveModel.FREE
                    else {"observation": rng.choice(NOTE_TEXTS), "reaction": rng.choice(NOTE_TEXTS)},
                    "tags": rng.sample(NOTE_TAGS, rng.randint(0, 2)),
                }
                stamp = _at(day, rng.randint(8, 18))
                entry = JournalEntry(
                    author_id=author,
                    model=model,
                    entry_date=day,
                    content=json.dumps(content),
                    is_draft=rng.random() < 0.1,
                    created_at=stamp,
                    updated_at=stamp,
                )
                self.s.add(entry)
                self.s.flush()
                supervisor = org.supervisor_of.get(author)
                shared = author == self.practitioner and day > w.end - timedelta(days=60)
                if supervisor and not entry.is_draft and (shared or rng.random() < 0.12):
                    assert entry.id is not None
                    share = EntryShare(
                        kind=EntryKind.NOTE,
                        entry_id=entry.id,
                        author_id=author,
                        shared_with_id=supervisor,
                        for_supervision=True,
                        shared_at=stamp + timedelta(hours=1),
                    )
                    self.s.add(share)
                    self.s.flush()
                    assert share.id is not None
                    discussed_in = self.next_session(author, day + timedelta(days=1))
                    if discussed_in is not None:
                        # The record refers to the share and stores no title: the portal shows the note's
                        # title to its readers only (qa/supervision/records.reflection_label).
                        self._item(author, AgendaKind.SHARED_REFLECTION, share.id, "", discussed_in)
        self.s.flush()

    def _item(self, person: int, kind: AgendaKind, source_id: int, title: str, session_id: int) -> None:
        held = self.s.get(SupervisionSession, session_id)
        assert held is not None
        self.s.add(
            AgendaItem(
                practitioner_id=person,
                kind=kind,
                source_id=source_id,
                title=title,
                added_by_id=held.supervisor_id,
                added_at=held.created_at,
                discussed_in_id=session_id,
            )
        )

    # -- supervision agendas drawn from audits and observations

    def agenda(self) -> None:
        audits = self.s.exec(
            select(CaseAudit.id, Case.holder_id, Case.case_ref, CaseAudit.discussed_at)
            .join(Case, col(Case.id) == col(CaseAudit.case_id))
            .where(col(CaseAudit.discussed_at).is_not(None), col(CaseAudit.moderates_id).is_(None))
        ).all()
        for audit_id, holder, ref, discussed_at in audits:
            assert audit_id is not None and discussed_at is not None
            session_id = self.next_session(holder, discussed_at.date() - timedelta(days=14))
            if session_id is not None:
                self._item(holder, AgendaKind.AUDIT_FEEDBACK, audit_id, f"Audit feedback on case {ref}", session_id)
        observations = self.s.exec(
            select(col(Observation.id), col(Observation.practitioner_id), col(Observation.observed_on)).where(
                col(Observation.calibration_of_id).is_(None), Observation.status == ObservationStatus.ACKNOWLEDGED
            )
        ).all()
        for obs_id, person, observed_on in observations:
            assert obs_id is not None
            session_id = self.next_session(person, observed_on + timedelta(days=7))
            if session_id is not None:
                self._item(person, AgendaKind.OBSERVATION, obs_id, f"Observation of {observed_on:%d %b %Y}", session_id)
        self.s.flush()

    # -- what each README login needs

    def practitioner_history(self) -> None:
        """Feedback to reply to, an overdue action, an observation awaiting reply, a goal to review."""
        s, me, today = self.s, self.practitioner, self.w.end + timedelta(days=1)
        mine = s.exec(
            select(CaseAudit)
            .join(Case, col(Case.id) == col(CaseAudit.case_id))
            .where(
                Case.holder_id == me,
                col(CaseAudit.moderates_id).is_(None),
                col(CaseAudit.submitted_at).is_not(None),
            )
            .order_by(col(CaseAudit.submitted_at).desc())
        ).all()
        if mine:
            latest = mine[0]
            if latest.status == AuditStatus.ACTIONS_CLOSED:
                latest.status, latest.closed_at, latest.version = AuditStatus.DISCUSSED, None, 3
            assert latest.id is not None and latest.submitted_at is not None
            s.add(
                AuditAction(
                    audit_id=latest.id,
                    description=ACTION_TEXT,
                    owner_id=me,
                    due_date=today - timedelta(days=6),
                    status=ActionStatus.OPEN,
                    created_at=latest.submitted_at,
                )
            )
            sheet = s.get(FeedbackSheet, latest.id)
            if sheet is not None:  # waiting for the holder's reply
                sheet.holder_reply, sheet.reply_at = None, None
            s.add(latest)
        observations = s.exec(
            select(Observation)
            .where(Observation.practitioner_id == me, col(Observation.calibration_of_id).is_(None))
            .order_by(col(Observation.observed_on).desc())
        ).all()
        if observations:
            waiting = observations[0]  # shared with me, not yet replied to
            waiting.status, waiting.acknowledged_at = ObservationStatus.SHARED, None
            waiting.reply, waiting.reflection, waiting.version = None, None, 2
            s.add(waiting)
        if len(observations) > 1:
            answered = observations[1]
            answered.status, answered.reply = ObservationStatus.ACKNOWLEDGED, REPLY_TEXT
            answered.acknowledged_at = answered.acknowledged_at or (answered.shared_at or _at(today)) + timedelta(
                days=2
            )
            assert answered.id is not None
            has_self = s.exec(select(SelfRating).where(SelfRating.observation_id == answered.id)).first()
            if has_self is None:
                for rating in s.exec(select(ObservationRating).where(ObservationRating.observation_id == answered.id)):
                    own = None if rating.rating is None else max(1, rating.rating - 1)
                    s.add(
                        SelfRating(
                            observation_id=answered.id,
                            domain_key=rating.domain_key,
                            rating=own,
                            not_observed=own is None,
                        )
                    )
            s.add(answered)
            s.add(
                DevelopmentGoal(
                    observation_id=answered.id,
                    practitioner_id=me,
                    description=GOAL_TEXT,
                    review_date=today + timedelta(days=14),
                    status=GoalStatus.OPEN,
                    progress="",
                    updated_at=answered.acknowledged_at,
                )
            )
        s.flush()

    def spo_history(self) -> None:
        """Feedback waiting to be discussed, and a request to talk addressed to the SPO."""
        s, spo, today = self.s, self.spo, self.w.end + timedelta(days=1)
        waiting = s.exec(
            select(CaseAudit)
            .where(CaseAudit.feedback_to_id == spo, CaseAudit.status == AuditStatus.FEEDBACK_SENT)
            .order_by(col(CaseAudit.submitted_at).desc())
        ).first()
        if waiting is None:
            latest = s.exec(
                select(CaseAudit)
                .where(CaseAudit.feedback_to_id == spo, CaseAudit.status == AuditStatus.DISCUSSED)
                .order_by(col(CaseAudit.submitted_at).desc())
            ).first()
            if latest is not None:
                latest.status, latest.discussed_at, latest.discussed_by_id, latest.version = (
                    AuditStatus.FEEDBACK_SENT,
                    None,
                    None,
                    2,
                )
                assert latest.id is not None
                s.execute(
                    sa.delete(AgendaItem).where(
                        col(AgendaItem.kind) == AgendaKind.AUDIT_FEEDBACK, col(AgendaItem.source_id) == latest.id
                    )
                )
                s.add(latest)
        supervisee = self.org.practitioners_of_team[1][2]
        open_request = s.exec(
            select(SupportRequest).where(
                SupportRequest.recipient_id == spo, SupportRequest.status != RequestStatus.DONE
            )
        ).first()
        if open_request is None:
            debrief = s.exec(
                select(Debrief).where(Debrief.author_id == supervisee).order_by(col(Debrief.created_at).desc())
            ).first()
            stamp = _at(today - timedelta(days=2), 15)
            s.add(
                SupportRequest(
                    requester_id=supervisee,
                    recipient_id=spo,
                    debrief_id=debrief.id if debrief else None,
                    urgency=RequestUrgency.THIS_WEEK,
                    status=RequestStatus.OPEN,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        s.flush()

    def urgent_concern(self) -> None:
        """One urgent concern in the QA lead's PDU not yet acknowledged, and at least one that was."""
        s, today = self.s, self.w.end + timedelta(days=1)
        pdu = self.org.pdu_ids[0]
        audits = s.exec(
            select(CaseAudit, Case)
            .join(Case, col(Case.id) == col(CaseAudit.case_id))
            .where(
                Case.pdu_id == pdu,
                col(CaseAudit.moderates_id).is_(None),
                col(CaseAudit.submitted_at).is_not(None),
            )
            .order_by(col(CaseAudit.submitted_at).desc())
        ).all()
        if not audits:
            return
        qdo = self.org.qdo_of_pdu[pdu]
        for (audit, case), acknowledged in ((audits[0], False), (audits[len(audits) // 2], True)):
            assert audit.id is not None and case.id is not None and audit.submitted_at is not None
            spo = self.org.supervisor_of.get(case.holder_id)
            raised = _at(today - timedelta(days=4), 11) if not acknowledged else audit.submitted_at
            s.add(
                UrgentConcern(
                    audit_id=audit.id,
                    case_id=case.id,
                    raised_by_id=qdo,
                    raised_at=raised,
                    description=CONCERN_TEXT,
                    spo_id=spo,
                    acknowledged_at=raised + timedelta(hours=5) if acknowledged else None,
                    acknowledged_by_id=spo if acknowledged else None,
                    acknowledgement=ACK_TEXT if acknowledged else None,
                )
            )
        s.flush()

    def administration(self) -> None:
        """What an administrator meets on a real Monday: new starters not yet placed with a
        supervisor or a team, and the support contacts that debriefs signpost. (No locked account:
        a lock lasts minutes from the real clock, which would make the demo differ from load to load.)"""
        s, org = self.s, self.org
        team = org.team(self.practitioner)
        joined = _at(self.w.end - timedelta(days=3))
        for number, (name, grade, in_team) in enumerate(NEW_STARTERS, start=1):
            user = User(
                full_name=name,
                email=f"new.starter{number}@{EMAIL_DOMAIN}",
                staff_id=f"DEMO9{number:05d}",
                grade=grade,
                team_id=team if in_team else None,
                created_at=joined,
                updated_at=joined,
            )
            s.add(user)
            s.flush()
            s.add(UserRole(user_id=id_of(user), role=Role.PRACTITIONER))
        for contact in SUPPORT_CONTACTS:
            s.add(SupportContact(**contact))
        s.flush()

    def sheets_already_read(self) -> None:
        """SPOs have kept up with their feedback sheets until about a month ago: older replies and
        closed actions are not news on their home pages, the last few weeks' are."""
        s, end = self.s, self.w.end
        read_on = _at(end - timedelta(days=30))
        audits = s.exec(
            select(CaseAudit.id, CaseAudit.feedback_to_id).where(
                col(CaseAudit.moderates_id).is_(None),
                col(CaseAudit.feedback_to_id).is_not(None),
                col(CaseAudit.submitted_at) < _at(end - timedelta(days=45)),
            )
        ).all()
        for audit_id, spo_id in audits:
            if audit_id is not None and spo_id is not None:
                s.add(AuditSeen(audit_id=audit_id, user_id=spo_id, seen_at=read_on))
        s.flush()

    def next_learn_events(self) -> None:
        """Each PDU's next LEARN day is planned about ten days ahead, its sample proposed by the
        documented rule and not yet accepted: the QA lead's home page shows what it still needs."""
        s, today = self.s, self.w.end + timedelta(days=1)
        day = today + timedelta(days=10)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        instrument = s.exec(
            select(Instrument).where(Instrument.key == "risk_of_harm").order_by(col(Instrument.version).desc())
        ).first()
        assert instrument is not None
        for pdu in self.org.pdu_ids:
            event = AuditEvent(
                pdu_id=pdu,
                event_date=day,
                seed=self.rng.randrange(2**31 - 1),
                instrument_id=id_of(instrument),
                created_by_id=self.org.aco_of_pdu[pdu],
                created_at=_at(today - timedelta(days=2)),
            )
            s.add(event)
            s.flush()
            save_proposed_sample(s, event)
        s.flush()

    # -- each login's notifications about its own history

    def _tell(
        self,
        kind: str,
        people: list[int | None],
        record: RecordRef | None,
        at: datetime,
        read: bool = False,
        about: int = 0,
    ) -> None:
        """As the service would have told them at ``at`` (the same occasion key, so it is never told twice)."""
        occasion = f"{kind}:{about or (record.id if record else 0)}"
        for row in notify(self.s, kind=kind, recipient_ids=people, record=record, occasion=occasion, now=at):
            row.read_at = at + timedelta(hours=3) if read else None
            self.s.add(row)

    def notifications(self) -> None:
        """What the notifications inbox would hold had the portal been telling people all along: the
        latest of each kind unread, older ones read. Their emails were never sent (the outbox rows are
        marked skipped), so a sender started on the demo does not email 18 months of history."""
        s, me, spo, end = self.s, self.practitioner, self.spo, self.w.end
        sheet, audit = RecordKind.FEEDBACK_SHEET, RecordKind.CASE_AUDIT
        recent = _at(end - timedelta(days=30))
        for audit_id, sent in s.exec(
            select(CaseAudit.id, CaseAudit.submitted_at)
            .join(AuditorPair, col(AuditorPair.id) == col(CaseAudit.pair_id))
            .where(
                sa.or_(col(AuditorPair.first_id) == me, col(AuditorPair.second_id) == me),
                col(CaseAudit.moderates_id).is_(None),
            )
            .order_by(col(CaseAudit.submitted_at).desc())
            .limit(2)
        ).all():
            assert audit_id is not None and sent is not None
            self._tell("audit_assigned", [me], RecordRef(audit, audit_id), sent - timedelta(days=7), read=True)
        for action in s.exec(
            select(AuditAction).where(AuditAction.owner_id == me, AuditAction.description == ACTION_TEXT)
        ):
            ref = RecordRef(sheet, action.audit_id)
            self._tell("feedback_ready", [me], ref, action.created_at)
            self._tell("action_assigned", [me], ref, action.created_at + timedelta(minutes=1), about=id_of(action))
        for obs in s.exec(
            select(Observation).where(
                Observation.practitioner_id == me,
                Observation.status == ObservationStatus.SHARED,
                col(Observation.calibration_of_id).is_(None),
            )
        ):
            shared_at, ref = obs.shared_at or recent, RecordRef(RecordKind.OBSERVATION, id_of(obs))
            self._tell("observation_shared", [me], ref, shared_at, read=shared_at < _at(end - timedelta(days=90)))
        for waiting in s.exec(
            select(CaseAudit).where(CaseAudit.feedback_to_id == spo, CaseAudit.status == AuditStatus.FEEDBACK_SENT)
        ):
            self._tell("feedback_ready", [spo], RecordRef(sheet, id_of(waiting)), waiting.feedback_sent_at or recent)
        for audit_id, replied in s.exec(
            select(FeedbackSheet.audit_id, FeedbackSheet.reply_at)
            .join(CaseAudit, col(CaseAudit.id) == col(FeedbackSheet.audit_id))
            .where(CaseAudit.feedback_to_id == spo, col(FeedbackSheet.reply_at) >= recent)
        ).all():
            assert replied is not None
            self._tell(
                "holder_replied", [spo], RecordRef(sheet, audit_id), replied, read=replied < recent + timedelta(days=20)
            )
        for request in s.exec(
            select(SupportRequest).where(
                SupportRequest.recipient_id == spo, SupportRequest.status != RequestStatus.DONE
            )
        ):
            self._tell(
                "support_request", [spo], RecordRef(RecordKind.SUPPORT_REQUEST, id_of(request)), request.created_at
            )
        for concern, pdu in s.exec(
            select(UrgentConcern, Case.pdu_id).join(Case, col(Case.id) == col(UrgentConcern.case_id))
        ).all():
            read, at, about = concern.acknowledged_at is not None, concern.raised_at, id_of(concern)
            self._tell("urgent_concern", [concern.spo_id], None, at, read=read, about=about)  # as raise_concern does
            self._tell("urgent_concern", list(qa_leads_of(s, pdu)), RecordRef(audit, concern.audit_id), at, read, about)
        admins: list[int | None] = list(administrators(s))
        for starter in s.exec(select(User).where(col(User.email).like("new.starter%"))):
            self._tell("person_to_place", admins, RecordRef(RecordKind.USER, id_of(starter)), starter.created_at)
        s.flush()
        s.execute(
            sa.update(OutboxMessage).values(status=OutboxStatus.SKIPPED, last_error="Demo history: never emailed.")
        )


def enrich(seed: int) -> Callable[[sa.Engine, Org, Cases], None]:
    def after_load(engine: sa.Engine, org: Org, cases: Cases) -> None:
        with Session(engine) as session:
            _Enricher(session, org, cases, Random(seed + 1)).run()
            session.commit()

    return after_load


def load_demo(
    url: str,
    *,
    password_hash: str,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    log: Callable[[str], object] = lambda _line: None,
) -> Result:
    """Load the demo organisation and its history into an empty, migrated database (the caller checks)."""
    today = today or date.today()
    engine = get_engine(url)
    return generate(
        url,
        seed=seed,
        chunk_rows=10**9,  # only the phase ends write: the first, the organisation, is one transaction
        analyze=engine.dialect.name == "postgresql",
        log=log,
        plan=demo_plan(today),
        password_hash=password_hash,
        debrief_text=debrief_text,
        after_load=enrich(seed),
    )
