"""A real SMTP server in the test process (aiosmtpd), and what it received.

``MailCatcher`` starts aiosmtpd's ``Controller`` on 127.0.0.1 at a free port, in
a thread, and keeps every message it is given, parsed. ``stop()`` and ``start()``
take the server down and bring it back on the same port, for the "server down,
then back" cases. ``mail_server()`` is the portal's view of it.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from qa.notifications.sender import MailServer

SENDER = "portal@quality.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def whole(self) -> str:
        """Every header and the body, decoded: what a canary must never be found in."""
        return "\n".join(f"{k}: {v}" for k, v in self.message.items()) + "\n" + self.body


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.catcher.refused:
            return "550 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.catcher.lock:
            self.catcher.received.append(Received(tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class MailCatcher:
    def __init__(
        self,
        port: int | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: ssl.SSLContext | None = None,
    ) -> None:
        """With ``user`` and ``password``, the server asks every client to sign in with them; with
        ``starttls`` (a server TLS context), it offers STARTTLS and requires it before anything else."""
        self.port = port or free_port()
        self.credentials = (user, password) if user else None
        self.starttls = starttls
        self.received: list[Received] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> MailCatcher:
        extra: dict[str, Any] = {}
        if self.credentials:
            extra = {"authenticator": self._check, "auth_required": True, "auth_require_tls": bool(self.starttls)}
        if self.starttls:
            extra |= {"tls_context": self.starttls, "require_starttls": True}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _check(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)

    def refuse(self, address: str) -> None:
        """The server answers 550 (no such mailbox) for this address from now on."""
        self.refused.add(address)

    def mail_server(self, **overrides: object) -> MailServer:
        fields: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "sender": SENDER,
            "timeout": 5.0,
        }
        fields.update(overrides)
        return MailServer(**fields)  # type: ignore[arg-type]

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


def self_signed_tls(folder) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made on the spot: the server's TLS context, and a client context that trusts it."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client
