"""Shared fixtures: API clients with real tokens, and a real Celery worker on the real broker.

With DATABASE_URL and CELERY_BROKER_URL set (CI) every test talks to PostgreSQL and Redis;
without them, to SQLite and the file broker, the same embedded defaults `make run` uses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests.factories import make_token

ALL_QUEUES = "ingest,actions,scheduled"


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"database: {settings.DATABASES['default']['ENGINE']}",
        f"broker: {settings.CELERY_BROKER_URL.split('@')[-1]}",
    ]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not (
        os.environ.get("DATABASE_URL") and os.environ.get("CELERY_BROKER_URL")
    ):
        raise pytest.UsageError("CI must set DATABASE_URL and CELERY_BROKER_URL")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def integration_client(db: None) -> APIClient:
    """A client holding a token with every scope, not tied to a person."""
    client = APIClient()
    token = make_token(
        "events:write", "customers:write", "customers:read", "runs:read", "runs:write"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def client_for(*scopes: str, user: object | None = None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(*scopes, user=user)}")
    return client


@pytest.fixture(scope="session")
def _purged_broker() -> None:
    # Messages left over from an earlier, interrupted run would reference rows that no longer
    # exist; start every session from empty queues.
    with celery_app.connection_for_write() as conn:
        for queue in ALL_QUEUES.split(","):
            conn.default_channel.queue_purge(queue) if _queue_exists(conn, queue) else None


def _queue_exists(conn: object, queue: str) -> bool:
    try:
        conn.default_channel.queue_declare(queue=queue, passive=True)  # type: ignore[attr-defined]
        return True
    except Exception:
        return False


@pytest.fixture
def celery_worker(transactional_db: None, _purged_broker: None) -> Iterator[object]:
    """A real Celery worker (thread pool) consuming every queue from the configured broker.

    Needs committed data, hence transactional_db."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        queues=ALL_QUEUES.split(","),
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker
