"""Start real servers for tests: ``streamlit run <script>`` on a free port.

    with streamlit_server("server.py", env=server_env(OPENAI_BASE_URL=wire.openai_base_url)) as srv:
        httpx.get(srv.base_url + "/api/stream", params={"prompt": "hi"})

The server runs as a subprocess (its own Streamlit runtime, like production), bound to
127.0.0.1, with its output in a log file that ``ServerFailed`` quotes when it does not come up.
Leaving the ``with`` block stops it (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium as Playwright must launch it here (docs/design.md §17); without the
# background-networking flags it keeps trying hosts this closed network refuses.
CHROMIUM = os.environ.get("STREAMCHAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Variables that would make a test talk to a real provider or read the developer's secrets.
_SCRUBBED_PREFIXES = ("OPENAI_", "ANTHROPIC_", "STREAMCHAT_")


# store: one SQLite chat database per test run for the servers and terminal chats started here.
_TEST_DATABASE = Path(tempfile.mkdtemp(prefix="streamchat-test-db-")) / "chats.db"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**overrides: str | None) -> dict[str, str]:
    """The current environment without provider keys, base URLs and STREAMCHAT_* settings,
    with no secrets file, UTF-8 I/O, then ``overrides`` (``None`` removes a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env["STREAMCHAT_SECRETS_FILE"] = ""
    # store: a chat database of this test run, never .streamchat/ in the repository
    env["STREAMCHAT_DATABASE_URL"] = f"sqlite:///{_TEST_DATABASE}"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class ServerFailed(RuntimeError):
    """The server exited or did not answer its health check in time."""


@dataclass
class RunningServer:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _wait_healthy(server: RunningServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    url = server.base_url + "/_stcore/health"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"server exited with {server.process.returncode}:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).text.strip() == "ok":
                return
        time.sleep(0.1)
    raise ServerFailed(f"no healthy answer from {url} within {timeout_s:.0f} s:\n{server.log()}")


def _stop(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.contextmanager
def streamlit_server(
    script: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path = REPO_ROOT,
    args: Sequence[str] = (),
    timeout_s: float = 60.0,
) -> Iterator[RunningServer]:
    """Run ``streamlit run <script>`` headless on a free 127.0.0.1 port until the block ends.

    ``env`` defaults to ``server_env()``; ``args`` are extra Streamlit flags.
    """
    environment = dict(server_env() if env is None else env)
    with tempfile.TemporaryDirectory(prefix="streamlit-server-") as tmp:
        log_path = Path(tmp) / "server.log"
        for attempt in range(3):  # the free port can be taken before Streamlit binds it
            port = free_port()
            command = [
                sys.executable, "-m", "streamlit", "run", str(script),
                "--server.headless", "true",
                "--server.address", "127.0.0.1",
                "--server.port", str(port),
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
                # st.secrets must not read the developer's real keys
                "--secrets.files", str(Path(tmp) / "no-secrets.toml"),
                *args,
            ]  # fmt: skip
            with log_path.open("wb") as log_file:
                process = subprocess.Popen(
                    command, cwd=cwd, env=environment, stdout=log_file, stderr=subprocess.STDOUT
                )
            server = RunningServer(f"http://127.0.0.1:{port}", port, process, log_path)
            try:
                _wait_healthy(server, timeout_s)
            except ServerFailed:
                _stop(process)
                if attempt == 2 or "already in use" not in server.log():
                    raise
                continue
            try:
                yield server
            finally:
                _stop(process)
            return


NGINX_CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"


@contextlib.contextmanager
def nginx_in_front(nginx: str, ports: Sequence[int], timeout_s: float = 30.0) -> Iterator[str]:
    """``deploy/nginx.conf`` with its upstream ports and listen port replaced, run by the
    ``nginx`` binary in the foreground under a temp prefix; yields its base URL once it answers
    ``/_stcore/health`` (used by the replica tests and bench/replicas.py)."""
    port = free_port()
    config = NGINX_CONF.read_text(encoding="utf-8")
    servers = "".join(f"        server 127.0.0.1:{p};\n" for p in ports)
    config = re.sub(r"(?:        server 127\.0\.0\.1:\d+;\n)+", servers, config)
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="streamchat-nginx-") as tmp:
        (Path(tmp) / "logs").mkdir()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(config, encoding="utf-8")
        globals_ = f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/logs/error.log;"
        process = subprocess.Popen(
            [nginx, "-p", tmp, "-c", str(conf), "-g", globals_],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx at {url} did not answer in {timeout_s} s")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(10)
