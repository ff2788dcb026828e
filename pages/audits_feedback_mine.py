"""Feedback on my cases: audit feedback sheets about cases I hold, and my actions."""

import streamlit as st

from pages import _registry as screens
from pages._ui import audit_table, current_actor, plain, who_can_see
from qa.audits import workflow

actor = current_actor()
st.title("Audit feedback on my cases", anchor=False)
who_can_see("you, your SPO, the two auditors and the PDU's quality-assurance leads. You can reply to every sheet.")

actions = workflow.my_open_actions(actor)
st.header(f"My open actions ({len(actions)})", anchor=False)
if not actions:
    st.info("You have no open actions from case audits.")
for action, case_ref, audit_id in actions:
    cols = st.columns([5, 2, 2])
    cols[0].markdown(plain(action.description))
    cols[1].page_link(
        screens.AUDIT_CASE.file, label=case_ref, query_params={"audit": str(audit_id)}, icon=":material/description:"
    )
    due = f"due {action.due_date:%d %b %Y}"
    cols[2].markdown(f":red[**overdue**, {due}]" if action.overdue else due)

st.header("Feedback sheets", anchor=False)
audit_table(workflow.feedback_on_my_cases(actor), "No audit feedback on your cases yet.")
