"""Importing staff from a CSV file (administrators only).

The file is checked in full before anything is written. Every problem is
reported against the row a spreadsheet user sees (the heading row is row 1, so
the first person is on row 2), and while any problem remains nothing is
imported, so the file can be fixed and run again safely. Rows are matched to
existing accounts by ``staff_id``: a matching account is updated where the file
differs, and left untouched (no trail entry, no new ``updated_at``) where it does
not, so importing the same file twice changes nothing the second time.

Field rules are the user form's own (:class:`db.organisation.UserCreate`), so a name
that is too long for the form is too long for the import too, and is refused
rather than cut short. Accounts missing from the file are never deactivated.
Reading the file and reporting by row is shared with the case import
(:mod:`qa.organisation.csv_import`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from db.ids import id_of
from db.organisation import Grade, Pdu, Role, Team, User, UserCreate, normalise_email, utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import ValidationFailed
from qa.notifications.notify import administrators, besides, notify
from qa.organisation.csv_import import (
    FILE_LEVEL,
    MAX_BYTES,
    MAX_ROWS,
    CountedPlan,
    CsvLayout,
    ImportReport,
    Row,
    RowError,
    Table,
    heading,
    read_csv,
    record_summary,
    row_errors,
    sentence,
    shown,
    template,
)
from qa.organisation.csv_import import apply as apply_import
from qa.organisation.csv_import import preview as preview_plan
from qa.organisation.directory import roles_by_user, set_roles
from qa.records import RecordKind, RecordRef
from qa.validation import validate

#: The heading row, in the order the template uses. Every column must be present
#: (in any order, any case); ``pdu``, ``team`` and ``supervisor`` may be blank.
STAFF_COLUMNS: tuple[str, ...] = ("staff_id", "full_name", "email", "grade", "roles", "pdu", "team", "supervisor")
REQUIRED_COLUMNS: tuple[str, ...] = STAFF_COLUMNS

#: What each column holds, in plain English, for the upload page.
COLUMN_HELP: dict[str, str] = {
    "staff_id": "Required. The person's staff ID; it is how a later import finds them again.",
    "full_name": "Required. Up to 120 characters.",
    "email": "Required. Their work email address.",
    "grade": "Required. One of " + ", ".join(g.value for g in Grade) + ".",
    "roles": "Required. One or more of " + ", ".join(r.value for r in Role) + ", separated by ';'.",
    "pdu": "The PDU their team is in. Leave PDU and team both blank for no team.",
    "team": "The team's name within that PDU.",
    "supervisor": (
        "The supervisor's staff ID or email: someone already in the portal or elsewhere in this file. "
        "Required for practitioners."
    ),
}

ROLE_SEPARATOR = ";"
LAYOUT = CsvLayout(columns=STAFF_COLUMNS, required=REQUIRED_COLUMNS, item="person", items="people")

__all__ = [
    "COLUMN_HELP",
    "FILE_LEVEL",
    "MAX_BYTES",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "STAFF_COLUMNS",
    "ImportReport",
    "RowError",
    "import_staff",
    "preview_import",
    "template_csv",
]

_GRADES = {g.value.lower(): g for g in Grade}
_ROLES = {r.value: r for r in Role}
_GRADE_LIST = ", ".join(g.value for g in Grade)
_ROLE_LIST = ", ".join(r.value for r in Role)
_MODEL_FIELD_TO_COLUMN = {"team_id": "team", "supervisor_id": "supervisor"}
_COLUMN_ORDER = LAYOUT.order


# ---------------------------------------------------------------- the template


def template_csv() -> str:
    """A heading row and one obviously made-up person, to download and fill in."""
    return template(
        STAFF_COLUMNS,
        [
            "EXAMPLE01",
            "Alex Example",
            "alex.example@example.org",
            "PO",
            "practitioner;qa_lead",
            "Example PDU",
            "Example Team",
            "sam.example@example.org",
        ],
    )


# -------------------------------------------------------------------- services


def preview_import(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file and say what importing it would do. Changes nothing."""
    require(actor, Action.IMPORT_STAFF)
    table = read_csv(data, LAYOUT)
    if isinstance(table, ImportReport):
        return table
    return preview_plan(table, lambda session, t: _plan(session, actor, t))


def import_staff(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file again and, only if every row is valid, apply it in one transaction."""
    require(actor, Action.IMPORT_STAFF)
    table = read_csv(data, LAYOUT)
    if isinstance(table, ImportReport):
        return table
    return apply_import(
        table,
        lambda session, t: _plan(session, actor, t),
        lambda session, plan: _apply(session, actor, plan),
        # Someone else changed staff records between our checks and our writes.
        "Someone changed staff records while this import was running, so nothing was imported. "
        "Check the file again and re-run it.",
    )


# ------------------------------------------------------------------- checking


@dataclass
class _Planned:
    """One row, checked: what it says and what it would do."""

    row: Row
    errors: dict[str, str] = field(default_factory=dict)
    data: UserCreate | None = None
    existing: User | None = None
    team_id: int | None = None
    supervisor_row: _Planned | None = None  # supervisor defined in this file
    supervisor_user: User | None = None  # supervisor already in the portal
    roles: list[Role] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    user: User | None = None  # set while applying

    @property
    def staff_id(self) -> str:
        return self.row.cells["staff_id"]

    @property
    def email(self) -> str:
        return self.data.email if self.data else normalise_email(self.row.cells["email"])

    def fail(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)


@dataclass
class _Plan(CountedPlan):
    rows: list[_Planned]
    file_errors: list[RowError] = field(default_factory=list)

    def errors(self) -> list[RowError]:
        found = list(self.file_errors)
        for planned in self.rows:
            found.extend(row_errors(planned.row.number, planned.errors, _COLUMN_ORDER))
        return found


def _parse_grade(planned: _Planned) -> Grade | str | None:
    raw = planned.row.cells["grade"]
    if not raw:
        planned.fail("grade", f"enter a grade (one of {_GRADE_LIST}).")
        return None
    grade = _GRADES.get(raw.lower())
    if grade is None:
        planned.fail("grade", f"grade '{shown(raw)}' is not one of {_GRADE_LIST}.")
        return raw
    return grade


def _parse_roles(planned: _Planned) -> list[Role]:
    raw = planned.row.cells["roles"]
    roles: list[Role] = []
    unknown: list[str] = []
    for part in raw.split(ROLE_SEPARATOR):
        name = heading(part)
        if not name:
            continue
        role = _ROLES.get(name)
        if role is None:
            unknown.append(part.strip())
        elif role not in roles:
            roles.append(role)
    if unknown:
        listed = ", ".join(f"'{shown(u, 30)}'" for u in unknown[:3])
        noun = "role" if len(unknown) == 1 else "roles"
        verb = "is" if len(unknown) == 1 else "are"
        planned.fail(
            "roles", f"{noun} {listed} {verb} not one of {_ROLE_LIST} (separate several with '{ROLE_SEPARATOR}')."
        )
    elif not roles:
        planned.fail("roles", f"enter at least one role: {_ROLE_LIST} (separate several with '{ROLE_SEPARATOR}').")
    return roles


class _Lookups:
    """Everything the checks need from the database, loaded once."""

    def __init__(self, session: Session) -> None:
        self.users = list(session.exec(select(User)))
        self.by_staff_id = {u.staff_id: u for u in self.users if u.staff_id}
        self.by_email = {u.email: u for u in self.users}
        pdus = list(session.exec(select(Pdu)))
        self.pdus_exact = {p.name: p for p in pdus}
        self.pdus_folded = {p.name.casefold(): p for p in pdus}
        teams = list(session.exec(select(Team)))
        self.teams_exact = {(t.pdu_id, t.name): t for t in teams}
        self.teams_folded = {(t.pdu_id, t.name.casefold()): t for t in teams}

    def pdu(self, name: str) -> Pdu | None:
        return self.pdus_exact.get(name) or self.pdus_folded.get(name.casefold())

    def team(self, pdu_id: int, name: str) -> Team | None:
        return self.teams_exact.get((pdu_id, name)) or self.teams_folded.get((pdu_id, name.casefold()))


def _check_fields(planned: _Planned, lookups: _Lookups) -> None:
    cells = planned.row.cells
    if planned.row.extra:
        planned.fail("row", "this row has more values than there are column headings.")
    if not cells["staff_id"]:
        planned.fail("staff_id", "enter a staff ID.")
    if not cells["email"]:
        planned.fail("email", "enter an email address.")
    grade = _parse_grade(planned)
    planned.roles = _parse_roles(planned)

    pdu_name, team_name = cells["pdu"], cells["team"]
    if pdu_name and not team_name:
        planned.fail("team", f"enter a team within PDU '{shown(pdu_name)}', or leave both PDU and team blank.")
    elif team_name and not pdu_name:
        planned.fail("pdu", f"enter the PDU that team '{shown(team_name)}' is in.")
    elif pdu_name:
        pdu = lookups.pdu(pdu_name)
        if pdu is None:
            planned.fail("pdu", f"there is no PDU '{shown(pdu_name)}'.")
        else:
            team = lookups.team(id_of(pdu), team_name)
            if team is None:
                planned.fail("team", f"there is no team '{shown(team_name)}' in PDU '{shown(pdu_name)}'.")
            else:
                planned.team_id = team.id

    form = {
        "full_name": cells["full_name"],
        "email": cells["email"],
        "grade": grade,
        "staff_id": cells["staff_id"] or None,
        "roles": planned.roles,
        "team_id": planned.team_id,
        "supervisor_id": None,
    }
    try:
        planned.data = validate(UserCreate, form)
    except ValidationFailed as exc:
        for model_field, message in exc.field_errors.items():
            column = _MODEL_FIELD_TO_COLUMN.get(model_field, model_field)
            planned.fail(column, sentence(message))  # our own, more specific, message wins


def _check_uniqueness(rows: list[_Planned], lookups: _Lookups) -> None:
    first_by_staff: dict[str, _Planned] = {}
    first_by_email: dict[str, _Planned] = {}
    for planned in rows:
        staff_id, email = planned.staff_id, planned.email
        if staff_id:
            earlier = first_by_staff.setdefault(staff_id, planned)
            if earlier is not planned:
                planned.fail(
                    "staff_id",
                    f"staff ID '{shown(staff_id)}' is already on row {earlier.row.number}; "
                    "each person can appear only once.",
                )
        if email:
            earlier = first_by_email.setdefault(email, planned)
            if earlier is not planned:
                planned.fail("email", f"email '{shown(email)}' is already used on row {earlier.row.number}.")
        owner = lookups.by_email.get(email) if email else None
        if owner is not None and owner.staff_id != staff_id:
            whose = f"staff ID '{owner.staff_id}'" if owner.staff_id else "no staff ID"
            planned.fail(
                "email",
                f"email '{shown(email)}' already belongs to {owner.full_name} ({whose}) in the portal. "
                "Use a different email, or give that person this staff ID first.",
            )


def _check_supervisors(rows: list[_Planned], lookups: _Lookups) -> None:
    in_file_by_staff: dict[str, _Planned] = {}
    in_file_by_email: dict[str, _Planned] = {}
    for planned in rows:
        if planned.staff_id:
            in_file_by_staff.setdefault(planned.staff_id, planned)
        if planned.email:
            in_file_by_email.setdefault(planned.email, planned)

    def resolve(value: str) -> tuple[_Planned | None, User | None]:
        if value in in_file_by_staff:
            target = in_file_by_staff[value]
            return target, lookups.by_staff_id.get(value)
        if value in lookups.by_staff_id:
            return None, lookups.by_staff_id[value]
        email = normalise_email(value)
        if email in in_file_by_email:
            target = in_file_by_email[email]
            return target, lookups.by_staff_id.get(target.staff_id)
        user = lookups.by_email.get(email)
        if user is not None:
            return in_file_by_staff.get(user.staff_id or ""), user
        return None, None

    for planned in rows:
        value = planned.row.cells["supervisor"]
        if not value:
            if Role.PRACTITIONER in planned.roles:
                planned.fail("supervisor", "a practitioner needs a supervisor: enter their staff ID or email.")
            continue
        target_row, target_user = resolve(value)
        if target_row is None and target_user is None:
            planned.fail(
                "supervisor",
                f"supervisor '{shown(value)}' does not match the staff ID or email of anyone "
                "in this file or already in the portal.",
            )
        elif target_row is planned:
            planned.fail("supervisor", "nobody can be their own supervisor.")
        elif target_user is not None and not target_user.is_active:
            planned.fail(
                "supervisor",
                f"supervisor '{shown(value)}' ({target_user.full_name}) has been deactivated; "
                "choose an active member of staff.",
            )
        else:
            planned.supervisor_row = target_row
            planned.supervisor_user = target_user


def _supervisor_id(planned: _Planned) -> int | None:
    """The supervisor's id once applied; ``None`` before creation for a new person."""
    if planned.supervisor_row is not None:
        target = planned.supervisor_row
        if target.user is not None:
            return target.user.id
        if target.existing is not None:
            return target.existing.id
        return None
    if planned.supervisor_user is not None:
        return planned.supervisor_user.id
    return None


def _has_supervisor(planned: _Planned) -> bool:
    return planned.supervisor_row is not None or planned.supervisor_user is not None


def _work_out_changes(session: Session, actor: Actor, rows: list[_Planned]) -> None:
    existing_ids = [id_of(p.existing) for p in rows if p.existing is not None]
    current_roles = roles_by_user(session, existing_ids)
    for planned in rows:
        user, data = planned.existing, planned.data
        if user is None or data is None:
            continue
        if user.id == actor.id and Role.ADMIN not in planned.roles:
            planned.fail("roles", "you cannot remove your own administrator role.")
            continue
        changes = [name for name in ("full_name", "email", "grade") if getattr(user, name) != getattr(data, name)]
        if user.team_id != planned.team_id:
            changes.append("team")
        wanted_supervisor = _supervisor_id(planned)
        if (wanted_supervisor is None and _has_supervisor(planned)) or user.supervisor_id != wanted_supervisor:
            changes.append("supervisor")
        if set(current_roles.get(id_of(user), [])) != set(planned.roles):
            changes.append("roles")
        planned.changes = changes


def _plan(session: Session, actor: Actor, table: Table) -> _Plan:
    lookups = _Lookups(session)
    rows = [_Planned(row) for row in table.rows]
    for planned in rows:
        _check_fields(planned, lookups)
        if planned.staff_id:
            planned.existing = lookups.by_staff_id.get(planned.staff_id)
    _check_uniqueness(rows, lookups)
    _check_supervisors(rows, lookups)
    _work_out_changes(session, actor, rows)
    return _Plan(rows)


# -------------------------------------------------------------------- applying


def _apply(session: Session, actor: Actor, plan: _Plan) -> None:
    created = [p for p in plan.rows if p.existing is None]
    updated = [p for p in plan.rows if p.existing is not None and p.changes]

    # New people first, so that supervisors defined in this file have ids.
    for planned in created:
        data = planned.data
        assert data is not None
        planned.user = User(
            full_name=data.full_name,
            email=data.email,
            grade=data.grade,
            staff_id=data.staff_id,
            team_id=planned.team_id,
            supervisor_id=None,
            password_hash=None,  # they sign in by single sign-on, or an admin sets a password
            is_active=True,
        )
        session.add(planned.user)
    session.flush()

    for planned in created:
        user = planned.user
        assert user is not None
        user.supervisor_id = _supervisor_id(planned)
        session.add(user)
        set_roles(session, id_of(user), planned.roles)
        trail.record(
            session, actor, "imported", "user", user.id, "imported from CSV; roles: " + ", ".join(planned.roles)
        )

    for planned in updated:
        user, data = planned.existing, planned.data
        assert user is not None and data is not None
        user.full_name = data.full_name
        user.email = data.email
        user.grade = data.grade
        user.team_id = planned.team_id
        user.supervisor_id = _supervisor_id(planned)
        user.updated_at = utcnow()
        session.add(user)
        set_roles(session, id_of(user), planned.roles)
        trail.record(
            session, actor, "changed", "user", user.id, "changed by staff import: " + ", ".join(planned.changes)
        )

    record_summary(session, actor, "staff_import", "user", len(plan.rows), len(created), len(updated))
    session.flush()
    _tell_administrators_who_to_place(session, actor, created)


def _tell_administrators_who_to_place(session: Session, actor: Actor, created: list[_Planned]) -> None:
    """A new starter imported without a team, or a practitioner without a supervisor, waits on an
    administrator: the others are told (the one who imported sees it in the import report)."""
    admins = besides(actor.id, *administrators(session))
    for planned in created:
        user = planned.user
        assert user is not None
        needs_team = user.team_id is None and bool(set(planned.roles) & {Role.PRACTITIONER, Role.SPO, Role.QA_LEAD})
        needs_supervisor = user.supervisor_id is None and Role.PRACTITIONER in planned.roles
        if needs_team or needs_supervisor:
            ref = RecordRef(RecordKind.USER, id_of(user))
            notify(
                session, kind="person_to_place", recipient_ids=admins, record=ref, occasion=f"person_to_place:{ref.id}"
            )
