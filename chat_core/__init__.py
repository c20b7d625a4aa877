"""Streamchat's UI-free core: providers, the stream engine, metrics and conversations."""

from __future__ import annotations

from chat_core.api import (
    DEFAULT_SYSTEM_PROMPT,
    measure_streaming,
    start_chat,
    stream_with_callbacks,
)
from chat_core.errors import ChatError
from chat_core.metrics import ChunkArrival, StreamMetrics
from chat_core.stream import ChatStream, RetryPolicy, StreamResult
from chat_core.types import ChatRequest, Message, StreamStatus

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "ChatError",
    "ChatRequest",
    "ChatStream",
    "ChunkArrival",
    "Message",
    "RetryPolicy",
    "StreamMetrics",
    "StreamResult",
    "StreamStatus",
    "measure_streaming",
    "start_chat",
    "stream_with_callbacks",
]
