"""Importing staff from CSV.

An administrator uploads a spreadsheet of staff. Every row is checked first;
problems are reported against the row number the spreadsheet shows (the heading
is row 1, the first person row 2). While any row is wrong nothing is imported,
so the file can be fixed and run again. Importing the same file twice changes
nothing the second time.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from db.engine import session_scope
from db.organisation import AuditTrail, Grade, Role, User
from qa.errors import PermissionDenied
from qa.organisation import csv_import
from qa.organisation.directory import roles_by_user
from qa.organisation.staff_import import (
    MAX_BYTES,
    MAX_ROWS,
    STAFF_COLUMNS,
    ImportReport,
    RowError,
    import_staff,
    preview_import,
    template_csv,
)
from tests.conftest import examples
from tests.factories import make_user

# ------------------------------------------------------------------ helpers

# The two people the small organisation already has staff IDs for, exactly as
# the portal holds them: importing these rows changes nothing.
SAM = {
    "staff_id": "S001",
    "full_name": "Sam Supervisor",
    "email": "spo@example.org",
    "grade": "SPO",
    "roles": "spo",
    "pdu": "North PDU",
    "team": "Team A",
    "supervisor": "",
}
PAT = {
    "staff_id": "P001",
    "full_name": "Pat Practitioner",
    "email": "pat@example.org",
    "grade": "PO",
    "roles": "practitioner",
    "pdu": "North PDU",
    "team": "Team A",
    "supervisor": "S001",
}


def person(staff_id: str, **overrides: str) -> dict[str, str]:
    """A valid new practitioner in Team A supervised by Sam, unless overridden."""
    row = {
        "staff_id": staff_id,
        "full_name": f"Person {staff_id}",
        "email": f"{staff_id.lower()}@example.org",
        "grade": "PO",
        "roles": "practitioner",
        "pdu": "North PDU",
        "team": "Team A",
        "supervisor": "S001",
    }
    row.update(overrides)
    return row


def csv_of(*rows: dict[str, str], columns=STAFF_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def user_by_staff_id(staff_id: str) -> User | None:
    with session_scope() as session:
        return session.exec(select(User).where(User.staff_id == staff_id)).first()


def roles_of(user_id: int) -> set[Role]:
    with session_scope() as session:
        return set(roles_by_user(session, [user_id]).get(user_id, []))


def count(model) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def snapshot() -> dict[str, tuple]:
    """Every user's stored state, to show that nothing moved."""
    with session_scope() as session:
        users = list(session.exec(select(User)))
        roles = roles_by_user(session, [u.id for u in users])
        return {
            u.email: (u.full_name, u.grade, u.staff_id, u.team_id, u.supervisor_id, u.updated_at, sorted(roles[u.id]))
            for u in users
        }


@pytest.fixture
def admin(org):
    return org.actor(org.admin_id)


def only_error(report: ImportReport) -> RowError:
    assert not report.ok
    assert len(report.errors) == 1, report.messages
    return report.errors[0]


# ------------------------------------------------------------ the template


def test_the_template_has_every_column_and_one_made_up_person():
    rows = list(csv.reader(io.StringIO(template_csv())))
    assert tuple(rows[0]) == STAFF_COLUMNS
    assert len(rows) == 2
    assert "example" in rows[1][2]


def test_the_template_is_well_formed_apart_from_its_made_up_organisation(admin):
    report = preview_import(admin, template_csv())
    assert {e.field for e in report.errors} == {"pdu", "supervisor"}
    assert all(e.row == 2 for e in report.errors)


# ------------------------------------------------------- a valid file works


def test_a_valid_file_creates_people_with_roles_team_and_supervisor(org, admin):
    data = csv_of(
        SAM,
        PAT,
        person("N001", full_name="Nia New", grade="PSO", team="Team B", pdu="North PDU", supervisor="N003"),
        person("N002", full_name="Ned New", supervisor="S001"),  # an existing supervisor, by staff ID
        person("N003", full_name="Nora New", grade="SPO", roles="spo;qa_lead", supervisor=""),  # defined later
        person("N004", full_name="Noel New", supervisor="SPO@Example.org"),  # an existing supervisor, by email
        person("N005", full_name="Nat New", roles="admin", pdu="", team="", supervisor=""),  # no team
    )

    preview = preview_import(admin, data)
    assert preview.ok, preview.messages
    assert (preview.to_create, preview.to_update, preview.unchanged) == (5, 0, 2)
    assert user_by_staff_id("N001") is None, "a preview writes nothing"

    trail_before = count(AuditTrail)
    report = import_staff(admin, data)
    assert report.ok and report.applied
    assert (report.to_create, report.to_update, report.unchanged) == (5, 0, 2)

    nia, ned, nora, noel, nat = (user_by_staff_id(s) for s in ("N001", "N002", "N003", "N004", "N005"))
    assert nia.full_name == "Nia New" and nia.grade == Grade.PSO and nia.email == "n001@example.org"
    assert nia.team_id == org.team_b_id
    assert nia.supervisor_id == nora.id
    assert ned.supervisor_id == org.spo_id
    assert noel.supervisor_id == org.spo_id
    assert nora.supervisor_id is None and nora.team_id == org.team_a_id
    assert nat.team_id is None and nat.supervisor_id is None
    assert roles_of(nia.id) == {Role.PRACTITIONER}
    assert roles_of(nora.id) == {Role.SPO, Role.QA_LEAD}
    assert roles_of(nat.id) == {Role.ADMIN}
    for new in (nia, ned, nora, noel, nat):
        assert new.password_hash is None, "imported staff sign in by SSO until an admin sets a password"
        assert new.is_active

    with session_scope() as session:
        added = list(session.exec(select(AuditTrail).where(AuditTrail.id > trail_before).order_by(AuditTrail.id)))
    assert [a.action for a in added].count("imported") == 5
    assert all(a.actor_id == org.admin_id for a in added)
    assert added[-1].action == "staff_import"
    assert added[-1].summary == "created 5, updated 0, unchanged 2"


def test_headings_are_matched_ignoring_case_spaces_and_order_and_values_are_forgiving(org, admin):
    text = (
        " Supervisor , EMAIL,Full_Name , staff_id,Grade,ROLES,PDU,Team\r\n"
        "S001, Nell@Example.org ,  Nell New  ,N010,po, Practitioner ; QA_LEAD ,north pdu,team b\r\n"
    )
    report = import_staff(admin, text)
    assert report.ok, report.messages
    nell = user_by_staff_id("N010")
    assert (nell.full_name, nell.email, nell.grade) == ("Nell New", "nell@example.org", Grade.PO)
    assert nell.team_id == org.team_b_id
    assert roles_of(nell.id) == {Role.PRACTITIONER, Role.QA_LEAD}


def test_a_utf8_file_saved_by_excel_with_a_byte_order_mark_is_read(admin):
    data = ("\ufeff" + csv_of(person("N011", full_name="Zoë Ó Briain"))).encode("utf-8")
    report = import_staff(admin, data)
    assert report.ok, report.messages
    assert user_by_staff_id("N011").full_name == "Zoë Ó Briain"


def test_blank_lines_are_skipped_but_still_counted_as_rows(admin):
    data = csv_of(person("N012")) + "\r\n,,,,,,,\r\n" + csv_of(person("N013", grade="Officer")).split("\r\n", 1)[1]
    error = only_error(preview_import(admin, data))
    assert error.row == 5
    assert error.message.startswith("Row 5: grade 'Officer'")


# ----------------------------------------------------------- re-importing


def test_reimporting_the_same_file_changes_nothing(admin):
    data = csv_of(SAM, PAT, person("N001", supervisor="N002"), person("N002", roles="spo", supervisor=""))
    first = import_staff(admin, data)
    assert (first.to_create, first.to_update, first.unchanged) == (2, 0, 2)
    before, trail_before = snapshot(), count(AuditTrail)

    again = import_staff(admin, data)

    assert again.ok and (again.to_create, again.to_update, again.unchanged) == (0, 0, 4)
    assert snapshot() == before, "no field, role or updated_at moved"
    assert count(AuditTrail) == trail_before, "an import that changes nothing leaves no trail"


def test_a_changed_row_updates_only_that_person(org, admin):
    import_staff(admin, csv_of(SAM, PAT, person("N001")))
    before, trail_before = snapshot(), count(AuditTrail)

    report = import_staff(admin, csv_of(SAM, {**PAT, "grade": "PSO", "team": "Team B"}, person("N001")))

    assert (report.to_create, report.to_update, report.unchanged) == (0, 1, 2)
    after = snapshot()
    changed = {email for email in before if before[email] != after[email]}
    assert changed == {"pat@example.org"}
    pat = user_by_staff_id("P001")
    assert pat.grade == Grade.PSO and pat.team_id == org.team_b_id
    assert pat.updated_at > before["pat@example.org"][5]
    with session_scope() as session:
        added = list(session.exec(select(AuditTrail).where(AuditTrail.id > trail_before).order_by(AuditTrail.id)))
    assert [(a.action, a.entity_id) for a in added] == [("changed", str(org.practitioner_id)), ("staff_import", None)]
    assert added[0].summary == "changed by staff import: grade, team"
    assert added[1].summary == "created 0, updated 1, unchanged 2"


def test_an_update_can_change_email_roles_and_supervisor(org, admin):
    report = import_staff(
        admin,
        csv_of(
            SAM,
            {**PAT, "email": "pat.p@example.org", "roles": "practitioner;qa_lead", "supervisor": "N020"},
            person("N020", roles="spo", supervisor=""),
        ),
    )
    assert report.ok, report.messages
    pat = user_by_staff_id("P001")
    assert pat.email == "pat.p@example.org"
    assert roles_of(pat.id) == {Role.PRACTITIONER, Role.QA_LEAD}
    assert pat.supervisor_id == user_by_staff_id("N020").id


def test_people_missing_from_the_file_are_left_alone(org, admin):
    import_staff(admin, csv_of(person("N001")))
    with session_scope() as session:
        assert session.get(User, org.peer_id).is_active
        assert session.get(User, org.practitioner_id).is_active


# ---------------------------------------------- nothing while anything is wrong


def test_one_bad_row_among_good_ones_imports_nothing(admin):
    before, trail_before = snapshot(), count(AuditTrail)
    data = csv_of(person("N001"), person("N002"), person("N003", grade="Officer"), person("N004"))

    report = import_staff(admin, data)

    error = only_error(report)
    assert error.row == 4 and error.field == "grade"
    assert error.message == "Row 4: grade 'Officer' is not one of PO, PSO, SPO, ACO, QDO, PDA, Other."
    assert not report.applied
    assert (report.to_create, report.to_update, report.unchanged) == (0, 0, 0)
    assert snapshot() == before and count(AuditTrail) == trail_before


def test_a_name_longer_than_the_form_allows_is_refused_not_cut_short(admin):
    long_name = "N" * 121
    report = import_staff(admin, csv_of(person("N001", full_name=long_name)))
    error = only_error(report)
    assert (error.row, error.field) == (2, "full_name")
    assert error.message == "Row 2: full name must be 120 characters or fewer (you entered 121)."
    assert user_by_staff_id("N001") is None


def test_every_problem_on_every_row_is_reported_in_row_order(admin):
    data = csv_of(
        person("N001", grade="Officer", email="not-an-email"),
        person("N002"),
        person("", email="nobody@example.org", roles="wizard"),
    )
    report = preview_import(admin, data)
    assert [(e.row, e.field) for e in report.errors] == [
        (2, "email"),
        (2, "grade"),
        (4, "staff_id"),
        (4, "roles"),
    ]
    assert all(e.message.startswith(f"Row {e.row}: ") for e in report.errors)


# Each case: what to put on row 3 (the second person), which column the error is
# reported against, and words the message must contain.
ROW_ERRORS = [
    pytest.param(
        {"grade": "Officer"},
        "grade",
        "grade 'Officer' is not one of PO, PSO, SPO, ACO, QDO, PDA, Other.",
        id="unknown grade",
    ),
    pytest.param({"grade": ""}, "grade", "enter a grade", id="blank grade"),
    pytest.param(
        {"roles": "practitioner;wizard"},
        "roles",
        "role 'wizard' is not one of practitioner, spo, qa_lead, admin",
        id="unknown role",
    ),
    pytest.param({"roles": " ; "}, "roles", "enter at least one role", id="no roles"),
    pytest.param(
        {"email": "n002-at-example.org"}, "email", "enter an email address like name@example.org", id="bad email"
    ),
    pytest.param({"email": ""}, "email", "enter an email address.", id="blank email"),
    pytest.param({"full_name": "  "}, "full_name", "enter full name", id="blank name"),
    pytest.param({"staff_id": ""}, "staff_id", "enter a staff ID", id="blank staff id"),
    pytest.param({"staff_id": "X" * 41}, "staff_id", "staff ID must be 40 characters or fewer", id="long staff id"),
    pytest.param({"pdu": "East PDU"}, "pdu", "there is no PDU 'East PDU'.", id="unknown PDU"),
    pytest.param({"team": "Team C"}, "team", "there is no team 'Team C' in PDU 'North PDU'.", id="team in another PDU"),
    pytest.param({"pdu": ""}, "pdu", "enter the PDU that team 'Team A' is in", id="team without PDU"),
    pytest.param({"team": ""}, "team", "enter a team within PDU 'North PDU'", id="PDU without team"),
    pytest.param({"staff_id": "N001"}, "staff_id", "staff ID 'N001' is already on row 2", id="staff id twice in file"),
    pytest.param(
        {"email": "N001@example.org"},
        "email",
        "email 'n001@example.org' is already used on row 2",
        id="email twice in file",
    ),
    pytest.param(
        {"email": "pip@example.org"},
        "email",
        "already belongs to Pip Peer (no staff ID)",
        id="email of another existing person",
    ),
    pytest.param(
        {"email": "pat@example.org"},
        "email",
        "already belongs to Pat Practitioner (staff ID 'P001')",
        id="email of existing person with another staff id",
    ),
    pytest.param(
        {"supervisor": "Z999"},
        "supervisor",
        "supervisor 'Z999' does not match the staff ID or email of anyone",
        id="unknown supervisor",
    ),
    pytest.param(
        {"supervisor": "N002"}, "supervisor", "nobody can be their own supervisor", id="own supervisor by staff id"
    ),
    pytest.param(
        {"supervisor": "n002@example.org"},
        "supervisor",
        "nobody can be their own supervisor",
        id="own supervisor by email",
    ),
    pytest.param(
        {"supervisor": ""}, "supervisor", "a practitioner needs a supervisor", id="practitioner without supervisor"
    ),
    pytest.param(
        {"supervisor": "D001"},
        "supervisor",
        "supervisor 'D001' (Dee Departed) has been deactivated",
        id="deactivated supervisor",
    ),
    pytest.param(
        {"full_name": "N" * 121},
        "full_name",
        "full name must be 120 characters or fewer (you entered 121)",
        id="long name",
    ),
]


@pytest.mark.parametrize("change, column, words", ROW_ERRORS)
def test_each_kind_of_row_problem_is_reported_on_its_row(org, admin, change, column, words):
    make_user("Dee Departed", "dee@example.org", Grade.SPO, [Role.SPO], staff_id="D001", active=False)
    before = snapshot()
    data = csv_of(person("N001"), {**person("N002"), **change}, person("N003"))

    report = import_staff(admin, data)

    error = only_error(report)
    assert (error.row, error.field) == (3, column)
    assert error.message.startswith("Row 3: ")
    assert words in error.message
    assert snapshot() == before


def test_a_deactivated_supervisor_in_the_same_file_is_still_refused(org, admin):
    make_user("Dee Departed", "dee@example.org", Grade.SPO, [Role.SPO], staff_id="D001", active=False)
    dee = {**SAM, "staff_id": "D001", "full_name": "Dee Departed", "email": "dee@example.org"}
    error = only_error(preview_import(admin, csv_of(dee, person("N001", supervisor="D001"))))
    assert error.row == 3 and "has been deactivated" in error.message


def test_extra_values_beyond_the_headings_are_reported(admin):
    data = csv_of(person("N001")).rstrip("\r\n") + ",surprise\r\n"
    error = only_error(preview_import(admin, data))
    assert error.row == 2 and "more values than there are column headings" in error.message


def test_an_admin_cannot_remove_their_own_admin_role_by_import(org, admin):
    with session_scope() as session:
        me = session.get(User, org.admin_id)
        me.staff_id = "A001"
        session.add(me)
    row = {
        "staff_id": "A001",
        "full_name": "Ada Admin",
        "email": "admin@example.org",
        "grade": "Other",
        "roles": "qa_lead",
    }
    error = only_error(import_staff(admin, csv_of(row)))
    assert error.row == 2 and error.field == "roles"
    assert "your own administrator role" in error.message
    assert roles_of(org.admin_id) == {Role.ADMIN}


# ---------------------------------------------------------- file-level problems


def _lots_of_rows(n: int) -> str:
    return csv_of(*(person(f"N{i:05d}") for i in range(n)))


FILE_ERRORS = [
    pytest.param(b"", "The file is empty", id="empty"),
    pytest.param("\r\n\r\n", "The file is empty", id="only blank lines"),
    pytest.param(csv_of(), "no people in it", id="heading only"),
    pytest.param(
        "staff_id,full_name,grade,roles,pdu,team,supervisor\r\nN1,Nia,PO,spo,,,\r\n",
        "missing the column email.",
        id="one missing column",
    ),
    pytest.param(
        "name,mail\r\nNia,nia@example.org\r\n",
        "missing the columns staff_id, full_name, email, grade, roles",
        id="missing columns",
    ),
    pytest.param(csv_of(person("N001")).replace(",", ";"), "does not look like comma-separated", id="semicolons"),
    pytest.param(
        csv_of(person("N001"), columns=STAFF_COLUMNS + ("email",)),
        "the column email more than once",
        id="repeated column",
    ),
    pytest.param(
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "contains binary data", id="a spreadsheet, not a csv"
    ),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "could not be read as UTF-8", id="a picture"),
    pytest.param("staff_id,full_name\r\n" + "x" * 200_000 + "\r\n", "", id="absurd field"),
]


@pytest.mark.parametrize("data, words", FILE_ERRORS)
def test_problems_with_the_whole_file_are_reported_once(admin, data, words):
    before = snapshot()
    error = only_error(import_staff(admin, data))
    assert error.row == 0 and error.field is None and error.file_level
    assert words in error.message
    assert not error.message.startswith("Row")
    assert snapshot() == before


def test_more_than_5000_people_is_refused(admin):
    error = only_error(preview_import(admin, _lots_of_rows(MAX_ROWS + 1)))
    assert error.file_level and "5,001 people" in error.message and "at most 5,000" in error.message


# ------------------------------------------------------------------ encodings
#
# Excel on Windows saves "CSV (Comma delimited)" in Windows-1252 and "CSV UTF-8" with a
# byte-order mark; older tools save Latin-1. Each is read, and the report says which was assumed.

IRISH = "Siobhán O\u2019Brien"  # the right single quote is byte 0x92 in Windows-1252, and not in Latin-1 at all


def stored_name(staff_id: str) -> str | None:
    with session_scope() as session:
        return session.exec(select(User.full_name).where(User.staff_id == staff_id)).first()


def test_a_file_saved_by_excel_on_windows_is_read_as_windows_1252_and_the_report_says_so(admin):
    data = csv_of(person("E001", full_name=IRISH)).encode("cp1252")
    assert b"Siobh\xe1n O\x92Brien" in data, "real Windows-1252 bytes"
    preview = preview_import(admin, data)
    assert preview.ok and preview.to_create == 1 and preview.encoding == csv_import.CP1252
    report = import_staff(admin, data)
    assert report.ok and report.encoding == csv_import.CP1252
    assert stored_name("E001") == IRISH


def test_a_latin_1_file_is_read_and_the_report_names_the_encoding(admin):
    data = csv_of(person("E002", full_name="Zoë Müller-Öberg")).encode("latin-1")
    report = import_staff(admin, data)
    # Without bytes 0x80-0x9F the two single-byte encodings read the same; the report says both.
    assert report.ok and report.encoding == csv_import.CP1252_OR_LATIN1 and "Latin-1" in report.encoding
    assert stored_name("E002") == "Zoë Müller-Öberg"


@pytest.mark.parametrize(
    "encoding, assumed",
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')")],
)
def test_utf_8_with_or_without_a_byte_order_mark_is_read_and_named(admin, encoding, assumed):
    data = csv_of(person("E003", full_name=IRISH)).encode(encoding)
    report = import_staff(admin, data)
    assert report.ok and report.encoding == assumed
    assert stored_name("E003") == IRISH, "the byte-order mark is not part of the first heading"


def test_a_file_over_2_mb_is_refused_before_it_is_read(admin):
    data = csv_of(person("N001")).encode() + b"," * (MAX_BYTES + 1)
    error = only_error(preview_import(admin, data))
    assert error.file_level and "largest file you can import is 2 MB" in error.message


# ------------------------------------------------------------------ permission


def test_only_administrators_may_import(org):
    for who in (org.practitioner_id, org.spo_id, org.qa_lead_id):
        actor = org.actor(who)
        with pytest.raises(PermissionDenied):
            preview_import(actor, csv_of(person("N001")))
        with pytest.raises(PermissionDenied):
            import_staff(actor, csv_of(person("N001")))
    assert user_by_staff_id("N001") is None


# -------------------------------------------------------- never crashes, ever

PLAUSIBLE = st.sampled_from(
    [
        "",
        " ",
        "S001",
        "P001",
        "N1",
        "N2",
        "n1@example.org",
        "spo@example.org",
        "pat@example.org",
        "bad@",
        "Ada",
        "N" * 121,
        "PO",
        "po",
        "Officer",
        "practitioner",
        "spo;admin",
        "wizard",
        ";",
        "North PDU",
        "Nowhere",
        "Team A",
        "Team C",
        "nobody",
        '"',
        "\n",
        "\u00e9",
        "=cmd()",
    ]
)
CELL = st.one_of(PLAUSIBLE, st.text(max_size=15))
HEADER = st.one_of(
    st.just(list(STAFF_COLUMNS)),
    st.permutations(list(STAFF_COLUMNS)).map(list),
    st.lists(st.one_of(st.sampled_from(STAFF_COLUMNS), st.text(max_size=8)), max_size=10),
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


def _never_crashes_and_never_half_imports(admin, data) -> None:
    users_before, trail_before = count(User), count(AuditTrail)
    preview = preview_import(admin, data)
    report = import_staff(admin, data)
    assert isinstance(preview, ImportReport) and isinstance(report, ImportReport)
    assert preview.ok == report.ok
    assert all(isinstance(e, RowError) and e.message for e in report.errors)
    if not report.ok:
        assert count(User) == users_before and count(AuditTrail) == trail_before
        assert (report.to_create, report.to_update, report.unchanged) == (0, 0, 0)


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_only_ever_produce_a_report(admin, data):
    _never_crashes_and_never_half_imports(admin, data)


@FUZZ
@given(data=csvish())
def test_random_csvish_text_only_ever_produces_a_report(admin, data):
    _never_crashes_and_never_half_imports(admin, data)


# ------------------------------------------------------------ telling the other administrators


def test_a_new_starter_with_no_team_is_news_for_the_other_administrators_not_the_importer(org, admin):
    from db.notifications import Notification

    second = make_user("Second Admin", "second.admin@example.org", Grade.OTHER, [Role.ADMIN])
    data = csv_of(
        person("N001", full_name="Nia New"),  # placed: a team and a supervisor
        person("N002", full_name="Nora New", grade="SPO", roles="spo", pdu="", team="", supervisor=""),
    )

    report = import_staff(admin, data)

    assert report.applied, report.messages
    nora = user_by_staff_id("N002")
    assert nora is not None
    with session_scope() as session:
        told = session.exec(select(Notification.recipient_id, Notification.kind, Notification.record_id)).all()
    assert told == [(second, "person_to_place", nora.id)]
