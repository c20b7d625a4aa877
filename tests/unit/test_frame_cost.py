"""Frame spacing by cost (chat_core/frame_cost.py): short tails go out at the floor, long live
blocks are re-sent less often, never past the cap; the block feed keeps the tail length."""

from __future__ import annotations

import pytest

from chat_core.frame_cost import FrameCost
from chat_core.render import BlockFeed


def cost_at(rate_chars_per_s: float, tail_chars: int) -> float:
    now = [0.0]
    cost = FrameCost(floor_s=0.1, cap_s=0.25, clock=lambda: now[0])
    cost.sent(10)
    now[0] = 0.1
    cost.sent(int(rate_chars_per_s * 0.1))
    cost.tail_chars = tail_chars
    return cost.interval()


def test_before_the_rate_is_known_frames_go_at_the_floor() -> None:
    assert FrameCost(floor_s=0.1).interval() == 0.1


def test_the_interval_grows_with_the_live_tail_until_the_cap() -> None:
    assert cost_at(2000, 0) == 0.1  # a new block: fast updates
    assert cost_at(2000, 400) == pytest.approx((400 + 120) / 2 / 2000)  # frame bytes <= 3x new text
    assert cost_at(2000, 5000) == 0.25  # a long table: at most 4 re-sends a second
    assert cost_at(300, 300) == 0.25  # a model's real pace: capped, still several updates a second


def test_the_block_feed_reports_the_length_of_the_live_tail() -> None:
    cost = FrameCost()
    feed = BlockFeed(cost)
    seen = []
    for raw in ["# Title\n\nfirst para", "graph goes on", "\n\nsecond"]:
        feed.feed(raw)
        seen.append(cost.tail_chars)
    feed.finish()
    assert seen == [len("first para"), len("first paragraph goes on"), len("second")]
    assert cost.tail_chars == len("second")
