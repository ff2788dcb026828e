"""Meeting mode: one chart per screen in large type, with no names and no small counts."""

import datetime as dt

import streamlit as st

from pages import _charts as charts
from pages._dashboard_shared import ALL_CHARTS, figures, filters_from_address
from pages._ui import current_actor, plain
from qa.dashboards import figures as dashboards
from qa.exports import meeting_pack_pdf

# A projector shows everything on screen: keep the sidebar (with the presenter's name) folded away.
st.set_page_config(initial_sidebar_state="collapsed")
actor = current_actor()
pdus, teams, scope = dashboards.scope_options(actor)
filters = dashboards.scoped(actor, filters_from_address())
version = dashboards.data_version()
period = f"{filters.date_from:%d %b %Y} to {filters.date_to:%d %b %Y}"
narrowed = [
    text
    for text in (filters.order_type and f"{filters.order_type} only", filters.rosh and f"{filters.rosh} RoSH only")
    if text
]
if filters.team_id and filters.team_id in teams and len(teams) > 1:
    narrowed.insert(0, teams[filters.team_id])
if narrowed:
    period += " · " + ", ".join(narrowed)

slides = []
for spec in ALL_CHARTS:
    rows = spec.rows(figures(spec.kind, actor, filters, version))
    if spec.count_key:
        rows = dashboards.anonymise(rows, spec.count_key)
    if rows:
        slides.append((spec, rows))

if not slides:
    st.title("Meeting mode", anchor=False)
    st.info("There are no charts with enough behind them to show for this view.")
    st.stop()

index = st.session_state.get("slide", 0) % len(slides)
spec, rows = slides[index]
st.title(plain(spec.title), anchor=False)
st.header(f"{plain(scope)} · {period} · chart {index + 1} of {len(slides)}", anchor=False)
charts.show(charts.big_text(spec.build(rows, True)), key="meeting_table")
if spec.note:
    st.subheader(plain(spec.note), anchor=False)
st.caption("Names are never shown here, and anything with fewer than 5 behind it is left out.")

back, _, forward = st.columns([1, 4, 1])
if back.button("Previous", icon=":material/arrow_back:", width="stretch"):
    st.session_state["slide"] = index - 1
    st.rerun()
if forward.button("Next", icon=":material/arrow_forward:", width="stretch", type="primary"):
    st.session_state["slide"] = index + 1
    st.rerun()

with st.expander("Meeting pack (PDF)"):
    chosen = st.multiselect(
        "Charts to include",
        [s.key for s, _ in slides],
        default=[s.key for s, _ in slides],
        format_func=lambda k: next(s.title for s, _ in slides if s.key == k),
    )
    st.download_button(
        "Download meeting pack",
        data=lambda: meeting_pack_pdf(
            "Practice Quality Portal meeting pack",
            f"{scope} · {period} · prepared {dt.date.today():%d %b %Y}",
            [(s.title, charts.to_png(s.build(r, True))) for s, r in slides if s.key in chosen],
            "Practice Quality Portal · no names, no counts under 5",
        ),
        file_name=f"meeting-pack-{dt.date.today()}.pdf",
        mime="application/pdf",
    )
