"""Dashboard figures, computed in SQL over indexed columns and returned as small rows.

Each role sees its own scope: an SPO their team, a QA lead their PDU (teams
compared), an administrator everything. Nothing here names a practitioner:
figures are per section, question, domain, month or team. Wellbeing is kept
apart (qa/wellbeing.py rules: at least 5 people) and never joined to these.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, UTC

from sqlalchemy import and_, case, func, literal_column
from sqlmodel import Session, select

from db.case_audits import (
    ActionStatus,
    AuditAction,
    AuditAnswer,
    AuditEvent,
    AuditorPair,
    AuditSectionResult,
    AuditStatus,
    CaseAudit,
    FeedbackSheet,
    FeedbackTheme,
    LearningTheme,
    UrgentConcern,
)
from db.engine import get_engine, session_scope
from db.models import AuditTrail, Case, Role, Team, User, UserRole
from db.observations import Observation, ObservationRating, ObservationStatus, SelfRating
from db.reflection import Debrief, DebriefFeeling
from db.supervision import AgendaItem
from qa import cadence, instrument, skills_framework
from qa.actor import Actor
from qa.dashboard_filters import Filters
from qa.errors import PermissionDenied
from qa.wellbeing_rules import MIN_PEOPLE

SUBMITTED = [AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED, AuditStatus.SUBMITTED]
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]
SMALL = MIN_PEOPLE  # counts below this are hidden in meeting mode


def scoped(actor: Actor, filters: Filters) -> Filters:
    """Narrow the filters to what this person may see; refuse anyone without a dashboard."""
    if actor.has(Role.ADMIN):
        return filters
    if actor.has(Role.QA_LEAD) and actor.pdu_id is not None:
        team = filters.team_id if filters.team_id and _team_in_pdu(filters.team_id, actor.pdu_id) else None
        return replace(filters, pdu_id=actor.pdu_id, team_id=team)
    if actor.has(Role.SPO) and actor.team_id is not None:
        return replace(filters, pdu_id=actor.pdu_id, team_id=actor.team_id)
    raise PermissionDenied("Team dashboards are for SPOs, quality-assurance leads and administrators.")


def _team_in_pdu(team_id: int, pdu_id: int) -> bool:
    with session_scope() as session:
        team = session.get(Team, team_id)
        return team is not None and team.pdu_id == pdu_id


def _month(column):
    # The format is a literal, not a bound parameter: PostgreSQL must see the SELECT
    # and GROUP BY expressions as one and the same.
    if get_engine().dialect.name == "sqlite":
        return func.strftime(literal_column("'%Y-%m'"), column)
    return func.to_char(column, literal_column("'YYYY-MM'"))


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _end(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC)


def _case_filters(f: Filters) -> list:
    where = []
    if f.pdu_id is not None:
        where.append(Case.pdu_id == f.pdu_id)
    if f.team_id is not None:
        where.append(Case.team_id == f.team_id)
    if f.order_type:
        where.append(Case.order_type == f.order_type)
    if f.rosh:
        where.append(Case.rosh == f.rosh)
    return where


def _audits(f: Filters, with_team: bool = False):
    """Submitted, non-moderation audits in range and scope, as a subquery of ids with their date.

    The case table is joined only when a filter (or the team comparison) needs it.
    """
    columns = [CaseAudit.id.label("audit_id"), AuditEvent.event_date.label("event_date")]
    case_filters = _case_filters(f)
    if with_team:
        columns.append(Case.team_id.label("team_id"))
    query = select(*columns).join(AuditEvent, CaseAudit.event_id == AuditEvent.id)
    if case_filters or with_team:
        query = query.join(Case, CaseAudit.case_id == Case.id)
    return query.where(
        CaseAudit.moderates_id.is_(None),
        CaseAudit.status.in_(SUBMITTED),
        AuditEvent.event_date >= f.date_from,
        AuditEvent.event_date <= f.date_to,
        *case_filters,
    ).subquery()


def _place_filters(f: Filters) -> list:
    where = []
    if f.pdu_id is not None:
        where.append(Team.pdu_id == f.pdu_id)
    if f.team_id is not None:
        where.append(User.team_id == f.team_id)
    return where


def _people_filters(f: Filters) -> list:
    """Current staff in the place filtered to (for coverage, cadence and the rota)."""
    return [User.is_active, *_place_filters(f)]


# ----------------------------------------------------------------- audit quality


@dataclass
class AuditQuality:
    audits: int
    sufficiency_by_month: list[dict] = field(default_factory=list)  # month, section, sufficient, judged, share
    question_heatmap: list[dict] = field(default_factory=list)  # section, question, no_or_partly, answered, share
    answer_distribution: list[dict] = field(default_factory=list)  # section, answer, count
    actions_by_month: list[dict] = field(default_factory=list)  # month, raised, closed
    concerns_by_month: list[dict] = field(default_factory=list)  # month, sheets with concerns
    overdue_actions: int = 0
    urgent_raised: int = 0
    urgent_acknowledged: int = 0
    median_hours_to_acknowledge: float | None = None
    themes_by_month: list[dict] = field(default_factory=list)  # month, theme, count
    teams: list[dict] = field(default_factory=list)  # team, audits, sufficient share (QA lead / admin)


def audit_quality(actor: Actor, filters: Filters, today: date | None = None) -> AuditQuality:
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        audits = _audits(f)
        count = session.exec(select(func.count()).select_from(audits)).one()
        result = AuditQuality(audits=count)
        if not count:
            return result
        month = _month(audits.c.event_date)
        sufficient = func.sum(case((AuditSectionResult.verdict == "Sufficient", 1), else_=0))
        rows = session.exec(
            select(month, AuditSectionResult.section_title, sufficient, func.count())
            .select_from(AuditSectionResult)
            .join(audits, AuditSectionResult.audit_id == audits.c.audit_id)
            .where(AuditSectionResult.verdict.in_(["Sufficient", "Partly sufficient", "Insufficient"]))
            .group_by(month, AuditSectionResult.section_title)
            .order_by(month)
        ).all()
        result.sufficiency_by_month = [
            {"month": m, "section": s, "sufficient": int(ok), "judged": n, "share": ok / n if n else None} for m, s, ok, n in rows
        ]

        rows = session.exec(
            select(AuditAnswer.question_key, AuditAnswer.answer, func.count())
            .join(audits, AuditAnswer.audit_id == audits.c.audit_id)
            .group_by(AuditAnswer.question_key, AuditAnswer.answer)
        ).all()
        _row, definition = instrument.latest(session)
        section_of = {q.key: s.title for s in definition.sections for q in s.questions}
        text_of = {q.key: q.label for s in definition.sections for q in s.questions}
        per_question: dict[str, dict] = {}
        distribution: dict[tuple[str, str], int] = {}
        for key, answer, n in rows:
            if answer is None:
                continue
            entry = per_question.setdefault(key, {"section": section_of.get(key, "Other"), "question": text_of.get(key, key), "no_or_partly": 0, "answered": 0})
            if answer in ("partly", "no"):
                entry["no_or_partly"] += n
            if answer in ("yes", "partly", "no"):
                entry["answered"] += n
            distribution[(section_of.get(key, "Other"), answer)] = distribution.get((section_of.get(key, "Other"), answer), 0) + n
        order = {q.key: i for i, q in enumerate(q for s in definition.sections for q in s.questions)}
        result.question_heatmap = [
            e | {"share": e["no_or_partly"] / e["answered"] if e["answered"] else None}
            for _k, e in sorted(per_question.items(), key=lambda kv: order.get(kv[0], 999))
        ]
        result.answer_distribution = [{"section": s, "answer": a, "count": n} for (s, a), n in sorted(distribution.items())]

        raised = session.exec(
            select(_month(AuditAction.created_at), func.count()).join(audits, AuditAction.audit_id == audits.c.audit_id).group_by(_month(AuditAction.created_at))
        ).all()
        closed = dict(
            session.exec(
                select(_month(AuditAction.closed_at), func.count())
                .join(audits, AuditAction.audit_id == audits.c.audit_id)
                .where(AuditAction.closed_at.is_not(None))
                .group_by(_month(AuditAction.closed_at))
            ).all()
        )
        months = sorted({m for m, _ in raised} | set(closed))
        raised_map = dict(raised)
        result.actions_by_month = [
            {"month": m, "raised": raised_map.get(m, 0), "closed": closed.get(m, 0), "total": raised_map.get(m, 0) + closed.get(m, 0)} for m in months
        ]
        result.overdue_actions = session.exec(
            select(func.count())
            .select_from(AuditAction)
            .join(audits, AuditAction.audit_id == audits.c.audit_id)
            .where(AuditAction.status == ActionStatus.OPEN, AuditAction.due_date < today)
        ).one()
        result.concerns_by_month = [
            {"month": m, "sheets_with_concerns": n}
            for m, n in session.exec(
                select(_month(audits.c.event_date), func.count())
                .select_from(FeedbackSheet)
                .join(audits, FeedbackSheet.audit_id == audits.c.audit_id)
                .where(FeedbackSheet.concerns != "")
                .group_by(_month(audits.c.event_date))
            ).all()
        ]
        urgent = session.exec(
            select(UrgentConcern.raised_at, UrgentConcern.acknowledged_at).join(audits, UrgentConcern.audit_id == audits.c.audit_id)
        ).all()
        result.urgent_raised = len(urgent)
        waits = [(ack - raised_at).total_seconds() / 3600 for raised_at, ack in urgent if ack is not None]
        result.urgent_acknowledged = len(waits)
        result.median_hours_to_acknowledge = statistics.median(waits) if waits else None
        result.themes_by_month = [
            {"month": m, "theme": t, "count": n}
            for m, t, n in session.exec(
                select(_month(audits.c.event_date), LearningTheme.name, func.count())
                .select_from(FeedbackTheme)
                .join(audits, FeedbackTheme.audit_id == audits.c.audit_id)
                .join(LearningTheme, FeedbackTheme.theme_id == LearningTheme.id)
                .group_by(_month(audits.c.event_date), LearningTheme.name)
                .order_by(_month(audits.c.event_date))
            ).all()
        ]
        if f.team_id is None:
            by_team = _audits(f, with_team=True)
            team_rows = session.exec(
                select(Team.name, func.count(func.distinct(by_team.c.audit_id)), sufficient, func.count())
                .select_from(AuditSectionResult)
                .join(by_team, AuditSectionResult.audit_id == by_team.c.audit_id)
                .join(Team, by_team.c.team_id == Team.id)
                .where(AuditSectionResult.verdict.in_(["Sufficient", "Partly sufficient", "Insufficient"]))
                .group_by(Team.name)
                .order_by(Team.name)
            ).all()
            result.teams = [{"team": t, "audits": a, "share": ok / n if n else None} for t, a, ok, n in team_rows]
        return result


# ------------------------------------------------------------------ observations


@dataclass
class ObservationSummary:
    observations: int
    domains: list[dict] = field(default_factory=list)  # domain, mean, spread, ratings, people
    practitioners: int = 0
    observed: int = 0
    self_vs_observer: list[dict] = field(default_factory=list)  # domain, who, average, pairs

    @property
    def coverage(self) -> float | None:
        return self.observed / self.practitioners if self.practitioners else None


def observation_summary(actor: Actor, filters: Filters, today: date | None = None) -> ObservationSummary:
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        query = select(Observation.id.label("obs_id"), Observation.practitioner_id.label("pid"))
        if f.pdu_id is not None or f.team_id is not None:
            query = query.join(User, Observation.practitioner_id == User.id).join(Team, User.team_id == Team.id).where(*_place_filters(f))
        in_scope = query.where(
            Observation.status.in_(SHARED),
            Observation.calibration_of_id.is_(None),
            Observation.observed_on >= f.date_from,
            Observation.observed_on <= f.date_to,
        ).subquery()
        total = session.exec(select(func.count()).select_from(in_scope)).one()
        summary = ObservationSummary(observations=total)
        _row, framework = skills_framework.latest(session)
        titles = {d.key: d.title for d in framework.domains}
        rows = session.exec(
            select(
                ObservationRating.domain_key,
                func.avg(ObservationRating.rating),
                func.avg(ObservationRating.rating * ObservationRating.rating),
                func.count(),
                func.count(func.distinct(in_scope.c.pid)),
            )
            .join(in_scope, ObservationRating.observation_id == in_scope.c.obs_id)
            .where(ObservationRating.rating.is_not(None))
            .group_by(ObservationRating.domain_key)
        ).all()
        for key, mean, mean_sq, n, people in rows:
            spread = max(0.0, float(mean_sq) - float(mean) ** 2) ** 0.5
            summary.domains.append({"domain": titles.get(key, key), "mean": float(mean), "spread": spread, "ratings": n, "people": people})
        order = {d.title: i for i, d in enumerate(framework.domains)}
        summary.domains.sort(key=lambda d: order.get(d["domain"], 99))
        practitioners = (
            select(User.id)
            .join(Team, User.team_id == Team.id)
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.PRACTITIONER))
            .where(*_people_filters(f))
            .subquery()
        )
        summary.practitioners = session.exec(select(func.count()).select_from(practitioners)).one()
        summary.observed = session.exec(
            select(func.count(func.distinct(Observation.practitioner_id))).where(
                Observation.practitioner_id.in_(select(practitioners.c.id)),
                Observation.status.in_(SHARED),
                Observation.observed_on > today - timedelta(days=365),
            )
        ).one()
        pairs = session.exec(
            select(SelfRating.domain_key, func.avg(SelfRating.rating), func.avg(ObservationRating.rating), func.count())
            .join(in_scope, SelfRating.observation_id == in_scope.c.obs_id)
            .join(ObservationRating, and_(ObservationRating.observation_id == SelfRating.observation_id, ObservationRating.domain_key == SelfRating.domain_key))
            .where(SelfRating.rating.is_not(None), ObservationRating.rating.is_not(None))
            .group_by(SelfRating.domain_key)
        ).all()
        for key, own, observed, n in sorted(pairs, key=lambda r: order.get(titles.get(r[0], r[0]), 99)):
            summary.self_vs_observer.append({"domain": titles.get(key, key), "who": "Self-rating", "average": float(own), "pairs": n})
            summary.self_vs_observer.append({"domain": titles.get(key, key), "who": "Observer", "average": float(observed), "pairs": n})
        return summary


# ---------------------------------------------------------- supervision and rota


@dataclass
class SupervisionSummary:
    practitioners: int
    within_target: int
    items_discussed: int

    @property
    def share(self) -> float | None:
        return self.within_target / self.practitioners if self.practitioners else None


def supervision_summary(actor: Actor, filters: Filters, today: date | None = None) -> SupervisionSummary:
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        people = session.exec(cadence.practitioners_query(select(User, Team).join(Team, User.team_id == Team.id)).where(*_people_filters(f))).all()
        rows = cadence.cadence_rows(session, people, today)
        discussed = session.exec(
            select(func.count())
            .select_from(AgendaItem)
            .join(User, AgendaItem.practitioner_id == User.id)
            .join(Team, User.team_id == Team.id)
            .where(AgendaItem.discussed_in_id.is_not(None), AgendaItem.added_at >= _start(f.date_from), AgendaItem.added_at < _end(f.date_to), *_people_filters(f))
        ).one()
        return SupervisionSummary(len(rows), sum(r.status != "overdue" for r in rows), discussed)


@dataclass
class RotaSummary:
    staff: int
    at_target: int  # attended at least 2 events in the last 12 months

    @property
    def share(self) -> float | None:
        return self.at_target / self.staff if self.staff else None


def rota_summary(actor: Actor, filters: Filters, today: date | None = None) -> RotaSummary:
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        staff = select(User.id).join(Team, User.team_id == Team.id).where(*_people_filters(f)).subquery()
        total = session.exec(select(func.count()).select_from(staff)).one()
        attended = (
            select(AuditorPair.first_id.label("uid"), AuditorPair.event_id)
            .join(AuditEvent, AuditorPair.event_id == AuditEvent.id)
            .where(AuditEvent.event_date > today - timedelta(days=365), AuditEvent.event_date <= today)
            .union(
                select(AuditorPair.second_id.label("uid"), AuditorPair.event_id)
                .join(AuditEvent, AuditorPair.event_id == AuditEvent.id)
                .where(AuditEvent.event_date > today - timedelta(days=365), AuditEvent.event_date <= today)
            )
            .subquery()
        )
        per_person = (
            select(attended.c.uid, func.count().label("events"))
            .where(attended.c.uid.in_(select(staff.c.id)))
            .group_by(attended.c.uid)
            .subquery()
        )
        at_target = session.exec(select(func.count()).select_from(per_person).where(per_person.c.events >= 2)).one()
        return RotaSummary(total, at_target)


# ------------------------------------------------------------------- wellbeing


@dataclass
class WellbeingSummary:
    shown: bool
    people: int = 0
    debriefs: int = 0
    mean_intensity: float | None = None
    top_feelings: list[dict] = field(default_factory=list)


def wellbeing_summary(actor: Actor, filters: Filters) -> WellbeingSummary:
    """Aggregates only, and only when at least 5 different people contributed."""
    f = scoped(actor, filters)
    with session_scope() as session:
        query = select(Debrief.id.label("did"), Debrief.author_id.label("aid"), Debrief.intensity.label("intensity"))
        if f.pdu_id is not None or f.team_id is not None:
            query = query.join(User, Debrief.author_id == User.id).join(Team, User.team_id == Team.id).where(*_place_filters(f))
        in_scope = query.where(Debrief.created_at >= _start(f.date_from), Debrief.created_at < _end(f.date_to)).subquery()
        people, debriefs, mean = session.exec(
            select(func.count(func.distinct(in_scope.c.aid)), func.count(), func.avg(in_scope.c.intensity)).select_from(in_scope)
        ).one()
        if people < MIN_PEOPLE:
            return WellbeingSummary(shown=False)
        top = session.exec(
            select(DebriefFeeling.feeling, func.count())
            .join(in_scope, DebriefFeeling.debrief_id == in_scope.c.did)
            .group_by(DebriefFeeling.feeling)
            .order_by(func.count().desc(), DebriefFeeling.feeling)
            .limit(8)
        ).all()
        return WellbeingSummary(True, people, debriefs, float(mean), [{"feeling": w, "count": n} for w, n in top])


# ------------------------------------------------------------------ caching key


def data_version() -> tuple:
    """Changes whenever dashboard data is written, so cached figures are refreshed."""
    with session_scope() as session:
        return (
            session.exec(select(func.max(AuditTrail.id))).one(),
            session.exec(select(func.max(Debrief.id))).one(),
            session.exec(select(func.count()).select_from(AuditSectionResult)).one(),
        )


def anonymise(rows: list[dict], count_key: str) -> list[dict]:
    """For meeting mode: drop any row whose count is small enough to point at someone."""
    return [row for row in rows if (row.get(count_key) or 0) >= SMALL]




def scope_options(actor: Actor) -> tuple[dict[int, str], dict[int, str], str]:
    """The PDUs and teams this person can filter by, and a plain description of their scope."""
    from db.models import Pdu

    with session_scope() as session:
        if actor.has(Role.ADMIN):
            pdus = dict(session.exec(select(Pdu.id, Pdu.name).order_by(Pdu.name)).all())
            teams = dict(session.exec(select(Team.id, Team.name).order_by(Team.name)).all())
            return pdus, teams, "all PDUs"
        if actor.has(Role.QA_LEAD) and actor.pdu_id is not None:
            pdu = session.get(Pdu, actor.pdu_id)
            teams = dict(session.exec(select(Team.id, Team.name).where(Team.pdu_id == actor.pdu_id).order_by(Team.name)).all())
            return {pdu.id: pdu.name}, teams, pdu.name
        if actor.has(Role.SPO) and actor.team_id is not None:
            team = session.get(Team, actor.team_id)
            return {}, {team.id: team.name}, team.name
    raise PermissionDenied("Team dashboards are for SPOs, quality-assurance leads and administrators.")
