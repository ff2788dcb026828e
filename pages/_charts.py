"""Altair charts for the observation screens. Data in, chart out; no rules here."""

from __future__ import annotations

import altair as alt
import pandas as pd

SCALE = alt.Scale(domain=[1, 4])
# Colour-blind-safe pair (Okabe-Ito blue and orange).
SELF_COLOUR, OBSERVER_COLOUR = "#E69F00", "#0072B2"


def skill_profile(points) -> alt.Chart:
    """Observer ratings over time, one line per skill area."""
    frame = pd.DataFrame([{"Date": p.observed_on, "Skill area": p.domain_title, "Rating": p.rating} for p in points])
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Date:T", title="Observed on", axis=alt.Axis(format="%d %b %Y", tickCount=6)),
            y=alt.Y("Rating:Q", scale=SCALE, axis=alt.Axis(values=[1, 2, 3, 4], format="d"), title="Observer rating"),
            color=alt.Color("Skill area:N", legend=alt.Legend(orient="right", labelLimit=260)),
            tooltip=[alt.Tooltip("Date:T", format="%d %b %Y"), "Skill area:N", "Rating:Q"],
        )
        .properties(height=360)
    )


def self_vs_observer(comparison) -> alt.Chart:
    """Average self-rating beside average observer rating, per skill area."""
    rows = []
    for c in comparison:
        if c.pairs:
            rows.append({"Skill area": c.domain_title, "Who": "My own rating", "Average": c.self_average, "Sessions": c.pairs})
            rows.append({"Skill area": c.domain_title, "Who": "Observer's rating", "Average": c.observer_average, "Sessions": c.pairs})
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Skill area:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
            yOffset="Who:N",
            x=alt.X("Average:Q", scale=alt.Scale(domain=[0, 4]), axis=alt.Axis(values=[0, 1, 2, 3, 4], format="d"), title="Average rating (1 to 4)"),
            color=alt.Color("Who:N", scale=alt.Scale(range=[SELF_COLOUR, OBSERVER_COLOUR]), legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["Skill area:N", "Who:N", alt.Tooltip("Average:Q", format=".1f"), "Sessions:Q"],
        )
        .properties(height=alt.Step(14))
    )


def team_profile(summaries) -> alt.Chart:
    """Team average per skill area with its spread (mean ± one standard deviation), no names."""
    frame = pd.DataFrame(
        [
            {
                "Skill area": s.domain_title,
                "Average": s.mean,
                "Lower": max(1.0, s.mean - s.spread),
                "Upper": min(4.0, s.mean + s.spread),
                "People": s.people,
            }
            for s in summaries
            if s.mean is not None
        ]
    )
    base = alt.Chart(frame).encode(y=alt.Y("Skill area:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)))
    spread = base.mark_rule(color=OBSERVER_COLOUR, strokeWidth=3, opacity=0.5).encode(
        x=alt.X("Lower:Q", scale=SCALE, axis=alt.Axis(values=[1, 2, 3, 4], format="d"), title="Rating (1 to 4): dot is the average, line the usual spread"), x2="Upper:Q"
    )
    average = base.mark_point(filled=True, size=90, color=OBSERVER_COLOUR).encode(
        x="Average:Q", tooltip=["Skill area:N", alt.Tooltip("Average:Q", format=".1f"), "People:Q"]
    )
    return (spread + average).properties(height=alt.Step(26))
