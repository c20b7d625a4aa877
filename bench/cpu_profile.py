"""Where the CPU goes under load: per process (``cpu_s``, ``machine_busy_s``) and inside an app
process (py-spy samples grouped by what they were doing).

    with sampled(pid, "/tmp/app.txt"):      # py-spy record --gil while the block runs
        ...load...
    print_buckets("/tmp/app.txt", cpu_per_chunk_us=230)

``py-spy record --gil --nonblocking -f raw`` keeps only samples of the thread holding the GIL
(what the process computes in Python, not threads blocked in ``recv`` or a lock) without
pausing the process. Each sample is put in the first bucket one of whose markers occurs in
its stack, in the order of ``BUCKETS``; a bucket's share times the measured CPU per chunk gives
its microseconds per chunk. Needs ``pip install py-spy`` and permission to read the process
(root, or ``ptrace_scope`` 0); without them ``sampled`` says so and measures nothing.
"""

from __future__ import annotations

import collections
import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil

BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("store: write-behind thread", ("WriteBehind._work",)),
    ("store: in the page run", ("store_sync", "store_saver", "chat_core/store", "sqlalchemy")),
    ("read: JSON + chunk -> events", ("OpenAIUpstream.convert",)),
    ("read: HTTP body + SSE lines", ("decode_events (", "iter_lines (")),
    ("read: stream engine", ("ChatStream._run",)),
    ("running-answers registry", ("RunningAnswers", "chat_core/running.py")),
    ("page: sidebar (full runs)", ("render_chat_sidebar", "render_sidebar")),
    ("page: live answer (fragment)", ("_live (",)),
    ("page: rest of the script", ("ScriptRunner._run_script_thread",)),
    ("server loop: websocket, messages", ("BaseEventLoop._run_once",)),
)


@contextlib.contextmanager
def sampled(pid: int, out: Path, rate: int = 100) -> Iterator[bool]:
    """Sample process ``pid`` into ``out`` while the block runs; yields whether py-spy runs."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("  (no py-spy: pip install py-spy to see where the CPU goes)")
        yield False
        return
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", str(rate)]
        + ["-f", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield True
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def buckets(path: Path) -> dict[str, int]:
    """Samples per bucket (``BUCKETS`` names, then "other") in a py-spy raw file."""
    counts: collections.Counter[str] = collections.Counter()
    with contextlib.suppress(OSError), path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            stack, _, n = line.rstrip().rpartition(" ")
            if not n.isdigit():
                continue
            name = next((b for b, marks in BUCKETS if any(m in stack for m in marks)), "other")
            counts[name] += int(n)
    return dict(counts)


def print_buckets(title: str, paths: list[Path], cpu_per_chunk_us: float) -> None:
    total: collections.Counter[str] = collections.Counter()
    for path in paths:
        total.update(buckets(path))
    samples = sum(total.values())
    if not samples:
        print(f"  {title}: no samples")
        return
    print(f"  {title}: {samples} samples, {cpu_per_chunk_us:.0f} us CPU per chunk")
    for name, n in total.most_common():
        print(f"    {n / samples * 100:5.1f} %  {n / samples * cpu_per_chunk_us:6.1f} us  {name}")


def listeners(port: int) -> list[psutil.Process]:
    """The processes serving 127.0.0.1:``port``: the one holding the listening socket and, if
    its parent runs the same program (nginx's master and workers), the parent's whole tree."""
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            proc = psutil.Process(conn.pid)
            parent = proc.parent()
            if parent is not None and parent.name() == proc.name():
                proc = parent
            return [proc, *proc.children(recursive=True)]
    return []


def cpu_s(procs: Sequence[psutil.Process], *, children: bool = False) -> float:
    """CPU seconds (user + system) used so far by ``procs`` (and their children)."""
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            for p in [proc, *(proc.children(recursive=True) if children else [])]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
    return total


def machine_busy_s() -> float:
    """CPU seconds every process on the machine used so far (all cores)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq
