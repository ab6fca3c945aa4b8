"""Celery entry points for playbook work: thin, id-based and safe to run twice."""

from __future__ import annotations

from celery import shared_task

from playbooks import actions, services
from playbooks.models import ActionAttempt


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def run_action_task(self, run_id: int) -> None:
    outcome = actions.attempt_action(run_id=run_id)
    if outcome is not None and outcome.status == ActionAttempt.Status.RETRYING:
        raise self.retry(countdown=outcome.retry_in.total_seconds())


@shared_task(acks_late=True, ignore_result=True)
def release_delayed_runs_task() -> None:
    while services.release_delayed_runs() == services.RELEASE_BATCH_SIZE:
        pass
