"""One case audit: the auditors' form while it is a draft; the feedback sheet after."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.audits import (
    ACTION_MAX,
    EVIDENCE_MAX,
    SHEET_TEXT_MAX,
    Answer,
    AnswerInput,
    AuditActionCreate,
    AuditStatus,
    FeedbackSheetUpdate,
    HolderReply,
    UrgentConcernCreate,
)
from pages import _registry as screens
from pages._edit_guard import changed_texts, opened_version, refused, saved, stale_panel
from pages._ui import (
    current_actor,
    field_error,
    flash,
    form_errors,
    form_saved,
    keep_until_saved,
    literal,
    plain,
    record_from_query,
    show_flash,
    show_text,
    submit,
    table,
    text_area,
    text_input,
    uk_time,
    who_can_see,
)
from qa.audits import concerns as urgent_concerns
from qa.audits import exports as audit_exports
from qa.audits import workflow
from qa.audits.judgement import RULE_TEXT
from qa.errors import PermissionDenied, StaleEdit
from qa.records import RecordKind, RecordRef
from qa.supervision import records as supervision_records
from qa.validation import validate

actor = current_actor()
audit_id, audit = record_from_query(
    "audit",
    "Case audit",
    "Open an audit from **My audits**, **Audit feedback** or an audit event.",
    lambda record_id: workflow.audit_detail(actor, record_id),
)

kind = "Moderation audit" if audit.is_moderation else "Case audit"
st.title(f"{kind}: {audit.case_ref}", anchor=False)
show_flash()
st.markdown(
    f"**{plain(audit.order_type)}**, {plain(audit.rosh)} RoSH · held by **{plain(audit.holder_name)}** ({plain(audit.team_name)}) · "
    f"SPO: {plain(audit.spo_name or 'none recorded')} · LEARN day {audit.event_date:%d %b %Y}, {plain(audit.pdu_name)}"
)
st.markdown(f"Auditors: {plain(', '.join(audit.auditors))} · Status: **{audit.status}**")
if audit.status in (AuditStatus.DISCUSSED, AuditStatus.ACTIONS_CLOSED) and not audit.is_moderation:
    # Discussed where the discussion happened: the supervision record where the sheet was ticked.
    discussion = supervision_records.audit_discussed_in(actor, audit.id)
    if discussion is None:
        st.caption("Marked as discussed in supervision on the audit page, outside a supervision record.")
    elif discussion.record is not None:
        screens.link_to(
            discussion.record,
            f"Discussed in supervision on {discussion.held_on:%d %b %Y}",
            icon=":material/sticky_note_2:",
        )
    else:
        st.caption(f"Discussed in supervision on {discussion.held_on:%d %b %Y}.")
if audit.is_moderation:
    who_can_see("you and the PDU's quality-assurance leads. The original auditors do not see this second audit.")
else:
    who_can_see("the two auditors and the PDU's quality-assurance leads; once sent, the case holder and their SPO.")

errors = form_errors(f"audit:{audit.id}")
themes = {t.id: t.name for t in workflow.learning_themes()}
answer_labels = {a: a.label for a in Answer}

# --- urgent concerns: always visible at the top ---------------------------------
for concern in audit.urgent_concerns:
    if concern.acknowledged_at:
        st.info(
            f"Urgent concern raised by {plain(concern.raised_by_name)} on "
            f"{uk_time(concern.raised_at)}, acknowledged: {plain(concern.acknowledgement or '')}"
        )
    else:
        st.error(
            f"Urgent concern raised by {plain(concern.raised_by_name)} on {uk_time(concern.raised_at)}: {plain(concern.description)}",
            icon=":material/e911_emergency:",
        )

if audit.can_edit:
    # ---------------------------------------------------------------- the form
    record_key = f"audit:{audit.id}"
    questions = [q for section in audit.definition.sections for q in section.questions]
    form_keys = [f"a_{audit.id}_{q.key}" for q in questions] + [f"e_{audit.id}_{q.key}" for q in questions]
    if not audit.is_moderation:
        form_keys += [
            f"s_good_{audit.id}",
            f"s_imp_{audit.id}",
            f"s_imp_t_{audit.id}",
            f"s_con_{audit.id}",
            f"s_con_t_{audit.id}",
        ]
    # The version this person opened: a save made from it is refused if someone else has saved since.
    editing_from = opened_version(record_key, audit.version, form_keys)
    action_errors = st.session_state.get(f"errors:action:{audit.id}", {}) | errors
    if not audit.is_moderation:
        # Emptied only after a successful save, so a database fault keeps the text (keep_until_saved).
        keep_until_saved(
            f"add_action_{audit.id}",
            {
                f"new_action_{audit.id}": "",
                f"new_action_owner_{audit.id}": audit.holder_id,
                f"new_action_due_{audit.id}": dt.date.today() + dt.timedelta(days=28),
            },
        )
    removed: list[int] = []
    add = False
    description, owner, due = "", audit.holder_id, dt.date.today()
    with st.form(f"audit_form_{audit.id}"):
        answers = []
        for section in audit.definition.sections:
            st.header(section.title, anchor=False)
            for q in section.questions:
                current, evidence = audit.answers.get(q.key, (None, ""))
                label = f"{'Key question: ' if q.key_question else ''}{q.text}"
                choice = st.radio(
                    label,
                    list(Answer),
                    index=list(Answer).index(Answer(current)) if current else None,
                    format_func=lambda a: literal(answer_labels[a]),
                    horizontal=True,
                    key=f"a_{audit.id}_{q.key}",
                    help=q.guidance,
                )
                note = text_area(
                    "Evidence",
                    value=evidence,
                    key=f"e_{audit.id}_{q.key}",
                    height=68,
                    label_visibility="collapsed",
                    placeholder="Evidence from the case record",
                    max_chars=EVIDENCE_MAX,
                )
                answers.append({"question_key": q.key, "answer": choice, "evidence": note})
        st.caption(RULE_TEXT)
        sheet = None
        sheet_texts: dict[str, str | None] = {}  # the sheet's three texts, to list what differs after a stale save
        if not audit.is_moderation:
            st.header("Feedback sheet", anchor=False)
            st.caption(
                "This goes to the case holder's SPO when you submit, to discuss in supervision. Lead with what was done well."
            )
            good = text_area(
                "Good practice examples", value=audit.good_practice, key=f"s_good_{audit.id}", max_chars=SHEET_TEXT_MAX
            )
            field_error(errors, "good_practice")
            improvement = text_area(
                "Areas for improvement", value=audit.improvement, key=f"s_imp_{audit.id}", max_chars=SHEET_TEXT_MAX
            )
            field_error(errors, "improvement")
            improvement_themes = st.multiselect(
                "Learning themes for the areas for improvement",
                list(themes),
                default=[t for t in audit.improvement_themes if t in themes],
                format_func=lambda t: literal(themes[t]),
                key=f"s_imp_t_{audit.id}",
            )
            concerns = text_area("Concerns", value=audit.concerns, key=f"s_con_{audit.id}", max_chars=SHEET_TEXT_MAX)
            field_error(errors, "concerns")
            concern_themes = st.multiselect(
                "Learning themes for the concerns",
                list(themes),
                default=[t for t in audit.concern_themes if t in themes],
                format_func=lambda t: literal(themes[t]),
                key=f"s_con_t_{audit.id}",
            )
            sheet_texts = {"good_practice": good, "improvement": improvement, "concerns": concerns}
            sheet = {
                **sheet_texts,
                "improvement_themes": improvement_themes,
                "concern_themes": concern_themes,
            }
            # The fourth part of the sheet, before Submit: a submitted audit cannot be changed.
            st.subheader("Action(s) required", anchor=False)
            if audit.actions:
                for action in audit.actions:
                    cols = st.columns([6, 2, 2, 1])
                    cols[0].markdown(plain(action.description))
                    cols[1].markdown(plain(action.owner_name))
                    cols[2].markdown(f"due {action.due_date:%d %b %Y}")
                    if cols[3].form_submit_button("Remove", key=f"rm_action_{action.id}"):
                        removed.append(action.id)
            else:
                st.caption("No actions yet.")
            description = text_input("New action", key=f"new_action_{audit.id}", max_chars=ACTION_MAX)
            field_error(action_errors, "description")
            owners = {audit.holder_id: f"{audit.holder_name} (case holder)"}
            if audit.spo_id:
                owners[audit.spo_id] = f"{audit.spo_name} (SPO)"
            owner = st.selectbox(
                "Owner", list(owners), format_func=lambda i: literal(owners[i]), key=f"new_action_owner_{audit.id}"
            )
            field_error(action_errors, "owner_id")
            due = st.date_input("Due", key=f"new_action_due_{audit.id}", format="DD/MM/YYYY")
            field_error(action_errors, "due_date")
            add = st.form_submit_button("Add action")
        if "answers" in errors:
            unanswered = "\n".join(f"- {plain(q)}" for q in audit.unanswered)
            st.error(errors["answers"] + (f"\n\n{unanswered}" if unanswered else ""), icon=":material/error:")
        if not audit.is_moderation:
            st.caption(
                "Add every action before you submit: a submitted audit cannot be changed. "
                "An action typed above but not yet added is added when you save or submit."
            )
        save_col, submit_col = st.columns(2)
        save = save_col.form_submit_button("Save draft")
        send = submit_col.form_submit_button("Submit audit", type="primary")

    def new_action() -> None:
        """Add the action typed in the form; the boxes empty on the next run."""
        workflow.add_action(
            actor,
            audit.id,
            validate(AuditActionCreate, {"description": description, "owner_id": owner, "due_date": due}),
        )
        form_saved(f"add_action_{audit.id}")

    for action_id in removed:
        workflow.remove_action(actor, action_id)
        st.rerun()
    if add:
        submit(f"action:{audit.id}", new_action, success="Action added.")
    if save or send:

        def save_and_send() -> AuditStatus | None:
            version = workflow.save_draft(
                actor,
                audit.id,
                [validate(AnswerInput, a) for a in answers],
                validate(FeedbackSheetUpdate, sheet) if sheet is not None else None,
                editing_from,
            )
            saved(record_key, version)
            if sheet is not None and description.strip():
                new_action()
            return workflow.submit(actor, audit.id, version) if send else None

        def submitted(status: AuditStatus | None) -> str:
            if not send:
                return "Draft saved."
            if status == AuditStatus.FEEDBACK_SENT:
                return "Audit submitted. The feedback sheet has gone to the case holder's SPO."
            if audit.is_moderation:
                return "Moderation audit submitted."
            return "Audit submitted. The case holder has no SPO recorded, so the QA lead will send the sheet on."

        def keep_typed(exc: StaleEdit) -> None:
            # Nothing was saved. The form keeps what was typed; list what differs from the latest saved version.
            latest = {
                "good_practice": audit.good_practice,
                "improvement": audit.improvement,
                "concerns": audit.concerns,
            }
            pairs: list[tuple[str, str | None, str | None]] = []  # label, typed, latest saved
            for q, item in zip(questions, answers, strict=False):
                saved_answer, saved_evidence = audit.answers.get(q.key, (None, ""))
                if item["answer"] is not None and item["answer"] != saved_answer:
                    pairs.append((f"Your answer to: {q.text}", Answer(item["answer"]).label, None))
                pairs.append((f"Your evidence for: {q.text}", item["evidence"], saved_evidence))
            if sheet is not None:
                labels = {
                    "good_practice": "Good practice examples",
                    "improvement": "Areas for improvement",
                    "concerns": "Concerns",
                }
                pairs += [(f"Your {label.lower()}", sheet_texts[name], latest[name]) for name, label in labels.items()]
            refused(record_key, str(exc), changed_texts(pairs))

        submit(f"audit:{audit.id}", save_and_send, success=submitted, on_stale=keep_typed)
    stale_panel(record_key, form_keys)
else:
    # ------------------------------------------------------- the sent sheet
    st.header("Feedback sheet", anchor=False)
    blocks = [
        ("Good practice examples", audit.good_practice, []),
        ("Areas for improvement", audit.improvement, audit.improvement_themes),
        ("Concerns", audit.concerns, audit.concern_themes),
    ]
    for title, text, tags in blocks:
        st.subheader(title, anchor=False)
        show_text(text or "None recorded.")
        if tags:
            st.caption("Learning themes: " + ", ".join(themes.get(t, "?") for t in tags))
    st.subheader("Action(s) required", anchor=False)
    if audit.actions:
        for action in audit.actions:
            cols = st.columns([6, 2, 2, 2])
            cols[0].markdown(plain(action.description) + (" · **overdue**" if action.overdue else ""))
            cols[1].markdown(plain(action.owner_name))
            cols[2].markdown(f"due {action.due_date:%d %b %Y}")
            done = cols[3].checkbox("Done", value=action.done, key=f"done_{action.id}")
            if done != action.done:
                try:
                    workflow.set_action_status(actor, action.id, done)
                    st.rerun()
                except PermissionDenied:
                    st.warning("Only the action's owner, the SPO or a QA lead can change it.")
    else:
        st.caption("No actions were raised.")

    st.header("Section judgements", anchor=False)
    table(
        pd.DataFrame([{"Section": j.title, "Judgement": j.verdict, "Why": j.reason} for j in audit.judgements]),
        hide_index=True,
        width="stretch",
    )
    st.caption(RULE_TEXT)
    with st.expander("All answers and evidence"):
        for section in audit.definition.sections:
            st.markdown(f"**{plain(section.title)}**")
            for q in section.questions:
                answer, evidence = audit.answers.get(q.key, (None, ""))
                st.markdown(f"- {plain(q.text)}: **{Answer(answer).label if answer else 'not answered'}**")
                if evidence:
                    show_text(evidence)

    if not audit.is_moderation:
        st.header("Case holder's reply", anchor=False)
        if audit.holder_reply:
            show_text(audit.holder_reply)
            st.caption(f"Replied {uk_time(audit.reply_at)}")
        elif not audit.can_reply:
            st.caption("No reply yet.")
        if audit.can_reply:
            reply_errors = form_errors(f"reply:{audit.id}")
            with st.form(f"reply_{audit.id}"):
                text = text_area(
                    "Your reply" if not audit.holder_reply else "Update your reply",
                    value=audit.holder_reply or "",
                    key=f"reply_text_{audit.id}",
                    max_chars=SHEET_TEXT_MAX,
                )
                field_error(reply_errors, "reply")
                if st.form_submit_button("Save reply", type="primary"):
                    submit(
                        f"reply:{audit.id}",
                        lambda: workflow.reply(actor, audit.id, validate(HolderReply, {"reply": text})),
                        success="Your reply has been saved. Your SPO can see it.",
                    )
        if audit.can_mark_discussed:
            st.divider()
            st.markdown(
                "Discuss it in supervision: tick it on the agenda when you record the session, "
                "and this audit links to that record."
            )
            screens.link_to(
                RecordRef(RecordKind.SUPERVISEE, audit.holder_id),
                f"Prepare supervision with {plain(audit.holder_name)}",
                icon=":material/sticky_note_2:",
            )
            st.caption("Discussed it without a supervision record in the portal? Mark it here instead.")
            if st.button("Mark as discussed in supervision", type="primary"):
                status = workflow.mark_discussed(actor, audit.id)
                if status == AuditStatus.ACTIONS_CLOSED:
                    flash(
                        "Marked as discussed. "
                        + (
                            "Every action is done, so the audit is closed."
                            if audit.actions
                            else "No actions were raised, so the audit is closed."
                        )
                    )
                else:
                    flash("Marked as discussed.")
                st.rerun()
        st.download_button(
            "Download feedback sheet (PDF)",
            data=lambda: audit_exports.feedback_pdf(actor, audit.id),  # built only when clicked
            file_name=f"feedback-{audit.case_ref}.pdf",
            mime="application/pdf",
        )

# --- raising an urgent concern ---------------------------------------------------
if audit.can_raise_concern and not audit.is_moderation:
    with st.expander("Raise an urgent risk-of-harm concern", icon=":material/e911_emergency:"):
        st.caption(
            "Use this for a risk that needs action now. It goes straight to the case holder's SPO "
            "and stays on their home page until they acknowledge it."
        )
        concern_errors = form_errors(f"concern:{audit.id}")
        with st.form(f"concern_{audit.id}"):
            description = text_area("What is the concern?", key=f"concern_text_{audit.id}", max_chars=EVIDENCE_MAX)
            field_error(concern_errors, "description")
            if st.form_submit_button("Send to the SPO now", type="primary"):
                submit(
                    f"concern:{audit.id}",
                    lambda: urgent_concerns.raise_concern(
                        actor, audit.id, validate(UrgentConcernCreate, {"description": description})
                    ),
                    success="The urgent concern has been sent to the case holder's SPO.",
                )
