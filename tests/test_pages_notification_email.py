"""The email screens, through AppTest: Notification preferences, the Outbox, and "Send a test email" on Settings."""

from __future__ import annotations

import pytest

from db.engine import session_scope
from db.organisation import Role
from pages import _registry as screens
from portal.links import portal_links
from qa.access.actor import Actor
from qa.access.policy import Action, can
from qa.notifications import preferences, sender
from qa.notifications.notify import notify
from qa.notifications.preferences import Delivery
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.mailserver import SENDER, MailCatcher, free_port


def open_screen(app, email: str, screen):
    at = sign_in(app(), email, PASSWORD)
    at.switch_page(screen.file).run()
    assert not at.exception, at.exception
    return at


def radio(at, kind: str):
    return at.radio(key=f"delivery_{kind}")


def test_each_kind_can_be_sent_immediately_in_the_digest_or_not_at_all(app, org):
    at = open_screen(app, "pip@example.org", screens.NOTIFICATION_PREFERENCES)
    assert radio(at, "note_shared").value == Delivery.IMMEDIATE
    assert list(radio(at, "note_shared").options) == ["Immediately", "In the daily digest", "Off (in the portal only)"]
    # Urgent concerns offer no "off".
    assert list(radio(at, "urgent_concern").options) == ["Immediately", "In the daily digest"]
    radio(at, "note_shared").set_value(Delivery.OFF)
    radio(at, "agenda_items").set_value(Delivery.DIGEST)
    at.button(key="FormSubmitter:notification_preferences-Save my choices").click().run()
    assert not at.exception
    assert "Your notification choices have been saved." in [s.value for s in at.success]
    saved = {c.kind.key: c.delivery for c in preferences.my_choices(org.actor(org.peer_id))}
    assert saved["note_shared"] == Delivery.OFF and saved["agenda_items"] == Delivery.DIGEST
    assert saved["urgent_concern"] == Delivery.IMMEDIATE
    # The page shows what was saved when it is opened again.
    at.switch_page(screens.NOTIFICATION_PREFERENCES.file).run()
    assert radio(at, "note_shared").value == Delivery.OFF


def test_the_outbox_shows_what_waits_and_the_last_error_and_retries(app, org):
    with session_scope() as session:
        notify(session, kind="note_shared", recipient_ids=[org.peer_id], record=None, occasion="outbox-screen")
    down = MailCatcher()  # never started: nothing answers on its port
    report = sender.send_due(portal_links("https://q.example"), server=down.mail_server())
    assert report.retrying == 1

    at = open_screen(app, "admin@example.org", screens.OUTBOX)

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Waiting to send"] == "1" and metrics["Failed"] == "0"
    # The error is shown as typed (Markdown-escaped, so its dots carry a backslash in the source).
    assert any(f"Nothing answered at 127.0.0.1 port {down.port}" in e.value.replace("\\", "") for e in at.error)
    table = at.dataframe[0].value
    assert list(table["For"]) == ["Pip Peer"] and list(table["State"]) == ["Waiting to retry"]
    [retry] = [b for b in at.button if b.label == "Retry now"]
    retry.click().run()
    assert "1 emails will be tried on the sender's next run." in [s.value for s in at.success]


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix_only_administrators_manage_the_outbox(role):
    person = Actor(id=1, full_name="X", email="x@example.org", grade="PO", roles=frozenset({role}))  # type: ignore[arg-type]
    assert can(person, Action.MANAGE_OUTBOX) is (role == Role.ADMIN)
    assert not can(None, Action.MANAGE_OUTBOX)


def test_the_outbox_is_not_for_other_roles(app, org):
    at = sign_in(app(), "qa@example.org", PASSWORD)
    with pytest.raises(ValueError):
        at.switch_page(screens.OUTBOX.file)


def send_test(at):
    at.button(key="FormSubmitter:test_email-Send a test email").click().run()
    assert not at.exception, at.exception
    return at


def smtp_env(monkeypatch, port: int, **more: str) -> None:
    monkeypatch.setenv("PQP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PQP_SMTP_PORT", str(port))
    monkeypatch.setenv("PQP_SMTP_SECURITY", "none")
    monkeypatch.setenv("PQP_SMTP_SENDER", SENDER)
    monkeypatch.setenv("PQP_SMTP_TIMEOUT_SECONDS", "5")
    for name, value in more.items():
        monkeypatch.setenv(f"PQP_SMTP_{name.upper()}", value)


def test_a_wrong_port_gives_a_plain_message_at_the_field_not_a_trace(app, org, monkeypatch):
    port = free_port()  # nothing listens here
    smtp_env(monkeypatch, port)
    at = send_test(open_screen(app, "admin@example.org", screens.SETTINGS))
    shown = " ".join(e.value for e in at.error)
    assert f"The test email could not be sent. Nothing answered at 127.0.0.1 port {port}." in shown
    assert "Traceback" not in shown and "Errno" not in shown


def test_a_wrong_password_gives_a_plain_message_and_the_right_one_sends(app, org, monkeypatch):
    mail = MailCatcher(user="portal", password="right-password").start()
    try:
        smtp_env(monkeypatch, mail.port, user="portal", password="wrong-password")
        at = send_test(open_screen(app, "admin@example.org", screens.SETTINGS))
        shown = " ".join(e.value for e in at.error)
        assert "refused the user name or password" in shown
        assert "wrong-password" not in shown
        assert mail.received == []

        monkeypatch.setenv("PQP_SMTP_PASSWORD", "right-password")
        at = send_test(open_screen(app, "admin@example.org", screens.SETTINGS))
        assert "A test email was sent to admin@example.org." in " ".join(s.value for s in at.success)
        [email] = mail.received
        assert email.recipients == ("admin@example.org",)
        assert email.subject == "Test email – Practice Quality Portal"
    finally:
        mail.stop()
