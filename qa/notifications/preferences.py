"""Each person's choice, per kind of notification: email it immediately, in a daily digest, or not at all.

The choice only affects email: every notification still appears in the portal.
No stored row means "immediately". Urgent-concern kinds (``can_turn_off`` False
in qa/notifications/kinds.py) cannot be turned off: :func:`save_my_choices`
refuses it, and the sender (:func:`deliveries`) treats a stored "off" for such a
kind as "immediately" in case one was ever written some other way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from db.engine import session_scope
from db.notifications import NotificationPreference
from qa.access.actor import Actor
from qa.access.policy import Action, PersonScope, require
from qa.errors import ValidationFailed
from qa.notifications.kinds import KINDS, Kind

__all__ = ["Choice", "Delivery", "deliveries", "my_choices", "save_my_choices"]


class Delivery(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[self]


DELIVERY_LABELS = {
    Delivery.IMMEDIATE: "Immediately",
    Delivery.DIGEST: "In the daily digest",
    Delivery.OFF: "Off (in the portal only)",
}

DEFAULT = Delivery.IMMEDIATE

CANNOT_TURN_OFF = "Emails about urgent concerns cannot be turned off: someone may be at risk."


@dataclass(frozen=True)
class Choice:
    kind: Kind
    delivery: Delivery

    @property
    def options(self) -> list[Delivery]:
        """What this person may choose for this kind."""
        return list(Delivery) if self.kind.can_turn_off else [Delivery.IMMEDIATE, Delivery.DIGEST]


def _effective(kind: str, stored: str | None) -> Delivery:
    try:
        delivery = Delivery(stored) if stored else DEFAULT
    except ValueError:
        delivery = DEFAULT
    known = KINDS.get(kind)
    if delivery is Delivery.OFF and (known is None or not known.can_turn_off):
        return Delivery.IMMEDIATE
    return delivery


def my_choices(actor: Actor) -> list[Choice]:
    """The signed-in person's choice for every kind, in the catalogue's order."""
    require(actor, Action.CHOOSE_MY_NOTIFICATIONS, PersonScope(actor.id))
    with session_scope() as session:
        stored = dict(
            session.exec(
                select(col(NotificationPreference.kind), col(NotificationPreference.delivery)).where(
                    NotificationPreference.user_id == actor.id
                )
            ).all()
        )
    return [Choice(kind, _effective(key, stored.get(key))) for key, kind in KINDS.items()]


def save_my_choices(actor: Actor, choices: Mapping[str, Delivery | str]) -> None:
    """Save the signed-in person's choices (kind key -> delivery), all or nothing.

    Turning off an urgent-concern kind is refused with a message for that kind.
    """
    require(actor, Action.CHOOSE_MY_NOTIFICATIONS, PersonScope(actor.id))
    errors: dict[str, str] = {}
    cleaned: dict[str, Delivery] = {}
    for key, raw in choices.items():
        known = KINDS.get(key)
        if known is None:
            errors[key] = "This is not a kind of notification the portal sends."
            continue
        try:
            delivery = Delivery(raw)
        except ValueError:
            errors[key] = "Choose immediately, the daily digest or off."
            continue
        if delivery is Delivery.OFF and not known.can_turn_off:
            errors[key] = CANNOT_TURN_OFF
            continue
        cleaned[key] = delivery
    if errors:
        raise ValidationFailed(errors)
    with session_scope() as session:
        rows = {
            row.kind: row
            for row in session.exec(
                select(NotificationPreference).where(
                    NotificationPreference.user_id == actor.id, col(NotificationPreference.kind).in_(cleaned)
                )
            ).all()
        }
        for key, delivery in cleaned.items():
            row = rows.get(key)
            if row is None:
                session.add(NotificationPreference(user_id=actor.id, kind=key, delivery=delivery.value))
            elif row.delivery != delivery.value:
                row.delivery = delivery.value
                session.add(row)


def deliveries(session: Session, wanted: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Delivery]:
    """For the sender: each (person, kind)'s delivery as it stands now, urgent kinds never off."""
    pairs = set(wanted)
    people = {user_id for user_id, _ in pairs}
    stored: dict[tuple[int, str], str] = {}
    if people:
        for user_id, kind, delivery in session.exec(
            select(
                col(NotificationPreference.user_id),
                col(NotificationPreference.kind),
                col(NotificationPreference.delivery),
            ).where(col(NotificationPreference.user_id).in_(people))
        ).all():
            stored[(user_id, kind)] = delivery
    return {(user_id, kind): _effective(kind, stored.get((user_id, kind))) for user_id, kind in pairs}
