"""A shared reflection discussed in supervision: the record refers to the note and never copies it.

Its title shows only to the note's author and the people it is shared with right now; everyone else
(a QA lead in oversight, the SPO once the share is withdrawn, the subject access export) reads only
that a shared reflection was discussed. Agenda titles are encrypted at rest, and migration 0013
strips the copies older records hold.
"""

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from db import encryption
from db import engine as db_engine
from db.migrate import upgrade
from db.reflection import EntryKind
from db.supervision import AgendaKind
from qa.errors import ValidationFailed
from qa.privacy import subject_access
from qa.reflection import sharing
from qa.supervision import agenda
from qa.supervision import records as supervision
from tests.test_reflection import write_note
from tests.test_supervision import record

TITLE = "After the home visit"  # tests.test_reflection.write_note


def discussed_reflection(org):
    """Pat shares a note for supervision; the SPO ticks it on the agenda. Returns (session id, share id)."""
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    item = next(
        i for i in agenda.agenda(org.actor(org.spo_id), org.practitioner_id) if i.kind == AgendaKind.SHARED_REFLECTION
    )
    assert TITLE in item.title  # the live agenda: only Pat and the SPO it is shared with see it
    session_id = record(
        org,
        discussed=[
            # Even a page that passes the title on has it dropped: the record keeps the reference.
            {"kind": item.kind, "source_id": item.source_id, "title": item.title, "note": "Talked it through."}
        ],
    )
    return session_id, share_id


def label(org, who, session_id):
    (item,) = supervision.session_record(org.actor(who), session_id).discussed
    return item["title"]


def test_the_title_shows_to_the_author_and_the_current_sharee_only(org):
    session_id, _share = discussed_reflection(org)
    assert label(org, org.practitioner_id, session_id) == f"Shared reflection: {TITLE}"
    assert label(org, org.spo_id, session_id) == f"Shared reflection: {TITLE}"
    assert label(org, org.qa_lead_id, session_id) == supervision.REFLECTION_DISCUSSED  # oversight


def test_once_the_share_is_withdrawn_the_spo_reads_only_that_a_reflection_was_discussed(org):
    session_id, share_id = discussed_reflection(org)
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    assert label(org, org.spo_id, session_id) == supervision.REFLECTION_DISCUSSED
    assert label(org, org.qa_lead_id, session_id) == supervision.REFLECTION_DISCUSSED
    assert label(org, org.practitioner_id, session_id) == f"Shared reflection: {TITLE}"  # still the author's


def test_the_subject_access_export_holds_no_copy_of_the_title(org):
    session_id, share_id = discussed_reflection(org)
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    with zipfile.ZipFile(io.BytesIO(subject_access.export_for(org.actor(org.spo_id)))) as archive:
        spo_export = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert supervision.REFLECTION_DISCUSSED in spo_export  # the item is there: that it was discussed
    assert TITLE not in spo_export


def test_a_withdrawn_or_foreign_share_cannot_be_recorded_as_discussed(org):
    note_id = write_note(org)
    share_id = sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    with pytest.raises(ValidationFailed):
        record(org, discussed=[{"kind": AgendaKind.SHARED_REFLECTION, "source_id": share_id}])


def _raw_bytes(url: str) -> bytes:
    engine = db_engine.get_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(make_url(url).database or "")
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_the_database_file_never_holds_the_title_after_discussion_and_withdrawal(org, db_url):
    if not db_engine.is_sqlite(db_url):
        pytest.skip("searches the SQLite file")
    _session_id, share_id = discussed_reflection(org)
    agenda.add_item(org.actor(org.practitioner_id), org.practitioner_id, "Zebracrossing worries about my caseload")
    sharing.revoke(org.actor(org.practitioner_id), share_id)
    raw = _raw_bytes(db_url)
    assert TITLE.encode() not in raw
    assert b"Zebracrossing" not in raw  # what a practitioner adds to their agenda is encrypted too


def test_migration_0013_strips_copied_titles_and_encrypts_the_rest(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012")
    engine = db_engine.get_engine(url)
    now = datetime(2026, 1, 5, 10, 0)
    with engine.begin() as conn:
        rows = [
            (1, "shared reflection", 7, "Shared reflection: My secret worry"),
            (2, "added item", None, "Shared reflection: copied by hand"),
            (3, "added item", None, "Cover while I am on leave"),
            (4, "audit feedback", 3, "Audit feedback on case N100000"),
        ]
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for row_id, kind, source, title in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO agenda_item (id, practitioner_id, kind, source_id, title, added_at, discussion_note) "
                    "VALUES (:id, 1, :kind, :source, :title, :at, :note)"
                ),
                {
                    "id": row_id,
                    "kind": kind,
                    "source": source,
                    "title": title,
                    "at": now,
                    "note": encryption.encrypt(""),
                },
            )
    upgrade(url)
    with engine.connect() as conn:
        stored: dict[int, str] = dict(conn.execute(sa.text("SELECT id, title FROM agenda_item")).all())
        sources: dict[int, int | None] = dict(conn.execute(sa.text("SELECT id, source_id FROM agenda_item")).all())
    engine.dispose()
    plain = {k: encryption.decrypt(v) for k, v in stored.items()}
    assert plain == {
        1: "",
        2: supervision.REFLECTION_DISCUSSED,
        3: "Cover while I am on leave",
        4: "Audit feedback on case N100000",
    }
    assert sources[1] == 7  # the reference stays
    assert not any("secret worry" in v or "Cover while" in v for v in stored.values())
