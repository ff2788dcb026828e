"""My reflective journal: private notes, searched and exported by their author only."""

import datetime as dt

import streamlit as st

from db.reflection import ReflectiveModel
from pages import _registry as screens
from pages._ui import current_actor, literal, plain, show_flash, text_input, who_can_see
from qa.reflection import journal, journal_export
from qa.reflection.reflective_models import guide

actor = current_actor()
st.title("My reflective journal", anchor=False)
show_flash()
who_can_see(
    "only you. Not your SPO, not quality-assurance leads, not administrators, unless you share a "
    "particular note with a particular person. You can take a share back at any time."
)

with st.container(border=True):
    st.markdown("**Start a new note**")
    cols = st.columns([3, 1])
    # Options from a typed variable: inline, mypy reads list(...) against Streamlit's empty-options overload.
    reflective_models = list(ReflectiveModel)
    model = cols[0].selectbox(
        "Reflective model",
        reflective_models,
        format_func=lambda m: guide(m).title,
        key="new_note_model",
        help="A model gives you prompts to think with. Free writing has none.",
    )
    st.caption(guide(model).summary)
    if cols[1].button("New note", type="primary"):
        note_id = journal.new_note(actor, model)
        st.switch_page(screens.JOURNAL_NOTE.file, query_params={"note": str(note_id)})

st.header("Find a note", anchor=False)
cols = st.columns([3, 2, 2, 2])
text = text_input("Words", container=cols[0], placeholder="Search your notes", max_chars=200)
tags = journal.my_tags(actor)
tag = cols[1].selectbox("Tag", [None, *tags], format_func=lambda t: "Any tag" if t is None else literal(t))
date_from = cols[2].date_input("From", value=None, format="DD/MM/YYYY")
date_to = cols[3].date_input("To", value=None, format="DD/MM/YYYY")
notes = journal.my_notes(actor, text=text, tag=tag, date_from=date_from, date_to=date_to)
if not notes:
    st.info(
        "No notes match." if (text or tag or date_from or date_to) else "Your journal is empty. Start a note above."
    )
for note in notes:
    cols = st.columns([6, 2, 3])
    label = f"{plain(note.title) if note.title else 'Untitled note'}" + (" (draft)" if note.is_draft else "")
    cols[0].page_link(
        screens.JOURNAL_NOTE.file, label=label, query_params={"note": str(note.id)}, icon=":material/book_2:"
    )
    cols[1].caption(f"{note.entry_date:%d %b %Y}")
    cols[2].caption(plain(", ".join(note.tags)))

st.header("Export my journal", anchor=False)
st.caption("A copy of every note, for you to keep. Keep it somewhere private.")
markdown_col, pdf_col = st.columns(2)
markdown_col.download_button(
    "Download as Markdown",
    data=lambda: journal_export.journal_markdown(actor),
    file_name=f"journal-{dt.date.today()}.md",
    mime="text/markdown",
)
pdf_col.download_button(
    "Download as PDF",
    data=lambda: journal_export.journal_pdf(actor),
    file_name=f"journal-{dt.date.today()}.pdf",
    mime="application/pdf",
)
