"""`python -m bench [--quick]` (`make bench`): DESIGN.md §7, ours beside baselines built the
same way in the same run.

1. POST events/ (token, idempotency, enqueue) vs a plain DRF CreateAPIView insert: requests/s.
2. POST events/batch/ with 1000 events per request: events/s vs 30x that baseline.
3. Events → runs by a 2-process Celery worker: events/s vs a no-op task's tasks/s.
4. Accepted → run visible at ~100 events/s of single POSTs: p50 and p99.

Uses its own PostgreSQL database (recreated) and Redis DB (flushed); starts and stops every
server itself. Prints a table and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.environment import Environment
from bench.servers import CELERY_ARGS, GUNICORN_THREADS, GUNICORN_WORKERS, ROOT, gunicorn_args

MEASURES = ("single", "batch", "workers", "latency")
MAX_CLIENTS = 32  # client processes on a 2-core machine: more only measures the clients
LATENCY_CLIENTS = 4
RESULTS = ROOT / "bench" / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: a few seconds each")
    parser.add_argument("--only", choices=MEASURES, action="append", help="run only these")
    parser.add_argument("--seconds", type=float, help="per throughput measure (default 10; 3)")
    parser.add_argument("--clients", type=int, default=8, help="HTTP clients for POST events/")
    parser.add_argument("--batch-clients", type=int, default=4, help="clients for events/batch/")
    parser.add_argument("--noop-tasks", type=int, help="no-op tasks (default 10000; quick 2000)")
    parser.add_argument("--worker-events", type=int, help="events (default 20000; quick 2000)")
    parser.add_argument("--history", type=int, help="events processed before measuring (10000)")
    parser.add_argument("--latency-rate", type=float, default=100.0, help="events/s (100)")
    parser.add_argument("--latency-seconds", type=float, help="(default 10; quick 3)")
    parser.add_argument(
        "--gunicorn-workers", type=int, default=GUNICORN_WORKERS, help="(default %(default)s)"
    )
    parser.add_argument(
        "--gunicorn-threads", type=int, default=GUNICORN_THREADS, help="(default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8765, help="loopback port for gunicorn")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL, no database name (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--database", default="orchestrator_bench", help="dropped and recreated")
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="broker URL; this Redis DB is flushed (env BENCH_REDIS_URL)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    for name in ("clients", "batch_clients"):
        if not 1 <= getattr(args, name) <= MAX_CLIENTS:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and {MAX_CLIENTS}")
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.noop_tasks = args.noop_tasks or (2000 if args.quick else 10000)
    args.worker_events = args.worker_events or (2000 if args.quick else 20000)
    args.latency_seconds = args.latency_seconds or (3.0 if args.quick else 10.0)
    args.history = args.history if args.history is not None else (2000 if args.quick else 10000)
    args.rounds = 1 if args.quick else 3
    args.only = args.only or list(MEASURES)
    args.gunicorn = gunicorn_args(args.gunicorn_workers, args.gunicorn_threads)
    return args


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: object) -> None:
    # TERM or HUP (a closed terminal, a CI timeout) unwind like Ctrl-C, so every `finally`
    # stops the servers this run started.
    raise KeyboardInterrupt(f"signal {signum}")


def _context(args: argparse.Namespace, env: Environment) -> dict[str, Any]:
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "quick": args.quick,
        "database": env.database,
        "broker": env.broker_url,
        "gunicorn": " ".join(args.gunicorn),
        "celery_worker": " ".join(CELERY_ARGS),
        "http_clients": args.clients,
        "batch_clients": args.batch_clients,
        "seconds": args.seconds,
    }


def run(args: argparse.Namespace) -> int:
    env = Environment(postgres_url=args.postgres, database=args.database, broker_url=args.redis)
    env.activate()
    import django

    django.setup()
    logging.getLogger("journeys").setLevel(logging.WARNING)  # the history's per-batch lines
    from django.conf import settings

    from bench import environment, fixtures, ingest, latency, report, workers

    details: dict[str, Any] = {"context": _context(args, env)}
    rows: list[report.Row] = []
    started = time.monotonic()

    say(f"recreating database {env.database} and flushing {env.broker_url}")
    environment.recreate_database(env)
    environment.purge_broker()
    bench_fixtures = fixtures.build(env)
    say(f"seeding a history of {args.history} events turned into runs")
    fixtures.seed_history(bench_fixtures, args.history)
    environment.purge_broker()  # the history's tasks: already done in-process

    baseline_rps: float | None = None
    if "single" in args.only or "batch" in args.only:
        say(f"ingest through gunicorn ({' '.join(args.gunicorn)}), {args.seconds:g} s each")
        figures = ingest.measure(
            env=env,
            port=args.port,
            gunicorn_options=args.gunicorn,
            bench_fixtures=bench_fixtures,
            seconds=args.seconds,
            rounds=args.rounds,
            clients=args.clients,
            batch_clients=args.batch_clients,
        )
        baseline_rps = figures.baseline.per_second
        rows.append(
            report.ratio_row(
                "single-event ingest, POST events/",
                "req/s",
                ours=figures.single.per_second,
                baseline=baseline_rps,
                at_least=1.0,
            )
        )
        rows.append(
            report.ratio_row(
                "batch ingest, 1000 per POST events/batch/",
                "events/s",
                ours=figures.batch_events_per_second,
                baseline=baseline_rps,
                at_least=30.0,
            )
        )
        details["ingest"] = {
            "clients": args.clients,
            "baseline_requests": figures.baseline.requests,
            "baseline_rps": baseline_rps,
            "baseline_latency_ms_p50_p99": _quantiles(figures.baseline),
            "single_requests": figures.single.requests,
            "single_rps": figures.single.per_second,
            "single_latency_ms_p50_p99": _quantiles(figures.single),
            "batch_requests": figures.batch.requests,
            "batch_events_per_s": figures.batch_events_per_second,
            "batch_latency_ms_p50_p99": _quantiles(figures.batch),
            "gunicorn_cpu_ms_per_request": {
                "baseline": figures.baseline.server_cpu_ms_per_request,
                "single": figures.single.server_cpu_ms_per_request,
                "batch": figures.batch.server_cpu_ms_per_request,
            },
        }
        environment.purge_broker()  # ingest queued tasks nobody consumed
        environment.discard_unprocessed_events()

    if "workers" in args.only:
        say(
            f"workers: {args.noop_tasks} no-op tasks, then {args.worker_events} events in tasks "
            f"of {settings.EVENTS_PER_TASK} (celery {' '.join(CELERY_ARGS)})"
        )
        figures_w = workers.measure(
            env=env,
            bench_fixtures=bench_fixtures,
            events=args.worker_events,
            noop_tasks=args.noop_tasks,
        )
        rows.append(
            report.ratio_row(
                f"events → runs, 2 worker processes, {settings.EVENTS_PER_TASK}/task",
                "events/s",
                ours=figures_w.events_per_second,
                baseline=figures_w.noop_tasks_per_second,
                at_least=5.0,
            )
        )
        details["workers"] = {
            "events_per_task": settings.EVENTS_PER_TASK,
            "noop_tasks": figures_w.noop_tasks,
            "noop_seconds": figures_w.noop_seconds,
            "noop_tasks_per_s": figures_w.noop_tasks_per_second,
            "events": figures_w.events,
            "event_tasks": figures_w.event_tasks,
            "event_seconds": figures_w.event_seconds,
            "events_per_s": figures_w.events_per_second,
            "runs": figures_w.runs,
            "runs_per_s": figures_w.runs / figures_w.event_seconds,
            "worker_cpu_ms_per_noop_task": 1000 * figures_w.noop_cpu_seconds / figures_w.noop_tasks,
            "worker_cpu_ms_per_event": 1000 * figures_w.event_cpu_seconds / figures_w.events,
        }
        environment.purge_broker()
        environment.discard_unprocessed_events()

    if "latency" in args.only:
        say(
            f"latency: {args.latency_rate:g} POST events/ per s for {args.latency_seconds:g} s, "
            "gunicorn and the worker together"
        )
        figures_l = latency.measure(
            env=env,
            port=args.port,
            gunicorn_options=args.gunicorn,
            bench_fixtures=bench_fixtures,
            rate=args.latency_rate,
            seconds=args.latency_seconds,
            clients=LATENCY_CLIENTS,
        )
        p50, p99 = figures_l.quantile_ms(0.50), figures_l.quantile_ms(0.99)
        label = f"accepted → run visible at {args.latency_rate:g}/s"
        rows.append(report.limit_row(f"{label}, p50", "ms", ours=p50, below=100))
        rows.append(report.limit_row(f"{label}, p99", "ms", ours=p99, below=500))
        details["latency"] = {
            "rate_asked": args.latency_rate,
            "rate_sent": figures_l.sent.per_second,
            "events": len(figures_l.latencies_ms) + figures_l.without_run,
            "events_without_run": figures_l.without_run,
            "p50_ms": p50,
            "p90_ms": figures_l.quantile_ms(0.90),
            "p99_ms": p99,
            "max_ms": max(figures_l.latencies_ms, default=float("nan")),
            "post_latency_ms_p50_p99": _quantiles(figures_l.sent),
            "drain_seconds_after_last_post": figures_l.drain_seconds,
        }

    details["context"]["load_average_after"] = os.getloadavg()
    details["context"]["total_seconds"] = round(time.monotonic() - started, 1)
    report.write_json(RESULTS, rows=rows, details=details)
    print()
    print(report.table(rows))
    print()
    print(_notes(details))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 1 if args.strict and not all(row.passed for row in rows) else 0


def _quantiles(result: Any) -> list[float]:
    return [round(result.latency_ms(0.50), 2), round(result.latency_ms(0.99), 2)]


def _notes(details: dict[str, Any]) -> str:
    context = details["context"]
    lines = [
        f"{context['cpus']} CPUs, load average {context['load_average_before'][0]:.2f} before, "
        f"{context['load_average_after'][0]:.2f} after; {context['total_seconds']} s in all",
        f"gunicorn {context['gunicorn']}",
        f"celery worker {context['celery_worker']}",
    ]
    if "ingest" in details:
        d = details["ingest"]
        lines.append(
            f"ingest: {d['clients']} keep-alive clients; client latency p50/p99 ms: "
            f"baseline {d['baseline_latency_ms_p50_p99']}, events/ "
            f"{d['single_latency_ms_p50_p99']}, batch {d['batch_latency_ms_p50_p99']}"
        )
        cpu = d["gunicorn_cpu_ms_per_request"]
        lines.append(
            f"gunicorn CPU ms per request: baseline {cpu['baseline']:.2f}, events/ "
            f"{cpu['single']:.2f}, batch {cpu['batch']:.1f} ({cpu['batch'] / 1000:.3f} per event)"
        )
    if "workers" in details:
        d = details["workers"]
        lines.append(
            f"workers: {d['noop_tasks']} no-op tasks in {d['noop_seconds']:.2f} s; "
            f"{d['events']} events ({d['event_tasks']} tasks) in {d['event_seconds']:.2f} s, "
            f"{d['runs']} runs ({d['runs_per_s']:,.0f} runs/s); worker CPU ms: "
            f"{d['worker_cpu_ms_per_noop_task']:.2f} per no-op task, "
            f"{d['worker_cpu_ms_per_event']:.2f} per event"
        )
    if "latency" in details:
        d = details["latency"]
        lines.append(
            f"latency: {d['events']} events at {d['rate_sent']:.0f}/s, "
            f"{d['events_without_run']} without a run; p90 {d['p90_ms']:.0f} ms, "
            f"max {d['max_ms']:.0f} ms; queue drained {d['drain_seconds_after_last_post']:.1f} s "
            "after the last POST"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        return run(args)
    except KeyboardInterrupt:
        say("interrupted: servers stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())
