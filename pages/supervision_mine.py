"""My supervision: what is on my agenda, records to confirm, and my history."""

import streamlit as st

from db.supervision import ITEM_MAX
from pages import _registry as screens
from pages._ui import all_errors, current_actor, keep_until_saved, plain, show_flash, submit, text_input, who_can_see
from qa.supervision import agenda
from qa.supervision import records as supervision

actor = current_actor()
st.title("My supervision", anchor=False)
show_flash()
who_can_see(
    "you and your SPO. Your SPO's manager and the PDU's quality-assurance leads may read records for oversight, never private personal-support notes."
)

sessions = supervision.sessions_with(actor)
to_confirm = [s for s in sessions if s.awaiting_me]
if to_confirm:
    st.warning(
        f"{len(to_confirm)} supervision record{'s' if len(to_confirm) != 1 else ''} waiting for you to confirm.",
        icon=":material/edit:",
    )

st.header("My agenda for next time", anchor=False)
items = agenda.agenda(actor, actor.id)
if not items:
    st.info("Nothing is waiting. Add anything you would like to talk about.")
for item in items:
    st.markdown(
        f"- **{plain(item.kind.capitalize())}**: {plain(item.title)}"
        + (f" · {plain(item.detail)}" if item.detail else "")
    )
keep_until_saved("my_item", {"my_item_title": ""})  # emptied only once saved: a database fault keeps the text
with st.form("my_item"):
    title = text_input("Something I would like to discuss", max_chars=ITEM_MAX, key="my_item_title")
    if st.form_submit_button("Add to my agenda"):
        submit(None, lambda: agenda.add_item(actor, actor.id, title), saved_form="my_item", on_error=all_errors)
st.caption("To bring a reflection, open it in your journal and share it with your SPO 'for supervision'.")

st.header("My supervision records", anchor=False)
if not sessions:
    st.info("No supervision has been recorded yet.")
for row in sessions:
    led_by_me = row.supervisor_name == actor.full_name
    who = f"with {plain(row.with_names)}" if led_by_me else f"with {plain(row.supervisor_name)}"
    label = f"{row.held_on:%d %b %Y} · {row.kind} {who} · {row.status}" + (
        " · waiting for you" if row.awaiting_me else ""
    )
    st.page_link(
        screens.SUPERVISION_RECORD.file,
        label=label,
        query_params={"session": str(row.id)},
        icon=":material/sticky_note_2:",
    )
