"""Celery entry points for journey work: thin, id-based and safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from journeys import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def process_events_task(event_ids: list[int]) -> None:
    services.process_events(event_ids=event_ids, also_pending=settings.EVENTS_PER_TASK)


@shared_task(acks_late=True, ignore_result=True)
def sweep_unprocessed_events_task() -> None:
    services.requeue_stale_events()
