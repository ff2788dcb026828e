"""One audit event: its sample (with reasons), the auditor pairs, progress, moderation and exports."""

from functools import partial

import pandas as pd
import streamlit as st

from db.audits import OVERRIDE_REASON_MAX, REASON_MAX, AuditStatus, EventStatus, PairChange, SampleSwapCreate
from pages import _registry as screens
from pages._ui import (
    current_actor,
    dataframe,
    field_error,
    first_error,
    first_warning,
    flash,
    form_errors,
    id_from_query,
    literal,
    plain,
    show_flash,
    submit,
    table,
    text_input,
    uk_time,
)
from qa.audits import events as audit_events
from qa.audits import exports as audit_exports
from qa.audits import moderation, workflow
from qa.errors import NotFound, PermissionDenied
from qa.validation import validate

actor = current_actor()
event_id = id_from_query("event")
try:
    view = audit_events.sample_view(actor, event_id) if event_id is not None else None
except (NotFound, PermissionDenied) as exc:
    st.error(str(exc))
    st.stop()
if view is None:
    st.title("Audit event", anchor=False)
    st.info("Choose an event on **Audit events**.")
    st.stop()

event = view.event
st.title(f"LEARN day {event.event_date:%d %b %Y}: {plain(event.pdu_name)}", anchor=False)
st.markdown(f"Status: **{event.status}** · {len(view.selected)} cases in the sample (asked for {event.sample_size})")
show_flash()

sample_tab, pairs_tab, moderation_tab, export_tab = st.tabs(["Sample", "Pairs and progress", "Moderation", "Exports"])

# ----------------------------------------------------------------------- sample
with sample_tab:
    with st.expander("How cases are chosen"):
        for line in view.rules:
            st.markdown(f"- {line}")
        st.caption(f"Stored seed for this event: {view.seed}")
    if view.shortfall_message:
        st.warning(view.shortfall_message)
    st.markdown(f"**{view.eligible_count}** cases in the PDU are eligible on the event date.")
    # A static table wraps long text, so each reason reads in full without widening a column.
    table(
        pd.DataFrame(
            [
                {
                    "Case": r.case_ref,
                    "Order": r.order_type,
                    "RoSH": r.rosh,
                    "Team": r.team_name,
                    "Case holder": r.holder_name,
                    "Why it is in the sample": r.reason,
                }
                for r in view.selected
            ]
        ),
        hide_index=True,
    )
    with st.expander(f"Cases not in the sample, and why ({len(view.excluded)})"):
        dataframe(
            pd.DataFrame([{"Case": e.case_ref, "Why not": e.reason} for e in view.excluded]),
            hide_index=True,
            width="stretch",
            column_config={
                "Case": st.column_config.TextColumn(width="small"),
                "Why not": st.column_config.TextColumn(width="large"),
            },
        )
    if view.swaps:
        st.markdown("**Swaps made by the lead**")
        table(
            pd.DataFrame(
                [
                    {
                        "Out": s.removed_ref,
                        "In": s.added_ref,
                        "Reason": s.reason,
                        "By": s.by_name,
                        "When": uk_time(s.at),
                    }
                    for s in view.swaps
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if event.status == EventStatus.PLANNING:
        st.header("Swap a case", anchor=False)
        candidates = {c.case_id: f"{c.case_ref} ({c.reason})" for c in audit_events.swap_candidates(actor, event.id)}
        current = {r.case_id: f"{r.case_ref} ({r.order_type}, {r.rosh})" for r in view.selected}
        errors = form_errors("swap")
        if not candidates:
            st.caption("No other eligible cases are available to swap in.")
        else:
            with st.form("swap"):
                out_id = st.selectbox("Take out", list(current), format_func=lambda i: literal(current[i]))
                field_error(errors, "removed_case_id")
                in_id = st.selectbox("Put in", list(candidates), format_func=lambda i: literal(candidates[i]))
                field_error(errors, "added_case_id")
                reason = text_input("Reason (required)", key="swap_reason", max_chars=REASON_MAX)
                field_error(errors, "reason")
                if st.form_submit_button("Swap case"):
                    submit(
                        "swap",
                        lambda: audit_events.swap_case(
                            actor,
                            event.id,
                            validate(
                                SampleSwapCreate, {"removed_case_id": out_id, "added_case_id": in_id, "reason": reason}
                            ),
                        ),
                        success="Case swapped. The reason has been recorded.",
                        rerun=False,
                    )
                    st.session_state.pop("swap_reason", None)
                    st.rerun()
        st.divider()
        if view.can_accept:
            st.markdown("Accepting fixes the sample, proposes auditor pairs and opens a draft audit for each case.")
            if st.button("Accept the sample", type="primary"):
                audit_events.accept_sample(actor, event.id)
                flash("Sample accepted. Auditor pairs have been proposed: check them on **Pairs and progress**.")
                st.rerun()
        else:
            st.warning(view.accept_blocker)

# ------------------------------------------------------------------------ pairs
with pairs_tab:
    if event.status == EventStatus.PLANNING:
        st.info("Pairs are proposed when the sample is accepted.")
    else:
        pairs = audit_events.pairs_view(actor, event.id)
        for problem in pairs.errors:
            st.error(problem)
        no_spo = [w for w in pairs.warnings if "no SPO grade" in w]
        for note in [w for w in pairs.warnings if w not in no_spo]:
            st.warning(note)
        if no_spo:
            st.warning(
                f"{len(no_spo)} pair{'s have' if len(no_spo) != 1 else ' has'} no SPO-grade auditor: "
                "there are not enough SPO grades in the PDU for this many pairs. "
                "You can swap people between pairs below."
            )
        for number, pair in enumerate(pairs.pairs, start=1):
            with st.container(border=True):
                st.markdown(
                    f"**Pair {number}:** {plain(pair.first_name)} ({pair.first_grade}) and {plain(pair.second_name)} ({pair.second_grade})"
                )
                for case in pair.cases:
                    cols = st.columns([2, 3, 2])
                    if case.audit_id:
                        cols[0].page_link(
                            screens.AUDIT_CASE.file,
                            label=case.case_ref,
                            query_params={"audit": str(case.audit_id)},
                            icon=":material/description:",
                        )
                    else:
                        cols[0].markdown(case.case_ref)
                    cols[1].markdown(f"held by {plain(case.holder_name)}")
                    cols[2].markdown(f"**{case.audit_status or '-'}**")
        if pairs.unassigned:
            st.error("Cases without a pair: " + ", ".join(c.case_ref for c in pairs.unassigned))

        st.header("Adjust the pairs", anchor=False)
        st.caption("Every change is recorded with its reason. Nobody may audit a case they hold.")
        staff = {a.user_id: f"{a.name} ({a.grade})" for a in audit_events.rota(actor, event.pdu_id, event.event_date)}
        pair_labels = {
            p.pair_id: f"Pair {i}: {p.first_name} and {p.second_name}" for i, p in enumerate(pairs.pairs, start=1)
        }
        errors = form_errors("pair")
        if pair_labels:
            pair_id = st.selectbox(
                "Pair to change", list(pair_labels), format_func=lambda i: literal(pair_labels[i]), key="pair_to_change"
            )
            chosen_pair = next(p for p in pairs.pairs if p.pair_id == pair_id)
            staff_ids = list(staff)
            with st.form("change_pair"):
                first = st.selectbox(
                    "First auditor",
                    staff_ids,
                    index=staff_ids.index(chosen_pair.first_id) if chosen_pair.first_id in staff_ids else 0,
                    format_func=lambda i: literal(staff[i]),
                )
                second = st.selectbox(
                    "Second auditor",
                    staff_ids,
                    index=staff_ids.index(chosen_pair.second_id) if chosen_pair.second_id in staff_ids else 0,
                    format_func=lambda i: literal(staff[i]),
                )
                field_error(errors, "first_id")
                field_error(errors, "second_id")
                reason = text_input("Reason (required)", key="pair_reason", max_chars=OVERRIDE_REASON_MAX)
                field_error(errors, "reason")
                if st.form_submit_button("Change pair"):
                    submit(
                        "pair",
                        lambda: audit_events.change_pair(
                            actor,
                            event.id,
                            pair_id,
                            validate(PairChange, {"first_id": first, "second_id": second, "reason": reason}),
                        ),
                        success="Pair changed. The change and its reason are recorded.",
                    )
            movable = {
                c.sample_id: c.case_ref for p in pairs.pairs for c in p.cases if c.audit_status in (None, "draft")
            }
            move_errors = form_errors("move")
            if movable:
                with st.form("move_case"):
                    sample_id = st.selectbox("Case", list(movable), format_func=lambda i: literal(movable[i]))
                    to_pair = st.selectbox(
                        "Give it to", list(pair_labels), format_func=lambda i: literal(pair_labels[i])
                    )
                    field_error(move_errors, "to_pair_id")
                    move_reason = text_input("Reason (required)", key="move_reason", max_chars=OVERRIDE_REASON_MAX)
                    field_error(move_errors, "reason")
                    if st.form_submit_button("Move case"):
                        submit(
                            "move",
                            lambda: audit_events.move_case(actor, event.id, sample_id, to_pair, move_reason),
                            success="Case moved. The change and its reason are recorded.",
                        )
        if pairs.overrides:
            st.markdown("**Changes made by the lead**")
            for line in pairs.overrides:
                st.markdown(f"- {plain(line)}")

        waiting = [c for p in pairs.pairs for c in p.cases if c.audit_status == AuditStatus.SUBMITTED]
        if waiting:
            st.header("Submitted, waiting for an SPO", anchor=False)
            st.caption(
                "The case holder had no SPO recorded when the audit was submitted. Add one on the Users page, then send the sheet."
            )
            for case in waiting:
                if case.audit_id is None:  # a submitted audit always has its id
                    continue
                if st.button(f"Send {case.case_ref} to the case holder's SPO", key=f"send_{case.audit_id}"):
                    submit(
                        None,
                        partial(workflow.send_waiting_feedback, actor, case.audit_id),
                        success=f"Feedback for {case.case_ref} sent.",
                        on_error=first_error,
                    )

# -------------------------------------------------------------------- moderation
with moderation_tab:
    st.caption(
        "A quality-assurance lead second-audits a sample of submitted audits without seeing the first answers, "
        "then compares the two. Agreement shows where the question set or its guidance needs work."
    )
    rows = moderation.moderation_audits(actor, event.id)
    share = st.number_input("Share of submitted audits to moderate (%)", min_value=1, max_value=100, value=10)
    if st.button("Choose audits to moderate"):
        submit(
            None,
            lambda: moderation.start_moderation(actor, event.id, share / 100),
            success=lambda created: (
                f"{len(created)} audit{'s' if len(created) != 1 else ''} chosen for blind moderation. They are in **My audits**."
            ),
            on_error=first_warning,
        )
    for row in rows:
        st.page_link(
            screens.AUDIT_CASE.file,
            label=f"Moderation of {row.case_ref}: {row.status}",
            query_params={"audit": str(row.moderation_id)},
            icon=":material/balance:",
        )
    report = moderation.agreement_report(actor, event.id)
    if report.audits_compared:
        st.header("Agreement", anchor=False)
        compared_col, agreement_col, kappa_col = st.columns(3)
        compared_col.metric("Audits compared", report.audits_compared)
        agreement_col.metric(
            "Agreement", f"{report.overall_percent:.0%}" if report.overall_percent is not None else "-"
        )
        kappa_col.metric("Cohen's kappa", f"{report.overall_kappa:.2f}" if report.overall_kappa is not None else "-")
        dataframe(
            pd.DataFrame(
                [
                    {
                        "Question": q.question_text,
                        "Compared": q.pairs,
                        "Agreement": q.percent_agreement,
                        "Kappa": q.kappa,
                    }
                    for q in report.questions
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Agreement": st.column_config.NumberColumn(format="percent"),
                "Kappa": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        st.caption(
            "Kappa corrects agreement for chance: 1 is perfect, 0 is no better than chance. It is blank where it cannot be worked out."
        )
    else:
        st.caption("No moderation audits have been submitted yet.")

# ----------------------------------------------------------------------- exports
with export_tab:
    st.caption(
        "Results for the event, one row per case, with every answer on a second sheet. Cells that could run as spreadsheet formulas are made safe."
    )
    st.download_button(
        "Download results (CSV)",
        data=lambda: audit_exports.event_results_csv(actor, event.id),
        file_name=f"learn-{event.event_date}.csv",
        mime="text/csv",
    )
    st.download_button(
        "Download results (Excel)",
        data=lambda: audit_exports.event_results_xlsx(actor, event.id),
        file_name=f"learn-{event.event_date}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
