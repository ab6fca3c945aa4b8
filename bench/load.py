"""HTTP load on loopback: client processes, one keep-alive connection each, bounded in time.

Closed loop (each client sends its next request as soon as the last one answered) measures
throughput; paced (`rate` requests/s in all, spread over the clients, on a fixed schedule that
does not slow down when the server does) drives the latency measure.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import signal
import time
from dataclasses import dataclass, field
from typing import Any

# Every client starts at the same moment, this long after the pool is created, so process
# start-up is not counted as time under load.
START_DELAY_SECONDS = 0.5
REQUEST_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class _Plan:
    port: int
    path: str
    headers: dict[str, str]
    bodies: list[bytes]
    start_at: float  # wall-clock time (time.time) every client starts at
    seconds: float
    interval: float | None  # seconds between this client's requests when paced


@dataclass
class LoadResult:
    requests: int
    failures: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    first_failure: str = ""
    server_cpu_seconds: float = 0.0  # filled in by callers that watch the server

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_seconds / self.requests if self.requests else float("nan")

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def latency_ms(self, quantile: float) -> float:
        return percentile(self.latencies_ms, quantile)


def percentile(values: list[float], quantile: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(quantile * len(ordered)) - 1))]


def _default_signals() -> None:
    # A forked client inherits the bench's TERM handler; the pool stops clients with TERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _client(plan: _Plan) -> tuple[int, int, float, list[float], str]:
    conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=REQUEST_TIMEOUT_SECONDS)
    ok = failed = 0
    first_failure = ""
    latencies: list[float] = []
    time.sleep(max(0.0, plan.start_at - time.time()))
    started = time.monotonic()
    deadline = started + plan.seconds
    finished = started
    n = 0
    while True:
        if plan.interval is not None:
            send_at = started + n * plan.interval
            if send_at >= deadline:
                break
            time.sleep(max(0.0, send_at - time.monotonic()))
        elif time.monotonic() >= deadline:
            break
        sent = time.monotonic()
        conn.request(
            "POST", plan.path, body=plan.bodies[n % len(plan.bodies)], headers=plan.headers
        )
        response = conn.getresponse()
        body = response.read()
        finished = time.monotonic()
        latencies.append((finished - sent) * 1000)
        if 200 <= response.status < 300:
            ok += 1
        else:
            failed += 1
            first_failure = first_failure or f"{response.status} {body[:300]!r}"
        if response.getheader("connection", "").lower() == "close":
            conn.close()  # the server ended keep-alive: reconnect on the next request
        n += 1
    conn.close()
    return ok, failed, finished - started, latencies, first_failure


def post(
    *,
    port: int,
    path: str,
    payloads: list[Any],
    token: str | None,
    seconds: float,
    clients: int,
    rate: float | None = None,
) -> LoadResult:
    """POST `payloads` (round robin, split over the clients) for `seconds` from `clients`
    processes. With `rate`, send that many requests per second in all, on a schedule."""
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    bodies = [json.dumps(p, separators=(",", ":")).encode() for p in payloads]
    start_at = time.time() + START_DELAY_SECONDS
    plans = [
        _Plan(
            port=port,
            path=path,
            headers=headers,
            bodies=bodies[i::clients] or bodies,
            # Paced clients take turns (offset by one interval of the total rate each), so the
            # requests arrive evenly rather than `clients` at a time.
            start_at=start_at + (i / rate if rate else 0.0),
            seconds=seconds,
            interval=clients / rate if rate else None,
        )
        for i in range(clients)
    ]
    # fork: the clients need none of Django; the caller closes its database connections first
    # so no child holds a copy of a live socket.
    with multiprocessing.get_context("fork").Pool(clients, initializer=_default_signals) as pool:
        outcomes = pool.map(_client, plans, chunksize=1)
    latencies = [ms for outcome in outcomes for ms in outcome[3]]
    return LoadResult(
        requests=sum(o[0] for o in outcomes),
        failures=sum(o[1] for o in outcomes),
        seconds=max(o[2] for o in outcomes),
        latencies_ms=latencies,
        first_failure=next((o[4] for o in outcomes if o[4]), ""),
    )
