"""First run: with no users at all, the only thing to do is create the first administrator."""

import streamlit as st

from db.organisation import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, FirstAdminCreate
from pages import _session
from pages._ui import field_error, form_errors, submit, text_input
from qa.access import auth
from qa.errors import PermissionDenied
from qa.validation import validate

st.title("Create the first administrator", anchor=False)
st.write(
    "The portal has no accounts yet. Create the first administrator account. "
    "That person can then set up PDUs, teams and staff."
)

errors = form_errors("first_admin")
with st.form("first_admin"):
    full_name = text_input("Full name", max_chars=NAME_MAX)
    field_error(errors, "full_name")
    email = text_input("Email", max_chars=EMAIL_MAX)
    field_error(errors, "email")
    password = text_input("Password", type="password", help="At least 12 characters.", max_chars=PASSWORD_MAX)
    field_error(errors, "password")
    confirm = text_input("Confirm password", type="password", max_chars=PASSWORD_MAX)
    field_error(errors, "confirm_password")
    submitted = st.form_submit_button("Create administrator", type="primary")

if submitted:
    try:
        actor = submit(
            "first_admin",
            lambda: auth.create_first_admin(
                validate(
                    FirstAdminCreate,
                    {"full_name": full_name, "email": email, "password": password, "confirm_password": confirm},
                )
            ),
            rerun=False,
        )
    except PermissionDenied as exc:
        st.error(str(exc))
    else:
        # Signed in as any password sign-in is: a new session, then its cookie (pages/_session.py).
        _session.begin(auth.sign_in(actor.email, password, user_agent=_session.user_agent()))
        st.rerun()
