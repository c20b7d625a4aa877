"""The wire server's ``GET /v1/models`` and its refusals of a temperature, kept apart from the
chat scenarios (the server calls ``serve_models`` and ``sampling_refusal`` from one line each).

``GET /v1/models`` answers in OpenAI's list format (``{"object": "list", "data": [...]}``), or
in Anthropic's page format when the request carries ``anthropic-version`` (the anthropic SDK
always sends it), listing ``WireServer.models``. Listings are recorded in
``WireServer.model_listings``, not among the chat requests: the app asks for them in the
background, at any time.

A chat request that sends ``temperature`` to a model that only takes its default gets the
provider's HTTP 400, as the real APIs answer it: OpenAI reasoning models (o-series, gpt-5*,
gpt-6*) ``unsupported_value``; Claude Opus 4.7+ and the Claude 5 generation
"`temperature` is deprecated for this model." (as users report it, e.g.
github.com/altic-dev/FluidVoice/issues/285).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.wire.record import Record
    from tests.wire.scenarios import Scenario

MODELS_PATH = "/v1/models"
DEFAULT_MODELS = (
    "gpt-6-luna",
    "gpt-4o-mini",
    "o4-mini",
    "claude-sonnet-5-5",
    "claude-sonnet-4-6",
)
_REASONING_MODEL = re.compile(r"(o\d|gpt-5|gpt-6)([.-].*)?")
_DEFAULT_ONLY_CLAUDE = re.compile(r"claude-(opus-4-[7-9]|[a-z]+-[5-9])(-.*)?")


@dataclass(frozen=True)
class ModelListing:
    """One ``GET /v1/models`` request: its path and lower-cased headers."""

    path: str
    headers: dict[str, str]


def is_models_path(raw_path: str) -> bool:
    return raw_path.split("?", 1)[0] == MODELS_PATH


def serve_models(h: Any) -> None:
    """Answer ``GET /v1/models`` on the handler ``h`` (an ``http.server`` request handler with
    ``wire``); records the request in ``h.wire.model_listings``."""
    headers = {k.lower(): v for k, v in h.headers.items()}
    h.wire.model_listings.append(ModelListing(h.path.split("?", 1)[0], headers))
    models: list[str] = list(h.wire.models)
    if "anthropic-version" in headers:
        data: list[dict[str, Any]] = [
            {
                "type": "model",
                "id": m,
                "display_name": m,
                "created_at": "2026-06-01T00:00:00Z",
                "lifecycle": "active",
            }
            for m in models
        ]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        body: dict[str, Any] = {"data": data, "has_more": False, "first_id": first, "last_id": last}
    else:
        listed = [
            {"id": m, "object": "model", "created": 1_780_000_000 - i, "owned_by": "wire"}
            for i, m in enumerate(models)
        ]
        body = {"object": "list", "data": listed}
    raw = json.dumps(body).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw)


def sampling_refusal(rec: Record) -> Scenario | None:
    """The provider's 400 when ``temperature`` is sent to a model that only takes its
    default, else None."""
    from tests.wire_server import Scenario

    body = rec.body if isinstance(rec.body, dict) else {}
    model = str(body.get("model", ""))
    if "temperature" not in body:
        return None
    if rec.provider == "anthropic" and _DEFAULT_ONLY_CLAUDE.fullmatch(model):
        error = {
            "type": "invalid_request_error",
            "message": "`temperature` is deprecated for this model.",
        }
        return Scenario.http_error(
            400, body={"type": "error", "error": error}, name="unsupported_temperature"
        )
    if rec.provider != "openai" or not _REASONING_MODEL.fullmatch(model):
        return None
    message = (
        f"Unsupported value: 'temperature' does not support {body['temperature']} with this "
        "model. Only the default (1) value is supported."
    )
    openai_error = {
        "message": message,
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_value",
    }
    return Scenario.http_error(400, body={"error": openai_error}, name="unsupported_temperature")
