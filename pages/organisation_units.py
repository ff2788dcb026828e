"""PDUs and teams: the organisation's regions, delivery units and teams."""

import pandas as pd
import streamlit as st

from db.organisation import ORG_NAME_MAX, PduCreate, PduUpdate, RegionCreate, TeamCreate, TeamUpdate
from pages._ui import (
    current_actor,
    dataframe,
    field_error,
    form_errors,
    literal,
    plain,
    show_flash,
    submit,
    text_input,
)
from qa.organisation import org
from qa.validation import validate

actor = current_actor()
st.title("PDUs and teams", anchor=False)
st.caption("Regions contain PDUs (probation delivery units), and PDUs contain teams.")
show_flash()

regions = org.list_regions(actor)
pdus = org.list_pdus(actor)
teams = org.list_teams(actor)


st.header("Teams", anchor=False)
if teams:
    dataframe(
        pd.DataFrame(
            [
                {"Team": t.name, "PDU": t.pdu_name, "Region": t.region_name, "Active staff": t.active_members}
                for t in teams
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info("No teams yet.")

pdu_labels = {p.id: f"{p.name} ({p.region_name})" for p in pdus}
team_tab, pdu_tab, region_tab = st.tabs(["Add or rename a team", "Add or rename a PDU", "Add a region"])

with team_tab:
    if not pdus:
        st.info("Add a PDU first.")
    else:
        errors = form_errors("new_team")
        with st.form("new_team"):
            st.markdown("**Add a team**")
            name = text_input("Team name", key="new_team_name", max_chars=ORG_NAME_MAX)
            field_error(errors, "name")
            pdu_id = st.selectbox(
                "PDU", list(pdu_labels), format_func=lambda i: literal(pdu_labels[i]), key="new_team_pdu"
            )
            field_error(errors, "pdu_id")
            if st.form_submit_button("Add team", type="primary"):
                submit(
                    "new_team",
                    lambda: org.create_team(actor, validate(TeamCreate, {"name": name, "pdu_id": pdu_id})),
                    success=f"Team '{plain(name.strip())}' added.",
                )
        if teams:
            team_by_id = {t.id: t for t in teams}
            chosen = st.selectbox(
                "Team to change",
                list(team_by_id),
                format_func=lambda i: literal(f"{team_by_id[i].name} ({team_by_id[i].pdu_name})"),
            )
            key = f"edit_team_{chosen}"
            errors = form_errors(key)
            with st.form(key):
                st.markdown("**Rename or move this team**")
                new_name = text_input("Team name", value=team_by_id[chosen].name, max_chars=ORG_NAME_MAX)
                field_error(errors, "name")
                ids = list(pdu_labels)
                new_pdu = st.selectbox(
                    "PDU", ids, index=ids.index(team_by_id[chosen].pdu_id), format_func=lambda i: literal(pdu_labels[i])
                )
                field_error(errors, "pdu_id")
                if st.form_submit_button("Save team"):
                    submit(
                        key,
                        lambda: org.update_team(
                            actor, chosen, validate(TeamUpdate, {"name": new_name, "pdu_id": new_pdu})
                        ),
                        success="Team saved.",
                    )

with pdu_tab:
    if pdus:
        dataframe(
            pd.DataFrame([{"PDU": p.name, "Region": p.region_name, "Teams": p.teams} for p in pdus]),
            hide_index=True,
            width="content",
        )
    else:
        st.info("No PDUs yet.")
    if not regions:
        st.info("Add a region first.")
    else:
        region_labels = {r.id: r.name for r in regions}
        errors = form_errors("new_pdu")
        with st.form("new_pdu"):
            st.markdown("**Add a PDU**")
            name = text_input("PDU name", key="new_pdu_name", max_chars=ORG_NAME_MAX)
            field_error(errors, "name")
            region_id = st.selectbox("Region", list(region_labels), format_func=lambda i: literal(region_labels[i]))
            field_error(errors, "region_id")
            if st.form_submit_button("Add PDU", type="primary"):
                submit(
                    "new_pdu",
                    lambda: org.create_pdu(actor, validate(PduCreate, {"name": name, "region_id": region_id})),
                    success=f"PDU '{plain(name.strip())}' added.",
                )
        if pdus:
            pdu_by_id = {p.id: p for p in pdus}
            chosen = st.selectbox("PDU to rename", list(pdu_by_id), format_func=lambda i: literal(pdu_by_id[i].name))
            key = f"edit_pdu_{chosen}"
            errors = form_errors(key)
            with st.form(key):
                new_name = text_input("PDU name", value=pdu_by_id[chosen].name, max_chars=ORG_NAME_MAX)
                field_error(errors, "name")
                if st.form_submit_button("Save PDU"):
                    submit(
                        key,
                        lambda: org.update_pdu(
                            actor,
                            chosen,
                            validate(PduUpdate, {"name": new_name, "region_id": pdu_by_id[chosen].region_id}),
                        ),
                        success="PDU saved.",
                    )

with region_tab:
    if regions:
        st.markdown("Regions: " + ", ".join(plain(r.name) for r in regions))
    errors = form_errors("new_region")
    with st.form("new_region"):
        name = text_input("Region name", key="new_region_name", max_chars=ORG_NAME_MAX)
        field_error(errors, "name")
        if st.form_submit_button("Add region", type="primary"):
            submit(
                "new_region",
                lambda: org.create_region(actor, validate(RegionCreate, {"name": name})),
                success=f"Region '{plain(name.strip())}' added.",
            )
