"""Server-side sign-in sessions and the sign-in attempts counted per network address (issue 15).

A :class:`SignInSession` is what a sign-in creates. The browser holds only an
opaque random id in an ``HttpOnly`` cookie; the table holds its SHA-256 hash
(``id_hash``), never the id itself, so a copy of the database cannot be replayed
as a cookie. The rules (idle and absolute limits, the cap per person, ending
sessions) are in ``qa/access/sessions.py``.

A short-lived, one-time *ticket* (also stored hashed, and bound to the browser
that asked for it) lets the portal's own route set the cookie after a sign-in
made through the Streamlit form, because a script run cannot set a cookie.

:class:`SignInAttempt` counts failed password sign-ins per network address, for
the per-address rate limit on top of the per-account lockout. Rows older than the
window are deleted as new ones are written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.organisation import utcnow

HASH_LEN = 64  # hex SHA-256
USER_AGENT_MAX = 300
ADDRESS_MAX = 64


class SignInMethod(StrEnum):
    PASSWORD = "password"
    SSO = "sso"


class SignInSession(SQLModel, table=True):
    __tablename__ = "sign_in_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=HASH_LEN, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    method: SignInMethod = Field(sa_type=sa.String(10))
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    idle_expires_at: datetime
    absolute_expires_at: datetime
    user_agent: str = Field(default="", max_length=USER_AGENT_MAX)
    # The one-time ticket that lets the cookie route set the cookie, hashed, with its expiry and the
    # hash of the browser-binding cookie it was issued to. Cleared once redeemed.
    ticket_hash: str | None = Field(default=None, max_length=HASH_LEN, unique=True)
    ticket_expires_at: datetime | None = None
    ticket_binding_hash: str | None = Field(default=None, max_length=HASH_LEN)


class SignInAttempt(SQLModel, table=True):
    """One failed password sign-in from a network address."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (sa.Index("ix_sign_in_attempt_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=ADDRESS_MAX)
    at: datetime = Field(default_factory=utcnow, index=True)
