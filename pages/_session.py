"""Who is signed in, for app.py: the session id from the cookie (or this Streamlit session), and
setting the cookie after a sign-in. The rules are in ``qa/access/sessions.py``; this is the thin
Streamlit side.

- **Where the id comes from.** ``st.context.cookies`` (the HttpOnly cookie the portal's route set;
  Streamlit reads cookies from the request that opened the page), else ``st.session_state``, which
  holds it from the sign-in until the cookie is set, and always under AppTest, which has no cookies.
- **Setting the cookie.** A script run cannot set a cookie. After a sign-in, app.py calls
  :func:`send_to_cookie_route`, which asks ``qa/access/sessions.issue_ticket`` for a one-time ticket
  bound to this browser's binding cookie (set by ``portal/web.py`` on the first page load) and sends
  the browser to ``/_pqp/session?ticket=...``, which sets the cookie and redirects back. The browser
  is sent there the way ``st.login`` and ``st.logout`` send it to the provider (Streamlit's
  ``streamlit/user_info.py``): an ``auth_redirect`` message, on which the frontend sets
  ``window.location.href``. No script or inline code runs in the page. Without the binding cookie
  (AppTest, or ``streamlit run app.py`` without the launcher) the session lives in this Streamlit
  session only, as before issue 15.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from qa.access import sessions
from qa.access.auth import SignInResult
from qa.access.sessions import BINDING_COOKIE, COOKIE, COOKIE_ROUTE

#: Where this Streamlit session keeps its session id (always under AppTest, which has no cookies).
SESSION_ID_KEY = "session_id"
_SET_COOKIE = "session_cookie_pending"


def _text(value: object) -> str | None:
    # AppTest stands in a mock for st.context's cookies and headers; only real text counts.
    return value if isinstance(value, str) and value else None


def current_id() -> str | None:
    """This browser's session id: the one this Streamlit session signed in with, else the cookie's."""
    held = st.session_state.get(SESSION_ID_KEY)
    if isinstance(held, str) and held:
        return held
    return _text(st.context.cookies.get(COOKIE))


def begin(result: SignInResult) -> None:
    """Remember a successful sign-in's session here, and ask app.py to set the cookie."""
    assert result.actor is not None
    st.session_state[SESSION_ID_KEY] = result.session_id
    st.session_state["user_id"] = result.actor.id
    st.session_state[_SET_COOKIE] = True


def user_agent() -> str:
    return _text(st.context.headers.get("User-Agent")) or ""


def address() -> str | None:
    """The network address a sign-in comes from, for the per-address limit; None under AppTest.

    Streamlit reports the websocket's peer, which uvicorn takes from ``X-Forwarded-For`` when the
    peer is a trusted proxy (``--forwarded-allow-ips``, 127.0.0.1 by default; see docs/DEPLOY.md),
    and as None for a loopback peer."""
    if _text(st.context.headers.get("Host")) is None:
        return None
    return _text(st.context.ip_address) or "127.0.0.1"


def resume() -> sessions.SessionCheck:
    """The signed-in person for this run, with every session rule applied on the row.

    When a session this Streamlit session was using has ended, everything it held is cleared
    and the sign-in page says why."""
    raw = current_id()
    check = sessions.resume(raw) if raw else sessions.SessionCheck()
    if check.actor is not None:
        st.session_state["user_id"] = check.actor.id
        st.session_state["signed_in_with_sso"] = check.method == sessions.SignInMethod.SSO
        return check
    was_signed_in = st.session_state.get("user_id") is not None
    if check.ended or was_signed_in:
        st.session_state.clear()
        st.session_state["signed_out_reason"] = check.ended or sessions.ENDED_ELSEWHERE
    return check


def still_current() -> bool:
    """For the idle timer: whether the session is still within its limits (not counted as activity)."""
    raw = current_id()
    return bool(raw) and sessions.is_current(raw)


def end_current() -> None:
    """Sign out: delete this browser's session row, so every tab using it signs out on its next run."""
    raw = current_id()
    if raw:
        sessions.end(raw)


def _redirect(url: str) -> None:
    """Send the browser to ``url`` the way st.login does (Streamlit's auth_redirect message)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    ctx.enqueue(message)


def send_to_cookie_route(path: str) -> None:
    """After a sign-in, send the browser to the cookie route and back to ``path`` (this page).

    Does nothing where no cookie can be set safely (no binding cookie: AppTest, or no launcher)."""
    if not st.session_state.pop(_SET_COOKIE, False):
        return
    raw = st.session_state.get(SESSION_ID_KEY)
    binding = _text(st.context.cookies.get(BINDING_COOKIE))
    if not isinstance(raw, str) or not binding:
        return
    ticket = sessions.issue_ticket(raw, binding)
    if ticket is None:
        return
    query = st.query_params.to_dict()
    back = "/" + quote(path.strip("/")) + (("?" + urlencode(query)) if query else "")
    _redirect(f"{COOKIE_ROUTE}?{urlencode({'ticket': ticket, 'next': back})}")
    st.caption("Signing you in…")
    st.stop()
