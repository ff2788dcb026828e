"""Sharing one note or debrief with one person, revocably.

Entries are private by default. The author may share a single entry with a
single person, and revoke it at any time; revoking takes effect on that
person's next click, because every read checks the live share. Shares are
kept (with revoked_at) so the author can see their own sharing history; they
are deliberately not written to the organisation's audit trail, which
administrators can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import User, utcnow
from db.reflection import Debrief, EntryKind, EntryShare, JournalEntry
from qa.access.actor import Actor
from qa.access.policy import Action, EntryScope, can
from qa.errors import NotFound, ValidationFailed
from qa.notifications.notify import notify
from qa.records import RecordKind, RecordRef

_Entry = TypeVar("_Entry", JournalEntry, Debrief)


@dataclass(frozen=True)
class ShareRow:
    id: int
    kind: str
    entry_id: int
    shared_with_id: int
    shared_with_name: str
    for_supervision: bool
    shared_at: datetime
    revoked_at: datetime | None


def entry_row(session: Session, model: type[_Entry], entry_id: int) -> _Entry:
    """The entry that ``require_entry`` has just let the actor at; NotFound if it has gone since."""
    row = session.get(model, entry_id)
    if row is None:
        raise NotFound("That entry could not be found.")
    return row


def _entry(session: Session, kind: EntryKind, entry_id: int) -> JournalEntry | Debrief:
    if EntryKind(kind) == EntryKind.NOTE:
        return entry_row(session, JournalEntry, entry_id)
    return entry_row(session, Debrief, entry_id)


def scope_of(session: Session, kind: EntryKind, entry_id: int) -> EntryScope:
    row = _entry(session, kind, entry_id)
    readers = session.exec(
        select(EntryShare.shared_with_id).where(
            col(EntryShare.kind) == EntryKind(kind),
            col(EntryShare.entry_id) == entry_id,
            col(EntryShare.revoked_at).is_(None),
        )
    ).all()
    return EntryScope(author_id=row.author_id, shared_with=frozenset(readers))


def require_entry(session: Session, actor: Actor, kind: EntryKind, entry_id: int, action: Action) -> EntryScope:
    """Refuse with NotFound, never PermissionDenied: nobody learns that someone else's entry exists."""
    try:
        scope = scope_of(session, kind, entry_id)
    except NotFound:
        raise NotFound("That entry could not be found.") from None
    if not can(actor, action, scope):
        raise NotFound("That entry could not be found.")
    return scope


def share(actor: Actor, kind: EntryKind, entry_id: int, recipient_id: int, for_supervision: bool = False) -> int:
    with session_scope() as session:
        require_entry(session, actor, kind, entry_id, Action.EDIT_ENTRY)
        recipient = session.get(User, recipient_id)
        if recipient is None or not recipient.is_active:
            raise ValidationFailed({"recipient_id": "Choose an active colleague to share with."})
        if recipient_id == actor.id:
            raise ValidationFailed({"recipient_id": "Choose someone other than yourself."})
        live = session.exec(
            select(EntryShare).where(
                EntryShare.kind == EntryKind(kind),
                EntryShare.entry_id == entry_id,
                EntryShare.shared_with_id == recipient_id,
                col(EntryShare.revoked_at).is_(None),
            )
        ).first()
        if live is not None:
            live.for_supervision = live.for_supervision or for_supervision
            session.add(live)
            return id_of(live)
        row = EntryShare(
            kind=EntryKind(kind),
            entry_id=entry_id,
            author_id=actor.id,
            shared_with_id=recipient_id,
            for_supervision=for_supervision,
        )
        session.add(row)
        session.flush()
        is_note = EntryKind(kind) == EntryKind.NOTE
        notify(
            session,
            kind="note_shared" if is_note else "debrief_shared",
            recipient_ids=[recipient_id],
            record=RecordRef(RecordKind.SHARED_NOTE if is_note else RecordKind.SHARED_DEBRIEF, entry_id),
            occasion=f"shared:{id_of(row)}",
        )
        return id_of(row)


def revoke(actor: Actor, share_id: int) -> None:
    with session_scope() as session:
        row = session.get(EntryShare, share_id)
        if row is None or row.author_id != actor.id:
            raise NotFound("That share could not be found.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            # Nothing of the entry is said, not even its kind: only that a share was taken back.
            notify(
                session,
                kind="share_withdrawn",
                recipient_ids=[row.shared_with_id],
                record=None,
                occasion=f"share_withdrawn:{share_id}",
            )


def shares_of(actor: Actor, kind: EntryKind, entry_id: int) -> list[ShareRow]:
    """The author's view of who an entry is, and was, shared with."""
    with session_scope() as session:
        require_entry(session, actor, kind, entry_id, Action.EDIT_ENTRY)
        rows = session.exec(
            select(EntryShare, User.full_name)
            .join(User, col(EntryShare.shared_with_id) == col(User.id))
            .where(EntryShare.kind == EntryKind(kind), EntryShare.entry_id == entry_id)
            .order_by(col(EntryShare.shared_at))
        ).all()
        return [
            ShareRow(id_of(s), s.kind, s.entry_id, s.shared_with_id, name, s.for_supervision, s.shared_at, s.revoked_at)
            for s, name in rows
        ]


@dataclass(frozen=True)
class SharedWithMe:
    share_id: int
    kind: str
    entry_id: int
    author_name: str
    shared_at: datetime
    for_supervision: bool


def shared_with_me(actor: Actor) -> list[SharedWithMe]:
    with session_scope() as session:
        rows = session.exec(
            select(EntryShare, User.full_name)
            .join(User, col(EntryShare.author_id) == col(User.id))
            .where(col(EntryShare.shared_with_id) == actor.id, col(EntryShare.revoked_at).is_(None))
            .order_by(col(EntryShare.shared_at).desc())
        ).all()
        return [SharedWithMe(id_of(s), s.kind, s.entry_id, name, s.shared_at, s.for_supervision) for s, name in rows]


def colleagues(actor: Actor) -> list[tuple[int, str]]:
    """Everyone the author could share with: active staff, their SPO first."""
    with session_scope() as session:
        me = session.get(User, actor.id)
        people = session.exec(select(User).where(User.is_active, User.id != actor.id).order_by(User.full_name)).all()
        ordered = sorted(people, key=lambda u: (u.id != (me.supervisor_id if me else None), u.full_name))
        return [(id_of(u), f"{u.full_name}{' (my SPO)' if me and u.id == me.supervisor_id else ''}") for u in ordered]
