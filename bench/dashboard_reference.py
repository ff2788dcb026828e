"""The dashboard figures worked out twice more, independently of the portal: by hand-written SQL and by pandas.

Used by bench/dashboard_benchmark.py (and its CI test) to check that the portal's figures are exactly
those of a plain query over the records, before anything is timed. Every figure is put in one
canonical shape (``canonical_*``), so the three ways can be compared with ``==``:

- the hand-written SQL reads the records only (never the rollups), with the same moderation, status,
  date and scope filters the portal applies, one statement per figure family, bounded by the view's
  scope (team or PDU) where it has one;
- pandas reads whole tables (only the columns it needs) and then filters and groups: the naive way.

Nothing here imports the portal's dashboard code (only its plain Filters record): the rules are written again from the documentation
(an audit counts from when it was submitted; observations that are shared and not calibration; people
placed by their current team; supervision within the cadence weeks; the rota's two events in a year).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Date, DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine

from qa.dashboards.filters import Filters

SUBMITTED = ("feedback sent", "discussed in supervision", "actions closed", "submitted")
SHARED = ("shared with the practitioner", "acknowledged")
JUDGED = ("Sufficient", "Partly sufficient", "Insufficient")
NOT_MODERATION = "a.moderates_id IS NULL"  # blind second audits are never counted
DEFAULT_WEEKS = (4, 6)
NEW_STARTER_WEEKS = (3, 4)
MIN_PEOPLE = 5
DIGITS = 9  # shares and means compared to 9 decimal places (sums are exact; division order differs)


@dataclass(frozen=True)
class View(Filters):
    """One dashboard view: the viewer's scope already applied (as the portal's ``scoped`` does), and today."""

    today: date = date.today()

    def case_filters(self) -> dict[str, Any]:
        """The filters that fall on the audited case: PDU, team, order type and RoSH."""
        wanted = {"pdu_id": self.pdu_id, "team_id": self.team_id, "order_type": self.order_type, "rosh": self.rosh}
        return {k: v for k, v in wanted.items() if v is not None}


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def _str(value: Any) -> str:
    return str(value)


# ------------------------------------------------------------------ canonical shapes of the portal's results


def canonical_audit(q: Any) -> dict:
    return {
        "audits": int(q.audits),
        "sufficiency": {
            (r["month"], r["section"]): (int(r["sufficient"]), int(r["judged"])) for r in q.sufficiency_by_month
        },
        "heatmap": {r["question"]: (int(r["no_or_partly"]), int(r["answered"])) for r in q.question_heatmap},
        "answers": {(r["section"], r["answer"]): int(r["count"]) for r in q.answer_distribution},
        "actions": {r["month"]: (int(r["raised"]), int(r["closed"])) for r in q.actions_by_month},
        "overdue": int(q.overdue_actions),
        "concerns": {r["month"]: int(r["sheets_with_concerns"]) for r in q.concerns_by_month},
        "urgent": (int(q.urgent_raised), int(q.urgent_acknowledged), _r(q.median_hours_to_acknowledge)),
        "themes": {(r["month"], r["theme"]): int(r["count"]) for r in q.themes_by_month},
        "teams": {r["team"]: (int(r["audits"]), _r(r["share"])) for r in q.teams},
    }


def canonical_observation(s: Any) -> dict:
    return {
        "observations": int(s.observations),
        "domains": {
            d["domain"]: (_r(d["mean"]), _r(d["spread"]), int(d["ratings"]), int(d["people"])) for d in s.domains
        },
        "practitioners": int(s.practitioners),
        "observed": int(s.observed),
        "self": {(d["domain"], d["who"]): (_r(d["average"]), int(d["pairs"])) for d in s.self_vs_observer},
    }


def canonical_supervision(s: Any) -> dict:
    return {"practitioners": s.practitioners, "within_target": s.within_target, "discussed": s.items_discussed}


def canonical_rota(r: Any) -> dict:
    return {"staff": r.staff, "at_target": r.at_target}


def canonical_wellbeing(w: Any) -> dict:
    if not w.shown:
        return {"shown": False}
    return {
        "shown": True,
        "people": w.people,
        "debriefs": w.debriefs,
        "mean": _r(w.mean_intensity),
        "top": [(t["feeling"], t["count"]) for t in w.top_feelings],
    }


def canonical_work(groups: Any, keys: tuple[str, ...]) -> dict:
    return {g.key: g.waiting for g in groups if g.key in keys}


# ---------------------------------------------------------------------------------- shared definitions


@dataclass(frozen=True)
class Definitions:
    """The instrument's sections and questions and the skills framework's domains (small, read once)."""

    section_of: dict[str, str]
    text_of: dict[str, str]
    domain_title: dict[str, str]


def audit_figures(
    view: View,
    defs: Definitions,
    count: int,
    sections: list[tuple],
    answers: list[tuple],
    raised: list[tuple],
    closed: list[tuple],
    overdue: int,
    concerns: list[tuple],
    urgent: list[tuple],
    themes: list[tuple],
    teams: list[tuple],
    team_sections: list[tuple],
) -> dict:
    """Rows from either way, into the canonical shape."""
    if not count:
        return canonical_audit(_Empty(int(count)))
    heat: dict[str, list[int]] = {}
    distribution: dict[tuple[str, str], int] = {}
    for key, answer, n in answers:
        if answer is None:
            continue
        label = defs.text_of.get(key, key)
        entry = heat.setdefault(label, [0, 0])
        if answer in ("partly", "no"):
            entry[0] += int(n)
        if answer in ("yes", "partly", "no"):
            entry[1] += int(n)
        where = (defs.section_of.get(key, "Other"), answer)
        distribution[where] = distribution.get(where, 0) + int(n)
    actions: dict[str, list[int]] = {}
    for m, n in raised:
        actions.setdefault(m, [0, 0])[0] += int(n)
    for m, n in closed:
        actions.setdefault(m, [0, 0])[1] += int(n)
    moments = [(_moment(at), _moment(ack)) for at, ack in urgent]
    waits = [(ack - at).total_seconds() / 3600 for at, ack in moments if ack is not None and at is not None]
    judged = {team: (int(ok), int(n)) for team, ok, n in team_sections}
    return {
        "audits": int(count),
        "sufficiency": {(m, s): (int(ok), int(n)) for m, s, ok, n in sections},
        "heatmap": {k: (v[0], v[1]) for k, v in heat.items()},
        "answers": distribution,
        "actions": {m: (v[0], v[1]) for m, v in actions.items()},
        "overdue": int(overdue),
        "concerns": {m: int(n) for m, n in concerns},
        "urgent": (len(urgent), len(waits), _r(statistics.median(waits)) if waits else None),
        "themes": {(m, t): int(n) for m, t, n in themes},
        "teams": {}
        if view.team_id is not None
        else {
            team: (int(n), _r(judged[team][0] / judged[team][1]) if judged.get(team, (0, 0))[1] else None)
            for team, n in teams
            if n
        },
    }


class _Empty:
    def __init__(self, audits: int) -> None:
        self.audits = audits
        self.sufficiency_by_month: list = []
        self.question_heatmap: list = []
        self.answer_distribution: list = []
        self.actions_by_month: list = []
        self.overdue_actions = 0
        self.concerns_by_month: list = []
        self.urgent_raised = self.urgent_acknowledged = 0
        self.median_hours_to_acknowledge = None
        self.themes_by_month: list = []
        self.teams: list = []


def observation_figures(
    defs: Definitions, count: int, ratings: list[tuple], practitioners: int, observed: int, pairs: list[tuple]
) -> dict:
    domains = {}
    for key, n, total, squares, people in ratings:
        if not n:
            continue
        mean = total / n
        domains[defs.domain_title.get(key, key)] = (
            _r(mean),
            _r(max(0.0, squares / n - mean**2) ** 0.5),
            int(n),
            int(people),
        )
    both = {}
    for key, n, own, observer in pairs:
        if not n:
            continue
        title = defs.domain_title.get(key, key)
        both[(title, "Self-rating")] = (_r(own / n), int(n))
        both[(title, "Observer")] = (_r(observer / n), int(n))
    return {
        "observations": int(count),
        "domains": domains,
        "practitioners": int(practitioners),
        "observed": int(observed),
        "self": both,
    }


def wellbeing_figures(people: int, debriefs: int, intensity: int, feelings: list[tuple]) -> dict:
    if people < MIN_PEOPLE:
        return {"shown": False}
    top = sorted(((str(w), int(n)) for w, n in feelings), key=lambda kv: (-kv[1], kv[0]))[:8]
    return {
        "shown": True,
        "people": int(people),
        "debriefs": int(debriefs),
        "mean": _r(intensity / debriefs),
        "top": top,
    }


def weeks_lookup(settings: dict[str, str]) -> Callable[[str, bool], tuple[int, int]]:
    def parse(raw: str | None, fallback: tuple[int, int]) -> tuple[int, int]:
        try:
            due, overdue = (int(x) for x in (raw or "").split(","))
            return due, overdue
        except ValueError:
            return fallback

    def lookup(grade: str, new_starter: bool) -> tuple[int, int]:
        key = "new_starter" if new_starter else str(grade)
        return parse(settings.get(key), NEW_STARTER_WEEKS if new_starter else DEFAULT_WEEKS)

    return lookup


def on_time(last: date | None, weeks: tuple[int, int], today: date) -> bool:
    """Not overdue: supervised at some time, and today is no later than the last session plus the overdue weeks."""
    return last is not None and today <= last + timedelta(weeks=weeks[1])


# ------------------------------------------------------------------------------------ hand-written SQL


class HandSQL:
    """Hand-written SQL over the records, one statement per figure family, bounded by the view's scope."""

    def __init__(self, engine: Engine, defs: Definitions) -> None:
        self.engine = engine
        self.defs = defs
        self.sqlite = engine.dialect.name == "sqlite"

    def month(self, column: str) -> str:
        return f"strftime('%Y-%m', {column})" if self.sqlite else f"to_char({column}, 'YYYY-MM')"

    def run(self, conn: Connection, sql: str, **params: Any) -> list[tuple]:
        statement = text(sql)
        typed: list[Any] = []
        date_type: Any = Date()
        for name, value in params.items():
            if isinstance(value, datetime):
                typed.append(bindparam(name, value, type_=DateTime()))
            elif isinstance(value, date):
                typed.append(bindparam(name, value, type_=date_type))
            elif isinstance(value, tuple):
                typed.append(bindparam(name, list(value), expanding=True))
            else:
                typed.append(bindparam(name, value))
        return [tuple(r) for r in conn.execute(statement.bindparams(*typed)).all()]

    @staticmethod
    def _range(view: View) -> dict[str, datetime]:
        return {
            "start": datetime.combine(view.date_from, time.min),
            "end": datetime.combine(view.date_to + timedelta(days=1), time.min),
        }

    def audit(self, view: View) -> dict:
        where = [NOT_MODERATION, "a.status IN :submitted", "a.submitted_at >= :start", "a.submitted_at < :end"]
        params: dict[str, Any] = {"submitted": SUBMITTED, **self._range(view)}
        for column, value in view.case_filters().items():
            where.append(f"c.{column} = :{column}")
            params[column] = value
        scope = (
            "WITH s AS (SELECT a.id, a.submitted_at, c.team_id FROM case_audit a "
            "JOIN probation_case c ON c.id = a.case_id WHERE " + " AND ".join(where) + ") "
        )
        sm = self.month("s.submitted_at")
        with self.engine.connect() as conn:
            count = self.run(conn, scope + "SELECT COUNT(*) FROM s", **params)[0][0]
            if not count:
                return audit_figures(view, self.defs, 0, [], [], [], [], 0, [], [], [], [], [])
            sections = self.run(
                conn,
                scope + f"SELECT {sm}, r.section_title, SUM(CASE WHEN r.verdict = 'Sufficient' THEN 1 ELSE 0 END), "
                "COUNT(*) FROM audit_section_result r JOIN s ON s.id = r.audit_id WHERE r.verdict IN :judged "
                f"GROUP BY {sm}, r.section_title",
                judged=JUDGED,
                **params,
            )
            answers = self.run(
                conn,
                scope + "SELECT x.question_key, x.answer, COUNT(*) FROM audit_answer x JOIN s ON s.id = x.audit_id "
                "GROUP BY x.question_key, x.answer",
                **params,
            )
            actions = self.run(
                conn,
                scope
                + f"SELECT 'r', {self.month('x.created_at')}, COUNT(*) FROM audit_action x JOIN s ON s.id = x.audit_id "
                f"GROUP BY {self.month('x.created_at')} "
                f"UNION ALL SELECT 'c', {self.month('x.closed_at')}, COUNT(*) FROM audit_action x "
                f"JOIN s ON s.id = x.audit_id WHERE x.closed_at IS NOT NULL GROUP BY {self.month('x.closed_at')} "
                "UNION ALL SELECT 'o', NULL, COUNT(*) FROM audit_action x JOIN s ON s.id = x.audit_id "
                "WHERE x.status = 'open' AND x.due_date < :today",
                today=view.today,
                **params,
            )
            concerns = self.run(
                conn,
                scope + f"SELECT {sm}, COUNT(*) FROM feedback_sheet f JOIN s ON s.id = f.audit_id "
                f"WHERE f.concerns <> '' GROUP BY {sm}",
                **params,
            )
            urgent = self.run(
                conn,
                scope + "SELECT u.raised_at, u.acknowledged_at FROM urgent_concern u JOIN s ON s.id = u.audit_id",
                **params,
            )
            themes = self.run(
                conn,
                scope + f"SELECT {sm}, t.name, COUNT(*) FROM feedback_theme f JOIN s ON s.id = f.audit_id "
                f"JOIN learning_theme t ON t.id = f.theme_id GROUP BY {sm}, t.name",
                **params,
            )
            teams: list[tuple] = []
            team_sections: list[tuple] = []
            if view.team_id is None:
                teams = self.run(
                    conn,
                    scope + "SELECT t.name, COUNT(*) FROM s JOIN team t ON t.id = s.team_id GROUP BY t.name",
                    **params,
                )
                team_sections = self.run(
                    conn,
                    scope + "SELECT t.name, SUM(CASE WHEN r.verdict = 'Sufficient' THEN 1 ELSE 0 END), COUNT(*) "
                    "FROM audit_section_result r JOIN s ON s.id = r.audit_id JOIN team t ON t.id = s.team_id "
                    "WHERE r.verdict IN :judged GROUP BY t.name",
                    judged=JUDGED,
                    **params,
                )
        raised = [(m, n) for kind, m, n in actions if kind == "r"]
        closed = [(m, n) for kind, m, n in actions if kind == "c"]
        overdue = sum(n for kind, _m, n in actions if kind == "o")
        return audit_figures(
            view,
            self.defs,
            count,
            sections,
            answers,
            raised,
            closed,
            overdue,
            concerns,
            urgent,
            themes,
            teams,
            team_sections,
        )

    def _people(self, view: View, alias: str = "u") -> tuple[str, dict[str, Any]]:
        """Joins and conditions placing a person (``alias``) in the view's team or PDU by their current team."""
        if view.team_id is not None:
            return f" AND {alias}.team_id = :team_id", {"team_id": view.team_id}
        if view.pdu_id is not None:
            return (
                f" AND {alias}.team_id IN (SELECT id FROM team WHERE pdu_id = :pdu_id)",
                {"pdu_id": view.pdu_id},
            )
        return "", {}

    def observation(self, view: View) -> dict:
        place, params = self._people(view)
        joined = ' JOIN "user" u ON u.id = o.practitioner_id' if place else ""
        scope = (
            "WITH s AS (SELECT o.id, o.practitioner_id FROM observation o" + joined + " WHERE o.status IN :shared "
            "AND o.calibration_of_id IS NULL AND o.observed_on >= :f AND o.observed_on <= :t" + place + ") "
        )
        params |= {"shared": SHARED, "f": view.date_from, "t": view.date_to}
        staff = (
            'SELECT u.id FROM "user" u JOIN team tm ON tm.id = u.team_id JOIN userrole ur ON ur.user_id = u.id '
            "AND ur.role = 'practitioner' WHERE u.is_active" + place
        )
        with self.engine.connect() as conn:
            count = self.run(conn, scope + "SELECT COUNT(*) FROM s", **params)[0][0]
            ratings = self.run(
                conn,
                scope + "SELECT r.domain_key, COUNT(*), SUM(r.rating), SUM(r.rating * r.rating), "
                "COUNT(DISTINCT s.practitioner_id) FROM observation_rating r JOIN s ON s.id = r.observation_id "
                "WHERE r.rating IS NOT NULL GROUP BY r.domain_key",
                **params,
            )
            pairs = self.run(
                conn,
                scope + "SELECT m.domain_key, COUNT(*), SUM(m.rating), SUM(r.rating) FROM self_rating m "
                "JOIN s ON s.id = m.observation_id JOIN observation_rating r ON r.observation_id = m.observation_id "
                "AND r.domain_key = m.domain_key WHERE m.rating IS NOT NULL AND r.rating IS NOT NULL "
                "GROUP BY m.domain_key",
                **params,
            )
            coverage = self.run(
                conn,
                f"WITH p AS ({staff}) SELECT (SELECT COUNT(*) FROM p), (SELECT COUNT(DISTINCT o.practitioner_id) "
                "FROM observation o JOIN p ON p.id = o.practitioner_id WHERE o.status IN :shared "
                "AND o.observed_on > :year_ago)",
                shared=SHARED,
                year_ago=view.today - timedelta(days=365),
                **{k: v for k, v in params.items() if k in ("team_id", "pdu_id")},
            )[0]
        return observation_figures(self.defs, count, ratings, coverage[0], coverage[1], pairs)

    def _cadence(self, conn: Connection, today: date, where: str, **params: Any) -> tuple[Callable, list[tuple]]:
        """The cadence weeks, and (team, grade, new starter, last supervised) for each active practitioner matched."""
        settings = {
            k.split(":", 1)[1]: v
            for k, v in self.run(conn, "SELECT key, value FROM setting WHERE key LIKE 'supervision_weeks:%'")
        }
        rows = self.run(
            conn,
            "SELECT u.team_id, u.grade, CASE WHEN p.newly_qualified OR p.started_on > :new_since THEN 1 ELSE 0 END, "
            "(SELECT MAX(ss.held_on) FROM session_participant sp JOIN supervision_session ss ON ss.id = sp.session_id "
            " WHERE sp.practitioner_id = u.id AND ss.held_on <= :today) "
            "FROM \"user\" u JOIN userrole ur ON ur.user_id = u.id AND ur.role = 'practitioner' "
            "LEFT JOIN staff_profile p ON p.user_id = u.id WHERE u.is_active" + where,
            today=today,
            new_since=today - timedelta(days=365),
            **params,
        )
        return weeks_lookup(settings), rows

    def supervision(self, view: View) -> dict:
        place, params = self._people(view)
        with self.engine.connect() as conn:
            weeks, rows = self._cadence(conn, view.today, " AND u.team_id IS NOT NULL" + place, **params)
            discussed = self.run(
                conn,
                'SELECT COUNT(*) FROM agenda_item ai JOIN "user" u ON u.id = ai.practitioner_id '
                "JOIN team tm ON tm.id = u.team_id WHERE ai.discussed_in_id IS NOT NULL AND ai.added_at >= :start "
                "AND ai.added_at < :end AND u.is_active" + place,
                **self._range(view),
                **params,
            )[0][0]
        within = sum(on_time(_as_date(last), weeks(grade, bool(new)), view.today) for _t, grade, new, last in rows)
        return {"practitioners": len(rows), "within_target": int(within), "discussed": int(discussed)}

    def rota(self, view: View) -> dict:
        place, params = self._people(view)
        staff = 'SELECT u.id FROM "user" u JOIN team tm ON tm.id = u.team_id WHERE u.is_active' + place
        with self.engine.connect() as conn:
            row = self.run(
                conn,
                f"WITH p AS ({staff}), e AS (SELECT id FROM audit_event WHERE event_date > :year_ago AND event_date <= :today), "
                "a AS (SELECT x.first_id AS uid, x.event_id FROM auditor_pair x JOIN e ON e.id = x.event_id "
                "JOIN p ON p.id = x.first_id UNION SELECT x.second_id, x.event_id FROM auditor_pair x "
                "JOIN e ON e.id = x.event_id JOIN p ON p.id = x.second_id) "
                "SELECT (SELECT COUNT(*) FROM p), (SELECT COUNT(*) FROM (SELECT uid FROM a GROUP BY uid "
                "HAVING COUNT(*) >= 2) k)",
                year_ago=view.today - timedelta(days=365),
                today=view.today,
                **params,
            )[0]
        return {"staff": int(row[0]), "at_target": int(row[1])}

    def wellbeing(self, view: View) -> dict:
        place, params = self._people(view)
        joined = ' JOIN "user" u ON u.id = d.author_id' if place else ""
        scope = (
            "WITH s AS (SELECT d.id, d.author_id, d.intensity FROM debrief d"
            + joined
            + " WHERE d.created_at >= :start "
            "AND d.created_at < :end" + place + ") "
        )
        params |= self._range(view)
        with self.engine.connect() as conn:
            people, debriefs, intensity = self.run(
                conn, scope + "SELECT COUNT(DISTINCT author_id), COUNT(*), SUM(intensity) FROM s", **params
            )[0]
            if people < MIN_PEOPLE:
                return {"shown": False}
            feelings = self.run(
                conn,
                scope
                + "SELECT f.feeling, COUNT(*) FROM debrief_feeling f JOIN s ON s.id = f.debrief_id GROUP BY f.feeling",
                **params,
            )
        return wellbeing_figures(people, debriefs, intensity or 0, feelings)

    # ----------------------------------------------------------- home-page work queues (the groups that grow with data)

    def spo_work(self, user_id: int, today: date) -> dict:
        with self.engine.connect() as conn:
            weeks, rows = self._cadence(conn, today, " AND u.supervisor_id = :me", me=user_id)
            sheets, concerns = self.run(
                conn,
                "SELECT (SELECT COUNT(*) FROM case_audit WHERE feedback_to_id = :me AND status = 'feedback sent'), "
                "(SELECT COUNT(*) FROM urgent_concern WHERE spo_id = :me AND acknowledged_at IS NULL)",
                me=user_id,
            )[0]
        due = 0
        for _team, grade, new, last in rows:
            last_day = _as_date(last)
            due += last_day is None or today >= last_day + timedelta(weeks=weeks(grade, bool(new))[0])
        return {"supervision_due": due, "sheets_to_discuss": int(sheets), "urgent_concerns": int(concerns)}

    def qa_lead_work(self, pdu_id: int, today: date) -> dict:
        with self.engine.connect() as conn:
            weeks, rows = self._cadence(
                conn, today, " AND u.team_id IN (SELECT id FROM team WHERE pdu_id = :pdu)", pdu=pdu_id
            )
            moderation = self.run(
                conn,
                "SELECT COUNT(*) FROM case_audit a JOIN audit_event e ON e.id = a.event_id "
                "WHERE e.pdu_id = :pdu AND a.moderates_id IS NOT NULL AND a.status = 'draft'",
                pdu=pdu_id,
            )[0][0]
        teams: dict[int, list[int]] = {}
        for team, grade, new, last in rows:
            entry = teams.setdefault(team, [0, 0])
            entry[0] += 1
            entry[1] += on_time(_as_date(last), weeks(grade, bool(new)), today)
        return {"supervision_cadence": sum(w < n for n, w in teams.values()), "moderation": int(moderation)}

    def admin_work(self, now: datetime) -> dict:
        with self.engine.connect() as conn:
            locked, unplaced = self.run(
                conn,
                'SELECT (SELECT COUNT(*) FROM "user" WHERE is_active AND locked_until > :now), '
                '(SELECT COUNT(*) FROM "user" u WHERE u.is_active AND ('
                "(u.team_id IS NULL AND EXISTS (SELECT 1 FROM userrole r WHERE r.user_id = u.id "
                "AND r.role IN ('practitioner', 'spo', 'qa_lead'))) OR (u.supervisor_id IS NULL AND EXISTS "
                "(SELECT 1 FROM userrole r WHERE r.user_id = u.id AND r.role = 'practitioner'))))",
                now=now,
            )[0]
        return {"locked": int(locked), "unplaced": int(unplaced)}


def _moment(value: Any) -> datetime | None:
    """A stored moment as a naive UTC datetime, whatever the driver returned (SQLite gives text)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ------------------------------------------------------------------------------------------------ pandas


class Pandas:
    """The naive way: read whole tables (only the columns needed), then filter and group in pandas."""

    def __init__(self, engine: Engine, defs: Definitions) -> None:
        self.engine = engine
        self.defs = defs

    def table(self, name: str, columns: list[str]) -> pd.DataFrame:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.engine.connect() as conn:
            return pd.read_sql_query(text(f'SELECT {quoted} FROM "{name}"'), conn)

    @staticmethod
    def when(series: pd.Series) -> pd.Series:
        """Moments as naive UTC, whether the driver gave text (SQLite) or aware datetimes (PostgreSQL)."""
        return pd.to_datetime(series, format="mixed", utc=True).dt.tz_localize(None)

    def _people(self, view: View) -> pd.DataFrame:
        users = self.table("user", ["id", "team_id", "is_active", "grade", "supervisor_id"])
        teams = self.table("team", ["id", "name", "pdu_id"]).rename(columns={"id": "team_id", "name": "team_name"})
        users = users.merge(teams, on="team_id", how="left")
        if view.team_id is not None:
            users = users[users["team_id"] == view.team_id]
        elif view.pdu_id is not None:
            users = users[users["pdu_id"] == view.pdu_id]
        return users

    def audit(self, view: View) -> dict:
        a = self.table("case_audit", ["id", "case_id", "status", "moderates_id", "submitted_at"])
        c = self.table("probation_case", ["id", "team_id", "pdu_id", "order_type", "rosh"]).rename(
            columns={"id": "case_id"}
        )
        a = a[a["moderates_id"].isna() & a["status"].isin(SUBMITTED)].copy()
        a["submitted_at"] = self.when(a["submitted_at"])
        start = pd.Timestamp(view.date_from)
        end = pd.Timestamp(view.date_to + timedelta(days=1))
        a = a[(a["submitted_at"] >= start) & (a["submitted_at"] < end)].merge(c, on="case_id")
        for column, value in view.case_filters().items():
            a = a[a[column] == value]
        a = a.rename(columns={"id": "audit_id"})
        a["month"] = a["submitted_at"].dt.strftime("%Y-%m")
        if a.empty:
            return audit_figures(view, self.defs, 0, [], [], [], [], 0, [], [], [], [], [])
        ids = a[["audit_id", "month", "team_id"]]
        r = self.table("audit_section_result", ["audit_id", "section_title", "verdict"]).merge(ids, on="audit_id")
        r = r[r["verdict"].isin(JUDGED)].assign(ok=lambda x: (x["verdict"] == "Sufficient").astype(int))
        sections = r.groupby(["month", "section_title"])["ok"].agg(["sum", "count"]).reset_index()
        answers = (
            self.table("audit_answer", ["audit_id", "question_key", "answer"])
            .merge(ids[["audit_id"]], on="audit_id")
            .groupby(["question_key", "answer"])
            .size()
            .reset_index()
        )
        actions = self.table("audit_action", ["audit_id", "status", "due_date", "created_at", "closed_at"]).merge(
            ids[["audit_id"]], on="audit_id"
        )
        raised = actions.groupby(self.when(actions["created_at"]).dt.strftime("%Y-%m")).size()
        done = actions[actions["closed_at"].notna()]
        closed = done.groupby(self.when(done["closed_at"]).dt.strftime("%Y-%m")).size()
        overdue = int(
            ((actions["status"] == "open") & (pd.to_datetime(actions["due_date"]) < pd.Timestamp(view.today))).sum()
        )
        sheets = self.table("feedback_sheet", ["audit_id", "concerns"]).merge(ids, on="audit_id")
        concerns = sheets[sheets["concerns"] != ""].groupby("month").size()
        urgent = self.table("urgent_concern", ["audit_id", "raised_at", "acknowledged_at"]).merge(ids, on="audit_id")
        themes = (
            self.table("feedback_theme", ["audit_id", "theme_id"])
            .merge(ids, on="audit_id")
            .merge(self.table("learning_theme", ["id", "name"]).rename(columns={"id": "theme_id"}), on="theme_id")
            .groupby(["month", "name"])
            .size()
        )
        teams: list[tuple] = []
        team_sections: list[tuple] = []
        if view.team_id is None:
            names = self.table("team", ["id", "name"]).rename(columns={"id": "team_id"})
            teams = list(a.merge(names, on="team_id").groupby("name").size().items())
            judged = r.merge(names, on="team_id").groupby("name")["ok"].agg(["sum", "count"])
            team_sections = [(t, row["sum"], row["count"]) for t, row in judged.iterrows()]
        return audit_figures(
            view,
            self.defs,
            len(a),
            [tuple(x) for x in sections.itertuples(index=False)],
            [tuple(x) for x in answers.itertuples(index=False)],
            list(raised.items()),
            list(closed.items()),
            overdue,
            list(concerns.items()),
            list(
                zip(
                    self.when(urgent["raised_at"]).dt.to_pydatetime(),
                    [None if pd.isna(y) else y for y in self.when(urgent["acknowledged_at"]).dt.to_pydatetime()],
                    strict=True,
                )
            ),
            [tuple(x) for x in themes.reset_index().itertuples(index=False)],
            teams,
            team_sections,
        )

    def observation(self, view: View) -> dict:
        people = self._people(view)
        o = self.table("observation", ["id", "practitioner_id", "status", "calibration_of_id", "observed_on"])
        o["observed_on"] = pd.to_datetime(o["observed_on"])
        shared = o[o["status"].isin(SHARED)]
        s = shared[
            shared["calibration_of_id"].isna()
            & (shared["observed_on"] >= pd.Timestamp(view.date_from))
            & (shared["observed_on"] <= pd.Timestamp(view.date_to))
        ]
        if view.team_id is not None or view.pdu_id is not None:
            s = s[s["practitioner_id"].isin(people["id"])]
        s = s.rename(columns={"id": "observation_id"})[["observation_id", "practitioner_id"]]
        r = self.table("observation_rating", ["observation_id", "domain_key", "rating"])
        rated = r[r["rating"].notna()].merge(s, on="observation_id")
        rated = rated.assign(sq=rated["rating"] * rated["rating"])
        g = rated.groupby("domain_key").agg(
            n=("rating", "size"), total=("rating", "sum"), squares=("sq", "sum"), people=("practitioner_id", "nunique")
        )
        ratings = [(k, row["n"], row["total"], row["squares"], row["people"]) for k, row in g.iterrows()]
        m = self.table("self_rating", ["observation_id", "domain_key", "rating"])
        m = m[m["rating"].notna()].merge(s[["observation_id"]], on="observation_id")
        both = m.merge(r[r["rating"].notna()], on=["observation_id", "domain_key"], suffixes=("_self", "_obs"))
        p = both.groupby("domain_key").agg(
            n=("rating_self", "size"), own=("rating_self", "sum"), obs=("rating_obs", "sum")
        )
        pairs = [(k, row["n"], row["own"], row["obs"]) for k, row in p.iterrows()]
        roles = self.table("userrole", ["user_id", "role"])
        staff = people[
            people["is_active"].astype(bool)
            & people["team_id"].notna()
            & people["id"].isin(roles.loc[roles["role"] == "practitioner", "user_id"])
        ]
        recent = shared[(shared["observed_on"] > pd.Timestamp(view.today - timedelta(days=365)))]
        observed = recent.loc[recent["practitioner_id"].isin(staff["id"]), "practitioner_id"].nunique()
        return observation_figures(self.defs, len(s), ratings, len(staff), observed, pairs)

    def _cadence_people(self, view: View) -> pd.DataFrame:
        people = self._people(view)
        roles = self.table("userrole", ["user_id", "role"])
        staff = people[
            people["is_active"].astype(bool)
            & people["team_id"].notna()
            & people["id"].isin(roles.loc[roles["role"] == "practitioner", "user_id"])
        ]
        sessions = self.table("supervision_session", ["id", "held_on"]).rename(columns={"id": "session_id"})
        sessions["held_on"] = pd.to_datetime(sessions["held_on"])
        sessions = sessions[sessions["held_on"] <= pd.Timestamp(view.today)]
        last = (
            self.table("session_participant", ["session_id", "practitioner_id"])
            .merge(sessions, on="session_id")
            .groupby("practitioner_id")["held_on"]
            .max()
            .rename("last")
        )
        profiles = self.table("staff_profile", ["user_id", "started_on", "newly_qualified"])
        staff = staff.merge(last, left_on="id", right_index=True, how="left").merge(
            profiles, left_on="id", right_on="user_id", how="left"
        )
        started = pd.to_datetime(staff["started_on"])
        staff["new"] = staff["newly_qualified"].fillna(False).astype(bool) | (
            started > pd.Timestamp(view.today - timedelta(days=365))
        )
        return staff

    def supervision(self, view: View) -> dict:
        staff = self._cadence_people(view)
        settings_rows = self.table("setting", ["key", "value"])
        settings = {
            k.split(":", 1)[1]: v
            for k, v in zip(settings_rows["key"], settings_rows["value"], strict=True)
            if k.startswith("supervision_weeks:")
        }
        weeks = weeks_lookup(settings)
        within = sum(
            on_time(None if pd.isna(last) else last.date(), weeks(grade, bool(new)), view.today)
            for grade, new, last in zip(staff["grade"], staff["new"], staff["last"], strict=True)
        )
        items = self.table("agenda_item", ["practitioner_id", "added_at", "discussed_in_id"])
        items["added_at"] = self.when(items["added_at"])
        people = self._people(view)
        placed = people[people["is_active"].astype(bool) & people["team_id"].notna()]
        discussed = items[
            items["discussed_in_id"].notna()
            & (items["added_at"] >= pd.Timestamp(view.date_from))
            & (items["added_at"] < pd.Timestamp(view.date_to + timedelta(days=1)))
            & items["practitioner_id"].isin(placed["id"])
        ]
        return {"practitioners": len(staff), "within_target": int(within), "discussed": len(discussed)}

    def rota(self, view: View) -> dict:
        people = self._people(view)
        staff = people[people["is_active"].astype(bool) & people["team_id"].notna()]
        events = self.table("audit_event", ["id", "event_date"]).rename(columns={"id": "event_id"})
        events["event_date"] = pd.to_datetime(events["event_date"])
        events = events[
            (events["event_date"] > pd.Timestamp(view.today - timedelta(days=365)))
            & (events["event_date"] <= pd.Timestamp(view.today))
        ]
        pairs = self.table("auditor_pair", ["event_id", "first_id", "second_id"]).merge(events, on="event_id")
        both = pd.concat(
            [
                pairs[["first_id", "event_id"]].set_axis(["uid", "event_id"], axis=1),
                pairs[["second_id", "event_id"]].set_axis(["uid", "event_id"], axis=1),
            ]
        ).drop_duplicates()
        per = both[both["uid"].isin(staff["id"])].groupby("uid").size()
        return {"staff": len(staff), "at_target": int((per >= 2).sum())}

    def wellbeing(self, view: View) -> dict:
        d = self.table("debrief", ["id", "author_id", "intensity", "created_at"])
        d["created_at"] = self.when(d["created_at"])
        d = d[
            (d["created_at"] >= pd.Timestamp(view.date_from))
            & (d["created_at"] < pd.Timestamp(view.date_to + timedelta(days=1)))
        ]
        if view.team_id is not None or view.pdu_id is not None:
            d = d[d["author_id"].isin(self._people(view)["id"])]
        people = d["author_id"].nunique()
        if people < MIN_PEOPLE:
            return {"shown": False}
        feelings = (
            self.table("debrief_feeling", ["debrief_id", "feeling"])
            .merge(d[["id"]].rename(columns={"id": "debrief_id"}), on="debrief_id")
            .groupby("feeling")
            .size()
        )
        return wellbeing_figures(people, len(d), int(d["intensity"].sum()), list(feelings.items()))
