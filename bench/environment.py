"""The bench's own PostgreSQL database and Redis DB: chosen before Django starts, made fresh.

Whatever DATABASE_URL and CELERY_BROKER_URL say, the bench and every process it starts use
`orchestrator_bench` (dropped, created and migrated each run) and Redis DB 14 (flushed), so a
run never touches development or test data, and two runs start from the same state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from bench.servers import ROOT


@dataclass(frozen=True)
class Environment:
    postgres_url: str  # server URL without a database name
    database: str
    broker_url: str

    @property
    def database_url(self) -> str:
        return f"{self.postgres_url}/{self.database}"

    def process_env(self) -> dict[str, str]:
        """The environment of the bench itself and of every process it starts."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "PYTHONPATH": str(ROOT),
        }

    def activate(self) -> None:
        """Point this process at the bench database and broker; call before django.setup()."""
        os.environ.update(
            {
                key: value
                for key, value in self.process_env().items()
                if key in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
            }
        )


def recreate_database(env: Environment) -> None:
    """Drop and create the bench database, then migrate it with the app's migrations."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{env.postgres_url}/postgres", autocommit=True) as conn:
        name = sql.Identifier(env.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env.process_env(),
        check=True,
    )


def purge_broker() -> None:
    """Empty the bench's Redis DB: queued messages, unacked ones, bindings."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def discard_unprocessed_events() -> None:
    """Delete the events a measure accepted but left unprocessed (ingest queues them for a
    worker that does not run), so the next measure starts with the history alone."""
    from django.db import connection

    from journeys.models import Event

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Event._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE processed_at IS NULL")
        cursor.execute(f"VACUUM ANALYZE {table}")
