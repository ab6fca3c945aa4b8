"""Ingest through gunicorn: POST events/ against the plain-CreateAPIView baseline, and
POST events/batch/ with 1000 events per request.

Ours and the baseline are served by the same gunicorn, and measured in alternating rounds
(baseline, single, batch, baseline, single, batch…) so a neighbour's load on the machine
weighs on all three alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections

from bench import fixtures, load, servers
from bench.environment import Environment

EVENTS_PATH = "/api/v1/events/"
BATCH_PATH = "/api/v1/events/batch/"
BASELINE_PATH = "/bench/baseline/events/"
BATCH_SIZE = 1000
WARM_UP_SECONDS = 1.0


@dataclass(frozen=True)
class IngestFigures:
    baseline: load.LoadResult
    single: load.LoadResult
    batch: load.LoadResult

    @property
    def batch_events_per_second(self) -> float:
        return self.batch.per_second * BATCH_SIZE


def _checked(result: load.LoadResult, what: str) -> load.LoadResult:
    if result.failures:
        raise RuntimeError(
            f"{what}: {result.failures} of {result.requests + result.failures} requests failed; "
            f"first: {result.first_failure}"
        )
    if not result.requests:
        raise RuntimeError(f"{what}: no request completed")
    return result


def _combined(rounds: list[load.LoadResult]) -> load.LoadResult:
    return load.LoadResult(
        requests=sum(r.requests for r in rounds),
        failures=sum(r.failures for r in rounds),
        seconds=sum(r.seconds for r in rounds),
        latencies_ms=[ms for r in rounds for ms in r.latencies_ms],
        server_cpu_seconds=sum(r.server_cpu_seconds for r in rounds),
    )


def measure(
    *,
    env: Environment,
    port: int,
    gunicorn_options: list[str],
    bench_fixtures: fixtures.Fixtures,
    seconds: float,
    rounds: int,
    clients: int,
    batch_clients: int,
) -> IngestFigures:
    connections.close_all()  # the load clients are forked from this process
    ours_payloads = fixtures.our_payloads(bench_fixtures, 4000)
    baseline_payloads = fixtures.baseline_payloads(bench_fixtures, 4000)
    batches = [
        {"events": fixtures.our_payloads(bench_fixtures, BATCH_SIZE, source=f"batch-{b}")}
        for b in range(4)
    ]
    token = bench_fixtures.token

    def single(
        path: str, payloads: list[dict], token: str | None, round_seconds: float
    ) -> load.LoadResult:
        return watched(
            path=path, payloads=payloads, token=token, seconds=round_seconds, clients=clients
        )

    def watched(**kwargs: Any) -> load.LoadResult:
        """load.post, noting the CPU time gunicorn spent serving it."""
        cpu_before = server.cpu_seconds()
        result = load.post(port=port, **kwargs)
        result.server_cpu_seconds = server.cpu_seconds() - cpu_before
        return result

    with servers.gunicorn(env=env.process_env(), port=port, options=gunicorn_options) as server:
        # Warm every gunicorn worker: imports, URL resolver, database connection, broker pool.
        single(BASELINE_PATH, baseline_payloads, None, WARM_UP_SECONDS)
        single(EVENTS_PATH, ours_payloads, token, WARM_UP_SECONDS)
        baseline_rounds: list[load.LoadResult] = []
        ours_rounds: list[load.LoadResult] = []
        batch_rounds: list[load.LoadResult] = []
        for _ in range(rounds):
            baseline_rounds.append(
                _checked(single(BASELINE_PATH, baseline_payloads, None, seconds / rounds), "base")
            )
            ours_rounds.append(
                _checked(single(EVENTS_PATH, ours_payloads, token, seconds / rounds), "events/")
            )
            batch_rounds.append(
                _checked(
                    watched(
                        path=BATCH_PATH,
                        payloads=batches,
                        token=token,
                        seconds=seconds / rounds,
                        clients=batch_clients,
                    ),
                    "events/batch/",
                )
            )
    batch = _combined(batch_rounds)
    _check_batches_stored(batch.requests)
    return IngestFigures(
        baseline=_combined(baseline_rounds), single=_combined(ours_rounds), batch=batch
    )


def _check_batches_stored(requests: int) -> None:
    """A batch answers 202 even when items are rejected: count what was really stored."""
    from journeys.models import Event

    stored = Event.objects.filter(source__startswith="batch-").count()
    if stored != requests * BATCH_SIZE:
        raise RuntimeError(f"events/batch/: {requests} batches answered, {stored} events stored")
