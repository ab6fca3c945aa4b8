"""Benchmarks of DESIGN.md §7 against baselines built the same way: `make bench`.

`__main__` (the command and its table), `environment` (the bench's own database and broker),
`fixtures` (journey, plays, customers, token, payloads, history), `servers` (gunicorn and the
Celery worker), `load` (HTTP clients), `baseline` + `urls` + `settings` (the plain DRF insert),
`tasks` (the no-op task), and one module per measure: `ingest`, `workers`, `latency`.
"""
