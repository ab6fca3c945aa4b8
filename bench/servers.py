"""The processes a benchmark measures, started and always stopped by it: gunicorn and Celery.

Each runs in its own session (process group), so a Ctrl-C in the terminal reaches only the
bench, whose `finally` blocks then stop it: TERM to its parent process, then KILL to whatever
is left of the group.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "bench" / "results" / "logs"

# One gunicorn configuration serves ours and the baseline alike. 2 cores: 4 processes (2 per
# core, so one waiting on PostgreSQL leaves the core to another) with 2 threads each; gthread
# because the sync worker closes every connection, and real integrations keep theirs alive.
GUNICORN_WORKERS = 4
GUNICORN_THREADS = 2


def gunicorn_args(workers: int = GUNICORN_WORKERS, threads: int = GUNICORN_THREADS) -> list[str]:
    return [
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--backlog",
        "256",
    ]


# One Celery worker, prefork pool of 2 processes (one per core) on the ingest queue, for the
# app's task and the no-op baseline alike. Prefetch stays the app's (CELERY_WORKER_PREFETCH_…).
CELERY_CONCURRENCY = 2
CELERY_ARGS = [
    "--queues",
    "ingest",
    "--pool",
    "prefork",
    "--concurrency",
    str(CELERY_CONCURRENCY),
    "--include",
    "bench.tasks",
    "--loglevel",
    "WARNING",
    "--without-mingle",
    "--without-gossip",
    "--without-heartbeat",
]

_running: set[subprocess.Popen[bytes]] = set()


def _stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    # TERM to the parent alone: gunicorn's arbiter and Celery's main process then shut their
    # children down in order (a TERM to a pool child directly reads as a lost worker).
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Whatever outlived its parent (an orphaned pool process) dies with the group.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    _running.discard(proc)


@atexit.register
def stop_all() -> None:
    """Last resort when a `finally` could not run (it normally has already)."""
    for proc in list(_running):
        _stop(proc, grace=5.0)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the live processes of this group."""
        return group_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def group_cpu_seconds(pgid: int) -> float:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                # After the ")" that ends the command name: state, ppid, pgrp, … utime, stime.
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(
    name: str,
    args: list[str],
    *,
    env: dict[str, str],
    ready: Callable[[], bool],
    timeout: float = 60.0,
) -> Iterator[Process]:
    """Run `args` until the block ends; the block starts once `ready()` answers True."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _running.add(popen)
    process = Process(name=name, popen=popen, log_path=log_path)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if popen.poll() is not None:
                raise RuntimeError(f"{name} exited with {popen.returncode}:\n{process.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout:.0f} s:\n{process.log_tail()}")
            time.sleep(0.1)
        yield process
        if popen.poll() is not None:
            raise RuntimeError(f"{name} died during the measure:\n{process.log_tail()}")
    finally:
        _stop(popen)


def _answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    return check


@contextmanager
def gunicorn(*, env: dict[str, str], port: int, options: list[str]) -> Iterator[Process]:
    args = [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", *options]
    with running("gunicorn", args, env=env, ready=_answers(f"http://127.0.0.1:{port}/readyz")) as p:
        yield p


@contextmanager
def celery_worker(*, env: dict[str, str], nodename: str) -> Iterator[Process]:
    """The worker is ready when it answers a remote-control ping (pool forked, queue bound)."""
    from config.celery import app

    def answers_ping() -> bool:
        return bool(app.control.ping(destination=[nodename], timeout=0.5))

    args = [str(BIN / "celery"), "-A", "config", "worker", "--hostname", nodename, *CELERY_ARGS]
    with running("celery-worker", args, env=env, ready=answers_ping) as process:
        yield process
