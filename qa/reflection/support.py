"""Support requests between colleagues, and the support contacts an administrator configures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import User, utcnow
from db.reflection import (
    EntryKind,
    EntryShare,
    RequestStatus,
    SupportContact,
    SupportContactCreate,
    SupportRequest,
    Urgency,
)
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, SupportRequestScope, can, require
from qa.errors import NotFound, ValidationFailed
from qa.notifications.notify import notify
from qa.records import RecordKind, RecordRef
from qa.settings import set_flag

URGENCY_ORDER = {Urgency.TODAY: 0, Urgency.THIS_WEEK: 1, Urgency.WHEN_CONVENIENT: 2}


@dataclass(frozen=True)
class RequestRow:
    id: int
    requester_name: str
    recipient_name: str
    urgency: str
    status: str
    created_at: datetime
    debrief_id: int | None  # set for the recipient only when the author has shared that debrief with them


def ask(actor: Actor, recipient_id: int, urgency: Urgency | str) -> int:
    """Ask a colleague or my SPO for a conversation, without a debrief attached."""
    with session_scope() as session:
        recipient = session.get(User, recipient_id)
        if recipient is None or not recipient.is_active or recipient_id == actor.id:
            raise ValidationFailed({"support_from": "Choose an active colleague to ask."})
        try:
            urgency = Urgency(urgency)
        except ValueError:
            raise ValidationFailed({"urgency": "Choose how soon you would like to talk."}) from None
        request = SupportRequest(requester_id=actor.id, recipient_id=recipient_id, urgency=urgency)
        session.add(request)
        session.flush()
        tell_contact(session, request)
        return id_of(request)


def tell_contact(session: Session, request: SupportRequest) -> None:
    """Only the chosen contact is told, and the notification names nobody: who asked shows on their list."""
    notify(
        session,
        kind="support_request",
        recipient_ids=[request.recipient_id],
        record=RecordRef(RecordKind.SUPPORT_REQUEST, id_of(request)),
        occasion=f"support_request:{id_of(request)}",
    )


def _rows(session: Session, requests: Sequence[SupportRequest], viewer: Actor) -> list[RequestRow]:
    ids = {r.requester_id for r in requests} | {r.recipient_id for r in requests}
    names = (
        dict(session.exec(select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids))).all()) if ids else {}
    )
    rows = []
    for r in requests:
        visible = None
        if r.debrief_id is not None:
            if viewer.id == r.requester_id:
                visible = r.debrief_id
            else:
                shared = session.exec(
                    select(EntryShare).where(
                        EntryShare.kind == EntryKind.DEBRIEF,
                        EntryShare.entry_id == r.debrief_id,
                        EntryShare.shared_with_id == viewer.id,
                        col(EntryShare.revoked_at).is_(None),
                    )
                ).first()
                visible = r.debrief_id if shared else None
        rows.append(
            RequestRow(
                id_of(r),
                names.get(r.requester_id, ""),
                names.get(r.recipient_id, ""),
                r.urgency,
                r.status,
                r.created_at,
                visible,
            )
        )
    return rows


def requests_to_me(actor: Actor, include_done: bool = False) -> list[RequestRow]:
    with session_scope() as session:
        query = select(SupportRequest).where(SupportRequest.recipient_id == actor.id)
        if not include_done:
            query = query.where(SupportRequest.status != RequestStatus.DONE)
        requests = sorted(
            session.exec(query).all(), key=lambda r: (URGENCY_ORDER.get(Urgency(r.urgency), 9), r.created_at)
        )
        return _rows(session, requests, actor)


def respond(actor: Actor, request_id: int, status: RequestStatus | str) -> None:
    with session_scope() as session:
        request = session.get(SupportRequest, request_id)
        if request is None or not can(
            actor, Action.RESPOND_TO_SUPPORT_REQUEST, SupportRequestScope(request.requester_id, request.recipient_id)
        ):
            raise NotFound("That request could not be found.")
        request.status, request.updated_at = RequestStatus(status), utcnow()
        session.add(request)


# ------------------------------------------------------------ administrators


def add_contact(actor: Actor, data: SupportContactCreate) -> None:
    require(actor, Action.MANAGE_SUPPORT_CONTACTS)
    with session_scope() as session:
        session.add(SupportContact.model_validate(data))
        trail.record(session, actor, "created", "support_contact", None, data.name)


def set_contact_active(actor: Actor, contact_id: int, active: bool) -> None:
    require(actor, Action.MANAGE_SUPPORT_CONTACTS)
    with session_scope() as session:
        contact = session.get(SupportContact, contact_id)
        if contact is None:
            raise NotFound("That contact could not be found.")
        contact.active = active
        session.add(contact)
        trail.record(session, actor, "reactivated" if active else "retired", "support_contact", contact_id)


def all_contacts(actor: Actor) -> list[SupportContact]:
    require(actor, Action.MANAGE_SUPPORT_CONTACTS)
    with session_scope() as session:
        return list(session.exec(select(SupportContact).order_by(SupportContact.name)))


def set_signpost_threshold(actor: Actor, value: int) -> None:
    from qa.reflection.debriefs import THRESHOLD_KEY

    require(actor, Action.MANAGE_SUPPORT_CONTACTS)
    if not isinstance(value, int) or not 1 <= value <= 10:
        raise ValidationFailed({"threshold": "Choose a level from 1 to 10."})
    with session_scope() as session:
        set_flag(session, THRESHOLD_KEY, str(value))
        trail.record(session, actor, "changed", "setting", THRESHOLD_KEY, str(value))
