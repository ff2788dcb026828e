"""My account: change my password, download my data, or sign out."""

import streamlit as st

from db.organisation import PASSWORD_MAX, PasswordChange
from pages._ui import (
    current_actor,
    field_error,
    form_errors,
    plain,
    show_flash,
    sign_out,
    submit,
)
from qa.access import auth
from qa.errors import PermissionDenied
from qa.privacy import subject_access
from qa.validation import validate

actor = current_actor()
st.title("My account")
show_flash()
st.markdown(f"Signed in as **{plain(actor.email)}**.")

st.subheader("Change my password")
if auth.sso_only():
    st.info(
        "Portal passwords are turned off: everyone signs in with single sign-on, so there is no password to change here."
    )
else:
    errors = form_errors("password")
    with st.form("change_password", clear_on_submit=False):
        current = st.text_input("Current password", type="password", max_chars=PASSWORD_MAX)
        field_error(errors, "current_password")
        new = st.text_input("New password", type="password", help="At least 12 characters.", max_chars=PASSWORD_MAX)
        field_error(errors, "new_password")
        confirm = st.text_input("Confirm new password", type="password", max_chars=PASSWORD_MAX)
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

st.subheader("My data")
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
    icon="📦",
    key="subject_access_download",
)

st.subheader("Sign out")
st.write("Signing out ends this session on this device.")
if st.button("Sign out", key="account_sign_out"):
    sign_out()
