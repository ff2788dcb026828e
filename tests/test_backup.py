"""Backup and restore (db/backup.py, ``python -m portal backup | restore``).

The round trip fills every table, backs up, restores into a fresh database and
compares every table row by row, column by column, with raw SQL: on SQLite
(its online backup file, and the portable ZIP) and on PostgreSQL (the portable
ZIP). Restore refuses a database in use, a different schema revision and a
damaged file. Private text stays encrypted in the backup.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
import time
import zipfile

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlmodel import select

from bench import generate_region as gen
from db import backup as bk
from db import encryption, migrate
from db import engine as db_engine
from db.access_log import RecordView
from db.audits import AuditEvent, AuditorPair, AuditSeen, CaseAudit, SampleSwap
from db.engine import session_scope
from db.notifications import Notification, NotificationPreference, OutboxMessage
from db.observations import Observation
from db.organisation import Case, Role, Setting, User, UserRole
from db.reflection import DebriefCreate, EntryShare, JournalEntry, SupportContact
from db.sessions import SignInAttempt, SignInMethod, SignInSession
from db.supervision import AgendaItem, SessionVersion, SupervisionSession
from portal.__main__ import main as db_main
from qa.access.auth import load_actor
from qa.reflection import debriefs, journal
from qa.validation import validate
from tests.conftest import PG_URL

SECRET = "Visit went badly; I keep thinking about the children in the house."
AWKWARD = "Line one\nLine \"two\" — café, naïve, 🧭, \\ back\\slash, 'quote'"


# ----------------------------------------------------------------- helpers


def fill_every_table(url: str) -> None:
    """A small synthetic region (bench/generate_region.py), plus a row in each
    table the generator leaves empty."""
    gen.generate(url, scale=0.01, analyze=False, log=lambda *_: None)
    with session_scope() as session:
        practitioner = session.exec(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.PRACTITIONER, User.supervisor_id.is_not(None))
        ).first()
        spo_id = practitioner.supervisor_id
        lead_id = session.exec(select(UserRole.user_id).where(UserRole.role == Role.QA_LEAD)).first()
        note = JournalEntry(
            author_id=practitioner.id,
            content=json.dumps({"title": "After the visit", "sections": {"what": SECRET}, "tags": ["risk"]}),
        )
        session.add(note)
        session.flush()
        session.add(
            EntryShare(
                kind="note", entry_id=note.id, author_id=practitioner.id, shared_with_id=spo_id, for_supervision=True
            )
        )
        session.add(SupportContact(name="Peer support circle", description=AWKWARD, independent=True))
        supervision = session.exec(select(SupervisionSession)).first()
        session.add(
            AgendaItem(
                practitioner_id=practitioner.id,
                kind="added item",
                title="Caseload",
                added_by_id=spo_id,
                discussed_in_id=supervision.id,
                discussion_note="Talked it through.",
            )
        )
        session.add(
            SessionVersion(
                session_id=supervision.id,
                version=1,
                snapshot=json.dumps({"notes": "before the change"}),
                changed_by_id=spo_id,
            )
        )
        observation = session.exec(select(Observation)).first()
        pair = session.exec(select(AuditorPair)).first()
        session.add(
            RecordView(
                viewer_id=spo_id,
                subject_id=practitioner.id,
                record_kind="observation",
                record_id=observation.id,
                pair_id=pair.id,
            )
        )
        event = session.exec(select(AuditEvent)).first()
        first, second = session.exec(select(Case.id).limit(2)).all()
        session.add(
            SampleSwap(
                event_id=event.id,
                removed_case_id=first,
                added_case_id=second,
                reason="Case transferred out",
                by_id=lead_id,
            )
        )
        session.add(Setting(key="backup-check", value=AWKWARD))
        audit = session.exec(select(CaseAudit).where(CaseAudit.feedback_to_id.is_not(None))).first()
        session.add(AuditSeen(audit_id=audit.id, user_id=audit.feedback_to_id))
        told = Notification(
            recipient_id=spo_id,
            kind="feedback_ready",
            record_kind="case_audit",
            record_id=audit.id,
            occasion=f"feedback_ready:{audit.id}",
        )
        session.add(told)
        session.flush()
        session.add(OutboxMessage(notification_id=told.id, recipient_id=spo_id, kind=told.kind, last_error=AWKWARD))
        session.add(NotificationPreference(user_id=spo_id, kind="feedback_ready", delivery="digest"))
        now = dt.datetime.now(dt.UTC)
        session.add(
            SignInSession(
                id_hash="a" * 64,
                user_id=spo_id,
                method=SignInMethod.PASSWORD,
                idle_expires_at=now + dt.timedelta(minutes=30),
                absolute_expires_at=now + dt.timedelta(hours=12),
                user_agent=AWKWARD,
            )
        )
        session.add(SignInAttempt(address="192.0.2.10"))
        # A supervisor with a higher id than the person they supervise: restore
        # must cope with a table that refers to itself in any order.
        newest = session.exec(select(sa.func.max(User.id))).one()
        oldest = session.exec(select(sa.func.min(User.id))).one()
        session.get(User, oldest).supervisor_id = newest
    empty = [name for name, rows in raw_tables(url).items() if not rows]
    assert not empty, f"add rows for these tables to fill_every_table: {empty}"


def raw_tables(url: str) -> dict[str, list[tuple]]:
    """Every table, every row, every column, exactly as the database returns it."""
    engine = db_engine.get_engine(url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        names = sorted(n for n in inspector.get_table_names() if n != "alembic_version")
        out = {}
        for name in names:
            columns = [c["name"] for c in inspector.get_columns(name)]
            select_list = ", ".join(f'"{c}"' for c in columns)
            out[name] = conn.exec_driver_sql(f'SELECT {select_list} FROM "{name}" ORDER BY {select_list}').all()
            out[name] = [tuple(r) for r in out[name]]
        return out


def revision(url: str) -> str:
    return migrate.current_revision(url)


@pytest.fixture
def full_db(db_url):
    fill_every_table(db_url)
    return db_url


def _reset_postgres(url: str) -> str:
    engine = db_engine.get_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    return url


@pytest.fixture
def fresh_url(db_url, tmp_path):
    """An empty database of the same kind to restore into (nothing in it yet, not even tables)."""
    if db_engine.is_sqlite(db_url):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return _pg_restore_url()


def _pg_restore_url() -> str:
    """The test database's sibling, "<name>_restore", emptied."""
    parsed = make_url(PG_URL)
    name = parsed.database + "_restore"
    admin = db_engine.get_engine(PG_URL)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return _reset_postgres(parsed.set(database=name).render_as_string(hide_password=False))


def formats(db_url: str) -> list[bool]:
    return [False, True] if db_engine.is_sqlite(db_url) else [True]


# ----------------------------------------------------------------- round trip


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite-file", "portable"])
def test_round_trip_restores_every_table_exactly(full_db, fresh_url, tmp_path, portable):
    if portable is False and not db_engine.is_sqlite(full_db):
        pytest.skip("PostgreSQL backs up in the portable format")
    before = raw_tables(full_db)
    assert all(before.values())  # every table has rows
    path = tmp_path / ("portal.zip" if portable else "portal.db.bak")
    made = bk.backup(path, full_db, portable=portable)
    assert made.kind == ("portable" if portable else "SQLite file")
    assert made.revision == revision(full_db)
    assert made.rows == {name: len(rows) for name, rows in before.items()}
    assert (os.stat(path).st_mode & 0o777) == 0o600  # personal data: owner only

    restored = bk.restore(path, fresh_url)
    assert restored.warnings == []  # the configured key reads the restored private text
    after = raw_tables(fresh_url)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    assert revision(fresh_url) == revision(full_db)


def test_the_restored_portal_works_and_new_rows_get_new_ids(full_db, fresh_url, tmp_path):
    path = tmp_path / "portal.zip"
    bk.backup(path, full_db, portable=True)
    bk.restore(path, fresh_url)
    db_engine.configure(fresh_url)
    with session_scope() as session:
        author_id = session.exec(select(JournalEntry.author_id)).first()
        highest = session.exec(sa.text("SELECT MAX(id) FROM debrief")).scalar_one()
    author = load_actor(author_id)
    note = next(n for n in journal.my_notes(author) if n.title == "After the visit")
    assert journal.note(author, note.id).sections["what"] == SECRET  # decrypted with the same key
    saved = debriefs.record_debrief(
        author, validate(DebriefCreate, {"feelings": ["anxious"], "intensity": 4, "need": "nothing right now"})
    )
    assert saved.id > highest  # PostgreSQL's sequence was moved past the restored ids


def typed_tables(url: str) -> dict[str, list[tuple]]:
    """Every row read through SQLAlchemy's types, so SQLite and PostgreSQL compare:
    times as naive UTC, booleans as 0 and 1."""

    def norm(value):
        if isinstance(value, dt.datetime) and value.utcoffset() is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(value, bool):
            return int(value)
        return value

    metadata = sa.MetaData()
    with db_engine.get_engine(url).connect() as conn:
        metadata.reflect(conn)
        return {
            t.name: sorted((tuple(norm(v) for v in row) for row in conn.execute(sa.select(t))), key=repr)
            for t in metadata.sorted_tables
            if t.name != "alembic_version"
        }


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_a_sqlite_backup_moves_into_postgresql(full_db, tmp_path):
    if not db_engine.is_sqlite(full_db):
        pytest.skip("from SQLite")
    path = tmp_path / "portal.db.bak"
    bk.backup(path, full_db)
    target = _pg_restore_url()
    bk.restore(path, target)
    before, after = typed_tables(full_db), typed_tables(target)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"table {name} differs after moving to PostgreSQL"
    db_engine.configure(target)
    with session_scope() as session:
        author_id = session.exec(select(JournalEntry.author_id)).first()
    author = load_actor(author_id)
    note = next(n for n in journal.my_notes(author) if n.title == "After the visit")
    assert journal.note(author, note.id).sections["what"] == SECRET


# ----------------------------------------------------------------- online


def test_a_sqlite_backup_runs_while_the_portal_is_writing(full_db, tmp_path):
    if not db_engine.is_sqlite(full_db):
        pytest.skip("SQLite's online backup")
    path = make_url(full_db).database
    # The portal keeps committing while the backup runs.
    stop = threading.Event()
    committed = []

    def keep_writing():
        other = sqlite3.connect(path, timeout=10)
        n = 0
        while not stop.is_set():
            n += 1
            other.execute("INSERT INTO setting (key, value) VALUES (?, 'x')", (f"during-{n}",))
            other.commit()
            committed.append(n)
            time.sleep(0.01)
        other.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    while len(committed) < 3:
        time.sleep(0.01)
    started = time.monotonic()
    report = bk.backup(tmp_path / "live.db.bak", full_db)
    took = time.monotonic() - started
    stop.set()
    thread.join()
    assert took < 10
    copy = sqlite3.connect(tmp_path / "live.db.bak")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    during = copy.execute("SELECT COUNT(*) FROM setting WHERE key LIKE 'during-%'").fetchone()[0]
    assert 3 <= during <= len(committed)
    assert report.rows["setting"] == copy.execute("SELECT COUNT(*) FROM setting").fetchone()[0]
    copy.close()


def test_a_sqlite_backup_is_not_held_up_by_an_open_write(full_db, tmp_path):
    if not db_engine.is_sqlite(full_db):
        pytest.skip("SQLite's online backup")
    writer = sqlite3.connect(make_url(full_db).database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO setting (key, value) VALUES ('not-yet-committed', 'x')")
    started = time.monotonic()
    bk.backup(tmp_path / "during-write.db.bak", full_db)
    assert time.monotonic() - started < db_engine.SQLITE_BUSY_TIMEOUT_SECONDS
    writer.execute("ROLLBACK")
    writer.close()
    copy = sqlite3.connect(tmp_path / "during-write.db.bak")
    assert copy.execute("SELECT COUNT(*) FROM setting WHERE key = 'not-yet-committed'").fetchone()[0] == 0
    copy.close()


# ----------------------------------------------------------------- refusals


@pytest.fixture
def small_db(db_url, org):
    """A database with a few people, quicker than a whole region."""
    pat = org.actor(org.practitioner_id)
    note_id = journal.new_note(pat)
    journal.save_note(
        pat, note_id, title="After the visit", sections={"what": SECRET}, tags=[], case_ref="", entry_date=None
    )
    debriefs.record_debrief(
        pat,
        validate(
            DebriefCreate,
            {"feelings": ["anxious"], "intensity": 6, "need": "nothing right now", "what_happened": SECRET},
        ),
    )
    return db_url, note_id


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite-file", "portable"])
def test_restore_refuses_a_database_in_use_unless_forced(small_db, tmp_path, portable):
    url, _ = small_db
    if portable is False and not db_engine.is_sqlite(url):
        pytest.skip("PostgreSQL backs up in the portable format")
    path = tmp_path / "b"
    bk.backup(path, url, portable=portable)
    before = raw_tables(url)
    pat_id = next(iter(before["debrief"]))[1]
    debriefs.record_debrief(
        load_actor(pat_id), validate(DebriefCreate, {"feelings": ["calm"], "intensity": 1, "need": "nothing right now"})
    )
    with pytest.raises(bk.BackupError, match="already holds data"):
        bk.restore(path, url)
    assert len(raw_tables(url)["debrief"]) == 2  # untouched
    bk.restore(path, url, force=True)  # back to the state in the backup
    assert raw_tables(url) == before


def test_restore_refuses_a_different_schema_revision(small_db, tmp_path, fresh_url):
    url, _ = small_db
    path = tmp_path / "b.zip"
    bk.backup(path, url, portable=True)
    older = migrate.ScriptDirectory.from_config(migrate.alembic_config()).get_revision(revision(url)).down_revision
    migrate.upgrade(fresh_url, older)
    with pytest.raises(bk.BackupError, match=f"made at schema revision {revision(url)}.*is at revision {older}"):
        bk.restore(path, fresh_url)


def test_restore_refuses_a_revision_it_does_not_know(small_db, tmp_path, fresh_url):
    url, _ = small_db
    path = tmp_path / "b.zip"
    bk.backup(path, url, portable=True)
    tampered = tmp_path / "future.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["alembic_revision"] = "9999"
                data = json.dumps(manifest).encode()
            out.writestr(item, data)
    with pytest.raises(bk.BackupError, match="probably made by a newer version"):
        bk.restore(tampered, fresh_url)


def test_a_damaged_backup_restores_nothing(small_db, tmp_path, fresh_url):
    url, _ = small_db
    path = tmp_path / "b.zip"
    bk.backup(path, url, portable=True)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/debrief.jsonl":
                data = b""  # a truncated copy
            out.writestr(item, data)
    with pytest.raises(bk.BackupError, match="debrief table is damaged"):
        bk.restore(damaged, fresh_url)
    with db_engine.get_engine(fresh_url).connect() as conn:
        assert bk._rows_in_use(conn) == []
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(bk.BackupError, match="not a portal backup"):
        bk.restore(not_a_backup, fresh_url)


def test_backup_will_not_overwrite_a_file_unless_asked(small_db, tmp_path):
    url, _ = small_db
    path = tmp_path / "b"
    path.write_text("an older backup")
    with pytest.raises(bk.BackupError, match="already exists"):
        bk.backup(path, url)
    assert path.read_text() == "an older backup"
    bk.backup(path, url, overwrite=True)
    assert path.read_bytes().startswith(bk.SQLITE_MAGIC if db_engine.is_sqlite(url) else b"PK")


def test_only_the_seeded_tables_have_rows_in_a_new_database(db_url):
    with db_engine.get_engine(db_url).connect() as conn:
        assert bk._rows_in_use(conn) == []
        seeded = [n for n in bk.SEEDED_BY_MIGRATIONS if conn.exec_driver_sql(f'SELECT 1 FROM "{n}" LIMIT 1').first()]
    assert seeded == sorted(bk.SEEDED_BY_MIGRATIONS)


# ----------------------------------------------------------------- the key


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite-file", "portable"])
def test_private_text_stays_encrypted_in_the_backup(small_db, tmp_path, portable):
    url, _ = small_db
    if portable is False and not db_engine.is_sqlite(url):
        pytest.skip("PostgreSQL backs up in the portable format")
    path = tmp_path / "b"
    bk.backup(path, url, portable=portable)
    if portable:
        with zipfile.ZipFile(path) as archive:
            content = b"".join(archive.read(n) for n in archive.namelist())
    else:
        content = path.read_bytes()
    assert SECRET.encode() not in content
    assert b"gAAAAA" in content  # Fernet tokens, copied as they are


def test_restore_warns_when_the_key_cannot_read_the_private_text(small_db, tmp_path, fresh_url, monkeypatch):
    url, _ = small_db
    path = tmp_path / "b.zip"
    bk.backup(path, url, portable=True)
    original_key = os.environ[encryption.ENV_VAR]
    monkeypatch.setenv(encryption.ENV_VAR, Fernet.generate_key().decode())
    report = bk.restore(path, fresh_url)
    assert any("cannot be read with the encryption key configured now" in w for w in report.warnings)
    # The old key listed after the new one (as after a rotation) reads it again.
    monkeypatch.setenv(encryption.ENV_VAR, f"{Fernet.generate_key().decode()},{original_key}")
    assert bk._key_warnings(fresh_url) == []


def test_restoring_the_default_database_never_makes_up_a_key(small_db, tmp_path, monkeypatch):
    url, _ = small_db
    path = tmp_path / "b.zip"
    bk.backup(path, url, portable=True)
    default = tmp_path / "data" / "portal.db"
    monkeypatch.setattr(db_engine, "DEFAULT_SQLITE_PATH", default)
    monkeypatch.setattr(encryption, "KEY_FILE", default.parent / "encryption.key")
    monkeypatch.delenv(encryption.ENV_VAR)
    report = bk.restore(path, db_engine.default_url())
    assert any("There is no encryption key in" in w for w in report.warnings)
    assert not encryption.KEY_FILE.exists()  # a new key would not read the restored text
    db_engine.get_engine(db_engine.default_url()).dispose()


# ----------------------------------------------------------------- the commands


def test_the_backup_and_restore_commands(small_db, tmp_path, fresh_url, capsys):
    url, _ = small_db
    path = tmp_path / ("portal.db.bak" if db_engine.is_sqlite(url) else "portal.zip")
    assert db_main(["--database-url", url, "backup", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Backed up the database to {path}" in out
    assert "cannot be read without the encryption key, which is not in the backup" in out
    assert db_main(["--database-url", url, "backup", str(path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert db_main(["--database-url", fresh_url, "restore", str(path)]) == 0
    assert "Restored" in capsys.readouterr().out
    assert db_main(["--database-url", fresh_url, "restore", str(path)]) == 1
    assert "already holds data" in capsys.readouterr().err
    db_engine.configure(url)  # main() leaves the configured URL pointing at the restore target
    assert raw_tables(fresh_url) == raw_tables(url)
