"""The SSE API's ``chat_id``: the prompt and the answer are appended to a stored chat, the
model gets the stored history; unknown or malformed ids are "Chat not found"."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from chat_core.conversation import Conversation
from chat_core.http_api import ChatApi
from chat_core.store import Store, open_store
from chat_core.store_convert import stored_turn
from chat_core.store_saver import writer_for
from chat_core.store_types import LOCAL_OWNER, new_chat_id
from chat_core.types import StreamStatus

TOKEN = "t" * 32


@pytest.fixture
def client(database: str) -> TestClient:
    api = ChatApi(token=TOKEN)
    return TestClient(Starlette(routes=api.routes()), headers={"Authorization": f"Bearer {TOKEN}"})


def _stored_chat(database: str) -> str:
    store = open_store(database)
    chat = store.create_chat(LOCAL_OWNER, title="earlier")
    assert chat is not None
    conv = Conversation()
    store.save_turn(LOCAL_OWNER, chat.id, stored_turn(conv.add_user("My name is Ada.")))
    answer = conv.add_assistant(provider="demo", model="demo-1")
    answer.content, answer.status = "Hello Ada.", StreamStatus.COMPLETE
    store.save_turn(LOCAL_OWNER, chat.id, stored_turn(answer))
    return chat.id


def test_an_api_answer_is_appended_to_the_stored_chat(client: TestClient, database: str) -> None:
    chat_id = _stored_chat(database)
    response = client.post(
        "/api/chat", json={"prompt": "What is my name?", "provider": "demo", "chat_id": chat_id}
    )
    assert response.status_code == 200
    assert writer_for(open_store(database)).flush(5)
    stored = None
    for _ in range(100):  # the answer's final save is queued as it ends, off the response
        stored = Store(database).get_chat(LOCAL_OWNER, chat_id)
        if stored is not None and stored.turns[-1].status is not StreamStatus.STREAMING:
            break
        time.sleep(0.05)
    assert stored is not None
    turns = [(t.role, t.status) for t in stored.turns]
    assert turns[2:] == [("user", StreamStatus.COMPLETE), ("assistant", StreamStatus.COMPLETE)]
    assert stored.turns[2].content == "What is my name?"
    # The demo numbers its answers by the prompts it was sent: the stored history went too.
    assert "(turn 2)" in stored.turns[3].content


@pytest.mark.parametrize("chat_id", ["not-an-id", None])
def test_an_unknown_or_malformed_chat_id_is_chat_not_found(
    client: TestClient, chat_id: str | None
) -> None:
    wanted = chat_id or new_chat_id()
    response = client.get(
        "/api/stream", params={"prompt": "hi", "provider": "demo", "chat_id": wanted}
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Chat not found."
