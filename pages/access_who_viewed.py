"""Who has viewed my records: each time someone else opened a record about me."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from db.organisation import utcnow
from pages._ui import current_actor, dataframe, uk_time
from qa.access import access_log

PERIODS = {"The last 30 days": timedelta(days=30), "The last 12 months": timedelta(days=365), "Everything": None}

actor = current_actor()
st.title("Who has viewed my records", anchor=False)
st.markdown(
    "Each time someone else opens a record about you, the portal notes **who** opened it, **what** it was and **when**. "
    "This covers observations of your practice, your development profile, audits and feedback sheets on your cases, "
    "supervision records, and reflective notes or debriefs you chose to share."
)
st.caption(
    f"Only you can see this page: not your SPO, not an administrator. Your own views are not listed. "
    f"Opening the same record again within {int(access_log.REPEAT_WINDOW.total_seconds() // 60)} minutes counts as one view."
)

period = st.selectbox("Show views from", list(PERIODS), index=1, key="who_viewed_period")
window = PERIODS[period]
rows = access_log.views_of_my_records(actor, since=utcnow() - window if window else None)

if not rows:
    st.info("Nobody else has opened a record about you in this period.")
    st.stop()

people = len({r.viewer_name for r in rows})
st.markdown(
    f"**{len(rows)} view{'s' if len(rows) != 1 else ''}** by **{people} {'people' if people != 1 else 'person'}**, newest first."
)
dataframe(
    pd.DataFrame(
        [
            {
                "When (UK time)": uk_time(r.at),
                "Who": r.viewer_name,
                "Their role": r.viewer_role,
                "What": r.kind_label,
                "Record": r.description,
            }
            for r in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)
if len(rows) >= access_log.LIST_LIMIT:
    st.caption(f"Showing the latest {access_log.LIST_LIMIT} views in this period.")
st.caption("If a view looks wrong to you, raise it with your manager or your organisation's data protection officer.")
