"""The sender: emails what is waiting in the outbox, outside any request.

Run by ``python -m portal send-notifications`` (once, from cron) or with
``--loop`` (every N seconds, beside the portal). Each run:

1. **Claims** a batch of due messages: queued ones whose next attempt has come,
   and "sending" ones whose claim has run out (a sender that crashed). The claim
   is one conditional ``UPDATE`` that sets ``status='sending'``, ``claimed_by``
   (a token new to this claim) and ``claimed_until`` only on rows that are still
   due; then the rows carrying the token are read back. On PostgreSQL the rows
   are picked with ``FOR UPDATE SKIP LOCKED``, so two senders take different
   rows instead of waiting for each other; on SQLite the database has one
   writer at a time, so the conditional update is atomic. Either way no two
   senders hold the same message, and no message is sent twice.
2. **Applies each person's choice at send time** (qa/notifications/preferences.py):
   "off" marks the message ``skipped`` (never for urgent concerns); "digest"
   holds it until the next digest time after it was written (the
   ``notification_digest_time`` setting, UK time), then sends one email per
   person with everything due; "immediately" sends one email each.
3. **Sends** over one SMTP connection (STARTTLS, TLS or none, with a timeout),
   marking each message ``sent`` as soon as the server has taken it, on the
   condition that this sender still holds the claim.
4. **Retries with back-off.** If the server cannot be reached, or refuses the
   sign-in, every claimed message goes back to ``queued`` with its attempt
   counted, the error kept in ``last_error`` for the Outbox screen, and its next
   attempt 1, 2, 4 ... minutes later (at most an hour): it is never given up.
   A message the server refuses on its own (a bad address, say) is tried
   :data:`MAX_ATTEMPTS` times, then marked ``failed``; an administrator can
   retry it from the Outbox screen.

A message is marked sent right after the server accepted it. If the sender dies
between those two steps, the claim runs out and that one message may be sent a
second time: the only way to get a duplicate, and an unavoidable one with SMTP.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import ssl
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, text, update
from sqlmodel import col, select

from db.engine import session_scope
from db.notifications import LAST_ERROR_MAX, Notification, OutboxMessage, OutboxStatus
from db.organisation import User
from portal.settings import Settings, get_settings
from qa.notifications.email import Item, Links, compose, compose_test, fuller_details
from qa.notifications.preferences import Delivery, deliveries

__all__ = [
    "MAX_ATTEMPTS",
    "MailServer",
    "MailUnavailable",
    "RunReport",
    "digest_slot",
    "mail_server",
    "open_connection",
    "plain_error",
    "send_due",
]

_log = logging.getLogger("pqp.notifications.sender")

UK = ZoneInfo("Europe/London")
CLAIM_SECONDS = 300
MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=1)
BATCH_SIZE = 200
NOT_CONFIGURED = (
    "Email is not set up: set smtp_host and smtp_sender (docs/OPERATIONS.md, Notification email). "
    "Messages stay queued until it is."
)


class MailUnavailable(Exception):
    """The mail server could not be reached or refused to talk to us. The message is plain English."""


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0
    #: Tests only: the TLS context (a test server's own certificate). None means the system's trusted roots.
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


def mail_server(settings: Settings | None = None) -> MailServer | None:
    """The configured mail server, or None while email is not set up."""
    s = settings or get_settings()
    if not s.smtp_host or not s.smtp_sender:
        return None
    return MailServer(
        host=s.smtp_host,
        port=s.smtp_port,
        security=s.smtp_security,
        sender=s.smtp_sender,
        user=s.smtp_user,
        password=s.smtp_password,
        timeout=float(s.smtp_timeout_seconds),
    )


def plain_error(error: BaseException, server: MailServer) -> str:
    """What went wrong, in words an administrator can act on: never a trace, never the password."""
    where = f"{server.host} port {server.port}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"The mail server at {where} refused the user name or password."
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        text = (
            f"The mail server at {where} does not offer what the security setting asks for "
            f"({server.security}): check smtp_security and smtp_port."
        )
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "The mail server refused the recipient's address."
    elif isinstance(error, smtplib.SMTPSenderRefused):
        text = f"The mail server refused the sender address {server.sender} ({error.smtp_code} {_reply(error)})."
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"The mail server at {where} answered {error.smtp_code}: {_reply(error)}"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        text = f"The mail server at {where} closed the connection. Check the port and the security setting."
    elif isinstance(error, socket.gaierror):
        text = f"The mail server's name {server.host} could not be found. Check smtp_host."
    elif isinstance(error, TimeoutError | socket.timeout):
        text = f"The mail server at {where} did not answer within {server.timeout:g} seconds."
    elif isinstance(error, ConnectionRefusedError):
        text = f"Nothing answered at {where}. Check smtp_host and smtp_port, and that the mail server is running."
    elif isinstance(error, ssl.SSLError):
        text = (
            f"A secure connection to {where} could not be made ({error.reason or 'TLS error'}). "
            "Check smtp_security (starttls or tls) and smtp_port."
        )
    elif isinstance(error, OSError):
        text = f"The mail server at {where} could not be reached: {error.strerror or error}."
    else:
        text = f"Sending failed at {where}: {type(error).__name__}."
    if server.password:
        text = text.replace(server.password, "***")
    return text[:LAST_ERROR_MAX]


def _reply(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).strip()


def open_connection(server: MailServer) -> smtplib.SMTP:
    """A connected, signed-in SMTP session. Raises :class:`MailUnavailable` with a plain message."""
    context = server.tls_context or ssl.create_default_context()
    smtp: smtplib.SMTP | None = None
    try:
        if server.security == "tls":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            if server.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
        if server.user:
            smtp.login(server.user, server.password or "")
        return smtp
    except (smtplib.SMTPException, OSError) as error:
        if smtp is not None:
            _quietly_close(smtp)
        raise MailUnavailable(plain_error(error, server)) from None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def digest_slot(written: datetime, digest_time: str) -> datetime:
    """The first digest time (``HH:MM``, UK time) at or after ``written``, in UTC."""
    hours, minutes = (int(part) for part in digest_time.split(":"))
    local = _aware(written).astimezone(UK)
    slot = datetime.combine(local.date(), time(hours, minutes), tzinfo=UK)
    if slot < local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=UK)
    return slot.astimezone(UTC)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MOST)


@dataclass
class RunReport:
    """What one run of the sender did."""

    emails: int = 0  # emails the server accepted (a digest counts once)
    sent: int = 0  # messages marked sent (each item of a digest counts)
    skipped: int = 0
    held_for_digest: int = 0
    retrying: int = 0
    failed: int = 0
    last_error: str | None = None

    def describe(self) -> str:
        text = (
            f"Sent {self.emails} emails ({self.sent} notifications); {self.skipped} skipped (turned off), "
            f"{self.held_for_digest} held for the daily digest, {self.retrying} to retry, {self.failed} failed."
        )
        return text + (f" Last error: {self.last_error}" if self.last_error else "")


@dataclass
class _Email:
    to: str
    ids: list[int]
    items: list[Item]
    test: bool = False


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(OutboxMessage.status) == OutboxStatus.QUEUED, col(OutboxMessage.next_attempt_at) <= now),
        and_(col(OutboxMessage.status) == OutboxStatus.SENDING, col(OutboxMessage.claimed_until) < now),
    )


def claim(token: str, now: datetime, limit: int, recipient_ids: Sequence[int] | None = None) -> None:
    """Mark up to ``limit`` due messages as this claim's (``token``), atomically: see the module docstring."""
    pick = (
        select(col(OutboxMessage.id))
        .where(_due(now))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.recipient_id), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if recipient_ids is not None:
        pick = pick.where(col(OutboxMessage.recipient_id).in_(recipient_ids))
    with session_scope() as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(pick.scalar_subquery()), _due(now))
            .values(status=OutboxStatus.SENDING, claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )


def _claimed(token: str) -> list[OutboxMessage]:
    with session_scope() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.SENDING)
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def _finish(token: str, ids: Sequence[int], **values: object) -> None:
    """Set ``values`` on the messages this claim still holds, and release the claim.

    On PostgreSQL the commit does not wait for the write-ahead log to reach the disk
    (``synchronous_commit`` off for this transaction only): a sender that dies loses
    nothing, and only a crash of the database server itself could forget the last
    fraction of a second of "sent" marks, whose messages would then go again. It
    makes marking each message as it is sent several times faster.
    """
    if not ids:
        return
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.exec(text("SET LOCAL synchronous_commit TO OFF"))  # type: ignore[call-overload]
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.claimed_by) == token)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )


def _retry(token: str, messages: Sequence[OutboxMessage], error: str, now: datetime, *, can_fail: bool) -> int:
    """Back to the queue with the attempt counted, or ``failed`` after MAX_ATTEMPTS; returns how many failed."""
    failed = 0
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for message in messages:
        by_attempts[message.attempts + 1].append(message.id or 0)
    for attempts, ids in by_attempts.items():
        if can_fail and attempts >= MAX_ATTEMPTS:
            _finish(token, ids, status=OutboxStatus.FAILED, attempts=attempts, last_error=error)
            failed += len(ids)
        else:
            _finish(
                token,
                ids,
                status=OutboxStatus.QUEUED,
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + backoff(attempts),
            )
    return failed


class _Batch:
    """One claim's messages, sorted into emails, skips and digests held back."""

    def __init__(self, messages: Sequence[OutboxMessage], now: datetime, digest_time: str, fuller: bool) -> None:
        self.messages = {m.id or 0: m for m in messages}
        self.emails: list[_Email] = []
        self.skipped: list[int] = []
        self.unaddressable: list[int] = []
        self.held: dict[datetime, list[int]] = defaultdict(list)
        with session_scope() as session:
            notes = {
                n.id: n
                for n in session.exec(
                    select(Notification).where(
                        col(Notification.id).in_({m.notification_id for m in messages if m.notification_id})
                    )
                ).all()
            }
            people = {
                u.id: u
                for u in session.exec(
                    select(User).where(col(User.id).in_({m.recipient_id for m in messages if m.recipient_id}))
                ).all()
            }
            choice = deliveries(session, {(m.recipient_id, m.kind) for m in messages if m.recipient_id})
            details = fuller_details(session, [(n.record_kind, n.record_id) for n in notes.values()]) if fuller else {}
        digests: dict[int, _Email] = {}
        #: People who get a digest from this batch.
        self.digest_recipients: set[int] = set()
        for message in messages:
            mid = message.id or 0
            if message.to_address:  # a test email from the Settings screen
                self.emails.append(_Email(message.to_address, [mid], [], test=True))
                continue
            person = people.get(message.recipient_id) if message.recipient_id else None
            if person is None or not person.is_active or not person.email:
                self.unaddressable.append(mid)
                continue
            delivery = choice[(person.id or 0, message.kind)]
            if delivery is Delivery.OFF:
                self.skipped.append(mid)
                continue
            note = notes.get(message.notification_id) if message.notification_id else None
            record = (note.record_kind, note.record_id) if note else (None, None)
            detail = details.get(record) if record[0] is not None and record[1] is not None else None  # type: ignore[arg-type]
            item = Item(message.kind, record[0], record[1], detail)
            if delivery is Delivery.DIGEST:
                slot = digest_slot(message.created_at, digest_time)
                if now < slot:
                    self.held[slot].append(mid)
                    continue
                digest = digests.get(person.id or 0)
                if digest is None:
                    digest = digests[person.id or 0] = _Email(person.email, [], [])
                    self.digest_recipients.add(person.id or 0)
                    self.emails.append(digest)
                digest.ids.append(mid)
                digest.items.append(item)
            else:
                self.emails.append(_Email(person.email, [mid], [item]))


@contextmanager
def _connection(server: MailServer) -> Iterator[Callable[[], smtplib.SMTP]]:
    """A lazily opened SMTP connection, closed at the end."""
    opened: list[smtplib.SMTP] = []

    def get() -> smtplib.SMTP:
        if not opened:
            opened.append(open_connection(server))
        return opened[0]

    try:
        yield get
    finally:
        for smtp in opened:
            _quietly_close(smtp)


def _new_token() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(6)}"


def send_due(
    links: Links,
    *,
    server: MailServer | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    settings: Settings | None = None,
) -> RunReport:
    """Send everything due now, batch by batch, until nothing due is left or the mail server is down."""
    s = settings or get_settings()
    server = server or mail_server(s)
    report = RunReport()
    if server is None:
        report.last_error = NOT_CONFIGURED
        return report
    moment = _aware(now) if now else datetime.now(UTC)
    with _connection(server) as smtp:
        while True:
            token = _new_token()
            claim(token, moment, batch_size)
            messages = _claimed(token)
            if not messages:
                return report
            batch = _Batch(messages, moment, s.notification_digest_time, s.email_fuller_content)
            # A digest combines everything of that person's that is due, in this batch or not yet claimed.
            extra_people = batch.digest_recipients
            if extra_people:
                claim(token, moment, 10_000, sorted(extra_people))
                messages = _claimed(token)
                batch = _Batch(messages, moment, s.notification_digest_time, s.email_fuller_content)
            if not _deliver(batch, token, server, smtp, moment, links, report):
                return report


def _deliver(
    batch: _Batch,
    token: str,
    server: MailServer,
    smtp: Callable[[], smtplib.SMTP],
    now: datetime,
    links: Links,
    report: RunReport,
) -> bool:
    """Send one batch and record every outcome. False when the mail server is down (stop for now)."""
    _finish(token, batch.skipped, status=OutboxStatus.SKIPPED)
    report.skipped += len(batch.skipped)
    _finish(
        token,
        batch.unaddressable,
        status=OutboxStatus.SKIPPED,
        last_error="The person has no active account with an email address.",
    )
    report.skipped += len(batch.unaddressable)
    for slot, ids in batch.held.items():
        _finish(token, ids, status=OutboxStatus.QUEUED, next_attempt_at=slot)
        report.held_for_digest += len(ids)
    for position, email in enumerate(batch.emails):
        message: EmailMessage = (
            compose_test(to=email.to, sender=server.sender, links=links)
            if email.test
            else compose(email.items, to=email.to, sender=server.sender, links=links)
        )
        try:
            smtp().send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
            # The server is up but will not take this one message: try it again later, then give up.
            text = plain_error(error, server)
            failed = _retry(token, [batch.messages[i] for i in email.ids], text, now, can_fail=True)
            report.failed += failed
            report.retrying += len(email.ids) - failed
            report.last_error = text
            continue
        except (MailUnavailable, OSError) as error:  # smtplib's other errors are OSErrors too
            # The server is down, unreachable or refuses us (or our sender address): this and every
            # email not yet sent wait for the next run.
            text = str(error) if isinstance(error, MailUnavailable) else plain_error(error, server)
            waiting = [batch.messages[i] for later in batch.emails[position:] for i in later.ids]
            _retry(token, waiting, text, now, can_fail=False)
            report.retrying += len(waiting)
            report.last_error = text
            _log.warning("mail server unavailable; %d messages stay queued: %s", len(waiting), text)
            return False
        _finish(token, email.ids, status=OutboxStatus.SENT, sent_at=now, last_error=None)
        report.emails += 1
        report.sent += len(email.ids)
    return True
