"""Email delivery: the sender sends what is in the outbox to a real SMTP server, once.

Every test here sends mail for real, to aiosmtpd running in the test process
(tests/mailserver.py), and reads back what the server received: the recipients,
the subject, the body and its links. Private text is planted as a canary and
must never be found in anything sent.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from db.audits import UrgentConcernCreate
from db.engine import session_scope
from db.notifications import NotificationPreference, OutboxMessage, OutboxStatus
from portal.links import portal_links
from portal.settings import Settings
from qa.audits import concerns
from qa.errors import ValidationFailed
from qa.notifications import preferences, sender
from qa.notifications.kinds import kind
from qa.notifications.notify import notify
from qa.notifications.preferences import Delivery
from qa.records import RecordKind, RecordRef
from qa.validation import validate
from tests.mailserver import SENDER, MailCatcher, self_signed_tls
from tests.test_reflection import SECRET, write_note
from tests.test_supervision import sent_audit

BASE = "https://quality.probation.example"
LINKS = portal_links(BASE)
#: A Monday morning in December (UK time is UTC in winter).
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CANARY = "CANARY-private-text-7f3a"


@pytest.fixture
def mail():
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"notification_digest_time": "07:30", "email_fuller_content": False} | overrides
    return Settings.model_validate(values)


def send(mail: MailCatcher, now: datetime = NOW, **overrides) -> sender.RunReport:
    return sender.send_due(LINKS, server=mail.mail_server(), now=now, settings=settings(**overrides))


def tell(kind_key: str, recipients: list[int], record: RecordRef | None, occasion: str, now: datetime = NOW) -> None:
    with session_scope() as session:
        notify(session, kind=kind_key, recipient_ids=recipients, record=record, occasion=occasion, now=now)


def statuses() -> dict[str, int]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage.status)).all()
    return {status: rows.count(status) for status in set(rows)}


def test_a_notification_is_emailed_once_with_its_link_and_never_its_private_text(org, mail):
    note_id = write_note(org, author=org.practitioner_id, secret=CANARY)
    tell("note_shared", [org.peer_id], RecordRef(RecordKind.SHARED_NOTE, note_id), f"note_shared:{note_id}")

    report = send(mail)

    assert (report.emails, report.sent) == (1, 1)
    [email] = mail.received
    assert email.recipients == ("pip@example.org",)
    assert email.message["From"] == SENDER
    assert email.subject == f"{kind('note_shared').wording} – Practice Quality Portal"
    assert f"Open it in the portal: {BASE}/note?note={note_id}" in email.body
    assert f"{BASE}/notification-preferences" in email.body  # the unsubscribe-style link
    assert CANARY not in email.whole and "After the home visit" not in email.whole
    assert statuses() == {OutboxStatus.SENT: 1}
    # Running the sender again sends nothing new.
    assert send(mail).emails == 0
    assert len(mail.received) == 1


def test_a_notification_without_a_record_links_to_the_inbox(org, mail):
    tell("share_withdrawn", [org.peer_id], None, "withdrawn:1")
    send(mail)
    [email] = mail.received
    assert f"Open it in the portal: {BASE}/notifications" in email.body
    assert email.subject == f"{kind('share_withdrawn').wording} – Practice Quality Portal"


def test_an_urgent_concern_email_carries_neither_its_description_nor_names_even_with_fuller_content(org, mail):
    audit_id = sent_audit(org)
    lead = org.actor(org.qa_lead_id)
    concern_id = concerns.raise_concern(lead, audit_id, validate(UrgentConcernCreate, {"description": CANARY}))
    tell("urgent_concern", [org.spo_id], RecordRef(RecordKind.CASE_AUDIT, audit_id), f"test_urgent:{concern_id}")

    send(mail, email_fuller_content=True)

    to_spo = mail.to("spo@example.org")
    assert to_spo, "the SPO is emailed about the urgent concern"
    for email in mail.received:
        assert CANARY not in email.whole
        assert SECRET not in email.whole
        assert "Pat Practitioner" not in email.whole
    ours = [e for e in to_spo if kind("urgent_concern").wording in e.subject]
    assert ours and f"{BASE}/audit?audit={audit_id}" in ours[-1].body
    assert "Case " in ours[-1].body  # fuller content adds the case reference, and only that


def test_fuller_content_names_the_person_only_when_the_setting_is_on(org, mail):
    tell("supervision_due", [org.spo_id], RecordRef(RecordKind.SUPERVISEE, org.practitioner_id), "sup:1")
    tell("supervision_due", [org.spo_b_id], RecordRef(RecordKind.SUPERVISEE, org.practitioner_id), "sup:2")
    send(mail)  # minimal content: the default
    [minimal] = mail.to("spo@example.org")
    assert "Pat" not in minimal.whole
    tell("supervision_due", [org.spo_id], RecordRef(RecordKind.SUPERVISEE, org.practitioner_id), "sup:3")
    send(mail, email_fuller_content=True)
    fuller = mail.to("spo@example.org")[-1]
    assert "Pat Practitioner" in fuller.body
    assert f"{BASE}/supervision?person={org.practitioner_id}" in fuller.body


def test_while_the_server_is_down_messages_stay_queued_with_the_error_then_go_when_it_is_back(org, mail):
    tell("note_shared", [org.peer_id], None, "a")
    tell("note_shared", [org.spo_id], None, "b")
    mail.stop()

    report = send(mail)

    assert report.emails == 0 and report.retrying == 2
    assert f"Nothing answered at 127.0.0.1 port {mail.port}" in (report.last_error or "")
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {OutboxStatus.QUEUED}
    assert all(r.attempts == 1 and "Nothing answered" in (r.last_error or "") for r in rows)
    assert all(r.claimed_by is None for r in rows)
    # Back off: a minute later the next attempt has not come yet, so nothing is tried.
    mail.start()
    assert send(mail, now=NOW + timedelta(seconds=30)).emails == 0
    assert mail.received == []
    # Once it has come, both go, once each, and the error is cleared.
    report = send(mail, now=NOW + timedelta(minutes=2))
    assert report.emails == 2
    assert sorted(r.recipients[0] for r in mail.received) == ["pip@example.org", "spo@example.org"]
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {(r.status, r.last_error) for r in rows} == {(OutboxStatus.SENT, None)}


def test_back_off_doubles_up_to_an_hour():
    assert [sender.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert sender.backoff(30) == timedelta(hours=1)


def test_a_message_the_server_refuses_is_tried_again_then_marked_failed(org, mail):
    mail.refuse("pip@example.org")
    tell("note_shared", [org.peer_id, org.spo_id], None, "refused")
    moment = NOW
    for _ in range(sender.MAX_ATTEMPTS):
        send(mail, now=moment)
        moment += timedelta(hours=2)
    with session_scope() as session:
        rows = {r.recipient_id: r for r in session.exec(select(OutboxMessage)).all()}
    refused = rows[org.peer_id]
    assert (refused.status, refused.attempts) == (OutboxStatus.FAILED, sender.MAX_ATTEMPTS)
    assert "refused the recipient" in (refused.last_error or "")
    assert rows[org.spo_id].status == OutboxStatus.SENT
    assert len(mail.to("spo@example.org")) == 1


def test_two_senders_at_once_send_every_message_exactly_once(org, mail):
    people = [org.practitioner_id, org.peer_id, org.spo_id, org.spo_b_id, org.qa_lead_id]
    for n in range(60):
        tell("note_shared", people, None, f"many:{n}")
    reports: list[sender.RunReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(sender.send_due(LINKS, server=mail.mail_server(), now=NOW, batch_size=20, settings=settings()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(mail.received) == 300
    ids = [r.message["Message-ID"] for r in mail.received]
    assert len(set(ids)) == 300
    assert sum(r.sent for r in reports) == 300
    assert statuses() == {OutboxStatus.SENT: 300}


def test_a_crashed_senders_claim_runs_out_and_another_sender_takes_the_message(org, mail):
    tell("note_shared", [org.peer_id], None, "crash")
    sender.claim("crashed-sender", NOW, 10)  # claimed, then the process died before sending
    assert send(mail).emails == 0  # still held by the claim
    later = NOW + timedelta(seconds=sender.CLAIM_SECONDS + 1)
    assert send(mail, now=later).emails == 1
    assert len(mail.received) == 1


def test_the_digest_waits_for_the_digest_time_and_sends_one_email_per_person(org, mail):
    preferences.save_my_choices(
        org.actor(org.spo_id), {"note_shared": Delivery.DIGEST, "supervision_due": Delivery.DIGEST}
    )
    tell("note_shared", [org.spo_id, org.peer_id], None, "one")
    tell("supervision_due", [org.spo_id], RecordRef(RecordKind.SUPERVISEE, org.practitioner_id), "two")
    tell("note_shared", [org.spo_id], None, "three")

    report = send(mail)

    # Pip chose nothing, so hears at once; Sam's three wait for tomorrow's 07:30 digest.
    assert [r.recipients for r in mail.received] == [("pip@example.org",)]
    assert report.held_for_digest == 3
    assert send(mail, now=NOW + timedelta(hours=12)).emails == 0
    digest_time = datetime(2026, 12, 8, 7, 30, tzinfo=UTC)
    assert send(mail, now=digest_time - timedelta(minutes=1)).emails == 0

    report = send(mail, now=digest_time)

    assert (report.emails, report.sent) == (1, 3)
    [digest] = mail.to("spo@example.org")
    assert digest.subject == "Your daily digest: 3 items waiting – Practice Quality Portal"
    assert digest.body.count(kind("note_shared").wording) == 2
    assert kind("supervision_due").wording in digest.body
    assert f"{BASE}/supervision?person={org.practitioner_id}" in digest.body
    assert send(mail, now=digest_time + timedelta(days=1)).emails == 0


def test_the_digest_time_is_uk_time_through_the_clock_change():
    assert sender.digest_slot(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), "07:30") == datetime(
        2026, 12, 8, 7, 30, tzinfo=UTC
    )
    assert sender.digest_slot(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), "07:30") == datetime(
        2026, 12, 7, 7, 30, tzinfo=UTC
    )
    # British Summer Time: 07:30 in London is 06:30 UTC.
    assert sender.digest_slot(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "07:30") == datetime(
        2026, 7, 2, 6, 30, tzinfo=UTC
    )


def test_off_skips_the_email_but_the_notification_stays_in_the_portal(org, mail):
    preferences.save_my_choices(org.actor(org.peer_id), {"note_shared": Delivery.OFF})
    tell("note_shared", [org.peer_id], None, "quiet")
    report = send(mail)
    assert (report.emails, report.skipped) == (0, 1)
    assert statuses() == {OutboxStatus.SKIPPED: 1}
    assert mail.received == []


def test_turning_off_urgent_concern_emails_is_refused(org):
    spo = org.actor(org.spo_id)
    with pytest.raises(ValidationFailed) as refused:
        preferences.save_my_choices(spo, {"urgent_concern": Delivery.OFF, "note_shared": Delivery.OFF})
    assert refused.value.field_errors == {"urgent_concern": preferences.CANNOT_TURN_OFF}
    # Nothing was saved, not even the choice that was allowed.
    assert {c.kind.key: c.delivery for c in preferences.my_choices(spo)}["note_shared"] == Delivery.IMMEDIATE
    choices = {c.kind.key: c for c in preferences.my_choices(spo)}
    assert Delivery.OFF not in choices["urgent_concern"].options
    assert Delivery.OFF not in choices["concern_escalated"].options
    assert Delivery.OFF in choices["note_shared"].options


def test_an_urgent_concern_is_emailed_even_if_off_was_stored_some_other_way(org, mail):
    with session_scope() as session:
        session.add(NotificationPreference(user_id=org.spo_id, kind="urgent_concern", delivery="off"))
    tell("urgent_concern", [org.spo_id], None, "urgent")
    assert send(mail).emails == 1
    assert [r.recipients for r in mail.received] == [("spo@example.org",)]


def test_nobody_chooses_for_someone_else(org):
    from qa.access.policy import Action, PersonScope, can

    spo = org.actor(org.spo_id)
    assert can(spo, Action.CHOOSE_MY_NOTIFICATIONS, PersonScope(org.spo_id))
    assert not can(spo, Action.CHOOSE_MY_NOTIFICATIONS, PersonScope(org.practitioner_id))
    assert not can(org.actor(org.admin_id), Action.CHOOSE_MY_NOTIFICATIONS, PersonScope(org.practitioner_id))


def test_a_deactivated_person_is_not_emailed(org, mail):
    from db.organisation import User

    tell("note_shared", [org.peer_id], None, "gone")
    with session_scope() as session:
        pip = session.get(User, org.peer_id)
        assert pip is not None
        pip.is_active = False
        session.add(pip)
    report = send(mail)
    assert (report.emails, report.skipped) == (0, 1)
    with session_scope() as session:
        [row] = session.exec(select(OutboxMessage).where(col(OutboxMessage.recipient_id) == org.peer_id)).all()
    assert row.status == OutboxStatus.SKIPPED


def test_without_a_mail_server_nothing_is_sent_and_everything_stays_queued(org):
    tell("note_shared", [org.peer_id], None, "unset")
    report = sender.send_due(LINKS, now=NOW, settings=Settings(smtp_host=None, smtp_sender=None))
    assert report.emails == 0 and report.last_error == sender.NOT_CONFIGURED
    assert statuses() == {OutboxStatus.QUEUED: 1}


def test_the_command_raises_reminders_and_sends_once_and_a_second_run_sends_nothing(org, mail, monkeypatch, capsys):
    from portal.__main__ import main

    monkeypatch.setenv("PQP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PQP_SMTP_PORT", str(mail.port))
    monkeypatch.setenv("PQP_SMTP_SECURITY", "none")
    monkeypatch.setenv("PQP_SMTP_SENDER", SENDER)
    monkeypatch.setenv("PQP_PORTAL_BASE_URL", BASE + "/")
    tell("note_shared", [org.peer_id], None, "command:1", now=datetime.now(UTC))

    assert main(["send-notifications"]) == 0
    first = capsys.readouterr().out
    # Nobody in the small organisation has been supervised, so the overdue reminders go out with the note.
    assert "supervision_overdue" in first and "Last error" not in first
    to_pip = mail.to("pip@example.org")
    assert sorted(kind_of(r) for r in to_pip) == ["note_shared", "supervision_overdue"]
    assert all(f"{BASE}/notification-preferences" in r.body for r in to_pip)
    received = len(mail.received)

    assert main(["send-notifications"]) == 0
    assert "Reminders: nothing new is due. Email: Sent 0 emails" in capsys.readouterr().out
    assert len(mail.received) == received


def kind_of(received) -> str:
    from qa.notifications.kinds import KINDS

    return next(k.key for k in KINDS.values() if received.subject.startswith(k.wording))


def test_starttls_upgrades_the_connection_before_signing_in_and_sending(org, tmp_path):
    server_tls, client_tls = self_signed_tls(tmp_path)
    mail = MailCatcher(user="portal", password="s3cret-password", starttls=server_tls).start()
    try:
        tell("note_shared", [org.peer_id], None, "tls")
        secure = mail.mail_server(
            security="starttls", user="portal", password="s3cret-password", tls_context=client_tls
        )
        report = sender.send_due(LINKS, server=secure, now=NOW, settings=settings())
        assert (report.emails, report.last_error) == (1, None)
        assert mail.to("pip@example.org")
        # Without STARTTLS the same server refuses to talk: a plain message, and the message waits.
        tell("note_shared", [org.peer_id], None, "plain")
        report = send(mail)
        assert report.emails == 0 and "(530 " in (report.last_error or "")
    finally:
        mail.stop()


def test_a_server_without_starttls_is_named_plainly(org, mail):
    with pytest.raises(sender.MailUnavailable, match="does not offer what the security setting asks for"):
        sender.open_connection(mail.mail_server(security="starttls"))
    wrong_tls = mail.mail_server(security="tls", timeout=3.0)
    with pytest.raises(sender.MailUnavailable, match="secure connection|closed the connection|did not answer"):
        sender.open_connection(wrong_tls)


def test_the_loop_runs_every_n_seconds_and_carries_on_after_a_failed_run(org, monkeypatch, capsys):
    import portal.__main__ as command

    runs: list[str] = []
    pauses: list[float] = []

    def one_run(now=None) -> str:
        runs.append("run")
        if len(runs) == 1:
            raise RuntimeError("the database went away")
        return "all sent"

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            raise KeyboardInterrupt  # the operator presses Ctrl+C

    monkeypatch.setattr(command, "send_notifications_once", one_run)
    monkeypatch.setattr(command.time, "sleep", sleep)

    assert command.main(["send-notifications", "--loop", "--every", "5"]) == 0

    out, err = capsys.readouterr()
    assert runs == ["run", "run", "run"] and pauses == [5, 5, 5]
    assert "This run failed and will be tried again: RuntimeError: the database went away" in err
    assert out.count("all sent") == 2 and "Stopped." in out


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("not an address", "Enter an email address like name@example.org"),
        ("a" * 250 + "@example.org", "This box takes up to 254 characters; you have 262."),
    ],
)
def test_a_test_email_to_a_bad_or_over_long_address_is_refused_at_the_field_and_nothing_is_sent(
    org, mail, address, said
):
    from qa.notifications import outbox

    with pytest.raises(ValidationFailed) as refused:
        outbox.send_test_email(org.actor(org.admin_id), address, LINKS, server=mail.mail_server())
    assert refused.value.field_errors["to"].startswith(said)
    assert mail.received == []
    with session_scope() as session:
        assert session.exec(select(OutboxMessage)).all() == []
