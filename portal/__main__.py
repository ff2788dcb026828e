"""Portal commands: ``python -m portal upgrade | demo | create-admin | rotate-key | apply-retention |
send-notifications | sso-only | backup | restore``.

The database is the one in ``PQP_DATABASE_URL`` (or the default SQLite file),
unless ``--database-url`` names another.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from db import engine, migrate
from db.demo import DEFAULT_SEED, DEMO_LOGINS, DEMO_PASSWORD, NOT_EMPTY, has_users
from qa.access.passwords import hash_password

if TYPE_CHECKING:
    from db.backup import Report

LEAVING_IT = "Database already has data; leaving it as it is."


def _upgrade() -> str | None:
    migrate.upgrade()
    return migrate.current_revision()


def cmd_upgrade(_args: argparse.Namespace) -> int:
    print(f"Database is up to date at revision {_upgrade()}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _upgrade()
    if args.if_empty:
        with engine.session_scope() as session:
            if has_users(session):
                print(LEAVING_IT)
                return 0
    from portal.synthetic.demo import demo_window, load_demo

    with engine.session_scope() as session:
        if has_users(session):
            print(NOT_EMPTY, file=sys.stderr)
            return 1
    try:
        result = load_demo(engine.database_url(), password_hash=hash_password(DEMO_PASSWORD), seed=args.seed)
    except IntegrityError:
        # Another process loaded or created users between our check and our insert. The organisation
        # is written in one transaction, first, so it rolled back and the database is as it found it.
        if args.if_empty:
            print(LEAVING_IT)
            return 0
        raise
    counts = result.counts
    window = demo_window(date.today())
    print(
        f"Loaded the synthetic demo organisation: {counts['pdu']} PDUs, {counts['team']} teams, "
        f"{result.staff} staff and {counts['probation_case']} cases, with history from "
        f"{window.start:%d %B %Y} to {window.end:%d %B %Y}: {counts['audit_event']} LEARN events, "
        f"{counts['case_audit']} case audits, {counts['observation']} observations, "
        f"{counts['debrief']} debriefs and {counts['supervision_session']} supervision sessions."
    )
    print(f"Every demo account uses the password {DEMO_PASSWORD}. Try signing in as:")
    for email, role in DEMO_LOGINS.items():
        print(f"  {email:<28} {role.label}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from db.organisation import FirstAdminCreate
    from qa.access.auth import create_first_admin
    from qa.errors import PermissionDenied, ValidationFailed
    from qa.validation import validate

    _upgrade()
    password = getpass.getpass("Password (at least 12 characters): ")
    confirm = getpass.getpass("Type the password again: ")
    try:
        create_first_admin(
            validate(
                FirstAdminCreate,
                {"full_name": args.name, "email": args.email, "password": password, "confirm_password": confirm},
            )
        )
    except ValidationFailed as exc:
        for message in exc.field_errors.values():
            print(message, file=sys.stderr)
        return 1
    except PermissionDenied as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Created the administrator {args.email.strip().lower()}. Sign in to the portal to add everyone else.")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m portal", description="Practice Quality Portal commands.")
    p.add_argument("--database-url", help=f"database to use instead of ${engine.ENV_VAR}")
    commands = p.add_subparsers(dest="command", required=True, metavar="command")

    up = commands.add_parser("upgrade", help="bring the database schema up to date")
    up.set_defaults(run=cmd_upgrade)

    demo = commands.add_parser("demo", help="load the synthetic demo organisation into an empty database")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if the database has users")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="a different seed gives a different organisation")
    demo.set_defaults(run=cmd_demo)

    admin = commands.add_parser("create-admin", help="create the first administrator (asks for the password)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True, help="full name")
    admin.set_defaults(run=cmd_create_admin)

    rotate = commands.add_parser("rotate-key", help="re-encrypt journal and debrief text under a new key")
    rotate.add_argument("--new-key", help="a Fernet key to use (default: generate one)")
    rotate.set_defaults(run=cmd_rotate_key)

    back = commands.add_parser("backup", help="back up the database to a file (safe while the portal runs)")
    back.add_argument("path", help="the backup file to write")
    back.add_argument("--portable", action="store_true", help="SQLite: write the portable ZIP instead of a SQLite file")
    back.add_argument("--force", action="store_true", help="replace the file if it exists")
    back.set_defaults(run=cmd_backup)

    rest = commands.add_parser("restore", help="restore a backup into an empty database")
    rest.add_argument("path", help="a backup file made by 'backup'")
    rest.add_argument("--force", action="store_true", help="replace everything in a database that already holds data")
    rest.set_defaults(run=cmd_restore)

    retention = commands.add_parser(
        "apply-retention", help="delete debriefs (and notes) older than the retention period set in the portal"
    )
    retention.add_argument("--dry-run", action="store_true", help="only say how many entries would be deleted")
    retention.set_defaults(run=cmd_apply_retention)

    notifications = commands.add_parser(
        "send-notifications",
        help="email what is waiting in the outbox and raise due reminders (once, for cron; or --loop)",
    )
    notifications.add_argument(
        "--loop", action="store_true", help="keep running, once every --every seconds, until stopped"
    )
    notifications.add_argument(
        "--every", type=int, default=60, metavar="SECONDS", help="with --loop: seconds between runs (default 60)"
    )
    notifications.set_defaults(run=cmd_send_notifications)

    sso = commands.add_parser("sso-only", help="break-glass: show, or turn off, the 'SSO only' setting")
    sso.add_argument("state", choices=["status", "off"], help="'off' lets portal passwords be used again")
    sso.set_defaults(run=cmd_sso_only)
    return p


def cmd_sso_only(args: argparse.Namespace) -> int:
    """Show the "SSO only" setting, or turn it off when single sign-on is broken.
    Turning it on is done on the Settings screen, where it is checked first."""
    from qa.access import auth

    _upgrade()
    if args.state == "status":
        print(
            "SSO only is on: portal passwords are turned off."
            if auth.sso_only()
            else "SSO only is off: portal passwords can be used."
        )
        return 0
    was_on = auth.sso_only_off_from_command_line()
    print(
        "SSO only is now off: portal passwords can be used again. This is recorded in the audit trail."
        if was_on
        else "SSO only was already off; portal passwords can be used."
    )
    return 0


def send_notifications_once(now: datetime | None = None) -> str:
    """One run: raise the reminders that are due (each once per occasion), email the outbox, then delete
    read notifications past their retention."""
    from portal.links import portal_links
    from qa.notifications import inbox, reminders, sender

    moment = now or datetime.now(UTC)
    raised = reminders.raise_due(moment)
    report = sender.send_due(portal_links(), now=moment)
    with engine.session_scope() as session:
        purged = inbox.purge_read(session, now=moment)
    return f"Reminders: {raised.describe()} Email: {report.describe()} Old read notifications deleted: {purged}."


def cmd_send_notifications(args: argparse.Namespace) -> int:
    """Safe to run as often as you like, and from two places at once: nothing is sent twice."""
    _upgrade()
    if not args.loop:
        print(send_notifications_once())
        return 0
    every = max(args.every, 1)
    print(f"Sending notifications every {every} seconds; stop with Ctrl+C.", flush=True)
    try:
        while True:
            try:
                print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC {send_notifications_once()}", flush=True)
            except Exception as error:  # a database or mail fault: say so and try again next time
                print(f"This run failed and will be tried again: {type(error).__name__}: {error}", file=sys.stderr)
            time.sleep(every)
    except KeyboardInterrupt:
        print("Stopped.")
        return 0


def cmd_apply_retention(args: argparse.Namespace) -> int:
    """Apply the retention periods set on the Settings page; safe to run nightly from cron."""
    from qa.privacy import retention

    _upgrade()
    periods, counts = retention.scheduled_preview()
    if periods.debrief_months is None and periods.note_months is None:
        print("Retention is off (no period is set on Settings), so nothing was deleted.")
        return 0
    if not args.dry_run:
        counts = retention.apply_scheduled()
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {counts.debriefs} debriefs and {counts.notes} journal notes ({periods.describe()}).")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt all private text under a new key."""
    from sqlmodel import SQLModel

    import db.schema  # noqa: F401  (every table, so every encrypted column is found)
    from db import encryption

    _upgrade()
    new = args.new_key or encryption.new_key()
    from_file = encryption.keys_from_file()
    count = encryption.rotate(engine.get_engine(), SQLModel.metadata, new)
    if from_file:
        encryption.save_key_file([new])
        print(f"Re-encrypted {count} private values. The new key is in {encryption.KEY_FILE}; the old key is gone.")
        print("Backups made before now can only be read with the old key: keep it with them, or make a new backup.")
    else:
        print(f"Re-encrypted {count} private values with the new key.")
        print("Now set PQP_ENCRYPTION_KEYS (or encryption_key in secrets) to this key, then restart the portal:")
        print(new)
    return 0


KEY_REMINDER = (
    "Private text (journal notes, debriefs, supervision notes) stays encrypted in the backup. It cannot be read "
    "without the encryption key, which is not in the backup: keep a copy of the key somewhere safe and apart from it."
)


def _describe_backup(report: Report) -> str:
    return f"{len(report.rows)} tables, {report.total_rows:,} rows, schema revision {report.revision}"


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up the configured database: SQLite's online backup, or the portable ZIP."""
    from db import backup

    try:
        report = backup.backup(args.path, portable=args.portable or None, overwrite=args.force)
    except backup.BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Backed up the database to {report.path} ({report.kind}: {_describe_backup(report)}).")
    print(KEY_REMINDER)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into the configured database, all or nothing."""
    from db import backup

    try:
        report = backup.restore(args.path, force=args.force)
    except backup.BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"Restored {report.path} ({report.kind}: {_describe_backup(report)}). The schema is up to date at {migrate.current_revision()}."
    )
    for warning in report.warnings:
        print("Warning: " + warning, file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.database_url:
        engine.configure(args.database_url)
    try:
        return args.run(args)
    finally:
        engine.dispose_all()


if __name__ == "__main__":
    sys.exit(main())
