"""Regenerate, edit and browse answers without losing any: "answer 1 of 2".

Every answer to one prompt stays reachable in ``Turn.versions`` (oldest first, one list
shared by all of them). Regenerating adds a version; editing the last prompt adds a version
too and remembers on each answer the prompt it replied to (``Turn.answered``), so showing an
older version brings its prompt back: an edit can be undone by going back one version. Only
the last exchange changes; the turns above stay as they are.

The ``Turn`` objects are never copied or changed in place here, only swapped in the
conversation's list, so the metrics log (which holds the same objects) keeps every answer.
"""

from __future__ import annotations

from chat_core.conversation import Conversation, Turn


def last_answer(conv: Conversation) -> Turn | None:
    """The assistant turn that ends the chat, if it ends with one after a prompt."""
    turns = conv.turns
    if len(turns) >= 2 and turns[-1].role == "assistant" and turns[-2].role == "user":
        return turns[-1]
    return None


def position(turn: Turn) -> tuple[int, int]:
    """(this answer's number, how many answers) counting from 1: (1, 1) without versions."""
    if not turn.versions:
        return 1, 1
    return turn.versions.index(turn) + 1, len(turn.versions)


def label(turn: Turn) -> str:
    """ "answer 1 of 2", or "" when there is only one answer."""
    number, count = position(turn)
    return f"answer {number} of {count}" if count > 1 else ""


def set_aside_last_answer(conv: Conversation) -> None:
    """Take the last answer off the chat now (a Regenerate or Edit callback, before the run
    that streams the new answer draws the page); the next ``start_new_version`` for the
    same prompt makes it a version of the new answer."""
    previous = last_answer(conv)
    if previous is None:
        return
    conv.turns.pop()
    conv.set_aside = (conv.turns[-1].id, previous)


def _previous_answer(conv: Conversation) -> Turn | None:
    previous = last_answer(conv)
    if previous is None and conv.set_aside is not None and conv.turns:
        prompt_id, answer = conv.set_aside
        if conv.turns[-1].id == prompt_id:
            previous = answer
    return previous


def start_new_version(conv: Conversation, *, provider: str | None, model: str | None) -> Turn:
    """A new, empty answer in status "streaming" (to be filled in place) at the end of the
    chat. The answer it replaces (the chat's last answer, or the one set aside for this
    prompt) stays reachable as an earlier version, unless it has no text at all (a failure
    with nothing received is not worth paging back to). After a plain prompt it is simply
    the first answer."""
    previous = _previous_answer(conv)
    conv.set_aside = None
    if previous is not None and last_answer(conv) is previous:
        conv.turns.pop()
    new = conv.add_assistant(provider=provider, model=model)
    if previous is None:
        return new
    versions = previous.versions or [previous]
    if not previous.content.strip():
        versions.remove(previous)
        previous.versions = []
    if versions:
        versions.append(new)
        for turn in versions:
            turn.versions = versions
    if any(t.answered is not None for t in versions):
        new.answered = _prompt(conv).content
    return new


def edit_last_prompt(conv: Conversation, text: str) -> None:
    """Replace the last prompt's text with ``text`` (its attachments stay) and set its
    answer aside; the caller then streams a new answer (``start_new_version``, now or in the
    next run). The previous answer keeps the prompt it answered, so showing it again
    restores that prompt. Raises ``ValueError`` when the chat has no prompt."""
    prompt = _prompt(conv)
    previous = _previous_answer(conv)
    if previous is not None:
        for version in previous.versions or [previous]:
            if version.answered is None:
                version.answered = prompt.content
    prompt.content = text
    set_aside_last_answer(conv)


def show_version(conv: Conversation, number: int) -> Turn:
    """Show answer ``number`` (from 1) of the last answer's versions instead of the current
    one, and its prompt if it answered a different one. Returns the answer now shown; an
    out-of-range number changes nothing."""
    current = last_answer(conv)
    if current is None or not current.versions:
        raise ValueError("the last answer has no other versions")
    if not 1 <= number <= len(current.versions):
        return current
    chosen = current.versions[number - 1]
    conv.turns[-1] = chosen
    if chosen.answered is not None:
        _prompt(conv).content = chosen.answered
    return chosen


def _prompt(conv: Conversation) -> Turn:
    index = conv.last_user_index()
    if index is None:
        raise ValueError("the chat has no prompt")
    return conv.turns[index]
