"""Faults: a locked or unreachable database.

- SQLite: a write that meets another connection's write lock is retried with a
  bounded, jittered back-off (db/engine.BusyRetry); past the cap it fails as
  DatabaseUnavailable with nothing half-written.
- Pages: the person sees a plain message, never a trace, and what they typed
  is still in the form (pages/_ui.database_guard, wrapped round every page in app.py).
- PostgreSQL: connections are pre-pinged, so after the server drops them
  (here: every backend terminated) the next request works.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from db import engine as db_engine
from db.engine import DatabaseUnavailable, session_scope
from db.reflection import DebriefCreate
from pages import _registry as screens
from qa.audits import workflow
from qa.errors import DatabaseUnavailable as DatabaseUnavailableFromQa
from qa.reflection import debriefs
from qa.validation import validate
from tests.conftest import PG_URL
from tests.test_pages import texts
from tests.test_pages_learn import draft, event, signed_in  # noqa: F401  (fixtures)

MESSAGE = "The portal could not reach its database just now, so nothing was saved."


@pytest.fixture
def sqlite_path(db_url):
    if not db_engine.is_sqlite(db_url):
        pytest.skip("SQLite locking")
    return make_url(db_url).database


@contextmanager
def write_lock(path: str, release_after: float | None = None):
    """Another process's connection holding SQLite's write lock (BEGIN IMMEDIATE),
    released after ``release_after`` seconds, or when the block ends."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO setting (key, value) VALUES ('held-by-another-process', 'x')")
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            holder.execute("ROLLBACK")

    timer = threading.Timer(release_after, release) if release_after is not None else None
    if timer:
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.cancel()
        release()
        holder.close()


def counts(*tables: str) -> dict[str, int]:
    with db_engine.get_engine().connect() as conn:
        return {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}


DEBRIEF = {"feelings": ["anxious"], "intensity": 6, "need": "nothing right now", "what_happened": "A hard home visit."}
DEBRIEF_TABLES = ("debrief", "debrief_feeling", "support_request", "audit_trail")


# --------------------------------------------------------------- the back-off


def test_the_back_off_grows_jittered_and_capped():
    retry = db_engine.BusyRetry(deadline=5.0, first_delay=0.05, max_delay=1.0)
    delays = retry.delays()
    steps = [next(delays) for _ in range(8)]
    expected = [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    for got, ceiling in zip(steps, expected, strict=True):
        assert ceiling / 2 <= got <= ceiling
    assert len({round(s, 6) for s in steps}) > 1


def test_the_error_is_the_one_services_and_pages_know():
    assert DatabaseUnavailableFromQa is DatabaseUnavailable
    assert str(DatabaseUnavailable()).startswith(MESSAGE)


def test_only_plain_busy_is_retried_never_a_stale_snapshot():
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorname = "SQLITE_BUSY"
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorname = "SQLITE_BUSY_SNAPSHOT"
    assert db_engine.is_sqlite_busy(busy)
    assert not db_engine.is_sqlite_busy(snapshot)
    assert not db_engine.is_sqlite_busy(sqlite3.OperationalError("no such table: x"))


# --------------------------------------------------------------- SQLite locks


def test_a_write_waits_out_a_lock_released_after_a_short_delay(org, sqlite_path, caplog):
    pat = org.actor(org.practitioner_id)
    before = counts(*DEBRIEF_TABLES)
    caplog.set_level(logging.INFO, logger="pqp.db")
    # 2.5 s is longer than SQLite's own busy wait (1 s), so our retry must step in.
    with write_lock(sqlite_path, release_after=2.5):
        started = time.monotonic()
        debriefs.record_debrief(pat, validate(DebriefCreate, DEBRIEF))
        waited = time.monotonic() - started
    assert 2.0 < waited < db_engine.RETRY.deadline + db_engine.SQLITE_BUSY_TIMEOUT_SECONDS
    assert "attempt 1 failed, retrying" in caplog.text
    after = counts(*DEBRIEF_TABLES)
    assert after["debrief"] == before["debrief"] + 1
    assert after["debrief_feeling"] == before["debrief_feeling"] + 1
    assert debriefs.my_debriefs(pat)[0].what_happened == "A hard home visit."


def test_a_lock_held_past_the_cap_fails_plainly_with_nothing_written(org, sqlite_path, monkeypatch):
    monkeypatch.setattr(db_engine, "RETRY", db_engine.BusyRetry(deadline=1.5))
    pat = org.actor(org.practitioner_id)
    before = counts(*DEBRIEF_TABLES)
    with write_lock(sqlite_path):
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as raised:
            debriefs.record_debrief(
                pat, validate(DebriefCreate, {**DEBRIEF, "support_from": org.spo_id, "urgency": "today"})
            )
        waited = time.monotonic() - started
    # Bounded: the deadline plus at most one of SQLite's own busy waits.
    assert 1.0 < waited < 1.5 + db_engine.SQLITE_BUSY_TIMEOUT_SECONDS + 0.5
    assert "database is locked" in str(raised.value.__cause__)
    assert counts(*DEBRIEF_TABLES) == before  # not the debrief without its feelings, nor the request
    # Once the lock has gone, the same save works.
    debriefs.record_debrief(pat, validate(DebriefCreate, DEBRIEF))
    assert counts("debrief")["debrief"] == before["debrief"] + 1


def test_readers_are_not_blocked_by_a_writer(org, sqlite_path):
    """WAL mode: the portal keeps showing pages while someone else is writing."""
    pat = org.actor(org.practitioner_id)
    debriefs.record_debrief(pat, validate(DebriefCreate, DEBRIEF))
    with write_lock(sqlite_path):
        started = time.monotonic()
        assert len(debriefs.my_debriefs(pat)) == 1
        assert time.monotonic() - started < 0.5


def test_an_unopenable_database_is_reported_as_unavailable(tmp_path, monkeypatch):
    folder = tmp_path / "gone"
    folder.mkdir()
    url = f"sqlite:///{folder}/portal.db"
    db_engine.get_engine(url)  # made while the folder existed
    folder.rmdir()
    (tmp_path / "gone").write_text("not a folder")  # so SQLite cannot create the file
    monkeypatch.setattr(db_engine, "_configured_url", url)
    with pytest.raises(DatabaseUnavailable):
        with session_scope() as session:
            session.exec(sa.text("SELECT 1")).one()
    db_engine.get_engine(url).dispose()


# --------------------------------------------------------------- pages


def auditor_email(pair) -> str:
    from db.organisation import User

    with session_scope() as session:
        return session.get(User, pair.first_id).email


def test_an_audit_form_submitted_while_the_database_is_locked_keeps_the_text(app, org, draft, sqlite_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(db_engine, "RETRY", db_engine.BusyRetry(deadline=0.5))
    pair, audit_id = draft
    at = signed_in(app, auditor_email(pair), screens.AUDIT_CASE.file, audit=audit_id)
    good = "Risk plan reviewed after the arrest; the new partner was checked with the police."
    at.radio[0].set_value("yes")
    at.text_area(key=f"s_good_{audit_id}").input(good)
    with write_lock(sqlite_path):
        at.button(key=f"FormSubmitter:audit_form_{audit_id}-Save draft").click().run()
    assert not at.exception
    assert any(MESSAGE in e.value for e in at.error)
    assert at.text_area(key=f"s_good_{audit_id}").value == good
    assert at.radio[0].value == "yes"
    auditor = org.actor(pair.first_id)
    assert workflow.audit_detail(auditor, audit_id).good_practice == ""  # nothing half-saved
    # The lock has gone: pressing Save again saves what is still in the form.
    at.button(key=f"FormSubmitter:audit_form_{audit_id}-Save draft").click().run()
    assert not at.exception
    assert "Draft saved." in texts(at)
    assert workflow.audit_detail(auditor, audit_id).good_practice == good


# ------------------------------------- pages: autosave, and forms that empty once saved


@pytest.fixture
def saves_fail(db_url, monkeypatch):
    """``with saves_fail(module, "service"):`` saving fails as it does when the database is out of reach.

    On SQLite it is real: another connection holds the write lock, so every write
    meets a locked database (reads still work in WAL mode) and, after the short
    retry, fails as DatabaseUnavailable. On PostgreSQL the named service raises
    the DatabaseUnavailable that session_scope raises for a lost server.
    """

    @contextmanager
    def fault(module, name: str):
        if db_engine.is_sqlite(db_url):
            with monkeypatch.context() as patch:
                patch.setattr(db_engine, "RETRY", db_engine.BusyRetry(deadline=0.3))
                with write_lock(make_url(db_url).database):
                    yield
        else:

            def unavailable(*args, **kwargs):
                raise DatabaseUnavailable()

            with monkeypatch.context() as patch:
                patch.setattr(module, name, unavailable)
                yield

    return fault


NOT_SAVED = "Not saved yet: the portal could not reach its database. Your text is still here"
TYPED = "Visit went badly: the door was answered by the ex-partner, who is subject to a non-contact condition."


def plain_message_only(at) -> None:
    """The person sees a plain message, never a trace."""
    assert not at.exception
    assert "Traceback" not in texts(at)


def note_for_pat(org) -> int:
    from db.reflection import ReflectiveModel
    from qa.reflection import journal

    return journal.new_note(org.actor(org.practitioner_id), ReflectiveModel.ROLFE)


def saved_section(org, note_id: int, key: str = "what") -> str:
    from qa.reflection import journal

    return journal.note(org.actor(org.practitioner_id), note_id).sections.get(key, "")


def test_a_journal_autosave_that_meets_a_fault_keeps_the_text_and_saves_it_later(app, org, saves_fail):
    from qa.reflection import journal

    note_id = note_for_pat(org)
    at = signed_in(app, "pat@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    box = f"note_{note_id}_what"
    with saves_fail(journal, "save_note"):
        # Leaving the box runs the autosave callback, before app.py's database guard.
        at.text_area(key=box).input(TYPED).run()
        plain_message_only(at)
        assert any(w.value.startswith(NOT_SAVED) and "press Finish note" in w.value for w in at.warning)
        assert at.text_area(key=box).value == TYPED
        assert saved_section(org, note_id) == ""
        # Still out of reach: the next run tries again, fails plainly, and keeps the text.
        at.text_input(key=f"note_{note_id}_title").input("After the visit").run()
        plain_message_only(at)
        assert any(w.value.startswith(NOT_SAVED) for w in at.warning)
        assert at.text_area(key=box).value == TYPED
    # The database is back: the next run saves the kept text, and the warning goes.
    at.run()
    plain_message_only(at)
    assert not any(w.value.startswith(NOT_SAVED) for w in at.warning)
    assert saved_section(org, note_id) == TYPED
    assert journal.note(org.actor(org.practitioner_id), note_id).title == "After the visit"


def test_finish_note_during_a_fault_keeps_the_text_and_works_when_pressed_again(app, org, saves_fail):
    from qa.reflection import journal

    note_id = note_for_pat(org)
    at = signed_in(app, "pat@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    at.text_area(key=f"note_{note_id}_what").input("First thoughts.").run()
    assert saved_section(org, note_id) == "First thoughts."
    finish = next(b for b in at.button if b.label == "Finish note")
    at.text_area(key=f"note_{note_id}_what").set_value(TYPED)  # typed, then Finish pressed straight away
    with saves_fail(journal, "save_note"):
        finish.click().run()
        plain_message_only(at)
        assert any(w.value.startswith(NOT_SAVED) for w in at.warning)
        assert at.text_area(key=f"note_{note_id}_what").value == TYPED
        assert saved_section(org, note_id) == "First thoughts."
    next(b for b in at.button if b.label == "Finish note").click().run()
    assert not at.exception
    assert "Note saved to your journal." in texts(at)
    assert saved_section(org, note_id) == TYPED
    assert not journal.note(org.actor(org.practitioner_id), note_id).is_draft


def test_unsaved_note_text_comes_back_after_leaving_the_page(app, org, saves_fail):
    from qa.reflection import journal

    note_id = note_for_pat(org)
    at = signed_in(app, "pat@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    with saves_fail(journal, "save_note"):
        at.text_area(key=f"note_{note_id}_what").input(TYPED).run()
        assert any(w.value.startswith(NOT_SAVED) for w in at.warning)
        # Away to the journal list and back again while the fault lasts: the boxes
        # are drawn afresh, from the draft kept in the session.
        at.switch_page(screens.JOURNAL.file).run()
        plain_message_only(at)
        at.switch_page(screens.JOURNAL_NOTE.file)
        at.query_params["note"] = str(note_id)
        at.run()
        plain_message_only(at)
        assert at.text_area(key=f"note_{note_id}_what").value == TYPED
        assert any(w.value.startswith(NOT_SAVED) for w in at.warning)
    at.run()
    assert saved_section(org, note_id) == TYPED
    assert not any(w.value.startswith(NOT_SAVED) for w in at.warning)


def test_a_quick_debrief_keeps_what_was_typed_through_a_fault_and_empties_once_saved(app, org, saves_fail):
    pat = org.actor(org.practitioner_id)
    at = signed_in(app, "pat@example.org", screens.DEBRIEF.file)
    at.get("button_group")[0].set_value(["anxious"])
    at.slider(key="debrief_intensity").set_value(8)
    at.text_area(key="debrief_what_happened").input(TYPED)
    with saves_fail(debriefs, "record_debrief"):
        at.button(key="FormSubmitter:debrief-Save debrief").click().run()
        plain_message_only(at)
        assert any(MESSAGE in e.value for e in at.error)
        assert at.text_area(key="debrief_what_happened").value == TYPED
        assert list(at.get("button_group")[0].value) == ["anxious"]
        assert at.slider(key="debrief_intensity").value == 8
        assert debriefs.my_debriefs(pat) == []
    # Save again, typing nothing: what the form still holds is what gets saved.
    at.button(key="FormSubmitter:debrief-Save debrief").click().run()
    assert not at.exception
    assert "Saved. Thank you for taking a moment for yourself." in texts(at)
    [saved] = debriefs.my_debriefs(pat)
    assert (saved.what_happened, saved.intensity) == (TYPED, 8)
    # As before: once saved, the form is empty again.
    assert at.text_area(key="debrief_what_happened").value == ""
    assert list(at.get("button_group")[0].value) == []
    assert at.slider(key="debrief_intensity").value == 5


@pytest.mark.parametrize(
    ("email", "page", "form", "box", "button"),
    [
        ("spo@example.org", screens.SUPERVISION_TEAM.file, "add_item", "add_item_title", "Add item"),
        ("pat@example.org", screens.MY_SUPERVISION.file, "my_item", "my_item_title", "Add to my agenda"),
    ],
)
def test_an_agenda_item_keeps_its_text_through_a_fault_and_empties_once_added(
    app, org, saves_fail, email, page, form, box, button
):
    from qa.supervision import agenda

    item = "Cover for home visits while I am on leave in March"
    at = signed_in(app, email, page)
    at.text_input(key=box).input(item)
    with saves_fail(agenda, "add_item"):
        at.button(key=f"FormSubmitter:{form}-{button}").click().run()
        plain_message_only(at)
        assert any(MESSAGE in e.value for e in at.error)
        assert at.text_input(key=box).value == item
    on_agenda = lambda: [i.title for i in agenda.agenda(org.actor(org.spo_id), org.practitioner_id)]  # noqa: E731
    assert item not in on_agenda()
    at.button(key=f"FormSubmitter:{form}-{button}").click().run()
    assert not at.exception
    assert on_agenda().count(item) == 1
    assert at.text_input(key=box).value == ""


def test_an_audit_action_keeps_its_text_through_a_fault_and_empties_once_added(app, org, draft, saves_fail):  # noqa: F811
    pair, audit_id = draft
    auditor = org.actor(pair.first_id)
    at = signed_in(app, auditor_email(pair), screens.AUDIT_CASE.file, audit=audit_id)
    action = "Review the risk management plan with the police domestic abuse unit."
    box = f"new_action_{audit_id}"
    submit = f"FormSubmitter:audit_form_{audit_id}-Add action"
    default_due = at.date_input(key=f"new_action_due_{audit_id}").value
    at.text_input(key=box).input(action)
    with saves_fail(workflow, "add_action"):
        at.button(key=submit).click().run()
        plain_message_only(at)
        assert any(MESSAGE in e.value for e in at.error)
        assert at.text_input(key=box).value == action
    assert workflow.audit_detail(auditor, audit_id).actions == []
    at.button(key=submit).click().run()
    assert not at.exception
    assert "Action added." in texts(at)
    assert [a.description for a in workflow.audit_detail(auditor, audit_id).actions] == [action]
    assert at.text_input(key=box).value == ""
    assert at.date_input(key=f"new_action_due_{audit_id}").value == default_due


def test_sharing_a_note_keeps_the_choice_through_a_fault_and_empties_once_shared(app, org, saves_fail):
    from db.reflection import EntryKind
    from qa.reflection import sharing

    note_id = note_for_pat(org)
    pat = org.actor(org.practitioner_id)
    at = signed_in(app, "pat@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    recipient = at.selectbox(key=f"share_to_{note_id}")
    recipient.set_value(org.spo_id)
    at.checkbox(key=f"share_sup_{note_id}").check()
    with saves_fail(sharing, "share"):
        at.button(key=f"FormSubmitter:share_{note_id}-Share this note").click().run()
        plain_message_only(at)
        assert any(MESSAGE in e.value for e in at.error)
        assert at.selectbox(key=f"share_to_{note_id}").value == org.spo_id
        assert at.checkbox(key=f"share_sup_{note_id}").value is True
    assert sharing.shares_of(pat, EntryKind.NOTE, note_id) == []
    at.button(key=f"FormSubmitter:share_{note_id}-Share this note").click().run()
    assert not at.exception
    assert any(t.startswith("Shared with") for t in texts(at).splitlines())
    [share] = sharing.shares_of(pat, EntryKind.NOTE, note_id)
    assert (share.for_supervision, share.revoked_at) == (True, None)
    assert at.selectbox(key=f"share_to_{note_id}").value is None
    assert at.checkbox(key=f"share_sup_{note_id}").value is False


@contextmanager
def unreachable_database():
    """Point the portal's engine at a server that is not there (connection refused)."""
    url = db_engine.database_url()
    saved = db_engine._engines.get(db_engine._normalise(url))
    dead = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2})
    db_engine._engines[db_engine._normalise(url)] = dead
    try:
        yield
    finally:
        db_engine._engines[db_engine._normalise(url)] = saved
        dead.dispose()


def test_a_page_says_plainly_when_the_database_cannot_be_reached(app, org):
    at = signed_in(app, "pat@example.org", screens.DEBRIEF.file)
    assert not at.exception
    with unreachable_database():
        at.run()
        assert not at.exception
        assert [e.value for e in at.error] == [str(DatabaseUnavailable())]
        assert "Traceback" not in texts(at)
    # Still signed in: a database fault is not a sign-out.
    at.run()
    assert not at.exception
    assert "Quick debrief" in [t.value for t in at.title]


def test_the_sign_in_screen_says_plainly_when_the_database_cannot_be_reached(app, org):
    at = app()
    with unreachable_database():
        at.text_input(key="sign_in_email").input("pat@example.org")
        at.text_input(key="sign_in_password").input("correct-horse-battery")
        at.button(key="FormSubmitter:sign_in-Sign in").click().run()
        assert not at.exception
        assert any(MESSAGE in e.value for e in at.error)
    # Back again: the form still holds what was typed, and signing in works.
    at.run()
    assert at.text_input(key="sign_in_email").value == "pat@example.org"
    at.button(key="FormSubmitter:sign_in-Sign in").click().run()
    assert not at.exception
    assert at.session_state["user_id"] == org.practitioner_id


# --------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_url(db_url):
    if db_engine.is_sqlite(db_url):
        pytest.skip("PostgreSQL connections")
    return db_url


def terminate_other_backends(url: str) -> int:
    """What a server restart does to the portal's pooled connections."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def pooled_backend_pids() -> set[int]:
    with session_scope() as session:
        return {session.exec(sa.text("SELECT pg_backend_pid()")).scalar_one()}


def test_postgres_recovers_after_its_connections_are_terminated(org, pg_url):
    pat = org.actor(org.practitioner_id)
    old = pooled_backend_pids()
    assert terminate_other_backends(pg_url) >= 1
    # The pool still holds the dead connection; pre-ping replaces it unseen.
    debriefs.record_debrief(pat, validate(DebriefCreate, DEBRIEF))
    assert len(debriefs.my_debriefs(pat)) == 1
    assert pooled_backend_pids().isdisjoint(old)


def test_a_connection_dropped_mid_transaction_fails_plainly_then_recovers(org, pg_url):
    pat = org.actor(org.practitioner_id)
    with pytest.raises(DatabaseUnavailable):
        with session_scope() as session:
            session.exec(sa.text("SELECT 1")).one()
            terminate_other_backends(pg_url)
            session.exec(sa.text("SELECT 1")).one()
    debriefs.record_debrief(pat, validate(DebriefCreate, DEBRIEF))
    assert len(debriefs.my_debriefs(pat)) == 1


@pytest.mark.both_engines  # a screen test about PostgreSQL itself
def test_a_signed_in_session_carries_on_after_the_connections_are_terminated(app, org, pg_url):
    at = signed_in(app, "pat@example.org", screens.DEBRIEF.file)
    assert not at.exception
    assert terminate_other_backends(pg_url) >= 1
    at.get("button_group")[0].set_value(["anxious"])
    at.button(key="FormSubmitter:debrief-Save debrief").click().run()
    assert not at.exception
    assert "Saved. Thank you for taking a moment for yourself." in texts(at)
    assert len(debriefs.my_debriefs(org.actor(org.practitioner_id))) == 1


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_the_postgres_engine_pre_pings():
    assert db_engine.get_engine(PG_URL).pool._pre_ping
