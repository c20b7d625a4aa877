"""A second process using the store: ``python -m tests.store.store_process URL OWNER CMD [ARG]``.

Commands: ``write TITLE`` (a chat with one prompt and one answer; prints its id), ``list``
(prints the titles, newest first, as JSON), ``open ID`` (prints the messages as JSON),
``stream`` (a chat whose answer streams "Half an answer" and never ends; prints the chat id
once it is stored, then waits to be killed).
"""

from __future__ import annotations

import json
import sys
import threading

from chat_core.store import Store
from chat_core.store_saver import AnswerSaver, WriteBehind
from chat_core.store_types import StoredTurn
from chat_core.types import StreamStatus


def main(argv: list[str]) -> int:
    url, owner, command, *args = argv
    store = Store(url)
    try:
        if command == "write":
            chat = store.create_chat(owner)
            assert chat is not None
            store.append_turn(owner, chat.id, "user", args[0])
            store.append_turn(owner, chat.id, "assistant", f"answer to {args[0]}")
            print(chat.id)
        elif command == "list":
            print(json.dumps([c.title for c in store.list_chats(owner)]))
        elif command == "stream":
            chat = store.create_chat(owner)
            assert chat is not None
            writer = WriteBehind(store)
            turn = StoredTurn("answer1", "assistant", "", StreamStatus.STREAMING, 1.0, 1.0)
            saver = AnswerSaver(writer, owner, chat.id, turn, interval_s=0.0)
            saver.start()
            saver.update("Half an answer")
            assert writer.flush(30)
            print(chat.id, flush=True)
            threading.Event().wait()
        elif command == "open":
            chat_found = store.get_chat(owner, args[0])
            turns = [] if chat_found is None else [[t.role, t.content] for t in chat_found.turns]
            print(json.dumps(turns))
        else:
            return 2
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
