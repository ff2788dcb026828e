"""SQLModel tables and the form models bound to them.

Style follows the FastAPI full-stack template: a ``*Base`` holds the shared,
validated fields; the ``table=True`` model adds keys and bookkeeping; the
``*Create`` / ``*Update`` / ``*Public`` models are what forms and pages bind to.
Validation therefore lives once, in the base, and every form gets it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

NAME_MAX = 120
EMAIL_MAX = 254
STAFF_ID_MAX = 40
ORG_NAME_MAX = 80
CASE_REF_MAX = 20
PASSWORD_MIN = 12
PASSWORD_MAX = 128

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store and return UTC."""
    return datetime.now(UTC)


class Grade(StrEnum):
    PO = "PO"
    PSO = "PSO"
    SPO = "SPO"
    ACO = "ACO"
    QDO = "QDO"
    PDA = "PDA"
    OTHER = "Other"

    @property
    def label(self) -> str:
        return GRADE_LABELS[self]


GRADE_LABELS = {
    Grade.PO: "Probation Officer (PO)",
    Grade.PSO: "Probation Service Officer (PSO)",
    Grade.SPO: "Senior Probation Officer (SPO)",
    Grade.ACO: "Senior manager / ACO",
    Grade.QDO: "Quality Development Officer (QDO)",
    Grade.PDA: "Practice Development Assessor (PDA)",
    Grade.OTHER: "Other",
}

#: Grades that count as "SPO grade" when pairing auditors (LEARN pairs an SPO
#: grade with a practitioner grade).
MANAGER_GRADES = frozenset({Grade.SPO, Grade.ACO})


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    SPO = "spo"
    QA_LEAD = "qa_lead"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner",
    Role.SPO: "SPO (supervisor / team manager)",
    Role.QA_LEAD: "Quality-assurance lead",
    Role.ADMIN: "Administrator",
}


class OrderType(StrEnum):
    CO = "Community Order"
    SSO = "Suspended Sentence Order"
    LICENCE = "Licence"
    PPO = "PPO"
    DRR = "DRR"
    CP = "Community Payback (stand-alone)"
    OTHER = "Other"


class RoshLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very high"


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def check_email(value: str) -> str:
    if not _EMAIL_RE.match(value):
        raise ValueError("Enter an email address like name@example.org")
    return value


#: What a name must not begin with, and how a message names it. A spreadsheet runs a cell that begins
#: with any of these as a formula (CSV or formula injection): "=HYPERLINK(...)", "+1+cmd|...", "-2+3",
#: "@SUM(...)", or one of those after a tab or a line break. Exports neutralise such cells anyway
#: (qa/exports.py); names are also refused where they are typed or imported, because nobody's name,
#: team or PDU begins with one, a leading hyphen included (a double-barrelled name has it in the middle).
FORMULA_STARTS = {"=": '"="', "+": '"+"', "-": '"-"', "@": '"@"', "\t": "a tab", "\r": "a line break"}


def check_not_formula(value: str, what: str = "A name") -> str:
    """``value`` as given, or ValueError with a plain message if it begins like a spreadsheet formula."""
    first = value[:1]
    if first in FORMULA_STARTS:
        raise ValueError(
            f"{what} cannot begin with {FORMULA_STARTS[first]}: a spreadsheet would treat it as a formula. "
            "Start it with a letter or a number."
        )
    return value


class FormulaSafeNames(SQLModel):
    """Mixed into every form that names someone or something (its ``full_name`` or ``name``): refuses a
    name that begins like a formula (:func:`check_not_formula`). Only forms carry it, never the tables, so
    a name stored before this rule can still be read and shown (and exported, neutralised)."""

    @field_validator("full_name", "name", check_fields=False)
    @classmethod
    def _not_a_formula(cls, v):
        return check_not_formula(v) if isinstance(v, str) else v


# --------------------------------------------------------------------------- org


class OrgNameBase(SQLModel):
    """Regions, PDUs and teams share one rule for their names."""

    name: str = Field(min_length=1, max_length=ORG_NAME_MAX)

    @field_validator("name", mode="before")
    @classmethod
    def _strip(cls, v):
        return _clean_text(v) if isinstance(v, str) else v


class RegionBase(OrgNameBase):
    pass


class Region(RegionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=ORG_NAME_MAX, sa_column_kwargs={"unique": True})


class RegionCreate(RegionBase, FormulaSafeNames):
    pass


class PduBase(OrgNameBase):
    region_id: int


class Pdu(PduBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=ORG_NAME_MAX, sa_column_kwargs={"unique": True})
    region_id: int = Field(foreign_key="region.id", index=True)


class PduCreate(PduBase, FormulaSafeNames):
    pass


class PduUpdate(PduBase, FormulaSafeNames):
    pass


class TeamBase(OrgNameBase):
    pdu_id: int


class Team(TeamBase, table=True):
    __table_args__ = (sa.UniqueConstraint("pdu_id", "name", name="uq_team_pdu_name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=ORG_NAME_MAX)
    pdu_id: int = Field(foreign_key="pdu.id", index=True)


class TeamCreate(TeamBase, FormulaSafeNames):
    pass


class TeamUpdate(TeamBase, FormulaSafeNames):
    pass


# ------------------------------------------------------------------------- users


class PersonBase(SQLModel):
    """A person's name and sign-in email, validated the same way everywhere."""

    full_name: str = Field(min_length=1, max_length=NAME_MAX)
    email: str = Field(min_length=3, max_length=EMAIL_MAX)

    @field_validator("full_name", mode="before")
    @classmethod
    def _strip_name(cls, v):
        return _clean_text(v) if isinstance(v, str) else v

    @field_validator("email", mode="before")
    @classmethod
    def _normalise_email(cls, v):
        return normalise_email(v) if isinstance(v, str) else v

    @field_validator("email")
    @classmethod
    def _check_email(cls, v: str) -> str:
        return check_email(v)


class UserBase(PersonBase):
    grade: Grade
    staff_id: str | None = Field(default=None, max_length=STAFF_ID_MAX)
    team_id: int | None = None
    supervisor_id: int | None = None

    @field_validator("staff_id", mode="before")
    @classmethod
    def _blank_staff_id_is_none(cls, v):
        return (_clean_text(v) or None) if isinstance(v, str) else v


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=NAME_MAX)
    email: str = Field(max_length=EMAIL_MAX, sa_column_kwargs={"unique": True})
    grade: Grade = Field(sa_type=sa.String(10))
    staff_id: str | None = Field(default=None, max_length=STAFF_ID_MAX, sa_column_kwargs={"unique": True})
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    supervisor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UserRole(SQLModel, table=True):
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    role: Role = Field(sa_type=sa.String(20), primary_key=True)


class UserCreate(UserBase, FormulaSafeNames):
    roles: list[Role] = Field(min_length=1)
    password: str | None = Field(default=None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class UserUpdate(UserBase, FormulaSafeNames):
    roles: list[Role] = Field(min_length=1)


class UserPublic(UserBase):
    id: int
    is_active: bool
    roles: list[Role]
    team_name: str | None = None
    pdu_name: str | None = None
    supervisor_name: str | None = None


class PasswordChange(SQLModel):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    confirm_password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class FirstAdminCreate(PersonBase, FormulaSafeNames):
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    confirm_password: str = Field(min_length=1, max_length=PASSWORD_MAX)


# ------------------------------------------------------------------------- cases


class CaseBase(SQLModel):
    case_ref: str = Field(min_length=1, max_length=CASE_REF_MAX)
    pdu_id: int
    team_id: int
    holder_id: int
    order_type: OrderType
    start_date: date
    rosh: RoshLevel
    in_custody: bool = False
    expected_end_date: date | None = None


class Case(CaseBase, table=True):
    """A thin pointer to a case held in nDelius: never a case file, never a name."""

    __tablename__ = "probation_case"
    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(max_length=CASE_REF_MAX, sa_column_kwargs={"unique": True})
    pdu_id: int = Field(foreign_key="pdu.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    holder_id: int = Field(foreign_key="user.id", index=True)
    order_type: OrderType = Field(sa_type=sa.String(40))
    rosh: RoshLevel = Field(sa_type=sa.String(20))
    updated_at: datetime = Field(default_factory=utcnow)


# ------------------------------------------------------------ settings and trail


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=2000)


#: Stored flag: "true" once the demo loader has filled the database; it turns on the demo banner. Defined here,
#: beside its table, because the demo loader writes it and must not import ``qa/``.
DEMO_FLAG = "demo_data"


class AuditTrail(SQLModel, table=True):
    """Append-only record of who created, changed or deactivated what.

    It names records and fields, never their private text.
    """

    __tablename__ = "audit_trail"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    summary: str = Field(default="", max_length=500)
