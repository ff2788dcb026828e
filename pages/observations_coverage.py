"""Observation across the PDU, for QA leads: coverage by team, the skill profile, and observer calibration."""

import pandas as pd
import streamlit as st

from pages import _charts as charts
from pages._ui import current_actor, dataframe, literal, plain
from qa.audits import events as audit_events
from qa.observations import calibration, team_skills
from qa.observations import coverage as observation_coverage

actor = current_actor()
st.title("Observation coverage and calibration", anchor=False)
pdus = dict(audit_events.pdus_i_manage(actor))
if not pdus:
    st.info("You are not a quality-assurance lead for any PDU.")
    st.stop()
pdu_id = st.selectbox("PDU", list(pdus), format_func=lambda i: literal(pdus[i])) if len(pdus) > 1 else next(iter(pdus))
target = observation_coverage.target_per_year()

st.header("Coverage by team", anchor=False)
st.caption(f"Target: {target} observations per practitioner a year. 'Up to date' means not overdue.")
teams = observation_coverage.coverage_by_team(actor, pdu_id)
if teams:
    dataframe(
        pd.DataFrame(
            [
                {
                    "Team": t.team_name,
                    "Practitioners": t.practitioners,
                    "Observed in the last 12 months": t.observed_last_12_months,
                    "Share observed": t.share_observed,
                    "Up to date": t.up_to_date,
                }
                for t in teams
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Share observed": st.column_config.NumberColumn(format="percent")},
    )
else:
    st.info("No practitioners in this PDU yet.")

st.header("PDU skill profile (last 12 months)", anchor=False)
summaries = team_skills.team_profile(actor, pdu_id=pdu_id)
if any(s.mean is not None for s in summaries):
    charts.show(charts.team_profile(summaries), key="team_profile_table")
else:
    st.caption(f"Shown once at least {team_skills.MIN_PEOPLE} practitioners have shared observations.")

st.header("Observer calibration", anchor=False)
st.caption(
    "Sessions rated independently by two observers. Weighted kappa (quadratic) corrects for chance and counts near-misses: "
    "1 is perfect agreement, 0 no better than chance. 'Within one point' counts ratings at most one step apart."
)
report = calibration.calibration_report(actor, pdu_id)


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "No pairs yet"


if report.sessions:
    st.metric("Sessions rated twice", report.sessions)
    if report.too_few:
        st.info(report.too_few)
    dataframe(
        pd.DataFrame(
            [
                {
                    "Skill area": d.domain_title,
                    "Pairs": d.pairs,
                    "Weighted kappa": f"{d.shown_kappa:.2f}" if d.shown_kappa is not None else d.in_brief,
                    "Exact": _share(d.exact),
                    "Within one point": _share(d.adjacent),
                }
                for d in report.domains
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Weighted kappa": st.column_config.TextColumn(width="medium")},
    )
    if not report.too_few:
        for d in report.domains:
            if d.why_not:
                st.caption(f"{plain(d.domain_title)}: {plain(d.why_not)}")
else:
    st.info(
        f"No session has been rated by two observers yet. {calibration.TOO_FEW}. "
        "Add a second observer from an observation's page."
    )
