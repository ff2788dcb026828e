"""An SPO's home: who I am, my team, and the people I supervise."""

import streamlit as st

from pages._ui import (
    current_actor,
    learn_alerts,
    my_team,
    observation_alerts,
    people_table,
    plain,
    supervision_alerts,
    support_alerts,
    who_am_i,
)
from qa.home import home_summary

actor = current_actor()
summary = home_summary(actor)

st.title(f"Team home: {plain(summary.me.team_name or 'no team yet')}")
support_alerts(actor)
learn_alerts(actor)
supervision_alerts(actor)
observation_alerts(actor)
who_am_i(summary.me)
my_team(summary.me)

st.subheader(f"People I supervise ({len(summary.supervisees)})")
people_table(summary.supervisees, "Nobody is recorded as supervised by you yet.")

others = [p for p in summary.team_members if p.id != actor.id and p.supervisor_id != actor.id]
if others:
    with st.expander(f"Others in my team ({len(others)})"):
        people_table(others, "")
