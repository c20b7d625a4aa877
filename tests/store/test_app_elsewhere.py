"""The chat page and answers that stream in another process (two replicas behind a proxy, a
reload that lands on the other one): the page follows the stored answer as it grows, shows its
final status and metrics when it ends, and shows it interrupted, with Retry, once its writer
is gone. "Another process" is another ``Store`` on the same database with its own boot id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from chat_core.conversation import Conversation
from chat_core.metrics import StreamMetrics
from chat_core.store import Store, open_store
from chat_core.store_convert import stored_turn
from chat_core.store_live import LiveTurns
from chat_core.store_saver import AnswerSaver, WriteBehind
from chat_core.store_types import LOCAL_OWNER as ME
from chat_core.types import StreamStatus
from tests.app.conftest import captions, messages, new_app
from ui.background import ELSEWHERE_NOTE

METRICS = StreamMetrics(
    provider="demo",
    model="demo-1",
    status=StreamStatus.COMPLETE,
    started_at=1000.0,
    total_s=2.0,
    ttft_s=0.25,
    streaming_s=1.75,
    chunk_count=10,
    char_count=58,
    input_tokens=5,
    output_tokens=12,
).to_dict(timeline=True)


class OtherProcess:
    """A process answering in the chat ``chat_id`` through its own store and saver."""

    def __init__(self, url: str) -> None:
        self.store = Store(url, boot_id="the-other-replica", live=LiveTurns())
        self.writer = WriteBehind(self.store)
        chat = self.store.create_chat(ME)
        assert chat is not None
        self.chat_id = chat.id
        conv = Conversation()
        self.store.save_turn(ME, chat.id, stored_turn(conv.add_user("What is streaming?")))
        answer = conv.add_assistant(provider="demo", model="demo-1")
        answer.status = StreamStatus.STREAMING
        self.answer_id = answer.id
        self.saver = AnswerSaver(self.writer, ME, chat.id, stored_turn(answer), interval_s=0.0)
        self.saver.start()
        self.says("Streaming is")

    def says(self, text_so_far: str) -> None:
        assert self.saver.update(text_so_far)
        assert self.writer.flush(10)

    def gone(self) -> None:
        """The process dies: no more saves, no more heartbeats; its last beat a minute ago."""
        self.writer.close()
        with self.store._engine.begin() as conn:
            conn.execute(text("UPDATE turns SET heartbeat_at = heartbeat_at - 60"))


@pytest.fixture
def other(database: str) -> Iterator[OtherProcess]:
    process = OtherProcess(database)
    yield process
    process.writer.close()
    process.store.close()


def _open(chat_id: str):  # type: ignore[no-untyped-def]
    at = new_app()
    at.query_params["chat"] = chat_id
    return at.run()


def test_an_answer_streaming_on_another_server_grows_on_the_page_and_ends_complete(
    database: str, other: OtherProcess
) -> None:
    at = _open(other.chat_id)
    assert not at.exception
    assert messages(at)[-1] == ("assistant", "Streaming is")
    assert any(ELSEWHERE_NOTE in c for c in captions(at))
    assert not any("Stopped" in c or "Interrupted" in c for c in captions(at))

    other.says("Streaming is sending the answer while it is written.")
    at.run()  # what the page's one-second re-read does
    assert messages(at)[-1] == ("assistant", "Streaming is sending the answer while it is written.")

    other.saver.finish(
        "Streaming is sending the answer while it is written. Done.",
        StreamStatus.COMPLETE,
        finish_reason="stop",
        metrics=METRICS,
    )
    assert other.writer.flush(10)
    at.run()
    assert not at.exception
    assert messages(at)[-1][1].endswith("Done.")
    assert any("Complete" in c and "TTFT 0.25 s" in c for c in captions(at))
    assert not any(ELSEWHERE_NOTE in c for c in captions(at))
    answer = at.session_state["conversation"].turns[-1]
    assert answer.status == StreamStatus.COMPLETE and answer.metrics is not None
    # The page never wrote the other process's answer back.
    stored = open_store(database).get_turn(ME, other.chat_id, other.answer_id)
    assert stored is not None and stored.status == StreamStatus.COMPLETE


def test_an_answer_whose_server_went_away_becomes_interrupted_with_retry(
    database: str, other: OtherProcess
) -> None:
    at = _open(other.chat_id)
    assert any(ELSEWHERE_NOTE in c for c in captions(at))

    other.gone()
    at.run()
    assert not at.exception
    assert messages(at)[-1] == ("assistant", "Streaming is")
    assert any("Interrupted" in c for c in captions(at))
    at.button(key=f"retry-{other.answer_id}").click().run()
    assert not at.exception
    answer = at.session_state["conversation"].turns[-1]
    assert answer.status == StreamStatus.COMPLETE and "What is streaming" in answer.content


def test_a_reload_after_the_server_died_shows_interrupted_at_once(
    database: str, other: OtherProcess
) -> None:
    other.gone()
    at = _open(other.chat_id)
    assert not at.exception
    assert messages(at)[-1] == ("assistant", "Streaming is")
    assert any("Interrupted" in c for c in captions(at))
    assert at.button(key=f"retry-{other.answer_id}")
