"""The servers a browser benchmark runs: ``streamlit run`` in its own process (``StreamlitServer``),
the app's environment pointed at the wire server, and the record of one answer there. Shared by
bench/render_lag.py, bench/load.py, bench/history.py and bench/replicas.py."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from _common import ROOT, free_port, wait_http

from tests.wire_server import WireServer

RESULTS = ROOT / "bench" / "results"
BENCH_PAGE = ROOT / "bench" / "pages" / "stream_page.py"
APP = ROOT / "app.py"


def _no_secrets() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "no-secrets.toml"
    if not path.exists():
        path.write_text("# bench: intentionally empty\n")
    return path


class StreamlitServer:
    """``streamlit run SCRIPT`` on a free port, in its own process (psutil handle ``proc``)."""

    options: list[str] = []
    """Extra ``--section.option=value`` flags for every server (the benches' ``--streamlit-opt``)."""

    def __init__(
        self,
        script: Path,
        env: dict[str, str] | None = None,
        *,
        log: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.script = script
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false",
            # No .streamlit/secrets.toml: keys and base URLs come from ``env`` only.
            "--secrets.files", str(_no_secrets()),
            *(f"--{opt}" for opt in self.options),
        ]  # fmt: skip
        self._log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()
        self._popen = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.proc = psutil.Process(self._popen.pid)
        started = False
        try:
            wait_http(f"{self.url}/_stcore/health", 60)
            started = True
        finally:
            if not started:  # also on Ctrl-C: never leave a server behind
                self.stop()

    def cpu_s(self) -> float:
        t = self.proc.cpu_times()
        return t.user + t.system

    def rss_mb(self) -> float:
        return self.proc.memory_info().rss / 2**20

    def wait_quiet(self, below: float = 0.15, timeout_s: float = 15.0) -> None:
        """Until the server uses < ``below`` of a core over 0.25 s (a stopped run winds down)."""
        deadline = time.monotonic() + timeout_s
        before = self.cpu_s()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.cpu_s()
            if now - before < below * 0.25:
                return
            before = now

    def stop(self) -> None:
        if self._popen.poll() is None:
            self._popen.terminate()
            try:
                self._popen.wait(10)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait(5)
        self._log.close()

    def __enter__(self) -> StreamlitServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def add_streamlit_opt_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--streamlit-opt",
        action="append",
        default=[],
        metavar="SECTION.OPTION=VALUE",
        help="extra Streamlit option for the servers, e.g. runner.postScriptGC=false (to try a"
        " setting without editing .streamlit/config.toml); repeatable",
    )


def app_env(wire: WireServer) -> dict[str, str]:
    """Environment that points the app at the wire server as its OpenAI provider."""
    return {
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": wire.openai_base_url,
        "ANTHROPIC_API_KEY": "",
        "OPENAI_COMPATIBLE_API_KEY": "",
        "OPENAI_COMPATIBLE_BASE_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


def wait_record(wire: WireServer, tag: str, timeout_s: float) -> Any:
    """The wire record whose prompt holds ``tag``, once its response has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for rec in wire.requests:
            if tag in rec.user_text and rec.finished_at is not None:
                return rec
        time.sleep(0.02)
    raise TimeoutError(f"wire server never finished the answer for {tag}")


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"
