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
            rows.append(
                {"Skill area": c.domain_title, "Who": "My own rating", "Average": c.self_average, "Sessions": c.pairs}
            )
            rows.append(
                {
                    "Skill area": c.domain_title,
                    "Who": "Observer's rating",
                    "Average": c.observer_average,
                    "Sessions": c.pairs,
                }
            )
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Skill area:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
            yOffset="Who:N",
            x=alt.X(
                "Average:Q",
                scale=alt.Scale(domain=[0, 4]),
                axis=alt.Axis(values=[0, 1, 2, 3, 4], format="d"),
                title="Average rating (1 to 4)",
            ),
            color=alt.Color(
                "Who:N",
                scale=alt.Scale(range=[SELF_COLOUR, OBSERVER_COLOUR]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
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
        x=alt.X(
            "Lower:Q",
            scale=SCALE,
            axis=alt.Axis(values=[1, 2, 3, 4], format="d"),
            title="Rating (1 to 4): dot is the average, line the usual spread",
        ),
        x2="Upper:Q",
    )
    average = base.mark_point(filled=True, size=90, color=OBSERVER_COLOUR).encode(
        x="Average:Q", tooltip=["Skill area:N", alt.Tooltip("Average:Q", format=".1f"), "People:Q"]
    )
    return (spread + average).properties(height=alt.Step(26))


# ------------------------------------------------------------------ dashboards

# Okabe-Ito: distinguishable with the common forms of colour blindness.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#999999"]
VERDICT_COLOURS = alt.Scale(
    domain=["yes", "partly", "no", "not applicable"], range=["#0072B2", "#F0E442", "#D55E00", "#999999"]
)


def sufficiency_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_line(point=True, strokeWidth=4 if big else 2)
        .encode(
            x=alt.X("month:O", title="Month the audit was submitted"),
            y=alt.Y(
                "share:Q", title="Share judged sufficient", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "section:N", title="Section", scale=alt.Scale(range=OKABE_ITO), legend=alt.Legend(labelLimit=300)
            ),
            tooltip=[
                "month:O",
                "section:N",
                alt.Tooltip("share:Q", format=".0%"),
                alt.Tooltip("judged:Q", title="audits judged"),
            ],
        )
        .properties(height=480 if big else 320)
    )


def question_heatmap(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            y=alt.Y(
                "question:N",
                sort=alt.EncodingSortField("share", order="descending"),
                title=None,
                axis=alt.Axis(labelLimit=420, labelOverlap=False, labelFontSize=14 if big else 11),
            ),
            x=alt.X("section:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
            color=alt.Color(
                "share:Q",
                title="No or Partly",
                scale=alt.Scale(scheme="oranges", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                "section:N",
                "question:N",
                alt.Tooltip("share:Q", format=".0%"),
                alt.Tooltip("answered:Q", title="answered"),
            ],
        )
        .properties(height=alt.Step(26 if big else 20))
    )


def answer_distribution(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("section:N", title=None, sort=None),
            x=alt.X("count:Q", stack="normalize", title="Share of answers", axis=alt.Axis(format="%")),
            color=alt.Color("answer:N", scale=VERDICT_COLOURS, title="Answer"),
            tooltip=["section:N", "answer:N", "count:Q"],
        )
        .properties(height=alt.Step(40 if big else 28))
    )


def actions_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows).melt(
        id_vars="month", value_vars=["raised", "closed"], var_name="Actions", value_name="count"
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month"),
            xOffset="Actions:N",
            y=alt.Y("count:Q", title="Actions"),
            color=alt.Color("Actions:N", scale=alt.Scale(domain=["raised", "closed"], range=["#E69F00", "#0072B2"])),
            tooltip=["month:O", "Actions:N", "count:Q"],
        )
        .properties(height=420 if big else 280)
    )


def themes_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month"),
            y=alt.Y("count:Q", title="Times tagged"),
            color=alt.Color(
                "theme:N", title="Learning theme", scale=alt.Scale(range=OKABE_ITO), legend=alt.Legend(labelLimit=300)
            ),
            tooltip=["month:O", "theme:N", "count:Q"],
        )
        .properties(height=420 if big else 280)
    )


def domain_profile(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    frame["low"] = (frame["mean"] - frame["spread"]).clip(lower=1)
    frame["high"] = (frame["mean"] + frame["spread"]).clip(upper=4)
    base = alt.Chart(frame).encode(
        y=alt.Y("domain:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=14 if big else 11))
    )
    spread = base.mark_rule(color=OBSERVER_COLOUR, strokeWidth=4, opacity=0.5).encode(
        x=alt.X(
            "low:Q",
            scale=SCALE,
            title="Rating (1 to 4): dot is the average, line the usual spread",
            axis=alt.Axis(values=[1, 2, 3, 4], format="d"),
        ),
        x2="high:Q",
    )
    dots = base.mark_point(filled=True, size=140 if big else 90, color=OBSERVER_COLOUR).encode(
        x="mean:Q", tooltip=["domain:N", alt.Tooltip("mean:Q", format=".2f"), "ratings:Q"]
    )
    return (spread + dots).properties(height=alt.Step(34 if big else 26))


def self_vs_observer_team(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("domain:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            yOffset="who:N",
            x=alt.X(
                "average:Q",
                scale=alt.Scale(domain=[0, 4]),
                title="Average rating",
                axis=alt.Axis(values=[0, 1, 2, 3, 4], format="d"),
            ),
            color=alt.Color(
                "who:N",
                scale=alt.Scale(domain=["Self-rating", "Observer"], range=[SELF_COLOUR, OBSERVER_COLOUR]),
                title=None,
            ),
            tooltip=["domain:N", "who:N", alt.Tooltip("average:Q", format=".2f"), "pairs:Q"],
        )
        .properties(height=alt.Step(16 if big else 12))
    )


def share_bar(label: str, share: float | None, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame([{"what": label, "share": share or 0.0}])
    bar = (
        alt.Chart(frame)
        .mark_bar(color=OBSERVER_COLOUR)
        .encode(
            x=alt.X("share:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title=None),
            y=alt.Y("what:N", title=None),
        )
    )
    text = bar.mark_text(align="left", dx=6, fontSize=22 if big else 14).encode(text=alt.Text("share:Q", format=".0%"))
    return (bar + text).properties(height=90 if big else 60)


def feelings_bar(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_bar(color="#56B4E9")
        .encode(
            y=alt.Y("feeling:N", sort="-x", title=None),
            x=alt.X("count:Q", title="Times named"),
            tooltip=["feeling:N", "count:Q"],
        )
        .properties(height=alt.Step(30 if big else 22))
    )


def to_png(chart: alt.Chart) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=2)


def to_svg(chart: alt.Chart) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_json())
