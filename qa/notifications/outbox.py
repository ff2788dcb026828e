"""The administrator's view of email delivery: what is waiting, what failed and why, retry, and a test email.

Administrators only (``Action.MANAGE_OUTBOX``). The Outbox screen shows counts,
the last error and the messages that need attention: each one's kind, who it is
for, its attempts and its error; never what the notification is about beyond
its kind. "Send a test email" on Settings sends at once, in the request, because
its point is to tell the administrator whether the mail settings work: a wrong
host, port, password or security setting comes back as a plain sentence.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select

from db.engine import session_scope
from db.ids import id_of
from db.notifications import OutboxMessage, OutboxStatus
from db.organisation import EMAIL_MAX, User, check_email, normalise_email
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import ValidationFailed
from qa.notifications.email import Links, compose_test, wording
from qa.notifications.sender import (
    CLAIM_SECONDS,
    NOT_CONFIGURED,
    MailServer,
    MailUnavailable,
    mail_server,
    open_connection,
    plain_error,
)
from qa.validation import too_long_message

__all__ = ["OutboxSummary", "Problem", "TEST_KIND", "outbox_summary", "retry_failed", "send_test_email"]

TEST_KIND = "test_email"
PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """A message that is failing or has failed."""

    id: int
    what: str
    to: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    configured: bool
    oldest_queued_at: datetime | None
    last_error: str | None
    problems: list[Problem]

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


def outbox_summary(actor: Actor, settings_server: MailServer | None = None) -> OutboxSummary:
    require(actor, Action.MANAGE_OUTBOX)
    with session_scope() as session:
        counts = {
            status: int(n)
            for status, n in session.exec(
                select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
            ).all()
        }
        oldest = session.exec(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.QUEUED)
        ).one()
        rows = session.exec(
            select(OutboxMessage, User.full_name)
            .join(User, col(User.id) == col(OutboxMessage.recipient_id), isouter=True)
            .where(
                col(OutboxMessage.last_error).is_not(None),
                col(OutboxMessage.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED]),
            )
            .order_by(col(OutboxMessage.id).desc())
            .limit(PROBLEMS_SHOWN)
        ).all()
    problems = [
        Problem(
            id_of(message),
            "Test email" if message.kind == TEST_KIND else wording(message.kind),
            name or message.to_address or "",
            message.status,
            message.attempts,
            message.next_attempt_at if message.status == OutboxStatus.QUEUED else None,
            message.last_error or "",
        )
        for message, name in rows
    ]
    latest = rows[0][0] if rows else None
    return OutboxSummary(
        counts,
        (settings_server or mail_server()) is not None,
        oldest,
        latest.last_error if latest else None,
        problems,
    )


def retry_failed(actor: Actor, now: datetime | None = None) -> int:
    """Put every failed message back in the queue, and bring waiting retries forward to now; returns how many."""
    require(actor, Action.MANAGE_OUTBOX)
    moment = now or datetime.now(UTC)
    with session_scope() as session:
        failed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.FAILED, col(OutboxMessage.kind) != TEST_KIND)
            .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount
        waiting = session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.QUEUED,
                col(OutboxMessage.next_attempt_at) > moment,
                col(OutboxMessage.last_error).is_not(None),
            )
            .values(next_attempt_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount
        total = int(failed or 0) + int(waiting or 0)
        trail.record(session, actor, "retried_outbox", "outbox_message", None, f"{total} messages")
    return total


def send_test_email(actor: Actor, to: str, links: Links, server: MailServer | None = None) -> str:
    """Send a test email now. Returns what to tell the administrator; refuses with a plain message at ``to``."""
    require(actor, Action.MANAGE_OUTBOX)
    address = normalise_email(to or "")
    if len(address) > EMAIL_MAX:
        raise ValidationFailed({"to": too_long_message(EMAIL_MAX, len(address))})
    try:
        check_email(address)
    except ValueError as problem:
        raise ValidationFailed({"to": str(problem)}) from None
    server = server or mail_server()
    if server is None:
        raise ValidationFailed({"to": NOT_CONFIGURED})
    token = f"test:{secrets.token_hex(8)}"
    with session_scope() as session:
        row = OutboxMessage(
            to_address=address,
            kind=TEST_KIND,
            status=OutboxStatus.SENDING,
            claimed_by=token,
            claimed_until=datetime.now(UTC) + timedelta(seconds=CLAIM_SECONDS),
        )
        session.add(row)
        session.flush()
        message_id = id_of(row)
        trail.record(session, actor, "sent_test_email", "outbox_message", message_id, "")
    error: str | None = None
    try:
        smtp = open_connection(server)
        try:
            smtp.send_message(compose_test(to=address, sender=server.sender, links=links))
        finally:
            try:
                smtp.quit()
            except OSError:
                smtp.close()
    except MailUnavailable as unavailable:
        error = str(unavailable)
    except OSError as failure:  # smtplib's errors are OSErrors
        error = plain_error(failure, server)
    with session_scope() as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(
                status=OutboxStatus.FAILED if error else OutboxStatus.SENT,
                claimed_by=None,
                claimed_until=None,
                attempts=1,
                last_error=error,
                sent_at=None if error else datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )
    if error:
        raise ValidationFailed({"to": f"The test email could not be sent. {error}"})
    return f"A test email was sent to {address}. If it does not arrive, check the mail server's own log."
