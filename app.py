"""Practice Quality Portal entrypoint: page config, sign-in and role-based navigation.

This file only routes. Screens live in pages/, rules in qa/, storage in db/.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from db.encryption import configure as configure_encryption
from db.engine import configure, database_url
from db.migrate import upgrade
from db.organisation import Role, utcnow
from pages._ui import database_guard, plain, sign_out
from qa.access import auth
from qa.access.idle import describe as describe_idle
from qa.access.idle import has_timed_out, identity_is_fresh
from qa.access.session import is_demo_organisation
from qa.settings import idle_timeout

st.set_page_config(page_title="Practice Quality Portal", page_icon="🧭", layout="wide")


def _secret(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # no secrets.toml is the normal embedded set-up
        return None


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


@st.cache_resource(show_spinner="Preparing the database…")
def _migrated(url: str) -> bool:
    upgrade(url)
    return True


configure(_secret("database_url"))
configure_encryption(_secret("encryption_key"))
# database_guard: if the database is unreachable or locked, a plain message, never a trace.
database_guard(_migrated, database_url())

if database_guard(is_demo_organisation):
    st.warning(
        "**Demo organisation.** Every person and case here is synthetic, generated for training and testing.", icon="🧪"
    )

# --- who is signed in ---------------------------------------------------------
now = utcnow()
idle = idle_timeout(_secret("idle_timeout_minutes"))
actor = database_guard(auth.load_actor, st.session_state.get("user_id"))
if actor is not None and has_timed_out(st.session_state.get("last_activity"), now, idle):
    st.session_state.clear()
    st.session_state["signed_out_reason"] = f"You were signed out after {describe_idle(idle)} without activity."
    actor = None
if actor is None and st.session_state.get("user_id") is not None:
    st.session_state.pop("user_id", None)  # deactivated or removed since sign-in

# An SSO identity opens a new portal session only if the provider issued it
# within the idle time (qa/idle.identity_is_fresh); an older one goes back
# through the provider, so the idle timeout holds for SSO users too.
if (
    actor is None
    and _sso_configured()
    and getattr(st.user, "is_logged_in", False)
    and identity_is_fresh(st.user.get("iat"), now, idle)
):
    result = database_guard(auth.sign_in_sso, st.user.get("email"))
    if result.ok:
        actor = result.actor
        st.session_state["user_id"] = actor.id
        st.session_state["signed_in_with_sso"] = True
    else:
        st.session_state["sso_refused"] = result.message

st.session_state["sso_configured"] = _sso_configured()
if actor is not None:
    st.session_state["last_activity"] = now

# (roles, menu section, [(file, title, icon, url path, shown in the menu)])
# A role of None means every signed-in user; STAFF means anyone with a practice role.
# Hidden pages open from links.
STAFF = (Role.PRACTITIONER, Role.SPO, Role.QA_LEAD)
ROLE_SECTIONS = [
    (
        (Role.PRACTITIONER,),
        "My practice",
        [
            ("pages/home_practitioner.py", "My home", "🏠", "home", True),
            ("pages/feedback_mine.py", "Audit feedback on my cases", "📬", "my-feedback", True),
            ("pages/obs_mine.py", "My observations and development", "🌱", "my-development", True),
        ],
    ),
    (
        (Role.SPO,),
        "My team",
        [
            ("pages/home_spo.py", "Team home", "👥", "team", True),
            ("pages/feedback_team.py", "Team audit feedback", "🗒️", "team-feedback", True),
            ("pages/obs_team.py", "Team observations", "👁️", "team-observations", True),
            ("pages/supervision_team.py", "Supervision", "🗣️", "supervision", True),
            ("pages/dashboard.py", "Dashboards", "📊", "dashboards", True),
            ("pages/meeting.py", "Meeting mode", "📽️", "meeting", False),
        ],
    ),
    (
        (Role.QA_LEAD,),
        "Quality assurance",
        [
            ("pages/home_qa.py", "PDU overview", "📋", "pdu", True),
            ("pages/qa_events.py", "Audit events", "📅", "events", True),
            ("pages/qa_event.py", "Audit event", "📅", "event", False),
            ("pages/qa_rota.py", "LEARN rota", "🔄", "rota", True),
            ("pages/qa_concerns.py", "Urgent concerns", "🚨", "concerns", True),
            ("pages/qa_case_import.py", "Import cases", "📥", "import-cases", True),
            ("pages/qa_themes.py", "Learning themes", "🏷️", "themes", True),
            ("pages/obs_pdu.py", "Observation coverage and calibration", "🎯", "observation-coverage", True),
            ("pages/qa_cadence.py", "Supervision cadence", "🗓️", "cadence", True),
            ("pages/dashboard.py", "Dashboards", "📊", "dashboards", True),
            ("pages/meeting.py", "Meeting mode", "📽️", "meeting", False),
        ],
    ),
    (
        (Role.ADMIN,),
        "Administration",
        [
            ("pages/admin_home.py", "Admin home", "🗂️", "admin", True),
            ("pages/admin_users.py", "Users", "🧑‍💼", "users", True),
            ("pages/admin_organisation.py", "PDUs and teams", "🏢", "organisation", True),
            ("pages/admin_import_staff.py", "Import staff", "📥", "import-staff", True),
            ("pages/qa_case_import.py", "Import cases", "📥", "import-cases", True),
            ("pages/admin_instruments.py", "Audit question sets", "🧩", "instruments", True),
            ("pages/admin_settings.py", "Settings", "🔧", "settings", True),
            ("pages/admin_support.py", "Support contacts", "🤝", "support-contacts", True),
            ("pages/admin_trail.py", "Audit trail", "🧾", "audit-trail", True),
            ("pages/dashboard.py", "Dashboards", "📊", "dashboards", True),
            ("pages/meeting.py", "Meeting mode", "📽️", "meeting", False),
        ],
    ),
    (
        STAFF,
        "My space (private)",
        [
            ("pages/journal.py", "My reflective journal", "📓", "journal", True),
            ("pages/journal_entry.py", "Journal note", "📓", "note", False),
            ("pages/debrief.py", "Quick debrief", "🌿", "debrief", True),
            ("pages/my_wellbeing.py", "My wellbeing", "📈", "my-wellbeing", True),
            ("pages/shared_with_me.py", "Shared with me", "🤝", "shared-with-me", True),
        ],
    ),
    (
        STAFF,
        "Supervision records",
        [
            ("pages/supervision_mine.py", "My supervision", "🗒️", "my-supervision", True),
            ("pages/supervision_record.py", "Supervision record", "🗒️", "supervision-record", False),
        ],
    ),
    (
        STAFF,
        "LEARN audits",
        [
            ("pages/audit_my.py", "My audits", "📝", "my-audits", True),
            ("pages/audit.py", "Case audit", "📄", "audit", False),
        ],
    ),
    (
        STAFF,
        "Observation",
        [
            ("pages/obs_observing.py", "Observations I do", "👁️", "observing", True),
            ("pages/obs_plan.py", "Plan an observation", "🗓️", "plan-observation", True),
            ("pages/observation.py", "Observation", "👁️", "observation", False),
        ],
    ),
    (
        None,
        "Account",
        [
            ("pages/account.py", "My account", "⚙️", "account", True),
            ("pages/who_viewed.py", "Who has viewed my records", "🔎", "who-viewed", True),
        ],
    ),
]

# --- navigation -----------------------------------------------------------------
if actor is None:
    if not database_guard(auth.has_any_user):
        pages = [st.Page("pages/first_run.py", title="Create the first administrator", icon="🛠️")]
    else:
        pages = [st.Page("pages/sign_in.py", title="Sign in", icon="🔑", default=True)]
        # A link into the portal shows the sign-in form, then the page it pointed to.
        urls = dict.fromkeys(url for _roles, _section, entries in ROLE_SECTIONS for _p, _t, _i, url, _shown in entries)
        pages += [st.Page("pages/sign_in.py", title="Sign in", url_path=url, visibility="hidden") for url in urls]
    database_guard(st.navigation(pages, position="hidden").run)
    st.stop()

menu: dict[str, list] = {}
placed: set[str] = set()
for roles, section, entries in ROLE_SECTIONS:
    if roles is not None and not any(actor.has(role) for role in roles):
        continue
    pages = []
    for path, title, icon, url, shown in entries:
        if path in placed:  # a screen two of the user's roles share appears once
            continue
        placed.add(path)
        pages.append(
            # The first page of the user's first section is their home.
            st.Page(
                path,
                title=title,
                icon=icon,
                url_path=url,
                default=not menu and not pages,
                visibility="visible" if shown else "hidden",
            )
        )
    if pages:
        menu[section] = pages

with st.sidebar:
    st.caption(f"Signed in as **{plain(actor.full_name)}**")
    if st.button("Sign out", key="sidebar_sign_out"):
        sign_out()


@st.fragment(run_every=max(idle / 2, timedelta(seconds=2)))
def _sign_out_when_idle() -> None:
    """Runs by itself every half idle time without counting as activity (only a
    full run does). Once the session has timed out it reruns the whole app, which
    signs out, so a screen left unattended clears itself instead of waiting for a click."""
    if has_timed_out(st.session_state.get("last_activity"), utcnow(), idle):
        st.rerun()


_sign_out_when_idle()

database_guard(st.navigation(menu, expanded=True).run)
