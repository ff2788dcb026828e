"""Practice Quality Portal entrypoint: page config, sign-in and role-based navigation.

This file only routes. Screens live in pages/, rules in qa/, storage in db/.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from db.engine import database_url
from db.migrate import upgrade
from db.organisation import utcnow
from pages import _registry as screens
from pages import _session as signed_in
from pages._observe import run_page
from pages._ui import database_guard, plain, sign_out
from portal.settings import get_settings
from qa.access import auth, sessions
from qa.access.idle import identity_is_fresh
from qa.access.session import is_demo_organisation
from qa.notifications import inbox

# Each page then titles the browser tab itself (pages/_registry.run).
st.set_page_config(page_title=screens.PORTAL, page_icon=":material/explore:", layout="wide")


def _sso_configured() -> bool:
    # Single sign-on is Streamlit's own [auth] section of secrets.toml, which st.login
    # reads itself; the portal's other settings come from portal.settings.
    try:
        return "auth" in st.secrets
    except Exception:
        return False


@st.cache_resource(show_spinner="Preparing the database…")
def _migrated(url: str) -> bool:
    upgrade(url)
    return True


# database_guard: if the database is unreachable or locked, a plain message, never a trace.
database_guard(_migrated, database_url())

if database_guard(is_demo_organisation):
    st.warning(
        "**Demo organisation.** Every person and case here is synthetic, generated for training and testing.",
        icon=":material/science:",
    )

# --- who is signed in ---------------------------------------------------------
# The session row the cookie (or, until it is set, this Streamlit session) names, with the
# idle and absolute limits, deactivation and "SSO only" applied on the row (qa/access/sessions.py).
now = utcnow()
idle = database_guard(sessions.limits).idle
actor = database_guard(signed_in.resume).actor

# An SSO identity opens a new portal session only if the provider issued it
# within the idle time (qa/idle.identity_is_fresh); an older one goes back
# through the provider, so the idle timeout holds for SSO users too.
if (
    actor is None
    and _sso_configured()
    and getattr(st.user, "is_logged_in", False)
    and identity_is_fresh(st.user.get("iat"), now, idle)
    and "sso_refused" not in st.session_state  # a refusal is recorded once, not on every run
):
    claim = get_settings().sso_identity_claim
    result = database_guard(auth.sign_in_sso, st.user.get(claim), claim=claim, user_agent=signed_in.user_agent())
    if result.actor is not None:  # result.ok
        actor = result.actor
        signed_in.begin(result)
        st.session_state["signed_in_with_sso"] = True
    else:
        st.session_state["sso_refused"] = result.message

st.session_state["sso_configured"] = _sso_configured()


# --- navigation: built from the one registry of screens (pages/_registry.py) ------
if actor is None:
    if not database_guard(auth.has_any_user):
        pages = [screens.FIRST_RUN.page()]
    else:
        pages = [screens.SIGN_IN.page(default=True)]
        # A link into the portal shows the sign-in form, then the page it pointed to.
        urls = dict.fromkeys(
            entry.screen.url_path
            for section in screens.MENU
            for entry in section.entries
            if entry.screen is not screens.ACCESSIBILITY
        )
        pages += [st.Page(screens.SIGN_IN.file, title="Sign in", url_path=url, visibility="hidden") for url in urls]
        # The accessibility statement is open to everyone, signed in or not (the sign-in page links to it).
        pages.append(screens.ACCESSIBILITY.page())
    database_guard(screens.run, st.navigation(pages, position="hidden"))
    st.stop()

menu: dict[str, list] = {}
placed: set[screens.Screen] = set()
for section in screens.MENU:
    if section.roles is not None and not any(actor.has(role) for role in section.roles):
        continue
    pages = []
    for entry in section.entries:
        if entry.screen in placed:  # a screen two of the user's roles share appears once
            continue
        placed.add(entry.screen)
        # The first page of the user's first section is their home.
        pages.append(entry.screen.page(default=not menu and not pages, visible=entry.shown))
    if pages:
        menu[section.title] = pages

navigation = st.navigation(menu, expanded=True)
# Just after a sign-in: send the browser to set the session cookie, then back to this page
# (pages/_session.py), before anything else is drawn.
signed_in.send_to_cookie_route(navigation.url_path)  # after a sign-in: the cookie, then back here

with st.sidebar:
    st.caption(f"Signed in as **{plain(actor.full_name)}**")
    # The unread count beside the menu on every page: the person's own, read through an index
    # (qa/notifications/inbox.py). After st.navigation, which registers the page it links to.
    unread = database_guard(inbox.my_unread_count, actor)
    screens.NOTIFICATIONS.link(
        f"Notifications ({inbox.unread_label(unread)} unread)",
        icon=":material/notifications_unread:" if unread else ":material/notifications:",
    )
    if st.button("Sign out", key="sidebar_sign_out"):
        sign_out()


@st.fragment(run_every=max(idle / 2, timedelta(seconds=2)))
def _sign_out_when_idle() -> None:
    """Runs by itself every half idle time without counting as activity (only a
    full run does). Once the session has timed out it reruns the whole app, which
    signs out, so a screen left unattended clears itself instead of waiting for a click."""
    if not database_guard(signed_in.still_current):
        st.rerun()


_sign_out_when_idle()

run_page(navigation)  # counted and timed by page for the metrics (pages/_observe.py)
