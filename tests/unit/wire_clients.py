"""Helpers for the wire server tests: one streamed answer through the REAL openai / anthropic
SDKs, read the way an application would."""

from __future__ import annotations

from typing import Any

import anthropic
import openai

WAIT = 1.0  # generous upper bound for "the server noticed" waits


def user(content: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


def openai_stream(
    client: openai.OpenAI, content: Any = "hello", *, include_usage: bool = True
) -> tuple[str, Any, str | None, int]:
    """(text, usage, finish_reason, number of content chunks) of a streamed completion."""
    kwargs: dict[str, Any] = {}
    if include_usage:
        kwargs["stream_options"] = {"include_usage": True}
    stream = client.chat.completions.create(
        model="gpt-test", messages=user(content), stream=True, **kwargs
    )
    parts: list[str] = []
    usage = finish = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            parts.append(choice.delta.content)
        finish = choice.finish_reason or finish
    return "".join(parts), usage, finish, len(parts)


def anthropic_stream(client: anthropic.Anthropic, content: Any = "hello") -> tuple[str, Any]:
    with client.messages.stream(
        model="claude-test", max_tokens=1024, messages=user(content)
    ) as stream:
        text = "".join(stream.text_stream)
        return text, stream.get_final_message()
