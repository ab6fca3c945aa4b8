"""The no-op Celery task: the baseline cost of one task on our broker, worker and settings."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def noop_task() -> None:
    """Does nothing. Acked late like the app's tasks (CELERY_TASK_ACKS_LATE), so the bench
    knows every one ran once the queue and the broker's unacked set are both empty."""
