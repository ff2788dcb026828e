"""The audit trail is append-only."""

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.organisation import AuditTrail
from qa.access import trail_view
from qa.errors import PermissionDenied
from qa.organisation import users


def test_entries_cannot_be_changed_or_deleted_through_the_orm(org):
    users.set_active(org.actor(org.admin_id), org.peer_id, False)
    with pytest.raises(PermissionError):
        with session_scope() as session:
            entry = session.exec(select(AuditTrail)).first()
            entry.summary = "rewritten"
            session.add(entry)
    with pytest.raises(PermissionError):
        with session_scope() as session:
            session.delete(session.exec(select(AuditTrail)).first())


def test_admins_read_the_trail_with_names(org):
    users.set_active(org.actor(org.admin_id), org.peer_id, False)
    latest = trail_view.recent_entries(org.actor(org.admin_id))[0]
    assert (latest.actor_name, latest.action, latest.entity) == ("Ada Admin", "deactivated", "user")


def test_nobody_else_reads_the_trail(org):
    with pytest.raises(PermissionDenied):
        trail_view.recent_entries(org.actor(org.qa_lead_id))
