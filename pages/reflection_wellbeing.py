"""My own emotional load over time. Nobody else can see this page's figures."""

import pandas as pd
import streamlit as st

from db.reflection import EntryKind
from pages import _charts as charts
from pages import _registry as screens
from pages._ui import (
    current_actor,
    dataframe,
    flash,
    literal,
    plain,
    show_flash,
    show_text,
    table,
    uk_time,
    who_can_see,
)
from qa.reflection import debriefs, sharing

actor = current_actor()
st.title("My wellbeing", anchor=False)
show_flash()
who_can_see("only you. These figures are never shown to anyone else or used in any team or performance view.")

trends = debriefs.my_trends(actor)
if trends.signpost:
    st.info(
        "Your debriefs have stayed at a high level for a couple of weeks. That is a lot to carry: the support options below are there for you.",
        icon=":material/spa:",
    )
    for contact in debriefs.support_contacts():
        st.markdown(
            f"- **{plain(contact.name)}**"
            + (" (independent)" if contact.independent else "")
            + (f": {plain(contact.how_to_reach)}" if contact.how_to_reach else "")
        )

if not trends.debriefs:
    st.info("Your trends appear here once you have recorded some debriefs.")
    st.page_link(screens.DEBRIEF.file, label="Quick debrief", icon=":material/spa:")
    st.stop()

st.header("Emotional load, week by week", anchor=False)
weekly = pd.DataFrame(
    [{"Week": w.week_start, "Debriefs": w.debriefs, "Average intensity": w.mean_intensity} for w in trends.weekly]
)
charts.show(charts.weekly_load(weekly), key="weekly_load_table")

cols = st.columns(2)
with cols[0]:
    st.header("Feelings I name most", anchor=False)
    table(
        pd.DataFrame([{"Feeling": f.word, "Times": f.times} for f in trends.top_feelings]),
        hide_index=True,
        width="stretch",
    )
with cols[1]:
    st.header("Where it is hardest", anchor=False)
    if trends.high_settings:
        dataframe(
            pd.DataFrame(
                [
                    {"Setting": s.setting, "High-intensity debriefs": s.high_count, "Of": s.total, "Share": s.share}
                    for s in trends.high_settings
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={"Share": st.column_config.NumberColumn(format="percent")},
        )
    else:
        st.caption("Add where a contact happened to see patterns here.")

st.header("My debriefs", anchor=False)
for item in debriefs.my_debriefs(actor, limit=20):
    with st.expander(f"{uk_time(item.created_at)} · intensity {item.intensity} · {', '.join(item.feelings)}"):
        if item.what_happened:
            show_text(item.what_happened)
        if item.what_helped:
            st.markdown("**What helped**")
            show_text(item.what_helped)
        people = dict(sharing.colleagues(actor))

        # A def, not a lambda: mypy cannot type a lambda with a default argument against Streamlit's overloads.
        def person_label(i: int | None, people: dict[int, str] = people) -> str:
            return "Choose a person" if i is None else literal(people[i])

        recipient = st.selectbox(
            "Share this debrief with",
            [None, *people],
            format_func=person_label,
            key=f"dshare_{item.id}",
        )
        if recipient is not None and st.button("Share", key=f"dshare_go_{item.id}"):
            sharing.share(actor, EntryKind.DEBRIEF, item.id, recipient)
            st.success(f"Shared with {plain(people[recipient])}. You can stop sharing on this page.")
        for share in sharing.shares_of(actor, EntryKind.DEBRIEF, item.id):
            if share.revoked_at is None and st.button(
                f"Stop sharing with {plain(share.shared_with_name)}", key=f"drevoke_{share.id}"
            ):
                sharing.revoke(actor, share.id)
                st.rerun()
        confirming = f"confirm_delete_debrief_{item.id}"
        if st.button("Delete this debrief", key=f"ddelete_{item.id}"):
            st.session_state[confirming] = True
        if st.session_state.get(confirming):
            st.warning("Delete this debrief for good? This cannot be undone.")
            if st.button("Yes, delete it", key=f"ddelete_yes_{item.id}"):
                debriefs.delete_debrief(actor, item.id)
                st.session_state.pop(confirming, None)
                flash("Debrief deleted.")
                st.rerun()
