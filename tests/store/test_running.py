"""Answers that outlive their page (chat_core/running.py): the registry saves them, a page that
goes away leaves them running (bounded), a person's interruption stops them at once, and a
second page reads the same stream without a second request."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from chat_core.conversation import Conversation, Turn
from chat_core.running import RunningAnswer, RunningAnswers
from chat_core.store import Store
from chat_core.store_saver import WriteBehind
from chat_core.store_types import LOCAL_OWNER as ME
from chat_core.stream import NO_RETRY, ChatStream
from chat_core.types import ChatRequest, Message, StreamStatus, TextDelta, UpstreamEvent


class GatedUpstream:
    """Sends "Hello", then waits for ``gate`` (or ``close()``), then " world"."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[UpstreamEvent]:
        yield TextDelta("Hello")
        while not self.gate.wait(0.01):
            if self.closed.is_set():
                return
        yield TextDelta(" world")

    def close(self) -> None:
        self.closed.set()


class GatedProvider:
    name = "demo"
    label = "Gated"
    default_model = "demo-1"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.requests = 0

    def open(self, request: ChatRequest) -> GatedUpstream:
        self.requests += 1
        return GatedUpstream(self.gate)


def _answer(
    store: Store, registry: RunningAnswers, **kwargs: object
) -> tuple[GatedProvider, RunningAnswer, Turn, ChatStream]:
    chat = store.create_chat(ME, system=None)
    conv = Conversation()
    conv.add_user("hi")
    turn = conv.add_assistant(provider="demo", model="demo-1")
    provider = GatedProvider()
    request = ChatRequest(messages=(Message("user", "hi"),), model="demo-1")
    stream = ChatStream(provider, request, retry=NO_RETRY).start()
    writer = WriteBehind(store)
    entry = registry.start(chat.id, turn, stream, writer=writer, owner=ME, **kwargs)  # type: ignore[arg-type]
    return provider, entry, turn, stream


def _stored(
    store: Store, registry: RunningAnswers, entry: RunningAnswer
) -> tuple[str, StreamStatus]:
    entry.stream.wait(5)
    registry.finish(entry)
    assert entry.saver is not None
    entry.saver._writer.flush(5)
    chat = store.get_chat(ME, entry.chat_id)
    assert chat is not None
    answer = chat.turns[-1]
    return answer.content, answer.status


def _wait_text(stream: ChatStream, text: str) -> None:
    for _ in range(500):
        if stream.text == text:
            return
        threading.Event().wait(0.01)
    raise AssertionError(stream.text)


def test_a_page_that_went_away_leaves_its_answer_running_and_it_is_stored(store: Store) -> None:
    registry = RunningAnswers()
    provider, entry, _, stream = _answer(store, registry)
    _wait_text(stream, "Hello")
    registry.leave(entry, gone=True)
    assert registry.background() == 1
    provider.gate.set()
    assert _stored(store, registry, entry) == ("Hello world", StreamStatus.COMPLETE)
    assert provider.requests == 1


def test_a_persons_interruption_stops_the_answer_at_once(store: Store) -> None:
    registry = RunningAnswers()
    _, entry, _, stream = _answer(store, registry, kept=lambda: 3)
    _wait_text(stream, "Hello")
    registry.leave(entry, gone=False)
    assert stream.cancelled
    assert _stored(store, registry, entry) == ("Hel", StreamStatus.STOPPED)


def test_stop_answers_when_i_leave_stores_the_answer_stopped(store: Store) -> None:
    registry = RunningAnswers()
    _, entry, _, stream = _answer(store, registry, stop_on_leave=True)
    _wait_text(stream, "Hello")
    registry.leave(entry, gone=True)
    assert stream.cancelled
    assert _stored(store, registry, entry) == ("Hello", StreamStatus.STOPPED)


def test_background_answers_are_bounded_per_process(store: Store) -> None:
    registry = RunningAnswers(max_background=1)
    first, one_entry, _, one = _answer(store, registry)
    second, two_entry, _, two = _answer(store, registry)
    _wait_text(one, "Hello")
    _wait_text(two, "Hello")
    for entry in (one_entry, two_entry):
        registry.leave(entry, gone=True)
    assert [one.cancelled, two.cancelled] == [False, True]
    first.gate.set()
    assert one.wait(5).status == StreamStatus.COMPLETE


def test_a_second_page_reads_the_same_answer_and_one_page_leaving_changes_nothing(
    store: Store,
) -> None:
    registry = RunningAnswers()
    provider, started, turn, stream = _answer(store, registry)
    entry = registry.find(started.chat_id, turn.id)
    assert entry is started and entry.stream is stream
    registry.join(entry)
    registry.leave(entry, gone=True)  # the first tab closes
    assert not stream.cancelled and registry.background() == 0
    provider.gate.set()
    assert stream.wait(5).text == "Hello world"
    assert provider.requests == 1
    assert _stored(store, registry, entry) == ("Hello world", StreamStatus.COMPLETE)


def test_progress_is_stored_while_it_streams(store: Store) -> None:
    registry = RunningAnswers(save_interval_s=0.0)
    provider, entry, _, stream = _answer(store, registry)
    _wait_text(stream, "Hello")
    registry.tick()
    assert entry.saver is not None and entry.saver._writer.flush(5)
    chat = store.get_chat(ME, entry.chat_id)
    assert chat is not None
    assert (chat.turns[-1].content, chat.turns[-1].status) == ("Hello", StreamStatus.STREAMING)
    provider.gate.set()
    assert _stored(store, registry, entry) == ("Hello world", StreamStatus.COMPLETE)
