"""Notification preferences: for each kind of notification, email it immediately, in a daily digest, or not at all.

Links at the foot of every notification email lead here (after sign-in). Urgent
concerns cannot be turned off: the option is not offered, and the service refuses it.
"""

import streamlit as st

from pages._ui import current_actor, field_error, form_errors, show_flash, submit
from qa.notifications import preferences
from qa.notifications.preferences import Delivery

actor = current_actor()
st.title("Notification preferences", anchor=False)
show_flash()
st.markdown(
    "Choose, for each kind of notification, whether the portal emails you **immediately**, in **one daily "
    "digest** each morning, or **not at all**. Whatever you choose, every notification still appears in the "
    "portal."
)
st.caption(
    "Emails say only what kind of item is waiting and link to it: never what a note, debrief, support request "
    "or feedback says. Emails about urgent concerns cannot be turned off, because someone may be at risk."
)

choices = preferences.my_choices(actor)
errors = form_errors("notification_preferences")
with st.form("notification_preferences", clear_on_submit=False):
    chosen: dict[str, Delivery] = {}
    for choice in choices:
        options = choice.options
        chosen[choice.kind.key] = st.radio(
            choice.kind.wording,
            options,
            index=options.index(choice.delivery),
            format_func=lambda d: d.label,
            horizontal=True,
            key=f"delivery_{choice.kind.key}",
            help=None if choice.kind.can_turn_off else preferences.CANNOT_TURN_OFF,
        )
        field_error(errors, choice.kind.key)
    submitted = st.form_submit_button("Save my choices", type="primary")

if submitted:
    submit(
        "notification_preferences",
        lambda: preferences.save_my_choices(actor, chosen),
        success="Your notification choices have been saved.",
    )
