"""Reads that span journeys and playbooks, scoped to what the caller may see."""

from __future__ import annotations

from typing import Any

from journeys.models import Customer, Event, TouchpointHit
from playbooks.models import PlayRun

TIMELINE_LIMIT = 500  # most recent entries of each kind; older history stays in the admin


def customer_timeline(*, customer: Customer, user: Any) -> list[dict[str, Any]]:
    """Events, hits and runs in the order they happened: events and hits at occurred_at, runs
    at the time the touchpoint was reached (ties broken events, then hits, then runs)."""
    entries: list[tuple[Any, int, int, dict[str, Any]]] = []
    for event in Event.objects.filter(customer=customer).order_by("-occurred_at", "-id")[
        :TIMELINE_LIMIT
    ]:
        entries.append(
            (
                event.occurred_at,
                0,
                event.id,
                {
                    "kind": "event",
                    "at": event.occurred_at,
                    "id": event.id,
                    "summary": event.type,
                    "detail": {
                        "source": event.source,
                        "data": event.data,
                        "processed": event.processed_at is not None,
                    },
                },
            )
        )
    for hit in (
        TouchpointHit.objects.filter(customer=customer)
        .select_related("touchpoint__stage")
        .order_by("-occurred_at", "-id")[:TIMELINE_LIMIT]
    ):
        entries.append(
            (
                hit.occurred_at,
                1,
                hit.id,
                {
                    "kind": "hit",
                    "at": hit.occurred_at,
                    "id": hit.id,
                    "summary": hit.touchpoint.name,
                    "detail": {
                        "touchpoint": hit.touchpoint.key,
                        "stage": hit.touchpoint.stage.key,
                        "event": hit.event_id,
                    },
                },
            )
        )
    runs = (
        PlayRun.objects.filter(customer=customer)
        .visible_to(user)
        .select_related("play__playbook", "assignee", "hit")
        .order_by("-fire_at", "-id")[:TIMELINE_LIMIT]
    )
    for run in runs:
        entries.append(
            (
                run.hit.occurred_at,
                2,
                run.id,
                {
                    "kind": "run",
                    "at": run.fire_at,
                    "id": run.id,
                    "summary": run.play.name,
                    "detail": {
                        "play": run.play.key,
                        "playbook": run.play.playbook.key,
                        "status": run.status,
                        "assignee": run.assignee.username if run.assignee else None,
                        "due_at": run.due_at.isoformat(),
                        "hit": run.hit_id,
                    },
                },
            )
        )
    entries.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in entries]
