"""Altair charts of the frames in figures.py. Real and synthetic keep one colour each everywhere."""

from __future__ import annotations

import altair as alt
import pandas as pd

SIDE_COLORS = alt.Scale(domain=["real", "synthetic"], range=["#4c78a8", "#f58518"])


def distribution(frame: pd.DataFrame, column: str) -> alt.Chart:
    """Real and synthetic shares per bin side by side, in bin order: overlaid bars hid a rare
    class (3 % of rows) under the other side's."""
    order = list(dict.fromkeys(frame["bin"]))
    return alt.Chart(frame, title=f"{column}: share of rows").mark_bar().encode(
        x=alt.X("bin:N", sort=order, title=column, axis=alt.Axis(labelAngle=-45)),
        xOffset=alt.XOffset("side:N"),
        y=alt.Y("share:Q", stack=None, title="share of rows", axis=alt.Axis(format="%")),
        color=alt.Color("side:N", scale=SIDE_COLORS, title=None, legend=alt.Legend(orient="top")),
        tooltip=["side", "bin", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=320)


def heatmap(frame: pd.DataFrame, value: str, title: str, order: list[str], *, scheme: str = "blues") -> alt.Chart:
    return alt.Chart(frame, title=title).mark_rect().encode(
        # Every column named: Vega drops overlapping labels, which leaves half the rows unnamed.
        x=alt.X("x:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("y:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color(f"{value}:Q", scale=alt.Scale(domain=[0, 1], scheme=scheme), title=None),
        tooltip=["x", "y", alt.Tooltip(f"{value}:Q", format=".2f")],
    ).properties(width=alt.Step(16), height=alt.Step(16))  # fixed cells: stretching squeezed the labels


def pair(frame: pd.DataFrame, x: str, y: str, x_order: list[str], y_order: list[str]) -> alt.Chart:
    """Joint shares of two columns, real beside synthetic on one colour scale."""
    top = float(frame["share"].max()) or 1.0
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("x:N", sort=x_order, title=x, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("y:N", sort=list(reversed(y_order)), title=y),
        color=alt.Color("share:Q", scale=alt.Scale(domain=[0, top], scheme="oranges"), title="share",
                        legend=alt.Legend(format="%")),
        column=alt.Column("side:N", title=None, sort=["real", "synthetic"]),
        tooltip=["side", "x", "y", alt.Tooltip("share:Q", format=".2%")],
    ).properties(width=300, height=300)


def dcr(frame: pd.DataFrame) -> alt.Chart:
    colors = alt.Scale(domain=["synthetic → train", "holdout → train"], range=["#f58518", "#54a24b"])
    return alt.Chart(frame, title="Distance to the closest training row").mark_bar(opacity=0.55).encode(
        x=alt.X("from:Q", title="distance (0 = identical row)", bin="binned"),
        x2="to:Q",
        y=alt.Y("share:Q", stack=None, title="share of rows", axis=alt.Axis(format="%")),
        color=alt.Color("side:N", scale=colors, title=None, legend=alt.Legend(orient="top")),
        tooltip=["side", alt.Tooltip("from:Q", format=".3f"), alt.Tooltip("to:Q", format=".3f"),
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=300)


def grouped(frame: pd.DataFrame, x: str, value: str, group: str, title: str, groups: list[str], *,
            percent: bool = False) -> alt.Chart:
    """Bars of `value` per `x`, one bar per `group` side by side, in the order of `groups`."""
    axis = alt.Axis(format="%") if percent else alt.Axis()
    colors = alt.Scale(domain=groups, range=["#4c78a8", "#9ecae9", "#f58518"][:len(groups)])
    return alt.Chart(frame, title=title).mark_bar().encode(
        x=alt.X(f"{x}:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset(f"{group}:N", sort=groups),
        y=alt.Y(f"{value}:Q", title=None, axis=axis),
        color=alt.Color(f"{group}:N", scale=colors, title=None, legend=alt.Legend(orient="top")),
        tooltip=[x, group, alt.Tooltip(f"{value}:Q", format=".1%" if percent else ".3f")],
    ).properties(height=280)


def utility(frame: pd.DataFrame) -> alt.LayerChart:
    """TSTR beside TRTR per metric, their 95 % intervals, and each metric's chance level as a
    dashed tick: a TSTR bar at the tick learned nothing."""
    groups = ["TRTR", "TSTR"]
    colors = alt.Scale(domain=groups, range=["#4c78a8", "#f58518"])
    base = alt.Chart(frame).encode(x=alt.X("metric:N", title=None, axis=alt.Axis(labelAngle=0)),
                                   xOffset=alt.XOffset("trained on:N", sort=groups))
    bars = base.mark_bar().encode(
        y=alt.Y("score:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("trained on:N", scale=colors, title=None, legend=alt.Legend(orient="top")),
        tooltip=["metric", "trained on", alt.Tooltip("score:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f"), alt.Tooltip("chance:Q", format=".3f")])
    interval = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    chance = alt.Chart(frame).mark_tick(color="#b00020", strokeDash=[4, 3], thickness=2, size=60).encode(
        x=alt.X("metric:N"), y=alt.Y("chance:Q"), tooltip=[alt.Tooltip("chance:Q", format=".3f", title="chance")])
    return alt.layer(bars, interval, chance, title="TSTR vs TRTR, 95 % intervals; dashed: chance").properties(
        height=280)
