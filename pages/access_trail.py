"""The audit trail: who created, changed or deactivated what, and when (read only)."""

import pandas as pd
import streamlit as st

from pages._ui import current_actor, dataframe
from qa.access.trail_view import recent_entries

actor = current_actor()
st.title("Audit trail", anchor=False)
st.caption("Every change made through the portal is recorded here. Entries cannot be edited or removed.")

rows = recent_entries(actor, limit=500)
if not rows:
    st.info("Nothing has been recorded yet.")
else:
    frame = pd.DataFrame(
        [
            {
                "When (UTC)": r.at.strftime("%Y-%m-%d %H:%M"),
                "Who": r.actor_name or "(the portal)",
                "Action": r.action,
                "Record": f"{r.entity} {r.entity_id or ''}".strip(),
                "Detail": r.summary,
            }
            for r in rows
        ]
    )
    dataframe(frame, hide_index=True, width="stretch")
