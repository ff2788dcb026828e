"""My observations and development: sessions observed, my skill profile, self against observer, my goals."""

import streamlit as st

from pages import _charts as charts
from pages import _registry as screens
from pages._ui import current_actor, plain, show_flash, who_can_see
from qa.observations import development
from qa.observations import workflow as observations

actor = current_actor()
st.title("My observations and development", anchor=False)
show_flash()
who_can_see(
    "you, the observer, your SPO and your PDU's quality-assurance leads. Never other colleagues. Every view by someone other than you is recorded."
)
st.page_link(screens.PLAN_OBSERVATION.file, label="Invite a colleague to observe me", icon=":material/mail:")

rows = observations.observations_of_me(actor)
st.header("Observations of my practice", anchor=False)
if not rows:
    st.info("Nobody has observed your practice in the portal yet.")
for row in rows:
    cols = st.columns([2, 3, 2, 3])
    cols[0].page_link(
        screens.OBSERVATION.file,
        label=f"{row.observed_on:%d %b %Y}",
        query_params={"observation": str(row.id)},
        icon=":material/visibility:",
    )
    cols[1].markdown(f"observed by {plain(row.observer_name)}")
    cols[2].markdown(plain(row.setting))
    cols[3].markdown(f"**{row.label}**" + (" (second observer)" if row.is_calibration else ""))

view = development.development(actor, actor.id)
st.header("My skill profile over time", anchor=False)
if view.profile:
    charts.show(charts.skill_profile(view.profile), key="skill_profile_table")
else:
    st.caption("Your profile appears here once an observation has been shared with you.")

st.header("My own rating against the observer's", anchor=False)
if any(c.pairs for c in view.comparison):
    charts.show(charts.self_vs_observer(view.comparison), key="self_vs_observer_table")
    st.caption(
        "Averages over the sessions where you rated yourself beforehand. Gaps are a prompt for reflection, not a score."
    )
else:
    st.caption("Rate yourself before your next observed session to see this comparison.")

st.header("My development goals", anchor=False)
if not view.goals:
    st.caption("No goals yet.")
for goal in view.goals:
    st.markdown(
        f"- **{plain(goal.description)}**: {goal.status if goal.agreed else plain(goal.agreement_text)}, "
        f"review by {goal.review_date:%d %b %Y}" + (" · :orange[due for review]" if goal.due_for_review else "")
    )
