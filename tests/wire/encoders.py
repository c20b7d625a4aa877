"""Each provider's wire format: a scenario as pre-encoded SSE bytes, or one JSON body."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.wire.scenarios import Provider, Scenario, _prompt_tokens

if TYPE_CHECKING:
    from tests.wire.record import Record


_OPENAI_FINISH = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "refusal": "content_filter",
}
_ANTHROPIC_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "content_filter": "refusal",
    "refusal": "refusal",
}
KEEP_ALIVE = b": keep-alive\n\n"


@dataclass
class _Plan:
    prelude: bytes  # raw event bytes (one HTTP chunk)
    content: list[bytes]  # pre-framed HTTP chunks, one per reasoning or content chunk
    epilogue: bytes
    error: bytes
    malformed: bytes


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def frame(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def build_stream(rec: Record, sc: Scenario, provider: Provider, body: Mapping[str, Any]) -> _Plan:
    """Pre-encode every event so the send loop only writes bytes."""
    model = str(body.get("model", ""))
    ptok = sc.prompt_tokens if sc.prompt_tokens is not None else _prompt_tokens(body)
    ctok = sc.completion_tokens if sc.completion_tokens is not None else len(sc.chunks)
    texts = [dumps(c) for c in sc.chunks]
    thoughts = [dumps(c) for c in sc.reasoning]

    if provider == "openai":
        so = body.get("stream_options")
        include_usage = isinstance(so, Mapping) and bool(so.get("include_usage"))
        head = {
            "id": f"chatcmpl-wire{rec.index}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }
        tail: dict[str, Any] = {"usage": None} if include_usage else {}

        def chunk(delta: Mapping[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return b"data: " + dumps({**head, "choices": [choice], **tail}) + b"\n\n"

        marker = "\x00CONTENT\x00"
        before, after = chunk({"reasoning_content": marker}, None).split(dumps(marker))
        content = [frame(before + t + after) for t in thoughts]
        before, after = chunk({"content": marker}, None).split(dumps(marker))
        content += [frame(before + t + after) for t in texts]
        epilogue = chunk({}, _OPENAI_FINISH[sc.finish_reason])
        if not sc.end_marker:
            epilogue = b""
        elif include_usage and sc.usage:
            usage = {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok}
            epilogue += b"data: " + dumps({**head, "choices": [], "usage": usage}) + b"\n\n"
        if sc.end_marker:
            epilogue += b"data: [DONE]\n\n"
        error = {
            "error": {
                "message": sc.stream_error_message
                or "The server had an error while processing your request. Sorry about that!",
                "type": sc.stream_error_type or "server_error",
                "param": None,
                "code": None,
            }
        }
        return _Plan(
            prelude=chunk({"role": "assistant", "content": "", "refusal": None}, None),
            content=content,
            epilogue=epilogue,
            error=b"data: " + dumps(error) + b"\n\n",
            malformed=b"data: {this is not json\n\n",
        )

    def event(name: str, obj: Mapping[str, Any]) -> bytes:
        return b"event: " + name.encode() + b"\ndata: " + dumps(obj) + b"\n\n"

    message = {
        "id": f"msg_wire{rec.index:06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": ptok, "output_tokens": 1},
    }

    def block_start(index: int, block: Mapping[str, Any]) -> bytes:
        start = {"type": "content_block_start", "index": index, "content_block": block}
        return event("content_block_start", start)

    def block_stop(index: int) -> bytes:
        return event("content_block_stop", {"type": "content_block_stop", "index": index})

    index = 1 if thoughts else 0
    first_block = (
        {"type": "thinking", "thinking": "", "signature": ""}
        if thoughts
        else {"type": "text", "text": ""}
    )
    prelude = (
        event("message_start", {"type": "message_start", "message": message})
        + block_start(0, first_block)
        + event("ping", {"type": "ping"})
    )
    delta = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
    before = delta + b'0,"delta":{"type":"thinking_delta","thinking":'
    content = [frame(before + t + b"}}\n\n") for t in thoughts]
    before = delta + str(index).encode() + b',"delta":{"type":"text_delta","text":'
    content += [frame(before + t + b"}}\n\n") for t in texts]
    if thoughts:  # the thinking block ends with its signature; the text block follows
        signature = {"type": "signature_delta", "signature": "EqQBCgIYAhIMwire"}
        switch = (
            event(
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": signature},
            )
            + block_stop(0)
            + block_start(1, {"type": "text", "text": ""})
        )
        content.insert(len(thoughts), frame(switch))
    epilogue = (
        block_stop(index)
        + event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": _ANTHROPIC_STOP[sc.finish_reason], "stop_sequence": None},
                "usage": {"output_tokens": ctok},
            },
        )
        + event("message_stop", {"type": "message_stop"})
    )
    if not sc.end_marker:
        epilogue = b""
    error = {
        "type": "error",
        "error": {
            "type": sc.stream_error_type or "overloaded_error",
            "message": sc.stream_error_message or "Overloaded",
        },
    }
    return _Plan(
        prelude=prelude,
        content=content,
        epilogue=epilogue,
        error=event("error", error),
        # With an event name, so the SDK parses it (a bare data: line would be skipped).
        malformed=b"event: content_block_delta\ndata: {this is not json\n\n",
    )


def whole_body(rec: Record, sc: Scenario, provider: Provider, body: Mapping[str, Any]) -> Any:
    """The non-streaming reply: one ``chat.completion`` or ``message`` object."""
    model = str(body.get("model", ""))
    text = sc.full_text
    ptok = sc.prompt_tokens if sc.prompt_tokens is not None else _prompt_tokens(body)
    ctok = sc.completion_tokens if sc.completion_tokens is not None else len(sc.chunks)
    if provider == "openai":
        return {
            "id": f"chatcmpl-wire{rec.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": _OPENAI_FINISH[sc.finish_reason],
                }
            ],
            "usage": {
                "prompt_tokens": ptok,
                "completion_tokens": ctok,
                "total_tokens": ptok + ctok,
            },
        }
    return {
        "id": f"msg_wire{rec.index:06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": _ANTHROPIC_STOP[sc.finish_reason],
        "stop_sequence": None,
        "usage": {"input_tokens": ptok, "output_tokens": ctok},
    }
