"""Shared with me: notes and debriefs colleagues chose to show me, and their requests to talk."""

import streamlit as st

from db.reflection import EntryKind, RequestStatus
from pages import _registry as screens
from pages._ui import current_actor, flash, plain, show_flash, show_text, uk_time, who_can_see
from qa.errors import NotFound
from qa.reflection import debriefs, sharing, support

actor = current_actor()
st.title("Shared with me", anchor=False)
show_flash()
who_can_see(
    "what is here was shared with you alone, by its author, who can take it back at any time. Please treat it with care."
)

st.header("Requests for a conversation", anchor=False)
requests = support.requests_to_me(actor)
if not requests:
    st.info("Nobody is waiting to talk to you.")
for request in requests:
    with st.container(border=True):
        st.markdown(
            f"**{plain(request.requester_name)}** would like to talk · **{request.urgency}** · asked {uk_time(request.created_at)} · {request.status}"
        )
        if request.debrief_id:
            st.caption("They have shared the debrief with you: it is below.")
        else:
            st.caption("What they wrote is private to them unless they choose to share it.")
        cols = st.columns(2)
        if request.status == RequestStatus.OPEN and cols[0].button("I have offered a time", key=f"offer_{request.id}"):
            support.respond(actor, request.id, RequestStatus.OFFERED)
            flash("Marked as offered.")
            st.rerun()
        if cols[1].button("We have talked", key=f"done_{request.id}"):
            support.respond(actor, request.id, RequestStatus.DONE)
            flash("Marked as done. Thank you for making the time.")
            st.rerun()

st.header("Shared notes and debriefs", anchor=False)
shares = sharing.shared_with_me(actor)
if not shares:
    st.info("Nothing has been shared with you.")
for share in shares:
    label = f"{plain(share.author_name)} · shared {uk_time(share.shared_at)}" + (
        " · for supervision" if share.for_supervision else ""
    )
    if share.kind == EntryKind.NOTE:
        st.page_link(
            screens.JOURNAL_NOTE.file,
            label=f"Reflective note from {label}",
            query_params={"note": str(share.entry_id)},
            icon=":material/book_2:",
        )
    else:
        try:
            item = debriefs.debrief(actor, share.entry_id)
        except NotFound:
            continue  # taken back a moment ago
        with st.expander(f"Debrief from {label}"):
            st.markdown(f"Intensity **{item.intensity}** of 10 · {plain(', '.join(item.feelings))}")
            if item.what_happened:
                show_text(item.what_happened)
            if item.what_helped:
                st.markdown("**What helped**")
                show_text(item.what_helped)
