"""`python -m bench [--quick]`: our figures beside baselines built the same way, in one run.

Uses a dedicated PostgreSQL database (orchestrator_bench, recreated) and Redis DB 14 (flushed)
on this machine, whatever DATABASE_URL / CELERY_BROKER_URL say. Prints a table and writes
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "orchestrator_bench"
os.environ["DATABASE_URL"] = f"{PG}/{DB}"
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

ROOT = Path(__file__).resolve().parent.parent
TOUCHPOINT_TYPES = ["bench.signed", "bench.ticket", "bench.overdue"]


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
    )


def build_fixtures(customers: int) -> tuple[str, list[int]]:
    """A journey with three touchpoints, two plays each (owner and round robin, 3 steps)."""
    import django

    django.setup()
    import redis

    from config.celery import app
    from journeys.models import ApiToken
    from tests.factories import (
        CustomerFactory,
        PlayFactory,
        PlayStepFactory,
        TeamFactory,
        TouchpointFactory,
        UserFactory,
    )

    redis.Redis.from_url(app.conf.broker_url).flushdb()
    team = TeamFactory(key="bench-team", members=[UserFactory(), UserFactory(), UserFactory()])
    for n, event_type in enumerate(TOUCHPOINT_TYPES):
        touchpoint = TouchpointFactory(key=f"bench-tp-{n}", event_type=event_type)
        for assign in ("owner", "round-robin"):
            play = PlayFactory(
                key=f"bench-{n}-{assign}",
                touchpoint=touchpoint,
                assign=assign,
                assign_team=team,
                condition="customer.arr > 0",
            )
            PlayStepFactory.create_batch(3, play=play)
    ids = [CustomerFactory(external_id=f"bench-{i:05d}").id for i in range(customers)]
    _, token = ApiToken.objects.create_key(name="bench", scopes=["events:write"])
    return token, ids


def event(i: int, **extra: object) -> dict:
    return {
        "customer": f"bench-{i % 200:05d}",
        "type": TOUCHPOINT_TYPES[i % 3],
        "data": {"n": i},
        **extra,
    }


def measure_single_ingest(token: str, customer_ids: list[int], seconds: float) -> dict:
    from bench import load, servers

    ours_payloads = [event(i) for i in range(2000)]
    base_payloads = [
        {
            "customer": customer_ids[i % 200],
            "type": "bench.baseline",
            "occurred_at": "2026-11-20T10:00:00Z",
        }
        for i in range(2000)
    ]
    with servers.gunicorn():
        load.post_for("/baseline/events/", base_payloads[:50], token=None, seconds=1, clients=2)
        base, base_failed = load.post_for(
            "/baseline/events/", base_payloads, token=None, seconds=seconds, clients=4
        )
        ours, failed = load.post_for(
            "/api/v1/events/", ours_payloads, token=token, seconds=seconds, clients=4
        )
        batches = [{"events": [event(b * 1000 + i) for i in range(1000)]} for b in range(6)]
        batch_rps, batch_failed = load.post_for(
            "/api/v1/events/batch/", batches, token=token, seconds=seconds, clients=3
        )
    assert base_failed == failed == batch_failed == 0, (base_failed, failed, batch_failed)
    return {"baseline_rps": base, "single_rps": ours, "batch_events_per_s": batch_rps * 1000}


def flush_broker() -> None:
    """Drop the tasks earlier measures queued and the events nobody processed (ingest was
    measured without workers), so each worker measure starts from an empty backlog."""
    import redis

    from config.celery import app
    from journeys.models import Event

    redis.Redis.from_url(app.conf.broker_url).flushdb()
    Event.objects.unprocessed().delete()


def measure_workers(events: int) -> dict:
    import redis
    from django.db import connection
    from django.utils import timezone

    from bench import servers
    from bench.baseline import noop_task
    from config.celery import app
    from journeys.models import Customer, Event
    from journeys.tasks import process_events_task

    flush_broker()
    counter = redis.Redis.from_url(app.conf.broker_url)
    with servers.workers():
        started = time.monotonic()
        for _ in range(events):
            noop_task.apply_async(queue="ingest")
        while int(counter.get("bench:noop") or 0) < events:
            time.sleep(0.02)
        noop_rate = events / (time.monotonic() - started)

        customers = list(Customer.objects.order_by("id").values_list("id", flat=True)[:200])
        now = timezone.now()
        created = Event.objects.bulk_create(
            Event(
                customer_id=customers[i % len(customers)],
                type=TOUCHPOINT_TYPES[i % 3],
                occurred_at=now,
                data={"n": i},
            )
            for i in range(events)
        )
        ids = [e.id for e in created]
        connection.close()
        from django.conf import settings

        started = time.monotonic()
        for i in range(0, len(ids), settings.EVENTS_PER_TASK):
            process_events_task.apply_async((ids[i : i + settings.EVENTS_PER_TASK],))
        while Event.objects.filter(id__in=ids, processed_at__isnull=True).exists():
            time.sleep(0.05)
        event_rate = events / (time.monotonic() - started)
    return {"noop_tasks_per_s": noop_rate, "events_to_runs_per_s": event_rate}


def measure_latency(token: str, seconds: float) -> dict:
    from django.db.models import Min, OuterRef, Subquery

    from bench import load, servers
    from journeys.models import Event
    from playbooks.models import PlayRun

    flush_broker()
    marker = f"lat-{time.time_ns()}"
    payloads = [event(i, source=marker) for i in range(1000)]
    with servers.workers(), servers.gunicorn():
        load.post_for(
            "/api/v1/events/", payloads, token=token, seconds=seconds, clients=2, rate_per_client=50
        )
        time.sleep(3)
    first_run = PlayRun.objects.filter(hit__event=OuterRef("pk")).values("hit__event")
    rows = (
        Event.objects.filter(source=marker)
        .annotate(run_at=Subquery(first_run.annotate(m=Min("created_at")).values("m")[:1]))
        .values_list("created_at", "run_at")
    )
    latencies = sorted(
        (run_at - created).total_seconds() * 1000 for created, run_at in rows if run_at
    )
    missing = sum(1 for _, run_at in rows if run_at is None)
    return {
        "latency_events": len(latencies),
        "latency_missing": missing,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per measure")
    options = parser.parse_args()
    seconds = 3.0 if options.quick else 10.0
    worker_events = 2000 if options.quick else 10000

    recreate_database()
    token, customer_ids = build_fixtures(customers=200)
    results = {
        **measure_single_ingest(token, customer_ids, seconds),
        **measure_workers(worker_events),
        **measure_latency(token, seconds),
    }
    rows = [
        ("single-event ingest (req/s)", results["single_rps"], results["baseline_rps"], 1.0),
        ("batch ingest (events/s)", results["batch_events_per_s"], results["baseline_rps"], 30.0),
        (
            "events → runs, 2 workers (events/s)",
            results["events_to_runs_per_s"],
            results["noop_tasks_per_s"],
            5.0,
        ),
    ]
    print(f"\n{'measure':38} {'ours':>10} {'baseline':>10} {'ratio':>7} {'target':>7}  result")
    for name, ours, base, target in rows:
        ratio = ours / base
        print(
            f"{name:38} {ours:10.0f} {base:10.0f} {ratio:7.2f} {'≥' + str(target):>7}  "
            f"{'PASS' if ratio >= target else 'below target'}"
        )
    for name, value, target in (
        ("p50 accepted → run (ms)", results["p50_ms"], 100),
        ("p99 accepted → run (ms)", results["p99_ms"], 500),
    ):
        print(
            f"{name:38} {value:10.1f} {'':>10} {'':>7} {'<' + str(target):>7}  "
            f"{'PASS' if value < target else 'above target'}"
        )
    print(
        f"(latency over {results['latency_events']} events at ~100/s, "
        f"{results['latency_missing']} without a run)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
