"""Notifications: what is waiting for me, newest first. Opening one marks it read and goes to its record.

Each item says only what kind of thing is waiting (qa/notifications/kinds.py), never a note's,
debrief's or request's text, nor anyone's name. ``?open=<id>`` marks one of my notifications read,
then opens its record; someone else's id is "not found".
"""

import streamlit as st

from pages import _registry as screens
from pages._ui import current_actor, flash, id_from_query, plain, show_flash, uk_time
from qa.errors import NotFound
from qa.notifications import inbox

#: Where an item that points at no record opens, by kind (the record itself when there is one).
WITHOUT_A_RECORD = {
    "urgent_concern": screens.AUDIT_FEEDBACK_TEAM,  # the SPO acknowledges it among their team's feedback
    "agenda_items": screens.MY_SUPERVISION,
    "share_withdrawn": screens.SHARED_WITH_ME,
}

actor = current_actor()
opening = id_from_query("open")
if opening is not None:
    try:
        opened = inbox.open_notification(actor, opening)
    except NotFound as exc:
        st.title("Notifications", anchor=False)
        st.error(str(exc))
        screens.NOTIFICATIONS.link("Back to my notifications")
        st.stop()
        raise AssertionError("st.stop() does not return") from exc
    if opened.record is not None:
        screens.switch_to(opened.record)
    if opened.kind in WITHOUT_A_RECORD:
        st.switch_page(WITHOUT_A_RECORD[opened.kind].file)
    st.query_params.clear()
    flash("Marked as read.")

st.title("Notifications", anchor=False)
show_flash()
st.caption(
    "Who can see this: only you. Each item says what is waiting and where, never what a note, debrief or "
    f"request says. Read items are kept for {inbox.retention().days} days."
)

page_number = st.session_state.get("notifications_page", 1)
listing = inbox.inbox(actor, page=page_number)

top = st.columns([3, 1], vertical_alignment="center")
top[0].markdown(f"**{inbox.unread_label(listing.unread)} unread** of {listing.total}.")
if top[1].button("Mark all as read", key="notifications_mark_all", disabled=listing.unread == 0):
    count = inbox.mark_all_read(actor)
    flash(f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    st.rerun()

if not listing.items:
    st.info("Nothing here yet. When something is waiting for you, it appears here and beside the menu.")
    st.stop()

for item in listing.items:
    with st.container(border=True):
        # The link's label is rendered Markdown, so plain() it; the wording comes from the catalogue.
        label = plain(item.wording) if item.read else f"**New:** {plain(item.wording)}"
        icon = ":material/drafts:" if item.read else ":material/mark_email_unread:"
        screens.NOTIFICATIONS.link(label, query={"open": item.id}, icon=icon)
        fallback = WITHOUT_A_RECORD.get(item.kind)
        where = "" if item.record is not None or fallback is None else f" · opens {fallback.title}"
        st.caption(f"{uk_time(item.created_at)} · {'read' if item.read else 'unread'}{where}")

if listing.pages > 1:
    st.number_input(
        f"Page (of {listing.pages}), newest first",
        min_value=1,
        max_value=listing.pages,
        value=listing.page,
        step=1,
        key="notifications_page",
    )
