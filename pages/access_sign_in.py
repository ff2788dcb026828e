"""Sign in with a portal password, or with single sign-on when it is configured
(only single sign-on when the "SSO only" setting is on)."""

import streamlit as st

from db.organisation import EMAIL_MAX, PASSWORD_MAX
from pages import _registry as screens
from pages import _session
from pages._ui import text_input
from qa.access import auth

# The form sits in a middle column: once signed in, the menu opens on the left, and a pointer
# left on a Sign in button there would rest on a menu entry and highlight it as if it were the
# current page as well.
_left, middle, _right = st.columns([1, 2, 1])
with middle:
    st.title("Practice Quality Portal", anchor=False)
    st.caption("Case audits, observation, reflection and supervision for probation teams.")
    st.page_link(screens.ACCESSIBILITY.file, label="Accessibility statement", icon=screens.ACCESSIBILITY.icon)

    reason = st.session_state.pop("signed_out_reason", None)
    if reason:
        st.info(reason)

    refused = st.session_state.get("sso_refused")
    if refused:
        st.error(refused)
        if st.button("Sign out of single sign-on"):
            st.session_state.pop("sso_refused", None)
            st.logout()

    sso_configured = bool(st.session_state.get("sso_configured"))
    passwords_off = auth.sso_only()  # the service refuses passwords too; this only stops offering them

    if sso_configured:
        st.header("Sign in with your organisation account", anchor=False)
        if st.button("Sign in with single sign-on", type="primary"):
            st.login()
    elif passwords_off:
        st.error(
            "Signing in with a portal password is turned off, and single sign-on is not working at the moment. "
            "Ask your administrator.",
            icon=":material/lock:",
        )

    if passwords_off:
        if sso_configured:
            st.caption("Signing in with a portal password is turned off: use your organisation account.")
        st.stop()

    if sso_configured:
        st.divider()
        st.header("Or sign in with a portal password", anchor=False)

    with st.form("sign_in"):
        email = text_input("Email", key="sign_in_email", max_chars=EMAIL_MAX)
        password = text_input("Password", type="password", key="sign_in_password", max_chars=PASSWORD_MAX)
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

    if submitted:
        result = auth.sign_in(email, password, user_agent=_session.user_agent(), address=_session.address())
        if result.actor is not None:  # result.ok
            _session.begin(result)  # a new session; app.py then sets its cookie
            st.rerun()
        else:
            st.error(result.message, icon=":material/lock:")
