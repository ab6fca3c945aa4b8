"""docker-compose.yml stays true to the code: the same commands, queues and settings.

No Docker engine runs here, so the file is checked for what can be checked without one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, svc in SERVICES.items() if svc.get("build")]


def queues_of(command: list[str]) -> set[str]:
    return set(command[command.index("--queues") + 1].split(","))


def test_every_queue_a_task_is_routed_to_has_a_worker_service():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = set()
    for name in APP_SERVICES:
        command = SERVICES[name]["command"]
        if command[:4] == ["celery", "-A", "config", "worker"]:
            consumed |= queues_of(command)
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed


def test_beat_schedule_tasks_are_registered_with_the_celery_app():
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_the_settings_the_code_reads(name):
    environment = SERVICES[name]["environment"]
    for variable in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"):
        assert variable in environment


def test_web_runs_the_wsgi_module_gunicorn_is_told_to():
    command = SERVICES["web"]["command"]
    assert command[:2] == ["gunicorn", "config.wsgi"]
    assert (ROOT / "config" / "wsgi.py").exists()


def test_services_use_postgres_and_redis_from_the_compose_file():
    environment = SERVICES["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert {"postgres", "redis", "beat", "web"} <= SERVICES.keys()


def test_makefile_run_starts_a_worker_on_every_queue():
    script = (ROOT / "scripts" / "run-all.sh").read_text()
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    line = next(line for line in script.splitlines() if "worker --queues" in line)
    assert routed <= set(line.split("--queues")[1].split()[0].split(","))
