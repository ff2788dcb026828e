"""Dashboard figures, computed in SQL over indexed columns and returned as small rows.

Each role sees its own scope: an SPO their team, a QA lead their PDU (teams
compared), an administrator everything. Nothing here names a practitioner:
figures are per section, question, domain, month or team. Wellbeing is kept
apart (qa/reflection/wellbeing.py rules: at least 5 people) and never joined to these.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, label, literal, literal_column, or_, union, union_all
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from db.audits import (
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
from db.dashboards import (
    AnswerCell,
    AuditCell,
    DebriefCell,
    FeelingCell,
    ObservationCell,
    RatedPerson,
    RatingCell,
    SectionCell,
)
from db.dashboards import data_version as db_data_version
from db.engine import get_engine, session_scope
from db.ids import by_id, id_of
from db.observations import Observation, ObservationRating, ObservationStatus, SelfRating
from db.organisation import Case, Role, Team, User, UserRole
from db.reflection import Debrief, DebriefFeeling
from db.supervision import AgendaItem, StaffProfile
from qa.access.actor import Actor
from qa.audits import instrument
from qa.dashboards.filters import Filters
from qa.dashboards.rollups import ensure_built, month_start, next_month
from qa.errors import PermissionDenied
from qa.lookup import get_required
from qa.observations import framework as skills_framework
from qa.reflection.wellbeing_rules import MIN_PEOPLE
from qa.supervision import cadence

SUBMITTED = [AuditStatus.FEEDBACK_SENT, AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED, AuditStatus.SUBMITTED]
SHARED = [ObservationStatus.SHARED, ObservationStatus.ACKNOWLEDGED]
SMALL = MIN_PEOPLE  # counts below this are hidden in meeting mode
JUDGED = ["Sufficient", "Partly sufficient", "Insufficient"]
SUFFICIENT = func.sum(case((col(AuditSectionResult.verdict) == "Sufficient", 1), else_=0))
ANSWER_COLUMNS = [("yes", "yes"), ("partly", "partly"), ("no", "no"), ("not_applicable", "not applicable")]


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


def _month(
    column: ColumnElement[Any] | Mapped[date] | Mapped[datetime] | Mapped[datetime | None],
) -> ColumnElement[str]:
    # The format is a literal, not a bound parameter: PostgreSQL must see the SELECT
    # and GROUP BY expressions as one and the same.
    if get_engine().dialect.name == "sqlite":
        return func.strftime(literal_column("'%Y-%m'"), column)
    return func.to_char(column, literal_column("'YYYY-MM'"))


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _end(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC)


def _case_filters(f: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.pdu_id is not None:
        where.append(col(Case.pdu_id) == f.pdu_id)
    if f.team_id is not None:
        where.append(col(Case.team_id) == f.team_id)
    if f.order_type:
        where.append(col(Case.order_type) == f.order_type)
    if f.rosh:
        where.append(col(Case.rosh) == f.rosh)
    return where


def _audits(f: Filters, with_team: bool = False, ranges: list[tuple[date, date]] | None = None) -> Subquery:
    """Submitted, non-moderation audits in range and scope, as a subquery of ids with when they were submitted.

    An audit counts from the moment it is submitted, not by its event's date, so one finished
    early for a LEARN day still to come appears at once. The case table is joined only when a
    filter (or the team comparison) needs it. ``ranges`` (the part months at both ends of a view)
    replaces the view's own dates, so both ends are counted in one statement.
    """
    columns: list[ColumnElement[Any]] = [
        label("audit_id", col(CaseAudit.id)),
        label("submitted_at", col(CaseAudit.submitted_at)),
    ]
    case_filters = _case_filters(f)
    if with_team:
        columns.append(label("team_id", col(Case.team_id)))
    query = select(*columns)
    if case_filters or with_team:
        query = query.join(Case, col(CaseAudit.case_id) == col(Case.id))
    when = [
        and_(col(CaseAudit.submitted_at) >= _start(a), col(CaseAudit.submitted_at) < _end(b))
        for a, b in ranges or [(f.date_from, f.date_to)]
    ]
    return query.where(
        col(CaseAudit.moderates_id).is_(None),
        col(CaseAudit.status).in_(SUBMITTED),
        or_(*when),
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
        count, section_rows, answer_rows = _audit_tallies(session, f)
        result = AuditQuality(audits=int(count))
        if not count:
            return result
        result.sufficiency_by_month = [
            {"month": m, "section": s, "sufficient": int(ok), "judged": int(n), "share": ok / n if n else None}
            for m, s, ok, n in section_rows
        ]
        _row, definition = instrument.latest(session)
        section_of = {q.key: s.title for s in definition.sections for q in s.questions}
        text_of = {q.key: q.label for s in definition.sections for q in s.questions}
        per_question: dict[str, dict] = {}
        distribution: dict[tuple[str, str], int] = {}
        for key, answer, n in answer_rows:
            if answer is None:
                continue
            entry = per_question.setdefault(
                key,
                {
                    "section": section_of.get(key, "Other"),
                    "question": text_of.get(key, key),
                    "no_or_partly": 0,
                    "answered": 0,
                },
            )
            if answer in ("partly", "no"):
                entry["no_or_partly"] += n
            if answer in ("yes", "partly", "no"):
                entry["answered"] += n
            distribution[(section_of.get(key, "Other"), answer)] = (
                distribution.get((section_of.get(key, "Other"), answer), 0) + n
            )
        order = {q.key: i for i, q in enumerate(q for s in definition.sections for q in s.questions)}
        result.question_heatmap = [
            e | {"share": e["no_or_partly"] / e["answered"] if e["answered"] else None}
            for _k, e in sorted(per_question.items(), key=lambda kv: order.get(kv[0], 999))
        ]
        result.answer_distribution = [
            {"section": s, "answer": a, "count": n} for (s, a), n in sorted(distribution.items())
        ]

        raised: dict[str, int] = {}
        closed: dict[str, int] = {}
        concerns: dict[str, int] = {}
        themes: list[dict] = []
        # A team's or PDU's audits are found once (a CTE); a whole region's are read in each part, which
        # PostgreSQL can do in parallel (as a CTE the national view took 163 ms against 143 ms).
        for kind, m, theme, n in session.exec(_follow_up_counts(audits, today, once=not _whole_region(f))).all():
            if kind == "overdue":
                result.overdue_actions = int(n)
            elif kind == "concerns":
                concerns[m] = int(n)
            elif kind == "theme":
                themes.append({"month": m, "theme": theme, "count": int(n)})
            else:
                (raised if kind == "raised" else closed)[m] = int(n)
        result.actions_by_month = [
            {
                "month": m,
                "raised": raised.get(m, 0),
                "closed": closed.get(m, 0),
                "total": raised.get(m, 0) + closed.get(m, 0),
            }
            for m in sorted(set(raised) | set(closed))
        ]
        result.concerns_by_month = [{"month": m, "sheets_with_concerns": n} for m, n in sorted(concerns.items())]
        urgent = session.exec(
            select(UrgentConcern.raised_at, UrgentConcern.acknowledged_at).join(
                audits, col(UrgentConcern.audit_id) == audits.c.audit_id
            )
        ).all()
        result.urgent_raised = len(urgent)
        waits = [(ack - raised_at).total_seconds() / 3600 for raised_at, ack in urgent if ack is not None]
        result.urgent_acknowledged = len(waits)
        result.median_hours_to_acknowledge = statistics.median(waits) if waits else None
        result.themes_by_month = sorted(themes, key=lambda row: row["month"])
        if f.team_id is None:
            result.teams = _team_comparison(session, f)
        return result


def _follow_up_counts(audits: Subquery, today: date, *, once: bool = True) -> Any:
    """What followed these audits, in one statement over the audits found once (a CTE): actions raised per
    month, closed per month and open past their due date; feedback sheets with concerns per month; and
    learning themes per month. Rows of (kind, month, theme, count). As separate statements, each finding
    the audits again, PostgreSQL spent a third of a team's audit quality on them."""
    found: Any = audits.element.cte("view_audits") if once else audits
    submitted = _month(found.c.submitted_at)
    raised_month = _month(col(AuditAction.created_at))
    closed_month = _month(col(AuditAction.closed_at))
    of_audits = col(AuditAction.audit_id) == found.c.audit_id
    none = literal(None, type_=String)
    return union_all(
        select(literal("raised"), raised_month, none, func.count()).join(found, of_audits).group_by(raised_month),
        select(literal("closed"), closed_month, none, func.count())
        .join(found, of_audits)
        .where(col(AuditAction.closed_at).is_not(None))
        .group_by(closed_month),
        select(literal("overdue"), none, none, func.count())
        .select_from(AuditAction)
        .join(found, of_audits)
        .where(AuditAction.status == ActionStatus.OPEN, col(AuditAction.due_date) < today),
        select(literal("concerns"), submitted, none, func.count())
        .select_from(FeedbackSheet)
        .join(found, col(FeedbackSheet.audit_id) == found.c.audit_id)
        .where(FeedbackSheet.concerns != "")
        .group_by(submitted),
        select(literal("theme"), submitted, col(LearningTheme.name), func.count())
        .select_from(FeedbackTheme)
        .join(found, col(FeedbackTheme.audit_id) == found.c.audit_id)
        .join(LearningTheme, col(FeedbackTheme.theme_id) == col(LearningTheme.id))
        .group_by(submitted, col(LearningTheme.name)),
    )


def _use_rollups(f: Filters) -> bool:
    # The audit rollups are counted per month and team; order type and RoSH filters read the records.
    return not f.order_type and not f.rosh


def _audit_parts(f: Filters) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    if not _use_rollups(f):
        return None, [(f.date_from, f.date_to)]
    return _split_months(f.date_from, f.date_to)


def _cell_filters(
    table: type[AuditCell] | type[SectionCell] | type[AnswerCell], f: Filters, months: tuple[date, date]
) -> list[ColumnElement[bool]]:
    where = [col(table.month) >= months[0], col(table.month) < months[1]]
    if f.pdu_id is not None:
        where.append(col(table.pdu_id) == f.pdu_id)
    if f.team_id is not None:
        where.append(col(table.team_id) == f.team_id)
    return where


def _audit_tallies(session: Session, f: Filters) -> tuple[int, list, list]:
    """Audit count, (month, section, sufficient, judged) rows and (question, answer, count) rows.

    Whole months come from the rollups, part months at either end (and any order-type
    or RoSH filter) from the records.
    """
    months, edges = _audit_parts(f)
    count = 0
    sections: dict[tuple[str, str], list[int]] = {}
    answers: dict[tuple[str, str | None], int] = {}
    if months is not None:
        ensure_built(session)
        count += session.exec(
            select(func.coalesce(func.sum(AuditCell.audits), 0)).where(*_cell_filters(AuditCell, f, months))
        ).one()
        month = _month(col(SectionCell.month))
        for m, title, ok, n in session.exec(
            select(month, SectionCell.section_title, func.sum(SectionCell.sufficient), func.sum(SectionCell.judged))
            .where(*_cell_filters(SectionCell, f, months))
            .group_by(month, SectionCell.section_title)
        ).all():
            row = sections.setdefault((m, title), [0, 0])
            row[0], row[1] = row[0] + int(ok), row[1] + int(n)
        for key, *counts in session.exec(  # type: ignore[str-unpack]  # sqlmodel.select is typed for at most 4 columns
            select(
                col(AnswerCell.question_key), *[func.sum(getattr(AnswerCell, column)) for column, _a in ANSWER_COLUMNS]
            )
            .where(*_cell_filters(AnswerCell, f, months))
            .group_by(col(AnswerCell.question_key))
        ).all():
            for (_c, answer_word), tally in zip(ANSWER_COLUMNS, counts, strict=False):
                if tally:
                    answers[(key, answer_word)] = answers.get((key, answer_word), 0) + int(tally)
    if edges:
        # The count, the section judgements and the answers in one statement (on PostgreSQL each statement
        # finding the audits again cost 3 ms of a team's view at 10x).
        audits = _found_once(session, _audits(f, ranges=edges), "edge_audits")
        month = _month(audits.c.submitted_at)
        text_none, int_none = literal(None, type_=String), literal(None, type_=Integer)
        parts: Any = union_all(
            select(literal("count"), text_none, text_none, text_none, func.count(), int_none).select_from(  # type: ignore[call-overload]
                audits
            ),
            select(  # type: ignore[call-overload]
                literal("section"), month, col(AuditSectionResult.section_title), text_none, SUFFICIENT, func.count()
            )
            .select_from(AuditSectionResult)
            .join(audits, col(AuditSectionResult.audit_id) == audits.c.audit_id)
            .where(col(AuditSectionResult.verdict).in_(JUDGED))
            .group_by(month, col(AuditSectionResult.section_title)),
            select(  # type: ignore[call-overload]
                literal("answer"),
                text_none,
                col(AuditAnswer.question_key),
                col(AuditAnswer.answer),
                func.count(),
                int_none,
            )
            .join(audits, col(AuditAnswer.audit_id) == audits.c.audit_id)
            .group_by(col(AuditAnswer.question_key), col(AuditAnswer.answer)),
        )
        for kind, m, name, answer, a, b in session.exec(parts).all():
            if kind == "count":
                count += int(a)
            elif kind == "section":
                row = sections.setdefault((m, name), [0, 0])
                row[0], row[1] = row[0] + int(a), row[1] + int(b)
            else:
                answers[(name, answer)] = answers.get((name, answer), 0) + int(a)
    section_rows = [(m, title, ok, n) for (m, title), (ok, n) in sorted(sections.items())]
    answer_rows = [(key, answer, n) for (key, answer), n in answers.items()]
    return count, section_rows, answer_rows


def _team_comparison(session: Session, f: Filters) -> list[dict]:
    """Audits per team and the share of judged sections found sufficient."""
    months, edges = _audit_parts(f)
    audits: dict[str, int] = {}
    judged: dict[str, list[int]] = {}
    if months is not None:
        for team, n in session.exec(
            select(Team.name, func.sum(AuditCell.audits))
            .join(Team, col(AuditCell.team_id) == col(Team.id))
            .where(*_cell_filters(AuditCell, f, months))
            .group_by(Team.name)
        ).all():
            audits[team] = audits.get(team, 0) + int(n)
        for team, ok, n in session.exec(
            select(Team.name, func.sum(SectionCell.sufficient), func.sum(SectionCell.judged))
            .join(Team, col(SectionCell.team_id) == col(Team.id))
            .where(*_cell_filters(SectionCell, f, months))
            .group_by(Team.name)
        ).all():
            row = judged.setdefault(team, [0, 0])
            row[0], row[1] = row[0] + int(ok), row[1] + int(n)
    if edges:
        by_team = _audits(f, with_team=True, ranges=edges)
        for team, n in session.exec(
            select(Team.name, func.count())
            .select_from(by_team)
            .join(Team, by_team.c.team_id == Team.id)
            .group_by(Team.name)
        ).all():
            audits[team] = audits.get(team, 0) + int(n)
        for team, ok, n in session.exec(
            select(Team.name, SUFFICIENT, func.count())
            .select_from(AuditSectionResult)
            .join(by_team, col(AuditSectionResult.audit_id) == by_team.c.audit_id)
            .join(Team, by_team.c.team_id == Team.id)
            .where(col(AuditSectionResult.verdict).in_(JUDGED))
            .group_by(Team.name)
        ).all():
            row = judged.setdefault(team, [0, 0])
            row[0], row[1] = row[0] + int(ok), row[1] + int(n)
    return [
        {"team": team, "audits": n, "share": judged[team][0] / judged[team][1] if judged.get(team, [0, 0])[1] else None}
        for team, n in sorted(audits.items())
        if n
    ]


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


def _split_months(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Whole calendar months inside the range (read from rollups) and the part-month edges (read from records).

    Returns ((first month, month after the last), [(from, to inclusive), ...]).
    """
    first = month_start(date_from) if date_from.day == 1 else next_month(month_start(date_from))
    after = month_start(date_to + timedelta(days=1))
    if first >= after:
        return None, [(date_from, date_to)]
    edges = []
    if date_from < first:
        edges.append((date_from, first - timedelta(days=1)))
    if after <= date_to:
        edges.append((after, date_to))
    return (first, after), edges


def _whole_region(f: Filters) -> bool:
    """No team or PDU chosen (or scoped): the view covers the whole region."""
    return f.pdu_id is None and f.team_id is None


def _found_once(session: Session, found: Subquery, name: str) -> Any:
    """``found`` as a CTE on PostgreSQL, which then finds its rows once for every part of a statement
    that joins it; SQLite keeps the subquery, which it plans through the joined tables' indexes (as a
    CTE it was up to 4x slower)."""
    return found.element.cte(name) if session.get_bind().dialect.name == "postgresql" else found


def _people_in_place(f: Filters) -> SelectOfScalar[int | None] | None:
    """The people in the filtered place, as a subquery of ids (None for the whole region)."""
    if _whole_region(f):
        return None
    return select(col(User.id)).join(Team, col(User.team_id) == col(Team.id)).where(*_place_filters(f))


def _observations_in(f: Filters, ranges: list[tuple[date, date]]) -> Subquery:
    """Shared, non-calibration observations in the filtered place on any of the date ranges."""
    query = select(label("obs_id", col(Observation.id)), label("pid", col(Observation.practitioner_id)))
    if f.pdu_id is not None or f.team_id is not None:
        query = (
            query.join(User, col(Observation.practitioner_id) == col(User.id))
            .join(Team, col(User.team_id) == col(Team.id))
            .where(*_place_filters(f))
        )
    return query.where(
        col(Observation.status).in_(SHARED),
        col(Observation.calibration_of_id).is_(None),
        or_(*[and_(col(Observation.observed_on) >= a, col(Observation.observed_on) <= b) for a, b in ranges]),
    ).subquery()


def _rating_stats(session: Session, f: Filters) -> tuple[int, dict, dict, dict]:
    """Observation count, per-domain rating sums, self/observer pair sums and the people rated per domain.

    Over a whole region, whole months come from the rollups and part months at either end from the
    records. Within a team or PDU everything comes from the place's own records: they are few, and the
    rollups only added statements there (and their distinct count of people read its whole key).
    """
    months, edges = _split_months(f.date_from, f.date_to) if _whole_region(f) else (None, [(f.date_from, f.date_to)])
    total = 0
    ratings: dict[str, list[int]] = {}  # domain: [n, sum, sum of squares]
    pairs: dict[str, list[int]] = {}  # domain: [n, self sum, observer sum]
    people: dict[str, int] = {}

    def add(target: dict[str, list[int]], key: str, values: tuple[int | None, ...]) -> None:
        row = target.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            row[i] += int(v or 0)

    if months is not None:
        ensure_built(session)
        in_months = [col(ObservationCell.month) >= months[0], col(ObservationCell.month) < months[1]]
        cell_where = [col(RatingCell.month) >= months[0], col(RatingCell.month) < months[1]]
        sums = select(  # type: ignore[call-overload]  # sqlmodel.select is typed for at most 4 columns
            col(RatingCell.domain_key),
            func.sum(RatingCell.ratings),
            func.sum(RatingCell.rating_sum),
            func.sum(RatingCell.rating_squares),
            func.sum(RatingCell.pairs),
            func.sum(RatingCell.self_sum),
            func.sum(RatingCell.paired_observer_sum),
        )
        rated_where = [col(RatedPerson.month) >= months[0], col(RatedPerson.month) < months[1]]
        total += session.exec(select(func.coalesce(func.sum(ObservationCell.observations), 0)).where(*in_months)).one()
        for key, n, total_sum, squares, paired, own, observed in session.exec(
            sums.where(*cell_where).group_by(RatingCell.domain_key)
        ).all():
            add(ratings, key, (n, total_sum, squares))
            add(pairs, key, (paired, own, observed))
        for key, rated in session.exec(
            select(RatedPerson.domain_key, func.count(func.distinct(RatedPerson.practitioner_id)))
            .where(*rated_where)
            .group_by(RatedPerson.domain_key)
        ).all():
            people[key] = people.get(key, 0) + int(rated)
    if edges:
        # The count, the rating sums, the self/observer pairs and (where nothing came from the rollups)
        # the people rated, in one statement.
        found = _found_once(session, _observations_in(f, edges), "view_observations")
        people_here = months is None
        nothing = literal(None, type_=Integer)
        rating = col(ObservationRating.rating)
        parts: Any = union_all(
            select(literal("total"), literal(None, type_=String), func.count(), nothing, nothing, nothing).select_from(  # type: ignore[call-overload]
                found
            ),
            select(  # type: ignore[call-overload]
                literal("rated"),
                col(ObservationRating.domain_key),
                func.count(),
                func.sum(rating),
                func.sum(rating * rating),
                func.count(func.distinct(found.c.pid)) if people_here else nothing,
            )
            .join(found, col(ObservationRating.observation_id) == found.c.obs_id)
            .where(rating.is_not(None))
            .group_by(col(ObservationRating.domain_key)),
            select(  # type: ignore[call-overload]
                literal("pairs"),
                col(SelfRating.domain_key),
                func.count(),
                func.sum(SelfRating.rating),
                func.sum(rating),
                nothing,
            )
            .join(found, col(SelfRating.observation_id) == found.c.obs_id)
            .join(
                ObservationRating,
                and_(
                    col(ObservationRating.observation_id) == col(SelfRating.observation_id),
                    col(ObservationRating.domain_key) == col(SelfRating.domain_key),
                ),
            )
            .where(col(SelfRating.rating).is_not(None), rating.is_not(None))
            .group_by(col(SelfRating.domain_key)),
        )
        for kind, key, a, b, c, rated in session.exec(parts).all():
            if kind == "total":
                total += int(a)
            elif kind == "rated":
                add(ratings, key, (a, b, c))
                if people_here:
                    people[key] = people.get(key, 0) + int(rated or 0)
            else:
                add(pairs, key, (a, b, c))
        if months is not None:
            # People rated only in the part months, not already counted from the whole months.
            already = (
                select(RatedPerson.practitioner_id)
                .where(
                    RatedPerson.month >= months[0],
                    RatedPerson.month < months[1],
                    RatedPerson.practitioner_id == found.c.pid,
                    RatedPerson.domain_key == ObservationRating.domain_key,
                )
                .exists()
            )
            for key, n in session.exec(
                select(ObservationRating.domain_key, func.count(func.distinct(found.c.pid)))
                .join(found, col(ObservationRating.observation_id) == found.c.obs_id)
                .where(rating.is_not(None), ~already)
                .group_by(ObservationRating.domain_key)
            ).all():
                people[key] = people.get(key, 0) + int(n)
    return total, ratings, pairs, people


def observation_summary(actor: Actor, filters: Filters, today: date | None = None) -> ObservationSummary:
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        total, ratings, pairs, people = _rating_stats(session, f)
        summary = ObservationSummary(observations=int(total))
        _row, framework = skills_framework.latest(session)
        titles = {d.key: d.title for d in framework.domains}
        for key, (n, total_sum, squares) in ratings.items():
            if not n:
                continue
            mean = total_sum / n
            spread = max(0.0, squares / n - mean**2) ** 0.5
            summary.domains.append(
                {
                    "domain": titles.get(key, key),
                    "mean": mean,
                    "spread": spread,
                    "ratings": n,
                    "people": people.get(key, 0),
                }
            )
        order = {d.title: i for i, d in enumerate(framework.domains)}
        summary.domains.sort(key=lambda d: order.get(d["domain"], 99))
        practitioners = (
            select(User.id)
            .join(Team, col(User.team_id) == col(Team.id))
            .join(UserRole, (col(UserRole.user_id) == col(User.id)) & (col(UserRole.role) == Role.PRACTITIONER))
            .where(*_people_filters(f))
            .subquery()
        )
        observed = select(func.count(func.distinct(Observation.practitioner_id))).where(
            col(Observation.practitioner_id).in_(select(practitioners.c.id)),
            col(Observation.status).in_(SHARED),
            Observation.observed_on > today - timedelta(days=365),
        )
        staff, seen = session.exec(  # coverage in one statement
            select(select(func.count()).select_from(practitioners).scalar_subquery(), observed.scalar_subquery())
        ).one()
        summary.practitioners, summary.observed = int(staff), int(seen)
        for key, (n, own, observed) in sorted(pairs.items(), key=lambda kv: order.get(titles.get(kv[0], kv[0]), 99)):
            if not n:
                continue
            summary.self_vs_observer.append(
                {"domain": titles.get(key, key), "who": "Self-rating", "average": own / n, "pairs": n}
            )
            summary.self_vs_observer.append(
                {"domain": titles.get(key, key), "who": "Observer", "average": observed / n, "pairs": n}
            )
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
        # Only the four columns the rule needs, in one statement: loading each person as an object cost
        # three times the query itself. The last supervision is looked up person by person (an index
        # probe each), except over a whole region on PostgreSQL, where one grouped pass is 4x cheaper
        # (1,500 people: 40 ms against 175 ms); SQLite's probes stay cheaper (26 ms against 42 ms).
        postgres = session.get_bind().dialect.name == "postgresql"
        grouped = cadence.last_supervised_by_person(today) if _whole_region(f) and postgres else None
        query = (
            select(  # type: ignore[type-var]  # a nullable date column
                User.grade,
                StaffProfile.newly_qualified,
                StaffProfile.started_on,
                grouped.c.last if grouped is not None else cadence.last_supervised_column(today),
            )
            .select_from(User)
            .join(Team, col(User.team_id) == col(Team.id))
            .join(StaffProfile, col(StaffProfile.user_id) == col(User.id), isouter=True)
        )
        if grouped is not None:
            query = query.join(grouped, grouped.c.practitioner_id == col(User.id), isouter=True)
        people = session.exec(cadence.practitioners_query(query).where(*_people_filters(f))).all()
        within = cadence.within_target(session, people, today)
        discussed = session.exec(
            select(func.count())
            .select_from(AgendaItem)
            .join(User, col(AgendaItem.practitioner_id) == col(User.id))
            .join(Team, col(User.team_id) == col(Team.id))
            .where(
                col(AgendaItem.discussed_in_id).is_not(None),
                AgendaItem.added_at >= _start(f.date_from),
                AgendaItem.added_at < _end(f.date_to),
                *_people_filters(f),
            )
        ).one()
        return SupervisionSummary(len(people), within, discussed)


@dataclass
class RotaSummary:
    staff: int
    at_target: int  # attended at least 2 events in the last 12 months

    @property
    def share(self) -> float | None:
        return self.at_target / self.staff if self.staff else None


def rota_summary(actor: Actor, filters: Filters, today: date | None = None) -> RotaSummary:
    """Staff in scope, and how many of them were one of an auditor pair at 2 or more events in the last year.

    One statement, starting from the people in scope: their pairs are found through the indexes on
    ``first_id`` and ``second_id``, so the cost follows the team or PDU, not the region.
    """
    f = scoped(actor, filters)
    today = today or date.today()
    with session_scope() as session:
        staff = select(col(User.id)).join(Team, col(User.team_id) == col(Team.id)).where(*_people_filters(f))
        in_year = and_(col(AuditEvent.event_date) > today - timedelta(days=365), col(AuditEvent.event_date) <= today)
        attended = (
            select(col(AuditorPair.first_id).label("uid"), col(AuditorPair.event_id))
            .join(AuditEvent, col(AuditorPair.event_id) == col(AuditEvent.id))
            .where(in_year, col(AuditorPair.first_id).in_(staff))
            .union(
                select(col(AuditorPair.second_id).label("uid"), col(AuditorPair.event_id))
                .join(AuditEvent, col(AuditorPair.event_id) == col(AuditEvent.id))
                .where(in_year, col(AuditorPair.second_id).in_(staff))
            )
            .subquery()
        )
        regulars = select(attended.c.uid).group_by(attended.c.uid).having(func.count() >= 2).subquery()
        total, at_target = session.exec(
            select(
                select(func.count()).select_from(staff.subquery()).scalar_subquery(),
                select(func.count()).select_from(regulars).scalar_subquery(),
            )
        ).one()
        return RotaSummary(int(total), int(at_target))


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
        months, edges = _split_months(f.date_from, f.date_to)
        place = _people_in_place(f)
        authors: list[SelectOfScalar[Any]] = []
        debriefs, intensity = 0, 0
        feelings: dict[str, int] = {}
        if months is not None:
            ensure_built(session)
            cell_where = [col(DebriefCell.month) >= months[0], col(DebriefCell.month) < months[1]]
            if place is not None:
                cell_where.append(col(DebriefCell.author_id).in_(place))
            n, total = session.exec(
                select(func.sum(DebriefCell.debriefs), func.sum(DebriefCell.intensity_sum)).where(*cell_where)
            ).one()
            debriefs, intensity = debriefs + int(n or 0), intensity + int(total or 0)
            authors.append(select(label("aid", col(DebriefCell.author_id))).where(*cell_where))
            feeling_where = [FeelingCell.month >= months[0], FeelingCell.month < months[1]]
            feeling_query = select(FeelingCell.feeling, func.sum(FeelingCell.count))
            if f.team_id is not None:
                feeling_where.append(FeelingCell.team_id == f.team_id)
            elif f.pdu_id is not None:
                feeling_query = feeling_query.join(Team, col(FeelingCell.team_id) == col(Team.id))
                feeling_where.append(Team.pdu_id == f.pdu_id)
            for word, count in session.exec(feeling_query.where(*feeling_where).group_by(FeelingCell.feeling)).all():
                feelings[word] = feelings.get(word, 0) + int(count)
        for date_from, date_to in edges:
            query = select(
                label("did", col(Debrief.id)),
                label("aid", col(Debrief.author_id)),
                label("intensity", col(Debrief.intensity)),
            )
            if place is not None:
                query = query.where(col(Debrief.author_id).in_(place))
            in_scope = query.where(
                Debrief.created_at >= _start(date_from), Debrief.created_at < _end(date_to)
            ).subquery()
            n, total = session.exec(select(func.count(), func.sum(in_scope.c.intensity)).select_from(in_scope)).one()
            debriefs, intensity = debriefs + int(n or 0), intensity + int(total or 0)
            authors.append(select(in_scope.c.aid))
            for word, count in session.exec(
                select(DebriefFeeling.feeling, func.count())
                .join(in_scope, col(DebriefFeeling.debrief_id) == in_scope.c.did)
                .group_by(DebriefFeeling.feeling)
            ).all():
                feelings[word] = feelings.get(word, 0) + int(count)
        both = union(*authors).subquery() if len(authors) > 1 else authors[0].distinct().subquery()
        people = session.exec(select(func.count()).select_from(both)).one()
        if people < MIN_PEOPLE:
            return WellbeingSummary(shown=False)
        top = sorted(feelings.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        return WellbeingSummary(
            True, people, debriefs, intensity / debriefs, [{"feeling": w, "count": n} for w, n in top]
        )


# ------------------------------------------------------------------ caching key


def data_version() -> tuple:
    """Changes whenever dashboard data is written, so cached figures are refreshed.

    The counter that db/dashboards.py bumps in the same transaction as every write, read by its primary key:
    the same in every process, whatever the size of the tables.
    """
    return (db_data_version(),)


def anonymise(rows: list[dict], count_key: str) -> list[dict]:
    """For meeting mode: drop any row whose count is small enough to point at someone."""
    return [row for row in rows if (row.get(count_key) or 0) >= SMALL]


def scope_options(actor: Actor) -> tuple[dict[int, str], dict[int, str], str]:
    """The PDUs and teams this person can filter by, and a plain description of their scope."""
    from db.organisation import Pdu

    with session_scope() as session:
        if actor.has(Role.ADMIN):
            pdus = by_id(session.exec(select(col(Pdu.id), col(Pdu.name)).order_by(col(Pdu.name))).all())
            teams = by_id(session.exec(select(col(Team.id), col(Team.name)).order_by(col(Team.name))).all())
            return pdus, teams, "all PDUs"
        if actor.has(Role.QA_LEAD) and actor.pdu_id is not None:
            pdu = get_required(session, Pdu, actor.pdu_id)
            teams = by_id(
                session.exec(
                    select(col(Team.id), col(Team.name))
                    .where(col(Team.pdu_id) == actor.pdu_id)
                    .order_by(col(Team.name))
                ).all()
            )
            return {id_of(pdu): pdu.name}, teams, pdu.name
        if actor.has(Role.SPO) and actor.team_id is not None:
            team = get_required(session, Team, actor.team_id)
            return {}, {id_of(team): team.name}, team.name
    raise PermissionDenied("Team dashboards are for SPOs, quality-assurance leads and administrators.")
