"""Bench-only Streamlit page: one assistant answer streamed from the wire server, drawn one
of several ways (``?mode=``). Used by bench/render_lag.py; not part of the app.

Modes
    naive      one ``st.write_stream`` over every chunk (docs/design.md §1)
    coalesced  ``st.write_stream`` over ``ChatStream.frames(0.05)``
    app        the app's own rendering helper: ``ui.live.LiveText`` over frames at
               ``ui.answer.frame_cost()``, inside an inner ``st.container()`` of the
               chat message, as ``ui.answer.stream_answer`` draws it
    once       read the whole answer first, then one ``st.markdown`` (the cost of rendering
               the final text once: the reference for "as fast as possible")

The prompt typed into the chat input is sent as the user message, so ``#wire:rate:N:R``
triggers pick the answer. When ``BENCH_MARKS`` names a file, one JSON line per answer is
appended: the prompt, when the script finished drawing (``time.monotonic()``, a clock
shared by every process on this machine) and how many frames it handed to Streamlit.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from chat_core.config import ProviderSettings  # noqa: E402
from chat_core.frame_cost import FrameCost  # noqa: E402
from chat_core.providers import make_provider  # noqa: E402
from chat_core.stream import ChatStream, RetryPolicy  # noqa: E402
from chat_core.types import ChatRequest, Message  # noqa: E402

MODES = ("naive", "coalesced", "app", "once")


@st.cache_resource
def _provider():  # noqa: ANN202 - the provider type is chat_core's business
    base = os.environ.get("BENCH_WIRE_URL", "http://127.0.0.1:8765")
    return make_provider(ProviderSettings("openai", "sk-bench", base + "/v1"))


def _counted(frames: Iterable[str], counter: list[int]) -> Iterator[str]:
    for frame in frames:
        counter[0] += 1
        yield frame


def _costed(frames: Iterator[str], cost: FrameCost) -> Iterator[str]:
    """What the app's answer loop does with each frame (ui/answer.py ``_frames``)."""
    for frame in frames:
        cost.sent(len(frame))
        yield frame


def _draw(mode: str, stream: ChatStream, counter: list[int]) -> None:
    if mode == "naive":
        st.write_stream(_counted(stream, counter))
    elif mode == "coalesced":
        st.write_stream(_counted(stream.frames(0.05), counter))
    elif mode == "app":
        from ui.answer import frame_cost
        from ui.live import LiveText

        cost = frame_cost()
        text = LiveText(st.container(), cost)
        for frame in _counted(_costed(stream.frames(cost.interval), cost), counter):
            text.feed(frame)
        text.finish()
    elif mode == "once":
        text = "".join(stream)
        counter[0] = 1
        st.markdown(text)
    else:
        st.error(f"unknown mode {mode!r}; one of {', '.join(MODES)}")


def main() -> None:
    mode = st.query_params.get("mode", "coalesced")
    prompt = st.chat_input("prompt")
    if not prompt:
        return
    request = ChatRequest(messages=(Message("user", prompt),), model="bench")
    stream = ChatStream(_provider(), request, retry=RetryPolicy(max_retries=0))
    counter = [0]
    try:
        with st.chat_message("assistant"):
            _draw(mode, stream, counter)
    finally:
        if not stream.done:
            stream.cancel()
    marks = os.environ.get("BENCH_MARKS")
    if marks:
        line = {"prompt": prompt, "mode": mode, "done_at": time.monotonic(), "frames": counter[0]}
        with open(marks, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


main()
