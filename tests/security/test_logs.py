"""Finding 3 of "Safe to deploy": no secret and no prompt in any log, under every documented
way to run the API (README "SSE API"): each command is started, sent ordinary, refused,
malformed and failing requests carrying a token and a prompt, and its whole output grepped.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import REPO_ROOT, free_port, server_env
from tests.wire_server import WireServer

TOKEN = "tok-SECRET-4f0c9e1d2b7a"
PROMPT = "PROMPT-MARK-8d3e"
PROVIDER_KEY = "sk-PROVIDER-KEY-51a2b3"

COMMANDS = {
    "streamlit run": [
        sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", "{port}",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ],
    "uvicorn": [
        sys.executable, "-m", "uvicorn", "server:app", "--port", "{port}", "--no-access-log",
    ],
}  # fmt: skip


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [part.format(port=port) for part in command],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text(errors="replace")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/_stcore/health", timeout=1).status_code == 200:
                        break
                time.sleep(0.2)
            yield base, log
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.recv(1000)


def exercise(base: str, wire: WireServer) -> None:
    """Requests of every kind, each carrying the token and the prompt somewhere."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    query = {"prompt": PROMPT, "token": TOKEN}
    port = int(base.rsplit(":", 1)[1])
    calls = [
        lambda: httpx.get(f"{base}/api/stream", params=query, timeout=30),
        lambda: httpx.get(f"{base}/api/stream", params={**query, "token": "wrong"}, timeout=30),
        lambda: httpx.head(f"{base}/api/stream", params=query, timeout=30),
        lambda: httpx.get(f"{base}/api/nowhere", params=query, timeout=30),
        lambda: httpx.get(f"{base}/static/../{PROMPT}", params=query, timeout=30),
        lambda: httpx.post(f"{base}/api/chat", params=query, json={"prompt": PROMPT}, timeout=30),
        lambda: httpx.post(
            f"{base}/api/chat", headers=auth, json={"prompt": f"#wire:500 {PROMPT}"}, timeout=30
        ),
        lambda: httpx.post(
            f"{base}/api/chat",
            headers={**auth, "Content-Type": "application/json"},
            content=b'{"prompt": "' + PROMPT.encode() + b' \\ud800"}',
            timeout=30,
        ),
        lambda: httpx.post(
            f"{base}/api/chat",
            headers={**auth, "Content-Type": "application/json"},
            content=b"[" * 200_000,
            timeout=30,
        ),
        lambda: httpx.post(
            f"{base}/api/chat", headers=auth, content=PROMPT.encode() + b"\xff", timeout=30
        ),
        lambda: raw(port, f"GET /api/stream?token={TOKEN}&prompt={PROMPT} HTTP/1.1\r\n".encode()),
        lambda: raw(port, f"GET /api/stream?token={TOKEN}&prompt={PROMPT}\x00 HTTP/1.1\r\n\r\n".encode()),
        lambda: raw(port, f"BREW /?token={TOKEN}&prompt={PROMPT} HTCPCP/1.0\r\n\r\n".encode()),
        lambda: raw(port, f"GET /api/stream?token={TOKEN}&prompt={PROMPT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n".encode()),
    ]  # fmt: skip
    for call in calls:
        with contextlib.suppress(httpx.HTTPError):
            call()
    wire.wait_until_idle(10)


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("with_token", [True, False])
def test_no_secret_or_prompt_reaches_the_log(name: str, with_token: bool, wire: WireServer) -> None:
    env = server_env(
        OPENAI_API_KEY=PROVIDER_KEY,
        OPENAI_BASE_URL=wire.openai_base_url,
        STREAMCHAT_API_TOKEN=TOKEN if with_token else None,
        STREAMCHAT_DEMO_TTFT_S="0",
        STREAMCHAT_DEMO_CHUNKS_PER_S="0",
    )
    with running(COMMANDS[name], env) as (base, log):
        exercise(base, wire)
        time.sleep(0.5)  # let the server write what it would write
        text = log.read_text(errors="replace")
    assert wire.requests, "the answers reached the provider"
    for secret in (TOKEN, PROMPT, PROVIDER_KEY, "Traceback"):
        assert secret not in text, f"{secret!r} in the log of {name}:\n{text}"
