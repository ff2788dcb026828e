"""Team audit feedback, for an SPO: sheets to discuss in supervision, urgent concerns and overdue actions."""

from functools import partial

import streamlit as st

from db.audits import EVIDENCE_MAX, Acknowledgement
from pages import _registry as screens
from pages._ui import (
    audit_table,
    current_actor,
    field_error,
    form_errors,
    plain,
    show_flash,
    show_text,
    submit,
    text_area,
    uk_time,
)
from qa.audits import concerns as urgent_concerns
from qa.audits import workflow
from qa.validation import validate

actor = current_actor()


def acknowledge(concern_id: int, note: str) -> None:
    """Build the acknowledgement (refused with a plain message if the note is blank or too long), then save it."""
    urgent_concerns.acknowledge(actor, concern_id, validate(Acknowledgement, {"note": note}))


st.title("Team audit feedback", anchor=False)
show_flash()

concerns = urgent_concerns.concerns_for_me(actor)
if concerns:
    st.header(f"Urgent concerns to acknowledge ({len(concerns)})", anchor=False)
    for concern in concerns:
        with st.container(border=True):
            st.markdown(
                f"**{plain(concern.case_ref)}** · raised by {plain(concern.raised_by_name)} on {uk_time(concern.raised_at)}"
                + (" · :red[more than 2 working days ago]" if concern.overdue else "")
            )
            show_text(concern.description)
            st.page_link(screens.AUDIT_CASE.file, label="Open the audit", query_params={"audit": str(concern.audit_id)})
            errors = form_errors(f"ack:{concern.id}")
            with st.form(f"ack_{concern.id}"):
                note = text_area("What have you done or decided?", key=f"ack_note_{concern.id}", max_chars=EVIDENCE_MAX)
                field_error(errors, "note")
                if st.form_submit_button("Acknowledge", type="primary"):
                    submit(
                        f"ack:{concern.id}",
                        partial(acknowledge, concern.id, note),
                        success="Concern acknowledged.",
                    )

overdue = workflow.overdue_actions_for_spo(actor)
st.header(f"Overdue actions ({len(overdue)})", anchor=False)
if not overdue:
    st.info("No overdue actions on your team's audits.")
for action, case_ref, audit_id in overdue:
    cols = st.columns([5, 2, 2, 2])
    cols[0].markdown(plain(action.description))
    cols[1].markdown(plain(action.owner_name))
    cols[2].page_link(
        screens.AUDIT_CASE.file, label=case_ref, query_params={"audit": str(audit_id)}, icon=":material/description:"
    )
    cols[3].markdown(f":red[due {action.due_date:%d %b %Y}]")

st.header("Feedback sheets to discuss in supervision", anchor=False)
st.caption("Open a sheet, talk it through with the case holder, then mark it discussed.")
audit_table(workflow.feedback_awaiting_me(actor), "No feedback sheets are waiting for you.")

st.header("Closed", anchor=False)
st.caption(
    "Sheets whose actions are all done, most recently closed first, for a year after they close. "
    "Open one to read the sheet and the case holder's reply."
)
closed = workflow.feedback_closed_for_me(actor)
if not closed:
    st.info("No closed feedback sheets in the last year.")
for row in closed:
    cols = st.columns([2, 2, 3, 2, 2])
    cols[0].page_link(
        screens.AUDIT_CASE.file,
        label=row.case_ref,
        query_params={"audit": str(row.audit_id)},
        icon=":material/description:",
    )
    cols[1].markdown(f"{row.event_date:%d %b %Y}")
    cols[2].markdown(f"Held by {plain(row.holder_name)}")
    cols[3].markdown("**closed**")
    cols[4].markdown("The case holder replied" if row.replied else "No reply")
