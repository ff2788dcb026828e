"""Test data built straight into the database, bypassing services on purpose
so that service tests start from a known state."""

from __future__ import annotations

from dataclasses import dataclass

from db.engine import session_scope
from db.organisation import Grade, Pdu, Region, Role, Team, User, UserRole
from qa.access.actor import Actor
from qa.access.auth import load_actor
from qa.access.passwords import hash_password

PASSWORD = "correct-horse-battery"
_HASH = hash_password(PASSWORD)


def make_user(
    full_name: str,
    email: str,
    grade: Grade,
    roles: list[Role],
    team_id: int | None = None,
    supervisor_id: int | None = None,
    staff_id: str | None = None,
    active: bool = True,
) -> int:
    with session_scope() as session:
        user = User(
            full_name=full_name,
            email=email,
            grade=grade,
            team_id=team_id,
            supervisor_id=supervisor_id,
            staff_id=staff_id,
            password_hash=_HASH,
            is_active=active,
        )
        session.add(user)
        session.flush()
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        return user.id


@dataclass
class SmallOrg:
    region_id: int
    north_pdu_id: int
    south_pdu_id: int
    team_a_id: int
    team_b_id: int
    team_c_id: int  # in the south PDU
    admin_id: int
    qa_lead_id: int  # north PDU
    spo_id: int  # team A
    spo_b_id: int  # team B
    practitioner_id: int  # team A, supervised by spo
    peer_id: int  # team A, supervised by spo
    outsider_id: int  # team C, south PDU

    def actor(self, user_id: int) -> Actor:
        actor = load_actor(user_id)
        assert actor is not None
        return actor


def small_org() -> SmallOrg:
    with session_scope() as session:
        region = Region(name="Test Region")
        session.add(region)
        session.flush()
        north = Pdu(name="North PDU", region_id=region.id)
        south = Pdu(name="South PDU", region_id=region.id)
        session.add_all([north, south])
        session.flush()
        team_a = Team(name="Team A", pdu_id=north.id)
        team_b = Team(name="Team B", pdu_id=north.id)
        team_c = Team(name="Team C", pdu_id=south.id)
        session.add_all([team_a, team_b, team_c])
        session.flush()
        ids = (region.id, north.id, south.id, team_a.id, team_b.id, team_c.id)
    region_id, north_id, south_id, a, b, c = ids
    admin = make_user("Ada Admin", "admin@example.org", Grade.OTHER, [Role.ADMIN])
    qa_lead = make_user("Quinn Lead", "qa@example.org", Grade.ACO, [Role.QA_LEAD], team_id=a)
    spo = make_user("Sam Supervisor", "spo@example.org", Grade.SPO, [Role.SPO], team_id=a, staff_id="S001")
    spo_b = make_user("Bea Supervisor", "spo.b@example.org", Grade.SPO, [Role.SPO], team_id=b)
    practitioner = make_user(
        "Pat Practitioner",
        "pat@example.org",
        Grade.PO,
        [Role.PRACTITIONER],
        team_id=a,
        supervisor_id=spo,
        staff_id="P001",
    )
    peer = make_user("Pip Peer", "pip@example.org", Grade.PSO, [Role.PRACTITIONER], team_id=a, supervisor_id=spo)
    outsider = make_user(
        "Olu Outsider", "olu@example.org", Grade.PO, [Role.PRACTITIONER], team_id=c, supervisor_id=spo_b
    )
    return SmallOrg(region_id, north_id, south_id, a, b, c, admin, qa_lead, spo, spo_b, practitioner, peer, outsider)


def make_case(
    case_ref: str,
    holder_id: int,
    team_id: int,
    pdu_id: int,
    order_type: str = "Community Order",
    rosh: str = "medium",
    start_date=None,
    in_custody: bool = False,
    expected_end_date=None,
) -> int:
    from datetime import date

    from db.organisation import Case

    with session_scope() as session:
        case = Case(
            case_ref=case_ref,
            pdu_id=pdu_id,
            team_id=team_id,
            holder_id=holder_id,
            order_type=order_type,
            start_date=start_date or date(2025, 1, 15),
            rosh=rosh,
            in_custody=in_custody,
            expected_end_date=expected_end_date,
        )
        session.add(case)
        session.flush()
        return case.id


ORDER_MIX = ["Community Order", "Suspended Sentence Order", "Licence", "PPO", "DRR"]
ROSH_MIX = ["medium", "high", "medium", "very high", "high", "low"]


def case_pool(org: SmallOrg, count: int = 16) -> list[int]:
    """North PDU cases held by the two team A practitioners, a realistic mix, all eligible in 2026."""
    ids = []
    for i in range(count):
        holder = org.practitioner_id if i % 2 == 0 else org.peer_id
        ids.append(
            make_case(
                f"N{100000 + i}",
                holder,
                org.team_a_id,
                org.north_pdu_id,
                order_type=ORDER_MIX[i % len(ORDER_MIX)],
                rosh=ROSH_MIX[i % len(ROSH_MIX)],
            )
        )
    return ids


def backdate_sessions(minutes: float) -> None:
    """Make every sign-in session look as if its last activity was ``minutes`` ago
    (the idle limit is enforced on the session row: qa/access/sessions.py)."""
    from datetime import timedelta

    from sqlmodel import select

    from db.organisation import utcnow
    from db.sessions import SignInSession

    with session_scope() as session:
        for row in session.exec(select(SignInSession)).all():
            row.last_seen_at = utcnow() - timedelta(minutes=minutes)
            session.add(row)
