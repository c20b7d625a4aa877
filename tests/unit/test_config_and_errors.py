from __future__ import annotations

import pytest

from chat_core import config, errors
from chat_core.providers import make_provider
from chat_core.providers._http import retry_after_s, status_error


def test_no_key_anywhere_means_demo() -> None:
    assert config.default_provider(secrets=None, environ={}) == "demo"


def test_secrets_beat_environment_and_arguments_beat_secrets() -> None:
    env = {"OPENAI_API_KEY": "env-key"}
    secrets = {"OPENAI_API_KEY": "secret-key"}
    assert config.resolve("openai", secrets=secrets, environ=env).api_key == "secret-key"
    assert config.resolve("openai", environ=env).key_source == "environment"
    chosen = config.resolve("openai", api_key="typed", secrets=secrets, environ=env)
    assert (chosen.api_key, chosen.key_source) == ("typed", "argument")
    assert config.default_provider(environ=env) == "openai"


def test_settings_repr_never_shows_the_key() -> None:
    settings = config.resolve("anthropic", api_key="sk-ant-secret-value", environ={})
    assert "sk-ant-secret-value" not in repr(settings)


def test_compatible_defaults_to_ollama_and_bad_urls_are_refused() -> None:
    assert config.resolve("openai-compatible", environ={}).base_url == "http://localhost:11434/v1"
    with pytest.raises(errors.ConfigurationError, match="not a valid base URL"):
        config.resolve("openai-compatible", base_url="localhost:11434", environ={})


def test_unknown_provider_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError, match="Unknown provider"):
        config.resolve("gemini", environ={})


def test_missing_key_says_where_to_put_one() -> None:
    with pytest.raises(errors.ConfigurationError, match="secrets.toml"):
        make_provider(config.resolve("openai", environ={}))


@pytest.mark.parametrize(
    ("provider", "value", "ok"),
    [("anthropic", 1.5, False), ("openai", 1.5, True), ("openai", -0.1, False)],
)
def test_temperature_range_follows_the_provider(provider: str, value: float, ok: bool) -> None:
    if ok:
        config.check_temperature(provider, value)
    else:
        with pytest.raises(errors.ConfigurationError, match="out of range"):
            config.check_temperature(provider, value)


@pytest.mark.parametrize(
    ("status", "code", "kind", "needle"),
    [
        (401, None, errors.AuthenticationFailed, "rejected the API key"),
        (403, None, errors.PermissionDenied, "not allowed"),
        (404, "model_not_found", errors.ModelNotFound, "Model 'gpt-5x' does not exist"),
        (400, "context_length_exceeded", errors.ContextTooLong, "too long"),
        (429, None, errors.RateLimited, "Rate limited by OpenAI — try again in 20 s"),
        (500, None, errors.ProviderUnavailable, "server error (500)"),
        (529, "overloaded_error", errors.ProviderUnavailable, "overloaded"),
    ],
)
def test_status_errors_read_as_plain_language(
    status: int, code: str | None, kind: type, needle: str
) -> None:
    error = status_error(
        status,
        provider="OpenAI",
        model="gpt-5x",
        detail=None,
        code=code,
        headers={"retry-after": "20"},
    )
    assert isinstance(error, kind)
    assert needle in error.user_message
    assert error.status == status
    assert error.retryable is (status in (429, 500, 529))


def test_retry_after_forms() -> None:
    assert retry_after_s({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_s({"retry-after": "3"}) == 3.0
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s(None) is None
