"""A practitioner's home: what is waiting for me, each item a link straight to its record."""

import streamlit as st

from pages import _registry as screens
from pages._ui import current_actor, plain, work_queue
from qa import worklist

actor = current_actor()

st.title(f"Welcome, {plain(actor.full_name.split()[0])}", anchor=False)
st.caption(
    "What is waiting for you, most pressing first. Who you are, your team and your supervisor are on My account."
)
work_queue(worklist.practitioner_work(actor))

st.divider()
screens.WHO_VIEWED.link(
    help="Everyone else who has opened an observation, audit, supervision record or shared note about you, and when."
)
