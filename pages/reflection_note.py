"""One journal note: written with prompts, saved as you go, shared only by choice."""

import streamlit as st

from db.organisation import CASE_REF_MAX
from db.reflection import TEXT_MAX, EntryKind
from pages import _registry as screens
from pages._ui import (
    current_actor,
    field_error,
    flash,
    form_errors,
    form_saved,
    id_from_query,
    keep_until_saved,
    literal,
    plain,
    retry_unsaved,
    save_or_keep,
    show_flash,
    show_text,
    text_area,
    text_input,
    uk_time,
    unsaved_warning,
    who_can_see,
)
from qa.errors import NotFound, ValidationFailed
from qa.reflection import journal, sharing
from qa.reflection.reflective_models import TAGS, guide

actor = current_actor()
note_id = id_from_query("note")
if note_id is None:
    st.title("Journal note", anchor=False)
    st.info("Open a note from **My reflective journal**.")
    st.stop()
try:
    note = journal.note(actor, note_id)
except NotFound as exc:
    st.title("Journal note", anchor=False)
    st.error(str(exc))
    st.page_link(screens.JOURNAL.file, label="My reflective journal", icon=":material/book_2:")
    st.page_link(screens.SHARED_WITH_ME.file, label="Shared with me", icon=":material/handshake:")
    st.stop()

model = guide(note.model)

if not note.is_mine:
    # Someone shared this one note with me: read only.
    st.title(plain(note.title or "Untitled note"), anchor=False)
    st.caption(f"Shared with you by {plain(note.author_name)} · {note.entry_date:%d %b %Y} · {model.title}")
    for prompt in model.prompts:
        text = note.sections.get(prompt.key)
        if text:
            st.markdown(f"**{plain(prompt.heading)}**")
            show_text(text)
    if note.tags:
        st.caption("Tags: " + plain(", ".join(note.tags)))
    st.stop()

st.title(plain(note.title) if note.title else "New note", anchor=False)
show_flash()
K = f"note_{note.id}_"
DRAFT = f"note:{note.id}"  # what was typed, kept in the session if a save meets a database fault
BOXES = [K + "title", K + "date", *(K + p.key for p in model.prompts), K + "tags", K + "custom_tags", K + "case_ref"]


def autosave(finished: bool | None = None) -> bool:
    """Save the whole note from what is on screen; keep any problem beside its box.

    It runs as the boxes' on_change callback, before app.py's database guard, so
    a database fault is caught here (save_or_keep): the text stays in the boxes
    and in the session, the page says it is not saved yet, and it is saved again
    on the next run or by Finish note.
    """
    state = st.session_state

    def save():
        sections = {p.key: state.get(K + p.key, "") for p in model.prompts}
        tags = list(state.get(K + "tags", [])) + [
            t.strip() for t in state.get(K + "custom_tags", "").split(",") if t.strip()
        ]
        return journal.save_note(
            actor,
            note.id,
            title=state.get(K + "title", ""),
            sections=sections,
            tags=tags,
            case_ref=state.get(K + "case_ref", ""),
            entry_date=state.get(K + "date"),
            finished=finished,
        )

    # Not _ui.submit: a callback cannot rerun and returns a bool, and a database fault must keep earlier errors.
    try:
        saved = save_or_keep(DRAFT, save, BOXES)
    except ValidationFailed as exc:
        state[f"errors:note:{note.id}"] = exc.field_errors
        return False
    if saved is None:
        return False
    state.pop(f"errors:note:{note.id}", None)
    return True


def autosave_on_change() -> None:
    """The boxes' on_change callback: :func:`autosave` (Streamlit ignores what a callback returns)."""
    autosave()


if retry_unsaved(DRAFT, autosave):
    note = journal.note(actor, note.id)  # for "Last saved"
who_can_see(
    "only you" + (f", and {plain(', '.join(note.shared_with))} because you shared it" if note.shared_with else "") + "."
)
st.caption(f"{model.title}. Saved automatically each time you leave a box. Last saved {uk_time(note.updated_at)}.")
unsaved_warning(DRAFT, "Finish note")
errors = form_errors(f"note:{note.id}")

text_input("Title", value=note.title, key=K + "title", on_change=autosave_on_change, max_chars=journal.TITLE_MAX)
field_error(errors, "title")
st.date_input("Date", value=note.entry_date, key=K + "date", on_change=autosave_on_change, format="DD/MM/YYYY")
st.caption(model.summary)
for prompt in model.prompts:
    text_area(
        prompt.heading,
        value=note.sections.get(prompt.key, ""),
        key=K + prompt.key,
        help=prompt.question,
        placeholder=prompt.question,
        height=160,
        on_change=autosave_on_change,
        max_chars=TEXT_MAX,
    )
    field_error(errors, prompt.key)
suggested = list(TAGS)
st.multiselect(
    "Tags", suggested, default=[t for t in note.tags if t in suggested], key=K + "tags", on_change=autosave_on_change
)
text_input(
    "Your own tags (separate with commas)",
    value=", ".join(t for t in note.tags if t not in suggested),
    key=K + "custom_tags",
    on_change=autosave_on_change,
    max_chars=journal.CUSTOM_TAGS_MAX,
)
field_error(errors, "tags")
text_input(
    "Case reference (optional)",
    value=note.case_ref or "",
    key=K + "case_ref",
    on_change=autosave_on_change,
    help="The CRN only, never a name.",
    max_chars=CASE_REF_MAX,
)
field_error(errors, "case_ref")

finish_col, _gap, delete_col = st.columns(3)
if finish_col.button("Finish note", type="primary"):
    if autosave(finished=True):
        flash("Note saved to your journal.")
        st.switch_page(screens.JOURNAL.file)
    st.rerun()
if delete_col.button("Delete this note"):
    st.session_state[f"confirm_delete_{note.id}"] = True
if st.session_state.get(f"confirm_delete_{note.id}"):
    st.warning("Delete this note for good? This cannot be undone.")
    if st.button("Yes, delete it"):
        journal.delete_note(actor, note.id)
        flash("Note deleted.")
        st.switch_page(screens.JOURNAL.file)

st.divider()
st.header("Sharing", anchor=False)
st.caption(
    "Share this one note with one person, for example to bring it to supervision. They see only this note, and you can take it back at any time."
)
for share in sharing.shares_of(actor, EntryKind.NOTE, note.id):
    cols = st.columns([4, 3, 2])
    cols[0].markdown(plain(share.shared_with_name) + (" (for supervision)" if share.for_supervision else ""))
    if share.revoked_at:
        cols[1].caption(f"stopped sharing {uk_time(share.revoked_at)}")
    else:
        cols[1].caption(f"shared {uk_time(share.shared_at)}")
        if cols[2].button("Stop sharing", key=f"revoke_{share.id}"):
            sharing.revoke(actor, share.id)
            flash(f"{plain(share.shared_with_name)} can no longer see this note.")
            st.rerun()
people = dict(sharing.colleagues(actor))
# Emptied only after a successful share, so a database fault keeps the choice (keep_until_saved).
keep_until_saved(f"share_{note.id}", {f"share_to_{note.id}": None, f"share_sup_{note.id}": False})
with st.form(f"share_{note.id}"):
    recipient = st.selectbox(
        "Share with",
        list(people),
        format_func=lambda i: literal(people[i]),
        index=None,
        placeholder="Choose a person",
        key=f"share_to_{note.id}",
    )
    for_supervision = st.checkbox("I want to talk about this in supervision", key=f"share_sup_{note.id}")
    if st.form_submit_button("Share this note"):
        if recipient is None:
            st.error("Choose who to share with.")
        else:
            sharing.share(actor, EntryKind.NOTE, note.id, recipient, for_supervision)
            flash(f"Shared with {plain(people[recipient])}.")
            form_saved(f"share_{note.id}")
            st.rerun()
