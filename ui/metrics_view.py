"""Tables and Altair charts of answer metrics (the metrics page; reusable by a compare page)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import altair as alt
import pandas as pd

from chat_core import StreamMetrics
from chat_core.config import PROVIDER_LABELS
from chat_core.conversation import Turn

COLUMNS = (
    "#",
    "time",
    "provider",
    "model",
    "status",
    "TTFT (s)",
    "first answer token (s)",
    "total (s)",
    "streaming (s)",
    "chunks",
    "chars",
    "chars/s",
    "tokens in",
    "tokens out",
    "tokens/s",
    "cost ($)",
    "feedback",
)
FEEDBACK_LABELS = {1: "thumbs up", 0: "thumbs down"}
"""How ``Turn.feedback`` reads in the table; an answer without a rating shows "" (issue 13)."""


def measured(turns: Sequence[Turn]) -> list[tuple[int, Turn, StreamMetrics]]:
    """(answer number, turn, metrics) for every answer that was actually sent."""
    out: list[tuple[int, Turn, StreamMetrics]] = []
    for turn in turns:
        if turn.metrics is not None:
            out.append((len(out) + 1, turn, turn.metrics))
    return out


def answers_frame(turns: Sequence[Turn]) -> pd.DataFrame:
    """One row per answer, in the order they were asked."""
    rows = []
    for number, turn, m in measured(turns):
        rows.append(
            {
                "#": number,
                "time": time.strftime("%H:%M:%S", time.localtime(m.started_at)),
                "provider": PROVIDER_LABELS.get(m.provider, m.provider),
                "model": m.model,
                "status": str(turn.status),
                "TTFT (s)": m.ttft_s,
                # Anything visible counts for TTFT (a reasoning model's thinking too); this
                # is when the answer itself started. Older metrics do not have it.
                "first answer token (s)": getattr(m, "time_to_first_answer_token", m.ttft_s),
                "total (s)": m.total_s,
                "streaming (s)": m.streaming_s,
                "chunks": m.chunk_count,
                "chars": m.char_count,
                # Left blank for answers too short to have a rate (MIN_RATE_WINDOW_S).
                "chars/s": m.chars_per_s if m.rate_shown else None,
                "tokens in": m.input_tokens,
                "tokens out": m.output_tokens,
                "tokens/s": m.tokens_per_s if m.rate_shown else None,
                "cost ($)": None if turn.cost is None else float(turn.cost.total_usd),
                "feedback": FEEDBACK_LABELS.get(turn.feedback, "")
                if turn.feedback is not None
                else "",
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("tokens in", "tokens out", "chunks", "chars"):
        frame[column] = frame[column].astype("Int64")
    for column in (
        "TTFT (s)",
        "first answer token (s)",
        "total (s)",
        "streaming (s)",
        "chars/s",
        "tokens/s",
        "cost ($)",
    ):
        frame[column] = frame[column].astype("Float64")
    return frame


def medians_by_model(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.groupby(["provider", "model"], sort=True)
    medians = grouped[["TTFT (s)", "total (s)", "tokens/s", "chars/s"]].median()
    medians.insert(0, "answers", grouped.size())
    return medians.reset_index()


def per_answer_chart(frame: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """Bars per answer; coloured by model only when there is more than one."""
    data = frame.dropna(subset=[column])
    several = data["model"].nunique() > 1
    color = (
        alt.Color("model:N", legend=alt.Legend(orient="top", title=None))
        if several
        else alt.value("#4F46E5")
    )
    chart: alt.Chart = (
        alt.Chart(data, title=alt.TitleParams(title, anchor="start"))
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=alt.X("#:O", title="answer", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{column}:Q", title=column),
            color=color,
            tooltip=["#", "time", "model", "status", alt.Tooltip(f"{column}:Q", format=".2f")],
        )
        .properties(height=240)
    )
    return chart


def spend_chart(frame: pd.DataFrame) -> alt.Chart:
    """The session's running cost over its answers (answers without a price add nothing)."""
    data = frame[["#", "time", "model", "cost ($)"]].copy()
    data["cost ($)"] = data["cost ($)"].fillna(0.0)
    data["spent ($)"] = data["cost ($)"].cumsum()
    chart: alt.Chart = (
        alt.Chart(data, title=alt.TitleParams("Session spend ($)", anchor="start"))
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("#:O", title="answer", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("spent ($):Q", title="spent ($)"),
            tooltip=[
                "#",
                "time",
                "model",
                alt.Tooltip("cost ($):Q", format=".6f"),
                alt.Tooltip("spent ($):Q", format=".6f"),
            ],
        )  # fmt: skip
        .properties(height=240)
    )
    return chart


def timeline_frame(m: StreamMetrics) -> pd.DataFrame:
    """Cumulative characters over time, starting at the request (0 s, 0 chars)."""
    seconds = [0.0]
    chars = [0]
    total = 0
    for arrival in m.timeline:
        total += arrival.chars
        seconds.append(arrival.offset_s)
        chars.append(total)
    if m.timeline:
        seconds.append(m.total_s)
        chars.append(total)
    return pd.DataFrame({"seconds": seconds, "characters": chars})


def timeline_chart(m: StreamMetrics) -> alt.LayerChart | alt.FacetChart:
    """Step line: flat stretches are stalls; the first rise is the time to first token."""
    data = timeline_frame(m)
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("seconds:Q", title="seconds since the request"),
            y=alt.Y("characters:Q", title="characters received"),
            tooltip=[
                alt.Tooltip("seconds:Q", format=".3f"),
                alt.Tooltip("characters:Q", format=","),
            ],
        )
    )
    layers: list[alt.Chart] = [line]
    if m.ttft_s is not None:
        rule = (
            alt.Chart(pd.DataFrame({"seconds": [m.ttft_s], "label": [f"TTFT {m.ttft_s:.2f} s"]}))
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(x="seconds:Q", tooltip=["label:N"])
        )
        layers.append(rule)
    return alt.layer(*layers).properties(height=260)
