"""The practitioner's own space: notes and debriefs are private by default,
shared entry by entry and revocably, and encrypted at rest."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import db.schema  # noqa: F401
from db import encryption
from db.engine import get_engine
from db.reflection import DebriefCreate, EntryKind, ReflectiveModel, SupportContactCreate
from qa.access import trail_view
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.reflection import debriefs, journal, journal_export, sharing, support, wellbeing
from qa.validation import validate
from tests.factories import make_user

SECRET = "I dislike this man and I am scared of him"


def write_note(org, author=None, secret=SECRET, tags=("boundaries",)):
    who = org.actor(author or org.practitioner_id)
    note_id = journal.new_note(who, ReflectiveModel.ROLFE)
    journal.save_note(
        who,
        note_id,
        title="After the home visit",
        sections={"what": secret, "so_what": "It clouds my view of risk."},
        tags=list(tags),
        finished=True,
    )
    return note_id


def debrief_form(**overrides):
    form = {
        "feelings": ["anxious", "drained"],
        "intensity": 8,
        "need": "to talk to my SPO",
        "what_happened": SECRET,
        "what_helped": "A walk.",
    }
    form.update(overrides)
    return form


# --- private by default ---------------------------------------------------------

EVERYONE_ELSE = ["spo_id", "qa_lead_id", "admin_id", "peer_id", "spo_b_id", "outsider_id"]


@pytest.mark.parametrize("who", EVERYONE_ELSE)
def test_nobody_but_the_author_can_read_an_unshared_note(org, who):
    note_id = write_note(org)
    with pytest.raises(NotFound):
        journal.note(org.actor(getattr(org, who)), note_id)
    with pytest.raises(NotFound):
        journal.save_note(org.actor(getattr(org, who)), note_id, title="overwritten")
    with pytest.raises(NotFound):
        sharing.share(org.actor(getattr(org, who)), EntryKind.NOTE, note_id, getattr(org, who))


@pytest.mark.parametrize("who", EVERYONE_ELSE)
def test_nobody_but_the_author_can_read_an_unshared_debrief(org, who):
    saved = debriefs.record_debrief(org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form()))
    with pytest.raises(NotFound):
        debriefs.debrief(org.actor(getattr(org, who)), saved.id)


@pytest.mark.parametrize("who", EVERYONE_ELSE)
def test_other_peoples_searches_and_exports_never_include_my_notes(org, who):
    write_note(org)
    other = org.actor(getattr(org, who))
    assert journal.my_notes(other, text="scared") == []
    assert SECRET not in journal_export.journal_markdown(other)
    assert debriefs.my_debriefs(other) == []


def test_the_author_searches_by_text_tag_and_date(org):
    pat = org.actor(org.practitioner_id)
    write_note(org)
    write_note(org, secret="Court went well today", tags=("engagement",))
    assert [n.sections["what"] for n in journal.my_notes(pat, text="COURT")] == ["Court went well today"]
    assert len(journal.my_notes(pat, tag="boundaries")) == 1
    assert journal.my_notes(pat, date_from=datetime.now(UTC).date() + timedelta(days=1)) == []


def test_the_author_exports_markdown_with_markup_made_inert(org):
    pat = org.actor(org.practitioner_id)
    write_note(org, secret="<script>alert(1)</script> and **bold**")
    exported = journal_export.journal_markdown(pat)
    assert "<script>" not in exported and "&lt;script&gt;" in exported
    assert journal_export.journal_pdf(pat).startswith(b"%PDF")


def test_over_long_text_is_refused_not_cut(org):
    pat = org.actor(org.practitioner_id)
    note_id = journal.new_note(pat, ReflectiveModel.FREE)
    with pytest.raises(ValidationFailed) as exc:
        journal.save_note(pat, note_id, title="x" * 201)
    assert "200 characters or fewer (you entered 201)" in exc.value.field_errors["title"]


def test_a_note_can_only_link_to_an_audit_or_observation_its_author_can_see(org):
    pat = org.actor(org.practitioner_id)
    note_id = journal.new_note(pat)
    with pytest.raises(ValidationFailed):
        journal.save_note(pat, note_id, audit_id=9999)


# --- sharing ---------------------------------------------------------------------


def test_sharing_one_note_with_one_person_and_revoking_at_once(org):
    note_id = write_note(org)
    other_note = write_note(org, secret="another private note")
    pat, sam = org.actor(org.practitioner_id), org.actor(org.spo_id)
    share_id = sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    assert journal.note(sam, note_id).sections["what"] == SECRET
    with pytest.raises(NotFound):
        journal.note(sam, other_note)  # only that one entry
    with pytest.raises(NotFound):
        journal.note(org.actor(org.qa_lead_id), note_id)  # only that one person
    with pytest.raises(NotFound):
        journal.save_note(sam, note_id, title="edited by SPO")  # read only
    assert [s.entry_id for s in sharing.shared_with_me(sam)] == [note_id]
    sharing.revoke(pat, share_id)
    with pytest.raises(NotFound):
        journal.note(sam, note_id)
    assert sharing.shared_with_me(sam) == []


def test_only_the_author_can_revoke(org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id)
    with pytest.raises(NotFound):
        sharing.revoke(org.actor(org.spo_id), share_id)


def test_sharing_a_debrief(org):
    saved = debriefs.record_debrief(org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form()))
    sharing.share(org.actor(org.practitioner_id), EntryKind.DEBRIEF, saved.id, org.peer_id)
    assert debriefs.debrief(org.actor(org.peer_id), saved.id).what_happened == SECRET


def test_only_the_author_deletes_a_debrief_and_the_trail_says_so_without_its_text(org):
    pat = org.actor(org.practitioner_id)
    saved = debriefs.record_debrief(
        pat, validate(DebriefCreate, debrief_form(support_from=org.spo_id, urgency="today"))
    )
    sharing.share(pat, EntryKind.DEBRIEF, saved.id, org.peer_id)
    for who in ["peer_id", *EVERYONE_ELSE]:  # even the person it is shared with
        with pytest.raises(NotFound):
            debriefs.delete_debrief(org.actor(getattr(org, who)), saved.id)
    assert [d.id for d in debriefs.my_debriefs(pat)] == [saved.id]

    debriefs.delete_debrief(pat, saved.id)

    assert debriefs.my_debriefs(pat) == []
    with pytest.raises(NotFound):
        debriefs.debrief(org.actor(org.peer_id), saved.id)
    [request] = support.requests_to_me(org.actor(org.spo_id))  # the request for support stays
    assert request.debrief_id is None
    [entry] = [e for e in trail_view.recent_entries(org.actor(org.admin_id)) if e.entity == "debrief"]
    assert (entry.action, entry.entity_id) == ("deleted", str(saved.id))
    assert SECRET not in entry.summary and "A walk" not in entry.summary


# --- debriefs and support requests -------------------------------------------------


def test_a_debrief_needs_a_known_feeling_and_an_intensity_from_0_to_10(org):
    pat = org.actor(org.practitioner_id)
    for bad in ({"feelings": []}, {"feelings": ["made-up"]}, {"intensity": 11}, {"intensity": -1}):
        with pytest.raises(ValidationFailed):
            debriefs.record_debrief(pat, validate(DebriefCreate, debrief_form(**bad)))
    assert debriefs.my_debriefs(pat) == []


def test_the_person_asked_sees_who_and_how_soon_but_not_the_content(org):
    saved = debriefs.record_debrief(
        org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form(support_from=org.spo_id, urgency="today"))
    )
    sam = org.actor(org.spo_id)
    [request] = support.requests_to_me(sam)
    assert (request.requester_name, request.urgency, request.debrief_id) == ("Pat Practitioner", "today", None)
    with pytest.raises(NotFound):
        debriefs.debrief(sam, saved.id)
    sharing.share(org.actor(org.practitioner_id), EntryKind.DEBRIEF, saved.id, org.spo_id)
    assert support.requests_to_me(sam)[0].debrief_id == saved.id
    support.respond(sam, request.id, "offered")
    support.respond(sam, request.id, "done")
    assert support.requests_to_me(sam) == []
    with pytest.raises(NotFound):
        support.respond(org.actor(org.peer_id), request.id, "done")


def test_signposting_for_specialist_support_and_for_sustained_high_intensity(org):
    support.add_contact(
        org.actor(org.admin_id), validate(SupportContactCreate, {"name": "Independent staff line", "independent": True})
    )
    pat = org.actor(org.practitioner_id)
    assert (
        debriefs.record_debrief(
            pat, validate(DebriefCreate, debrief_form(intensity=3, need="nothing right now"))
        ).signpost
        == []
    )
    assert [
        c.name
        for c in debriefs.record_debrief(
            pat, validate(DebriefCreate, debrief_form(intensity=3, need="specialist support"))
        ).signpost
    ] == ["Independent staff line"]
    peer = org.actor(org.peer_id)
    now = datetime.now(UTC)
    for days_ago in (12, 8, 4):
        debriefs.record_debrief(
            peer,
            validate(DebriefCreate, debrief_form(intensity=8, need="nothing right now")),
            now=now - timedelta(days=days_ago),
        )
    assert debriefs.record_debrief(
        peer, validate(DebriefCreate, debrief_form(intensity=9, need="nothing right now")), now=now
    ).signpost


def test_support_contacts_are_managed_by_admins_only(org):
    with pytest.raises(PermissionDenied):
        support.add_contact(org.actor(org.spo_id), validate(SupportContactCreate, {"name": "x"}))


def test_personal_trends_are_only_ever_my_own(org):
    pat = org.actor(org.practitioner_id)
    debriefs.record_debrief(pat, validate(DebriefCreate, debrief_form(setting="home visit")))
    debriefs.record_debrief(
        org.actor(org.peer_id), validate(DebriefCreate, debrief_form(feelings=["proud"], intensity=2))
    )
    mine = debriefs.my_trends(pat)
    assert mine.debriefs == 1
    assert [f.word for f in mine.top_feelings] == ["anxious", "drained"]


# --- team wellbeing: aggregates of at least 5 people only -------------------------------


def test_team_wellbeing_is_hidden_below_five_people_and_shown_from_five(org):
    from db.organisation import Grade, Role

    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    spo = org.actor(org.spo_id)
    authors = [org.practitioner_id, org.peer_id, org.spo_id]
    authors += [
        make_user(
            f"Extra {i}",
            f"extra{i}@example.org",
            Grade.PSO,
            [Role.PRACTITIONER],
            team_id=org.team_a_id,
            supervisor_id=org.spo_id,
        )
        for i in range(2)
    ]
    for who in authors[:4]:
        debriefs.record_debrief(org.actor(who), validate(DebriefCreate, debrief_form(intensity=6)))
    assert wellbeing.team_wellbeing(spo, org.team_a_id, start, end) is None
    debriefs.record_debrief(org.actor(authors[4]), validate(DebriefCreate, debrief_form(intensity=1)))
    shown = wellbeing.team_wellbeing(spo, org.team_a_id, start, end)
    assert (shown.people, shown.debriefs) == (5, 5)
    assert shown.mean_intensity == pytest.approx((6 * 4 + 1) / 5)
    with pytest.raises(PermissionDenied):
        wellbeing.team_wellbeing(org.actor(org.practitioner_id), org.team_a_id, start, end)


# --- encryption at rest -------------------------------------------------------------


def test_the_database_never_holds_the_text(org, db_url):
    write_note(org)
    debriefs.record_debrief(org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form()))
    with get_engine().connect() as conn:
        rows = (
            conn.execute(text("SELECT content FROM journal_entry UNION ALL SELECT content FROM debrief"))
            .scalars()
            .all()
        )
    assert rows and all(SECRET not in raw and "scared" not in raw for raw in rows)
    assert all(raw.startswith("gAAAA") for raw in rows)  # Fernet tokens


def test_rotating_the_key_keeps_every_entry_readable(org, monkeypatch):
    note_id = write_note(org)
    old = encryption.current_keys()
    new = encryption.new_key()
    assert encryption.rotate(get_engine(), SQLModel.metadata, new) >= 1
    monkeypatch.setenv(encryption.ENV_VAR, new)  # the old key is gone
    assert journal.note(org.actor(org.practitioner_id), note_id).sections["what"] == SECRET
    monkeypatch.setenv(encryption.ENV_VAR, old[0])
    with pytest.raises(encryption.MissingKey):
        journal.note(org.actor(org.practitioner_id), note_id)


def test_private_entries_leave_nothing_in_the_audit_trail(org):
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id)
    debriefs.record_debrief(
        org.actor(org.practitioner_id), validate(DebriefCreate, debrief_form(support_from=org.spo_id))
    )
    for entry in trail_view.recent_entries(org.actor(org.admin_id)):
        assert entry.entity not in {"journal_entry", "debrief", "note"}
        assert SECRET not in entry.summary
