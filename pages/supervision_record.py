"""One supervision record: what was discussed and agreed, sign-off by both, and its history."""

import streamlit as st

from db.supervision import COMMENTS_MAX, NOTE_MAX, SessionRecordUpdate
from pages._edit_guard import changed_texts, opened_version, refused, saved, stale_panel
from pages._ui import (
    all_errors,
    current_actor,
    field_error,
    form_errors,
    plain,
    record_from_query,
    show_flash,
    show_text,
    submit,
    text_area,
    uk_time,
    who_can_see,
)
from qa.errors import PermissionDenied, StaleEdit
from qa.supervision import records as supervision
from qa.validation import validate

actor = current_actor()
_session_id, record = record_from_query(
    "session",
    "Supervision record",
    "Open a record from **Supervision** or **My supervision**.",
    lambda record_id: supervision.session_record(actor, record_id),
)

st.title(f"Supervision on {record.held_on:%d %b %Y}", anchor=False)
show_flash()
names = ", ".join(plain(p[1]) for p in record.participants)
st.markdown(
    f"{record.kind.capitalize()} with **{names}**, led by {plain(record.supervisor_name)} · version {record.version} · **{record.status}**"
)
who_can_see(
    "the people in the session; for oversight, the SPO's own manager and the PDU's quality-assurance "
    "leads, who never see private personal-support notes."
)
if record.is_oversight_view:
    st.info("You are reading this for oversight. Your view is recorded.")

purposes = [
    label
    for flag, label in (
        (record.accountability, "accountable practice"),
        (record.development, "professional development"),
        (record.support, "personal support"),
    )
    if flag
]
st.caption("Purposes: " + (", ".join(purposes) or "not recorded"))

if record.discussed:
    st.header("Agenda items discussed", anchor=False)
    for item in record.discussed:
        st.markdown(
            f"- **{plain(item['title'] or item['kind'])}**" + (f": {plain(item['note'])}" if item["note"] else "")
        )
if record.case_discussions:
    st.header("Case discussions", anchor=False)
    for case in record.case_discussions:
        with st.container(border=True):
            st.markdown(f"**{plain(case['case_ref'])}**")
            st.markdown("Decision")
            show_text(case["decision"])
            if case["rationale"]:
                st.markdown("Why")
                show_text(case["rationale"])
st.header("Notes", anchor=False)
show_text(record.notes or "None recorded.")
if record.personal_notes is not None and (record.personal_notes or record.support):
    st.header("Personal support" + (" (private to the two of you)" if record.personal_private else ""), anchor=False)
    show_text(record.personal_notes or "None recorded.")
if record.actions:
    st.header("Agreed actions", anchor=False)
    for action in record.actions:
        cols = st.columns([6, 2, 2, 1])
        cols[0].markdown(plain(action["description"]))
        cols[1].markdown(plain(action["owner"]))
        cols[2].markdown(f"due {action['due_date']:%d %b %Y}")
        if action["done"]:
            cols[3].markdown("done")
        elif record.can_sign and cols[3].button("Done", key=f"sa_{action['id']}"):
            try:
                supervision.complete_action(actor, action["id"])
                st.rerun()
            except PermissionDenied:
                st.warning("Only the action's owner or the SPO can close it.")

st.header("Sign-off", anchor=False)
st.markdown(
    f"- {plain(record.supervisor_name)} (SPO): " + ("confirmed" if record.supervisor_signed else "not yet confirmed")
)
for _pid, name, signed_at, their_comments in record.participants:
    st.markdown(f"- {plain(name)}: " + (f"confirmed {uk_time(signed_at)}" if signed_at else "not yet confirmed"))
    if their_comments and signed_at:
        st.caption("Their comments:")
        show_text(their_comments)
    elif their_comments:
        # Only a record changed before issue 13 keeps these here: they were given on an earlier version.
        st.caption("Their comments on an earlier version (they have not yet confirmed this one):")
        show_text(their_comments)

me = next((p for p in record.participants if p[0] == actor.id), None)
sign_key, sign_fields = f"sign:{record.id}", [f"sign_comments_{record.id}"]
if me is not None and me[2] is None:
    errors = form_errors(f"sign:{record.id}")
    # The version this person read: a confirmation of an older version is refused.
    signing = opened_version(sign_key, record.version, sign_fields)
    with st.form(f"sign_{record.id}"):
        comments = text_area("Your comments (optional)", value="", key=sign_fields[0], max_chars=COMMENTS_MAX)
        field_error(errors, "comments")
        confirm = st.form_submit_button("I confirm this is a fair record", type="primary")
    if confirm:

        def sign() -> None:
            supervision.sign(actor, record.id, comments, expected_version=signing)
            saved(sign_key, signing)

        submit(
            f"sign:{record.id}",
            sign,
            success="Thank you. Your confirmation is recorded.",
            on_stale=lambda exc: refused(sign_key, str(exc), [("Your comments", comments)]),
        )
    stale_panel(sign_key, sign_fields)
elif actor.id == record.supervisor_id and not record.supervisor_signed:
    if st.button("Confirm this version", type="primary"):
        try:
            supervision.sign(actor, record.id, expected_version=record.version)
            st.rerun()
        except StaleEdit as exc:
            st.error(str(exc), icon=":material/error:")

if record.can_edit:
    amend_key = f"amend:{record.id}"
    amend_fields = [f"amend_notes_{record.id}", f"amend_personal_{record.id}", f"amend_private_{record.id}"]
    editing_from = opened_version(amend_key, record.version, amend_fields)
    refused_here = bool(st.session_state.get(f"stale:{amend_key}"))
    with st.expander("Change this record", expanded=refused_here):
        st.caption("The current version is kept in the history, and everyone is asked to confirm the new one.")
        with st.form(f"amend_{record.id}"):
            notes = text_area("Notes", value=record.notes, key=amend_fields[0], max_chars=NOTE_MAX)
            personal = text_area(
                "Personal-support notes", value=record.personal_notes or "", key=amend_fields[1], max_chars=NOTE_MAX
            )
            private = st.checkbox(
                "Keep personal-support notes private", value=record.personal_private, key=amend_fields[2]
            )
            save_amendment = st.form_submit_button("Save as a new version")
        if save_amendment:

            def amend() -> None:
                version = supervision.amend(
                    actor,
                    record.id,
                    validate(
                        SessionRecordUpdate,
                        {
                            "held_on": record.held_on,
                            "notes": notes,
                            "personal_notes": personal,
                            "personal_private": private,
                            "accountability": record.accountability,
                            "development": record.development,
                            "support": record.support,
                            "case_discussions": record.case_discussions,
                        },
                    ),
                    expected_version=editing_from,
                )
                saved(amend_key, version)

            def keep_typed(exc: StaleEdit) -> None:
                refused(
                    amend_key,
                    str(exc),
                    changed_texts(
                        [
                            ("Your notes", notes, record.notes),
                            ("Your personal-support notes", personal, record.personal_notes or ""),
                        ]
                    ),
                )

            submit(None, amend, success="Saved as a new version.", on_error=all_errors, on_stale=keep_typed)
        stale_panel(amend_key, amend_fields)

versions = supervision.history(actor, record.id)
if versions:
    with st.expander(f"Earlier versions ({len(versions)})"):
        for old in versions:
            st.markdown(f"**Version {old['version']}**, replaced {uk_time(old['changed_at'])}")
            show_text(old["notes"] or "No notes.")
            if old.get("personal_notes"):
                st.caption("Personal support:")
                show_text(old["personal_notes"])
            for given in old["confirmations"]:
                confirmed = f"confirmed {uk_time(given['signed_at'])}" if given["signed_at"] else "not confirmed"
                st.caption(f"{plain(given['name'])}: {confirmed} (this version)")
                if given["comments"]:
                    show_text(given["comments"])
