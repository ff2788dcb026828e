"""Learning themes: the list auditors tag areas for improvement and concerns with."""

import streamlit as st

from db.audits import THEME_MAX
from db.ids import id_of
from pages._ui import current_actor, field_error, form_errors, plain, show_flash, submit, text_input
from qa.audits import workflow

actor = current_actor()
st.title("Learning themes", anchor=False)
st.caption("Auditors tag areas for improvement and concerns with these themes, so trends show across audits.")
show_flash()

for theme in workflow.learning_themes(active_only=False):
    cols = st.columns([4, 1])
    cols[0].markdown(plain(theme.name) + ("" if theme.active else " *(retired)*"))
    label = "Retire" if theme.active else "Bring back"
    if cols[1].button(label, key=f"theme_{theme.id}"):
        workflow.set_learning_theme_active(actor, id_of(theme), not theme.active)
        st.rerun()

errors = form_errors("theme")
with st.form("new_theme"):
    name = text_input("Add a theme", key="new_theme_name", max_chars=THEME_MAX)
    field_error(errors, "name")
    if st.form_submit_button("Add theme"):
        submit(
            "theme", lambda: workflow.add_learning_theme(actor, name), success=f"Theme '{plain(name.strip())}' added."
        )
