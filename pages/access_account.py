"""My account: who I am, my team and supervisor, change my password, download my data, or sign out."""

import streamlit as st

from db.organisation import PASSWORD_MAX, PasswordChange, Role
from pages import _session
from pages._ui import (
    current_actor,
    dataframe,
    field_error,
    form_errors,
    my_team,
    plain,
    show_flash,
    sign_out,
    submit,
    text_input,
    uk_time,
    who_am_i,
)
from qa.access import auth, sessions
from qa.errors import PermissionDenied
from qa.home import home_summary
from qa.privacy import subject_access
from qa.validation import validate

actor = current_actor()
st.title("My account", anchor=False)
show_flash()
st.markdown(f"Signed in as **{plain(actor.email)}**.")

summary = home_summary(actor)
who_am_i(summary.me)
if summary.me.team_name or actor.has(Role.PRACTITIONER) or actor.has(Role.SPO):
    my_team(summary.me)
if actor.has(Role.PRACTITIONER):
    st.header("My supervisor", anchor=False)
    if summary.supervisor:
        st.markdown(f"**{plain(summary.supervisor.full_name)}** ({plain(summary.supervisor.email)})")
    else:
        st.warning("You do not have a supervisor recorded. Ask your administrator to add one.")

st.header("Change my password", anchor=False)
if auth.sso_only():
    st.info(
        "Portal passwords are turned off: everyone signs in with single sign-on, so there is no password to change here."
    )
else:
    errors = form_errors("password")
    with st.form("change_password", clear_on_submit=False):
        current = text_input("Current password", type="password", max_chars=PASSWORD_MAX)
        field_error(errors, "current_password")
        new = text_input("New password", type="password", help="At least 12 characters.", max_chars=PASSWORD_MAX)
        field_error(errors, "new_password")
        confirm = text_input("Confirm new password", type="password", max_chars=PASSWORD_MAX)
        field_error(errors, "confirm_password")
        submitted = st.form_submit_button("Change password")

    if submitted:
        try:
            submit(
                "password",
                lambda: auth.change_password(
                    actor,
                    validate(
                        PasswordChange, {"current_password": current, "new_password": new, "confirm_password": confirm}
                    ),
                ),
                success="Your password has been changed.",
            )
        except PermissionDenied as exc:  # passwords were turned off since this page was drawn
            st.error(str(exc))

st.header("My data", anchor=False)
st.markdown(
    "Download a copy of everything the portal holds about you: your profile, your own notes and debriefs, "
    "observations of your practice, audits of your cases, supervision records you took part in, who has viewed "
    "your records, and what you have done in the portal. It is a ZIP of JSON and CSV files, with a README."
)
st.caption("Other people's private notes and debriefs are never included, even ones shared with you.")
st.download_button(
    "Download everything the portal holds about me",
    # Made when clicked, for whoever is signed in then (a deactivated account gets nothing).
    data=lambda: subject_access.export_for(auth.load_actor(actor.id)),
    file_name=subject_access.file_name(actor),
    mime="application/zip",
    on_click="ignore",
    icon=":material/inventory_2:",
    key="subject_access_download",
)

st.header("Where I am signed in", anchor=False)
st.write(
    "Each browser you signed in with keeps its own session until you sign out there, it is left unused "
    f"for the idle time, or it reaches its limit of {sessions.limits().absolute_hours} hours."
)
here = _session.current_id()
mine = sessions.my_sessions(actor, here)
dataframe(
    [
        {
            "Device": session.device + (" (this one)" if session.this_one else ""),
            "Signed in": uk_time(session.signed_in_at),
            "Last used": uk_time(session.last_seen_at),
            "With": "Single sign-on" if session.method == "sso" else "Password",
        }
        for session in mine
    ],
    hide_index=True,
)
if any(not session.this_one for session in mine):
    if st.button("Sign out of all other sessions", key="end_other_sessions"):
        submit(
            None,
            lambda: sessions.end_my_other_sessions(actor, here),
            success=lambda count: f"Signed out of {count} other session{'s' if count != 1 else ''}.",
        )
else:
    st.caption("You are not signed in anywhere else.")

st.header("Sign out", anchor=False)
st.write("Signing out ends this session on this device.")
if st.button("Sign out", key="account_sign_out"):
    sign_out()
