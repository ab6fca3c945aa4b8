"""What the bench ingests and processes: a journey, its plays, customers, a token, events.

One journey of three stages, one touchpoint each; every touchpoint fires two plays of three
steps: one for the customer's owner behind a condition (which holds), one round robin in a
team. So every event makes one hit and two runs with three steps each, as in the demo data.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.environment import Environment
from bench.servers import ROOT

EVENT_TYPES = ("bench.contract-signed", "bench.ticket-opened", "bench.invoice-overdue")
RUNS_PER_EVENT = 2
CUSTOMERS = 1000
OCCURRED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Fixtures:
    token: str
    customer_ids: dict[str, int]  # external_id → id

    @property
    def external_ids(self) -> list[str]:
        return list(self.customer_ids)


def build(env: Environment) -> Fixtures:
    from journeys.models import Customer
    from playbooks.models import Play
    from tests.factories import (
        CustomerFactory,
        DepartmentFactory,
        JourneyFactory,
        PlaybookFactory,
        PlayFactory,
        PlayStepFactory,
        StageFactory,
        TeamFactory,
        TouchpointFactory,
        UserFactory,
    )

    owners = [UserFactory(username=f"bench-owner-{n}") for n in range(10)]
    team = TeamFactory(
        key="bench-success",
        department=DepartmentFactory(key="bench-success"),
        members=[UserFactory(username=f"bench-member-{n}") for n in range(4)],
    )
    journey = JourneyFactory(key="bench-lifecycle")
    playbook = PlaybookFactory(key="bench-playbook")
    for position, event_type in enumerate(EVENT_TYPES):
        stage = StageFactory(
            journey=journey,
            key=f"bench-stage-{position}",
            position=position,
            department=DepartmentFactory(key=f"bench-dept-{position}"),
        )
        touchpoint = TouchpointFactory(
            stage=stage, key=f"bench-{event_type.split('.')[1]}", event_type=event_type
        )
        plays = [
            PlayFactory(
                playbook=playbook,
                key=f"{touchpoint.key}-owner",
                touchpoint=touchpoint,
                assign=Play.Assign.OWNER,
                condition='customer.arr >= 10000 and customer.segment != "churned"',
                position=0,
            ),
            PlayFactory(
                playbook=playbook,
                key=f"{touchpoint.key}-team",
                touchpoint=touchpoint,
                assign=Play.Assign.ROUND_ROBIN,
                assign_team=team,
                position=1,
            ),
        ]
        for play in plays:
            for step in range(3):
                PlayStepFactory(
                    play=play, position=step, title=f"Step {step + 1}", required=step < 2
                )

    customers = Customer.objects.bulk_create(
        CustomerFactory.build(
            external_id=f"bench-{n:05d}", owner=owners[n % len(owners)], team=team
        )
        for n in range(CUSTOMERS)
    )
    return Fixtures(token=create_token(env), customer_ids={c.external_id: c.id for c in customers})


def seed_history(bench_fixtures: Fixtures, events: int) -> None:
    """Events already turned into hits and runs through the app's own services, so every
    measure runs against tables with a history, as a deployment's are: sizes, statistics and
    plans of a running system rather than of empty tables.

    Empty tables do mislead: PostgreSQL plans a session's foreign-key checks (runstep → run,
    run → hit…) once, and plans made while the tables are empty stay sequential scans for the
    session's life. Measured in one process and one session, successive rounds of 2000 events
    took 2.3 s, 4.9 s, 7.5 s; with a new session per round, 1.1 s each. (Celery's Django fixup
    closes connections around every task, so workers start a session per task; gunicorn, with
    CONN_MAX_AGE, and this process keep theirs.)
    """
    from django.conf import settings
    from django.db import connection

    from journeys import services

    chunk = settings.MAX_EVENTS_PER_BATCH
    for start in range(0, events, chunk):
        payloads = our_payloads(bench_fixtures, min(chunk, events - start), source="history")
        results = services.ingest_events(items=[event_input(p) for p in payloads])
        ids = [r.event_id for r in results if isinstance(r, services.IngestResult)]
        for first in range(0, len(ids), settings.EVENTS_PER_TASK):
            services.process_events(event_ids=ids[first : first + settings.EVENTS_PER_TASK])
        connection.close()  # the next session plans against the grown tables
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def event_input(payload: dict[str, Any]) -> Any:
    """A payload of POST events/ as the service's input (what the API's serializer makes)."""
    from django.utils.dateparse import parse_datetime

    from journeys.services import EventInput

    return EventInput(
        customer=payload["customer"],
        type=payload["type"],
        occurred_at=parse_datetime(payload["occurred_at"]),
        source=payload["source"],
        data=payload["data"],
    )


def create_token(env: Environment) -> str:
    """A real token, made the documented way: the command prints it on its last line."""
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_token",
            "--name",
            "bench",
            "--scopes",
            "events:write,customers:write",
        ],
        cwd=ROOT,
        env=env.process_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return completed.stdout.strip().splitlines()[-1]


def event_payload(n: int, customer: str | int, *, source: str = "bench") -> dict[str, Any]:
    """The n-th event, shaped like the body of POST events/ (the baseline gets a customer id
    where ours gets the external id; everything else is the same)."""
    return {
        "customer": customer,
        "type": EVENT_TYPES[n % len(EVENT_TYPES)],
        "occurred_at": (OCCURRED_AT + timedelta(seconds=n)).isoformat(),
        "source": source,
        "data": {"n": n, "priority": "normal", "subject": "Bench event"},
    }


def our_payloads(fixtures: Fixtures, count: int, *, source: str = "bench") -> list[dict[str, Any]]:
    ids = fixtures.external_ids
    return [event_payload(n, ids[n % len(ids)], source=source) for n in range(count)]


def baseline_payloads(fixtures: Fixtures, count: int) -> list[dict[str, Any]]:
    ids = list(fixtures.customer_ids.values())
    return [event_payload(n, ids[n % len(ids)]) for n in range(count)]
