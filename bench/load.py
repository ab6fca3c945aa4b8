"""Load generation on loopback: keep-alive HTTP clients in several processes, bounded in time."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import time
from typing import Any

from bench.servers import PORT


def _client(args: tuple[str, dict[str, str], list[bytes], float, float | None]) -> tuple[int, int]:
    path, headers, bodies, seconds, rate = args
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    ok = failed = 0
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        if rate is not None:  # paced: the n-th request goes at start + n / rate
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        conn.request("POST", path, body=bodies[n % len(bodies)], headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status < 300:
            ok += 1
        else:
            failed += 1
        n += 1
    conn.close()
    return ok, failed


def post_for(
    path: str,
    payloads: list[list[dict[str, Any]] | dict[str, Any]],
    *,
    token: str | None,
    seconds: float,
    clients: int,
    rate_per_client: float | None = None,
) -> tuple[float, int]:
    """POST payloads round-robin from `clients` processes; returns (requests/s, failures)."""
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    chunks = [[json.dumps(p).encode() for p in payloads[i::clients]] for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        started = time.monotonic()
        results = pool.map(
            _client, [(path, headers, chunk, seconds, rate_per_client) for chunk in chunks]
        )
        elapsed = time.monotonic() - started
    ok = sum(r[0] for r in results)
    return ok / elapsed, sum(r[1] for r in results)
