"""The data version: the dashboards' cache key goes up with every write, in the same transaction, in every process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import select

from db import engine as db_engine
from db.access_log import RecordKind, RecordView
from db.dashboards import data_version
from db.engine import session_scope
from db.organisation import Grade, Role, User
from db.reflection import Debrief
from qa.dashboards import figures
from tests.factories import make_user


def test_a_write_bumps_the_version_once_per_transaction(org):
    before = data_version()
    with session_scope() as session:
        session.add(Debrief(author_id=org.practitioner_id, intensity=4))
        session.flush()
        session.add(Debrief(author_id=org.practitioner_id, intensity=5))
    assert data_version() == before + 1
    assert figures.data_version() == (before + 1,)


def test_reading_changes_nothing(org):
    before = data_version()
    with session_scope() as session:
        session.exec(select(User)).all()
    assert data_version() == before


def test_a_write_that_is_rolled_back_leaves_the_version(org):
    before = data_version()
    with pytest.raises(RuntimeError), session_scope() as session:
        session.add(Debrief(author_id=org.practitioner_id, intensity=4))
        session.flush()
        raise RuntimeError("refused")
    assert data_version() == before


def test_a_bulk_update_bumps_the_version(org):
    before = data_version()
    with session_scope() as session:
        session.execute(update(User).where(User.id == org.practitioner_id).values(full_name="Pat Renamed"))
    assert data_version() == before + 1


def test_recording_who_viewed_a_record_keeps_cached_figures(org):
    before = data_version()
    with session_scope() as session:
        session.add(
            RecordView(
                viewer_id=org.spo_id,
                subject_id=org.practitioner_id,
                record_kind=RecordKind.OBSERVATION,
                record_id=1,
                at=datetime.now(UTC),
            )
        )
    assert data_version() == before


def test_another_process_sees_the_new_version(org, db_url):
    before = data_version()
    make_user("New Starter", "new@example.org", Grade.PO, [Role.PRACTITIONER], org.team_a_id)
    db_engine.dispose_all()  # what another process has: its own engine and connections
    assert data_version() == before + 1
