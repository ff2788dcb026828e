"""The synthetic-history engine: an organisation and its history, written fast as raw rows.

One engine serves two callers at two sizes:

- the region benchmark (``python -m bench.generate_region``, :func:`plan_for`): at scale 1.0 one
  region of 6 PDUs and 60 teams, 1,500 practitioners with their SPOs and QA leads, 40,000 cases and
  the fixed five years 1 November 2021 to 31 October 2026 (:data:`REGION_WINDOW`), so that its
  figures stay comparable from run to run;
- the demo organisation (``python -m portal demo``, :mod:`portal.synthetic.demo`): 2 PDUs and 6
  teams, with about 18 months of history ending yesterday.

A :class:`Plan` says how much, over which :class:`Window`, and in what shape. Everything is
invented: names come from Faker, case references are random CRN-shaped strings. The same seed
(and the same window) always gives the same dataset.

Speed: rows are generated in Python with explicit ids, buffered, and written in chunks, one
transaction per chunk, parents before children. SQLite gets SQLAlchemy Core ``executemany`` with
``synchronous=OFF``; PostgreSQL gets ``COPY ... FROM STDIN`` through psycopg. Encrypted columns
are written as Fernet tokens made with ``db.encryption.encrypt`` (the ``EncryptedText`` type is
bypassed): at region scale one token per column, so 300,000 debriefs do not cost 300,000
encryptions; in the demo each debrief's own text is encrypted row by row. The portal decrypts
them all normally. The dashboard rollups are counted at the end, since raw rows bypass the hooks
that keep them.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import db.schema  # noqa: F401  (every table, so SQLModel.metadata knows the whole schema)
from db import encryption
from db.audits import (
    SAMPLE_MAX,
    SAMPLE_MIN,
    ActionStatus,
    Answer,
    AuditStatus,
    EventStatus,
    SheetSection,
)
from db.demo import ORDER_WEIGHTS, ROSH_WEIGHTS  # one caseload shape for the demo and the region
from db.encryption import EncryptedText
from db.engine import get_engine, is_sqlite
from db.observations import GoalStatus, ObservationMode, ObservationSetting, ObservationStatus
from db.organisation import Grade, OrderType, Role, RoshLevel
from db.reflection import ContactSetting, Need, RequestStatus, Urgency
from db.supervision import SessionKind, SessionStatus
from qa.audits.instrument import INSTRUMENTS_DIR, parse_definition
from qa.audits.judgement import judge_section
from qa.audits.sampling import add_months, months_between
from qa.observations.framework import FRAMEWORKS_DIR
from qa.reflection.emotions import FAMILIES, POSITIVE_FAMILY_KEY

# ------------------------------------------------------------------ the shape

DEFAULT_SEED = 7
DEFAULT_CHUNK_ROWS = 50_000

#: The five years of activity: November 2021 to October 2026, inclusive.
START = date(2021, 11, 1)
END = date(2026, 10, 31)
END_AT = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
SPAN_DAYS = (END - START).days + 1

# Counts at --scale 1.0.
PDUS = 6
TEAMS = 60
PRACTITIONERS = 1_500
CASES = 40_000
EVENTS = 1_440  # 6 PDUs x 60 months x 4: each PDU runs a LEARN event most weeks
DEBRIEFS = 320_000

# Per-person rates (constant at every scale).
OBSERVATIONS_PER_PRACTITIONER = (9, 10, 11, 11, 12, 13)  # over five years, about two a year
SUPERVISION_EVERY_DAYS = 42  # one-to-one supervision about every six weeks
GROUP_SESSION_EVERY_DAYS = 91  # a team's group case discussion, quarterly
MODERATION_SHARE = 0.08  # submitted audits a QA lead audits again, blind
URGENT_CONCERN_SHARE = 0.015

REGION_NAME = "Bench Region"
EMAIL_DOMAIN = "bench.example"
BENCH_PASSWORD = "bench-password-2026"
PLACES = ("Ashcombe", "Brackenmoor", "Calderbridge", "Dunmere", "Eastholt", "Fenwick")
TEAM_KINDS = (
    "Public Protection Team",
    "Courts Team",
    "Community Team North",
    "Community Team South",
    "Integrated Offender Management Team",
    "Resettlement Team",
    "Women's Team",
    "Young Adults Team",
    "Unpaid Work and Accredited Programmes Team",
    "Approved Premises Team",
)

LOW_RISK_SHARE = 0.2
SAMPLE_MIN_MONTHS = 6  # qa.audits.sampling.SampleRules defaults
SAMPLE_RECENT_MONTHS = 12

#: Questions that are often Not applicable (the rest: 2%).
NOT_APPLICABLE_SHARE = {
    "a_da_safeguarding_checks": 0.05,
    "a_victims_children": 0.05,
    "a_health_substances": 0.15,
    "p_partner_agencies": 0.12,
    "d_enforcement_recall": 0.30,
    "r_allocation": 0.05,
    "r_partner_views": 0.15,
}
#: (chance of an audit having this profile, chance of Yes on each question).
AUDIT_PROFILES = ((0.6, 0.93), (0.3, 0.80), (0.1, 0.60))

EVIDENCE = (
    "OASys RoSH summary reviewed.",
    "Contact log checked.",
    "See the risk management plan.",
    "Police domestic abuse check on file.",
    "Children's services reply recorded.",
    "MAPPA minutes on file.",
    "Home visit recorded.",
    "Licence conditions checked.",
    "No record found.",
    "Partly covered in the last review.",
)
GOOD_PRACTICE = (
    "Clear, well-evidenced analysis of risk to a known partner.",
    "Good use of police and children's services information.",
    "Home visits used well to check what the person said.",
    "Enforcement was timely and proportionate.",
    "The plan balances support with controls.",
)
IMPROVEMENT = (
    "Review the assessment after significant events.",
    "Record the outcome of safeguarding enquiries.",
    "Make the contingency plan specific.",
    "Show management oversight of key decisions.",
    "Seek and record the person's views.",
)
CONCERNS = (
    "Risk to children not analysed despite contact with a child.",
    "No domestic abuse check after a new relationship was disclosed.",
    "Missed appointments without enforcement action.",
)
HOLDER_REPLIES = (
    "Thank you, I have updated the assessment.",
    "Discussed with my SPO; the checks have been requested.",
    "Agreed, the plan is now reviewed.",
)
AUDIT_ACTIONS = (
    "Review and update the OASys RoSH analysis.",
    "Request domestic abuse and safeguarding checks.",
    "Add a contingency plan with clear triggers.",
    "Book a home visit.",
    "Record the rationale for the enforcement decision.",
)
URGENT_CONCERNS = (
    "Possible unassessed contact with a child; needs an immediate check.",
    "Recent police call-out not followed up.",
    "Licence condition breach with no recall decision recorded.",
)
ACKNOWLEDGEMENTS = (
    "Spoken to the case holder; checks requested today.",
    "Reviewed; home visit arranged for this week.",
    "Recall considered and decision recorded.",
)
STRENGTHS = (
    "Warm, respectful rapport; clear explanation of the order.",
    "Good use of open questions and reflections.",
    "Clear, fair use of authority.",
    "Structured session with a clear agenda and summary.",
)
DEVELOPMENT_POINTS = (
    "Explore the link between drinking and offending further.",
    "Summarise more often.",
    "Agree a concrete next step before ending.",
    "Check understanding of licence conditions.",
)
FEEDBACK_WANTED = ("How I handle challenge.", "My use of motivational interviewing.", "Structuring the session.")
REFLECTIONS = ("Useful; I will try summarising more.", "I agree with the points on structure.")
OBSERVATION_REPLIES = ("Thank you for the feedback.", "Agreed, I will bring this to supervision.")
RATING_EVIDENCE = ("Seen throughout the session.", "Brief but clear example.", "Not much opportunity today.")
GOALS = (
    "Use motivational interviewing techniques in every session.",
    "Complete the risk assessment refresher course.",
    "Structure sessions with a clear agenda.",
    "Practise pro-social modelling with a peer.",
)
GOAL_PROGRESS = ("Good progress, seen in the last observation.", "Course booked.", "")
SUPERVISION_ACTIONS = (
    "Update the risk management plan.",
    "Refer to the structured intervention.",
    "Book annual leave for wellbeing.",
    "Shadow a colleague at a MAPPA meeting.",
)
REQUEST_URGENCY = {Urgency.WHEN_CONVENIENT: 55, Urgency.THIS_WEEK: 35, Urgency.TODAY: 10}

SETTINGS_OBSERVED = {
    ObservationSetting.OFFICE: 60,
    ObservationSetting.HOME_VISIT: 15,
    ObservationSetting.APPROVED_PREMISES: 5,
    ObservationSetting.PRISON: 8,
    ObservationSetting.TELEPHONE: 6,
    ObservationSetting.VIDEO: 6,
}
DEBRIEF_SETTINGS = {
    ContactSetting.OFFICE: 45,
    ContactSetting.HOME_VISIT: 15,
    ContactSetting.APPROVED_PREMISES: 5,
    ContactSetting.PRISON: 8,
    ContactSetting.COURT: 5,
    ContactSetting.TELEPHONE: 10,
    ContactSetting.COMMUNITY: 5,
    ContactSetting.OTHER: 2,
    None: 5,
}
DEBRIEF_NEEDS = {
    Need.NOTHING: 72,
    Need.TIME_OUT: 10,
    Need.COLLEAGUE: 8,
    Need.SPO: 6,
    Need.FORMAL_DEBRIEF: 2.5,
    Need.SPECIALIST: 1.5,
}
INTENSITY_WEIGHTS = (2, 3, 5, 8, 11, 14, 15, 14, 12, 9, 7)  # 0..10


@dataclass(frozen=True)
class Window:
    """The period the history covers, first and last day inclusive."""

    start: date
    end: date

    @property
    def end_at(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, 23, 59, tzinfo=UTC)

    @property
    def span_days(self) -> int:
        return (self.end - self.start).days + 1


#: The region benchmark's fixed five years, so that its figures stay comparable.
REGION_WINDOW = Window(START, END)


@dataclass(frozen=True)
class Plan:
    """How much to generate, over which window, in what shape. The defaults are the region's."""

    scale: float
    pdus: int
    teams: int
    practitioners: int
    cases: int
    events: int
    debriefs: int
    window: Window = REGION_WINDOW
    region_name: str = REGION_NAME
    places: tuple[str, ...] = PLACES
    team_kinds: tuple[str, ...] = TEAM_KINDS
    email_domain: str = EMAIL_DOMAIN
    staff_prefix: str = "BENCH"
    label: str = "bench"
    #: Emails for the first ACO, the first team's SPO and its first practitioner (the admin's is always fixed).
    login_emails: tuple[str, str, str] | None = None
    #: SPO-grade staff in each team besides its manager (they supervise nobody), so pairs can all be mixed-grade.
    extra_spos_per_team: int = 0
    sample_sizes: tuple[int, int] = (SAMPLE_MIN, SAMPLE_MAX)
    #: Share of observations a second observer rates too (calibration).
    calibration_share: float = 0.0
    #: Debriefs hold a real text each, encrypted row by row (the region shares one token).
    private_text: bool = False
    #: Teams whose debriefs come from only this many people (so that team wellbeing is suppressed).
    quiet_teams: tuple[int, ...] = ()
    quiet_team_authors: int = 4
    #: Share of supervisees whose one-to-one supervision lapsed before the end (overdue).
    lapsed_share: float = 0.0
    #: One LEARN event in every calendar month of the window in each PDU (``events`` is then ignored).
    monthly_events: bool = False


def plan_for(scale: float) -> Plan:
    if not scale > 0:
        raise ValueError("--scale must be more than 0.")
    teams = max(2, round(TEAMS * scale))
    return Plan(
        scale=scale,
        pdus=max(1, min(teams, round(PDUS * scale))),
        teams=teams,
        practitioners=max(4 * teams, round(PRACTITIONERS * scale)),
        cases=max(200, round(CASES * scale)),
        events=max(1, round(EVENTS * scale)),
        debriefs=round(DEBRIEFS * scale),
    )


# ------------------------------------------------------------------ small helpers

T = TypeVar("T")


def pick(rng: Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Picker(Generic[T]):
    """Fast repeated weighted choice (rng.choices with precomputed cumulative weights)."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        self.items = list(weights)
        total, self.cum = 0.0, list[float]()
        for w in weights.values():
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def at(day: date, rng: Random, first_hour: int = 9, last_hour: int = 17) -> datetime:
    """A time on ``day`` in working hours (UTC, aware, as the portal stores them)."""
    return datetime(
        day.year, day.month, day.day, rng.randint(first_hour, last_hour - 1), rng.randint(0, 59), tzinfo=UTC
    )


def weekday(day: date) -> date:
    """Saturday moves back to Friday, Sunday forward to Monday."""
    wd = day.weekday()
    return day - timedelta(days=1) if wd == 5 else day + timedelta(days=1) if wd == 6 else day


def maybe(rng: Random, share: float, choices: tuple[str, ...]) -> str:
    return rng.choice(choices) if rng.random() < share else ""


# ------------------------------------------------------------------ writing


def _raw_table(table: sa.Table) -> sa.Table:
    """The table with EncryptedText columns typed as plain Text, so tokens go in untouched."""
    if not any(isinstance(c.type, EncryptedText) for c in table.columns):
        return table
    columns = [sa.Column(c.name, sa.Text if isinstance(c.type, EncryptedText) else c.type) for c in table.columns]
    return sa.Table(table.name, sa.MetaData(), *columns)


class Sink:
    """Buffers rows per table and writes them in chunks, parents first, one transaction per chunk.

    Every row of a table must have the same keys (all its columns: no defaults
    are applied). Rows of a self-referencing table must come parent first.
    """

    def __init__(self, engine: sa.Engine, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.chunk_rows = chunk_rows
        self.conn = engine.connect()
        if not self.postgres:
            self.conn.exec_driver_sql("PRAGMA synchronous=OFF")
            self.conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            self.conn.commit()
        tables = SQLModel.metadata.sorted_tables
        self.order = [t.name for t in tables]
        self.raw = {t.name: _raw_table(t) for t in tables}
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.pending = 0
        self.counts: Counter[str] = Counter()
        self.write_seconds = 0.0

    def add(self, table: str, row: dict) -> None:
        self.buffers[table].append(row)
        self.pending += 1

    def checkpoint(self) -> None:
        """Write if enough rows are waiting. Call only where no row waits for a parent not yet added."""
        if self.pending >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        started = time.perf_counter()
        with self.conn.begin():
            for name in self.order:
                rows = self.buffers.pop(name, None)
                if rows:
                    self._write(name, rows)
                    self.counts[name] += len(rows)
        self.pending = 0
        self.write_seconds += time.perf_counter() - started

    def _write(self, name: str, rows: list[dict]) -> None:
        if not self.postgres:
            self.conn.execute(self.raw[name].insert(), rows)
            return
        columns = list(rows[0])
        column_list = ", ".join(f'"{c}"' for c in columns)
        dbapi = self.conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            with cursor.copy(f'COPY "{name}" ({column_list}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        finally:
            cursor.close()

    def close(self) -> None:
        """Close without writing what is still buffered (after an error it may lack its parents)."""
        self.conn.close()


# ------------------------------------------------------------------ the organisation


@dataclass
class Org:
    admin_id: int = 0
    pdu_ids: list[int] = field(default_factory=list)
    pdu_of_team: dict[int, int] = field(default_factory=dict)
    spo_of_team: dict[int, int] = field(default_factory=dict)
    aco_of_pdu: dict[int, int] = field(default_factory=dict)
    qdo_of_pdu: dict[int, int] = field(default_factory=dict)
    spos_of_pdu: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    practitioners: list[int] = field(default_factory=list)
    practitioners_of_team: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    practitioners_of_pdu: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    grade_of: dict[int, Grade] = field(default_factory=dict)
    team_of: dict[int, int | None] = field(default_factory=dict)
    supervisor_of: dict[int, int | None] = field(default_factory=dict)
    email_of: dict[int, str] = field(default_factory=dict)
    window: Window = REGION_WINDOW
    #: Supervisees whose supervision lapsed before the end of the window.
    lapsed: set[int] = field(default_factory=set)

    def team(self, user_id: int) -> int:
        """The team of someone who has one (everyone but the administrator)."""
        team_id = self.team_of[user_id]
        assert team_id is not None
        return team_id

    def supervisor(self, user_id: int) -> int:
        """The supervisor of someone who has one (practitioners and SPOs)."""
        supervisor_id = self.supervisor_of[user_id]
        assert supervisor_id is not None
        return supervisor_id


def build_org(sink: Sink, plan: Plan, rng: Random, fake: Faker, password_hash: str) -> Org:
    org = Org(window=plan.window)
    start = plan.window.start
    first = start - timedelta(days=61)
    created = datetime(first.year, first.month, first.day, 9, 0, tzinfo=UTC)
    sink.add("region", {"id": 1, "name": plan.region_name})
    places, kinds, domain = plan.places, plan.team_kinds, plan.email_domain

    team_ids_of_pdu: dict[int, list[int]] = defaultdict(list)
    for p in range(plan.pdus):
        pdu_id = p + 1
        org.pdu_ids.append(pdu_id)
        suffix = "" if p < len(places) else f" {p // len(places) + 1}"
        sink.add("pdu", {"id": pdu_id, "name": f"{places[p % len(places)]}{suffix} PDU", "region_id": 1})
    for t in range(plan.teams):
        team_id = t + 1
        pdu_id = org.pdu_ids[t * plan.pdus // plan.teams]
        n = len(team_ids_of_pdu[pdu_id])
        kind = kinds[n % len(kinds)] + ("" if n < len(kinds) else f" {n // len(kinds) + 1}")
        team_ids_of_pdu[pdu_id].append(team_id)
        org.pdu_of_team[team_id] = pdu_id
        place = places[(pdu_id - 1) % len(places)]
        sink.add("team", {"id": team_id, "name": f"{place} {kind}", "pdu_id": pdu_id})

    emails: set[str] = set()
    fixed = set(plan.login_emails or ())
    aco_email, spo_email, practitioner_email = plan.login_emails or (None, None, None)

    def hire(grade: Grade, role: Role, team_id: int | None, supervisor_id: int | None, email: str | None = None) -> int:
        user_id = len(org.grade_of) + 1
        first, last = fake.first_name(), fake.last_name()
        if email is None:
            local = ".".join(re.sub(r"[^a-z]", "", part.lower()) for part in (first, last))
            email, n = f"{local}@{domain}", 1
            while email in emails or email in fixed:
                n += 1
                email = f"{local}{n}@{domain}"
        emails.add(email)
        sink.add(
            "user",
            {
                "id": user_id,
                "full_name": f"{first} {last}",
                "email": email,
                "grade": grade.value,
                "staff_id": f"{plan.staff_prefix}{user_id:06d}",
                "team_id": team_id,
                "supervisor_id": supervisor_id,
                "password_hash": password_hash,
                "is_active": True,
                "failed_logins": 0,
                "locked_until": None,
                "last_login_at": None,
                "created_at": created,
                "updated_at": created,
            },
        )
        sink.add("userrole", {"user_id": user_id, "role": role.value})
        started = start - timedelta(days=rng.randint(30, 20 * 365))
        sink.add(
            "staff_profile",
            {
                "user_id": user_id,
                "started_on": started,
                "newly_qualified": started > start - timedelta(days=365),
                "mentor_id": None,
            },
        )
        org.grade_of[user_id] = grade
        org.team_of[user_id] = team_id
        org.supervisor_of[user_id] = supervisor_id
        org.email_of[user_id] = email
        return user_id

    # Managers first, so that supervisors always have the lower id.
    org.admin_id = hire(Grade.OTHER, Role.ADMIN, None, None, email=f"admin@{domain}")
    for pdu_id in org.pdu_ids:
        # PDU-wide roles sit in the PDU's first team (as in the demo), so they can see it.
        home = team_ids_of_pdu[pdu_id][0]
        org.aco_of_pdu[pdu_id] = hire(Grade.ACO, Role.QA_LEAD, home, None, aco_email if pdu_id == 1 else None)
        org.qdo_of_pdu[pdu_id] = hire(Grade.QDO, Role.QA_LEAD, home, org.aco_of_pdu[pdu_id])
    for team_id, pdu_id in org.pdu_of_team.items():
        spo = hire(Grade.SPO, Role.SPO, team_id, org.aco_of_pdu[pdu_id], spo_email if team_id == 1 else None)
        org.spo_of_team[team_id] = spo
        org.spos_of_pdu[pdu_id].append(spo)
    for _ in range(plan.extra_spos_per_team):
        for team_id, pdu_id in org.pdu_of_team.items():
            org.spos_of_pdu[pdu_id].append(hire(Grade.SPO, Role.SPO, team_id, org.aco_of_pdu[pdu_id]))
    for i in range(plan.practitioners):
        team_id = i % plan.teams + 1
        n = i // plan.teams  # the first two in every team are a PO and a PSO, so both can hold cases
        grade = Grade.PO if n == 0 else Grade.PSO if n == 1 else (Grade.PO if rng.random() < 0.55 else Grade.PSO)
        email = practitioner_email if i == 0 else None
        user_id = hire(grade, Role.PRACTITIONER, team_id, org.spo_of_team[team_id], email)
        org.practitioners.append(user_id)
        org.practitioners_of_team[team_id].append(user_id)
        org.practitioners_of_pdu[org.pdu_of_team[team_id]].append(user_id)
    return org


# ------------------------------------------------------------------ cases


@dataclass
class Cases:
    """Parallel lists indexed by case id (index 0 unused)."""

    ref: list[str] = field(default_factory=lambda: [""])
    holder: list[int] = field(default_factory=lambda: [0])
    team: list[int] = field(default_factory=lambda: [0])
    order_type: list[OrderType] = field(default_factory=lambda: [OrderType.OTHER])
    rosh: list[RoshLevel] = field(default_factory=lambda: [RoshLevel.LOW])
    start: list[date] = field(default_factory=lambda: [START])
    end: list[date | None] = field(default_factory=lambda: [None])
    refs_of_holder: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Per PDU, the sampleable cases (not stand-alone unpaid work, not in custody) by start date.
    pool_ids: dict[int, list[int]] = field(default_factory=dict)
    pool_starts: dict[int, list[int]] = field(default_factory=dict)


def build_cases(sink: Sink, plan: Plan, org: Org, rng: Random) -> Cases:
    w = org.window
    cases = Cases()
    by_grade = {g: [p for p in org.practitioners if org.grade_of[p] == g] for g in (Grade.PO, Grade.PSO)}
    order_pick, rosh_pick = Picker(ORDER_WEIGHTS), Picker(ROSH_WEIGHTS)
    first_start = w.start - timedelta(days=2 * 365)
    start_span = (w.end - first_start).days
    pools: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, n in enumerate(rng.sample(range(26_000_000), plan.cases)):
        case_id = i + 1
        ref = f"{chr(ord('A') + n // 1_000_000)}{n % 1_000_000:06d}"
        order_type, rosh = order_pick(rng), rosh_pick(rng)
        if order_type is OrderType.CP and rosh in (RoshLevel.HIGH, RoshLevel.VERY_HIGH):
            rosh = RoshLevel.MEDIUM
        if rosh in (RoshLevel.HIGH, RoshLevel.VERY_HIGH):
            grade = Grade.PO
        elif rosh is RoshLevel.MEDIUM:
            grade = Grade.PO if rng.random() < 0.5 else Grade.PSO
        else:
            grade = Grade.PSO if rng.random() < 0.85 else Grade.PO
        holder = rng.choice(by_grade[grade])
        team_id = org.team(holder)
        start = first_start + timedelta(days=rng.randrange(start_span))
        end = None if rng.random() < 0.10 else add_months(start, rng.randint(12, 36))
        in_custody = rng.random() < 0.08
        sink.add(
            "probation_case",
            {
                "id": case_id,
                "case_ref": ref,
                "pdu_id": org.pdu_of_team[team_id],
                "team_id": team_id,
                "holder_id": holder,
                "order_type": order_type.value,
                "start_date": start,
                "rosh": rosh.value,
                "in_custody": in_custody,
                "expected_end_date": end,
                "updated_at": at(min(start, w.end), rng),
            },
        )
        cases.ref.append(ref)
        cases.holder.append(holder)
        cases.team.append(team_id)
        cases.order_type.append(order_type)
        cases.rosh.append(rosh)
        cases.start.append(start)
        cases.end.append(end)
        cases.refs_of_holder[holder].append(ref)
        if order_type is not OrderType.CP and not in_custody:
            pools[org.pdu_of_team[team_id]].append((start.toordinal(), case_id))
        sink.checkpoint()
    for pdu_id, pool in pools.items():
        pool.sort()
        cases.pool_starts[pdu_id] = [s for s, _ in pool]
        cases.pool_ids[pdu_id] = [c for _, c in pool]
    return cases


# ------------------------------------------------------------------ instruments


@dataclass
class Instruments:
    audit_id: int
    framework_id: int
    sections: list  # qa.audits.instrument.Section, in order
    question_keys: list[str]
    domain_keys: list[str]


def load_instruments(engine: sa.Engine, sink: Sink) -> Instruments:
    """Store the built-in audit question set and skills framework exactly as the portal would
    (same key, version, title and text), or reuse them if the portal stored them already."""
    import json

    texts = {
        "risk_of_harm": (INSTRUMENTS_DIR / "risk_of_harm_v1.json").read_text(encoding="utf-8"),
        "practice_skills": (FRAMEWORKS_DIR / "practice_skills_v1.json").read_text(encoding="utf-8"),
    }
    ids: dict[str, int] = {}
    with engine.connect() as conn:
        existing = {(k, v): i for i, k, v in conn.execute(sa.text("SELECT id, key, version FROM instrument"))}
        next_id = max(existing.values(), default=0) + 1
    for key, text in texts.items():
        doc = json.loads(text)
        found = existing.get((doc["key"], doc["version"]))
        if found is None:
            found, next_id = next_id, next_id + 1
            sink.add(
                "instrument",
                {
                    "id": found,
                    "key": doc["key"],
                    "version": doc["version"],
                    "title": doc["title"],
                    "definition": text,
                    "loaded_by_id": None,
                    "loaded_at": datetime(2021, 9, 1, 9, 0, tzinfo=UTC),
                },
            )
        ids[key] = found
    definition = parse_definition(texts["risk_of_harm"])
    domains = [d["key"] for d in json.loads(texts["practice_skills"])["domains"]]
    return Instruments(
        audit_id=ids["risk_of_harm"],
        framework_id=ids["practice_skills"],
        sections=list(definition.sections),
        question_keys=[q.key for s in definition.sections for q in s.questions],
        domain_keys=domains,
    )


# ------------------------------------------------------------------ case audits


class AuditWriter:
    """LEARN events with their samples, pairs, audits, answers, judgements, sheets, actions and concerns."""

    def __init__(self, sink: Sink, org: Org, cases: Cases, instruments: Instruments, theme_ids: list[int], rng: Random):
        self.sink, self.org, self.cases, self.ins, self.rng = sink, org, cases, instruments, rng
        self.theme_ids = theme_ids
        self.sample_sizes = (SAMPLE_MIN, SAMPLE_MAX)
        self.last_audited: dict[int, date] = {}
        self.verdicts: dict[tuple[int, tuple], str] = {}
        self.ids: Counter[str] = Counter()
        self.na_share = [NOT_APPLICABLE_SHARE.get(k, 0.02) for k in instruments.question_keys]
        self.section_slices: list[tuple[Any, int, int]] = []
        i = 0
        for section in instruments.sections:
            self.section_slices.append((section, i, i + len(section.questions)))
            i += len(section.questions)

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def run(self, plan: Plan) -> None:
        w = self.org.window
        rng = self.rng
        self.sample_sizes = plan.sample_sizes
        # Events are spread evenly over the window, per PDU, and written in date order.
        per_pdu = [plan.events // plan.pdus + (1 if i < plan.events % plan.pdus else 0) for i in range(plan.pdus)]
        schedule = []
        if plan.monthly_events:
            per_pdu = [0] * plan.pdus
            month = date(w.start.year, w.start.month, 1)
            while month <= w.end:
                for pdu_id in self.org.pdu_ids:
                    day = month + timedelta(days=rng.randint(7, 20))
                    day = day + timedelta(days=(1 - day.weekday()) % 7 if day.weekday() not in (1, 2, 3) else 0)
                    if day <= w.end:
                        schedule.append((day, pdu_id))
                month = add_months(month, 1)
        for pdu_id, k in zip(self.org.pdu_ids, per_pdu, strict=True):
            for i in range(k):
                # The first sample is accepted (12 days at most before the event) within the period.
                day = w.start + timedelta(days=14 + int((i + rng.random()) * (w.span_days - 15) / k))
                # LEARN days run Tuesday to Thursday.
                day = day + timedelta(days=(1 - day.weekday()) % 7 if day.weekday() not in (1, 2, 3) else 0)
                schedule.append((min(day, w.end), pdu_id))
        schedule.sort()
        for event_date, pdu_id in schedule:
            self.event(event_date, pdu_id)
            self.sink.checkpoint()

    # -- one event

    def event(self, event_date: date, pdu_id: int) -> None:
        w = self.org.window
        rng, sink = self.rng, self.sink
        event_id = self.next_id("audit_event")
        size = rng.randint(*self.sample_sizes)
        qa_lead = self.org.aco_of_pdu[pdu_id] if rng.random() < 0.5 else self.org.qdo_of_pdu[pdu_id]
        accepted_at = at(event_date - timedelta(days=rng.randint(5, 12)), rng)
        sink.add(
            "audit_event",
            {
                "id": event_id,
                "pdu_id": pdu_id,
                "event_date": event_date,
                "sample_size": size,
                "low_risk_share": LOW_RISK_SHARE,
                "seed": rng.randrange(2**31),
                "status": (
                    EventStatus.CLOSED if event_date + timedelta(days=30) <= w.end else EventStatus.SAMPLE_ACCEPTED
                ).value,
                "instrument_id": self.ins.audit_id,
                "created_by_id": qa_lead,
                "created_at": accepted_at - timedelta(days=rng.randint(14, 28)),
                "sample_accepted_at": accepted_at,
            },
        )
        sample = self.sample(pdu_id, event_date, size)
        pairs = self.pairs(pdu_id, len(sample))
        pair_ids = []
        for first, second in pairs:
            new_pair = self.next_id("auditor_pair")
            pair_ids.append(new_pair)
            sink.add("auditor_pair", {"id": new_pair, "event_id": event_id, "first_id": first, "second_id": second})
        loads = [0] * len(pairs)
        for position, (case_id, reason) in enumerate(sample, start=1):
            holder = self.cases.holder[case_id]
            supervisor = self.org.supervisor_of[holder]
            j = (
                min(range(len(pairs)), key=lambda j: (holder in pairs[j], supervisor in pairs[j], loads[j], j))
                if pairs
                else None
            )
            pair_id: int | None = pair_ids[j] if j is not None else None
            if j is not None:
                loads[j] += 1
            sample_id = self.next_id("case_sample")
            sink.add(
                "case_sample",
                {
                    "id": sample_id,
                    "event_id": event_id,
                    "case_id": case_id,
                    "position": position,
                    "reason": reason,
                    "pair_id": pair_id,
                },
            )
            self.last_audited[case_id] = event_date
            self.audit(
                event_id,
                event_date,
                pdu_id,
                case_id,
                sample_id,
                pair_id,
                pairs[j] if j is not None else None,
                accepted_at,
            )

    def sample(self, pdu_id: int, event_date: date, size: int) -> list[tuple[int, str]]:
        """Eligible cases at random, at most 20% low RoSH, avoiding cases audited in the last 12 months."""
        rng, c = self.rng, self.cases
        ids, starts = c.pool_ids.get(pdu_id, []), c.pool_starts.get(pdu_id, [])
        hi = bisect.bisect_right(starts, add_months(event_date, -SAMPLE_MIN_MONTHS).toordinal())
        if hi == 0:
            return []
        recent_limit = add_months(event_date, -SAMPLE_RECENT_MONTHS)
        low_budget, lows = math.floor(LOW_RISK_SHARE * size + 1e-9), 0
        chosen: list[tuple[int, str]] = []
        seen: set[int] = set()
        for attempt in range(60 * size):
            if len(chosen) >= size:
                break
            case_id = ids[rng.randrange(hi)]
            if case_id in seen:
                continue
            end = c.end[case_id]
            if end is not None and end < event_date:
                continue
            low = c.rosh[case_id] is RoshLevel.LOW
            if low and lows >= low_budget:
                continue
            last = self.last_audited.get(case_id)
            recent = last is not None and last > recent_limit
            if recent and attempt < 40 * size:
                continue  # late in the search, a recently audited case is taken (and the reason says so)
            seen.add(case_id)
            lows += low
            order_type = c.order_type[case_id]
            months = months_between(c.start[case_id], event_date)
            into = "the licence" if order_type is OrderType.LICENCE else "the order"
            audited = (
                f"audited on {last and last.isoformat()}, but needed because there were not enough other eligible cases."
                if recent
                else f"not audited in the last {SAMPLE_RECENT_MONTHS} months."
            )
            facts = f"{order_type.value}, {c.rosh[case_id].value} RoSH, {months} months into {into}"
            reason = f"{facts}; not in custody; {audited}"
            chosen.append((case_id, reason))
        return chosen

    def pairs(self, pdu_id: int, n_cases: int) -> list[tuple[int, int]]:
        """An SPO grade with a practitioner, two cases a pair; two practitioners when SPOs run out."""
        rng = self.rng
        wanted = math.ceil(n_cases / 2)
        managers = self.org.spos_of_pdu[pdu_id] + [self.org.aco_of_pdu[pdu_id]]
        firsts = rng.sample(managers, min(wanted, len(managers)))
        staff = self.org.practitioners_of_pdu[pdu_id]
        people = rng.sample(staff, min(len(staff), 2 * wanted - len(firsts)))
        pairs = []
        for i in range(wanted):
            if i < len(firsts) and people:
                pairs.append((firsts[i], people.pop()))
            elif len(people) >= 2:
                pairs.append((people.pop(), people.pop()))
        return pairs

    # -- one audit

    def answers(self) -> list[str]:
        rng = self.rng
        r, p_yes = rng.random(), AUDIT_PROFILES[-1][1]
        for share, yes in AUDIT_PROFILES:
            if r < share:
                p_yes = yes
                break
            r -= share
        partly = p_yes + (1 - p_yes) * 0.6
        out = []
        for na in self.na_share:
            if rng.random() < na:
                out.append(Answer.NOT_APPLICABLE.value)
                continue
            x = rng.random()
            out.append(Answer.YES.value if x < p_yes else Answer.PARTLY.value if x < partly else Answer.NO.value)
        return out

    def moderated(self, answers: list[str]) -> list[str]:
        """A blind second audit: mostly agrees, sometimes a step apart."""
        rng, out = self.rng, []
        for a in answers:
            if a != Answer.NOT_APPLICABLE.value and rng.random() < 0.12:
                a = {"yes": "partly", "partly": rng.choice(("yes", "no")), "no": "partly"}[a]
            out.append(a)
        return out

    def verdicts_of(self, answers: list[str]) -> list[tuple[str, str, str]]:
        """(section key, title, verdict) per section, by qa.audits.judgement's own rule, cached per answer pattern."""
        out = []
        for index, (section, lo, hi) in enumerate(self.section_slices):
            key = (index, tuple(answers[lo:hi]))
            verdict = self.verdicts.get(key)
            if verdict is None:
                given = {q.key: Answer(a) for q, a in zip(section.questions, answers[lo:hi], strict=True)}
                verdict = self.verdicts[key] = str(judge_section(section, given).verdict)
            out.append((section.key, section.title[:200], verdict))
        return out

    def write_answers(self, audit_id: int, answers: list[str], answered: int) -> None:
        rng, add = self.rng, self.sink.add
        for key, answer in zip(self.ins.question_keys[:answered], answers[:answered], strict=True):
            add(
                "audit_answer",
                {"audit_id": audit_id, "question_key": key, "answer": answer, "evidence": maybe(rng, 0.35, EVIDENCE)},
            )

    def audit(
        self,
        event_id: int,
        event_date: date,
        pdu_id: int,
        case_id: int,
        sample_id: int,
        pair_id: int | None,
        pair: tuple[int, int] | None,
        accepted_at: datetime,
    ) -> None:
        w = self.org.window
        rng, sink, org = self.rng, self.sink, self.org
        holder = self.cases.holder[case_id]
        spo = org.supervisor_of[holder]
        audit_id = self.next_id("case_audit")
        answers = self.answers()
        submitted_at = (
            at(event_date, rng, 11, 17)
            if rng.random() < 0.85
            else at(event_date + timedelta(days=rng.randint(1, 10)), rng)
        )
        row = {
            "id": audit_id,
            "event_id": event_id,
            "case_id": case_id,
            "sample_id": sample_id,
            "pair_id": pair_id,
            "instrument_id": self.ins.audit_id,
            "status": AuditStatus.DRAFT.value,
            "moderates_id": None,
            "moderator_id": None,
            "version": 1,
            "created_at": accepted_at,
            "updated_at": accepted_at,
            "submitted_at": None,
            "submitted_by_id": None,
            "feedback_to_id": None,
            "feedback_sent_at": None,
            "discussed_at": None,
            "discussed_by_id": None,
            "closed_at": None,
        }
        raised_by = pair[0] if pair else (org.qdo_of_pdu[pdu_id])
        if rng.random() < URGENT_CONCERN_SHARE:
            raised_at = at(event_date, rng, 10, 16)
            acknowledged_at = raised_at + timedelta(hours=rng.randint(1, 48))
            acknowledged = rng.random() < 0.92 and acknowledged_at <= w.end_at
            sink.add(
                "urgent_concern",
                {
                    "id": self.next_id("urgent_concern"),
                    "audit_id": audit_id,
                    "case_id": case_id,
                    "raised_by_id": raised_by,
                    "raised_at": raised_at,
                    "description": rng.choice(URGENT_CONCERNS),
                    "spo_id": spo,
                    "acknowledged_at": acknowledged_at if acknowledged else None,
                    "acknowledged_by_id": spo if acknowledged else None,
                    "acknowledgement": rng.choice(ACKNOWLEDGEMENTS) if acknowledged else None,
                },
            )
        if submitted_at > w.end_at:  # still being written at the end of the period
            row["updated_at"] = min(accepted_at + timedelta(days=rng.randint(1, 10)), w.end_at)
            sink.add("case_audit", row)
            self.write_answers(audit_id, answers, rng.randint(0, len(answers)))
            return

        # Submitted: judged, and the sheet goes straight to the holder's SPO.
        row.update(
            status=AuditStatus.FEEDBACK_SENT.value,
            submitted_at=submitted_at,
            submitted_by_id=raised_by if rng.random() < 0.7 or not pair else pair[1],
            feedback_to_id=spo,
            feedback_sent_at=submitted_at,
            version=2,
        )
        latest = submitted_at
        discussed_at = at(submitted_at.date() + timedelta(days=rng.randint(4, 40)), rng)
        discussed = rng.random() < 0.95 and discussed_at <= w.end_at
        if discussed:
            row.update(status=AuditStatus.DISCUSSED.value, discussed_at=discussed_at, discussed_by_id=spo, version=3)
            latest = discussed_at
        all_done, last_closed = True, None
        for _ in range(rng.choices((0, 1, 2), weights=(62, 28, 10))[0]):
            owner = holder if rng.random() < 0.8 else spo
            closed_at = (discussed_at if discussed else submitted_at) + timedelta(
                days=rng.randint(0, 50), hours=rng.randint(0, 6)
            )
            done = discussed and closed_at <= w.end_at and rng.random() < 0.95
            all_done &= done
            if done:
                last_closed = max(last_closed or closed_at, closed_at)
            sink.add(
                "audit_action",
                {
                    "id": self.next_id("audit_action"),
                    "audit_id": audit_id,
                    "description": rng.choice(AUDIT_ACTIONS),
                    "owner_id": owner,
                    "due_date": submitted_at.date() + timedelta(days=rng.randint(14, 42)),
                    "status": (ActionStatus.DONE if done else ActionStatus.OPEN).value,
                    "created_at": submitted_at,
                    "closed_at": closed_at if done else None,
                    "closed_by_id": owner if done else None,
                },
            )
        if discussed and all_done:
            closed = max(discussed_at, last_closed or discussed_at)
            row.update(status=AuditStatus.ACTIONS_CLOSED.value, closed_at=closed, version=4)
            latest = closed
        row["updated_at"] = latest
        sink.add("case_audit", row)
        self.write_answers(audit_id, answers, len(answers))
        verdicts = self.verdicts_of(answers)
        for section_key, title, verdict in verdicts:
            sink.add(
                "audit_section_result",
                {"audit_id": audit_id, "section_key": section_key, "section_title": title, "verdict": verdict},
            )

        found = {v for _, _, v in verdicts}
        improvement = (
            rng.choice(IMPROVEMENT) if found & {"Partly sufficient", "Insufficient"} or rng.random() < 0.2 else ""
        )
        concerns = rng.choice(CONCERNS) if "Insufficient" in found and rng.random() < 0.6 else ""
        reply_at = submitted_at + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 5))
        replied = rng.random() < 0.3 and reply_at <= w.end_at
        sink.add(
            "feedback_sheet",
            {
                "audit_id": audit_id,
                "good_practice": maybe(rng, 0.85, GOOD_PRACTICE),
                "improvement": improvement,
                "concerns": concerns,
                "holder_reply": rng.choice(HOLDER_REPLIES) if replied else None,
                "reply_at": reply_at if replied else None,
            },
        )
        if improvement and self.theme_ids:
            for theme in rng.sample(self.theme_ids, min(len(self.theme_ids), rng.randint(1, 2))):
                sink.add(
                    "feedback_theme",
                    {"audit_id": audit_id, "section": SheetSection.IMPROVEMENT.value, "theme_id": theme},
                )
        if concerns and self.theme_ids:
            sink.add(
                "feedback_theme",
                {"audit_id": audit_id, "section": SheetSection.CONCERNS.value, "theme_id": rng.choice(self.theme_ids)},
            )

        if rng.random() < MODERATION_SHARE:
            self.moderation(audit_id, pdu_id, case_id, event_id, sample_id, submitted_at, answers)

    def moderation(
        self,
        original_id: int,
        pdu_id: int,
        case_id: int,
        event_id: int,
        sample_id: int,
        original_submitted: datetime,
        answers: list[str],
    ) -> None:
        w = self.org.window
        rng, sink = self.rng, self.sink
        created_at = original_submitted + timedelta(days=rng.randint(3, 20))
        if created_at > w.end_at:
            return
        moderator = rng.choice((self.org.qdo_of_pdu[pdu_id], self.org.aco_of_pdu[pdu_id]))
        submitted_at = created_at + timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 5))
        submitted = submitted_at <= w.end_at
        audit_id = self.next_id("case_audit")
        sink.add(
            "case_audit",
            {
                "id": audit_id,
                "event_id": event_id,
                "case_id": case_id,
                "sample_id": sample_id,
                "pair_id": None,
                "instrument_id": self.ins.audit_id,
                "status": (AuditStatus.SUBMITTED if submitted else AuditStatus.DRAFT).value,
                "moderates_id": original_id,
                "moderator_id": moderator,
                "version": 2 if submitted else 1,
                "created_at": created_at,
                "updated_at": submitted_at if submitted else created_at,
                "submitted_at": submitted_at if submitted else None,
                "submitted_by_id": moderator if submitted else None,
                "feedback_to_id": None,
                "feedback_sent_at": None,
                "discussed_at": None,
                "discussed_by_id": None,
                "closed_at": None,
            },
        )
        second = self.moderated(answers)
        self.write_answers(audit_id, second, len(second) if submitted else rng.randint(0, len(second)))
        if submitted:
            for section_key, title, verdict in self.verdicts_of(second):
                sink.add(
                    "audit_section_result",
                    {"audit_id": audit_id, "section_key": section_key, "section_title": title, "verdict": verdict},
                )


# ------------------------------------------------------------------ observations


def write_observations(
    sink: Sink, org: Org, cases: Cases, ins: Instruments, rng: Random, calibration_share: float = 0.0
) -> None:
    w = org.window
    setting_pick = Picker(SETTINGS_OBSERVED)
    obs_id = goal_id = 0
    for practitioner in org.practitioners:
        team_id = org.team(practitioner)
        pdu_id = org.pdu_of_team[team_id]
        spo = org.spo_of_team[team_id]
        peers = [p for p in org.practitioners_of_team[team_id] if p != practitioner]
        refs = cases.refs_of_holder.get(practitioner, [])
        # The rate is per five years; a shorter window gets proportionately fewer.
        k = max(1, round(rng.choice(OBSERVATIONS_PER_PRACTITIONER) * w.span_days / REGION_WINDOW.span_days))
        slot = (w.span_days - 30) / k
        for i in range(k):
            obs_id += 1
            observed = weekday(w.start + timedelta(days=int((i + rng.random()) * slot)))
            r = rng.random()
            if r < 0.6 or (r >= 0.85 and not peers):
                observer = spo
            elif r < 0.85:
                observer = org.qdo_of_pdu[pdu_id]
            else:
                observer = rng.choice(peers)
            invited = observer in peers  # a practitioner invited a peer: they planned it
            shared_at = at(observed + timedelta(days=rng.randint(0, 10)), rng)
            acknowledged_at = shared_at + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 6))
            acknowledged = rng.random() < 0.9 and acknowledged_at <= w.end_at
            sink.add(
                "observation",
                {
                    "id": obs_id,
                    "practitioner_id": practitioner,
                    "observer_id": observer,
                    "observed_on": observed,
                    "setting": setting_pick(rng).value,
                    "mode": (ObservationMode.RECORDED if rng.random() < 0.15 else ObservationMode.LIVE).value,
                    "duration_minutes": rng.choice((30, 45, 50, 60, 60, 75, 90)),
                    "case_ref": rng.choice(refs) if refs and rng.random() < 0.6 else None,
                    "calibration_of_id": None,
                    "framework_id": ins.framework_id,
                    "status": (ObservationStatus.ACKNOWLEDGED if acknowledged else ObservationStatus.SHARED).value,
                    "consent": True,
                    "strengths": rng.choice(STRENGTHS),
                    "development_points": rng.choice(DEVELOPMENT_POINTS),
                    "feedback_wanted": maybe(rng, 0.3, FEEDBACK_WANTED),
                    "reflection": rng.choice(REFLECTIONS) if acknowledged and rng.random() < 0.5 else None,
                    "reply": rng.choice(OBSERVATION_REPLIES) if acknowledged and rng.random() < 0.5 else None,
                    "acknowledged_at": acknowledged_at if acknowledged else None,
                    "shared_at": shared_at,
                    "created_by_id": practitioner if invited else observer,
                    "created_at": at(max(w.start, observed - timedelta(days=rng.randint(7, 28))), rng),
                    "updated_at": acknowledged_at if acknowledged else shared_at,
                    "version": 3 if acknowledged else 2,
                },
            )
            base = rng.choice((2, 3, 3, 3, 4))
            ratings: dict[str, int | None] = {}
            for domain in ins.domain_keys:
                if rng.random() < 0.06:
                    ratings[domain] = None
                    sink.add(
                        "observation_rating",
                        {
                            "observation_id": obs_id,
                            "domain_key": domain,
                            "rating": None,
                            "not_observed": True,
                            "evidence": "",
                        },
                    )
                    continue
                rating = min(4, max(1, base + rng.choice((-1, 0, 0, 0, 1))))
                ratings[domain] = rating
                sink.add(
                    "observation_rating",
                    {
                        "observation_id": obs_id,
                        "domain_key": domain,
                        "rating": rating,
                        "not_observed": False,
                        "evidence": maybe(rng, 0.4, RATING_EVIDENCE),
                    },
                )
            if rng.random() < 0.3:
                for domain, given in ratings.items():
                    own = None if given is None else min(4, max(1, given + rng.choice((-1, -1, 0, 0, 1))))
                    sink.add(
                        "self_rating",
                        {"observation_id": obs_id, "domain_key": domain, "rating": own, "not_observed": own is None},
                    )
            for _ in range(rng.choices((0, 1, 2), weights=(55, 35, 10))[0]):
                goal_id += 1
                review = observed + timedelta(days=rng.randint(60, 120))
                if review > w.end - timedelta(days=30):
                    status = GoalStatus.OPEN
                else:
                    status = pick(rng, {GoalStatus.ACHIEVED: 70, GoalStatus.SET_ASIDE: 10, GoalStatus.OPEN: 20})
                sink.add(
                    "development_goal",
                    {
                        "id": goal_id,
                        "observation_id": obs_id,
                        "practitioner_id": practitioner,
                        "description": rng.choice(GOALS),
                        "review_date": review,
                        "status": status.value,
                        "progress": rng.choice(GOAL_PROGRESS) if status is not GoalStatus.OPEN else "",
                        "updated_at": min(at(review, rng), w.end_at) if status is not GoalStatus.OPEN else shared_at,
                    },
                )
            if calibration_share and rng.random() < calibration_share:
                obs_id += 1
                first = org.aco_of_pdu[pdu_id] if observer == org.qdo_of_pdu[pdu_id] else org.qdo_of_pdu[pdu_id]
                second_observer(sink, obs_id, first, ratings, rng)
        sink.checkpoint()


def second_observer(sink: Sink, obs_id: int, observer: int, ratings: dict[str, int | None], rng: Random) -> None:
    """A calibration observation: a second observer rates the session just written, mostly agreeing."""
    original = sink.buffers["observation"][-1]
    sink.add(
        "observation",
        {
            **original,
            "id": obs_id,
            "observer_id": observer,
            "calibration_of_id": original["id"],
            "created_by_id": observer,
            "feedback_wanted": "",
            "reflection": None,
            "reply": None,
        },
    )
    for domain, rating in ratings.items():
        if rating is not None and rng.random() < 0.3:
            rating = min(4, max(1, rating + rng.choice((-1, 1))))
        sink.add(
            "observation_rating",
            {
                "observation_id": obs_id,
                "domain_key": domain,
                "rating": rating,
                "not_observed": rating is None,
                "evidence": "",
            },
        )


# ------------------------------------------------------------------ debriefs


def write_debriefs(
    sink: Sink,
    plan: Plan,
    org: Org,
    rng: Random,
    content_token: str,
    debrief_text: Callable[[Random, int], str] | None = None,
) -> None:
    """Debriefs in time order (ids rise with time), month by month; 1-3 feelings each.

    With ``debrief_text`` (given the intensity, it returns the debrief's JSON document) every debrief
    gets its own text, encrypted row by row; without it they all share ``content_token``.
    """
    w = org.window
    authors = org.practitioners + [spo for spos in org.spos_of_pdu.values() for spo in spos]
    for team_id in plan.quiet_teams:  # only a few people in these teams debrief
        quiet = [a for a in authors if org.team_of[a] == team_id][plan.quiet_team_authors :]
        authors = [a for a in authors if a not in quiet]
    cum, total = [], 0.0
    for _ in authors:
        total += rng.lognormvariate(0, 0.6)  # some people debrief much more than others
        cum.append(total)
    setting_pick, need_pick = Picker(DEBRIEF_SETTINGS), Picker(DEBRIEF_NEEDS)
    intensity_pick = Picker(dict(enumerate(INTENSITY_WEIGHTS)))
    positive = next(f.words for f in FAMILIES if f.key == POSITIVE_FAMILY_KEY)
    negative = [f.words for f in FAMILIES if f.key != POSITIVE_FAMILY_KEY]
    urgency_pick = Picker(REQUEST_URGENCY)
    months: list[date] = []
    while add_months(w.start, len(months)) <= w.end:
        months.append(add_months(w.start, len(months)))
    n_months = len(months)
    months.append(min(add_months(w.start, n_months), w.end + timedelta(days=1)))  # the last may be part of one
    per_month = [plan.debriefs // n_months + (1 if m < plan.debriefs % n_months else 0) for m in range(n_months)]
    debrief_id = request_id = 0
    for m in range(n_months):
        first, days = months[m], (months[m + 1] - months[m]).days
        stamps = []
        for _ in range(per_month[m]):
            day = first + timedelta(days=rng.randrange(days))
            if day.weekday() >= 5 and rng.random() < 0.9:
                day = min(weekday(day), w.end)
            stamps.append(
                (
                    datetime(
                        day.year,
                        day.month,
                        day.day,
                        rng.randint(8, 18),
                        rng.randint(0, 59),
                        rng.randint(0, 59),
                        tzinfo=UTC,
                    ),
                    authors[bisect.bisect_right(cum, rng.random() * total)],
                )
            )
        stamps.sort()
        for created_at, author in stamps:
            debrief_id += 1
            intensity = intensity_pick(rng)
            need = need_pick(rng)
            setting = setting_pick(rng)
            sink.add(
                "debrief",
                {
                    "id": debrief_id,
                    "author_id": author,
                    "created_at": created_at,
                    "intensity": intensity,
                    "setting": None if setting is None else setting.value,
                    "need": need.value,
                    "content": content_token
                    if debrief_text is None
                    else encryption.encrypt(debrief_text(rng, intensity)),
                },
            )
            words = set()
            pos_share = 0.6 if intensity <= 3 else 0.1
            for _ in range(rng.choices((1, 2, 3), weights=(45, 35, 20))[0]):
                words.add(rng.choice(positive if rng.random() < pos_share else rng.choice(negative)))
            for word in words:
                sink.add("debrief_feeling", {"debrief_id": debrief_id, "feeling": word})
            if need in (Need.SPO, Need.FORMAL_DEBRIEF, Need.SPECIALIST) and rng.random() < 0.5:
                request_id += 1
                updated = created_at + timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 6))
                status = (
                    RequestStatus.DONE
                    if updated <= w.end_at - timedelta(days=14)
                    else rng.choice((RequestStatus.OPEN, RequestStatus.OFFERED))
                )
                sink.add(
                    "support_request",
                    {
                        "id": request_id,
                        "requester_id": author,
                        "recipient_id": org.supervisor(author),
                        "debrief_id": debrief_id,
                        "urgency": urgency_pick(rng).value,
                        "status": status.value,
                        "created_at": created_at,
                        "updated_at": min(updated, w.end_at) if status is not RequestStatus.OPEN else created_at,
                    },
                )
        sink.checkpoint()


# ------------------------------------------------------------------ supervision


class SupervisionWriter:
    def __init__(
        self, sink: Sink, org: Org, cases: Cases, rng: Random, tokens: dict[str, str], lapsed_share: float = 0.0
    ) -> None:
        self.sink, self.org, self.cases, self.rng, self.tokens = sink, org, cases, rng, tokens
        self.lapsed_share = lapsed_share
        self.ids: Counter[str] = Counter()

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def run(self) -> None:
        w = self.org.window
        org, rng = self.org, self.rng
        if self.lapsed_share:
            # Some one-to-one supervision has lapsed: overdue now. Always one in the first team, so its SPO sees it.
            org.lapsed = {p for p in org.practitioners if rng.random() < self.lapsed_share}
            org.lapsed.add(org.practitioners_of_team[1][1])
        for practitioner in org.practitioners:
            self.series(org.supervisor(practitioner), practitioner)
            self.sink.checkpoint()
        for pdu_id, spos in org.spos_of_pdu.items():  # SPOs are supervised by their ACO
            for spo in spos:
                self.series(org.aco_of_pdu[pdu_id], spo)
        for team_id, members in org.practitioners_of_team.items():  # quarterly group case discussion
            day = w.start + timedelta(days=rng.randint(10, 60))
            while day <= w.end:
                group = rng.sample(members, min(len(members), rng.randint(4, 8)))
                self.session(org.spo_of_team[team_id], group, weekday(day), SessionKind.GROUP)
                day += timedelta(days=GROUP_SESSION_EVERY_DAYS + rng.randint(-14, 14))
            self.sink.checkpoint()

    def series(self, supervisor: int, supervisee: int) -> None:
        w = self.org.window
        rng = self.rng
        day = w.start + timedelta(days=rng.randint(0, SUPERVISION_EVERY_DAYS))
        last = w.end - timedelta(days=rng.randint(50, 80)) if supervisee in self.org.lapsed else w.end
        while day <= last:
            kind = SessionKind.REFLECTIVE if rng.random() < 0.15 else SessionKind.ONE_TO_ONE
            self.session(supervisor, [supervisee], weekday(day), kind)
            day += timedelta(days=SUPERVISION_EVERY_DAYS + rng.randint(-10, 10))

    def session(self, supervisor: int, participants: list[int], held_on: date, kind: SessionKind) -> None:
        w = self.org.window
        rng, sink, tokens = self.rng, self.sink, self.tokens
        held_on = min(held_on, w.end)
        session_id = self.next_id("supervision_session")
        created_at = at(held_on, rng, 9, 17)
        recent = held_on > w.end - timedelta(days=21)
        if recent:
            status = SessionStatus.DRAFT if rng.random() < 0.2 else SessionStatus.AWAITING_SIGN_OFF
        else:
            status = SessionStatus.SIGNED if rng.random() < 0.97 else SessionStatus.AWAITING_SIGN_OFF
        last = created_at
        sink.add(
            "supervision_session",
            {
                "id": session_id,
                "supervisor_id": supervisor,
                "kind": kind.value,
                "held_on": held_on,
                "accountability": rng.random() < 0.95,
                "development": rng.random() < 0.6,
                "support": rng.random() < 0.55,
                "notes": tokens["notes"],
                "personal_notes": tokens["empty"],
                "personal_private": True,
                "status": status.value,
                "version": 1,
                "created_at": created_at,
                "updated_at": created_at,  # replaced below once signatures are known
            },
        )
        row = sink.buffers["supervision_session"][-1]
        if status is not SessionStatus.DRAFT:
            sink.add("supervisor_sign_off", {"session_id": session_id, "version": 1, "signed_at": created_at})
        for i, practitioner in enumerate(participants):
            signed = status is SessionStatus.SIGNED or (
                status is SessionStatus.AWAITING_SIGN_OFF and i > 0 and rng.random() < 0.5
            )
            signed_at = (
                min(created_at + timedelta(days=rng.randint(0, 7), hours=rng.randint(0, 6)), w.end_at)
                if signed
                else None
            )
            last = max(last, signed_at or last)
            sink.add(
                "session_participant",
                {"session_id": session_id, "practitioner_id": practitioner, "signed_at": signed_at, "comments": None},
            )
        row["updated_at"] = last
        if kind is not SessionKind.REFLECTIVE and rng.random() < 0.4:
            refs = self.cases.refs_of_holder.get(participants[0])
            if refs:
                sink.add(
                    "case_discussion",
                    {
                        "id": self.next_id("case_discussion"),
                        "session_id": session_id,
                        "case_ref": rng.choice(refs),
                        "decision": tokens["decision"],
                        "rationale": tokens["rationale"],
                    },
                )
        if rng.random() < 0.3:
            due = held_on + timedelta(days=rng.randint(14, 35))
            done_at = at(due - timedelta(days=rng.randint(0, 10)), rng)
            sink.add(
                "supervision_action",
                {
                    "id": self.next_id("supervision_action"),
                    "session_id": session_id,
                    "description": rng.choice(SUPERVISION_ACTIONS),
                    "owner_id": rng.choice(participants),
                    "due_date": due,
                    "done_at": done_at if done_at <= w.end_at and rng.random() < 0.85 else None,
                },
            )


# ------------------------------------------------------------------ the database


def has_organisation(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return any(
            conn.execute(sa.text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is not None
            for table in ("user", "region", "probation_case")
        )


def wipe(url: str, engine: sa.Engine) -> None:
    """Drop everything: delete the SQLite file, or recreate PostgreSQL's public schema."""
    if is_sqlite(url):
        engine.dispose()
        path = make_url(url).database
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        return
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def reset_sequences(engine: sa.Engine) -> None:
    """PostgreSQL: move every id sequence past the explicit ids we wrote."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "id" not in table.columns or not table.columns["id"].primary_key:
                continue
            quoted = f'"{table.name}"'
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false) "
                    "WHERE pg_get_serial_sequence(:t, 'id') IS NOT NULL"
                ),
                {"t": quoted},
            )


def analyse(engine: sa.Engine) -> None:
    """Fresh planner statistics and visibility maps, as a long-running database's autovacuum would leave them."""
    if engine.dialect.name == "postgresql":
        # VACUUM cannot run inside a transaction block.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# ------------------------------------------------------------------ entry point


@dataclass
class Result:
    counts: dict[str, int]
    seconds: float
    sign_ins: dict[str, str]
    staff: int = 0


#: Called after the raw load, before the rollups are counted: (engine, org, cases).
AfterLoad = Callable[[sa.Engine, "Org", "Cases"], None]


def generate(
    url: str,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    analyze: bool = True,
    log: Callable[[str], object] = print,
    *,
    plan: Plan | None = None,
    password_hash: str | None = None,
    debrief_text: Callable[[Random, int], str] | None = None,
    after_load: AfterLoad | None = None,
) -> Result:
    """Fill an empty, migrated database at ``url``. The caller checks emptiness and keys.

    ``plan`` defaults to the region at ``scale``. Every account shares ``password_hash``
    (by default the hash of :data:`BENCH_PASSWORD`).
    """
    started = time.perf_counter()
    plan = plan or plan_for(scale)
    if password_hash is None:
        from qa.access.passwords import hash_password

        password_hash = hash_password(BENCH_PASSWORD)
    rng = Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    engine = get_engine(url)
    prefix = "[Demo] " if plan.private_text else ""
    tokens = {
        "content": encryption.encrypt("{}"),
        "notes": encryption.encrypt(
            f"{prefix}Caseload, risk and workload reviewed; wellbeing checked; actions agreed."
        ),
        "empty": encryption.encrypt(""),
        "decision": encryption.encrypt(
            f"{prefix}Continue at current level of contact; review after the next home visit."
        ),
        "rationale": encryption.encrypt(f"{prefix}Risk stable; protective factors in place; checks up to date."),
    }
    with engine.connect() as conn:
        theme_ids = list(conn.execute(sa.text("SELECT id FROM learning_theme WHERE active ORDER BY id")).scalars())

    sink = Sink(engine, chunk_rows)
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        log(f"  {name:<34} {now - mark:6.1f} s")
        mark = now

    try:
        log(
            f"Generating: {plan.pdus} PDUs, {plan.teams} teams, {plan.practitioners} practitioners, "
            f"{plan.cases} cases, "
            f"{plan.events} LEARN events, {plan.debriefs} debriefs "
            f"({plan.window.start} to {plan.window.end}, scale {plan.scale}, seed {seed})"
        )
        org = build_org(sink, plan, rng, fake, password_hash)
        instruments = load_instruments(engine, sink)
        cases = build_cases(sink, plan, org, rng)
        sink.flush()
        phase("organisation, people and cases")
        AuditWriter(sink, org, cases, instruments, theme_ids, rng).run(plan)
        sink.flush()
        phase("LEARN events and case audits")
        write_observations(sink, org, cases, instruments, rng, plan.calibration_share)
        sink.flush()
        phase("observations")
        write_debriefs(sink, plan, org, rng, tokens["content"], debrief_text)
        sink.flush()
        phase("debriefs")
        SupervisionWriter(sink, org, cases, rng, tokens, plan.lapsed_share).run()
        sink.add(
            "audit_trail",
            {
                "id": 1,
                "at": datetime.now(UTC),
                "actor_id": None,
                "action": "loaded",
                "entity": plan.label,
                "entity_id": None,
                "summary": f"synthetic {plan.label} dataset: {plan.pdus} PDUs, {plan.teams} teams, "
                f"{len(org.grade_of)} staff, {plan.cases} cases, {plan.window.start} to {plan.window.end}, "
                f"scale {plan.scale}, seed {seed}",
            },
        )
        sink.flush()
        phase("supervision")
    finally:
        sink.close()
    reset_sequences(engine)
    if after_load is not None:
        after_load(engine, org, cases)
        phase("after the load")
    # The rows above went in as raw SQL, past the ORM hooks that keep the dashboard rollups current.
    from qa.dashboards.rollups import rebuild_all

    with Session(engine) as session:
        rebuild_all(session)
        session.commit()
    phase("dashboard rollups")
    if analyze:
        analyse(engine)
        phase("ANALYZE (VACUUM ANALYZE on PostgreSQL)")
    sign_ins = {
        "administrator": org.email_of[org.admin_id],
        "QA lead": org.email_of[org.aco_of_pdu[org.pdu_ids[0]]],
        "SPO": org.email_of[org.spo_of_team[1]],
        "practitioner": org.email_of[org.practitioners[0]],
    }
    log(f"  (of which writing to the database: {sink.write_seconds:.1f} s)")
    return Result(
        counts=dict(sink.counts), seconds=time.perf_counter() - started, sign_ins=sign_ins, staff=len(org.grade_of)
    )
