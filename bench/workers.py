"""Events → play runs by the Celery workers, against a bare no-op task on the same worker.

Both sides are measured the same way: with the worker running and warm, it stops consuming
the ingest queue (remote control), the whole load is queued, it resumes, and the clock runs
until the work is done. So the figure is the workers' rate alone, not the producer's.
- ours: events accepted by the app's own `ingest_events` (stored, then queued after commit
  in chunks of settings.EVENTS_PER_TASK, as the API does); done when the database shows every
  one processed.
- baseline: `bench.tasks.noop_task`, queued one message per task; done when the queue and the
  broker's unacked set (the tasks are acked late) are both empty.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

from bench import fixtures, servers
from bench.environment import Environment

QUEUE = "ingest"
INGEST_CHUNK = 1000  # events stored per ingest_events call, as one batch request would
POLL_SECONDS = 0.02
DONE_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class WorkerFigures:
    noop_tasks: int
    noop_seconds: float
    events: int
    event_tasks: int
    event_seconds: float
    runs: int
    noop_cpu_seconds: float  # CPU time of the worker's processes while draining
    event_cpu_seconds: float

    @property
    def noop_tasks_per_second(self) -> float:
        return self.noop_tasks / self.noop_seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.event_seconds


class _Worker:
    """Remote control of the one bench worker: pause and resume consuming the ingest queue."""

    def __init__(self, nodename: str) -> None:
        from config.celery import app

        self.app = app
        self.nodename = nodename
        self.broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def _control(self, command: str) -> None:
        replies = getattr(self.app.control, command)(
            QUEUE, destination=[self.nodename], reply=True, timeout=5
        )
        if not replies:
            raise RuntimeError(f"worker {self.nodename} did not answer {command}")

    def pause(self) -> None:
        self._control("cancel_consumer")

    def resume(self) -> None:
        self._control("add_consumer")

    def counts(self) -> tuple[int, int]:
        """(messages waiting in the queue, messages delivered but not acked yet)."""
        pipe = self.broker.pipeline()
        pipe.llen(QUEUE)
        pipe.hlen("unacked")  # kombu's Redis transport keeps unacked messages here
        queued, unacked = pipe.execute()
        return queued, unacked

    def queue_drained(self) -> bool:
        return self.counts() == (0, 0)


def _require_queued(worker: _Worker, expected: int) -> None:
    """The paused worker must be holding nothing, and the queue exactly what was sent."""
    time.sleep(0.2)  # a consumer that had not stopped would have taken something by now
    if worker.counts() != (expected, 0):
        raise RuntimeError(f"expected {expected} queued and none unacked, got {worker.counts()}")


def _wait(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not done after {DONE_TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)


def _ingest(bench_fixtures: fixtures.Fixtures, count: int, *, source: str) -> None:
    """Accept `count` events through the app's batch service, as POST events/batch/ does."""
    from journeys import services

    payloads = fixtures.our_payloads(bench_fixtures, count, source=source)
    for start in range(0, count, INGEST_CHUNK):
        items = [fixtures.event_input(p) for p in payloads[start : start + INGEST_CHUNK]]
        results = services.ingest_events(items=items)
        if not all(isinstance(r, services.IngestResult) for r in results):
            raise RuntimeError("ingest_events rejected bench events")


def _unprocessed(source: str) -> bool:
    from journeys.models import Event

    return Event.objects.unprocessed().filter(source=source).exists()


def measure(
    *, env: Environment, bench_fixtures: fixtures.Fixtures, events: int, noop_tasks: int
) -> WorkerFigures:
    from bench.tasks import noop_task
    from playbooks.models import PlayRun

    nodename = f"bench-{os.getpid()}@bench"
    with servers.celery_worker(env=env.process_env(), nodename=nodename) as process:
        worker = _Worker(nodename)

        # Warm both pool processes: imports, database connections, compiled conditions.
        for _ in range(20):
            noop_task.apply_async(queue=QUEUE)
        _ingest(bench_fixtures, 4 * settings.EVENTS_PER_TASK, source="warm-up")
        _wait(lambda: not _unprocessed("warm-up") and worker.queue_drained(), "warm-up")

        worker.pause()
        _require_queued(worker, 0)
        for _ in range(noop_tasks):
            noop_task.apply_async(queue=QUEUE)  # the app routes unknown tasks to "scheduled"
        _require_queued(worker, noop_tasks)
        cpu_before, started = process.cpu_seconds(), time.monotonic()
        worker.resume()
        _wait(worker.queue_drained, "no-op tasks")
        noop_seconds = time.monotonic() - started
        noop_cpu_seconds = process.cpu_seconds() - cpu_before

        worker.pause()
        _ingest(bench_fixtures, events, source="workers")
        event_tasks = -(-events // settings.EVENTS_PER_TASK)
        _require_queued(worker, event_tasks)
        cpu_before, started = process.cpu_seconds(), time.monotonic()
        worker.resume()
        _wait(lambda: not _unprocessed("workers"), "events")
        event_seconds = time.monotonic() - started
        event_cpu_seconds = process.cpu_seconds() - cpu_before
        _wait(worker.queue_drained, "event tasks")

    runs = PlayRun.objects.filter(hit__event__source="workers").count()
    if runs != events * fixtures.RUNS_PER_EVENT:
        raise RuntimeError(f"{events} events made {runs} runs, not {fixtures.RUNS_PER_EVENT} each")
    return WorkerFigures(
        noop_tasks=noop_tasks,
        noop_seconds=noop_seconds,
        events=events,
        event_tasks=event_tasks,
        event_seconds=event_seconds,
        runs=runs,
        noop_cpu_seconds=noop_cpu_seconds,
        event_cpu_seconds=event_cpu_seconds,
    )
