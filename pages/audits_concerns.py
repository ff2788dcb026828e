"""Urgent concerns across the PDU; those unacknowledged for over 2 working days stand out."""

from functools import partial

import pandas as pd
import streamlit as st

from db.audits import EVIDENCE_MAX, Acknowledgement
from pages import _registry as screens
from pages._ui import current_actor, field_error, form_errors, literal, show_flash, submit, table, text_area
from qa.audits import concerns as urgent_concerns
from qa.audits import events as audit_events
from qa.validation import validate

actor = current_actor()


def acknowledge(concern_id: int, note: str) -> None:
    """Build the acknowledgement (refused with a plain message if the note is blank or too long), then save it."""
    urgent_concerns.acknowledge(actor, concern_id, validate(Acknowledgement, {"note": note}))


st.title("Urgent concerns", anchor=False)
show_flash()
st.caption(
    "Raised by auditors for the case holder's SPO. An SPO acknowledges each one with a note; you can acknowledge too if the SPO is away."
)

pdus = dict(audit_events.pdus_i_manage(actor))
if not pdus:
    st.info("You are not a quality-assurance lead for any PDU.")
    st.stop()
pdu_id = st.selectbox("PDU", list(pdus), format_func=lambda i: literal(pdus[i])) if len(pdus) > 1 else next(iter(pdus))
alerts = urgent_concerns.pdu_concerns(actor, pdu_id)
overdue = [a for a in alerts if a.overdue]
if overdue:
    st.error(
        f"{len(overdue)} concern{'s have' if len(overdue) != 1 else ' has'} waited more than 2 working days for acknowledgement.",
        icon=":material/e911_emergency:",
    )
if not alerts:
    st.info("No urgent concerns have been raised.")
else:
    table(
        pd.DataFrame(
            [
                {
                    "Case": a.case_ref,
                    "Raised by": a.raised_by_name,
                    "SPO": a.spo_name or "none recorded",
                    "Working days waiting": a.working_days_open if a.acknowledged_at is None else None,
                    "Status": "OVERDUE" if a.overdue else ("Acknowledged" if a.acknowledged_at else "Waiting"),
                    "Concern": a.description,
                }
                for a in alerts
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    for alert in [a for a in alerts if a.acknowledged_at is None]:
        with st.expander(f"Acknowledge {alert.case_ref} as cover for the SPO"):
            st.page_link(screens.AUDIT_CASE.file, label="Open the audit", query_params={"audit": str(alert.audit_id)})
            errors = form_errors(f"ack:{alert.id}")
            with st.form(f"qa_ack_{alert.id}"):
                note = text_area(
                    "What have you done or decided?", key=f"qa_ack_note_{alert.id}", max_chars=EVIDENCE_MAX
                )
                field_error(errors, "note")
                if st.form_submit_button("Acknowledge"):
                    submit(
                        f"ack:{alert.id}",
                        partial(acknowledge, alert.id, note),
                        success="Concern acknowledged.",
                    )
