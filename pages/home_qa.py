"""A quality-assurance lead's home: what needs attention, who I am and the teams in my PDU."""

import pandas as pd
import streamlit as st

from pages import _registry as screens
from pages._ui import (
    current_actor,
    learn_alerts,
    observation_alerts,
    plain,
    supervision_alerts,
    support_alerts,
    who_am_i,
)
from qa.home import home_summary, pdu_overdue_concerns

actor = current_actor()
summary = home_summary(actor)

st.title(f"PDU overview: {plain(summary.me.pdu_name or 'no PDU yet')}")
overdue = pdu_overdue_concerns(actor)
if overdue:
    st.error(
        f"{overdue} urgent concern{'s have' if overdue != 1 else ' has'} waited more than 2 working days for an SPO.",
        icon="🚨",
    )
    st.page_link(screens.URGENT_CONCERNS.file, label="Urgent concerns", icon="🚨")
support_alerts(actor)
learn_alerts(actor)
supervision_alerts(actor)
observation_alerts(actor)
who_am_i(summary.me)

st.subheader("Teams in my PDU")
if summary.pdu_teams:
    frame = pd.DataFrame([{"Team": t.team_name, "Active staff": t.active_staff} for t in summary.pdu_teams])
    st.dataframe(frame, hide_index=True, width="content")
    st.caption(f"{sum(t.active_staff for t in summary.pdu_teams)} active staff across {len(summary.pdu_teams)} teams.")
else:
    st.info("You are not linked to a PDU yet. Ask your administrator to place you in a team.")
