"""Signing in: local passwords with lockout, single sign-on matching, first run.

Failed attempts are counted on the account. The fifth failure locks it for
15 minutes; while locked, even the right password is refused. Messages never
say whether an email address exists.

With the "SSO only" setting on, portal passwords are refused here, in the
service, whatever a page offers: :func:`sign_in` and :func:`change_password`
both check it. An administrator can switch it on only while single sign-on is
configured and they themselves signed in with it, so nobody is locked out by
mistake. The break-glass way back is ``python -m portal sso-only off``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from db.engine import session_scope
from db.ids import id_of
from db.organisation import FirstAdminCreate, Grade, PasswordChange, Role, User, utcnow
from db.sessions import SignInMethod
from portal import metrics
from qa.access import sessions, trail
from qa.access.actor import Actor
from qa.access.passwords import hash_password, needs_rehash, verify_password
from qa.access.policy import Action, require
from qa.errors import PermissionDenied, ValidationFailed
from qa.organisation.directory import actor_from_user, set_roles
from qa.settings import LOCKOUT_MINUTES, LOCKOUT_THRESHOLD, SSO_ONLY_FLAG, get_flag, set_flag

UK = ZoneInfo("Europe/London")
# One message whether or not the email has an account, so a failed try never tells which (no countdown).
WRONG_DETAILS = (
    "The email or password is not right. Check them and try again. "
    f"After {LOCKOUT_THRESHOLD} failed attempts in a row, an account is locked for {LOCKOUT_MINUTES} minutes."
)
INACTIVE = "This account has been deactivated. Ask your administrator if you need access."
PASSWORDS_OFF = (
    'Signing in with a portal password is turned off. Use "Sign in with single sign-on" with your organisation account.'
)
SSO_NOT_CONFIGURED = (
    "Single sign-on is not set up for this portal, so turning off passwords would lock everyone out. "
    "Add the [auth] section to the portal's secrets first (see docs/OPERATIONS.md)."
)
SSO_NOT_PROVEN = (
    "Sign out, then sign in with single sign-on before turning this on. "
    "That shows single sign-on works for your own account, so you cannot lock yourself out."
)


@dataclass(frozen=True)
class SignInResult:
    actor: Actor | None
    message: str = ""
    #: The new session's opaque id (qa/access/sessions.py), for the cookie; empty when refused.
    session_id: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.actor is not None


def _locked_message(until: datetime) -> str:
    local = until.astimezone(UK).strftime("%H:%M")
    return (
        f"This account is locked for {LOCKOUT_MINUTES} minutes after {LOCKOUT_THRESHOLD} "
        f"failed sign-in attempts. Try again after {local}, or ask your administrator to unlock it."
    )


def _find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def sso_only() -> bool:
    """Whether portal passwords are turned off, so everyone signs in with single sign-on."""
    with session_scope() as session:
        return get_flag(session, SSO_ONLY_FLAG) == "on"


def set_sso_only(actor: Actor, on: bool, *, sso_configured: bool, signed_in_with_sso: bool) -> None:
    """Turn "SSO only" on or off. Turning it on needs single sign-on configured
    and the administrator signed in with it in this session."""
    require(actor, Action.MANAGE_USERS)
    if on and not sso_configured:
        raise ValidationFailed({"sso_only": SSO_NOT_CONFIGURED})
    if on and not signed_in_with_sso:
        raise ValidationFailed({"sso_only": SSO_NOT_PROVEN})
    with session_scope() as session:
        set_flag(session, SSO_ONLY_FLAG, "on" if on else "off")
        trail.record(
            session,
            actor,
            "changed",
            "setting",
            SSO_ONLY_FLAG,
            "on: passwords turned off" if on else "off: passwords allowed",
        )


def sso_only_off_from_command_line() -> bool:
    """Break-glass: turn "SSO only" off from a shell on the server, for when single
    sign-on is broken. Recorded in the audit trail. Returns whether it was on."""
    with session_scope() as session:
        was_on = get_flag(session, SSO_ONLY_FLAG) == "on"
        set_flag(session, SSO_ONLY_FLAG, "off")
        trail.record(session, None, "changed", "setting", SSO_ONLY_FLAG, "off from the command line (break-glass)")
        return was_on


def sign_in(
    email: str,
    password: str,
    now: datetime | None = None,
    *,
    user_agent: str = "",
    address: str | None = None,
) -> SignInResult:
    """Check a password sign-in and, if it is right, start a session (``result.session_id``).

    ``address`` is the network address it came from: too many failures from one address
    within 15 minutes refuse further tries from it, whichever accounts they name."""
    now = now or utcnow()
    with session_scope() as session:
        if get_flag(session, SSO_ONLY_FLAG) == "on":
            return SignInResult(None, PASSWORDS_OFF)
        if sessions.address_is_limited(session, address, now):
            verify_password(None, password or "")  # same cost as a real check
            metrics.SIGN_IN_FAILURES.labels(reason="address_limited").inc()
            return SignInResult(None, sessions.address_limited_message())
        user = _find_by_email(session, email or "")
        if user is None:
            verify_password(None, password or "")  # same cost as a real check
            sessions.record_failure(session, address, now)
            metrics.SIGN_IN_FAILURES.labels(reason="wrong_details").inc()
            return SignInResult(None, WRONG_DETAILS)
        if user.locked_until and user.locked_until > now:
            return SignInResult(None, _locked_message(user.locked_until))
        if user.locked_until and user.locked_until <= now:
            user.locked_until = None
            user.failed_logins = 0
        if not verify_password(user.password_hash, password or ""):
            user.failed_logins += 1
            sessions.record_failure(session, address, now)
            metrics.SIGN_IN_FAILURES.labels(reason="wrong_details").inc()
            if user.failed_logins >= LOCKOUT_THRESHOLD:
                user.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                session.add(user)
                trail.record(session, None, "locked", "user", user.id, "too many failed sign-in attempts")
                metrics.LOCKOUTS.inc()
                return SignInResult(None, _locked_message(user.locked_until))
            session.add(user)
            return SignInResult(None, WRONG_DETAILS)
        if not user.is_active:
            return SignInResult(None, INACTIVE)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if user.password_hash is not None and needs_rehash(user.password_hash):  # verified, so set
            user.password_hash = hash_password(password)
        session.add(user)
        actor = actor_from_user(session, user)
        token = sessions.start(session, id_of(user), SignInMethod.PASSWORD, user_agent, now)
        trail.record(session, actor, "signed_in", "user", user.id)  # the entry names the person
        return SignInResult(actor, session_id=token)


def missing_claim_message(claim: str) -> str:
    return (
        f'Your organisation\'s sign-in did not share your "{claim}", which the portal uses to recognise you. '
        f'Ask your administrator to add the "{claim}" claim to the portal\'s app registration.'
    )


NO_ACCESS_YET = (
    "You are signed in with your organisation account, but you do not have access to the portal yet. "
    "Ask your administrator to add you."
)


def sign_in_sso(identity: str | None, *, claim: str = "email", user_agent: str = "") -> SignInResult:
    """Match a single-sign-on identity to an existing, active portal user and start a session.

    ``identity`` is the value of the configured claim (``email`` by default, or
    ``preferred_username``/``upn`` for Microsoft Entra tenants whose users have no
    mailbox), matched against the portal's email addresses. A refusal is written to
    the audit trail with the identity that was claimed, so administrators can see
    who was turned away."""
    with session_scope() as session:
        if not identity or not str(identity).strip():
            trail.record(session, None, "sso_refused", "sso", None, f'no "{claim}" claim in the identity')
            metrics.SIGN_IN_FAILURES.labels(reason="sso_missing_claim").inc()
            return SignInResult(None, missing_claim_message(claim))
        identity = str(identity).strip()
        user = _find_by_email(session, identity)
        if user is None or not user.is_active:
            why = "no portal account" if user is None else "account deactivated"
            trail.record(session, None, "sso_refused", "sso", None, f"{claim} {identity[:300]}: {why}")
            metrics.SIGN_IN_FAILURES.labels(reason="sso_unknown").inc()
            return SignInResult(None, NO_ACCESS_YET)
        user.last_login_at = utcnow()
        session.add(user)
        actor = actor_from_user(session, user)
        token = sessions.start(session, id_of(user), SignInMethod.SSO, user_agent)
        trail.record(session, actor, "signed_in_sso", "user", user.id)  # the entry names the person
        return SignInResult(actor, session_id=token)


def load_actor(user_id: object) -> Actor | None:
    """The signed-in user, fresh from the database; None if gone or deactivated."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_from_user(session, user)


def change_password(actor: Actor, data: PasswordChange) -> None:
    require(actor, Action.CHANGE_OWN_PASSWORD)
    if sso_only():
        raise PermissionDenied("Portal passwords are turned off: you sign in with single sign-on.")
    if data.new_password != data.confirm_password:
        raise ValidationFailed({"confirm_password": "The new passwords do not match."})
    with session_scope() as session:
        user = session.get(User, actor.id)
        if user is None or not user.is_active:
            raise PermissionDenied()
        if not verify_password(user.password_hash, data.current_password):
            raise ValidationFailed({"current_password": "Your current password is not right."})
        if verify_password(user.password_hash, data.new_password):
            raise ValidationFailed({"new_password": "Choose a password different from your current one."})
        user.password_hash = hash_password(data.new_password)
        user.updated_at = utcnow()
        session.add(user)
        trail.record(session, actor, "changed_password", "user", user.id)


def has_any_user() -> bool:
    with session_scope() as session:
        return (session.exec(select(func.count()).select_from(User)).one() or 0) > 0


def create_first_admin(data: FirstAdminCreate) -> Actor:
    """Only possible while the portal has no users at all."""
    if data.password != data.confirm_password:
        raise ValidationFailed({"confirm_password": "The passwords do not match."})
    with session_scope() as session:
        if session.exec(select(func.count()).select_from(User)).one():
            raise PermissionDenied("The first administrator has already been created. Sign in instead.")
        user = User(
            full_name=data.full_name,
            email=data.email,
            grade=Grade.OTHER,
            password_hash=hash_password(data.password),
        )
        session.add(user)
        session.flush()
        set_roles(session, id_of(user), [Role.ADMIN])
        session.flush()
        actor = actor_from_user(session, user)
        trail.record(session, actor, "created", "user", user.id, "first administrator")
        return actor
