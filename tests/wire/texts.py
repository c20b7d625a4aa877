"""Answer texts the scenarios send: long markdown, the HTML-injection answer."""

from __future__ import annotations

HTML_ANSWER = (
    "Here is markup that must be displayed, never executed:\n\n"
    "<script>alert(1)</script>\n\n"
    "An image tag: <img src=x onerror=alert(1)>\n\n"
    "And a link: [click](javascript:alert(1))\n\n"
    "End of the answer."
)

_SECTION_TITLES = (
    "Setting up the environment",
    "Streaming the answer",
    "Handling errors",
    "Measuring latency",
    "Cleaning up",
)


def _markdown_section(i: int) -> str:
    title = _SECTION_TITLES[i % len(_SECTION_TITLES)]
    return (
        f"## {i}. {title}\n\n"
        f"Step {i} keeps the interface responsive while tokens arrive. The client reads the "
        f"stream in a background thread, and the page shows *coalesced frames* instead of "
        f"re-rendering the **whole answer** for every token.\n\n"
        f"- Open the connection with a timeout of {5 + i % 7} seconds\n"
        f"- Read chunks as they arrive and append them to a buffer\n"
        f"- Close the stream when the user presses `Stop`\n\n"
        f"1. Measure the time to first token\n"
        f"2. Measure the lag after the last chunk\n\n"
        f"```python\n"
        f"def step_{i}(values: list[int]) -> int:\n"
        f'    """Sum the squares of the even values."""\n'
        f"    return sum(v * v for v in values if v % 2 == 0)\n"
        f"```\n\n"
        f"| Setting | Value | Notes |\n"
        f"|---------|-------|-------|\n"
        f"| interval | {50 + i % 50} ms | frame pacing |\n"
        f"| retries | {i % 3} | per turn |\n\n"
    )


def long_markdown_text(n_chunks: int, chunk_size: int = 4) -> str:
    """Markdown of exactly ``n_chunks * chunk_size`` characters: an intro, whole numbered
    sections while they fit, then a plain closing paragraph cut to the exact length."""
    if n_chunks < 0:
        raise ValueError("n_chunks must be >= 0")
    target = n_chunks * chunk_size
    text = "# A long answer\n\nHere is a detailed walk-through in several parts.\n\n"
    i = 1
    while True:
        section = _markdown_section(i)
        if len(text) + len(section) > target:
            break
        text += section
        i += 1
    filler = "In summary, keep updates small and close streams you no longer need. " * (
        1 + (target - len(text)) // 60
    )
    return (text + filler)[:target]
