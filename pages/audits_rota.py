"""The LEARN rota: everyone in the PDU against the target of 2 audit events a year."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._ui import current_actor, literal, table
from qa.audits import events as audit_events
from qa.audits.events import ROTA_TARGET_PER_YEAR

actor = current_actor()
st.title("LEARN rota", anchor=False)
st.caption(
    f"Everyone takes part, on a six-month rota, aiming for {ROTA_TARGET_PER_YEAR} audit events a year. "
    "'Due' means fewer than that attended in the last year and scheduled in the next six months."
)

pdus = dict(audit_events.pdus_i_manage(actor))
if not pdus:
    st.info("You are not a quality-assurance lead for any PDU.")
    st.stop()
pdu_id = st.selectbox("PDU", list(pdus), format_func=lambda i: literal(pdus[i])) if len(pdus) > 1 else next(iter(pdus))
rows = audit_events.rota(actor, pdu_id, dt.date.today())
due = [r for r in rows if r.due]
cols = st.columns(3)
cols[0].metric("Staff", len(rows))
cols[1].metric("Due", len(due))
cols[2].metric("On track", len(rows) - len(due))
only_due = st.toggle("Show only people who are due", value=False)
shown = due if only_due else rows
table(
    pd.DataFrame(
        [
            {
                "Name": r.name,
                "Grade": r.grade,
                "Team": r.team_name,
                "Attended (last 6 months)": r.attended_last_6_months,
                "Attended (last 12 months)": r.attended_last_12_months,
                "Scheduled (next 6 months)": r.scheduled_next_6_months,
                "Status": "Due" if r.due else "On track",
            }
            for r in shown
        ]
    ),
    hide_index=True,
    width="stretch",
)
