"""Event accepted → play run visible, under a steady stream of single POSTs.

gunicorn and the 2-process worker run together (as in production, on the same 2 cores);
clients POST events/ at a fixed total rate. Afterwards, for every event of the stream, the
database gives run.created_at - event.created_at for its first run (both stamped by
PostgreSQL clients on this machine's clock): the time from the 202 to the run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from django.db import connections
from django.db.models import Min

from bench import fixtures, load, servers
from bench.environment import Environment
from bench.ingest import EVENTS_PATH

SOURCE = "latency"
DRAIN_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class LatencyFigures:
    rate: float  # requests/s asked for
    sent: load.LoadResult
    latencies_ms: list[float]
    without_run: int
    drain_seconds: float  # after the last POST, until every event had been processed

    def quantile_ms(self, quantile: float) -> float:
        return load.percentile(self.latencies_ms, quantile)


def _all_processed() -> bool:
    from journeys.models import Event

    return not Event.objects.unprocessed().filter(source=SOURCE).exists()


def measure(
    *,
    env: Environment,
    port: int,
    gunicorn_options: list[str],
    bench_fixtures: fixtures.Fixtures,
    rate: float,
    seconds: float,
    clients: int,
) -> LatencyFigures:
    from journeys.models import Event

    payloads = fixtures.our_payloads(bench_fixtures, 4000, source=SOURCE)
    warm_up = fixtures.our_payloads(bench_fixtures, 200, source="latency-warm-up")
    process_env = env.process_env()
    with (
        servers.celery_worker(env=process_env, nodename=f"bench-latency-{os.getpid()}@bench"),
        servers.gunicorn(env=process_env, port=port, options=gunicorn_options),
    ):
        connections.close_all()  # the load clients are forked from this process
        load.post(
            port=port,
            path=EVENTS_PATH,
            payloads=warm_up,
            token=bench_fixtures.token,
            seconds=1.0,
            clients=clients,
            rate=rate,
        )
        time.sleep(2.0)
        sent = load.post(
            port=port,
            path=EVENTS_PATH,
            payloads=payloads,
            token=bench_fixtures.token,
            seconds=seconds,
            clients=clients,
            rate=rate,
        )
        if sent.failures:
            raise RuntimeError(
                f"latency: {sent.failures} POSTs failed; first: {sent.first_failure}"
            )
        finished = time.monotonic()
        deadline = finished + DRAIN_TIMEOUT_SECONDS
        while not _all_processed():
            if time.monotonic() > deadline:
                raise RuntimeError(f"latency: events unprocessed after {DRAIN_TIMEOUT_SECONDS} s")
            time.sleep(0.05)
        drain_seconds = time.monotonic() - finished

    rows = list(
        Event.objects.filter(source=SOURCE)
        .annotate(first_run_at=Min("hits__runs__created_at"))
        .values_list("created_at", "first_run_at")
    )
    latencies = [(run_at - created).total_seconds() * 1000 for created, run_at in rows if run_at]
    return LatencyFigures(
        rate=rate,
        sent=sent,
        latencies_ms=latencies,
        without_run=sum(1 for _, run_at in rows if run_at is None),
        drain_seconds=drain_seconds,
    )
