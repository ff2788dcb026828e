"""A synthetic demo organisation: one region, two PDUs, six teams, about sixty
staff and a few hundred pseudonymous cases.

Everything here is invented. Names come from Faker, case references are random
CRN-shaped strings, and no person on probation is described beyond what the
portal's thin case list holds (never a name, date of birth or address).

The work is split in two so that it can be tested without a database:
:func:`build` is pure (same seed, same organisation) and :func:`save` writes
it. :func:`load_demo` does both in one transaction.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from sqlmodel import Session, func, select

from db.engine import session_scope
from db.organisation import (
    DEMO_FLAG,
    AuditTrail,
    Case,
    Grade,
    OrderType,
    Pdu,
    Region,
    Role,
    RoshLevel,
    Setting,
    Team,
    User,
    UserRole,
    utcnow,
)

DEFAULT_SEED = 20261126
DEMO_PASSWORD = "demo-password-2026"
EMAIL_DOMAIN = "demo.example"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
QA_LEAD_EMAIL = f"qa.lead@{EMAIL_DOMAIN}"
SPO_EMAIL = f"spo@{EMAIL_DOMAIN}"
PRACTITIONER_EMAIL = f"practitioner@{EMAIL_DOMAIN}"
#: The sign-ins the README promises, and the role each one demonstrates.
DEMO_LOGINS = {
    ADMIN_EMAIL: Role.ADMIN,
    QA_LEAD_EMAIL: Role.QA_LEAD,
    SPO_EMAIL: Role.SPO,
    PRACTITIONER_EMAIL: Role.PRACTITIONER,
}

NOT_EMPTY = "The database already holds data; the demo organisation loads only into an empty database."

# A fixed "today" so that the same seed gives the same case dates on any day.
REFERENCE_DATE = date(2026, 11, 1)
REGION_NAME = "Demo Region"
PDU_PLACES = ("Northbrook", "Eastmere")
TEAM_KINDS = ("Public Protection Team", "Courts and Community Team", "Integrated Offender Management Team")
CASE_COUNT = 320

# Rough national shape of a probation caseload; exact figures do not matter.
ORDER_WEIGHTS = {
    OrderType.CO: 28,
    OrderType.SSO: 20,
    OrderType.LICENCE: 28,
    OrderType.CP: 8,
    OrderType.DRR: 6,
    OrderType.PPO: 5,
    OrderType.OTHER: 5,
}
ROSH_WEIGHTS = {RoshLevel.LOW: 15, RoshLevel.MEDIUM: 45, RoshLevel.HIGH: 34, RoshLevel.VERY_HIGH: 6}
IN_CUSTODY_SHARE = 0.08
OPEN_ENDED_SHARE = 0.10


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class DemoPerson:
    staff_id: str
    full_name: str
    email: str
    grade: Grade
    roles: tuple[Role, ...]
    team: str | None  # team name; names carry the PDU's place, so they are unique
    supervisor: str | None  # the supervisor's staff_id


@dataclass(frozen=True)
class DemoCase:
    case_ref: str
    holder: str  # the holder's staff_id; the case's team and PDU follow from them
    order_type: OrderType
    start_date: date
    rosh: RoshLevel
    in_custody: bool
    expected_end_date: date | None


@dataclass(frozen=True)
class DemoOrganisation:
    region: str
    teams_by_pdu: tuple[tuple[str, tuple[str, ...]], ...]
    people: tuple[DemoPerson, ...]
    cases: tuple[DemoCase, ...]


@dataclass(frozen=True)
class DemoSummary:
    regions: int
    pdus: int
    teams: int
    staff: int
    cases: int


class _Staffing:
    """Hands out staff IDs and unique firstname.lastname emails in a fixed order."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake
        self.people: list[DemoPerson] = []
        self.emails = set(DEMO_LOGINS)

    def hire(
        self,
        grade: Grade,
        roles: tuple[Role, ...],
        team: str | None,
        supervisor: DemoPerson | None,
        email: str | None = None,
    ) -> DemoPerson:
        first, last = self.fake.first_name(), self.fake.last_name()
        person = DemoPerson(
            staff_id=f"DEMO{len(self.people) + 1:04d}",
            full_name=f"{first} {last}",
            email=email or self._email(first, last),
            grade=grade,
            roles=roles,
            team=team,
            supervisor=supervisor.staff_id if supervisor else None,
        )
        self.people.append(person)
        return person

    def _email(self, first: str, last: str) -> str:
        # "O'Neill" and "Smith-Jones" become "oneill" and "smithjones".
        local = ".".join(re.sub(r"[^a-z]", "", part.lower()) for part in (first, last))
        candidate, n = f"{local}@{EMAIL_DOMAIN}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{EMAIL_DOMAIN}"
        self.emails.add(candidate)
        return candidate


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    # Day capped at 28 so that every month has it; a few days' drift is harmless here.
    return date(day.year + year, month + 1, min(day.day, 28))


def _pick(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build(seed: int = DEFAULT_SEED) -> DemoOrganisation:
    """The demo organisation as plain values. Pure: the same seed gives the same result."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    staff = _Staffing(fake)

    # Fixed sign-ins go to the first PDU and its first team, so the README can
    # say "the SPO supervises the practitioner and the QA lead oversees both".
    teams_by_pdu = []
    case_holders: list[DemoPerson] = []
    for p, place in enumerate(PDU_PLACES):
        teams = tuple(f"{place} {kind}" for kind in TEAM_KINDS)
        teams_by_pdu.append((f"{place} PDU", teams))
        # The portal places people in a PDU through their team, so PDU-wide
        # roles sit in the PDU's first team; otherwise they could not see it.
        aco = staff.hire(Grade.ACO, (Role.QA_LEAD,), teams[0], None, email=QA_LEAD_EMAIL if p == 0 else None)
        staff.hire(Grade.QDO, (Role.QA_LEAD,), teams[0], None)
        spos = []
        for t, team in enumerate(teams):
            home_team = p == 0 and t == 0
            spo = staff.hire(Grade.SPO, (Role.SPO,), team, aco, email=SPO_EMAIL if home_team else None)
            spos.append(spo)
            for n in range(rng.randint(7, 9)):
                # Every team has at least one PO and one PSO to hold its cases.
                grade = Grade.PO if n == 0 else Grade.PSO if n == 1 else rng.choice((Grade.PO, Grade.PO, Grade.PSO))
                email = PRACTITIONER_EMAIL if home_team and n == 0 else None
                case_holders.append(staff.hire(grade, (Role.PRACTITIONER,), team, spo, email=email))
        staff.hire(Grade.PDA, (Role.PRACTITIONER,), teams[1], spos[1])
    staff.hire(Grade.OTHER, (Role.ADMIN,), None, None, email=ADMIN_EMAIL)

    return DemoOrganisation(
        region=REGION_NAME,
        teams_by_pdu=tuple(teams_by_pdu),
        people=tuple(staff.people),
        cases=_build_cases(rng, case_holders),
    )


def _build_cases(rng: random.Random, holders: list[DemoPerson]) -> tuple[DemoCase, ...]:
    by_grade = {grade: [p for p in holders if p.grade == grade] for grade in (Grade.PO, Grade.PSO)}
    refs: set[str] = set()
    cases = []
    while len(cases) < CASE_COUNT:
        ref = f"{rng.choice(string.ascii_uppercase)}{rng.randint(0, 999_999):06d}"
        if ref in refs:
            continue
        refs.add(ref)
        order_type = _pick(rng, ORDER_WEIGHTS)
        rosh = _pick(rng, ROSH_WEIGHTS)
        if order_type is OrderType.CP and rosh in (RoshLevel.HIGH, RoshLevel.VERY_HIGH):
            rosh = RoshLevel.MEDIUM  # stand-alone unpaid work is not given to high-risk people
        # POs hold the higher-risk work; PSOs hold low and medium risk only.
        if rosh in (RoshLevel.HIGH, RoshLevel.VERY_HIGH):
            grade = Grade.PO
        elif rosh is RoshLevel.MEDIUM:
            grade = rng.choice((Grade.PO, Grade.PSO))
        else:
            grade = Grade.PSO if rng.random() < 0.85 else Grade.PO
        start = REFERENCE_DATE - timedelta(days=rng.randint(0, 3 * 365))
        open_ended = rng.random() < OPEN_ENDED_SHARE
        end = _add_months(start, rng.randint(12, 36))
        if end <= REFERENCE_DATE:
            # The demo caseload is current: every order still runs on the reference date.
            end = _add_months(REFERENCE_DATE, rng.randint(1, 18))
        cases.append(
            DemoCase(
                case_ref=ref,
                holder=rng.choice(by_grade[grade]).staff_id,
                order_type=order_type,
                start_date=start,
                rosh=rosh,
                in_custody=rng.random() < IN_CUSTODY_SHARE,
                expected_end_date=None if open_ended else end,
            )
        )
    return tuple(cases)


# --------------------------------------------------------------------- saving


def save(session: Session, org: DemoOrganisation, password_hash: str) -> DemoSummary:
    """Write ``org`` into ``session``. Every demo user shares ``password_hash``."""
    now = utcnow()
    region = Region(name=org.region)
    session.add(region)
    session.flush()

    teams: dict[str, Team] = {}
    for pdu_name, team_names in org.teams_by_pdu:
        pdu = Pdu(name=pdu_name, region_id=region.id)
        session.add(pdu)
        session.flush()
        for name in team_names:
            teams[name] = Team(name=name, pdu_id=pdu.id)
    session.add_all(teams.values())
    session.flush()

    users = {
        p.staff_id: User(
            full_name=p.full_name,
            email=p.email,
            grade=p.grade,
            staff_id=p.staff_id,
            team_id=teams[p.team].id if p.team else None,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        for p in org.people
    }
    session.add_all(users.values())
    session.flush()  # supervisors need ids before anyone can point at them
    for p in org.people:
        user = users[p.staff_id]
        if p.supervisor:
            user.supervisor_id = users[p.supervisor].id
        session.add_all(UserRole(user_id=user.id, role=role) for role in p.roles)

    people = {p.staff_id: p for p in org.people}
    for c in org.cases:
        team = teams[people[c.holder].team]
        session.add(
            Case(
                case_ref=c.case_ref,
                pdu_id=team.pdu_id,
                team_id=team.id,
                holder_id=users[c.holder].id,
                order_type=c.order_type,
                start_date=c.start_date,
                rosh=c.rosh,
                in_custody=c.in_custody,
                expected_end_date=c.expected_end_date,
                updated_at=now,
            )
        )

    summary = DemoSummary(
        regions=1, pdus=len(org.teams_by_pdu), teams=len(teams), staff=len(org.people), cases=len(org.cases)
    )
    session.merge(Setting(key=DEMO_FLAG, value="true"))
    session.add(
        AuditTrail(
            at=now,
            action="loaded",
            entity="demo",
            summary=f"synthetic demo organisation: {summary.pdus} PDUs, {summary.teams} teams, "
            f"{summary.staff} staff, {summary.cases} cases",
        )
    )
    session.flush()
    return summary


def has_users(session: Session) -> bool:
    return (session.exec(select(func.count()).select_from(User)).one() or 0) > 0


def load_demo(seed: int = DEFAULT_SEED, *, password_hash: str) -> DemoSummary:
    """Load the demo organisation into an empty, migrated database: all or nothing.

    Every demo user shares ``password_hash``, the caller's hash of :data:`DEMO_PASSWORD`: hashing is a rule of
    ``qa.access.passwords``, which the data layer must not import. One hash for everyone also keeps loading quick,
    since argon2 is slow on purpose.
    """
    org = build(seed)
    with session_scope() as session:
        if has_users(session):
            raise RuntimeError(NOT_EMPTY)
        return save(session, org, password_hash)
