"""Audit events: plan a LEARN day for a PDU and see every event."""

import datetime as dt

import streamlit as st

from db.audits import DEFAULT_LOW_RISK_SHARE, SAMPLE_MAX, SAMPLE_MIN, AuditEventCreate
from pages import _registry as screens
from pages._ui import current_actor, field_error, form_errors, literal, show_flash, submit
from qa.audits import events as audit_events
from qa.validation import validate

actor = current_actor()
st.title("Audit events", anchor=False)
st.caption("A LEARN day audits 12 to 20 of a PDU's cases, chosen at random by fixed rules, in mixed-grade pairs.")
show_flash()

pdus = dict(audit_events.pdus_i_manage(actor))
if not pdus:
    st.info("You are not a quality-assurance lead for any PDU.")
    st.stop()

events = audit_events.list_events(actor)
if events:
    st.header("Events", anchor=False)
    for event in events:
        cols = st.columns([3, 3, 2, 2])
        cols[0].page_link(
            screens.AUDIT_EVENT.file,
            label=f"{event.event_date:%d %b %Y}",
            query_params={"event": str(event.id)},
            icon=":material/event:",
        )
        cols[1].markdown(event.pdu_name)
        cols[2].markdown(f"**{event.status}**")
        cols[3].markdown(f"{event.cases_in_sample} cases")
else:
    st.info("No audit events yet. Plan the first one below.")

st.header("Plan a new event", anchor=False)
errors = form_errors("new_event")
with st.form("new_event"):
    pdu_id = st.selectbox("PDU", list(pdus), format_func=lambda i: literal(pdus[i]))
    field_error(errors, "pdu_id")
    event_date = st.date_input(
        "Date of the LEARN day", value=dt.date.today() + dt.timedelta(days=14), format="DD/MM/YYYY"
    )
    field_error(errors, "event_date")
    size = st.slider("Number of cases", SAMPLE_MIN, SAMPLE_MAX, 16)
    field_error(errors, "sample_size")
    low = st.slider(
        "Most low-risk cases allowed, as a share of the sample", 0, 50, int(DEFAULT_LOW_RISK_SHARE * 100), format="%d%%"
    )
    field_error(errors, "low_risk_share")
    if st.form_submit_button("Create event and propose a sample", type="primary"):
        created = submit(
            "new_event",
            lambda: audit_events.create_event(
                actor,
                validate(
                    AuditEventCreate,
                    {"pdu_id": pdu_id, "event_date": event_date, "sample_size": size, "low_risk_share": low / 100},
                ),
            ),
            success=lambda made: f"Event created for {made.event_date:%d %b %Y}. Review the proposed sample.",
            rerun=False,
        )
        st.switch_page(screens.AUDIT_EVENT.file, query_params={"event": str(created.id)})
