"""Audit question sets: see the versions loaded, read the current one, load a new version."""

import pandas as pd
import streamlit as st

from db.audits import Instrument
from pages._ui import current_actor, plain, show_flash, submit, table
from qa.audits import instrument
from qa.audits.judgement import RULE_TEXT
from qa.errors import PermissionDenied, ValidationFailed

actor = current_actor()
st.title("Audit question sets", anchor=False)
show_flash()
st.write(
    "Case audits use a versioned question set. Each audit keeps the version it started with, "
    "so loading a new version never changes audits that are already done."
)

try:
    rows = instrument.list_instruments(actor)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()

# --- versions loaded -----------------------------------------------------------------
st.header("Versions loaded", anchor=False)
table(
    pd.DataFrame(
        [
            {
                "Title": r.title,
                "Key": r.key,
                "Version": r.version,
                "Questions": r.questions,
                "Key questions": r.key_questions,
                "Loaded": r.loaded_at.strftime("%d %b %Y %H:%M"),
                "Loaded by": r.loaded_by or "Built in",
                "Current": "Yes" if r.current else "",
            }
            for r in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)

# --- the current set -------------------------------------------------------------------
keys = sorted({r.key for r in rows}, key=lambda k: (k != instrument.DEFAULT_KEY, k))
chosen = keys[0]
if len(keys) > 1:
    chosen = st.selectbox("Question set", keys, key="instrument_key")
row, definition = instrument.latest_for(actor, chosen)

st.header(f"Current set: {plain(definition.title)}, version {definition.version}", anchor=False)
st.markdown("**How each section is judged**")
st.info(plain(RULE_TEXT))
st.caption("The grey text under each question tells auditors what to look for.")
for section in definition.sections:
    key_count = len(section.key_questions)
    with st.expander(f"{plain(section.title)} ({len(section.questions)} questions, {key_count} key)"):
        for number, question in enumerate(section.questions, start=1):
            marker = "Key question: " if question.key_question else ""
            st.markdown(f"**{number}\\.** {marker}{plain(question.text)}")
            if question.guidance:
                st.caption(plain(question.guidance))
st.download_button(
    "Download this set as JSON",
    row.definition,
    file_name=f"{definition.key}_v{definition.version}.json",
    mime="application/json",
    help="Edit a copy, give it a higher version number, and load it below.",
)

# --- load a new version ---------------------------------------------------------------------
st.header("Load a new version", anchor=False)
st.write(
    "Upload a question set as a JSON file. It is checked before anything is saved. "
    "A version number can be loaded only once, so give each new set a higher number."
)
upload_round = st.session_state.setdefault("instrument_upload_round", 0)
upload = st.file_uploader("Question set file", type=["json"], key=f"instrument_json_{upload_round}")
if upload is None:
    st.stop()

data = upload.getvalue()


def file_error(exc: ValidationFailed) -> None:
    st.error(plain(exc.field_errors.get("file", str(exc))), icon=":material/error:")


preview = submit(None, lambda: instrument.parse_definition(data), rerun=False, on_error=file_error)
if preview is None:
    st.stop()

questions = preview.question_count
key_questions = sum(q.key_question for q in preview.questions)
st.info(
    plain(
        f"'{preview.title}' (key '{preview.key}', version {preview.version}): {len(preview.sections)} sections, "
        f"{questions} questions, {key_questions} of them key questions."
    )
)
if st.button("Load this version", type="primary"):

    def load() -> Instrument:
        loaded = instrument.load_instrument(actor, data)
        st.session_state["instrument_upload_round"] = upload_round + 1  # an empty upload box next time
        return loaded

    submit(
        None,
        load,
        success=lambda loaded: plain(
            f"Version {loaded.version} of '{loaded.title}' is loaded. Audits already done keep the questions they used."
        ),
        on_error=file_error,
    )
