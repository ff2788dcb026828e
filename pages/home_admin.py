"""The administrator's home: what the portal needs me to fix, and the organisation at a glance."""

import streamlit as st

from pages import _registry as screens
from pages._ui import current_actor, work_queue
from qa import worklist
from qa.organisation.org import organisation_counts

actor = current_actor()
counts = organisation_counts(actor)

st.title("Administration", anchor=False)
st.caption("What is waiting for you, most pressing first. Who you are is on My account.")
work_queue(worklist.admin_work(actor, sso_configured=bool(st.session_state.get("sso_configured"))))

st.header("The organisation", anchor=False)
cols = st.columns(4)
cols[0].metric("PDUs", counts.pdus)
cols[1].metric("Teams", counts.teams)
cols[2].metric("Active staff", counts.active_users)
cols[3].metric("Deactivated", counts.deactivated_users)

if counts.pdus == 0:
    st.info(
        "Start by adding a region, then PDUs and teams, on **PDUs and teams**. Then add staff on **Users** or **Import staff**."
    )
st.page_link(screens.USERS.file, label="Manage users", icon=":material/manage_accounts:")
st.page_link(screens.PDUS_AND_TEAMS.file, label="Manage PDUs and teams", icon=":material/domain:")
st.page_link(screens.IMPORT_STAFF.file, label="Import staff from a CSV file", icon=":material/upload_file:")
