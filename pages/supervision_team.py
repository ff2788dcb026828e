"""Supervision, for an SPO: who is due, each person's agenda, and recording a session."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.organisation import CASE_REF_MAX
from db.supervision import (
    ACTION_MAX,
    DECISION_MAX,
    DISCUSSION_NOTE_MAX,
    ITEM_MAX,
    NOTE_MAX,
    AgendaKind,
    SessionKind,
    SessionRecordCreate,
)
from pages import _registry as screens
from pages._ui import (
    all_errors,
    current_actor,
    flash,
    form_errors,
    form_saved,
    index_from_query,
    keep_until_saved,
    label_text,
    literal,
    plain,
    show_flash,
    submit,
    table,
    text_area,
    text_input,
    who_can_see,
)
from qa.supervision import agenda, cadence
from qa.supervision import records as supervision
from qa.validation import validate

actor = current_actor()
st.title("Supervision", anchor=False)
show_flash()

rows = cadence.cadence_for_supervisor(actor)
st.header("Who is due", anchor=False)
if not rows:
    st.info("Nobody is recorded as supervised by you.")
    st.stop()
table(
    pd.DataFrame(
        [
            {
                "Name": r.name + (" (new starter)" if r.new_starter else ""),
                "Last supervision": r.last_supervised.strftime("%d %b %Y") if r.last_supervised else "none recorded",
                "Due from": r.due_from.strftime("%d %b %Y") if r.due_from else "now",
                "Status": r.status,
            }
            for r in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)

people = {r.practitioner_id: r.name for r in rows}
chosen = st.selectbox(
    "Prepare supervision with",
    list(people),
    index=index_from_query("person", list(people)),  # a home-page link names the person
    format_func=lambda i: literal(people[i]),
    key="sup_person",
)
items = agenda.agenda(actor, chosen)

st.header(f"Agenda for {plain(people[chosen])}", anchor=False)
who_can_see(
    "you and the practitioner. Your own manager and the PDU's quality-assurance leads may read the "
    "record for oversight, without personal-support notes you keep private."
)
if not items:
    st.info("Nothing is waiting. You can still record a session and add items below.")
for item in items:
    line = f"**{plain(item.title)}**"
    if item.detail:
        line += f" · {plain(item.detail)}"
    cols = st.columns([6, 1])
    cols[0].markdown(line)
    if item.record is not None:
        screens.link_to(item.record, "Open", container=cols[1])
keep_until_saved("add_item", {"add_item_title": ""})  # emptied only once saved: a database fault keeps the text
with st.form("add_item"):
    title = text_input("Add an item to the agenda", max_chars=ITEM_MAX, key="add_item_title")
    if st.form_submit_button("Add item") and title:
        submit(None, lambda: agenda.add_item(actor, chosen, title), saved_form="add_item", on_error=all_errors)

st.header("Record the session", anchor=False)
errors = form_errors("supervision")
if errors:
    st.error("Nothing was saved: " + " ".join(errors.values()))
# Agreed actions are added one at a time with plain, labelled boxes (no grid): usable by keyboard and
# screen reader. Those added so far are kept for this person until the session is saved.
agreed_key = f"sup_agreed:{chosen}"
agreed: list[dict] = st.session_state.setdefault(agreed_key, [])
action_boxes = {"sup_action_what": "", "sup_action_due": dt.date.today() + dt.timedelta(days=28)}
keep_until_saved("sup_action", action_boxes)
with st.form("record_session"):
    date_col, kind_col, others_col = st.columns(3)
    held_on = date_col.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", max_value=dt.date.today())
    kind = kind_col.selectbox("Type", list(SessionKind), format_func=lambda k: k.value.capitalize())
    extra = dict(supervision.team_colleagues(actor))
    others = others_col.multiselect(
        "Others in a group discussion", [i for i in extra if i != chosen], format_func=lambda i: literal(extra[i])
    )
    st.markdown("**What the session was for** (Morrison's three purposes)")
    p1, p2, p3 = st.columns(3)
    accountability = p1.checkbox("Accountable practice: cases and risk decisions", value=True)
    development = p2.checkbox("Professional development")
    support = p3.checkbox("Personal support")
    st.markdown("**Agenda items discussed**")
    discussed = []
    for item in items:
        # Both always shown: ticking a box inside a form does not redraw it.
        tick, note_col = st.columns([2, 3])
        ticked = tick.checkbox(label_text(item.title), key=f"disc_{item.key}")
        note = text_input(
            "Short note",
            container=note_col,
            key=f"disc_note_{item.key}",
            label_visibility="collapsed",
            placeholder="Short note on what was agreed (optional)",
            max_chars=DISCUSSION_NOTE_MAX,
        )
        close = False
        if item.kind == AgendaKind.ACTION:
            close = tick.checkbox("Agreed it is done", key=f"close_{item.key}")
        if ticked or close:
            discussed.append(
                {
                    "kind": item.kind,
                    "source_id": item.source_id,
                    "title": item.title,
                    "note": note,
                    "practitioner_id": chosen,
                    "close": close,
                }
            )
    st.markdown("**Case discussions** (the decision and why: a defensible decision record)")
    cases = st.data_editor(
        pd.DataFrame([{"Case reference": "", "Decision": "", "Rationale": ""}]),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="sup_cases",
        column_config={
            "Case reference": st.column_config.TextColumn(max_chars=CASE_REF_MAX),
            "Decision": st.column_config.TextColumn(max_chars=DECISION_MAX),
            "Rationale": st.column_config.TextColumn(max_chars=DECISION_MAX),
        },
    )
    notes = text_area("Notes", max_chars=NOTE_MAX)
    personal = text_area("Personal-support notes", max_chars=NOTE_MAX)
    private = st.checkbox("Keep personal-support notes between us (not shown in oversight)", value=True)
    st.markdown("**Agreed actions**")
    owners = {chosen: people[chosen], actor.id: "Me"} | {i: extra[i] for i in others}
    remove = None
    if agreed:
        for n, agreed_row in enumerate(agreed):
            cols = st.columns([6, 2, 2, 1])
            cols[0].markdown(plain(agreed_row["description"]))
            cols[1].markdown(plain(owners.get(agreed_row["owner_id"], "someone not in this session")))
            cols[2].markdown(f"due {agreed_row['due_date']:%d %b %Y}")
            if cols[3].form_submit_button("Remove", key=f"sup_action_rm_{n}", help=f"Remove action {n + 1}"):
                remove = n
    else:
        st.caption("No actions added yet.")
    action_what = text_input("What was agreed", key="sup_action_what", max_chars=ACTION_MAX)
    if st.session_state.pop("sup_action_empty", False):
        st.error("Say what was agreed, then add the action.", icon=":material/error:")
    action_cols = st.columns(2)
    action_who = action_cols[0].selectbox(
        "Who will do it", list(owners), format_func=lambda i: literal(owners[i]), key="sup_action_who"
    )
    action_due = action_cols[1].date_input("Due by", key="sup_action_due", format="DD/MM/YYYY")
    add_action = st.form_submit_button("Add this action")
    st.caption("An action typed above but not yet added is saved with the record too.")
    submitted = st.form_submit_button("Save and sign the record", type="primary")

typed_action = (
    [{"description": action_what, "owner_id": action_who, "due_date": action_due}] if action_what.strip() else []
)
if remove is not None:
    agreed.pop(remove)
    st.rerun()
if add_action:
    if typed_action:
        agreed.extend(typed_action)
        form_saved("sup_action")
    else:
        st.session_state["sup_action_empty"] = True
    st.rerun()
if submitted:
    form = {
        "participant_ids": [chosen, *others],
        "kind": kind,
        "held_on": held_on,
        "accountability": accountability,
        "development": development,
        "support": support,
        "notes": notes,
        "personal_notes": personal,
        "personal_private": private,
        "case_discussions": [
            {"case_ref": r["Case reference"], "decision": r["Decision"], "rationale": r["Rationale"]}
            for r in cases.fillna("").to_dict("records")
        ],
        "actions": [*agreed, *typed_action],  # the same rows as before: what, who, when
        "discussed": discussed,
    }
    session_id = submit(
        "supervision",
        lambda: supervision.record_session(actor, validate(SessionRecordCreate, form)),
        success="Session recorded and signed by you. The practitioner is asked to confirm it.",
        rerun=False,
        refusal_field="form",
    )
    st.session_state.pop(agreed_key, None)
    form_saved("sup_action")
    st.switch_page(screens.SUPERVISION_RECORD.file, query_params={"session": str(session_id)})

with st.expander(f"New starter, NQO status and mentor for {plain(people[chosen])}"):
    profile = cadence.profile_of(actor, chosen)
    with st.form("profile"):
        started = st.date_input("Started in role", value=profile.started_on if profile else None, format="DD/MM/YYYY")
        nqo = st.checkbox("Newly qualified officer", value=bool(profile and profile.newly_qualified))
        mentors = dict(supervision.team_colleagues(actor))
        mentors.pop(chosen, None)
        mentor = st.selectbox(
            "Named mentor",
            [None, *mentors],
            format_func=lambda i: "None" if i is None else literal(mentors[i]),
            index=([None, *mentors].index(profile.mentor_id) if profile and profile.mentor_id in mentors else 0),
        )
        if st.form_submit_button("Save"):
            cadence.set_profile(actor, chosen, started, nqo, mentor)
            flash("Saved. New starters and NQOs are seen more often.")
            st.rerun()

st.header(f"Past sessions with {plain(people[chosen])}", anchor=False)
past = supervision.sessions_with(actor, chosen)
if not past:
    st.caption("None recorded yet.")
for row in past:
    st.page_link(
        screens.SUPERVISION_RECORD.file,
        label=f"{row.held_on:%d %b %Y} · {row.kind} · {row.status}",
        query_params={"session": str(row.id)},
        icon=":material/sticky_note_2:",
    )
