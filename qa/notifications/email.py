"""What a notification email says: composed from the kinds catalogue, never from private text.

By default an email says only what kind of item is waiting and gives a link to it
(the portal's address, then the record's). With the ``email_fuller_content``
setting on (for an organisation's secure email) it adds the case reference or the
name of the person the item concerns, where the record has one. Nothing here
reads a note, debrief, supervision note, support request or feedback text: the
only record fields read are a case's reference and a person's name.

Links: ``qa/`` never names a screen (docs/ARCHITECTURE.md), so the address of a
record comes from a :class:`Links` passed in by the caller. ``portal/links.py``
builds it from ``pages/_registry.RECORD_SCREENS``, the one map from a record kind
to the screen that opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from sqlmodel import Session, col, select

from db.audits import CaseAudit
from db.organisation import Case, User
from qa.notifications.kinds import KINDS
from qa.records import RecordKind

__all__ = ["Item", "Links", "compose", "compose_test", "fuller_details"]

PORTAL = "Practice Quality Portal"

#: Record kinds whose id is a person: fuller content names them.
_PERSON_RECORDS = frozenset({RecordKind.SUPERVISEE, RecordKind.OBSERVATION_TO_PLAN, RecordKind.USER})
#: Record kinds whose id is a case audit: fuller content gives the case reference.
_CASE_RECORDS = frozenset({RecordKind.CASE_AUDIT, RecordKind.FEEDBACK_SHEET})


class Links(Protocol):
    """Full addresses in the portal (``portal/links.py`` builds them from the screen registry)."""

    def record(self, kind: RecordKind, record_id: int) -> str: ...

    def inbox(self) -> str: ...

    def preferences(self) -> str: ...


@dataclass(frozen=True)
class Item:
    """One notification to mention in an email."""

    kind: str
    record_kind: str | None
    record_id: int | None
    #: Fuller content only: the case reference or the person's name (None otherwise).
    detail: str | None = None


def wording(kind: str) -> str:
    known = KINDS.get(kind)
    return known.wording if known else "Something is waiting for you in the portal"


def _link(item: Item, links: Links) -> str:
    if item.record_kind is None or item.record_id is None:
        return links.inbox()
    try:
        return links.record(RecordKind(item.record_kind), item.record_id)
    except (KeyError, ValueError):
        return links.inbox()


def _footer(links: Links) -> list[str]:
    return [
        "",
        "This email was sent by the Practice Quality Portal. It says only that something is waiting; "
        "sign in to see it.",
        f"To choose which emails you get (immediately, a daily digest, or none): {links.preferences()}",
    ]


def compose(items: Sequence[Item], *, to: str, sender: str, links: Links) -> EmailMessage:
    """One email about ``items``: a single notification, or a person's daily digest of several."""
    if not items:
        raise ValueError("an email needs at least one item")
    lines: list[str]
    if len(items) == 1:
        item = items[0]
        subject = f"{wording(item.kind)} – {PORTAL}"
        lines = [wording(item.kind) + "."]
        if item.detail:
            lines.append(item.detail)
        lines += ["", f"Open it in the portal: {_link(item, links)}"]
    else:
        subject = f"Your daily digest: {len(items)} items waiting – {PORTAL}"
        lines = [f"{len(items)} items are waiting for you in the portal:", ""]
        for item in items:
            lines.append(f"- {wording(item.kind)}" + (f" ({item.detail})" if item.detail else ""))
            lines.append(f"  {_link(item, links)}")
    lines += _footer(links)
    return _message(subject, "\n".join(lines) + "\n", to=to, sender=sender)


def compose_test(*, to: str, sender: str, links: Links) -> EmailMessage:
    """The administrator's test email from the Settings screen."""
    body = (
        "This is a test email from the Practice Quality Portal.\n\n"
        "If you can read it, the portal's mail settings work and notification emails will be delivered.\n"
        f"The portal: {links.inbox()}\n"
    )
    return _message(f"Test email – {PORTAL}", body, to=to, sender=sender)


def _message(subject: str, body: str, *, to: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="practice-quality-portal")
    message.set_content(body)
    return message


def id_of_row(value: int | None) -> int:
    assert value is not None  # read from a primary key
    return value


def fuller_details(session: Session, items: Sequence[tuple[str | None, int | None]]) -> dict[tuple[str, int], str]:
    """For fuller content: "Case X123" or a person's name, by (record kind, record id), where the record has one."""
    audits = {rid for kind, rid in items if kind in _CASE_RECORDS and rid is not None}
    people = {rid for kind, rid in items if kind in _PERSON_RECORDS and rid is not None}
    details: dict[tuple[str, int], str] = {}
    if audits:
        rows = session.exec(
            select(col(CaseAudit.id), col(Case.case_ref))
            .join(Case, col(Case.id) == col(CaseAudit.case_id))
            .where(col(CaseAudit.id).in_(audits))
        ).all()
        for audit_id, case_ref in rows:
            for kind in _CASE_RECORDS:
                details[(kind.value, id_of_row(audit_id))] = f"Case {case_ref}"
    if people:
        names = session.exec(select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all()
        for user_id, name in names:
            for kind in _PERSON_RECORDS:
                details[(kind.value, id_of_row(user_id))] = name
    return details
