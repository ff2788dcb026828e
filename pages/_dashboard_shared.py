"""What the dashboard and meeting screens share: filters in the address, cached figures, the charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from db.organisation import OrderType, RoshLevel
from pages import _charts as charts
from pages._ui import literal
from qa.access.actor import Actor
from qa.dashboards import figures as dashboards
from qa.dashboards.filters import Filters, from_query, to_query
from qa.exports import to_csv


@st.cache_data(ttl=900, show_spinner="Working out the figures…", max_entries=200)
def figures(kind: str, actor: Actor, filters: Filters, version: tuple):
    """Cached per person, filters and data version: a write anywhere changes the version."""
    del version  # only part of the cache key
    summaries: dict[str, Callable[[Actor, Filters], object]] = {
        "audit": dashboards.audit_quality,
        "observation": dashboards.observation_summary,
        "supervision": dashboards.supervision_summary,
        "rota": dashboards.rota_summary,
        "wellbeing": dashboards.wellbeing_summary,
    }
    return summaries[kind](actor, filters)


def filters_from_address() -> Filters:
    return from_query(st.query_params.to_dict())


def filter_controls(actor: Actor, pdus: dict, teams: dict) -> Filters:
    """Filter widgets that start from, and write back to, the page address."""
    current = filters_from_address()
    with st.expander("Filters", expanded=False):
        cols = st.columns(3)
        date_from = cols[0].date_input("From", value=current.date_from, format="DD/MM/YYYY")
        date_to = cols[1].date_input("To", value=current.date_to, format="DD/MM/YYYY")
        order_types = [None, *[o.value for o in OrderType]]
        order = cols[2].selectbox(
            "Order type", order_types, index=order_types.index(current.order_type), format_func=lambda o: o or "All"
        )
        cols = st.columns(3)
        levels = [None, *[r.value for r in RoshLevel]]
        rosh = cols[0].selectbox(
            "Risk of serious harm", levels, index=levels.index(current.rosh), format_func=lambda r: r or "All"
        )
        pdu_id = current.pdu_id
        if len(pdus) > 1:
            options = [None, *pdus]
            pdu_id = cols[1].selectbox(
                "PDU",
                options,
                index=options.index(pdu_id) if pdu_id in options else 0,
                format_func=lambda i: "All" if i is None else literal(pdus[i]),
            )
        team_id = current.team_id
        if len(teams) > 1:
            options = [None, *teams]
            team_id = cols[2].selectbox(
                "Team",
                options,
                index=options.index(team_id) if team_id in options else 0,
                format_func=lambda i: "All teams" if i is None else literal(teams[i]),
            )
    chosen = Filters(date_from, date_to, pdu_id, team_id, order, rosh)
    summary = [f"{date_from:%d %b %Y} to {date_to:%d %b %Y}"]
    summary += [
        text
        for text in (
            pdu_id and pdus.get(pdu_id),
            team_id and teams.get(team_id),
            order and f"{order} only",
            rosh and f"{rosh} RoSH only",
        )
        if text
    ]
    st.caption("Showing: " + " · ".join(summary))
    wanted = to_query(chosen)
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)  # the address now shares this exact view
    return chosen


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    kind: str  # which figures it needs
    rows: Callable  # figures -> list[dict]
    build: Callable  # (rows, big) -> chart
    count_key: str | None = None  # rows with fewer than 5 behind them are hidden in meeting mode
    note: str = ""


AUDIT_CHARTS = [
    ChartSpec(
        "sufficiency",
        "Audited cases judged sufficient, by section and month",
        "audit",
        lambda f: f.sufficiency_by_month,
        charts.sufficiency_by_month,
        "judged",
        "A section is sufficient when every applicable key question is Yes and nothing applicable is No.",
    ),
    ChartSpec(
        "heatmap",
        "Which questions are most often No or Partly",
        "audit",
        lambda f: f.question_heatmap,
        charts.question_heatmap,
        "answered",
    ),
    ChartSpec(
        "answers",
        "How questions were answered, by section",
        "audit",
        lambda f: f.answer_distribution,
        charts.answer_distribution,
        "count",
    ),
    ChartSpec(
        "actions", "Actions raised and closed", "audit", lambda f: f.actions_by_month, charts.actions_by_month, "total"
    ),
    ChartSpec(
        "themes", "Learning themes over time", "audit", lambda f: f.themes_by_month, charts.themes_by_month, "count"
    ),
]
OBSERVATION_CHARTS = [
    ChartSpec(
        "domains",
        "Observed skills: team average and spread",
        "observation",
        lambda f: f.domains,
        charts.domain_profile,
        "people",
        "Averages over shared observations. Skill areas rated for fewer than 5 people are left out in meeting mode.",
    ),
    ChartSpec(
        "self_vs_observer",
        "Self-rating against observer rating",
        "observation",
        lambda f: f.self_vs_observer,
        charts.self_vs_observer_team,
        "pairs",
    ),
]
ALL_CHARTS = AUDIT_CHARTS + OBSERVATION_CHARTS


def show_chart(spec: ChartSpec, rows: list[dict], scope: str, big: bool = False) -> None:
    """One chart with its table toggle and downloads (CSV, PNG, SVG)."""
    if not rows:
        st.info("No figures for this view yet.")
        return
    chart = spec.build(rows, big)
    charts.show(chart, key=f"table_{spec.key}")
    if spec.note:
        st.caption(spec.note)
    if not big:
        cols = st.columns([2, 1, 1, 1])
        cols[0].caption("Download the figures or the chart:")
        frame = pd.DataFrame(rows)
        records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]  # names are str already
        cols[1].download_button(
            "CSV",
            data=to_csv(list(frame.columns), records),
            file_name=f"{spec.key}-{scope}.csv",
            mime="text/csv",
            key=f"csv_{spec.key}",
        )
        cols[2].download_button(
            "PNG",
            data=lambda: charts.to_png(chart),
            file_name=f"{spec.key}-{scope}.png",
            mime="image/png",
            key=f"png_{spec.key}",
        )
        cols[3].download_button(
            "SVG",
            data=lambda: charts.to_svg(chart),
            file_name=f"{spec.key}-{scope}.svg",
            mime="image/svg+xml",
            key=f"svg_{spec.key}",
        )
