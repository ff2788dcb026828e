"""Supervision cadence across the PDU, by team, for QA leads."""

import pandas as pd
import streamlit as st

from pages._ui import current_actor, dataframe, literal
from qa.audits import events as audit_events
from qa.supervision import cadence

actor = current_actor()
st.title("Supervision cadence", anchor=False)
st.caption(
    "The share of practitioners supervised within their target interval (every 4 to 6 weeks by default; more often for new starters and NQOs)."
)
pdus = dict(audit_events.pdus_i_manage(actor))
if not pdus:
    st.info("You are not a quality-assurance lead for any PDU.")
    st.stop()
pdu_id = st.selectbox("PDU", list(pdus), format_func=lambda i: literal(pdus[i])) if len(pdus) > 1 else next(iter(pdus))
teams = cadence.cadence_by_team(actor, pdu_id)
if not teams:
    st.info("No practitioners in this PDU yet.")
else:
    dataframe(
        pd.DataFrame(
            [
                {
                    "Team": t.team_name,
                    "Practitioners": t.practitioners,
                    "Within target": t.within_target,
                    "Share": t.share,
                }
                for t in teams
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Share": st.column_config.NumberColumn(format="percent")},
    )
