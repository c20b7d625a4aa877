"""The warm-up loads what the first answer needs before it, and never competes with an answer."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chat_core.config import ProviderSettings
from chat_core.providers import _sdk_provider, make_provider
from tests.wire_server import WireServer
from ui import warmup

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: what the first answer after ``streamlit run app.py`` finds loaded.
FIRST_ANSWER = """
import json, sys
from streamlit.testing.v1 import AppTest

at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.secrets["STREAMCHAT_TEST"] = "1"
at.run()  # the first run of the process: the page, then the answer path's warm-up
from ui import warmup

loaded_before_prompt = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2:])
before = set(sys.modules)
at.chat_input[0].set_value("hello #wire:rate:50:0").run()
print(json.dumps({
    "prepared": warmup.wait_for_answer_path(0),
    "loaded_before_prompt": loaded_before_prompt,
    "imported_during_answer": sorted(set(sys.modules) - before),
    "answer": at.chat_message[-1].markdown[0].value if at.chat_message else "",
    "exception": bool(at.exception),
}))
"""

HEAVY = ("openai", "anthropic", "httpx2", "httpcore2", "h11", "trio", "genai_prices")
"""Top-level packages whose first import costs the answer path 0.1-1 s of CPU."""


def test_the_first_answer_of_a_fresh_process_imports_nothing_heavy(
    wire: WireServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-warm-up-test",
        "OPENAI_BASE_URL": wire.openai_base_url,
        "ANTHROPIC_API_KEY": "",
        "STREAMCHAT_ALLOW_PRIVATE_BASE_URLS": "true",
        "STREAMCHAT_DATABASE_URL": f"sqlite:///{tmp_path / 'chats.db'}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ANSWER, str(ROOT / "app.py"), *HEAVY],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert not got["exception"]
    assert got["answer"]  # the wire server's answer was drawn
    assert got["prepared"]
    # The OpenAI SDK's chat module, the HTTP transport and the price data were all loaded by
    # the first run, before any prompt could be answered...
    assert {"openai.resources.chat.completions", "httpcore2", "genai_prices"} <= set(
        got["loaded_before_prompt"]
    )
    # ... so the first answer imports none of them while it streams (it did: issue 14).
    heavy = [m for m in got["imported_during_answer"] if m.split(".")[0] in HEAVY]
    assert heavy == []


def test_the_current_providers_sdk_is_on_the_answer_path() -> None:
    assert warmup.answer_modules("anthropic")[0] == "chat_core.providers.anthropic"
    assert "chat_core.providers.anthropic" not in warmup.later_modules("anthropic")
    assert "chat_core.providers.openai" in warmup.later_modules("anthropic")
    assert "chat_core.cost" in warmup.answer_modules("openai")  # every answer is priced
    assert "altair" in warmup.later_modules("openai")  # the metrics page only


def test_demo_mode_still_warms_both_sdks_later() -> None:
    order = warmup.later_modules("demo")
    assert {"chat_core.providers.openai", "chat_core.providers.anthropic"} <= set(order)
    assert len(order) == len(set(order))


def test_the_warm_up_builds_the_client_the_first_answer_uses() -> None:
    settings = ProviderSettings("openai", "sk-warm-up-test", "http://127.0.0.1:9/v1")
    warmup._warm_answer_path("openai", settings)
    before = _sdk_provider.cache_info()
    make_provider(settings)  # what the first answer does
    after = _sdk_provider.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_a_warm_up_without_a_key_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ui.warmup"):
        warmup._warm_answer_path("anthropic", ProviderSettings("anthropic"))
    assert not caplog.records  # the missing key is the person's to see when sending


def test_a_failing_warm_up_lets_the_first_run_end(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(provider: str, settings: ProviderSettings | None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(warmup, "_warm_answer_path", broken)
    monkeypatch.setattr(warmup, "_warm_later", lambda names: None)
    monkeypatch.setattr(warmup, "_prepared", threading.Event())
    with caplog.at_level(logging.WARNING, logger="ui.warmup"):
        warmup._warm("openai", None)
    assert warmup.wait_for_answer_path(0)
    assert [r.getMessage() for r in caplog.records] == ["warm-up failed: RuntimeError"]


def test_the_later_imports_wait_while_an_answer_streams_and_a_moment_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(warmup, "QUIET_S", 0.3)
    finished = threading.Event()
    with warmup.answering():
        thread = threading.Thread(target=lambda: (warmup._warm_later(["json"]), finished.set()))
        thread.start()
        assert not finished.wait(0.3)  # held back while the answer streams
    assert not finished.wait(0.1)  # and for QUIET_S after it (its last frame, its footer)
    thread.join(5)
    assert finished.is_set()


def test_the_price_data_is_loaded_before_the_first_answer_is_priced() -> None:
    warmup._warm_answer_path("demo", None)
    assert "genai_prices.data_snapshot" in sys.modules
