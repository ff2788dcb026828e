"""A quick debrief after a difficult contact: under a minute, and private."""

import streamlit as st

from db.reflection import SHORT_MAX, ContactSetting, DebriefCreate, Need, Urgency
from pages import _registry as screens
from pages._ui import (
    current_actor,
    field_error,
    form_errors,
    keep_until_saved,
    literal,
    plain,
    show_text,
    submit,
    text_area,
    who_can_see,
)
from qa.reflection import debriefs, emotions, sharing
from qa.validation import validate

actor = current_actor()
st.title("Quick debrief", anchor=False)
who_can_see(
    "only you. If you ask someone for a conversation, they see who is asking and how soon, not what you wrote, unless you choose to share it."
)

result = st.session_state.pop("debrief_result", None)
if result is not None:
    st.success("Saved. Thank you for taking a moment for yourself.", icon=":material/spa:")
    if result.request_id:
        st.info("Your request for a conversation has been sent.")
    if result.signpost:
        st.header("If you would like more support", anchor=False)
        st.write(
            "You do not have to carry this on your own. These are some places people find helpful, including ones independent of your employer:"
        )
        for contact in result.signpost:
            with st.container(border=True):
                st.markdown(f"**{plain(contact.name)}**" + (" · independent" if contact.independent else ""))
                if contact.description:
                    show_text(contact.description)
                if contact.how_to_reach:
                    show_text(contact.how_to_reach)
    st.page_link(screens.MY_WELLBEING.file, label="See my own trends", icon=":material/monitoring:")

errors = form_errors("debrief")
people = dict(sharing.colleagues(actor))
# The form empties only after a successful save: a fault or a field to correct keeps what was typed.
keep_until_saved(
    "debrief",
    {
        **{f"feel_{family.key}": [] for family in emotions.FAMILIES},
        "debrief_intensity": 5,
        "debrief_need": list(Need)[0],
        "debrief_setting": None,
        "debrief_what_happened": "",
        "debrief_what_helped": "",
        **{f"sign_{p.key}": False for p in emotions.SIGN_PROMPTS},
        "debrief_support_from": None,
        "debrief_urgency": list(Urgency)[0],
    },
)
with st.form("debrief"):
    st.markdown("**How are you feeling?** Pick any words that fit.")
    chosen = []
    for family in emotions.FAMILIES:
        picked = st.pills(family.title, list(family.words), selection_mode="multi", key=f"feel_{family.key}")
        chosen += list(picked or [])
    field_error(errors, "feelings")
    intensity = st.slider(
        "How strong is it right now?",
        0,
        10,
        help="0 is not at all, 10 is as strong as it gets.",
        key="debrief_intensity",
    )
    field_error(errors, "intensity")
    need = st.radio(
        "What do you need now?",
        list(Need),
        format_func=lambda n: n.value[0].upper() + n.value[1:],
        horizontal=True,
        key="debrief_need",
    )
    with st.expander("Add more (optional)"):
        setting = st.selectbox(
            "Where was the contact?",
            [None, *ContactSetting],
            format_func=lambda s: "Choose" if s is None else s.value[0].upper() + s.value[1:],
            key="debrief_setting",
        )
        what_happened = text_area("What happened?", max_chars=SHORT_MAX, key="debrief_what_happened")
        field_error(errors, "what_happened")
        what_helped = text_area("What helped, if anything?", max_chars=SHORT_MAX, key="debrief_what_helped")
        field_error(errors, "what_helped")
        signs = [p.key for p in emotions.SIGN_PROMPTS if st.checkbox(p.text, key=f"sign_{p.key}")]
    with st.expander("Ask someone for a conversation (optional)"):
        support_from = st.selectbox(
            "Who would you like to talk to?",
            [None, *people],
            format_func=lambda i: "No one for now" if i is None else literal(people[i]),
            key="debrief_support_from",
        )
        field_error(errors, "support_from")
        urgency = st.radio(
            "How soon?",
            list(Urgency),
            format_func=lambda u: u.value.capitalize(),
            horizontal=True,
            key="debrief_urgency",
        )
    submitted = st.form_submit_button("Save debrief", type="primary")

if submitted:
    saved = submit(
        "debrief",
        lambda: debriefs.record_debrief(
            actor,
            validate(
                DebriefCreate,
                {
                    "feelings": chosen,
                    "intensity": intensity,
                    "need": need,
                    "setting": setting,
                    "what_happened": what_happened,
                    "what_helped": what_helped,
                    "signs": signs,
                    "support_from": support_from,
                    "urgency": urgency,
                },
            ),
        ),
        saved_form="debrief",
        rerun=False,
        on_error=lambda exc: st.error("Nothing was saved: " + " ".join(exc.field_errors.values())),
    )
    if saved is not None:
        st.session_state["debrief_result"] = saved
        st.rerun()
