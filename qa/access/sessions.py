"""Server-side sign-in sessions: the rules behind the session cookie (issue 15).

A sign-in (password or single sign-on) creates a :class:`db.sessions.SignInSession`
row. Its id is ``secrets.token_urlsafe(32)``, new at every sign-in and never
chosen by the browser, so a planted id cannot be adopted (session fixation).
Only the id's SHA-256 hash is stored.

Every page run calls :func:`resume` with the id (from the cookie, or from the
Streamlit session under tests and before the cookie is set), which enforces, on
the row:

- the **idle limit**: no run for longer than the idle time ends the session;
- the **absolute limit**: a session ends this long after sign-in, however active;
- **deactivation**: a deactivated person's sessions all end (``end_all_for_user``
  is also called by the deactivation itself, in the same transaction);
- **"SSO only"**: a session made with a portal password ends once passwords are
  turned off.

Lockout is enforced where a session is made (``qa/access/auth.sign_in``): a locked
account gets no new session. Existing sessions are not ended by a lockout, or anyone
could sign a person out by typing wrong passwords for them.

The **cap per person** ends the least recently used sessions beyond it when a new
one starts. The **per-address rate limit** refuses password sign-ins from a network
address with too many recent failures, on top of the per-account lockout.

A script run cannot set a cookie, so a sign-in through the form also issues a
one-time *ticket* (:func:`issue_ticket`): stored hashed, valid for
:data:`TICKET_SECONDS`, and bound to the browser by the hash of its binding
cookie. The portal's cookie route redeems it (:func:`redeem_ticket`), which gives
the session a fresh id for the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete as sa_delete
from sqlmodel import Session, col, func, select

from db.engine import session_scope
from db.organisation import User, utcnow
from db.sessions import USER_AGENT_MAX, SignInAttempt, SignInMethod, SignInSession
from portal.settings import get_settings
from qa.access import trail
from qa.access.actor import Actor
from qa.access.idle import describe
from qa.access.policy import Action, PersonScope, require
from qa.errors import NotFound, ValidationFailed
from qa.organisation.directory import actor_from_user
from qa.settings import SSO_ONLY_FLAG, get_flag, idle_timeout, set_flag

#: Stored settings an administrator changes on **Settings**; unset means the defaults below.
IDLE_MINUTES_SETTING = "session_idle_minutes"
ABSOLUTE_HOURS_SETTING = "session_absolute_hours"
CAP_SETTING = "sessions_per_person"
DEFAULT_ABSOLUTE_HOURS = 12
DEFAULT_CAP = 5
IDLE_MINUTES_MAX = 24 * 60
ABSOLUTE_HOURS_MAX = 7 * 24
CAP_MAX = 50
#: The cookie holding the session id, the cookie that binds a sign-in ticket to one browser, and the
#: portal's route that exchanges a ticket for the session cookie (portal/web.py sets both cookies).
COOKIE = "pqp_session"
BINDING_COOKIE = "pqp_browser"
COOKIE_ROUTE = "/_pqp/session"
#: How long the one-time ticket that sets the cookie stays valid.
TICKET_SECONDS = 60
#: The window over which failed sign-ins from one network address are counted.
ADDRESS_WINDOW = timedelta(minutes=15)

ENDED_BY_ADMIN = "An administrator signed you out. Sign in again to continue."
ENDED_ELSEWHERE = "You have been signed out: this session was ended from another tab or device."
PASSWORDS_NOW_OFF = "Signing in with a portal password has been turned off. Sign in with single sign-on."
DEACTIVATED = "This account has been deactivated. Ask your administrator if you need access."


def hash_id(raw: str) -> str:
    """The stored form of a session id, ticket or binding: SHA-256 of a random opaque value."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta
    per_person: int

    @property
    def idle_minutes(self) -> int:
        return max(1, int(self.idle.total_seconds() // 60))

    @property
    def absolute_hours(self) -> int:
        return max(1, int(self.absolute.total_seconds() // 3600))


def _stored_number(session: Session, key: str) -> int | None:
    raw = get_flag(session, key)
    try:
        number = int(raw) if raw is not None else None
    except ValueError:
        return None
    return number if number is not None and number > 0 else None


def limits_in(session: Session) -> SessionLimits:
    """The limits in force: what an administrator stored, else the configured defaults.

    ``PQP_IDLE_TIMEOUT_SECONDS`` (tests and demonstrations only) wins over both for the idle time."""
    stored_idle = _stored_number(session, IDLE_MINUTES_SETTING)
    idle = idle_timeout()
    if stored_idle and not get_settings().idle_timeout_seconds:
        idle = timedelta(minutes=stored_idle)
    hours = _stored_number(session, ABSOLUTE_HOURS_SETTING) or DEFAULT_ABSOLUTE_HOURS
    cap = _stored_number(session, CAP_SETTING) or DEFAULT_CAP
    return SessionLimits(idle=idle, absolute=timedelta(hours=hours), per_person=cap)


def limits() -> SessionLimits:
    with session_scope() as session:
        return limits_in(session)


def set_limits(actor: Actor, idle_minutes: int, absolute_hours: int, per_person: int) -> SessionLimits:
    """An administrator sets the idle and absolute limits and the cap per person."""
    require(actor, Action.SET_SESSION_LIMITS)
    errors: dict[str, str] = {}
    if not 1 <= idle_minutes <= IDLE_MINUTES_MAX:
        errors["idle_minutes"] = f"Enter a whole number of minutes from 1 to {IDLE_MINUTES_MAX}."
    if not 1 <= absolute_hours <= ABSOLUTE_HOURS_MAX:
        errors["absolute_hours"] = f"Enter a whole number of hours from 1 to {ABSOLUTE_HOURS_MAX}."
    elif absolute_hours * 60 < idle_minutes:
        errors["absolute_hours"] = "The longest a session can last must be at least the idle time."
    if not 1 <= per_person <= CAP_MAX:
        errors["per_person"] = f"Enter a whole number from 1 to {CAP_MAX}."
    if errors:
        raise ValidationFailed(errors)
    with session_scope() as session:
        set_flag(session, IDLE_MINUTES_SETTING, str(idle_minutes))
        set_flag(session, ABSOLUTE_HOURS_SETTING, str(absolute_hours))
        set_flag(session, CAP_SETTING, str(per_person))
        trail.record(
            session,
            actor,
            "changed",
            "setting",
            "sessions",
            f"idle {idle_minutes} min, longest {absolute_hours} h, at most {per_person} per person",
        )
        return limits_in(session)


# --- making and ending sessions -----------------------------------------------------------------


def start(
    session: Session, user_id: int, method: SignInMethod, user_agent: str = "", now: datetime | None = None
) -> str:
    """Make a new session for ``user_id`` inside the caller's transaction; return its id.

    Beyond the cap per person, the least recently used sessions end."""
    now = now or utcnow()
    rules = limits_in(session)
    raw = new_id()
    session.add(
        SignInSession(
            id_hash=hash_id(raw),
            user_id=user_id,
            method=method,
            created_at=now,
            last_seen_at=now,
            idle_expires_at=now + rules.idle,
            absolute_expires_at=now + rules.absolute,
            user_agent=(user_agent or "")[:USER_AGENT_MAX],
        )
    )
    session.flush()
    live = session.exec(
        select(SignInSession)
        .where(SignInSession.user_id == user_id)
        .order_by(col(SignInSession.last_seen_at).desc(), col(SignInSession.id).desc())
    ).all()
    for old in live[rules.per_person :]:
        session.delete(old)
    return raw


def _find(session: Session, raw: object) -> SignInSession | None:
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        return None
    return session.exec(select(SignInSession).where(SignInSession.id_hash == hash_id(raw))).first()


@dataclass(frozen=True)
class SessionCheck:
    """What :func:`resume` found: the signed-in person, or why there is none."""

    actor: Actor | None = None
    method: SignInMethod | None = None
    #: Why a session that existed has ended, in plain words; empty when there was none.
    ended: str = ""


def _expiry(row: SignInSession, rules: SessionLimits, now: datetime) -> str:
    if now > row.absolute_expires_at or now - row.created_at > rules.absolute:
        return f"You were signed out: a session lasts at most {rules.absolute_hours} hours. Sign in again to continue."
    if now > row.idle_expires_at or now - row.last_seen_at > rules.idle:
        return f"You were signed out after {describe(rules.idle)} without activity."
    return ""


def resume(raw: object, now: datetime | None = None, *, touch: bool = True) -> SessionCheck:
    """The person a session id signs in, after every rule; an ended session's row is deleted.

    ``touch`` records this run as activity (a full page run); a timer that only checks does not."""
    now = now or utcnow()
    with session_scope() as session:
        row = _find(session, raw)
        if row is None:
            return SessionCheck()
        rules = limits_in(session)
        user = session.get(User, row.user_id)
        ended = _expiry(row, rules, now)
        if user is None or not user.is_active:
            ended = DEACTIVATED
        elif row.method == SignInMethod.PASSWORD and get_flag(session, SSO_ONLY_FLAG) == "on":
            ended = PASSWORDS_NOW_OFF
        if ended:
            session.delete(row)
            return SessionCheck(ended=ended)
        # Write last-seen at most every tenth of the idle time (and at least every minute),
        # so that a busy page does not write on every click.
        if touch and now - row.last_seen_at >= min(rules.idle / 10, timedelta(minutes=1)):
            row.last_seen_at = now
            row.idle_expires_at = now + rules.idle
            session.add(row)
        assert user is not None
        return SessionCheck(actor=actor_from_user(session, user), method=SignInMethod(row.method))


def is_current(raw: object, now: datetime | None = None) -> bool:
    """Whether a session is still within its limits, without counting as activity or ending it
    (the idle timer asks this; the next full run then ends it and says why)."""
    now = now or utcnow()
    with session_scope() as session:
        row = _find(session, raw)
        return row is not None and not _expiry(row, limits_in(session), now)


def end(raw: object, actor: Actor | None = None) -> None:
    """Sign out: delete this session's row. Every tab using it signs out on its next run."""
    with session_scope() as session:
        row = _find(session, raw)
        if row is not None:
            session.delete(row)
            trail.record(session, actor, "signed_out", "user", row.user_id)


def end_all_for_user(session: Session, user_id: int) -> int:
    """End every session of one person, inside the caller's transaction (deactivation does)."""
    result = session.execute(sa_delete(SignInSession).where(col(SignInSession.user_id) == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions_of(actor: Actor, user_id: int) -> int:
    """An administrator ends all of a person's sessions; they must sign in again."""
    require(actor, Action.END_USER_SESSIONS)
    with session_scope() as session:
        if session.get(User, user_id) is None:
            raise NotFound()
        count = end_all_for_user(session, user_id)
        trail.record(session, actor, "ended_sessions", "user", user_id, f"{count} session(s) ended")
        return count


def end_my_other_sessions(actor: Actor, raw: object) -> int:
    """End all of my sessions except the one ``raw`` names."""
    require(actor, Action.MANAGE_OWN_SESSIONS, PersonScope(actor.id))
    with session_scope() as session:
        mine = _find(session, raw)
        query = sa_delete(SignInSession).where(col(SignInSession.user_id) == actor.id)
        if mine is not None and mine.user_id == actor.id:
            query = query.where(col(SignInSession.id) != mine.id)
        count = int(getattr(session.execute(query), "rowcount", 0) or 0)
        trail.record(session, actor, "ended_other_sessions", "user", actor.id, f"{count} session(s) ended")
        return count


@dataclass(frozen=True)
class SessionSummary:
    device: str
    signed_in_at: datetime
    last_seen_at: datetime
    method: SignInMethod
    this_one: bool


def _device(user_agent: str) -> str:
    """A short description of a browser from its user agent, for a person to recognise."""
    agent = user_agent or ""
    browser = next(
        (name for key, name in _BROWSERS if key in agent),
        "A browser" if agent else "Unknown device",
    )
    system = next((name for key, name in _SYSTEMS if key in agent), "")
    return f"{browser} on {system}" if system else browser


_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def my_sessions(actor: Actor, raw: object) -> list[SessionSummary]:
    """My active sessions, most recently used first; ``this_one`` marks the one ``raw`` names."""
    require(actor, Action.MANAGE_OWN_SESSIONS, PersonScope(actor.id))
    mine = hash_id(raw) if isinstance(raw, str) else None
    with session_scope() as session:
        rows = session.exec(
            select(SignInSession)
            .where(SignInSession.user_id == actor.id)
            .order_by(col(SignInSession.last_seen_at).desc())
        ).all()
        return [
            SessionSummary(_device(r.user_agent), r.created_at, r.last_seen_at, r.method, r.id_hash == mine)
            for r in rows
        ]


def session_count_of(actor: Actor, user_id: int) -> int:
    """How many sessions a person has open (administrators, on **Users**)."""
    require(actor, Action.END_USER_SESSIONS)
    with session_scope() as session:
        return int(
            session.exec(select(func.count()).select_from(SignInSession).where(SignInSession.user_id == user_id)).one()
        )


def active_sessions(now: datetime | None = None) -> int:
    """How many sessions are within their limits (for the metrics; no names)."""
    now = now or utcnow()
    with session_scope() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(SignInSession)
                .where(SignInSession.idle_expires_at >= now, SignInSession.absolute_expires_at >= now)
            ).one()
        )


# --- the cookie exchange ----------------------------------------------------------------------------


def issue_ticket(raw: str, binding: str, now: datetime | None = None) -> str | None:
    """A one-time ticket for the cookie route, bound to the browser whose binding cookie is ``binding``.

    None when the session is gone or there is no binding (no cookie can be set safely then)."""
    if not binding:
        return None
    now = now or utcnow()
    ticket = new_id()
    with session_scope() as session:
        row = _find(session, raw)
        if row is None:
            return None
        row.ticket_hash = hash_id(ticket)
        row.ticket_expires_at = now + timedelta(seconds=TICKET_SECONDS)
        row.ticket_binding_hash = hash_id(binding)
        session.add(row)
    return ticket


def redeem_ticket(ticket: object, binding: object, now: datetime | None = None) -> str | None:
    """Exchange a ticket for a new session id for the cookie, once. None if the ticket is unknown,
    used, expired or presented by another browser (a forged sign-in link: login CSRF)."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 200:
        return None
    now = now or utcnow()
    with session_scope() as session:
        row = session.exec(select(SignInSession).where(SignInSession.ticket_hash == hash_id(ticket))).first()
        if row is None:
            return None
        valid = (
            row.ticket_expires_at is not None
            and now <= row.ticket_expires_at
            and isinstance(binding, str)
            and bool(binding)
            and secrets.compare_digest(row.ticket_binding_hash or "", hash_id(binding))
        )
        row.ticket_hash = None
        row.ticket_expires_at = None
        row.ticket_binding_hash = None
        if not valid:
            session.add(row)
            return None
        raw = new_id()
        row.id_hash = hash_id(raw)
        session.add(row)
        return raw


# --- the per-address rate limit ---------------------------------------------------------------------


def address_is_limited(session: Session, address: str | None, now: datetime) -> bool:
    """Whether ``address`` has had too many failed sign-ins within the window."""
    if not address:
        return False
    limit = get_settings().sign_in_attempts_per_address
    since = now - ADDRESS_WINDOW
    count = session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.address == address, SignInAttempt.at > since)
    ).one()
    return int(count) >= limit


def record_failure(session: Session, address: str | None, now: datetime) -> None:
    """Count a failed sign-in from ``address``; forget failures older than the window."""
    if not address:
        return
    session.execute(sa_delete(SignInAttempt).where(col(SignInAttempt.at) <= now - ADDRESS_WINDOW))
    session.add(SignInAttempt(address=address[:64], at=now))


def address_limited_message() -> str:
    minutes = int(ADDRESS_WINDOW.total_seconds() // 60)
    return (
        "Too many sign-in attempts have failed from your network recently. "
        f"Wait {minutes} minutes and try again, or ask your administrator."
    )
