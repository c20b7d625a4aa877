"""Voice prompts: a recording turned into text by OpenAI's transcription API.

Used only when an OpenAI key is configured (``available``); without one the chat box offers
no microphone. The recording stays in memory and goes only to the configured OpenAI base URL,
with the OpenAI key. SDK errors become ``ChatError`` here, as at the provider boundary.

Source: OpenAI "Speech to text" guide, ``client.audio.transcriptions.create(model=...,
file=(name, bytes, media type))`` returning an object with ``text``; Streamlit's chat input
records WAV (16 kHz by default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from chat_core.config import resolve
from chat_core.errors import ChatError, ConfigurationError, ProtocolError

MODEL_VAR = "STREAMCHAT_TRANSCRIBE_MODEL"
DEFAULT_MODEL = "gpt-4o-mini-transcribe"
MAX_AUDIO_BYTES = 25 * 1024 * 1024
"""OpenAI's upload limit for transcriptions."""
TIMEOUT_S = 60.0


def available(secrets: Mapping[str, Any] | None = None) -> bool:
    """Whether an OpenAI key is configured (secrets, then the environment)."""
    try:
        return resolve("openai", secrets=secrets).api_key is not None
    except ConfigurationError:  # a malformed OPENAI_BASE_URL: no microphone
        return False


def transcribe(
    audio: bytes,
    *,
    filename: str = "prompt.wav",
    media_type: str = "audio/wav",
    secrets: Mapping[str, Any] | None = None,
    model: str | None = None,
) -> str:
    """The words spoken in ``audio`` (stripped; "" for silence). Raises ``ChatError`` in plain
    words: no key, a recording that is empty or too long, a refusal or an unreachable server."""
    if not audio:
        raise ChatError("The recording is empty; nothing was sent.", provider="OpenAI")
    if len(audio) > MAX_AUDIO_BYTES:
        raise ChatError("The recording is too long to transcribe (25 MB at most).")
    settings = resolve("openai", secrets=secrets)
    if settings.api_key is None:
        raise ConfigurationError(
            "Voice prompts need an OpenAI key (OPENAI_API_KEY in secrets or the environment).",
            provider="OpenAI",
        )
    # Imported here: the chat page imports this module for ``available`` on every start, and
    # the SDK costs a few hundred ms to load.
    import openai

    from chat_core.providers._http import sdk_status_error, transport_error

    chosen = model or os.environ.get(MODEL_VAR, "").strip() or DEFAULT_MODEL
    client = openai.OpenAI(api_key=settings.api_key, base_url=settings.base_url, max_retries=1)
    try:
        result = client.audio.transcriptions.create(
            model=chosen, file=(filename, audio, media_type), timeout=TIMEOUT_S
        )
    except openai.APIStatusError as exc:
        raise sdk_status_error(exc, provider="OpenAI", model=chosen) from exc
    except openai.APIError as exc:  # connection refused, timeouts
        raise transport_error(
            exc, provider="OpenAI", base_url=settings.base_url, started=False
        ) from exc
    finally:
        client.close()
    text = getattr(result, "text", None)
    if not isinstance(text, str):
        raise ProtocolError("OpenAI sent a transcription without text.", provider="OpenAI")
    return text.strip()
