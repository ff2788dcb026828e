"""Altair charts for the observation, dashboard and wellbeing screens. Data in, chart out; no rules here.

Every chart is accessible the same way (issue 16, docs/ACCESSIBILITY.md):

- a text description (Altair's ``description``, read out as the chart's name), from :func:`finish`;
- its figures in a real table under it, in an expander reachable by keyboard (:func:`show`);
- meaning never by colour alone: lines have a dash and a point shape per series, paired bars an
  outline dash, heat-map cells their figure written in them, and every figure is in the table;
- marks at least 3:1 against white and text at least 4.5:1 (:data:`PALETTE`, :data:`TEXT`),
  from Okabe and Ito's colour-blind-safe palette, with its pale colours (yellow, orange and sky blue,
  under 3:1 on white) left out or darkened.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

SCALE = alt.Scale(domain=[1, 4])
#: Text on charts (axis labels and titles, legends): the portal's text colour, 19.6:1 on white
#: (Streamlit's own chart theme greys them to #808495, 3.7:1, under the 4.5:1 text needs).
TEXT = "#0b0c0c"
#: Series colours, each at least 3:1 on white, distinguishable with the common colour blindnesses
#: (Okabe-Ito blue, vermillion, bluish green, reddish purple, black; then grey, purple and ochre).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#767676", "#5E3C99", "#8F6C00"]
#: Point shapes and line dashes that go with the colours, so no series is told apart by colour alone.
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge", "stroke"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [10, 2], [1, 3], [12, 4, 4, 4]]
# Self-rating and observer rating: vermillion and blue.
SELF_COLOUR, OBSERVER_COLOUR = "#D55E00", "#0072B2"
#: The usual spread behind an average: a grey line (4.5:1), the average a blue dot over it.
SPREAD_COLOUR = "#767676"


def finish(chart, description: str):
    """The chart with its text description and accessible text colours (every builder ends here)."""
    return chart.properties(description=description).configure_axis(**AXIS).configure_legend(**LEGEND)


#: Axis and legend text settings; meeting mode adds larger fonts to the same (:func:`big_text`).
AXIS = {"labelColor": TEXT, "titleColor": TEXT, "domainColor": TEXT, "tickColor": TEXT}
LEGEND = {"labelColor": TEXT, "titleColor": TEXT}


def big_text(chart):
    """Meeting mode: the same chart with text large enough to read across a room."""
    return chart.configure_axis(**AXIS, labelFontSize=18, titleFontSize=20, labelLimit=500).configure_legend(
        **LEGEND, labelFontSize=18, titleFontSize=18, labelLimit=400
    )


def show(chart, table: pd.DataFrame | None = None, *, key: str | None = None) -> None:
    """The chart, then its figures as a real table in an expander ("Data table for this chart").

    ``table`` is what the chart shows, with column names for people; by default the chart's own data.
    Cells may hold names people typed (a theme, a skill area), so the table goes through pages/_ui.table.
    """
    from pages._ui import table as safe_table

    st.altair_chart(chart, width="stretch")
    frame = table if table is not None else _data(chart)
    with st.expander("Data table for this chart", icon=":material/table:", key=key):
        if frame is None or frame.empty:
            st.caption("No figures.")
        else:
            safe_table(readable(frame), hide_index=True)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The chart's figures for people to read: "Share" columns as percentages, other fractions to
    two places, column names capitalised ("section" -> "Section")."""
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            share = str(column).lower() == "share"
            out[column] = out[column].map(
                lambda v, share=share: (
                    "" if pd.isna(v) else (f"{v:.0%}" if share else f"{v:.2f}".rstrip("0").rstrip("."))
                )
            )
    return out.rename(columns=lambda c: str(c)[:1].upper() + str(c)[1:].replace("_", " "))


def _data(chart) -> pd.DataFrame | None:
    data = getattr(chart, "data", None)
    if isinstance(data, pd.DataFrame):
        return data
    for part in getattr(chart, "layer", None) or []:
        if isinstance(getattr(part, "data", None), pd.DataFrame):
            return part.data
    return None


def _series(field: str, domain: list | None = None, title: str | None = None):
    """Colour, point shape and line dash for one series field, sharing one legend."""
    scale = {"range": PALETTE} if domain is None else {"domain": domain, "range": PALETTE[: len(domain)]}
    legend = alt.Legend(labelLimit=300, title=title, symbolStrokeWidth=2)
    return {
        "color": alt.Color(field, scale=alt.Scale(**scale), legend=legend),
        "shape": alt.Shape(field, scale=alt.Scale(range=SHAPES), legend=legend),
        "strokeDash": alt.StrokeDash(field, scale=alt.Scale(range=DASHES), legend=legend),
    }


def _months(frame: pd.DataFrame, column: str) -> str:
    months = sorted(str(m) for m in frame[column].unique()) if column in frame else []
    return f"from {months[0]} to {months[-1]}" if months else "with no months yet"


def skill_profile(points) -> alt.Chart:
    """Observer ratings over time, one line per skill area."""
    frame = pd.DataFrame([{"Date": p.observed_on, "Skill area": p.domain_title, "Rating": p.rating} for p in points])
    chart = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60))
        .encode(
            x=alt.X("Date:T", title="Observed on", axis=alt.Axis(format="%d %b %Y", tickCount=6)),
            y=alt.Y("Rating:Q", scale=SCALE, axis=alt.Axis(values=[1, 2, 3, 4], format="d"), title="Observer rating"),
            **_series("Skill area:N"),
            tooltip=[alt.Tooltip("Date:T", format="%d %b %Y"), "Skill area:N", "Rating:Q"],
        )
        .properties(height=360)
    )
    areas = frame["Skill area"].nunique() if not frame.empty else 0
    return finish(
        chart,
        f"Line chart of observer ratings (1 to 4) over time for {areas} skill areas, one line each. "
        "The data table under the chart has every rating.",
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
    chart = (
        alt.Chart(frame)
        .mark_bar(stroke=TEXT, strokeWidth=1)
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
                scale=alt.Scale(domain=["My own rating", "Observer's rating"], range=[SELF_COLOUR, OBSERVER_COLOUR]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            strokeDash=alt.StrokeDash(
                "Who:N",
                scale=alt.Scale(domain=["My own rating", "Observer's rating"], range=[[4, 2], [1, 0]]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["Skill area:N", "Who:N", alt.Tooltip("Average:Q", format=".1f"), "Sessions:Q"],
        )
        .properties(height=alt.Step(14))
    )
    return finish(
        chart,
        "Bar chart: my own average rating beside the observer's, per skill area, on a scale of 1 to 4 "
        "(my own rating has a dashed outline). The data table under the chart has every average.",
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
    spread = base.mark_rule(color=SPREAD_COLOUR, strokeWidth=3).encode(
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
    return finish(
        (spread + average).properties(height=alt.Step(26)),
        f"Dot chart of the team's average rating (1 to 4) in each of {len(frame)} skill areas, "
        "with a line for the usual spread. The data table under the chart has every figure.",
    )


# ------------------------------------------------------------------ dashboards

# Answers: blue for yes, ochre for partly, vermillion for no, grey for not applicable (all 3:1 or more).
VERDICT_COLOURS = alt.Scale(
    domain=["yes", "partly", "no", "not applicable"], range=["#0072B2", "#8F6C00", "#D55E00", "#767676"]
)


def sufficiency_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=90 if big else 60), strokeWidth=4 if big else 2)
        .encode(
            x=alt.X("month:O", title="Month the audit was submitted"),
            y=alt.Y(
                "share:Q", title="Share judged sufficient", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            **_series("section:N", title="Section"),
            tooltip=[
                "month:O",
                "section:N",
                alt.Tooltip("share:Q", format=".0%"),
                alt.Tooltip("judged:Q", title="audits judged"),
            ],
        )
        .properties(height=480 if big else 320)
    )
    return finish(
        chart,
        f"Line chart of the share of audited cases judged sufficient in each of {frame['section'].nunique()} "
        f"sections, by month submitted, {_months(frame, 'month')}. The data table under the chart has every figure.",
    )


def question_heatmap(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame).encode(
        y=alt.Y(
            "question:N",
            sort=alt.EncodingSortField("share", order="descending"),
            title=None,
            axis=alt.Axis(labelLimit=420, labelOverlap=False, labelFontSize=14 if big else 11),
        ),
        x=alt.X("section:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
    )
    cells = base.mark_rect(stroke="#ffffff").encode(
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
    # Each cell says its figure, so the shade is never the only way to read it.
    figures = base.mark_text(fontSize=14 if big else 11).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition("datum.share > 0.5", alt.value("#ffffff"), alt.value(TEXT)),
    )
    return finish(
        (cells + figures).properties(height=alt.Step(26 if big else 20)),
        f"Heat map of {frame['question'].nunique()} questions by section: each cell gives the share answered "
        "No or Partly, written in the cell. The data table under the chart has every figure.",
    )


def answer_distribution(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar(stroke="#ffffff", strokeWidth=1)
        .encode(
            y=alt.Y("section:N", title=None, sort=None),
            x=alt.X("count:Q", stack="normalize", title="Share of answers", axis=alt.Axis(format="%")),
            color=alt.Color("answer:N", scale=VERDICT_COLOURS, title="Answer"),
            order=alt.Order("answer_order:Q"),
            tooltip=["section:N", "answer:N", "count:Q"],
        )
        .transform_calculate(answer_order="indexof(['yes', 'partly', 'no', 'not applicable'], datum.answer)")
        .properties(height=alt.Step(40 if big else 28))
    )
    return finish(
        chart,
        "Stacked bar chart: for each section, the share of answers that were yes, partly, no and not applicable, "
        "always in that order from the left. The data table under the chart has every count.",
    )


def actions_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows).melt(
        id_vars="month", value_vars=["raised", "closed"], var_name="Actions", value_name="count"
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(stroke=TEXT, strokeWidth=1)
        .encode(
            x=alt.X("month:O", title="Month"),
            xOffset="Actions:N",
            y=alt.Y("count:Q", title="Actions"),
            color=alt.Color("Actions:N", scale=alt.Scale(domain=["raised", "closed"], range=[SELF_COLOUR, "#0072B2"])),
            strokeDash=alt.StrokeDash(
                "Actions:N", scale=alt.Scale(domain=["raised", "closed"], range=[[4, 2], [1, 0]])
            ),
            tooltip=["month:O", "Actions:N", "count:Q"],
        )
        .properties(height=420 if big else 280)
    )
    return finish(
        chart,
        f"Bar chart of actions raised and closed each month, {_months(frame, 'month')}: raised on the left "
        "with a dashed outline, closed on the right. The data table under the chart has every count.",
    )


def themes_by_month(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar(stroke="#ffffff", strokeWidth=1)
        .encode(
            x=alt.X("month:O", title="Month"),
            y=alt.Y("count:Q", title="Times tagged"),
            color=alt.Color(
                "theme:N", title="Learning theme", scale=alt.Scale(range=PALETTE), legend=alt.Legend(labelLimit=300)
            ),
            order=alt.Order("theme:N"),
            tooltip=["month:O", "theme:N", "count:Q"],
        )
        .properties(height=420 if big else 280)
    )
    return finish(
        chart,
        f"Stacked bar chart of how often each of {frame['theme'].nunique()} learning themes was tagged each month, "
        f"{_months(frame, 'month')}, themes stacked in the legend's order. The data table under the chart has every count.",
    )


def domain_profile(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    frame["low"] = (frame["mean"] - frame["spread"]).clip(lower=1)
    frame["high"] = (frame["mean"] + frame["spread"]).clip(upper=4)
    base = alt.Chart(frame).encode(
        y=alt.Y("domain:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=14 if big else 11))
    )
    spread = base.mark_rule(color=SPREAD_COLOUR, strokeWidth=4).encode(
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
    return finish(
        (spread + dots).properties(height=alt.Step(34 if big else 26)),
        f"Dot chart of the average observed rating (1 to 4) in each of {len(frame)} skill areas, with a line for "
        "the usual spread. The data table under the chart has every figure.",
    )


def self_vs_observer_team(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar(stroke=TEXT, strokeWidth=1)
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
            strokeDash=alt.StrokeDash(
                "who:N", scale=alt.Scale(domain=["Self-rating", "Observer"], range=[[4, 2], [1, 0]]), title=None
            ),
            tooltip=["domain:N", "who:N", alt.Tooltip("average:Q", format=".2f"), "pairs:Q"],
        )
        .properties(height=alt.Step(16 if big else 12))
    )
    return finish(
        chart,
        "Bar chart: average self-rating beside average observer rating, per skill area, on a scale of 1 to 4 "
        "(self-rating has a dashed outline). The data table under the chart has every average.",
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
    text = bar.mark_text(align="left", dx=6, fontSize=22 if big else 14, color=TEXT).encode(
        text=alt.Text("share:Q", format=".0%")
    )
    return finish(
        (bar + text).properties(height=90 if big else 60),
        f"Bar showing {label}: {share or 0:.0%}, written beside the bar.",
    )


def feelings_bar(rows, big: bool = False) -> alt.Chart:
    frame = pd.DataFrame(rows)
    bars = alt.Chart(frame).encode(
        y=alt.Y("feeling:N", sort="-x", title=None),
        x=alt.X("count:Q", title="Times named"),
        tooltip=["feeling:N", "count:Q"],
    )
    counts = bars.mark_text(align="left", dx=4, color=TEXT).encode(text="count:Q")
    return finish(
        (bars.mark_bar(color=OBSERVER_COLOUR) + counts).properties(height=alt.Step(30 if big else 22)),
        f"Bar chart of the {len(frame)} feelings named most, with how many times each was named written beside "
        "its bar. The data table under the chart has every count.",
    )


def to_png(chart: alt.Chart) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=2)


def to_svg(chart: alt.Chart) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_json())


def weekly_load(weekly: pd.DataFrame) -> alt.LayerChart:
    """My wellbeing: debriefs per week as bars, their average intensity as a line with points."""
    bars = (
        alt.Chart(weekly)
        .mark_bar(color="#767676")
        .encode(x=alt.X("Week:T", title="Week starting"), y=alt.Y("Debriefs:Q", title="Debriefs (grey bars)"))
    )
    line = (
        alt.Chart(weekly)
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60), color=OBSERVER_COLOUR, strokeWidth=3)
        .encode(
            x="Week:T",
            y=alt.Y(
                "Average intensity:Q", scale=alt.Scale(domain=[0, 10]), title="Average intensity, 0 to 10 (blue line)"
            ),
        )
    )
    return finish(
        alt.layer(bars, line).resolve_scale(y="independent"),
        f"Chart of {len(weekly)} weeks: grey bars for how many debriefs I recorded each week, and a blue line with "
        "points for their average intensity from 0 to 10. The data table under the chart has every week.",
    )
