"""Time the notification sender clearing a full outbox to a local SMTP server.

    python -m bench.notification_sender [--messages 10000] [--people 500] [--senders 1]
                                        [--database-url postgresql://postgres@127.0.0.1/pqp_bench_mail]

It fills an empty database (a new SQLite file in a temporary folder unless
``--database-url`` names one; that database is emptied first: never point it at
one in use) with ``--people`` synthetic users and ``--messages`` notifications,
each with its queued email, then starts aiosmtpd on 127.0.0.1 in this process and
runs the real sender (``qa.notifications.sender.send_due``, the function behind
``python -m portal send-notifications``), with ``--senders`` of them at once in
threads. It checks that the server received exactly one email per message and
that every message is marked sent, then prints the messages per second. The
figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, insert, text
from sqlmodel import SQLModel, select

import db.schema  # noqa: F401  (every table)
from db import engine, migrate
from db.encryption import ENV_VAR as KEY_VARIABLE
from db.encryption import new_key
from db.notifications import Notification, OutboxMessage, OutboxStatus
from db.organisation import Grade, User
from portal.links import portal_links
from portal.settings import Settings
from qa.notifications import sender

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class _Counter:
    """An SMTP server that only counts what it is given (so the figure is the sender's, not a parser's)."""

    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(messages: int, people: int) -> None:
    """``people`` users and ``messages`` notifications, each with a queued email, written in bulk."""
    with engine.session_scope() as session:
        for table in (OutboxMessage, Notification):
            session.exec(delete(table))
        session.exec(delete(User).where(User.email.like("bench-mail-%")))  # type: ignore[attr-defined]
    with engine.session_scope() as session:
        session.execute(
            insert(User),
            [
                {
                    "full_name": f"Bench Person {n}",
                    "email": f"bench-mail-{n}@bench.example",
                    "grade": Grade.PO,
                    "is_active": True,
                    "failed_logins": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(people)
            ],
        )
        ids = list(session.exec(select(User.id).where(User.email.like("bench-mail-%"))).all())  # type: ignore[attr-defined]
    with engine.session_scope() as session:
        session.execute(
            insert(Notification),
            [
                {
                    "recipient_id": ids[n % len(ids)],
                    "kind": "note_shared",
                    "record_kind": None,
                    "record_id": None,
                    "occasion": f"bench:{n}",
                    "created_at": NOW,
                }
                for n in range(messages)
            ],
        )
        notes = session.exec(select(Notification.id, Notification.recipient_id)).all()
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "notification_id": note_id,
                    "recipient_id": recipient,
                    "kind": "note_shared",
                    "status": OutboxStatus.QUEUED,
                    "attempts": 0,
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                }
                for note_id, recipient in notes
            ],
        )


def run(messages: int, people: int, senders: int, batch: int) -> tuple[float, int, int]:
    fill(messages, people)
    counter = _Counter()
    port = _free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    server = sender.MailServer(host="127.0.0.1", port=port, security="none", sender="bench@bench.example")
    settings = Settings.model_validate({})
    links = portal_links("https://quality.bench.example")
    try:
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=sender.send_due,
                args=(links,),
                kwargs={"server": server, "now": NOW, "settings": settings, "batch_size": batch},
            )
            for _ in range(senders)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    with engine.session_scope() as session:
        sent = session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
        ).one()
    return seconds, counter.messages, int(sent)


def main(argv: Iterable[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.notification_sender", description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--people", type=int, default=500)
    p.add_argument("--senders", type=int, default=1, help="senders running at once (threads)")
    p.add_argument("--batch", type=int, default=sender.BATCH_SIZE, help="messages claimed at a time")
    p.add_argument("--database-url", help="an empty throwaway database (default: a new SQLite file)")
    args = p.parse_args(list(argv) if argv is not None else None)
    os.environ.setdefault(KEY_VARIABLE, new_key())
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'mail.db'}"
        engine.configure(url)
        migrate.upgrade()
        SQLModel.metadata  # noqa: B018  (the tables are registered by db.schema)
        print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        seconds, received, sent = run(args.messages, args.people, args.senders, args.batch)
        if engine.is_sqlite(url):
            with engine.session_scope() as session:
                session.exec(text("PRAGMA wal_checkpoint"))  # type: ignore[call-overload]
        engine.dispose_all()
    kind = "SQLite" if engine.is_sqlite(url) else "PostgreSQL"
    print(
        f"{kind}, {args.senders} sender(s), batch {args.batch}: {args.messages:,} messages in {seconds:.1f} s "
        f"= {args.messages / seconds:,.0f} messages/s; the server received {received:,}, {sent:,} marked sent."
    )
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if received != args.messages or sent != args.messages:
        print("MISMATCH: every message must be received and marked sent exactly once.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
