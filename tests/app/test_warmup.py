"""The import warm-up puts the chosen provider's SDK first and never competes with an answer."""

from __future__ import annotations

import logging

import pytest

from chat_core.config import ProviderSettings
from chat_core.providers import _sdk_provider, make_provider
from ui.warmup import _warm, modules_for


def test_the_current_providers_sdk_is_warmed_first() -> None:
    order = modules_for("anthropic")
    assert order[0] == "chat_core.providers.anthropic"
    assert order.index("httpcore2") < order.index("pandas")
    assert order.index("chat_core.providers.openai") < order.index("altair")
    assert len(order) == len(set(order))


def test_demo_mode_still_warms_both_sdks() -> None:
    order = modules_for("demo")
    assert {"chat_core.providers.openai", "chat_core.providers.anthropic"} <= set(order)


def test_the_warm_up_builds_the_client_the_first_answer_uses() -> None:
    settings = ProviderSettings("openai", "sk-warm-up-test", "http://127.0.0.1:9/v1")
    _warm(["chat_core.providers.openai"], settings)
    before = _sdk_provider.cache_info()
    make_provider(settings)  # what the first answer does
    after = _sdk_provider.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_a_warm_up_without_a_key_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ui.warmup"):
        _warm(["chat_core.providers.anthropic"], ProviderSettings("anthropic"))
    assert not caplog.records  # the missing key is the person's to see when sending


def test_the_warm_up_waits_while_an_answer_streams() -> None:
    import threading

    from ui import warmup

    finished = threading.Event()
    with warmup.answering():
        thread = threading.Thread(
            target=lambda: (warmup._warm(["json"], ProviderSettings("demo")), finished.set())
        )
        thread.start()
        assert not finished.wait(0.3)  # held back while the answer streams
    thread.join(5)
    assert finished.is_set()


def test_the_price_data_is_loaded_before_the_first_answer_is_priced() -> None:
    import sys

    order = modules_for("openai")
    assert order.index("chat_core.cost") < order.index("altair")
    _warm(["chat_core.cost"], ProviderSettings("demo"))
    assert "genai_prices.data_snapshot" in sys.modules
