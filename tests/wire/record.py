"""``Record``: one request and what happened to its response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tests.wire.scenarios import Provider, Scenario


@dataclass
class Record:
    """One request and what happened to its response. Live: the handler thread keeps
    updating the response fields while it streams (times are ``time.monotonic()``)."""

    index: int
    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: Any = field(repr=False)
    raw_body: bytes = field(repr=False)
    received_at: float
    received_wall: float
    provider: Provider | None = None
    user_text: str = ""
    scenario: Scenario | None = field(default=None, repr=False)
    source: Literal["queue", "trigger", "default"] | None = None
    stream: bool = False
    status: int | None = None
    chunks_sent: int = 0
    first_chunk_at: float | None = None
    completed: bool = False
    dropped: bool = False
    disconnected: bool = False
    disconnected_at: float | None = None
    finished_at: float | None = None
    events: list[str] = field(default_factory=list)
    client_port: int = 0
    """The client's TCP port: equal ports on two requests mean a reused connection."""

    @property
    def json(self) -> Any:
        return self.body
