"""Realistic model answers in markdown, and ways to chop them into streamed pieces."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

HOWTO = """# Deploying the app

This guide shows the **three** steps. It assumes Python 3.11
and a shell.

1. Install the dependencies:

   ```bash
   pip install -r requirements.txt

   # then check
   pip check
   ```

2. Configure the secrets.

   - `OPENAI_API_KEY` for OpenAI
   - `ANTHROPIC_API_KEY` for Anthropic

     Either one is enough.

3. Run it:

       streamlit run app.py

That's all.

```python
def main() -> None:
    print("hello")


if __name__ == "__main__":
    main()
```

~~~text
tilde fence

with a blank line
~~~

| Provider  | Streams | Price   |
|-----------|---------|---------|
| OpenAI    | yes     | $5      |
| Anthropic | yes     | $3      |

> **Note:** keep your keys secret.
>
> Rotate them often.

---

Done — enjoy"""

MATH = """## Costs and formulas

The small plan costs $5 a month, the big one $10 and $20 with support.
The formula $x^2 + y^2 = r^2$ holds, and so does \\( a^2 + b^2 = c^2 \\).

The energy is

\\[
E = mc^2
\\]

and inline \\[ \\frac{1}{2} \\] also works.

\\[ \\int_0^1 x \\, dx = \\frac{1}{2} \\]

$$
\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}

\\text{(a blank line inside a math block)}
$$

Use `echo $HOME` or:

```sh
export PRICE=$5
echo "\\(not math\\)"
```

A literal dollar: \\$7, a backslash pair \\\\[2pt] and a last $3.50"""

LISTS = """Some options:

- first option
- second option

- third option, after a blank line

* a star list is another list
* with two items

Then numbers:

1) one
2) two

10) ten

Intro line
1. ordered right after a paragraph
2. second

   continued paragraph of item 2

       indented code inside item 2

3. third
   1. nested one

   2. nested two

Setext heading
==============

    indented code block

    still the same code block

Final paragraph
with a lazy line.


"""

EDGES = """

Leading blank lines above.
   \t
A whitespace-only line above ends the paragraph.

<script>alert(1)</script> and <b>bold</b> stay text.

[link](https://example.com) and [x](javascript:alert(1))

- item

-

- after an empty item
```
unclosed fence at the end

still code"""

DOCUMENTS: dict[str, str] = {"howto": HOWTO, "math": MATH, "lists": LISTS, "edges": EDGES}


def random_chunks(text: str, rng: random.Random, max_size: int) -> list[str]:
    """``text`` cut at random places into pieces of 1..max_size characters."""
    pieces = []
    start = 0
    while start < len(text):
        size = rng.randint(1, max_size)
        pieces.append(text[start : start + size])
        start += size
    return pieces


def token_chunks(text: str) -> list[str]:
    """``text`` cut roughly like model tokens: a word with its leading space, or a symbol."""
    return re.findall(r"\s*\w+|\s*[^\w\s]|\s+", text)


def chunkings(text: str, count: int = 60, seed: int = 0) -> Iterator[list[str]]:
    """Many ways to stream ``text``: whole, one character at a time, tokens, random sizes."""
    yield [text]
    yield list(text)
    yield token_chunks(text)
    rng = random.Random(seed)
    for index in range(count):
        yield random_chunks(text, rng, (2, 3, 5, 8, 40)[index % 5])


def assert_grouped(elements: list[str], blocks: list[str]) -> None:
    """``elements`` are ``blocks`` with runs of consecutive blocks joined: every element ends
    where a block ends (blocks finished within one frame share an element)."""
    index = 0
    for element in elements:
        joined = ""
        while index < len(blocks) and len(joined) < len(element):
            joined += blocks[index]
            index += 1
        assert joined == element, (element, blocks)
    assert index == len(blocks), "elements end before the last block"
