"""Importing staff from a CSV file (administrators only).

The file is checked in full before anything is written. Every problem is
reported against the row a spreadsheet user sees (the heading row is row 1, so
the first person is on row 2), and while any problem remains nothing is
imported, so the file can be fixed and run again safely. Rows are matched to
existing accounts by ``staff_id``: a matching account is updated where the file
differs, and left untouched (no trail entry, no new ``updated_at``) where it does
not, so importing the same file twice changes nothing the second time.

Field rules are the user form's own (:class:`db.models.UserCreate`), so a name
that is too long for the form is too long for the import too, and is refused
rather than cut short. Accounts missing from the file are never deactivated.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.engine import session_scope
from db.models import Grade, Pdu, Role, Team, User, UserCreate, normalise_email, utcnow
from qa import trail
from qa.actor import Actor
from qa.directory import roles_by_user, set_roles
from qa.errors import ValidationFailed
from qa.policy import Action, require
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
MAX_ROWS = 5_000
MAX_BYTES = 2 * 1024 * 1024
FILE_LEVEL = 0  # the row number given to problems with the file as a whole

_GRADES = {g.value.lower(): g for g in Grade}
_ROLES = {r.value: r for r in Role}
_GRADE_LIST = ", ".join(g.value for g in Grade)
_ROLE_LIST = ", ".join(r.value for r in Role)
_MODEL_FIELD_TO_COLUMN = {"team_id": "team", "supervisor_id": "supervisor"}
_COLUMN_ORDER = {name: i for i, name in enumerate(STAFF_COLUMNS)}
_SAVE_AS_HINT = "In Excel, use Save As and choose 'CSV UTF-8 (Comma delimited)'."


# --------------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the spreadsheet row (heading = 1); 0 means the whole file."""

    row: int
    field: str | None
    message: str

    @property
    def file_level(self) -> bool:
        return self.row == FILE_LEVEL

    def __str__(self) -> str:
        return self.message


@dataclass
class ImportReport:
    """What an import found, and (after :func:`import_staff`) what it did.

    While there are errors the counts are all zero: nothing was, or would be,
    changed. ``rows`` is the number of people read from the file.
    """

    errors: list[RowError] = field(default_factory=list)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    rows: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]


# ---------------------------------------------------------------- the template


def template_csv() -> str:
    """A heading row and one obviously made-up person, to download and fill in."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STAFF_COLUMNS)
    writer.writerow(
        [
            "EXAMPLE01",
            "Alex Example",
            "alex.example@example.org",
            "PO",
            "practitioner;qa_lead",
            "Example PDU",
            "Example Team",
            "sam.example@example.org",
        ]
    )
    return out.getvalue()


# -------------------------------------------------------------------- services


def preview_import(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file and say what importing it would do. Changes nothing."""
    require(actor, Action.IMPORT_STAFF)
    parsed = _parse_file(data)
    if isinstance(parsed, ImportReport):
        return parsed
    with session_scope() as session:
        plan = _plan(session, actor, parsed)
        report = plan.report()
        session.rollback()  # belt and braces: a preview never writes
    return report


def import_staff(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file again and, only if every row is valid, apply it in one transaction."""
    require(actor, Action.IMPORT_STAFF)
    parsed = _parse_file(data)
    if isinstance(parsed, ImportReport):
        return parsed
    try:
        with session_scope() as session:
            plan = _plan(session, actor, parsed)
            report = plan.report()
            if report.ok:
                _apply(session, actor, plan)
                report.applied = True
            else:
                session.rollback()
    except IntegrityError:
        # Someone else changed staff records between our checks and our writes.
        return _file_error(
            "Someone changed staff records while this import was running, so nothing was imported. "
            "Check the file again and re-run it.",
            rows=len(parsed),
        )
    return report


# --------------------------------------------------------------- reading files


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    extra: bool = False  # values beyond the last heading


def _file_error(message: str, rows: int = 0) -> ImportReport:
    return ImportReport(errors=[RowError(FILE_LEVEL, None, message)], rows=rows)


def _as_text(data: bytes | bytearray | memoryview | str) -> str | ImportReport:
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            return _file_error(f"The file is not UTF-8 text. {_SAVE_AS_HINT}")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError("data must be the file's bytes or text")
    if len(raw) > MAX_BYTES:
        size = len(raw) / (1024 * 1024)
        return _file_error(
            f"The file is {size:.1f} MB; the largest file you can import is {MAX_BYTES // (1024 * 1024)} MB. "
            "Split it into smaller files."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _file_error(f"The file is not UTF-8 text. {_SAVE_AS_HINT}")
    if "\x00" in text:
        return _file_error(f"The file is not a CSV file: it contains binary data. {_SAVE_AS_HINT}")
    return text


def _heading(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


def _parse_file(data: bytes | str) -> list[_Row] | ImportReport:
    text = _as_text(data)
    if isinstance(text, ImportReport):
        return text
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return _file_error(f"The file could not be read as CSV. {_SAVE_AS_HINT}")

    numbered = [(i, rec) for i, rec in enumerate(records, start=1) if not _blank(rec)]
    if not numbered:
        return _file_error("The file is empty. It needs a heading row and at least one person.")
    header_number, header = numbered[0]
    headings = [_heading(c) for c in header]

    missing = [c for c in REQUIRED_COLUMNS if c not in headings]
    if missing:
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            return _file_error(
                "The file does not look like comma-separated values: its heading row uses another separator. "
                + _SAVE_AS_HINT
            )
        plural = "column" if len(missing) == 1 else "columns"
        return _file_error(
            f"The file is missing the {plural} {', '.join(missing)}. "
            f"The heading row (row {header_number}) must include: {', '.join(STAFF_COLUMNS)}."
        )
    repeated = sorted({h for h in headings if h in STAFF_COLUMNS and headings.count(h) > 1}, key=_COLUMN_ORDER.get)
    if repeated:
        return _file_error(f"The heading row has the column {', '.join(repeated)} more than once.")

    position = {h: i for i, h in enumerate(headings) if h in STAFF_COLUMNS}
    rows = []
    for number, record in numbered[1:]:
        cells = {col: (record[i].strip() if i < len(record) else "") for col, i in position.items()}
        extra = any(cell.strip() for cell in record[len(headings) :])
        rows.append(_Row(number, cells, extra))
    if not rows:
        return _file_error("The file has a heading row but no people in it.")
    if len(rows) > MAX_ROWS:
        return _file_error(
            f"The file has {len(rows):,} people; one import can take at most {MAX_ROWS:,}. "
            "Split it into smaller files."
        )
    return rows


# ------------------------------------------------------------------- checking


def _shown(value: str, limit: int = 60) -> str:
    """A value quoted back to the user, kept short."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _sentence(message: str) -> str:
    message = message.strip().removesuffix("Nothing has been saved.").strip()
    if len(message) > 1 and message[0].isupper() and not message[1].isupper():
        message = message[0].lower() + message[1:]
    if message and message[-1] not in ".!?":
        message += "."
    return message


@dataclass
class _Planned:
    """One row, checked: what it says and what it would do."""

    row: _Row
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
class _Plan:
    rows: list[_Planned]
    file_errors: list[RowError] = field(default_factory=list)

    def errors(self) -> list[RowError]:
        found = list(self.file_errors)
        for planned in self.rows:
            for column, message in sorted(planned.errors.items(), key=lambda kv: _COLUMN_ORDER.get(kv[0], -1)):
                found.append(RowError(planned.row.number, column, f"Row {planned.row.number}: {message}"))
        return found

    def report(self) -> ImportReport:
        errors = self.errors()
        report = ImportReport(errors=errors, rows=len(self.rows))
        if not errors:
            report.to_create = sum(1 for p in self.rows if p.existing is None)
            report.to_update = sum(1 for p in self.rows if p.existing is not None and p.changes)
            report.unchanged = sum(1 for p in self.rows if p.existing is not None and not p.changes)
        return report


def _parse_grade(planned: _Planned) -> Grade | str | None:
    raw = planned.row.cells["grade"]
    if not raw:
        planned.fail("grade", f"enter a grade (one of {_GRADE_LIST}).")
        return None
    grade = _GRADES.get(raw.lower())
    if grade is None:
        planned.fail("grade", f"grade '{_shown(raw)}' is not one of {_GRADE_LIST}.")
        return raw
    return grade


def _parse_roles(planned: _Planned) -> list[Role]:
    raw = planned.row.cells["roles"]
    roles: list[Role] = []
    unknown: list[str] = []
    for part in raw.split(ROLE_SEPARATOR):
        name = _heading(part)
        if not name:
            continue
        role = _ROLES.get(name)
        if role is None:
            unknown.append(part.strip())
        elif role not in roles:
            roles.append(role)
    if unknown:
        listed = ", ".join(f"'{_shown(u, 30)}'" for u in unknown[:3])
        noun = "role" if len(unknown) == 1 else "roles"
        verb = "is" if len(unknown) == 1 else "are"
        planned.fail("roles", f"{noun} {listed} {verb} not one of {_ROLE_LIST} (separate several with '{ROLE_SEPARATOR}').")
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
        planned.fail("team", f"enter a team within PDU '{_shown(pdu_name)}', or leave both PDU and team blank.")
    elif team_name and not pdu_name:
        planned.fail("pdu", f"enter the PDU that team '{_shown(team_name)}' is in.")
    elif pdu_name:
        pdu = lookups.pdu(pdu_name)
        if pdu is None:
            planned.fail("pdu", f"there is no PDU '{_shown(pdu_name)}'.")
        else:
            team = lookups.team(pdu.id, team_name)
            if team is None:
                planned.fail("team", f"there is no team '{_shown(team_name)}' in PDU '{_shown(pdu_name)}'.")
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
            planned.fail(column, _sentence(message))  # our own, more specific, message wins


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
                    f"staff ID '{_shown(staff_id)}' is already on row {earlier.row.number}; "
                    "each person can appear only once.",
                )
        if email:
            earlier = first_by_email.setdefault(email, planned)
            if earlier is not planned:
                planned.fail("email", f"email '{_shown(email)}' is already used on row {earlier.row.number}.")
        owner = lookups.by_email.get(email) if email else None
        if owner is not None and owner.staff_id != staff_id:
            whose = f"staff ID '{owner.staff_id}'" if owner.staff_id else "no staff ID"
            planned.fail(
                "email",
                f"email '{_shown(email)}' already belongs to {owner.full_name} ({whose}) in the portal. "
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
                f"supervisor '{_shown(value)}' does not match the staff ID or email of anyone "
                "in this file or already in the portal.",
            )
        elif target_row is planned:
            planned.fail("supervisor", "nobody can be their own supervisor.")
        elif target_user is not None and not target_user.is_active:
            planned.fail(
                "supervisor",
                f"supervisor '{_shown(value)}' ({target_user.full_name}) has been deactivated; "
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
    existing_ids = [p.existing.id for p in rows if p.existing is not None]
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
        if set(current_roles.get(user.id, [])) != set(planned.roles):
            changes.append("roles")
        planned.changes = changes


def _plan(session: Session, actor: Actor, parsed: Iterable[_Row]) -> _Plan:
    lookups = _Lookups(session)
    rows = [_Planned(row) for row in parsed]
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
        set_roles(session, user.id, planned.roles)
        trail.record(session, actor, "imported", "user", user.id, "imported from CSV; roles: " + ", ".join(planned.roles))

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
        set_roles(session, user.id, planned.roles)
        trail.record(session, actor, "changed", "user", user.id, "changed by staff import: " + ", ".join(planned.changes))

    if created or updated:
        unchanged = len(plan.rows) - len(created) - len(updated)
        trail.record(
            session,
            actor,
            "staff_import",
            "user",
            None,
            f"created {len(created)}, updated {len(updated)}, unchanged {unchanged}",
        )
    session.flush()
