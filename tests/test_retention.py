"""Retention: debriefs (and, if chosen, journal notes) older than N months are
deleted with everything that hangs off them, in one transaction, by an
administrator or the nightly command, leaving a count-only trail entry."""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.organisation import AuditTrail
from db.reflection import Debrief, DebriefCreate, DebriefFeeling, EntryKind, EntryShare, JournalEntry, SupportRequest
from pages import _registry as screens
from qa.errors import PermissionDenied, ValidationFailed
from qa.privacy import retention
from qa.reflection import debriefs, sharing, wellbeing
from qa.validation import validate
from tests.factories import make_user
from tests.test_reflection import SECRET, debrief_form, write_note

TODAY = date(2026, 6, 15)
ROOT = Path(__file__).resolve().parent.parent


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def debrief_on(org, day: date, who=None, **form):
    return debriefs.record_debrief(
        org.actor(who or org.practitioner_id), validate(DebriefCreate, debrief_form(**form)), now=at(day)
    )


def age_note(note_id: int, day: date) -> None:
    with session_scope() as session:
        entry = session.get(JournalEntry, note_id)
        entry.updated_at = at(day)
        session.add(entry)


def count(model, *where) -> int:
    with session_scope() as session:
        return len(session.exec(select(model).where(*where)).all())


# --- the arithmetic ---------------------------------------------------------------


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 6, 15), 12, date(2025, 6, 15)),
        (date(2026, 6, 15), 6, date(2025, 12, 15)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 10), 1, date(2025, 12, 10)),
        (date(2026, 1, 10), 120, date(2016, 1, 10)),
    ],
)
def test_months_before_counts_calendar_months(day, months, expected):
    assert retention.months_before(day, months) == expected


# --- settings ---------------------------------------------------------------------


def test_retention_is_off_until_an_administrator_sets_it(org):
    admin = org.actor(org.admin_id)
    debrief_on(org, date(2015, 1, 1))
    assert retention.current_settings(admin) == retention.RetentionSettings(None, None)
    counts = retention.apply_retention(admin, TODAY)
    assert counts.total == 0
    assert count(Debrief) == 1


@pytest.mark.parametrize("bad", [0, 121, -3, "twelve", 2.5, True])
def test_a_period_outside_1_to_120_whole_months_is_refused_and_nothing_changes(org, bad):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        retention.set_retention(admin, bad, None)
    assert "from 1 to 120" in exc.value.field_errors["debrief_months"]
    assert retention.current_settings(admin) == retention.RetentionSettings(None, None)


def test_setting_and_clearing_periods_is_trailed(org):
    admin = org.actor(org.admin_id)
    assert retention.set_retention(admin, "24", "") == retention.RetentionSettings(24, None)
    assert retention.current_settings(admin) == retention.RetentionSettings(24, None)
    retention.set_retention(admin, None, 36)
    assert retention.current_settings(admin) == retention.RetentionSettings(None, 36)
    with session_scope() as session:
        summaries = session.exec(
            select(AuditTrail.summary).where(AuditTrail.entity == "setting", AuditTrail.entity_id == "retention")
        ).all()
    assert summaries == ["debriefs: 24 months; journal notes: keep", "debriefs: keep; journal notes: 36 months"]


@pytest.mark.parametrize("who", ["qa_lead_id", "spo_id", "practitioner_id", "peer_id", "outsider_id"])
def test_only_an_administrator_sees_sets_previews_or_applies_retention(org, who):
    person = org.actor(getattr(org, who))
    debrief_on(org, date(2015, 1, 1))
    for call in (
        lambda: retention.current_settings(person),
        lambda: retention.set_retention(person, 1, 1),
        lambda: retention.preview(person, TODAY),
        lambda: retention.apply_retention(person, TODAY),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert count(Debrief) == 1


# --- applying ---------------------------------------------------------------------


def test_debriefs_older_than_the_period_go_with_their_feelings_shares_and_request_links(org):
    admin = org.actor(org.admin_id)
    pat = org.actor(org.practitioner_id)
    old = debrief_on(org, date(2025, 6, 14), support_from=org.spo_id, urgency="this week")
    boundary = debrief_on(org, date(2025, 6, 15))  # exactly 12 months: kept
    recent = debrief_on(org, date(2026, 5, 1))
    old_by_pip = debrief_on(org, date(2024, 1, 1), who=org.peer_id)
    sharing.share(pat, EntryKind.DEBRIEF, old.id, org.spo_id)
    sharing.share(pat, EntryKind.DEBRIEF, recent.id, org.spo_id)
    retention.set_retention(admin, 12, None)

    preview = retention.preview(admin, TODAY)
    assert (preview.debriefs, preview.notes, preview.debrief_cutoff) == (2, 0, date(2025, 6, 15))
    assert count(Debrief) == 4, "a preview deletes nothing"

    counts = retention.apply_retention(admin, TODAY)

    assert (counts.debriefs, counts.notes) == (2, 0)
    with session_scope() as session:
        left = set(session.exec(select(Debrief.id)).all())
        assert left == {boundary.id, recent.id}
        assert set(session.exec(select(DebriefFeeling.debrief_id)).all()) == left
        assert session.exec(select(EntryShare.entry_id).where(EntryShare.kind == EntryKind.DEBRIEF)).all() == [
            recent.id
        ]
        request = session.get(SupportRequest, old.request_id)
        # The request to talk is the SPO's record that Pat asked; it stays, unlinked.
        assert request is not None and request.debrief_id is None
    assert old_by_pip.id not in left


def test_a_run_writes_one_count_only_trail_entry_and_never_text(org):
    admin = org.actor(org.admin_id)
    debrief_on(org, date(2020, 1, 1), what_happened=SECRET)
    retention.set_retention(admin, 6, 6)
    retention.apply_retention(admin, TODAY)
    with session_scope() as session:
        entries = session.exec(select(AuditTrail).where(AuditTrail.entity == "retention")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor_id == org.admin_id and entry.action == "applied"
    assert "1 debriefs recorded before 2025-12-15" in entry.summary
    assert "0 journal notes last changed before 2025-12-15" in entry.summary
    assert SECRET not in entry.summary and "anxious" not in entry.summary


def test_journal_notes_follow_their_own_period_by_last_change(org):
    admin = org.actor(org.admin_id)
    pat = org.actor(org.practitioner_id)
    stale = write_note(org)
    fresh = write_note(org, secret="Still working on this")
    shared = write_note(org, secret="Shared and old")
    sharing.share(pat, EntryKind.NOTE, shared, org.spo_id, for_supervision=True)
    age_note(stale, date(2023, 1, 1))
    age_note(shared, date(2023, 1, 1))
    age_note(fresh, date(2026, 1, 1))
    debrief_on(org, date(2020, 1, 1))
    retention.set_retention(admin, None, 24)  # debriefs kept, notes after 2 years

    counts = retention.apply_retention(admin, TODAY)

    assert (counts.debriefs, counts.notes) == (0, 2)
    assert count(JournalEntry) == 1 and count(JournalEntry, JournalEntry.id == fresh) == 1
    assert count(EntryShare, EntryShare.kind == EntryKind.NOTE) == 0
    assert count(Debrief) == 1


def test_wellbeing_figures_still_work_on_what_remains(org):
    admin = org.actor(org.admin_id)
    people = [org.practitioner_id, org.peer_id] + [
        make_user(
            f"Person {i}", f"p{i}@example.org", "PO", ["practitioner"], team_id=org.team_a_id, supervisor_id=org.spo_id
        )
        for i in range(4)
    ]
    for person in people:
        debrief_on(org, date(2024, 1, 10), who=person)
    recent_day = date.today() - timedelta(days=3)
    for person in people[:5]:
        debrief_on(org, recent_day, who=person, intensity=4)
    retention.set_retention(admin, 12, None)
    retention.apply_retention(admin, date.today())
    # The dashboards' pre-counted figures were recounted in the same transaction.
    from tests.test_dashboard_rollups import recounted, snapshot

    kept = snapshot()
    assert kept["rollup_debrief"] and kept == recounted()
    spo = org.actor(org.spo_id)
    start, end = at(recent_day - timedelta(days=30)), at(date.today() + timedelta(days=1))
    figures = wellbeing.team_wellbeing(spo, org.team_a_id, start, end)
    assert figures is not None and figures.debriefs == 5
    # A period that only held the deleted debriefs now has fewer than 5 people: nothing is shown.
    assert wellbeing.team_wellbeing(spo, org.team_a_id, at(date(2024, 1, 1)), at(date(2024, 2, 1))) is None


def test_the_whole_run_is_one_transaction(org, monkeypatch):
    admin = org.actor(org.admin_id)
    pat = org.actor(org.practitioner_id)
    old = debrief_on(org, date(2020, 1, 1))
    sharing.share(pat, EntryKind.DEBRIEF, old.id, org.spo_id)
    stale = write_note(org)
    age_note(stale, date(2020, 1, 1))
    retention.set_retention(admin, 12, 12)

    def broken_trail(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention.trail, "record", broken_trail)
    with pytest.raises(RuntimeError):
        retention.apply_retention(admin, TODAY)
    assert count(Debrief) == 1 and count(DebriefFeeling) == 2 and count(EntryShare) == 1 and count(JournalEntry) == 1


# --- the nightly command ----------------------------------------------------------


def run_cli(db_url, *args):
    return subprocess.run(
        [sys.executable, "-m", "portal", "--database-url", db_url, "apply-retention", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_does_nothing_while_retention_is_off(org, db_url):
    debrief_on(org, date(2015, 1, 1))
    result = run_cli(db_url)
    assert result.returncode == 0, result.stderr
    assert "Retention is off" in result.stdout
    assert count(Debrief) == 1


def test_the_command_previews_then_applies_and_trails_a_scheduled_run(org, db_url):
    admin = org.actor(org.admin_id)
    debrief_on(org, date(2015, 1, 1))
    debrief_on(org, date.today())
    retention.set_retention(admin, 12, None)

    dry = run_cli(db_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Would delete 1 debriefs and 0 journal notes" in dry.stdout
    assert count(Debrief) == 2

    real = run_cli(db_url)
    assert real.returncode == 0, real.stderr
    assert "Deleted 1 debriefs and 0 journal notes (debriefs: 12 months; journal notes: keep)" in real.stdout
    assert count(Debrief) == 1
    with session_scope() as session:
        entry = session.exec(select(AuditTrail).where(AuditTrail.entity == "retention")).one()
    assert entry.actor_id is None and entry.summary.startswith("scheduled run: deleted 1 debriefs")


# --- the Settings page ------------------------------------------------------------


def months_box(at, label_start):
    return next(n for n in at.text_input if n.label.startswith(label_start))


def test_an_administrator_sets_previews_and_applies_retention_on_the_settings_page(app, org):
    from tests.test_pages import texts
    from tests.test_pages_learn import signed_in

    debrief_on(org, date(2015, 1, 1))
    debrief_on(org, date(2016, 1, 1))
    debrief_on(org, date.today())
    at = signed_in(app, "admin@example.org", screens.SETTINGS.file)
    assert "Retention is off: nothing is deleted automatically." in texts(at)
    months_box(at, "Delete debriefs older than").input("1x")
    at.button(key="FormSubmitter:retention-Save retention periods").click().run()
    assert "Enter a whole number of months from 1 to 120" in texts(at), "the message is shown beside the box"
    months_box(at, "Delete debriefs older than").input("12")
    at.button(key="FormSubmitter:retention-Save retention periods").click().run()
    assert not at.exception
    assert "Retention saved (debriefs: 12 months; journal notes: keep). Nothing has been deleted yet." in texts(at)
    assert "**2** debriefs are older than 12 months" in texts(at)
    assert count(Debrief) == 3

    # Not ticking the box deletes nothing and says why, beside the box.
    at.button(key="FormSubmitter:apply_retention-Delete them now").click().run()
    assert "Tick the box to confirm. Nothing has been deleted." in texts(at)
    assert count(Debrief) == 3

    next(c for c in at.checkbox if c.label.startswith("I understand that 2 entries")).check()
    at.button(key="FormSubmitter:apply_retention-Delete them now").click().run()
    assert "Deleted 2 debriefs and 0 journal notes." in texts(at)
    assert "Nothing is older than these periods." in texts(at)
    assert count(Debrief) == 1

    # Emptying the box turns retention off again.
    months_box(at, "Delete debriefs older than").input("")
    at.button(key="FormSubmitter:retention-Save retention periods").click().run()
    assert "Retention is off: nothing is deleted automatically." in texts(at)


def test_the_settings_page_is_not_in_anyone_elses_menu(app, org):
    from tests.conftest import menu_pages, sign_in
    from tests.factories import PASSWORD

    for email in ("qa@example.org", "spo@example.org", "pat@example.org"):
        assert screens.SETTINGS.file not in menu_pages(sign_in(app(), email, PASSWORD))
