"""The README's first command on a laptop: ``streamlit run app.py`` in a terminal, with a
display (so Streamlit is not headless) and no ``~/.streamlit/credentials.toml`` yet, must start
the app without waiting at Streamlit's "Email:" prompt (``server.showEmailPrompt`` in
.streamlit/config.toml)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from tests.servers import (
    REPO_ROOT,
    RunningServer,
    ServerFailed,
    _stop,
    _wait_healthy,
    free_port,
    server_env,
)


def test_the_first_streamlit_run_on_a_desktop_starts_without_asking_for_an_email(
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"  # Streamlit opens a browser when not headless: a no-op here
    opener.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    opener.chmod(0o755)
    env = server_env(
        HOME=str(tmp_path),  # no credentials file: the first run ever
        DISPLAY=":99",  # a desktop session: Streamlit's headless default is off
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    main, terminal = pty.openpty()  # a terminal, as when a person types the command
    log_path = tmp_path / "server.log"
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    printed: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(main, 4096)
            except OSError:  # the terminal closed with the process
                return
            if not data:
                return
            printed.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        server = RunningServer(f"http://127.0.0.1:{port}", port, process, log_path)
        try:
            _wait_healthy(server, 60.0)
        except ServerFailed:
            raise AssertionError(
                "the app did not start; it printed:\n" + b"".join(printed).decode(errors="replace")
            ) from None
    finally:
        _stop(process)
        reader.join(5)
        os.close(main)
    assert b"Email:" not in b"".join(printed)
