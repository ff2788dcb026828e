"""A name that begins like a spreadsheet formula is refused, typed or imported, with a plain message.

Names (people, regions, PDUs, teams, support contacts, learning themes) and case references that
begin with "=", "+", "-", "@", a tab or a line break would run as formulas if a spreadsheet opened
an export of them. Exports neutralise such cells anyway (tests/test_hostile_input.py checks that);
these names are also refused where they come in, by one rule: ``db.organisation.check_not_formula``,
mixed into every naming form by ``FormulaSafeNames``. A hyphen inside a name, or at its end, is fine.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.observations import ObservationPlan
from db.organisation import PduCreate, RegionCreate, TeamCreate, TeamUpdate, User, UserCreate
from db.reflection import SupportContactCreate
from qa.audits import workflow
from qa.errors import ValidationFailed
from qa.organisation import case_import, staff_import, users
from qa.organisation import org as org_service
from qa.reflection import journal
from qa.validation import validate

FORMULA_LIKE = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
#: After the forms trim the ends, a tab or line break in front stays only where nothing trims it.
UNTRIMMED = ["\t=1", "\r=1"]


def person(name: str) -> dict:
    return {
        "full_name": name,
        "email": "nia@example.org",
        "grade": "PSO",
        "roles": ["practitioner"],
        "staff_id": "N001",
        "password": "a-long-first-password",
    }


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_a_typed_persons_name_that_begins_like_a_formula_is_refused_at_the_field(name):
    with pytest.raises(ValidationFailed) as exc:
        validate(UserCreate, person(name))
    message = exc.value.field_errors["full_name"]
    assert f'cannot begin with "{name[0]}"' in message and "formula" in message, message
    assert "Start it with a letter or a number." in message


@pytest.mark.parametrize("first, words", [("\t", "a tab"), ("\r", "a line break")])
def test_a_tab_or_line_break_in_front_is_named_in_words(first, words):
    from db.organisation import check_not_formula

    with pytest.raises(ValueError, match=f"cannot begin with {words}"):
        check_not_formula(first + "=1")


def test_hyphens_inside_or_at_the_end_of_a_name_are_fine():
    assert validate(UserCreate, person("Anne-Marie Smith-Jones")).full_name == "Anne-Marie Smith-Jones"
    assert validate(UserCreate, person("  Sam  ")).full_name == "Sam", "the ends are still trimmed first"


@pytest.mark.parametrize(
    "model, data",
    [
        (RegionCreate, {"name": "=A1"}),
        (PduCreate, {"name": "+North", "region_id": 1}),
        (TeamCreate, {"name": "-Team", "pdu_id": 1}),
        (TeamUpdate, {"name": "@Team", "pdu_id": 1}),
        (SupportContactCreate, {"name": "=HYPERLINK(1)"}),
    ],
)
def test_every_naming_form_refuses_a_formula_like_name(model, data):
    with pytest.raises(ValidationFailed) as exc:
        validate(model, data)
    assert "formula" in exc.value.field_errors["name"]


def test_a_typed_team_name_is_refused_and_nothing_is_saved(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        org_service.create_team(admin, validate(TeamCreate, {"name": "=cmd", "pdu_id": org.north_pdu_id}))
    assert "formula" in exc.value.field_errors["name"]


def test_a_typed_person_is_refused_through_the_service_and_nothing_is_saved(org):
    with pytest.raises(ValidationFailed):
        users.create_user(org.actor(org.admin_id), validate(UserCreate, person("@SUM(A1)")))
    with session_scope() as session:
        assert session.exec(select(User).where(User.email == "nia@example.org")).first() is None


def test_a_learning_theme_and_a_case_reference_refuse_a_formula_start(org):
    with pytest.raises(ValidationFailed) as exc:
        workflow.add_learning_theme(org.actor(org.qa_lead_id), "=1+1")
    assert "formula" in exc.value.field_errors["name"]
    with pytest.raises(ValidationFailed) as exc:
        validate(
            ObservationPlan,
            {
                "practitioner_id": 1,
                "observer_id": 2,
                "observed_on": date.today(),
                "setting": "office",
                "case_ref": "-X123",
            },
        )
    assert "formula" in exc.value.field_errors["case_ref"]
    assert not journal.CASE_REF.match("-X123") and journal.CASE_REF.match("X-123")


def test_an_imported_name_that_begins_like_a_formula_is_refused_with_its_row_and_nothing_is_imported(org):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(staff_import.STAFF_COLUMNS)
    writer.writerow(["F001", "Fine Name", "fine@example.org", "PO", "admin", "", "", ""])
    writer.writerow(["F002", "=HYPERLINK(1)", "bad@example.org", "PO", "admin", "", "", ""])
    report = staff_import.import_staff(org.actor(org.admin_id), out.getvalue())
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(3, "full_name")]
    assert 'cannot begin with "="' in report.errors[0].message and report.errors[0].message.startswith("Row 3:")
    with session_scope() as session:
        assert session.exec(select(User).where(User.staff_id.in_(["F001", "F002"]))).first() is None  # type: ignore[attr-defined]


def test_an_imported_case_reference_that_begins_with_a_hyphen_is_refused(org):
    from tests.test_case_import import case, csv_of

    report = case_import.import_cases(org.actor(org.admin_id), csv_of(case("-X900001")))
    assert not report.ok
    assert any(e.field == "case_ref" and "starts with a letter or digit" in e.message for e in report.errors)
