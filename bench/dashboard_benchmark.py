"""Dashboard benchmark: medians over repeated runs, on whatever database it is pointed at.

    PQP_ENCRYPTION_KEYS=... python -m bench.dashboard_benchmark --database-url URL [--runs 5]

It prints, for each dashboard:
1. the portal's own computation (qa/dashboards/figures.py) against hand-written SQL
   aggregates of the same figures on the same database (target: within 1.5x),
   both over the records and over the rollup tables the portal reads;
2. the same against loading the tables into pandas and grouping there
   (target: at least 10x faster);
then 3. the server-side script time of the dashboard page under AppTest
(target: under 1 s on SQLite at region scale) and 4. the peak RSS of this
process (target: under 400 MB). Figures are measured, never asserted: these
machines are noisy, so read medians and ratios from one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlmodel import col

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db import engine as db_engine  # noqa: E402
from pages import _registry as screens  # noqa: E402
from qa.access.actor import Actor  # noqa: E402
from qa.dashboards import figures as dashboards  # noqa: E402
from qa.dashboards.filters import Filters  # noqa: E402

# Hand-written SQL for the same figures the portal computes. {month} is the dialect's month expression.
AUDIT_SQL = [
    """SELECT {month} AS m, r.section_title, SUM(CASE WHEN r.verdict = 'Sufficient' THEN 1 ELSE 0 END), COUNT(*)
       FROM audit_section_result r JOIN case_audit a ON a.id = r.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE a.moderates_id IS NULL AND a.status IN ('feedback sent','discussed in supervision','actions closed','submitted')
         AND e.event_date BETWEEN :f AND :t AND r.verdict IN ('Sufficient','Partly sufficient','Insufficient')
       GROUP BY m, r.section_title""",
    """SELECT x.question_key, x.answer, COUNT(*) FROM audit_answer x JOIN case_audit a ON a.id = x.audit_id
       JOIN audit_event e ON e.id = a.event_id
       WHERE a.moderates_id IS NULL AND a.status IN ('feedback sent','discussed in supervision','actions closed','submitted')
         AND e.event_date BETWEEN :f AND :t GROUP BY x.question_key, x.answer""",
    """SELECT COUNT(*) FROM audit_action c JOIN case_audit a ON a.id = c.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE e.event_date BETWEEN :f AND :t AND c.status = 'open' AND c.due_date < :today""",
    """SELECT {cmonth}, COUNT(*) FROM audit_action c JOIN case_audit a ON a.id = c.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE a.moderates_id IS NULL AND e.event_date BETWEEN :f AND :t GROUP BY 1""",
    """SELECT {closedmonth}, COUNT(*) FROM audit_action c JOIN case_audit a ON a.id = c.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE a.moderates_id IS NULL AND e.event_date BETWEEN :f AND :t AND c.closed_at IS NOT NULL GROUP BY 1""",
    """SELECT {month}, COUNT(*) FROM feedback_sheet s JOIN case_audit a ON a.id = s.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE a.moderates_id IS NULL AND e.event_date BETWEEN :f AND :t AND s.concerns <> '' GROUP BY 1""",
    """SELECT u.raised_at, u.acknowledged_at FROM urgent_concern u JOIN case_audit a ON a.id = u.audit_id JOIN audit_event e ON e.id = a.event_id
       WHERE e.event_date BETWEEN :f AND :t""",
    """SELECT {month}, t.name, COUNT(*) FROM feedback_theme f JOIN learning_theme t ON t.id = f.theme_id JOIN case_audit a ON a.id = f.audit_id
       JOIN audit_event e ON e.id = a.event_id WHERE e.event_date BETWEEN :f AND :t GROUP BY 1, t.name""",
    """SELECT tm.name, COUNT(DISTINCT a.id), SUM(CASE WHEN r.verdict = 'Sufficient' THEN 1 ELSE 0 END), COUNT(*)
       FROM audit_section_result r JOIN case_audit a ON a.id = r.audit_id JOIN audit_event e ON e.id = a.event_id
       JOIN probation_case c ON c.id = a.case_id JOIN team tm ON tm.id = c.team_id
       WHERE a.moderates_id IS NULL AND e.event_date BETWEEN :f AND :t AND r.verdict IN ('Sufficient','Partly sufficient','Insufficient')
       GROUP BY tm.name""",
]
OBSERVATION_SQL = [
    """SELECT r.domain_key, AVG(r.rating), AVG(r.rating * r.rating), COUNT(*) FROM observation_rating r
       JOIN observation o ON o.id = r.observation_id
       WHERE o.status IN ('shared with the practitioner','acknowledged') AND o.calibration_of_id IS NULL
         AND o.observed_on BETWEEN :f AND :t AND r.rating IS NOT NULL GROUP BY r.domain_key""",
    """SELECT COUNT(*) FROM "user" u JOIN userrole ur ON ur.user_id = u.id AND ur.role = 'practitioner' WHERE u.is_active""",
    """SELECT COUNT(DISTINCT o.practitioner_id) FROM observation o
       WHERE o.status IN ('shared with the practitioner','acknowledged') AND o.observed_on > :yearago""",
    """SELECT s.domain_key, AVG(s.rating), AVG(r.rating), COUNT(*) FROM self_rating s
       JOIN observation_rating r ON r.observation_id = s.observation_id AND r.domain_key = s.domain_key
       JOIN observation o ON o.id = s.observation_id
       WHERE o.observed_on BETWEEN :f AND :t AND s.rating IS NOT NULL AND r.rating IS NOT NULL GROUP BY s.domain_key""",
]
# The same figures by hand from the rollup tables the portal reads (qa/dashboards/rollups.py), for whole months
# (the benchmark's filters), plus the record-level queries the portal still runs for the smaller tables.
AUDIT_ROLLUP_SQL = [
    "SELECT COALESCE(SUM(audits), 0) FROM rollup_audit WHERE month >= :mf AND month < :mt",
    """SELECT {rmonth}, section_title, SUM(sufficient), SUM(judged) FROM rollup_section
       WHERE month >= :mf AND month < :mt GROUP BY 1, section_title""",
    """SELECT question_key, SUM(yes), SUM(partly), SUM(no), SUM(not_applicable) FROM rollup_answer
       WHERE month >= :mf AND month < :mt GROUP BY question_key""",
    """SELECT t.name, SUM(r.audits) FROM rollup_audit r JOIN team t ON t.id = r.team_id
       WHERE r.month >= :mf AND r.month < :mt GROUP BY t.name""",
    """SELECT t.name, SUM(r.sufficient), SUM(r.judged) FROM rollup_section r JOIN team t ON t.id = r.team_id
       WHERE r.month >= :mf AND r.month < :mt GROUP BY t.name""",
    *AUDIT_SQL[2:8],
]
OBSERVATION_ROLLUP_SQL = [
    "SELECT COALESCE(SUM(observations), 0) FROM rollup_observation WHERE month >= :mf AND month < :mt",
    """SELECT domain_key, SUM(ratings), SUM(rating_sum), SUM(rating_squares), SUM(pairs), SUM(self_sum), SUM(paired_observer_sum)
       FROM rollup_rating WHERE month >= :mf AND month < :mt GROUP BY domain_key""",
    """SELECT domain_key, COUNT(DISTINCT practitioner_id) FROM rollup_rated_person
       WHERE month >= :mf AND month < :mt GROUP BY domain_key""",
    *OBSERVATION_SQL[1:3],
]
WELLBEING_ROLLUP_SQL = [
    "SELECT COUNT(DISTINCT author_id), SUM(debriefs), SUM(intensity_sum) FROM rollup_debrief WHERE month >= :mf AND month < :mt",
    """SELECT feeling, SUM(count) FROM rollup_feeling WHERE month >= :mf AND month < :mt
       GROUP BY feeling ORDER BY SUM(count) DESC LIMIT 8""",
]
WELLBEING_SQL = [
    """SELECT COUNT(DISTINCT d.author_id), COUNT(*), AVG(d.intensity) FROM debrief d WHERE d.created_at >= :fs AND d.created_at < :ts""",
    """SELECT f.feeling, COUNT(*) FROM debrief_feeling f JOIN debrief d ON d.id = f.debrief_id
       WHERE d.created_at >= :fs AND d.created_at < :ts GROUP BY f.feeling ORDER BY COUNT(*) DESC LIMIT 8""",
]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(fns: list, runs: int) -> list[float]:
    """Medians of each function, timed in turn within every round so all of them see the same machine load."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def admin_actor() -> Actor:
    from db.organisation import Grade, Role

    return Actor(
        id=0, full_name="Benchmark", email="bench@example.org", grade=Grade.OTHER, roles=frozenset({Role.ADMIN})
    )


def hand_sql(queries: list[str], filters: Filters):
    engine = db_engine.get_engine()
    sqlite = engine.dialect.name == "sqlite"

    def month_of(column: str) -> str:
        return f"strftime('%Y-%m', {column})" if sqlite else f"to_char({column}, 'YYYY-MM')"

    params = {
        "f": filters.date_from,
        "t": filters.date_to,
        "today": date.today(),
        "yearago": date.today() - timedelta(days=365),
        "fs": f"{filters.date_from} 00:00:00",
        "ts": f"{filters.date_to + timedelta(days=1)} 00:00:00",
        "mf": filters.date_from,
        "mt": filters.date_to + timedelta(days=1),
    }

    def run():
        with engine.connect() as conn:
            for sql in queries:
                query = sql.format(
                    month=month_of("e.event_date"),
                    cmonth=month_of("c.created_at"),
                    closedmonth=month_of("c.closed_at"),
                    rmonth=month_of("month"),
                )
                conn.execute(text(query), params).all()

    return run


def pandas_way(tables: list[str], group):
    engine = db_engine.get_engine()

    def run():
        frames = {name: pd.read_sql_table(name, engine) for name in tables}
        group(frames)

    return run


def _month(series) -> pd.Series:
    return pd.to_datetime(series, utc=True, errors="coerce").dt.strftime("%Y-%m")


def group_audits(frames):
    """The same figures as the portal's audit dashboard, worked out in pandas."""
    a = frames["case_audit"]
    a = a[a["moderates_id"].isna()].merge(
        frames["audit_event"][["id", "event_date"]].rename(columns={"id": "event_id"}), on="event_id"
    )
    a = a.merge(frames["probation_case"][["id", "team_id"]].rename(columns={"id": "case_id"}), on="case_id")
    a["month"] = _month(a["event_date"])
    r = frames["audit_section_result"].merge(a[["id", "month", "team_id"]], left_on="audit_id", right_on="id")
    judged = r[r["verdict"] != "Not applicable"]
    judged.groupby(["month", "section_title"])["verdict"].apply(lambda v: (v == "Sufficient").mean())
    judged.merge(frames["team"][["id", "name"]], left_on="team_id", right_on="id").groupby("name")["verdict"].apply(
        lambda v: (v == "Sufficient").mean()
    )
    answers = frames["audit_answer"].merge(a[["id"]], left_on="audit_id", right_on="id")
    answers.groupby(["question_key", "answer"]).size()
    actions = frames["audit_action"].merge(a[["id"]], left_on="audit_id", right_on="id")
    actions.groupby(_month(actions["created_at"])).size()
    actions.groupby(_month(actions["closed_at"])).size()
    sheets = frames["feedback_sheet"].merge(a[["id", "month"]], left_on="audit_id", right_on="id")
    sheets[sheets["concerns"] != ""].groupby("month").size()
    urgent = frames["urgent_concern"].merge(a[["id"]], left_on="audit_id", right_on="id")
    (pd.to_datetime(urgent["acknowledged_at"], utc=True) - pd.to_datetime(urgent["raised_at"], utc=True)).median()
    themes = frames["feedback_theme"].merge(a[["id", "month"]], left_on="audit_id", right_on="id")
    themes.merge(frames["learning_theme"], left_on="theme_id", right_on="id").groupby(["month", "name"]).size()


def group_observations(frames):
    o = frames["observation"]
    o = o[o["calibration_of_id"].isna()]
    ratings = frames["observation_rating"].merge(o[["id", "practitioner_id"]], left_on="observation_id", right_on="id")
    ratings.groupby("domain_key")["rating"].agg(["mean", "std", "count"])
    ratings.groupby("domain_key")["practitioner_id"].nunique()
    roles = frames["userrole"]
    practitioners = frames["user"].merge(roles[roles["role"] == "practitioner"], left_on="id", right_on="user_id")
    len(practitioners[practitioners["is_active"].astype(bool)])
    o["practitioner_id"].nunique()
    own = frames["self_rating"].merge(
        frames["observation_rating"], on=["observation_id", "domain_key"], suffixes=("_self", "_obs")
    )
    own.groupby("domain_key")[["rating_self", "rating_obs"]].mean()


def group_wellbeing(frames):
    d = frames["debrief"][["id", "author_id", "intensity", "created_at"]]
    d.agg({"author_id": "nunique", "intensity": "mean"})
    frames["debrief_feeling"].merge(d, left_on="debrief_id", right_on="id").groupby("feeling").size().nlargest(8)


def page_time(runs: int) -> float | None:
    """Server-side script time of the dashboard page under AppTest, signed in as an administrator."""
    from sqlmodel import select
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from db.engine import session_scope
    from db.organisation import Role, User, UserRole

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # see tests/conftest.py: AppTest and the pages/ folder
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    setattr(PagesManager, "__init__", init)  # noqa: B010 - a deliberate monkeypatch: setattr, as mypy advises
    with session_scope() as session:
        admin = session.exec(
            select(col(User.id))
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .where(col(UserRole.role) == Role.ADMIN)
        ).first()
    if admin is None:
        return None
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["user_id"] = admin
    at.run()
    at.switch_page(screens.DASHBOARDS.file).run()  # warm: migrations checked, caches empty per run below
    times = []
    for _ in range(runs):
        from pages._dashboard_shared import figures

        figures.clear()  # measure the computation, not the cache
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pandas-runs", type=int, default=3)
    args = parser.parse_args()
    db_engine.configure(args.database_url)
    os.environ[db_engine.ENV_VAR] = args.database_url  # the AppTest run of app.py reads it
    filters = Filters(date(2021, 11, 1), date(2026, 10, 31))
    actor = admin_actor()
    print(
        f"Database: {db_engine.get_engine().dialect.name}; filters {filters.date_from} to {filters.date_to}; median of {args.runs} runs"
        f" (portal and hand-written SQL timed in turn each round); load average {os.getloadavg()[0]:.1f}"
    )
    rows = [
        (
            "Audit quality",
            lambda: dashboards.audit_quality(actor, filters),
            AUDIT_SQL,
            AUDIT_ROLLUP_SQL,
            [
                "case_audit",
                "audit_event",
                "probation_case",
                "team",
                "audit_section_result",
                "audit_answer",
                "audit_action",
                "feedback_sheet",
                "urgent_concern",
                "feedback_theme",
                "learning_theme",
            ],
            group_audits,
        ),
        (
            "Observations",
            lambda: dashboards.observation_summary(actor, filters),
            OBSERVATION_SQL,
            OBSERVATION_ROLLUP_SQL,
            ["observation", "observation_rating", "self_rating", "user", "userrole"],
            group_observations,
        ),
        (
            "Wellbeing",
            lambda: dashboards.wellbeing_summary(actor, filters),
            WELLBEING_SQL,
            WELLBEING_ROLLUP_SQL,
            ["debrief", "debrief_feeling"],
            group_wellbeing,
        ),
    ]
    measured = []
    for name, portal, sql, rollup_sql, tables, group in rows:
        portal()  # warm: rollups built and caches filled once, as on a running portal
        ours, hand, rolled = interleaved_medians(
            [portal, hand_sql(sql, filters), hand_sql(rollup_sql, filters)], args.runs
        )
        measured.append((name, ours, hand, rolled, tables, group))
    page = page_time(args.runs)
    # Peak memory of the portal's own work, taken before pandas loads whole tables for comparison.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        "hand SQL: one hand-written aggregate over the records; on rollups: the same read by hand from the rollup tables"
    )
    print(
        f"{'Dashboard':<15} {'portal s':>9} {'hand SQL s':>11} {'ratio':>6} {'on rollups s':>13} {'ratio':>6} {'pandas s':>9} {'speed-up':>9}"
    )
    for name, ours, hand, rolled, tables, group in measured:
        frames = median_time(pandas_way(tables, group), args.pandas_runs)
        print(
            f"{name:<15} {ours:9.3f} {hand:11.3f} {ours / hand:6.2f} {rolled:13.3f} {ours / rolled:6.2f} {frames:9.3f} {frames / ours:8.1f}x"
        )
    print(
        f"Dashboard page script time under AppTest (median): {page:.3f} s"
        if page is not None
        else "No administrator in this database: page time skipped."
    )
    print(f"Peak RSS of the portal's work (before the pandas comparison): {peak_mb:.0f} MB")
    print(
        f"Peak RSS including the pandas comparison: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
