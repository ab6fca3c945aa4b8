#!/usr/bin/env bash
# Starts the Celery worker (all queues), Celery beat and the web app; stops all three together.
set -euo pipefail
BIN=${BIN:-.venv/bin}
VAR_DIR=${VAR_DIR:-var}
mkdir -p "$VAR_DIR"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/celery" -A config worker --queues ingest,actions,scheduled --concurrency 2 \
  --loglevel INFO --logfile "$VAR_DIR/worker.log" &
pids+=($!)
"$BIN/celery" -A config beat --loglevel INFO --logfile "$VAR_DIR/beat.log" \
  --pidfile "$VAR_DIR/celerybeat.pid" &
pids+=($!)

echo "Worker log: $VAR_DIR/worker.log   Beat log: $VAR_DIR/beat.log"
echo "Open http://127.0.0.1:8000/admin/ (admin / admin) and http://127.0.0.1:8000/api/v1/docs/"
"$BIN/python" manage.py runserver 127.0.0.1:8000 --noreload &
pids+=($!)
wait -n "${pids[@]}"
