"""Erasure of a departing person's private entries.

When someone leaves, an administrator can delete what was private to them:

- their journal notes and debriefs (with the debriefs' feelings);
- every share they made of those entries;
- the requests to talk they made.

Shares of other people's entries *with* them are stopped (they can no longer
sign in, and the authors' entries stay the authors').

Everything else is kept, because it is the organisation's record and other
people's too: audits they carried out or whose cases they held, observations
they made or received, supervision records (including their sign-off
comments and the personal-support notes the SPO wrote, which are part of the
session record), actions, and the audit trail. Their account stays,
deactivated, so all of that still shows their name.

Rules:

- only an administrator, never for themselves (``Action.ERASE_PRIVATE_ENTRIES``);
- the person must be deactivated first, so nobody's private space is erased
  under them while they can still use it;
- the administrator confirms by typing the person's email address;
- it is one transaction, with one audit-trail entry that holds counts only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import SQLColumnExpression, delete, func, update
from sqlmodel import Session, SQLModel, col, select

from db.engine import session_scope
from db.organisation import User, utcnow
from db.reflection import Debrief, DebriefFeeling, EntryShare, JournalEntry, SupportRequest
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, require
from qa.errors import NotFound, ValidationFailed

_BULK = {"synchronize_session": False}


@dataclass(frozen=True)
class ErasureCounts:
    notes: int
    debriefs: int
    shares: int  # shares they made of their own entries
    requests: int  # requests to talk they made
    shares_to_them_stopped: int

    @property
    def total(self) -> int:
        return self.notes + self.debriefs + self.requests

    def summary(self) -> str:
        return (
            f"{self.notes} journal notes, {self.debriefs} debriefs, {self.shares} shares and "
            f"{self.requests} requests to talk deleted; {self.shares_to_them_stopped} shares with them stopped"
        )


def _person(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Action.ERASE_PRIVATE_ENTRIES, PersonScope(user_id))
    person = session.get(User, user_id)
    if person is None:
        raise NotFound("That user could not be found.")
    return person


def _count(session: Session, user_id: int) -> ErasureCounts:
    def count(model: type[SQLModel], *where: SQLColumnExpression[bool] | bool) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    return ErasureCounts(
        notes=count(JournalEntry, JournalEntry.author_id == user_id),
        debriefs=count(Debrief, Debrief.author_id == user_id),
        shares=count(EntryShare, EntryShare.author_id == user_id),
        requests=count(SupportRequest, SupportRequest.requester_id == user_id),
        shares_to_them_stopped=count(
            EntryShare, col(EntryShare.shared_with_id) == user_id, col(EntryShare.revoked_at).is_(None)
        ),
    )


def preview(actor: Actor, user_id: int) -> ErasureCounts:
    """What erasing this person's private entries would remove. Changes nothing."""
    with session_scope() as session:
        _person(session, actor, user_id)
        return _count(session, user_id)


def erase_private_entries(actor: Actor, user_id: int, confirm_email: str) -> ErasureCounts:
    """Delete a deactivated person's private entries, in one transaction."""
    with session_scope() as session:
        person = _person(session, actor, user_id)
        if person.is_active:
            raise ValidationFailed(
                {
                    "confirm": f"Deactivate {person.full_name} first: private entries are erased only for someone who has left."
                }
            )
        if (confirm_email or "").strip().lower() != person.email.lower():
            raise ValidationFailed(
                {"confirm": f"Type {person.full_name}'s email address exactly, to confirm. Nothing has been deleted."}
            )
        counts = _count(session, user_id)
        debriefs = select(Debrief.id).where(Debrief.author_id == user_id)
        session.exec(
            update(SupportRequest).where(col(SupportRequest.debrief_id).in_(debriefs)).values(debrief_id=None),
            execution_options=_BULK,
        )
        session.exec(delete(SupportRequest).where(col(SupportRequest.requester_id) == user_id), execution_options=_BULK)
        session.exec(
            delete(DebriefFeeling).where(col(DebriefFeeling.debrief_id).in_(debriefs)), execution_options=_BULK
        )
        session.exec(delete(EntryShare).where(col(EntryShare.author_id) == user_id), execution_options=_BULK)
        session.exec(delete(Debrief).where(col(Debrief.author_id) == user_id), execution_options=_BULK)
        session.exec(delete(JournalEntry).where(col(JournalEntry.author_id) == user_id), execution_options=_BULK)
        session.exec(
            update(EntryShare)
            .where(col(EntryShare.shared_with_id) == user_id, col(EntryShare.revoked_at).is_(None))
            .values(revoked_at=utcnow()),
            execution_options=_BULK,
        )
        trail.record(session, actor, "erased_private_entries", "user", user_id, counts.summary())
    return counts
