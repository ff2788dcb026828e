"""Observations I do: sessions I am to observe or have observed."""

import streamlit as st

from pages import _registry as screens
from pages._ui import current_actor, plain, show_flash
from qa.observations import workflow as observations

actor = current_actor()
st.title("Observations I do", anchor=False)
show_flash()
st.page_link(screens.PLAN_OBSERVATION.file, label="Plan an observation", icon=":material/calendar_month:")
rows = observations.observations_by_me(actor)
to_do = [r for r in rows if r.to_record]
invited = [r for r in rows if r.awaiting]  # waiting for the practitioner, another date to answer, or declined
done = [r for r in rows if not r.to_record and not r.awaiting]


def listing(items, empty: str) -> None:
    if not items:
        st.info(empty)
    for row in items:
        cols = st.columns([2, 3, 2, 3])
        cols[0].page_link(
            screens.OBSERVATION.file,
            label=f"{row.observed_on:%d %b %Y}",
            query_params={"observation": row.id},
            icon=":material/visibility:",
        )
        cols[1].markdown(plain(row.practitioner_name))
        cols[2].markdown(plain(row.setting))
        cols[3].markdown(f"**{row.label}**" + (" (second observer)" if row.is_calibration else ""))


st.header(f"To record ({len(to_do)})", anchor=False)
listing(to_do, "Nothing to record.")
st.header(f"Invitations ({len(invited)})", anchor=False)
st.caption("A session is recorded only once the practitioner has accepted. Open one to see their answer.")
listing(invited, "No invitations waiting.")
st.header(f"Shared ({len(done)})", anchor=False)
listing(done, "Nothing shared yet.")
