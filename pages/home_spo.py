"""An SPO's home: what is waiting for me, this month against last, and the people I supervise."""

import streamlit as st

from pages._ui import current_actor, month_strip, people_table, plain, work_queue
from qa import worklist
from qa.home import home_summary

actor = current_actor()
summary = home_summary(actor)

st.title(f"Team home: {plain(summary.me.team_name or 'no team yet')}", anchor=False)
st.caption("What is waiting for you, most pressing first. Who you are and your team are on My account.")
work_queue(worklist.spo_work(actor))
month_strip(worklist.month_strip(actor))

st.header(f"People I supervise ({len(summary.supervisees)})", anchor=False)
people_table(summary.supervisees, "Nobody is recorded as supervised by you yet.")

others = [p for p in summary.team_members if p.id != actor.id and p.supervisor_id != actor.id]
if others:
    with st.expander(f"Others in my team ({len(others)})"):
        people_table(others, "")
