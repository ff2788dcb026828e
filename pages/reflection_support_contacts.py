"""Support contacts shown to staff who ask for specialist support or whose debriefs stay high."""

import streamlit as st

from db.ids import id_of
from db.reflection import CONTACT_NAME_MAX, HOW_TO_REACH_MAX, SHORT_MAX, SupportContactCreate
from pages._ui import current_actor, field_error, flash, form_errors, plain, show_flash, submit, text_area, text_input
from qa.reflection import debriefs, support
from qa.validation import validate

actor = current_actor()
st.title("Support contacts", anchor=False)
st.caption(
    "Shown gently to staff who ask for specialist support, or whose debriefs stay at a high level. "
    "Offer peer and independent options as well as employer schemes: not everyone trusts an employer's service."
)
show_flash()

for contact in support.all_contacts(actor):
    cols = st.columns([4, 2, 2])
    cols[0].markdown(
        f"**{plain(contact.name)}**"
        + (" · independent" if contact.independent else "")
        + ("" if contact.active else " *(retired)*")
    )
    if contact.description:
        cols[0].caption(plain(contact.description))
    cols[1].caption(plain(contact.how_to_reach))  # shown as typed: no link text can differ from its address
    if cols[2].button("Retire" if contact.active else "Bring back", key=f"contact_{contact.id}"):
        support.set_contact_active(actor, id_of(contact), not contact.active)
        st.rerun()

errors = form_errors("contact")
with st.form("contact", clear_on_submit=False):
    st.markdown("**Add a contact**")
    name = text_input("Name", max_chars=CONTACT_NAME_MAX)
    field_error(errors, "name")
    description = text_area("What it offers", max_chars=SHORT_MAX)
    field_error(errors, "description")
    how = text_input("How to reach it (phone, web address, or who to ask)", max_chars=HOW_TO_REACH_MAX)
    field_error(errors, "how_to_reach")
    independent = st.checkbox("Independent of the employer")
    if st.form_submit_button("Add contact", type="primary"):
        submit(
            "contact",
            lambda: support.add_contact(
                actor,
                validate(
                    SupportContactCreate,
                    {"name": name, "description": description, "how_to_reach": how, "independent": independent},
                ),
            ),
            success="Contact added.",
        )

st.header("When to offer support", anchor=False)
with st.form("threshold"):
    level = st.slider(
        "Offer support when someone's debriefs stay at or above this intensity for two weeks",
        1,
        10,
        debriefs.signpost_threshold(),
    )
    if st.form_submit_button("Save"):
        support.set_signpost_threshold(actor, level)
        flash("Saved.")
        st.rerun()
