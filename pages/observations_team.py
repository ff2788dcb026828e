"""Team observations, for an SPO: who is due an observation, and the team's skill profile."""

import pandas as pd
import streamlit as st

from pages import _charts as charts
from pages import _registry as screens
from pages._ui import current_actor, literal, plain, table
from qa.due import count_due
from qa.errors import PermissionDenied
from qa.observations import coverage as observation_coverage
from qa.observations import development, team_skills

actor = current_actor()
st.title("Team observations", anchor=False)
target = observation_coverage.target_per_year()
st.caption(
    f"The aim is {target} observations of each practitioner a year. The team profile shows averages and spread only: never a ranking of people."
)
st.page_link(screens.PLAN_OBSERVATION.file, label="Plan an observation", icon=":material/calendar_month:")

coverage = observation_coverage.coverage_for_supervisor(actor)
st.header("People I supervise", anchor=False)
if not coverage:
    st.info("Nobody is recorded as supervised by you.")
else:
    counts = count_due(coverage)
    cols = st.columns(3)
    cols[0].metric("Overdue", counts.overdue)
    cols[1].metric("Due within 30 days", counts.due)
    cols[2].metric("Up to date", counts.up_to_date)
    table(
        pd.DataFrame(
            [
                {
                    "Name": r.name,
                    "Last observed": r.last_observed.strftime("%d %b %Y") if r.last_observed else "never",
                    "In the last 12 months": r.observed_last_12_months,
                    "Next due": r.next_due.strftime("%d %b %Y") if r.next_due else "now",
                    "Status": r.status,
                }
                for r in coverage
            ]
        ),
        hide_index=True,
        width="stretch",
    )

if actor.team_id:
    st.header("Team skill profile (last 12 months)", anchor=False)
    try:
        summaries = team_skills.team_profile(actor, team_id=actor.team_id)
    except PermissionDenied:
        summaries = []
    if any(s.mean is not None for s in summaries):
        charts.show(charts.team_profile(summaries), key="team_profile_table")
        hidden = [s.domain_title for s in summaries if s.mean is None]
        if hidden:
            st.caption(f"Not shown (fewer than {team_skills.MIN_PEOPLE} people rated): " + ", ".join(hidden))
    else:
        st.caption(
            f"The profile appears once at least {team_skills.MIN_PEOPLE} people in the team have shared observations."
        )

if coverage:
    st.header("A practitioner's development", anchor=False)
    st.caption("For supervision: their skill profile and goals, as they see them.")
    people = {r.practitioner_id: r.name for r in coverage}
    chosen = st.selectbox(
        "Practitioner",
        list(people),
        format_func=lambda i: literal(people[i]),
        index=None,
        placeholder="Choose someone you supervise",
    )
    if chosen is not None:
        view = development.development(actor, chosen)
        if view.profile:
            charts.show(charts.skill_profile(view.profile), key="skill_profile_table")
        else:
            st.caption("No shared observations yet.")
        for goal in view.goals:
            st.markdown(
                f"- **{plain(goal.description)}**: {goal.status}, review by {goal.review_date:%d %b %Y}"
                + (" · :orange[due for review]" if goal.due_for_review else "")
            )
