"""Team dashboards: audit quality, observations, supervision, the LEARN rota and wellbeing."""

import streamlit as st

from pages import _charts as charts
from pages import _registry as screens
from pages._dashboard_shared import AUDIT_CHARTS, OBSERVATION_CHARTS, figures, filter_controls, show_chart
from pages._ui import current_actor, dataframe, plain
from qa.dashboards import figures as dashboards

actor = current_actor()
pdus, teams, scope = dashboards.scope_options(actor)
st.title(f"Dashboards: {plain(scope)}", anchor=False)
st.caption("Figures about practice, never a league table of people. Wellbeing is kept apart from everything else.")
filters = filter_controls(actor, pdus, teams)
st.page_link(
    screens.MEETING_MODE.file,
    label="Open meeting mode",
    icon=":material/present_to_all:",
    query_params=st.query_params.to_dict(),
)
version = dashboards.data_version()

AREAS = ["Audit quality", "Observations", "Supervision and rota", "Wellbeing"]
# One area at a time: only the figures on screen are worked out.
area = st.segmented_control("Show", AREAS, default=AREAS[0], key="area") or AREAS[0]

if area == "Audit quality":
    quality = figures("audit", actor, filters, version)
    cols = st.columns(4)
    cols[0].metric("Audits in view", quality.audits)
    cols[1].metric("Overdue actions", quality.overdue_actions)
    cols[2].metric("Urgent concerns", quality.urgent_raised, help="Raised during audits in this view")
    cols[3].metric(
        "Median time to acknowledge",
        f"{quality.median_hours_to_acknowledge:.0f} h" if quality.median_hours_to_acknowledge is not None else "-",
        help=f"{quality.urgent_acknowledged} of {quality.urgent_raised} acknowledged",
    )
    for spec in AUDIT_CHARTS:
        st.header(spec.title, anchor=False)
        show_chart(spec, spec.rows(quality), scope)
    if quality.teams:
        st.header("Teams compared: share of sections judged sufficient", anchor=False)
        dataframe(
            quality.teams,
            hide_index=True,
            width="stretch",
            column_config={"share": st.column_config.NumberColumn("Sufficient", format="percent")},
        )

if area == "Observations":
    summary = figures("observation", actor, filters, version)
    obs_cols = st.columns(3)
    obs_cols[0].metric("Observations in view", summary.observations)
    obs_cols[1].metric(
        "Practitioners observed in the last 12 months", summary.observed, help=f"of {summary.practitioners}"
    )
    obs_cols[2].metric("Coverage", f"{summary.coverage:.0%}" if summary.coverage is not None else "-")
    for spec in OBSERVATION_CHARTS:
        st.header(spec.title, anchor=False)
        show_chart(spec, spec.rows(summary), scope)

if area == "Supervision and rota":
    supervision = figures("supervision", actor, filters, version)
    rota = figures("rota", actor, filters, version)
    st.header("Supervised within their target interval", anchor=False)
    charts.show(charts.share_bar("Practitioners", supervision.share), key="supervised_table")
    st.caption(
        f"{supervision.within_target} of {supervision.practitioners} practitioners. "
        f"{supervision.items_discussed} agenda items discussed in this period."
    )
    st.header("LEARN rota: at least 2 audit events in the last 12 months", anchor=False)
    charts.show(charts.share_bar("Staff", rota.share), key="rota_table")
    st.caption(f"{rota.at_target} of {rota.staff} staff.")

if area == "Wellbeing":
    st.caption(
        "Debrief totals for the whole group only, shown when at least 5 people took part. Never "
        "broken down by person, never beside performance figures."
    )
    wellbeing = figures("wellbeing", actor, filters, version)
    if not wellbeing.shown:
        st.info("Not enough responses to show.")
    else:
        wb_cols = st.columns(3)
        wb_cols[0].metric("People", wellbeing.people)
        wb_cols[1].metric("Debriefs", wellbeing.debriefs)
        wb_cols[2].metric("Average intensity", f"{wellbeing.mean_intensity:.1f} of 10")
        charts.show(charts.feelings_bar(wellbeing.top_feelings), key="feelings_table")
