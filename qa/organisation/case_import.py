"""Importing cases from a CSV extract (administrators and QA leads).

A case in the portal is a thin pointer to a case held in nDelius: a pseudonymous
case reference (such as a CRN), where it is held and by whom, the order or
licence, its dates, the risk of serious harm level and whether the person is in
custody. Names, dates of birth and addresses of people on probation are never
stored, and a file whose heading row has columns that look like them is refused
as a whole, with an explanation, before any row is read.

Like the staff import, the file is checked in full before anything is written;
every problem is reported against the spreadsheet row (heading = row 1); while
any problem remains nothing is imported. Rows are matched to existing cases by
case reference: a matching case is updated where the file differs and left
untouched (no trail entry, no new ``updated_at``) where it does not, so importing
the same file twice changes nothing the second time. Cases missing from the file
are never removed.

An administrator may import cases for any PDU. A QA lead may import cases for
their own PDU only, and may not move a case that is held in another PDU.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict

from sqlmodel import Session, col, select

from db.organisation import CASE_REF_MAX, Case, OrderType, Pdu, Role, RoshLevel, Team, User, normalise_email, utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
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
    file_error,
    read_csv,
    record_summary,
    row_errors,
    shown,
    template,
)
from qa.organisation.csv_import import apply as apply_import
from qa.organisation.csv_import import preview as preview_plan

#: The heading row, in the order the template uses. Columns may come in any
#: order and any case. ``expected_end_date`` may be left out, or left blank.
CASE_COLUMNS: tuple[str, ...] = (
    "case_ref",
    "pdu",
    "team",
    "holder",
    "order_type",
    "start_date",
    "rosh",
    "in_custody",
    "expected_end_date",
)
REQUIRED_COLUMNS: tuple[str, ...] = CASE_COLUMNS[:-1]
LAYOUT = CsvLayout(columns=CASE_COLUMNS, required=REQUIRED_COLUMNS, item="case", items="cases")

__all__ = [
    "CASE_COLUMNS",
    "COLUMN_HELP",
    "FILE_LEVEL",
    "MAX_BYTES",
    "MAX_ROWS",
    "ORDER_TYPE_SYNONYMS",
    "PERSONAL_DATA_REFUSAL",
    "REQUIRED_COLUMNS",
    "ImportReport",
    "RowError",
    "import_cases",
    "personal_data_columns",
    "preview_import",
    "template_csv",
]

_ORDER_TYPE_LIST = ", ".join(t.value for t in OrderType)
_ROSH_LIST = ", ".join(r.value for r in RoshLevel)
DATE_HINT = "Use YYYY-MM-DD, like 2024-02-29."

#: What each column holds, in plain English, for the upload page.
COLUMN_HELP: dict[str, str] = {
    "case_ref": (
        f"Required. The case reference, such as the CRN: up to {CASE_REF_MAX} letters, digits and hyphens. "
        "It is how a later import finds the case again. Never a name."
    ),
    "pdu": "Required. The PDU that holds the case.",
    "team": "Required. The team within that PDU.",
    "holder": "Required. The case-holding practitioner's staff ID or work email. They must be active in the portal.",
    "order_type": (f"Required. One of {_ORDER_TYPE_LIST}. CO, SSO, CP, UPW and 'Unpaid work' are understood too."),
    "start_date": "Required. YYYY-MM-DD (like 2024-02-29) or DD/MM/YYYY (like 29/02/2024).",
    "rosh": f"Required. The risk of serious harm level: {_ROSH_LIST}.",
    "in_custody": "yes or no (also y/n, true/false, 1/0). Blank means no.",
    "expected_end_date": (
        "Optional. As for the start date, and not before it. Leave blank for no end date. "
        "If the file has no such column, cases already in the portal keep their end date."
    ),
}


# ---------------------------------------------------------------- the template


def template_csv() -> str:
    """A heading row and one obviously made-up case, to download and fill in."""
    return template(
        CASE_COLUMNS,
        [
            "EXAMPLE-001",
            "Example PDU",
            "Example Team",
            "EXAMPLE01",
            OrderType.CO.value,
            "2024-02-29",
            RoshLevel.MEDIUM.value,
            "no",
            "2025-02-28",
        ],
    )


# ------------------------------------------------ personal data in the headings

PERSONAL_DATA_REFUSAL = "The portal never stores names, dates of birth or addresses: remove {that} and upload again."

# Headings are split into lower-case words (camelCase, digits, spaces, '_' and
# '-' all separate words); these runs of words are then read as one word.
_PHRASES: dict[tuple[str, ...], str] = {
    ("first", "name"): "firstname",
    ("last", "name"): "lastname",
    ("full", "name"): "fullname",
    ("given", "name"): "givenname",
    ("middle", "name"): "middlename",
    ("family", "name"): "familyname",
    ("maiden", "name"): "maidenname",
    ("preferred", "name"): "preferredname",
    ("sur", "name"): "surname",
    ("fore", "name"): "forename",
    ("date", "of", "birth"): "dateofbirth",
    ("birth", "date"): "birthdate",
    ("place", "of", "birth"): "birthplace",
    ("post", "code"): "postcode",
    ("zip", "code"): "zipcode",
    ("e", "mail"): "email",
    ("email", "address"): "email",  # an email address is contact details, not where someone lives
    ("phone", "number"): "phone",
    ("national", "insurance"): "nino",
    ("ni", "number"): "nino",
    ("ni", "no"): "nino",
    ("prison", "number"): "prisonnumber",
    ("nhs", "number"): "nhsnumber",
    ("driving", "licence"): "drivinglicence",
    ("driving", "license"): "drivinglicence",
}
#: Words that name a person or how to contact them. Used with a word naming staff
#: or the organisation ("team name", "practitioner email") they are not about the
#: person on probation, so they are not refused (the column is simply ignored).
_NAME_OR_CONTACT = frozenset(
    {
        "name", "names", "forename", "forenames", "surname", "surnames", "firstname", "lastname", "fullname",
        "givenname", "middlename", "familyname", "maidenname", "preferredname", "nickname", "alias", "aliases",
        "email", "emails", "phone", "telephone", "tel", "mobile", "fax",
    }
)  # fmt: skip
#: Words that are always refused: birth, where someone lives, and identifiers.
_ALWAYS_PERSONAL = frozenset(
    {
        "dob", "birth", "birthday", "birthdate", "dateofbirth", "birthplace",
        "address", "addresses", "addr", "postcode", "postcodes", "zipcode", "street", "town", "city",
        "nino", "pnc", "cro", "noms", "nomis", "prisonnumber", "nhsnumber", "passport", "drivinglicence",
    }
)  # fmt: skip
_STAFF_OR_ORG = frozenset(
    {
        "team", "teams", "pdu", "region", "office", "practitioner", "holder", "staff", "officer", "manager",
        "om", "com", "pom", "supervisor", "spo", "worker", "court", "offence", "order", "requirement",
        "programme", "intervention", "provider",
    }
)  # fmt: skip


#: Where one word ends and the next begins inside a heading without spaces:
#: "DateOfBirth", "PNCNumber", "Address1".
_WORD_BOUNDARY = re.compile(
    r"(?<=[a-z])(?=[A-Z])"  # camelCase
    r"|(?<=[A-Z])(?=[A-Z][a-z])"  # an acronym, then a word
    r"|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"  # letters next to digits
)


def _words(cell: str) -> list[str]:
    spaced = _WORD_BOUNDARY.sub(" ", cell)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    joined: list[str] = []
    i = 0
    while i < len(words):
        for phrase, word in _PHRASES.items():
            if tuple(words[i : i + len(phrase)]) == phrase:
                joined.append(word)
                i += len(phrase)
                break
        else:
            joined.append(words[i])
            i += 1
    return joined


def _looks_personal(cell: str) -> bool:
    words = _words(cell)
    found = set(words)
    compact = "".join(words)
    if found & _ALWAYS_PERSONAL or compact in _ALWAYS_PERSONAL:
        return True
    if found & _NAME_OR_CONTACT or compact in _NAME_OR_CONTACT:
        return not found & _STAFF_OR_ORG
    return False


def personal_data_columns(headings: list[str]) -> list[str]:
    """The headings that look like personal details of the person on probation."""
    return [cell.strip() for cell in headings if _looks_personal(cell)]


def _refuse_personal_data(headings: list[str]) -> str | None:
    columns = personal_data_columns(headings)
    if not columns:
        return None
    quoted = ", ".join(f"'{shown(c, 40)}'" for c in columns)
    if len(columns) == 1:
        start = f"The column {quoted} looks like"
        that = "that column"
    else:
        start = f"The columns {quoted} look like"
        that = "those columns"
    return f"{start} personal details of the person on probation. " + PERSONAL_DATA_REFUSAL.format(that=that)


# ------------------------------------------------------------------- services


def _own_pdu_missing(actor: Actor) -> ImportReport | None:
    if actor.has(Role.ADMIN) or actor.pdu_id is not None:
        return None
    return file_error(
        "You are not in a team, so the portal does not know which PDU's cases you can import. "
        "Ask an administrator to add you to a team in your PDU."
    )


def preview_import(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file and say what importing it would do. Changes nothing."""
    require(actor, Action.IMPORT_CASES)
    refused = _own_pdu_missing(actor)
    if refused is not None:
        return refused
    table = read_csv(data, LAYOUT, _refuse_personal_data)
    if isinstance(table, ImportReport):
        return table
    return preview_plan(table, lambda session, t: _plan(session, actor, t))


def import_cases(actor: Actor, data: bytes | str) -> ImportReport:
    """Check a file again and, only if every row is valid, apply it in one transaction."""
    require(actor, Action.IMPORT_CASES)
    refused = _own_pdu_missing(actor)
    if refused is not None:
        return refused
    table = read_csv(data, LAYOUT, _refuse_personal_data)
    if isinstance(table, ImportReport):
        return table
    return apply_import(
        table,
        lambda session, t: _plan(session, actor, t),
        lambda session, plan: _apply(session, actor, plan),
        "Someone changed cases while this import was running, so nothing was imported. "
        "Check the file again and re-run it.",
    )


# ------------------------------------------------------------ reading values

_CASE_REF = re.compile(r"[A-Z0-9][A-Z0-9-]*")  # never a leading "-" (formula-like)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _key(value: str) -> str:
    """A value as the lookups compare it: lower case, punctuation and spacing folded."""
    return " ".join(re.split(r"[\s_\-()/.]+", value.lower())).strip()


#: Every way of writing an order type that the import understands, folded by ``_key``.
ORDER_TYPE_SYNONYMS: dict[str, OrderType] = {
    **{_key(t.value): t for t in OrderType},
    **{_key(t.name): t for t in OrderType},
    "co": OrderType.CO,
    "sso": OrderType.SSO,
    "suspended sentence": OrderType.SSO,
    "license": OrderType.LICENCE,
    "drug rehabilitation requirement": OrderType.DRR,
    "cp": OrderType.CP,
    "upw": OrderType.CP,
    "unpaid work": OrderType.CP,
    "community payback": OrderType.CP,
    "stand alone community payback": OrderType.CP,
    "standalone community payback": OrderType.CP,
    "community payback standalone": OrderType.CP,
}
_ROSH = {
    **{_key(r.value): r for r in RoshLevel},
    "v high": RoshLevel.VERY_HIGH,
    "veryhigh": RoshLevel.VERY_HIGH,
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


def _parse_date(value: str) -> date | None | str:
    """A date from YYYY-MM-DD or DD/MM/YYYY; ``None`` if blank; a problem in words otherwise."""
    if not value:
        return None
    iso, uk = _ISO_DATE.fullmatch(value), _UK_DATE.fullmatch(value)
    if iso:
        year, month, day = (int(p) for p in iso.groups())
    elif uk:
        day, month, year = (int(p) for p in uk.groups())
    else:
        return "is not a date"
    try:
        return date(year, month, day)
    except ValueError:
        return "is not a real date"


# ------------------------------------------------------------------- checking


class _CaseFields(TypedDict):
    """The fields of a case an import row sets."""

    pdu_id: int
    team_id: int
    holder_id: int
    order_type: OrderType
    start_date: date
    rosh: RoshLevel
    in_custody: bool
    expected_end_date: date | None


@dataclass
class _Planned:
    """One row, checked: what it says and what it would do."""

    row: Row
    errors: dict[str, str] = field(default_factory=dict)
    case_ref: str = ""
    pdu_id: int | None = None
    team_id: int | None = None
    holder_id: int | None = None
    order_type: OrderType | None = None
    start_date: date | None = None
    rosh: RoshLevel | None = None
    in_custody: bool = False
    expected_end_date: date | None = None
    existing: Case | None = None
    changes: list[str] = field(default_factory=list)

    def fail(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)

    def values(self, keep_end_date: bool) -> _CaseFields:
        """The case's fields as this row sets them (only asked of a row that passed its checks)."""
        end = self.existing.expected_end_date if keep_end_date and self.existing else self.expected_end_date
        if (
            self.pdu_id is None
            or self.team_id is None
            or self.holder_id is None
            or self.order_type is None
            or self.start_date is None
            or self.rosh is None
        ):
            raise ValueError(f"row {self.case_ref!r} has a field missing: its errors were not checked first.")
        return {
            "pdu_id": self.pdu_id,
            "team_id": self.team_id,
            "holder_id": self.holder_id,
            "order_type": self.order_type,
            "start_date": self.start_date,
            "rosh": self.rosh,
            "in_custody": self.in_custody,
            "expected_end_date": end,
        }


#: Case fields, and the column each one comes from (what the trail names).
_FIELD_COLUMNS = {
    "pdu_id": "pdu",
    "team_id": "team",
    "holder_id": "holder",
    "order_type": "order_type",
    "start_date": "start_date",
    "rosh": "rosh",
    "in_custody": "in_custody",
    "expected_end_date": "expected_end_date",
}


@dataclass
class _Plan(CountedPlan):
    rows: list[_Planned]
    keep_end_dates: bool  # the file has no expected_end_date column

    def errors(self) -> list[RowError]:
        found: list[RowError] = []
        for planned in self.rows:
            found.extend(row_errors(planned.row.number, planned.errors, LAYOUT.order))
        return found


class _Lookups:
    """Everything the checks need from the database, loaded once."""

    def __init__(self, session: Session, case_refs: list[str]) -> None:
        users = list(session.exec(select(User)))
        self.by_staff_id = {u.staff_id: u for u in users if u.staff_id}
        self.by_email = {u.email: u for u in users}
        pdus = list(session.exec(select(Pdu)))
        self.pdus_by_id = {p.id: p for p in pdus}
        self.pdus_exact = {p.name: p for p in pdus}
        self.pdus_folded = {p.name.casefold(): p for p in pdus}
        teams = list(session.exec(select(Team)))
        self.teams_exact = {(t.pdu_id, t.name): t for t in teams}
        self.teams_folded = {(t.pdu_id, t.name.casefold()): t for t in teams}
        self.cases: dict[str, Case] = {}
        wanted = sorted(set(case_refs))
        for start in range(0, len(wanted), 500):  # keep well inside every database's parameter limit
            chunk = wanted[start : start + 500]
            self.cases.update((c.case_ref, c) for c in session.exec(select(Case).where(col(Case.case_ref).in_(chunk))))

    def pdu(self, name: str) -> Pdu | None:
        return self.pdus_exact.get(name) or self.pdus_folded.get(name.casefold())

    def team(self, pdu_id: int, name: str) -> Team | None:
        return self.teams_exact.get((pdu_id, name)) or self.teams_folded.get((pdu_id, name.casefold()))

    def holder(self, value: str) -> User | None:
        return self.by_staff_id.get(value) or self.by_email.get(normalise_email(value))


def _check_case_ref(planned: _Planned) -> None:
    raw = planned.row.cells["case_ref"]
    ref = raw.strip().upper()
    if not ref:
        planned.fail("case_ref", "enter a case reference, such as the CRN.")
    elif len(ref) > CASE_REF_MAX:
        planned.fail(
            "case_ref",
            f"case reference '{shown(raw)}' is {len(ref)} characters long; the most is {CASE_REF_MAX}.",
        )
    elif not _CASE_REF.fullmatch(ref):
        planned.fail(
            "case_ref",
            f"case reference '{shown(raw)}' can only contain letters, digits and hyphens, and starts with a letter or digit, like X123456.",
        )
    else:
        planned.case_ref = ref


@dataclass(frozen=True)
class _Scope:
    """The one PDU a QA lead may import cases for. Administrators have no scope."""

    pdu_id: int | None  # a QA lead without a PDU: every PDU is another one
    name: str


def _check_org(planned: _Planned, lookups: _Lookups, scope: _Scope | None) -> None:
    """PDU, team and holder."""
    cells = planned.row.cells
    pdu_name, team_name, holder = cells["pdu"], cells["team"], cells["holder"]

    if not pdu_name:
        planned.fail("pdu", "enter the PDU that holds the case.")
    else:
        pdu = lookups.pdu(pdu_name)
        if pdu is None:
            planned.fail("pdu", f"there is no PDU '{shown(pdu_name)}'.")
        elif scope is not None and pdu.id != scope.pdu_id:
            planned.fail("pdu", f"you can import cases for {scope.name} only.")
        else:
            planned.pdu_id = pdu.id
    if not team_name:
        planned.fail("team", "enter the team that holds the case.")
    elif planned.pdu_id is not None:
        team = lookups.team(planned.pdu_id, team_name)
        if team is None:
            planned.fail("team", f"there is no team '{shown(team_name)}' in PDU '{shown(pdu_name)}'.")
        else:
            planned.team_id = team.id

    if not holder:
        planned.fail("holder", "enter the case holder's staff ID or email.")
    else:
        user = lookups.holder(holder)
        if user is None:
            planned.fail(
                "holder",
                f"case holder '{shown(holder)}' does not match the staff ID or email of anyone in the portal.",
            )
        elif not user.is_active:
            planned.fail(
                "holder",
                f"case holder '{shown(holder)}' ({user.full_name}) has been deactivated; "
                "choose an active member of staff.",
            )
        else:
            planned.holder_id = user.id


def _check_values(planned: _Planned) -> None:
    cells = planned.row.cells

    raw = cells["order_type"]
    if not raw:
        planned.fail("order_type", f"enter an order type: one of {_ORDER_TYPE_LIST}.")
    else:
        planned.order_type = ORDER_TYPE_SYNONYMS.get(_key(raw))
        if planned.order_type is None:
            planned.fail(
                "order_type",
                f"order type '{shown(raw)}' is not one of {_ORDER_TYPE_LIST}. "
                "CO, SSO, CP, UPW and 'Unpaid work' are understood too.",
            )

    for column, label in (("start_date", "start date"), ("expected_end_date", "expected end date")):
        raw = cells[column]
        parsed = _parse_date(raw)
        if isinstance(parsed, str):
            planned.fail(column, f"{label} '{shown(raw)}' {parsed}. {DATE_HINT}")
        elif parsed is None and column == "start_date":
            planned.fail(column, f"enter the start date. {DATE_HINT}")
        else:
            setattr(planned, column, parsed)

    raw = cells["rosh"]
    if not raw:
        planned.fail("rosh", f"enter the risk of serious harm level: {_ROSH_LIST}.")
    else:
        planned.rosh = _ROSH.get(_key(raw))
        if planned.rosh is None:
            planned.fail("rosh", f"risk of serious harm level '{shown(raw)}' is not one of {_ROSH_LIST}.")

    raw = cells["in_custody"].lower()
    if raw in _YES:
        planned.in_custody = True
    elif raw in _NO:
        planned.in_custody = False
    else:
        planned.fail("in_custody", f"in custody '{shown(cells['in_custody'])}' must be yes or no (blank means no).")


def _check_end_after_start(planned: _Planned, keep_end_dates: bool) -> None:
    start = planned.start_date
    if start is None or "expected_end_date" in planned.errors:
        return
    if planned.expected_end_date is not None and planned.expected_end_date < start:
        planned.fail(
            "expected_end_date",
            f"expected end date {planned.expected_end_date.isoformat()} is before the start date {start.isoformat()}.",
        )
    elif keep_end_dates and planned.existing is not None:
        kept = planned.existing.expected_end_date
        if kept is not None and kept < start:
            planned.fail(
                "start_date",
                f"start date {start.isoformat()} is after the case's expected end date {kept.isoformat()}, "
                "which the portal keeps because the file has no expected_end_date column. "
                "Add that column to change the end date.",
            )


def _check_duplicates(rows: list[_Planned]) -> None:
    first: dict[str, _Planned] = {}
    for planned in rows:
        if not planned.case_ref:
            continue
        earlier = first.setdefault(planned.case_ref, planned)
        if earlier is not planned:
            planned.fail(
                "case_ref",
                f"case reference '{planned.case_ref}' is already on row {earlier.row.number}; "
                "each case can appear only once.",
            )


def _work_out_changes(planned: _Planned, keep_end_dates: bool) -> None:
    case = planned.existing
    if case is None or planned.errors:
        return
    wanted = planned.values(keep_end_dates)
    planned.changes = [_FIELD_COLUMNS[name] for name, value in wanted.items() if getattr(case, name) != value]


def _plan(session: Session, actor: Actor, table: Table) -> _Plan:
    keep_end_dates = "expected_end_date" not in table.present
    rows = [_Planned(row) for row in table.rows]
    for planned in rows:
        _check_case_ref(planned)
    lookups = _Lookups(session, [p.case_ref for p in rows if p.case_ref])
    scope = None
    if not actor.has(Role.ADMIN):
        own = lookups.pdus_by_id.get(actor.pdu_id)
        scope = _Scope(actor.pdu_id, own.name if own else "your own PDU")

    for planned in rows:
        if planned.row.extra:
            planned.fail("row", "this row has more values than there are column headings.")
        if planned.case_ref:
            planned.existing = lookups.cases.get(planned.case_ref)
            if scope is not None and planned.existing is not None and planned.existing.pdu_id != scope.pdu_id:
                planned.fail(
                    "case_ref",
                    f"case {planned.case_ref} is held in another PDU; you can import cases for {scope.name} only.",
                )
        _check_org(planned, lookups, scope)
        _check_values(planned)
        _check_end_after_start(planned, keep_end_dates)
    _check_duplicates(rows)
    for planned in rows:
        _work_out_changes(planned, keep_end_dates)
    return _Plan(rows, keep_end_dates)


# -------------------------------------------------------------------- applying


def _apply(session: Session, actor: Actor, plan: _Plan) -> None:
    created = [p for p in plan.rows if p.existing is None]
    updated = [p for p in plan.rows if p.existing is not None and p.changes]

    new_cases = []
    for planned in created:
        new_case = Case(case_ref=planned.case_ref, **planned.values(keep_end_date=False))
        session.add(new_case)
        new_cases.append(new_case)
    session.flush()  # ids for the trail
    for new_case in new_cases:
        trail.record(session, actor, "imported", "case", new_case.id, "imported from CSV")

    for planned in updated:
        case = planned.existing
        assert case is not None
        for name, value in planned.values(plan.keep_end_dates).items():
            setattr(case, name, value)
        case.updated_at = utcnow()
        session.add(case)
        trail.record(
            session, actor, "changed", "case", case.id, "changed by case import: " + ", ".join(planned.changes)
        )

    record_summary(session, actor, "case_import", "case", len(plan.rows), len(created), len(updated))
    session.flush()
