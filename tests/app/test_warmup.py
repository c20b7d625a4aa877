"""The import warm-up puts the streaming path and the chosen provider's SDK first."""

from __future__ import annotations

from ui.warmup import modules_for


def test_the_current_providers_sdk_is_warmed_right_after_the_streaming_path() -> None:
    order = modules_for("anthropic")
    assert order[:3] == ["pandas", "pyarrow", "streamlit.elements.write"]
    assert order[3] == "chat_core.providers.anthropic"
    assert order.index("chat_core.providers.openai") < order.index("altair")
    assert len(order) == len(set(order))


def test_demo_mode_still_warms_both_sdks() -> None:
    order = modules_for("demo")
    assert {"chat_core.providers.openai", "chat_core.providers.anthropic"} <= set(order)
