"""A quality-assurance lead's home: what is waiting in my PDU, this month against last, and its teams."""

import pandas as pd
import streamlit as st

from pages._ui import current_actor, month_strip, plain, table, work_queue
from qa import worklist
from qa.home import home_summary

actor = current_actor()
summary = home_summary(actor)

st.title(f"PDU overview: {plain(summary.me.pdu_name or 'no PDU yet')}", anchor=False)
st.caption("What is waiting in your PDU, most pressing first. Who you are is on My account.")
work_queue(worklist.qa_lead_work(actor))
month_strip(worklist.month_strip(actor))

st.header("Teams in my PDU", anchor=False)
if summary.pdu_teams:
    frame = pd.DataFrame([{"Team": t.team_name, "Active staff": t.active_staff} for t in summary.pdu_teams])
    table(frame, hide_index=True, width="content")
    st.caption(f"{sum(t.active_staff for t in summary.pdu_teams)} active staff across {len(summary.pdu_teams)} teams.")
else:
    st.info("You are not linked to a PDU yet. Ask your administrator to place you in a team.")
