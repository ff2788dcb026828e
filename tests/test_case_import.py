"""Importing cases from a CSV extract.

An administrator or QA lead uploads a spreadsheet of cases. Every row is
checked first; problems are reported against the row number the spreadsheet
shows (the heading is row 1, the first case row 2). While any row is wrong
nothing is imported. Importing the same file twice changes nothing the second
time. A file with columns that look like the names, dates of birth or
addresses of people on probation is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import func, select

from db.engine import session_scope
from db.organisation import AuditTrail, Case, Grade, OrderType, Role, RoshLevel
from pages import _registry as screens
from qa.errors import PermissionDenied
from qa.organisation.case_import import (
    CASE_COLUMNS,
    COLUMN_HELP,
    MAX_BYTES,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    ImportReport,
    RowError,
    import_cases,
    personal_data_columns,
    preview_import,
    template_csv,
)
from tests.conftest import examples
from tests.factories import PASSWORD, make_user

# ------------------------------------------------------------------ helpers


def case(ref: str, **overrides: str) -> dict[str, str]:
    """A valid case in Team A (North PDU) held by Pat, unless overridden."""
    row = {
        "case_ref": ref,
        "pdu": "North PDU",
        "team": "Team A",
        "holder": "P001",
        "order_type": "Community Order",
        "start_date": "2024-01-15",
        "rosh": "medium",
        "in_custody": "no",
        "expected_end_date": "2025-01-14",
    }
    row.update(overrides)
    return row


def csv_of(*rows: dict[str, str], columns=CASE_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def case_by_ref(ref: str) -> Case | None:
    with session_scope() as session:
        return session.exec(select(Case).where(Case.case_ref == ref)).first()


def count(model) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def snapshot() -> dict[str, tuple]:
    """Every case's stored state, to show that nothing moved."""
    with session_scope() as session:
        return {
            c.case_ref: (
                c.pdu_id, c.team_id, c.holder_id, c.order_type, c.start_date, c.rosh, c.in_custody,
                c.expected_end_date, c.updated_at,
            )
            for c in session.exec(select(Case))
        }  # fmt: skip


def trail_since(first_id: int) -> list[AuditTrail]:
    with session_scope() as session:
        return list(session.exec(select(AuditTrail).where(AuditTrail.id > first_id).order_by(AuditTrail.id)))


def last_trail_id() -> int:
    with session_scope() as session:
        return session.exec(select(func.max(AuditTrail.id))).one() or 0


@pytest.fixture
def admin(org):
    return org.actor(org.admin_id)


@pytest.fixture
def qa_lead(org):
    return org.actor(org.qa_lead_id)


def only_error(report: ImportReport) -> RowError:
    assert not report.ok
    assert len(report.errors) == 1, report.messages
    return report.errors[0]


# ------------------------------------------------------------ the template


def test_the_template_has_every_column_and_one_made_up_case():
    rows = list(csv.reader(io.StringIO(template_csv())))
    assert tuple(rows[0]) == CASE_COLUMNS
    assert len(rows) == 2
    assert rows[1][0].startswith("EXAMPLE")
    assert set(COLUMN_HELP) == set(CASE_COLUMNS)


def test_the_template_is_well_formed_apart_from_its_made_up_organisation(admin):
    report = preview_import(admin, template_csv())
    assert {e.field for e in report.errors} == {"pdu", "holder"}
    assert all(e.row == 2 for e in report.errors)


def test_the_expected_end_date_is_the_only_optional_column():
    assert set(CASE_COLUMNS) - set(REQUIRED_COLUMNS) == {"expected_end_date"}


# ------------------------------------------------------- a valid file works


def test_a_valid_file_creates_cases(org, admin):
    data = csv_of(
        case("X100001"),
        case("x100002", team="team b", holder="PAT@Example.org", order_type="SSO", rosh="very high",
             in_custody="yes", expected_end_date=""),
        case("X100003", pdu="south pdu", team="Team C", holder="olu@example.org", order_type="licence",
             start_date="29/02/2024", expected_end_date="01/03/2026", rosh="LOW"),
    )  # fmt: skip

    preview = preview_import(admin, data)
    assert preview.ok, preview.messages
    assert (preview.to_create, preview.to_update, preview.unchanged, preview.rows) == (3, 0, 0, 3)
    assert not preview.applied
    assert count(Case) == 0, "a preview writes nothing"

    trail_before = last_trail_id()
    report = import_cases(admin, data)
    assert report.ok and report.applied
    assert (report.to_create, report.to_update, report.unchanged) == (3, 0, 0)

    first, second, third = (case_by_ref(r) for r in ("X100001", "X100002", "X100003"))
    assert (first.pdu_id, first.team_id, first.holder_id) == (org.north_pdu_id, org.team_a_id, org.practitioner_id)
    assert first.order_type == OrderType.CO and first.rosh == RoshLevel.MEDIUM and first.in_custody is False
    assert (first.start_date, first.expected_end_date) == (date(2024, 1, 15), date(2025, 1, 14))
    assert second.case_ref == "X100002", "references are stored upper case"
    assert second.team_id == org.team_b_id and second.holder_id == org.practitioner_id
    assert second.order_type == OrderType.SSO and second.rosh == RoshLevel.VERY_HIGH
    assert second.in_custody is True and second.expected_end_date is None
    assert (third.pdu_id, third.team_id, third.holder_id) == (org.south_pdu_id, org.team_c_id, org.outsider_id)
    assert third.order_type == OrderType.LICENCE and third.rosh == RoshLevel.LOW
    assert (third.start_date, third.expected_end_date) == (date(2024, 2, 29), date(2026, 3, 1))

    added = trail_since(trail_before)
    assert [(a.action, a.entity) for a in added] == [("imported", "case")] * 3 + [("case_import", "case")]
    assert {a.entity_id for a in added[:3]} == {str(c.id) for c in (first, second, third)}
    assert all(a.summary == "imported from CSV" for a in added[:3])
    assert added[-1].entity_id is None and added[-1].summary == "created 3, updated 0, unchanged 0"
    assert all(a.actor_id == org.admin_id for a in added)


def test_headings_are_matched_ignoring_case_spaces_and_order(org, admin):
    text_ = (
        " Holder ,Case Ref,PDU,TEAM,order-type,Start Date,RoSH,In Custody,Expected End Date\r\n"
        "P001, x200001 ,North PDU,Team A, community order ,2024-03-01, High ,N,\r\n"
    )
    report = import_cases(admin, text_)
    assert report.ok, report.messages
    stored = case_by_ref("X200001")
    assert stored.rosh == RoshLevel.HIGH and stored.order_type == OrderType.CO and stored.in_custody is False


def test_the_expected_end_date_column_may_be_left_out(admin):
    columns = tuple(c for c in CASE_COLUMNS if c != "expected_end_date")
    report = import_cases(admin, csv_of(case("X200002"), columns=columns))
    assert report.ok, report.messages
    assert case_by_ref("X200002").expected_end_date is None


def test_a_utf8_file_saved_by_excel_with_a_byte_order_mark_is_read(admin):
    data = ("\ufeff" + csv_of(case("X200003"))).encode("utf-8")
    report = import_cases(admin, data)
    assert report.ok, report.messages
    assert case_by_ref("X200003") is not None


def test_blank_lines_are_skipped_but_still_counted_as_rows(admin):
    data = csv_of(case("X200004")) + "\r\n,,,,,,,,\r\n" + csv_of(case("X200005", rosh="severe")).split("\r\n", 1)[1]
    error = only_error(preview_import(admin, data))
    assert error.row == 5
    assert error.message.startswith("Row 5: risk of serious harm level 'severe'")


def test_columns_the_import_does_not_know_are_ignored(admin):
    columns = CASE_COLUMNS + ("Tier", "Notes", "Team name", "Practitioner email")
    row = {**case("X200006"), "Tier": "B2", "Notes": "anything", "Team name": "Team A", "Practitioner email": "x@y.z"}
    report = import_cases(admin, csv_of(row, columns=columns))
    assert report.ok, report.messages


@pytest.mark.parametrize(
    "written, stored",
    [
        ("Community Order", OrderType.CO),
        ("CO", OrderType.CO),
        ("community order", OrderType.CO),
        ("Suspended Sentence Order", OrderType.SSO),
        ("sso", OrderType.SSO),
        ("Licence", OrderType.LICENCE),
        ("licence", OrderType.LICENCE),
        ("License", OrderType.LICENCE),
        ("PPO", OrderType.PPO),
        ("DRR", OrderType.DRR),
        ("drr", OrderType.DRR),
        ("Community Payback (stand-alone)", OrderType.CP),
        ("stand-alone Community Payback", OrderType.CP),
        ("Community Payback", OrderType.CP),
        ("CP", OrderType.CP),
        ("UPW", OrderType.CP),
        ("Unpaid work", OrderType.CP),
        ("Other", OrderType.OTHER),
        ("OTHER", OrderType.OTHER),
    ],
)
def test_order_types_are_understood_in_their_common_forms(admin, written, stored):
    report = import_cases(admin, csv_of(case("X300001", order_type=written)))
    assert report.ok, report.messages
    assert case_by_ref("X300001").order_type == stored


@pytest.mark.parametrize(
    "written, stored",
    [
        ("low", RoshLevel.LOW),
        ("Low", RoshLevel.LOW),
        ("MEDIUM", RoshLevel.MEDIUM),
        ("high", RoshLevel.HIGH),
        ("very high", RoshLevel.VERY_HIGH),
        ("Very High", RoshLevel.VERY_HIGH),
        ("very_high", RoshLevel.VERY_HIGH),
        ("very-high", RoshLevel.VERY_HIGH),
        ("v high", RoshLevel.VERY_HIGH),
    ],
)
def test_risk_levels_are_understood_in_any_case(admin, written, stored):
    report = import_cases(admin, csv_of(case("X300002", rosh=written)))
    assert report.ok, report.messages
    assert case_by_ref("X300002").rosh == stored


@pytest.mark.parametrize(
    "written, stored",
    [("yes", True), ("Y", True), ("TRUE", True), ("1", True), ("no", False), ("n", False), ("False", False),
     ("0", False), ("", False)],
)  # fmt: skip
def test_in_custody_is_yes_or_no_and_blank_means_no(admin, written, stored):
    report = import_cases(admin, csv_of(case("X300003", in_custody=written)))
    assert report.ok, report.messages
    assert case_by_ref("X300003").in_custody is stored


@pytest.mark.parametrize(
    "written, stored",
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("29/02/2024", date(2024, 2, 29)),
        ("01/02/2024", date(2024, 2, 1)),  # UK order: day first
        ("1/2/2024", date(2024, 2, 1)),
        ("2024-2-1", date(2024, 2, 1)),
    ],
)
def test_dates_may_be_iso_or_uk_day_month_year(admin, written, stored):
    report = import_cases(admin, csv_of(case("X300004", start_date=written, expected_end_date="")))
    assert report.ok, report.messages
    assert case_by_ref("X300004").start_date == stored


def test_an_expected_end_date_on_the_start_date_is_allowed(admin):
    report = import_cases(admin, csv_of(case("X300005", start_date="2024-05-01", expected_end_date="01/05/2024")))
    assert report.ok, report.messages


# ----------------------------------------------------------- re-importing


def test_reimporting_the_same_file_changes_nothing(admin):
    data = csv_of(case("X400001"), case("X400002", expected_end_date=""), case("X400003", in_custody="yes"))
    first = import_cases(admin, data)
    assert (first.to_create, first.to_update, first.unchanged) == (3, 0, 0)
    before, trail_before = snapshot(), count(AuditTrail)

    again = import_cases(admin, data)

    assert again.ok and again.applied
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 3)
    assert snapshot() == before, "no field and no updated_at moved"
    assert count(AuditTrail) == trail_before, "an import that changes nothing leaves no trail"


def test_reimporting_with_other_spellings_of_the_same_values_changes_nothing(admin):
    import_cases(admin, csv_of(case("X400004")))
    before = snapshot()
    same = case("x400004", pdu="NORTH PDU", team="team a", holder="pat@example.org", order_type="CO",
                start_date="15/01/2024", rosh="Medium", in_custody="", expected_end_date="14/01/2025")  # fmt: skip
    report = import_cases(admin, csv_of(same))
    assert (report.to_create, report.to_update, report.unchanged) == (0, 0, 1)
    assert snapshot() == before


def test_a_changed_row_updates_only_that_case_and_says_which_fields(org, admin):
    import_cases(admin, csv_of(case("X400005"), case("X400006")))
    before, trail_before = snapshot(), last_trail_id()

    report = import_cases(admin, csv_of(case("X400005"), case("X400006", holder="pip@example.org", rosh="high")))

    assert (report.to_create, report.to_update, report.unchanged) == (0, 1, 1)
    after = snapshot()
    assert {ref for ref in before if before[ref] != after[ref]} == {"X400006"}
    changed = case_by_ref("X400006")
    assert changed.holder_id == org.peer_id and changed.rosh == RoshLevel.HIGH
    assert changed.updated_at > before["X400006"][8]
    added = trail_since(trail_before)
    assert [(a.action, a.entity, a.entity_id) for a in added] == [
        ("changed", "case", str(changed.id)),
        ("case_import", "case", None),
    ]
    assert added[0].summary == "changed by case import: holder, rosh"
    assert added[1].summary == "created 0, updated 1, unchanged 1"


def test_every_field_can_change_on_reimport(org, admin):
    import_cases(admin, csv_of(case("X400007")))
    moved = case("X400007", pdu="South PDU", team="Team C", holder="olu@example.org", order_type="DRR",
                 start_date="2024-02-01", rosh="low", in_custody="yes", expected_end_date="")  # fmt: skip
    trail_before = last_trail_id()
    report = import_cases(admin, csv_of(moved))
    assert (report.to_create, report.to_update) == (0, 1)
    stored = case_by_ref("X400007")
    assert (stored.pdu_id, stored.team_id, stored.holder_id) == (org.south_pdu_id, org.team_c_id, org.outsider_id)
    assert (stored.order_type, stored.rosh, stored.in_custody) == (OrderType.DRR, RoshLevel.LOW, True)
    assert (stored.start_date, stored.expected_end_date) == (date(2024, 2, 1), None)
    assert trail_since(trail_before)[0].summary == (
        "changed by case import: pdu, team, holder, order_type, start_date, rosh, in_custody, expected_end_date"
    )


def test_a_file_without_the_end_date_column_keeps_end_dates_already_held(admin):
    import_cases(admin, csv_of(case("X400008", expected_end_date="2025-06-30")))
    columns = tuple(c for c in CASE_COLUMNS if c != "expected_end_date")
    report = import_cases(admin, csv_of(case("X400008", rosh="high"), columns=columns))
    assert (report.to_update, report.unchanged) == (1, 0)
    stored = case_by_ref("X400008")
    assert stored.expected_end_date == date(2025, 6, 30) and stored.rosh == RoshLevel.HIGH

    again = import_cases(admin, csv_of(case("X400008", rosh="high"), columns=columns))
    assert (again.to_update, again.unchanged) == (0, 1)


def test_a_start_date_after_the_end_date_already_held_is_refused(admin):
    import_cases(admin, csv_of(case("X400009", expected_end_date="2025-06-30")))
    columns = tuple(c for c in CASE_COLUMNS if c != "expected_end_date")
    error = only_error(import_cases(admin, csv_of(case("X400009", start_date="2025-07-01"), columns=columns)))
    assert (error.row, error.field) == (2, "start_date")
    assert "after the case's expected end date 2025-06-30" in error.message


def test_cases_missing_from_the_file_are_left_alone(admin):
    import_cases(admin, csv_of(case("X400010"), case("X400011")))
    before = snapshot()
    report = import_cases(admin, csv_of(case("X400010")))
    assert report.ok and (report.to_create, report.to_update, report.unchanged) == (0, 0, 1)
    assert snapshot() == before


# ---------------------------------------------- nothing while anything is wrong


def test_one_bad_row_among_good_ones_imports_nothing(admin):
    import_cases(admin, csv_of(case("X500001")))
    before, trail_before = snapshot(), count(AuditTrail)
    data = csv_of(
        case("X500001", rosh="high"), case("X500002"), case("X500003", order_type="Youth Order"), case("X500004")
    )

    report = import_cases(admin, data)

    error = only_error(report)
    assert (error.row, error.field) == (4, "order_type")
    assert error.message == (
        "Row 4: order type 'Youth Order' is not one of Community Order, Suspended Sentence Order, Licence, PPO, DRR, "
        "Community Payback (stand-alone), Other. CO, SSO, CP, UPW and 'Unpaid work' are understood too."
    )
    assert not report.applied
    assert (report.to_create, report.to_update, report.unchanged) == (0, 0, 0)
    assert snapshot() == before and count(AuditTrail) == trail_before


def test_a_date_that_does_not_exist_is_explained(admin):
    error = only_error(import_cases(admin, csv_of(case("X500005"), case("X500006", start_date="31/02/2024"))))
    assert (error.row, error.field) == (3, "start_date")
    assert error.message == "Row 3: start date '31/02/2024' is not a real date. Use YYYY-MM-DD, like 2024-02-29."


def test_every_problem_on_every_row_is_reported_in_row_order(admin):
    data = csv_of(
        case("X500007", rosh="extreme", start_date="yesterday"),
        case("X500008"),
        case("", pdu="East PDU", holder="Z999", in_custody="maybe"),
    )
    report = preview_import(admin, data)
    assert [(e.row, e.field) for e in report.errors] == [
        (2, "start_date"),
        (2, "rosh"),
        (4, "case_ref"),
        (4, "pdu"),
        (4, "holder"),
        (4, "in_custody"),
    ]
    assert all(e.message.startswith(f"Row {e.row}: ") for e in report.errors)


def test_unknown_staff_team_and_pdu_are_each_reported(admin):
    data = csv_of(
        case("X500009", team="Team Z", holder="Z999"),
        case("X500010", pdu="East PDU", holder="nobody@example.org"),
    )
    report = preview_import(admin, data)
    assert report.messages == [
        "Row 2: there is no team 'Team Z' in PDU 'North PDU'.",
        "Row 2: case holder 'Z999' does not match the staff ID or email of anyone in the portal.",
        "Row 3: there is no PDU 'East PDU'.",
        "Row 3: case holder 'nobody@example.org' does not match the staff ID or email of anyone in the portal.",
    ]


# Each case: what to put on row 3 (the second case), which column the error is
# reported against, and words the message must contain.
ROW_ERRORS = [
    pytest.param({"case_ref": ""}, "case_ref", "enter a case reference", id="blank reference"),
    pytest.param({"case_ref": "X" * 21}, "case_ref", "is 21 characters long; the most is 20", id="long reference"),
    pytest.param(
        {"case_ref": "X 123"}, "case_ref", "can only contain letters, digits and hyphens", id="space in reference"
    ),
    pytest.param(
        {"case_ref": "X123/4"}, "case_ref", "can only contain letters, digits and hyphens", id="slash in reference"
    ),
    pytest.param(
        {"case_ref": "É123"}, "case_ref", "can only contain letters, digits and hyphens", id="accent in reference"
    ),
    pytest.param(
        {"case_ref": "X600001"},
        "case_ref",
        "case reference 'X600001' is already on row 2; each case can appear only once.",
        id="reference twice",
    ),
    pytest.param(
        {"case_ref": " x600001 "},
        "case_ref",
        "case reference 'X600001' is already on row 2",
        id="reference twice in another case",
    ),
    pytest.param({"pdu": ""}, "pdu", "enter the PDU", id="blank PDU"),
    pytest.param({"pdu": "East PDU"}, "pdu", "there is no PDU 'East PDU'.", id="unknown PDU"),
    pytest.param({"team": ""}, "team", "enter the team", id="blank team"),
    pytest.param({"team": "Team Z"}, "team", "there is no team 'Team Z' in PDU 'North PDU'.", id="unknown team"),
    pytest.param({"team": "Team C"}, "team", "there is no team 'Team C' in PDU 'North PDU'.", id="team in another PDU"),
    pytest.param({"holder": ""}, "holder", "enter the case holder's staff ID or email", id="blank holder"),
    pytest.param(
        {"holder": "Z999"},
        "holder",
        "case holder 'Z999' does not match the staff ID or email of anyone",
        id="unknown holder",
    ),
    pytest.param({"holder": "p001"}, "holder", "case holder 'p001' does not match", id="staff id is exact"),
    pytest.param(
        {"holder": "D001"},
        "holder",
        "case holder 'D001' (Dee Departed) has been deactivated",
        id="deactivated holder by staff id",
    ),
    pytest.param({"holder": "dee@example.org"}, "holder", "has been deactivated", id="deactivated holder by email"),
    pytest.param(
        {"order_type": ""}, "order_type", "enter an order type: one of Community Order", id="blank order type"
    ),
    pytest.param(
        {"order_type": "PSS"},
        "order_type",
        "order type 'PSS' is not one of Community Order, Suspended Sentence Order, Licence, PPO, DRR, Community Payback (stand-alone), Other.",
        id="unknown order type",
    ),
    pytest.param(
        {"start_date": ""},
        "start_date",
        "enter the start date. Use YYYY-MM-DD, like 2024-02-29.",
        id="blank start date",
    ),
    pytest.param(
        {"start_date": "31/02/2024"},
        "start_date",
        "start date '31/02/2024' is not a real date. Use YYYY-MM-DD, like 2024-02-29.",
        id="impossible UK date",
    ),
    pytest.param(
        {"start_date": "2023-02-29"},
        "start_date",
        "start date '2023-02-29' is not a real date.",
        id="impossible ISO date",
    ),
    pytest.param(
        {"start_date": "15 Jan 2024"},
        "start_date",
        "start date '15 Jan 2024' is not a date. Use YYYY-MM-DD, like 2024-02-29.",
        id="words date",
    ),
    pytest.param({"start_date": "15/01/24"}, "start_date", "is not a date", id="two-digit year"),
    pytest.param({"start_date": "20240115"}, "start_date", "is not a date", id="compact ISO"),
    pytest.param(
        {"expected_end_date": "2025-13-01"},
        "expected_end_date",
        "expected end date '2025-13-01' is not a real date",
        id="impossible end date",
    ),
    pytest.param(
        {"expected_end_date": "2023-12-31"},
        "expected_end_date",
        "expected end date 2023-12-31 is before the start date 2024-01-15.",
        id="end before start",
    ),
    pytest.param(
        {"rosh": ""}, "rosh", "enter the risk of serious harm level: low, medium, high, very high.", id="blank rosh"
    ),
    pytest.param(
        {"rosh": "VH"},
        "rosh",
        "risk of serious harm level 'VH' is not one of low, medium, high, very high.",
        id="unknown rosh",
    ),
    pytest.param(
        {"in_custody": "maybe"},
        "in_custody",
        "in custody 'maybe' must be yes or no (blank means no).",
        id="unknown custody",
    ),
]


@pytest.mark.parametrize("change, column, words", ROW_ERRORS)
def test_each_kind_of_row_problem_is_reported_on_its_row(org, admin, change, column, words):
    make_user("Dee Departed", "dee@example.org", Grade.PO, [Role.PRACTITIONER], staff_id="D001", active=False)
    before = snapshot()
    data = csv_of(case("X600001"), {**case("X600002"), **change}, case("X600003"))

    report = import_cases(admin, data)

    error = only_error(report)
    assert (error.row, error.field) == (3, column)
    assert error.message.startswith("Row 3: ")
    assert words in error.message
    assert snapshot() == before


def test_extra_values_beyond_the_headings_are_reported(admin):
    data = csv_of(case("X600004")).rstrip("\r\n") + ",surprise\r\n"
    error = only_error(preview_import(admin, data))
    assert error.row == 2 and error.field == "row"
    assert "more values than there are column headings" in error.message


# ------------------------------------------------ personal data is never taken

PERSONAL_HEADINGS = [
    "Surname", "Forename", "First Name", "first_name", "LastName", "Full name", "Name", "Offender name", "Alias",
    "DOB", "Date of birth", "DateOfBirth", "Birth date", "Address", "Address Line 1", "Address1", "Postcode",
    "Post Code", "Street", "Town", "Phone", "Mobile number", "Email", "E-mail", "Email address", "PNC",
    "PNC Number", "NI Number", "National Insurance number", "NINO", "CRO", "Prison number",
]  # fmt: skip


@pytest.mark.parametrize("heading", PERSONAL_HEADINGS)
def test_a_column_that_looks_like_personal_details_refuses_the_whole_file(admin, heading):
    row = {**case("X700001"), heading: "anything"}
    data = csv_of(row, columns=CASE_COLUMNS + (heading,))
    for report in (preview_import(admin, data), import_cases(admin, data)):
        error = only_error(report)
        assert error.file_level and error.field is None
        assert f"'{heading}'" in error.message
        assert "personal details of the person on probation" in error.message
        assert "never stores names, dates of birth or addresses" in error.message
    assert count(Case) == 0 and case_by_ref("X700001") is None


def test_the_refusal_names_the_column_and_says_what_to_do(admin):
    data = "case_ref,Surname,pdu,team,holder,order_type,start_date,rosh,in_custody\r\nX700002,Smith,,,,,,,\r\n"
    error = only_error(import_cases(admin, data))
    assert error.message == (
        "The column 'Surname' looks like personal details of the person on probation. "
        "The portal never stores names, dates of birth or addresses: remove that column and upload again."
    )
    assert "Smith" not in error.message, "the refusal never repeats what the column holds"


def test_several_personal_columns_are_named_in_one_message(admin):
    data = csv_of(case("X700003"), columns=("Forename", "DOB") + CASE_COLUMNS + ("Postcode",))
    error = only_error(import_cases(admin, data))
    assert error.message.startswith("The columns 'Forename', 'DOB', 'Postcode' look like personal details")
    assert "remove those columns" in error.message


def test_personal_columns_are_refused_before_anything_else_is_checked(admin):
    error = only_error(import_cases(admin, "Name,Date of Birth\r\nJo Bloggs,1990-01-01\r\n"))
    assert "personal details" in error.message and "missing" not in error.message


@pytest.mark.parametrize(
    "heading",
    [*CASE_COLUMNS, "CRN", "Case reference", "Team name", "PDU name", "Practitioner email", "Offender manager name",
     "Case holder name", "Staff email address", "Tier", "Notes", "Gender", "Unnamed: 0", "filename"],
)  # fmt: skip
def test_our_own_columns_and_staff_or_organisation_details_are_not_mistaken_for_personal_data(heading):
    assert personal_data_columns([heading]) == []


# ------------------------------------------------------------- who may import


def test_practitioners_and_spos_may_not_import_cases(org):
    for who in (org.practitioner_id, org.spo_id):
        actor = org.actor(who)
        with pytest.raises(PermissionDenied):
            preview_import(actor, csv_of(case("X800001")))
        with pytest.raises(PermissionDenied):
            import_cases(actor, csv_of(case("X800001")))
    assert case_by_ref("X800001") is None


def test_a_qa_lead_imports_cases_for_their_own_pdu(org, qa_lead):
    report = import_cases(qa_lead, csv_of(case("X800002"), case("X800003", team="Team B")))
    assert report.ok, report.messages
    assert case_by_ref("X800003").team_id == org.team_b_id
    assert trail_since(0)[-1].actor_id == org.qa_lead_id


def test_a_qa_lead_cannot_import_cases_for_another_pdu(org, qa_lead):
    data = csv_of(
        case("X800004"), case("X800005"), case("X800006", pdu="South PDU", team="Team C", holder="olu@example.org")
    )
    error = only_error(import_cases(qa_lead, data))
    assert (error.row, error.field) == (4, "pdu")
    assert error.message == "Row 4: you can import cases for North PDU only."
    assert count(Case) == 0


def test_a_qa_lead_cannot_pull_in_a_case_held_in_another_pdu(org, admin, qa_lead):
    import_cases(admin, csv_of(case("X800007", pdu="South PDU", team="Team C", holder="olu@example.org")))
    before = snapshot()
    error = only_error(import_cases(qa_lead, csv_of(case("X800007"))))
    assert (error.row, error.field) == (2, "case_ref")
    assert error.message == "Row 2: case X800007 is held in another PDU; you can import cases for North PDU only."
    assert snapshot() == before


def test_a_qa_lead_who_is_in_no_team_is_told_why_they_cannot_import(org):
    loner = make_user("Lou Loner", "lou@example.org", Grade.ACO, [Role.QA_LEAD])
    error = only_error(import_cases(org.actor(loner), csv_of(case("X800008"))))
    assert error.file_level and "not in a team" in error.message
    assert count(Case) == 0


def test_an_administrator_imports_cases_for_any_pdu(org, admin):
    data = csv_of(case("X800009"), case("X800010", pdu="South PDU", team="Team C", holder="olu@example.org"))
    assert import_cases(admin, data).ok


# ---------------------------------------------------------- file-level problems


def _lots_of_rows(n: int) -> str:
    return csv_of(*(case(f"X{i:06d}") for i in range(n)))


FILE_ERRORS = [
    pytest.param(b"", "The file is empty. It needs a heading row and at least one case.", id="empty"),
    pytest.param("\r\n\r\n", "The file is empty", id="only blank lines"),
    pytest.param(csv_of(), "The file has a heading row but no cases in it.", id="heading only"),
    pytest.param(
        csv_of(case("X1"), columns=tuple(c for c in CASE_COLUMNS if c != "rosh")),
        "missing the column rosh. The heading row (row 1) must include: case_ref, pdu, team, holder, order_type, "
        "start_date, rosh, in_custody. It may also include: expected_end_date.",
        id="one missing column",
    ),
    pytest.param(
        "crn,team\r\nX1,Team A\r\n", "missing the columns case_ref, pdu, holder, order_type", id="missing columns"
    ),
    pytest.param(csv_of(case("X900001")).replace(",", ";"), "does not look like comma-separated", id="semicolons"),
    pytest.param(
        csv_of(case("X900001"), columns=CASE_COLUMNS + ("rosh",)),
        "the column rosh more than once",
        id="repeated column",
    ),
    pytest.param(
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "contains binary data", id="a spreadsheet, not a csv"
    ),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "could not be read as UTF-8", id="a picture"),
    pytest.param("case_ref,pdu\r\n" + "x" * 200_000 + "\r\n", "", id="absurd field"),
]


@pytest.mark.parametrize("data, words", FILE_ERRORS)
def test_problems_with_the_whole_file_are_reported_once(admin, data, words):
    before = snapshot()
    error = only_error(import_cases(admin, data))
    assert error.row == 0 and error.field is None and error.file_level
    assert words in error.message
    assert not error.message.startswith("Row")
    assert snapshot() == before


def test_more_than_5000_cases_is_refused(admin):
    error = only_error(preview_import(admin, _lots_of_rows(MAX_ROWS + 1)))
    assert error.file_level and "5,001 cases" in error.message and "at most 5,000" in error.message


def test_a_file_over_2_mb_is_refused_before_it_is_read(admin):
    data = csv_of(case("X900002")).encode() + b"," * (MAX_BYTES + 1)
    error = only_error(preview_import(admin, data))
    assert error.file_level and "largest file you can import is 2 MB" in error.message


def test_5000_cases_import_in_one_go(admin):
    data = _lots_of_rows(MAX_ROWS)
    report = import_cases(admin, data)
    assert report.ok and report.to_create == MAX_ROWS
    assert count(Case) == MAX_ROWS
    again = import_cases(admin, data)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, MAX_ROWS)


def test_a_case_added_by_someone_else_while_importing_imports_nothing(org, admin, monkeypatch):
    """Between the checks and the writes another session adds the same reference."""
    from qa.organisation import case_import

    real_plan = case_import._plan

    def plan_then_race(session, actor, table):
        planned = real_plan(session, actor, table)
        with session_scope() as other:
            other.add(Case(case_ref="X900003", pdu_id=org.north_pdu_id, team_id=org.team_a_id,
                           holder_id=org.practitioner_id, order_type=OrderType.CO, start_date=date(2024, 1, 1),
                           rosh=RoshLevel.LOW))  # fmt: skip
        return planned

    monkeypatch.setattr(case_import, "_plan", plan_then_race)
    trail_before = count(AuditTrail)
    error = only_error(import_cases(admin, csv_of(case("X900004"), case("X900003"))))
    assert error.file_level and "Someone changed cases while this import was running" in error.message
    assert case_by_ref("X900004") is None and count(AuditTrail) == trail_before


# -------------------------------------------------------- never crashes, ever

PLAUSIBLE = st.sampled_from(
    ["", " ", "X1", "x1", "X2", "X-1", "X" * 21, "P001", "p001", "pat@example.org", "olu@example.org", "Z9",
     "North PDU", "south pdu", "Nowhere", "Team A", "Team C", "CO", "UPW", "licence", "Youth", "low", "very high",
     "VH", "yes", "no", "maybe", "2024-01-15", "2024-02-30", "15/01/2024", "31/02/2024", "0000-01-01",
     "9999-12-31", "1/1/1", '"', "\n", "\u00e9", "=cmd()"]
)  # fmt: skip
CELL = st.one_of(PLAUSIBLE, st.text(max_size=15))
HEADER = st.one_of(
    st.just(list(CASE_COLUMNS)),
    st.just(list(REQUIRED_COLUMNS)),
    st.permutations(list(CASE_COLUMNS)).map(list),
    st.lists(
        st.one_of(st.sampled_from(CASE_COLUMNS + ("Surname", "DOB", "Team name")), st.text(max_size=8)), max_size=11
    ),
)


@st.composite
def csvish(draw) -> str:
    header = draw(HEADER)
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=6))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue()
    sep = draw(st.sampled_from([",", ";", "\t"]))
    return "\n".join(sep.join(r) for r in [header, *rows])


FUZZ = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _never_crashes_and_never_half_imports(actor, data) -> None:
    cases_before, trail_before, state_before = count(Case), count(AuditTrail), snapshot()
    preview = preview_import(actor, data)
    report = import_cases(actor, data)
    assert isinstance(preview, ImportReport) and isinstance(report, ImportReport)
    assert preview.ok == report.ok
    assert all(isinstance(e, RowError) and e.message for e in report.errors)
    if not report.ok:
        assert count(Case) == cases_before and count(AuditTrail) == trail_before
        assert snapshot() == state_before
        assert (report.to_create, report.to_update, report.unchanged) == (0, 0, 0)
    else:
        again = import_cases(actor, data)
        assert again.ok and (again.to_create, again.to_update) == (0, 0), "re-importing is idempotent"


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_only_ever_produce_a_report(admin, data):
    _never_crashes_and_never_half_imports(admin, data)


@FUZZ
@given(data=csvish())
def test_random_csvish_text_only_ever_produces_a_report(admin, data):
    _never_crashes_and_never_half_imports(admin, data)


@FUZZ
@given(data=csvish())
def test_random_csvish_text_from_a_qa_lead_only_ever_produces_a_report(qa_lead, data):
    _never_crashes_and_never_half_imports(qa_lead, data)


# ----------------------------------------------------------------- the page
# The page is registered in app.py as "import-cases" for QA leads and admins.

PAGE = screens.IMPORT_CASES.file


def signed_in_at(app, email: str):
    from tests.conftest import sign_in

    at = sign_in(app(), email, PASSWORD)
    return at.switch_page(PAGE).run()


def page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("error", "warning", "info", "success", "title"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_page_admin_imports_cases_from_a_csv_file(app, org):
    at = signed_in_at(app, "admin@example.org")
    assert not at.exception
    assert [t.value for t in at.title] == ["Import cases"]
    assert "never stores the names, dates of birth or addresses" in page_text(at)
    assert at.get("download_button"), "a template can be downloaded"
    at.file_uploader(key="cases_csv").set_value(("cases.csv", csv_of(case("X990001")).encode(), "text/csv")).run()
    assert "Ready to import: 1 new, 0 to update, 0 unchanged." in page_text(at)
    [b for b in at.button if b.label == "Import cases"][0].click().run()
    assert not at.exception
    assert "Import finished: 1 added, 0 updated, 0 unchanged." in page_text(at)
    assert case_by_ref("X990001") is not None


def test_page_lists_every_problem_by_row_and_imports_nothing(app, org):
    at = signed_in_at(app, "admin@example.org")
    bad = csv_of(case("X990002"), case("X990003", start_date="31/02/2024"))
    at.file_uploader(key="cases_csv").set_value(("cases.csv", bad.encode(), "text/csv")).run()
    assert "1 problem found. Nothing has been imported." in page_text(at)
    problems = at.dataframe[-1].value
    assert list(problems["Row"]) == [3]
    assert "not a real date" in problems.iloc[0]["Problem"]
    assert not [b for b in at.button if b.label == "Import cases"]
    assert count(Case) == 0


def test_page_refuses_a_file_with_personal_details(app, org):
    at = signed_in_at(app, "admin@example.org")
    data = csv_of({**case("X990004"), "Surname": "Smith"}, columns=CASE_COLUMNS + ("Surname",))
    at.file_uploader(key="cases_csv").set_value(("cases.csv", data.encode(), "text/csv")).run()
    problems = at.dataframe[-1].value
    assert list(problems["Row"]) == ["File"]
    assert "The column 'Surname' looks like personal details" in problems.iloc[0]["Problem"]
    assert count(Case) == 0


def test_page_a_qa_lead_is_told_they_import_for_their_own_pdu(app, org):
    at = signed_in_at(app, "qa@example.org")
    assert not at.exception
    assert "your own PDU only" in page_text(at)
    data = csv_of(case("X990005", pdu="South PDU", team="Team C", holder="olu@example.org"))
    at.file_uploader(key="cases_csv").set_value(("cases.csv", data.encode(), "text/csv")).run()
    assert "you can import cases for North PDU only." in at.dataframe[-1].value.iloc[0]["Problem"]


def test_page_is_not_offered_to_practitioners(app, org):
    from tests.conftest import sign_in

    at = sign_in(app(), "pat@example.org", PASSWORD)
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_the_case_table_has_no_place_for_personal_details(db_url):
    """Belt and braces: even a bug in the import could not store a name here."""
    with session_scope() as session:
        if session.get_bind().dialect.name == "sqlite":
            columns = {r[1] for r in session.exec(text("PRAGMA table_info(probation_case)"))}
        else:
            columns = set(
                session.exec(
                    text("SELECT column_name FROM information_schema.columns WHERE table_name = 'probation_case'")
                ).scalars()
            )
    assert columns == {
        "id", "case_ref", "pdu_id", "team_id", "holder_id", "order_type", "start_date", "rosh", "in_custody",
        "expected_end_date", "updated_at",
    }  # fmt: skip
    assert not personal_data_columns(sorted(columns))
