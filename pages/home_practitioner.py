"""A practitioner's home: who I am, my team and my supervisor."""

import streamlit as st

from pages import _registry as screens
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

st.title(f"Welcome, {plain(summary.me.full_name.split()[0])}")
support_alerts(actor)
learn_alerts(actor)
supervision_alerts(actor)
observation_alerts(actor)
who_am_i(summary.me)
my_team(summary.me)

st.subheader("My supervisor")
if summary.supervisor:
    st.markdown(f"**{plain(summary.supervisor.full_name)}** ({plain(summary.supervisor.email)})")
else:
    st.warning("You do not have a supervisor recorded. Ask your administrator to add one.")

st.page_link(
    screens.WHO_VIEWED.file,
    label="Who has viewed my records",
    icon="🔎",
    help="Everyone else who has opened an observation, audit, supervision record or shared note about you, and when.",
)

colleagues = [p for p in summary.team_members if p.id != actor.id]
if colleagues:
    with st.expander(f"Other people in my team ({len(colleagues)})"):
        people_table(colleagues, "")
