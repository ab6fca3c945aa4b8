"""Automated actions of a fired run (a webhook today), tried with recorded attempts.

The HTTP call happens outside any transaction or row lock; only the attempt's record is
written in a short transaction afterwards. 5xx, timeouts and connection errors are retried
with backoff; any other 4xx is permanent.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from playbooks.models import ActionAttempt, PlayRun

logger = logging.getLogger(__name__)

ACTION_TYPES = {"webhook"}
RESPONSE_BODY_KEPT = 2000  # characters of a peer's answer kept on the attempt


@dataclass(frozen=True)
class ActionOutcome:
    status: str
    retry_in: timedelta | None


def validate_action(action: Any) -> None:
    """Raise ValueError naming the problem unless `action` is one this version can run."""
    if not isinstance(action, dict):
        raise ValueError("an action is a mapping such as {type: webhook, url: https://…}")
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        raise ValueError(f"unknown action type {kind!r}; known: {', '.join(sorted(ACTION_TYPES))}")
    url = action.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("a webhook action needs an http(s) url")
    unknown = set(action) - {"type", "url"}
    if unknown:
        raise ValueError(f"unknown action key(s): {', '.join(sorted(unknown))}")


def run_payload(run: PlayRun) -> dict[str, Any]:
    return {
        "run": run.id,
        "play": run.play.key,
        "playbook": run.play.playbook.key,
        "customer": run.customer.external_id,
        "customer_name": run.customer.name,
        "touchpoint": run.hit.touchpoint.key,
        "assignee": run.assignee.username if run.assignee else None,
        "status": run.status,
        "fired_at": run.fired_at.isoformat() if run.fired_at else None,
        "due_at": run.due_at.isoformat(),
    }


def backoff(attempt: int) -> timedelta:
    base = min(2**attempt * 15, 3600)
    return timedelta(seconds=base + random.uniform(0, base / 4))


def attempt_action(*, run_id: int) -> ActionOutcome | None:
    """Try a run's action once; returns None when there is nothing (more) to do."""
    run = (
        PlayRun.objects.select_related("play__playbook", "customer", "hit__touchpoint", "assignee")
        .filter(id=run_id)
        .first()
    )
    if run is None or not run.play.action or run.status != PlayRun.Status.OPEN:
        return None
    previous = list(run.action_attempts.order_by("attempt").values_list("status", flat=True))
    if previous and previous[-1] in {ActionAttempt.Status.SUCCEEDED, ActionAttempt.Status.FAILED}:
        return None  # a redelivered message: the action already reached a final state
    attempt_no = len(previous) + 1
    action = run.play.action
    url = action.get("url", "")
    status_code = None
    body = ""
    error = ""
    retryable = False
    try:
        response = requests.post(
            url,
            json=run_payload(run),
            timeout=settings.ACTION_TIMEOUT_SECONDS,
            headers={"User-Agent": "playbook-orchestrator/1", "Idempotency-Key": f"run-{run.id}"},
        )
        status_code = response.status_code
        body = response.text[:RESPONSE_BODY_KEPT]
        ok = 200 <= status_code < 300
        retryable = status_code >= 500 or status_code in {408, 429}
        if not ok:
            error = f"HTTP {status_code}"
    except requests.RequestException as exc:
        ok = False
        retryable = True
        error = f"{type(exc).__name__}: {exc}"[:RESPONSE_BODY_KEPT]

    if ok:
        status = ActionAttempt.Status.SUCCEEDED
        retry_in = None
    elif retryable and attempt_no < settings.ACTION_MAX_ATTEMPTS:
        status = ActionAttempt.Status.RETRYING
        retry_in = backoff(attempt_no)
    else:
        status = ActionAttempt.Status.FAILED
        retry_in = None
    with transaction.atomic():
        ActionAttempt.objects.get_or_create(
            run=run,
            attempt=attempt_no,
            defaults={
                "status": status,
                "request_url": url[:500],
                "response_status": status_code,
                "response_body": body,
                "error": error,
                "next_retry_at": timezone.now() + retry_in if retry_in else None,
            },
        )
    logger.info(
        "action.attempted",
        extra={"run_id": run.id, "attempt": attempt_no, "status": status, "http": status_code},
    )
    return ActionOutcome(status=status, retry_in=retry_in)
