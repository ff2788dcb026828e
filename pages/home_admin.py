"""The administrator's home: who I am and the organisation at a glance."""

import streamlit as st

from pages import _registry as screens
from pages._ui import current_actor, who_am_i
from qa.home import home_summary
from qa.organisation.org import organisation_counts

actor = current_actor()
summary = home_summary(actor)
counts = organisation_counts(actor)

st.title("Administration")
who_am_i(summary.me)

st.subheader("The organisation")
cols = st.columns(4)
cols[0].metric("PDUs", counts.pdus)
cols[1].metric("Teams", counts.teams)
cols[2].metric("Active staff", counts.active_users)
cols[3].metric("Deactivated", counts.deactivated_users)

if counts.pdus == 0:
    st.info(
        "Start by adding a region, then PDUs and teams, on **PDUs and teams**. Then add staff on **Users** or **Import staff**."
    )
st.page_link(screens.USERS.file, label="Manage users", icon="🧑‍💼")
st.page_link(screens.PDUS_AND_TEAMS.file, label="Manage PDUs and teams", icon="🏢")
st.page_link(screens.IMPORT_STAFF.file, label="Import staff from a CSV file", icon="📥")
