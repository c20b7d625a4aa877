"""The engine hook the chat page relies on for Stop during long waits: ``frames(on_idle=...)``.

Streamlit notices a Stop only when the script draws something, so while no text arrives the
page touches a placeholder from ``on_idle`` (ui/answer.py)."""

from __future__ import annotations

from chat_core import start_chat
from chat_core.providers.demo import DemoProvider


class StopRequested(BaseException):
    """Stands in for Streamlit's StopException (a BaseException, raised from a page call)."""


def test_on_idle_is_called_while_waiting_for_the_first_token() -> None:
    idles: list[int] = []
    stream = start_chat("hi", provider=DemoProvider(ttft_s=0.5, chunks_per_s=0))
    text = "".join(stream.frames(0.05, on_idle=lambda: idles.append(1), idle_s=0.1))
    assert stream.result is not None and stream.result.status == "complete"
    assert text == stream.result.text
    assert 2 <= len(idles) <= 6


def test_an_exception_from_on_idle_ends_the_frames_and_cancels_the_stream() -> None:
    stream = start_chat("hi", provider=DemoProvider(ttft_s=30, chunks_per_s=0))

    def stop() -> None:
        raise StopRequested

    try:
        for _ in stream.frames(0.05, on_idle=stop, idle_s=0.05):
            pass
    except StopRequested:
        pass
    result = stream.wait(2)
    assert result.status == "stopped"
    assert result.text == ""


def test_without_on_idle_frames_are_unchanged() -> None:
    stream = start_chat("hi", provider=DemoProvider(ttft_s=0.05, chunks_per_s=0))
    assert "".join(stream.frames(0.05)) == stream.wait(1).text
