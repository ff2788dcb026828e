"""My audits: the case audits I am doing, as one of a pair or as a moderator."""

import streamlit as st

from pages._ui import audit_table, current_actor, show_flash
from qa.audits import workflow

actor = current_actor()
st.title("My audits", anchor=False)
show_flash()
st.caption("Cases you have been paired to audit at a LEARN day. Both people in a pair can work on the same audit.")

rows = workflow.my_audits(actor)
drafts = [r for r in rows if r.to_complete]
done = [r for r in rows if not r.to_complete]

st.header(f"To do ({len(drafts)})", anchor=False)
audit_table(drafts, "You have no audits to do.")
st.header(f"Submitted ({len(done)})", anchor=False)
audit_table(done, "Nothing submitted yet.")
