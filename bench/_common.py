"""Shared helpers for the benchmarks: free ports, a wire server in a subprocess, stats."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from tests.servers import free_port  # noqa: E402  (after the sys.path set-up above)


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s")


@contextlib.contextmanager
def python_server(args: Sequence[str]) -> Iterator[tuple[str, int]]:
    """``python ARGS --port <free port>`` from the repository root until the block ends, once
    its ``/health`` answers 200; yields (root URL, pid)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *args, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def wire_subprocess() -> Iterator[str]:
    """A wire server in its own process (so it does not share our GIL); yields its root URL."""
    with python_server(["-m", "tests.wire_server"]) as (url, _):
        yield url


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"
