"""Plan an observation of one-to-one practice, or invite a colleague to observe me."""

import datetime as dt

import streamlit as st

from db.observations import ObservationMode, ObservationPlan, ObservationSetting
from db.organisation import CASE_REF_MAX, Role
from pages import _registry as screens
from pages._ui import (
    current_actor,
    field_error,
    form_errors,
    index_from_query,
    literal,
    show_flash,
    submit,
    text_input,
    who_can_see,
)
from qa.observations import workflow as observations
from qa.validation import validate

actor = current_actor()
st.title("Plan an observation", anchor=False)
show_flash()
who_can_see(
    "the practitioner and the observer; once shared, also the practitioner's SPO and the PDU's quality-assurance leads. Never other colleagues."
)


def plan_form(
    key: str, practitioner_id, observer_choices: dict | None, practitioner_choices: dict | None, label: str
) -> None:
    errors = form_errors(f"{key}")
    with st.form(key):
        if practitioner_choices is not None:
            practitioner_id = st.selectbox(
                "Practitioner",
                list(practitioner_choices),
                index=index_from_query("practitioner", list(practitioner_choices)),  # from a home-page link
                format_func=lambda i: literal(practitioner_choices[i]),
            )
            field_error(errors, "practitioner_id")
        observer_id = actor.id
        if observer_choices is not None:
            observer_id = st.selectbox(
                "Who will observe you?", list(observer_choices), format_func=lambda i: literal(observer_choices[i])
            )
            field_error(errors, "observer_id")
        observed_on = st.date_input(
            "Date of the session", value=dt.date.today() + dt.timedelta(days=7), format="DD/MM/YYYY"
        )
        setting = st.selectbox(
            "Setting", list(ObservationSetting), format_func=lambda s: s.value[0].upper() + s.value[1:]
        )
        mode = st.radio(
            "Live or recorded", list(ObservationMode), horizontal=True, format_func=lambda m: m.value.capitalize()
        )
        case_ref = text_input("Case reference (optional)", help="The CRN only. Never a name.", max_chars=CASE_REF_MAX)
        field_error(errors, "case_ref")
        if st.form_submit_button(label, type="primary"):
            new_id = submit(
                key,
                lambda: observations.plan_observation(
                    actor,
                    validate(
                        ObservationPlan,
                        {
                            "practitioner_id": practitioner_id,
                            "observer_id": observer_id,
                            "observed_on": observed_on,
                            "setting": setting,
                            "mode": mode,
                            "case_ref": case_ref,
                        },
                    ),
                ),
                success="Observation planned.",
                rerun=False,
                refusal_field="observer_id",
            )
            st.switch_page(screens.OBSERVATION.file, query_params={"observation": str(new_id)})


can_observe = dict(observations.practitioners_i_can_observe(actor))
if can_observe:
    st.header("Observe a practitioner", anchor=False)
    plan_form("plan_observation", None, None, can_observe, "Plan observation")

if actor.has(Role.PRACTITIONER):
    st.header("Invite a colleague to observe me", anchor=False)
    st.caption("Ask a peer, your SPO or a QDO to watch a session and give you feedback on your skills.")
    colleagues = dict(observations.colleagues_to_invite(actor))
    if colleagues:
        plan_form("invite_observer", actor.id, colleagues, None, "Send invitation")
    else:
        st.info("Nobody else in your PDU is set up in the portal yet.")

if not can_observe and not actor.has(Role.PRACTITIONER):
    st.info("You are not set up to observe anyone.")
