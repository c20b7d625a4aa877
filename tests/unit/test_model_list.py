"""Model lists from the provider (real SDKs against the local wire server), the cache and the
offline fallback."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest

from chat_core.config import MODELS, ProviderSettings
from chat_core.model_list import (
    ListedModel,
    Listing,
    ModelCatalog,
    cache_key,
    describe_failure,
    fetch_models,
    model_options,
)
from chat_core.models import learn, profile
from tests.servers import free_port
from tests.wire_server import WireServer

TODAY = dt.date(2026, 11, 29)


def settings_for(name: str, wire: WireServer, key: str = "sk-test") -> ProviderSettings:
    url = wire.anthropic_base_url if name == "anthropic" else wire.openai_base_url
    return ProviderSettings(name, key, url)


@pytest.mark.parametrize("name", ["openai", "anthropic", "openai-compatible"])
def test_each_provider_lists_its_models_through_its_sdk(name: str, wire: WireServer) -> None:
    wire.models = ["gpt-6-luna", "claude-sonnet-5-5", "llama3.2:latest"]
    listed = [m.id for m in fetch_models(settings_for(name, wire))]
    assert listed == ["gpt-6-luna", "claude-sonnet-5-5", "llama3.2:latest"]
    (request,) = wire.model_listings
    assert request.path == "/v1/models"
    assert wire.requests == []  # listings are not chat requests


def test_openai_listing_leaves_out_models_that_do_not_chat(wire: WireServer) -> None:
    wire.models = ["gpt-6-luna", "text-embedding-3-small", "whisper-1", "tts-1", "dall-e-3"]
    assert [m.id for m in fetch_models(settings_for("openai", wire))] == ["gpt-6-luna"]
    # A compatible server's list is shown as it is: its names are its own.
    compatible = fetch_models(settings_for("openai-compatible", wire))
    assert len(compatible) == 5


def test_a_listing_is_cached_per_provider_url_and_key(wire: WireServer) -> None:
    catalog = ModelCatalog()
    first = catalog.lookup(settings_for("openai", wire), wait_s=10)
    assert first.models is not None and not first.pending
    again = catalog.lookup(settings_for("openai", wire), wait_s=10)
    assert again is first
    assert len(wire.model_listings) == 1
    catalog.lookup(settings_for("openai", wire, key="sk-other"), wait_s=10)
    catalog.lookup(settings_for("anthropic", wire), wait_s=10)
    assert len(wire.model_listings) == 3


def test_an_expired_listing_is_fetched_again(wire: WireServer) -> None:
    catalog = ModelCatalog(ttl_s=0.0)
    catalog.lookup(settings_for("openai", wire), wait_s=10)
    wire.models = ["gpt-6-luna", "a-new-model"]
    stale = catalog.lookup(settings_for("openai", wire), wait_s=10)
    assert stale.models is not None
    assert [m.id for m in stale.models] == ["gpt-6-luna", "a-new-model"]
    assert len(wire.model_listings) == 2


def test_the_cache_key_holds_no_api_key() -> None:
    key = cache_key(ProviderSettings("openai", "sk-secret-123", "http://127.0.0.1:1/v1"))
    assert all("sk-secret" not in part for part in key)
    assert key != cache_key(ProviderSettings("openai", "sk-secret-456", "http://127.0.0.1:1/v1"))
    assert key == cache_key(ProviderSettings("openai", "sk-secret-123", "http://127.0.0.1:1/v1"))


def test_an_unreachable_server_falls_back_to_the_built_in_suggestions() -> None:
    catalog = ModelCatalog()
    dead = ProviderSettings("openai", "sk-test", f"http://127.0.0.1:{free_port()}/v1")
    listing = catalog.lookup(dead, wait_s=10)
    assert listing.models is None and not listing.pending
    assert listing.error == "Could not reach OpenAI to list its models."
    assert model_options("openai", listing, today=TODAY) == list(MODELS["openai"])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A base URL whose server accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


def test_a_slow_server_does_not_hold_the_page(silent_server: str) -> None:
    catalog = ModelCatalog()
    listing = catalog.lookup(ProviderSettings("openai", "sk", silent_server), wait_s=0.05)
    assert listing.pending and listing.models is None and listing.error is None
    # The next run does not start a second fetch while the first is still waiting.
    assert catalog.lookup(ProviderSettings("openai", "sk", silent_server)).pending


def test_a_failure_never_quotes_the_providers_message() -> None:
    class Refused(Exception):
        status_code = 401

    message = describe_failure(Refused("Incorrect API key provided: sk-abc...xyz"), "OpenAI")
    assert message == "OpenAI refused the key when listing models (401)."


def test_options_put_the_known_suggestions_first_and_keep_a_typed_name() -> None:
    listing = Listing(
        models=(
            ListedModel("gpt-7-preview"),
            ListedModel("gpt-4o-mini", end_of_life=dt.date(2027, 1, 14)),
            ListedModel("gpt-6-luna"),
            ListedModel("claude-sonnet-4-5", end_of_life=dt.date(2026, 11, 30)),
            ListedModel("claude-3-opus", retired=True),
        )
    )
    options = model_options("openai", listing, current="my-finetune", today=dt.date(2026, 12, 1))
    # Listed means served, even past its date; a model the provider marks retired is not.
    assert options == [
        "gpt-6-luna",
        "gpt-4o-mini",
        "gpt-7-preview",
        "claude-sonnet-4-5",
        "my-finetune",
    ]


def test_what_the_provider_lists_about_a_model_wins_over_the_table() -> None:
    assert profile("claude-test-listed-9").thinking is False
    learn("claude-test-listed-9", thinking=True, max_output_tokens=32_000, end_of_life=TODAY)
    learned = profile("claude-test-listed-9")
    assert learned.thinking and learned.max_output_tokens == 32_000
    assert learned.end_of_life == TODAY
