"""Dashboard benchmark: the views people open, checked against hand-written SQL and pandas, then timed.

    PQP_ENCRYPTION_KEYS=... python -m bench.dashboard_benchmark --database-url URL [--rounds 5] [--json out.json]

Views: for the SPO of one team, the QA lead of one PDU and an administrator, the default view (the last
365 days) and one filtered view each (SPO: high RoSH only; QA lead: one team of the PDU; administrator:
one PDU over part months). Tabs: audit quality, observations, supervision, the LEARN rota and wellbeing,
plus each role's home-page work queue and the count of unread notifications beside the menu.

For every view and tab:
1. the portal's figures (qa/dashboards/figures.py, qa/worklist.py) are put in a canonical shape and
   compared with ``==`` against hand-written SQL over the records and a naive pandas version
   (bench/dashboard_reference.py); any difference stops the run before anything is timed;
2. portal, hand SQL and pandas are then timed in turn in every round (interleaved, in one process, so
   they see the same machine load) and the medians and ratios are printed and saved as JSON.
Targets (never asserted; read them from the table): within 1.5x of hand SQL or within 5 ms where
both take under 10 ms, at least 10x faster than pandas.

``--pages`` also times every dashboard tab and home page under AppTest (target: under 0.5 s).
``--tiny`` is the CI mode (tests/test_dashboard_benchmark.py): figures compared, one round, nothing judged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import dashboard_reference as ref  # noqa: E402
from db import engine as db_engine  # noqa: E402
from db import migrate  # noqa: E402
from qa import worklist  # noqa: E402
from qa.access.actor import Actor  # noqa: E402
from qa.access.auth import load_actor  # noqa: E402
from qa.dashboards import figures as dashboards  # noqa: E402
from qa.dashboards.filters import Filters, default_filters  # noqa: E402

TABS = ("audit", "observation", "supervision", "rota", "wellbeing")
WORK_KEYS = {
    "spo": ("supervision_due", "sheets_to_discuss", "urgent_concerns"),
    "qa_lead": ("supervision_cadence", "moderation"),
    "admin": ("locked", "unplaced"),
}


BENCH_PASSWORD = "bench-password-2026"  # every account bench.generate_region makes


class FiguresDiffer(AssertionError):
    """The portal's figures are not those of the hand-written SQL or pandas."""


@dataclass
class Comparison:
    role: str
    view: str
    tab: str
    portal: Callable[[], Any]
    sql: Callable[[], Any]
    pandas: Callable[[], Any] | None
    note: str = ""
    times: dict[str, list[float]] = field(default_factory=lambda: {"portal": [], "sql": [], "pandas": []})

    @property
    def name(self) -> str:
        return f"{self.role} / {self.view} / {self.tab}"


@dataclass(frozen=True)
class Viewer:
    role: str
    actor: Actor
    default: Filters
    filtered: Filters
    filtered_label: str


def viewers(today: date) -> list[Viewer]:
    """The SPO of the first team that has one, the QA lead of the first PDU that has one, and an administrator."""
    engine = db_engine.get_engine()
    with engine.connect() as conn:

        def first(sql: str) -> int | None:
            row = conn.execute(text(sql)).first()
            return None if row is None else int(row[0])

        spo = first(
            "SELECT u.id FROM \"user\" u JOIN userrole r ON r.user_id = u.id AND r.role = 'spo' "
            "WHERE u.is_active AND u.team_id IS NOT NULL ORDER BY u.team_id, u.id"
        )
        lead = first(
            "SELECT u.id FROM \"user\" u JOIN userrole r ON r.user_id = u.id AND r.role = 'qa_lead' "
            "JOIN team t ON t.id = u.team_id WHERE u.is_active ORDER BY t.pdu_id, u.id"
        )
        admin = first(
            "SELECT u.id FROM \"user\" u JOIN userrole r ON r.user_id = u.id AND r.role = 'admin' "
            "WHERE u.is_active ORDER BY u.id"
        )
    base = default_filters(today)
    found = []
    for role, user_id in (("spo", spo), ("qa_lead", lead), ("admin", admin)):
        if user_id is None:
            continue
        actor = load_actor(user_id)
        assert actor is not None
        if role == "spo":
            filtered, label = Filters(base.date_from, base.date_to, rosh="high"), "high RoSH"
        elif role == "qa_lead":
            with engine.connect() as conn:
                team = conn.execute(
                    text("SELECT id FROM team WHERE pdu_id = :p ORDER BY id DESC"), {"p": actor.pdu_id}
                ).scalar()
            filtered, label = Filters(base.date_from, base.date_to, team_id=team), "one team"
        else:
            with engine.connect() as conn:
                pdu = conn.execute(text("SELECT id FROM pdu ORDER BY id DESC")).scalar()
            start = today - timedelta(days=200)
            filtered, label = Filters(start, today - timedelta(days=20), pdu_id=pdu), "one PDU, 180 days"
        found.append(Viewer(role, actor, base, filtered, label))
    return found


def as_view(actor: Actor, filters: Filters, today: date) -> ref.View:
    f = dashboards.scoped(actor, filters)
    return ref.View(f.date_from, f.date_to, f.pdu_id, f.team_id, f.order_type, f.rosh, today)


def definitions() -> ref.Definitions:
    from db.engine import session_scope
    from qa.audits import instrument
    from qa.observations import framework

    with session_scope() as session:
        _row, audit = instrument.latest(session)
        _row2, skills = framework.latest(session)
    return ref.Definitions(
        section_of={q.key: s.title for s in audit.sections for q in s.questions},
        text_of={q.key: q.label for s in audit.sections for q in s.questions},
        domain_title={d.key: d.title for d in skills.domains},
    )


PORTAL: dict[str, tuple[Callable[..., Any], Callable[[Any], dict]]] = {
    "audit": (dashboards.audit_quality, ref.canonical_audit),
    "observation": (dashboards.observation_summary, ref.canonical_observation),
    "supervision": (dashboards.supervision_summary, ref.canonical_supervision),
    "rota": (dashboards.rota_summary, ref.canonical_rota),
    "wellbeing": (dashboards.wellbeing_summary, ref.canonical_wellbeing),
}


def unread_count() -> Callable[[Any, int], int] | None:
    """The notification count beside the menu (issue 14), once it is on main."""
    try:
        from qa.notifications import inbox  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return getattr(inbox, "unread_count", None)


def comparisons(today: date, with_pandas: bool) -> list[Comparison]:
    engine = db_engine.get_engine()
    defs = definitions()
    sql = ref.HandSQL(engine, defs)
    frames = ref.Pandas(engine, defs)
    found: list[Comparison] = []
    for viewer in viewers(today):
        for label, filters in (("default", viewer.default), (viewer.filtered_label, viewer.filtered)):
            view = as_view(viewer.actor, filters, today)
            for tab in TABS:
                compute, canonical = PORTAL[tab]

                def portal(compute=compute, canonical=canonical, filters=filters, actor=viewer.actor) -> dict:
                    return canonical(
                        compute(actor, filters, today)
                        if compute is not dashboards.wellbeing_summary
                        else compute(actor, filters)
                    )

                def hand(tab: str = tab, view: ref.View = view) -> dict:
                    return getattr(sql, tab)(view)

                def naive(tab: str = tab, view: ref.View = view) -> dict:
                    return getattr(frames, tab)(view)

                found.append(Comparison(viewer.role, label, tab, portal, hand, naive if with_pandas else None))
        found.append(work_comparison(viewer, sql, today))
        counter = unread_count()
        if counter is not None:
            found.append(notification_comparison(viewer, counter, sql))
    return found


def work_comparison(viewer: Viewer, sql: ref.HandSQL, today: date) -> Comparison:
    keys = WORK_KEYS[viewer.role]
    actor = viewer.actor
    now = datetime.combine(today, datetime.now(UTC).timetz())
    if viewer.role == "spo":
        portal = lambda: ref.canonical_work(worklist.spo_work(actor, today), keys)  # noqa: E731
        hand = lambda: sql.spo_work(actor.id, today)  # noqa: E731
    elif viewer.role == "qa_lead":
        portal = lambda: ref.canonical_work(worklist.qa_lead_work(actor, today), keys)  # noqa: E731
        hand = lambda: sql.qa_lead_work(actor.pdu_id or 0, today)  # noqa: E731
    else:
        portal = lambda: ref.canonical_work(worklist.admin_work(actor, sso_configured=False, now=now), keys)  # noqa: E731
        hand = lambda: sql.admin_work(now)  # noqa: E731
    note = (
        "portal: the whole work queue; hand SQL: only the groups that grow with the data ("
        + ", ".join(keys)
        + "), so the ratio flatters the hand SQL"
    )
    return Comparison(viewer.role, "home", "work queue", portal, hand, None, note)


def notification_comparison(viewer: Viewer, counter: Callable[[Any, int], int], sql: ref.HandSQL) -> Comparison:
    from db.engine import session_scope

    def portal() -> int:
        with session_scope() as session:
            return int(counter(session, viewer.actor.id))

    def hand() -> int:
        with sql.engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT COUNT(*) FROM notification WHERE recipient_id = :me AND read_at IS NULL"),
                    {"me": viewer.actor.id},
                ).scalar()
                or 0
            )

    return Comparison(viewer.role, "menu", "unread notifications", portal, hand, None)


def check(found: list[Comparison]) -> None:
    """Every way gives the same figures, or the run stops here, before any timing."""
    problems = []
    for c in found:
        ours = c.portal()
        theirs = c.sql()
        if ours != theirs:
            problems.append(f"{c.name}: portal {_diff(ours, theirs)} hand SQL")
        if c.pandas is not None:
            naive = c.pandas()
            if ours != naive:
                problems.append(f"{c.name}: portal {_diff(ours, naive)} pandas")
    if problems:
        raise FiguresDiffer("\n".join(problems))


def _diff(a: Any, b: Any) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted({*a, *b}, key=str)
        parts = [f"{k}: {a.get(k)!r} != {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]
        return "differs from (" + "; ".join(parts)[:1500] + ")"
    return f"{a!r} != {b!r} from"


def time_rounds(found: list[Comparison], rounds: int) -> None:
    for _ in range(rounds):
        for c in found:
            for way in ("portal", "sql", "pandas"):
                fn = getattr(c, way)
                if fn is None:
                    continue
                start = time.perf_counter()
                fn()
                c.times[way].append(time.perf_counter() - start)


def verdict(portal: float, sql: float, pandas: float | None) -> str:
    close = portal <= 1.5 * sql or (portal < 0.010 and sql < 0.010 and portal - sql <= 0.005)
    fast = pandas is None or pandas >= 10 * portal
    return "met" if close and fast else "MISSED"


def page_times(runs: int, viewers_: list[Viewer]) -> list[dict]:
    """Script time of every dashboard tab and each role's home page under AppTest (figures cache cleared each run)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from pages import _registry as screens
    from pages._dashboard_shared import figures

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # see tests/conftest.py: AppTest and the pages/ folder
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    setattr(PagesManager, "__init__", init)  # noqa: B010 - a deliberate monkeypatch
    homes = {"spo": screens.HOME_SPO, "qa_lead": screens.HOME_QA, "admin": screens.HOME_ADMIN}
    results = []
    for viewer in viewers_:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()  # signs in through the form, as a person does (the generator's shared password)
        at.text_input(key="sign_in_email").input(viewer.actor.email)
        at.text_input(key="sign_in_password").input(BENCH_PASSWORD)
        at.button(key="FormSubmitter:sign_in-Sign in").click().run()
        targets: list[tuple[str, Callable[[], Any]]] = []
        at.switch_page(homes[viewer.role].file).run()
        targets.append(("home page", at.run))
        results.extend(_time_page(at, viewer.role, targets, runs, figures))
        at.switch_page(screens.DASHBOARDS.file).run()
        for area in ("Audit quality", "Observations", "Supervision and rota", "Wellbeing"):
            control: Any = at.get("button_group")[0]
            control.set_value(area).run()
            results.extend(_time_page(at, viewer.role, [(f"dashboard: {area}", at.run)], runs, figures))
    return results


def _time_page(at: Any, role: str, targets: list, runs: int, figures: Any) -> list[dict]:
    out = []
    for label, run in targets:
        times = []
        for _ in range(runs):
            figures.clear()
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(f"{role} {label}: {at.exception[0].value}")
        median = statistics.median(times)
        out.append({"role": role, "page": label, "median_s": median, "target": "met" if median < 0.5 else "MISSED"})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (portal, hand SQL and pandas in turn)")
    parser.add_argument("--no-pandas", action="store_true", help="leave pandas out (checked and timed)")
    parser.add_argument("--only", default="", help="comma-separated roles to run (spo,qa_lead,admin)")
    parser.add_argument(
        "--pages", action="store_true", help="also time every dashboard tab and home page under AppTest"
    )
    parser.add_argument("--page-runs", type=int, default=3)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--json", type=Path, help="where to save the medians (default: beside the printed table)")
    parser.add_argument("--tiny", action="store_true", help="CI: check the figures are equal, time one round")
    args = parser.parse_args(argv)
    db_engine.configure(args.database_url)
    os.environ[db_engine.ENV_VAR] = args.database_url  # the AppTest run of app.py reads it
    migrate.upgrade(args.database_url)
    today = args.today
    found = comparisons(today, with_pandas=not args.no_pandas)
    if args.only:
        wanted = set(args.only.split(","))
        found = [c for c in found if c.role in wanted]
    for c in found:  # warm: rollups built once, as on a running portal; nothing cached by the portal functions
        c.portal()
    check(found)
    print(
        f"Figures equal: {len(found)} comparisons (portal = hand-written SQL"
        + (")" if args.no_pandas else " = pandas)")
    )
    if args.tiny:
        time_rounds(found, 1)
        return 0
    load_before = os.getloadavg()
    started = time.perf_counter()
    time_rounds(found, args.rounds)
    load_after = os.getloadavg()
    engine = db_engine.get_engine()
    rows: list[dict[str, Any]] = []
    for c in found:
        portal = statistics.median(c.times["portal"])
        sql = statistics.median(c.times["sql"])
        pandas = statistics.median(c.times["pandas"]) if c.times["pandas"] else None
        rows.append(
            {
                "role": c.role,
                "view": c.view,
                "tab": c.tab,
                "portal_s": portal,
                "sql_s": sql,
                "pandas_s": pandas,
                "portal_over_sql": portal / sql if sql else None,
                "pandas_over_portal": pandas / portal if pandas and portal else None,
                "target": verdict(portal, sql, pandas) if c.tab not in ("work queue",) else "see note",
                "note": c.note,
            }
        )
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "engine": engine.dialect.name,
        "database": engine.url.render_as_string(hide_password=True),
        "today": today.isoformat(),
        "rounds": args.rounds,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "timed_seconds": time.perf_counter() - started,
        "peak_rss_mb_including_pandas": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "comparisons": rows,
        "pages": [],
    }
    print(
        f"{engine.dialect.name}; today {today}; median of {args.rounds} rounds (portal, hand SQL, pandas in turn); "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print(
        f"{'role / view / tab':<48} {'portal ms':>9} {'SQL ms':>8} {'ratio':>6} {'pandas ms':>10} {'x faster':>8}  target"
    )
    for r in rows:
        naive = f"{r['pandas_s'] * 1000:10.1f}" if r["pandas_s"] is not None else f"{'-':>10}"
        faster = f"{r['pandas_over_portal']:8.1f}" if r["pandas_over_portal"] is not None else f"{'-':>8}"
        name = f"{r['role']} / {r['view']} / {r['tab']}"
        print(
            f"{name:<48} {r['portal_s'] * 1000:9.1f} {r['sql_s'] * 1000:8.1f} {r['portal_over_sql']:6.2f} {naive} {faster}  {r['target']}"
        )
    out = (
        args.json
        or ROOT / "bench" / "results" / f"dashboard-{engine.dialect.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"Saved: {out}")
    if args.pages:  # after the figures are saved, so a page that fails loses nothing
        result["pages"] = page_times(
            args.page_runs, [v for v in viewers(today) if not args.only or v.role in args.only]
        )
        for p in result["pages"]:
            print(f"AppTest {p['role']:<8} {p['page']:<40} {p['median_s']:.3f} s  {p['target']}")
        out.write_text(json.dumps(result, indent=2, default=str))
        print(f"Saved again with the page times: {out}")
    return 0


__all__ = ["Comparison", "FiguresDiffer", "asdict", "check", "comparisons", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
