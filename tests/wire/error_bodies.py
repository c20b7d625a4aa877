"""Each provider's HTTP error bodies, as the real APIs send them."""

from __future__ import annotations

from typing import Any

# status -> (type, code, param, message); {model} is filled in.
_OPENAI_ERRORS: dict[int, tuple[str, str | None, str | None, str]] = {
    400: (
        "invalid_request_error",
        "context_length_exceeded",
        "messages",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 131072 tokens. Please reduce the length of the messages.",
    ),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        None,
        "Incorrect API key provided: sk-test. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        None,
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        None,
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    413: ("invalid_request_error", None, None, "Request too large."),
    429: (
        "requests",
        "rate_limit_exceeded",
        None,
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 1s.",
    ),
    500: (
        "server_error",
        None,
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, None, "Bad gateway."),
    503: (
        "server_error",
        None,
        None,
        "The engine is currently overloaded, please try again later.",
    ),
    504: ("server_error", None, None, "Gateway timeout."),
    529: ("server_error", None, None, "The server is overloaded, please try again later."),
}
_OPENAI_CODE_MESSAGES = {
    "context_length_exceeded": _OPENAI_ERRORS[400][3],
    "model_not_found": _OPENAI_ERRORS[404][3],
    "invalid_api_key": _OPENAI_ERRORS[401][3],
    "rate_limit_exceeded": _OPENAI_ERRORS[429][3],
    "insufficient_quota": "You exceeded your current quota, please check your plan and "
    "billing details.",
}

# status -> (type, message)
_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests "
        "per minute. Please try again later.",
    ),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def openai_error_body(
    status: int, *, code: str | None = None, message: str | None = None, model: str = "gpt-test"
) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
    default = _OPENAI_ERRORS.get(
        status,
        (
            "server_error" if status >= 500 else "invalid_request_error",
            None,
            None,
            f"HTTP {status}",
        ),
    )
    etype, dcode, param, dmsg = default
    if code is not None and code != dcode:
        dmsg = _OPENAI_CODE_MESSAGES.get(code, dmsg)
        param = "messages" if code == "context_length_exceeded" else None
    msg = message if message is not None else dmsg.replace("{model}", model)
    return {
        "error": {
            "message": msg,
            "type": etype,
            "param": param,
            "code": code if code is not None else dcode,
        }
    }


def anthropic_error_body(
    status: int,
    *,
    message: str | None = None,
    model: str = "claude-test",
    request_id: str = "req_wire",
) -> dict[str, Any]:
    """``{"type": "error", "error": {"type", "message"}, "request_id"}`` as Anthropic sends it."""
    etype, dmsg = _ANTHROPIC_ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", f"HTTP {status}")
    )
    msg = message if message is not None else dmsg.replace("{model}", model)
    return {"type": "error", "error": {"type": etype, "message": msg}, "request_id": request_id}
