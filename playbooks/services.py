"""Writes on plays and runs: firing plays at hits, releasing delayed runs, working runs."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from journeys.bulk import insert_instances, insert_rows
from journeys.conditions import condition_holds, customer_facts, event_facts
from journeys.models import TouchpointHit
from playbooks.assignment import RoundRobin, assign
from playbooks.exceptions import RunNotAllowed, UnknownStep
from playbooks.models import Play, Playbook, PlayRun, RunStep, RunTransition

logger = logging.getLogger(__name__)

# Scheduled runs released per tick; each release is one short transaction.
RELEASE_BATCH_SIZE = 500


def fire_plays(*, hits: list[TouchpointHit], now: datetime | None = None) -> list[PlayRun]:
    """Create the runs of every live play at these hits: assignee, due time and a copy of the
    play's steps. Must run inside the transaction that created the hits. Queries stay constant
    however many hits, touchpoints and plays there are."""
    if not hits:
        return []
    plays_by_touchpoint: dict[int, list[Play]] = {}
    for play in (
        Play.objects.live()
        .filter(touchpoint_id__in={hit.touchpoint_id for hit in hits})
        .prefetch_related("steps")
        .order_by("playbook_id", "position", "id")
    ):
        plays_by_touchpoint.setdefault(play.touchpoint_id, []).append(play)
    if not plays_by_touchpoint:
        return []
    round_robin = RoundRobin([p for plays in plays_by_touchpoint.values() for p in plays])

    now = now or timezone.now()
    runs: list[PlayRun] = []
    for hit in hits:
        facts: dict[str, Any] | None = None
        for play in plays_by_touchpoint.get(hit.touchpoint_id, ()):
            if play.condition:
                facts = facts or {
                    "customer": customer_facts(hit.customer),
                    "event": event_facts(hit.event),
                }
                if not condition_holds(play.condition, facts):
                    continue
            assignment = assign(play=play, customer=hit.customer, round_robin=round_robin)
            fire_at = hit.occurred_at + play.delay
            fires_now = fire_at <= now
            runs.append(
                PlayRun(
                    play=play,
                    hit=hit,
                    customer=hit.customer,
                    assignee_id=assignment.assignee_id,
                    team_id=assignment.team_id,
                    status=PlayRun.Status.OPEN if fires_now else PlayRun.Status.SCHEDULED,
                    fire_at=fire_at,
                    fired_at=now if fires_now else None,
                    due_at=fire_at + play.due,
                )
            )
    if not runs:
        return []
    insert_instances(runs)
    round_robin.save()
    insert_rows(
        RunStep,
        ("run", "position", "title", "required", "created_at", "updated_at"),
        [
            (run.id, step.position, step.title, step.required, now, now)
            for run in runs
            for step in run.play.steps.all()
        ],
    )
    insert_rows(
        RunTransition,
        ("run", "from_status", "to_status", "reason", "created_at"),
        [(run.id, "", run.status, "", now) for run in runs],
    )
    _enqueue_actions([run for run in runs if run.status == PlayRun.Status.OPEN])
    return runs


def fire_plays_for_hits_receiver(
    sender: Any, *, hits: list[TouchpointHit], now: datetime | None = None, **_: Any
) -> None:
    """Receiver of journeys.handoff.touchpoints_reached."""
    fire_plays(hits=hits, now=now)


def _enqueue_actions(runs: list[PlayRun]) -> None:
    from playbooks.tasks import run_action_task

    for run in runs:
        if run.play.action:
            transaction.on_commit(partial(run_action_task.delay, run.id))


def release_delayed_runs(*, now: datetime | None = None) -> int:
    """Open scheduled runs whose fire time has come. Claims rows with SKIP LOCKED, so two beat
    ticks or two workers never release the same run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        runs = list(
            PlayRun.objects.due_to_fire(now)
            .select_related("play")
            .order_by("fire_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:RELEASE_BATCH_SIZE]
        )
        if not runs:
            return 0
        PlayRun.objects.filter(id__in=[r.id for r in runs]).update(
            status=PlayRun.Status.OPEN, fired_at=now
        )
        RunTransition.objects.bulk_create(
            [
                RunTransition(
                    run=run, from_status=PlayRun.Status.SCHEDULED, to_status="open", created_at=now
                )
                for run in runs
            ]
        )
        _enqueue_actions(runs)
    return len(runs)


@transaction.atomic
def set_playbook_status(*, playbook: Playbook, status: str, actor: Any) -> bool:
    """Publish, archive or return a playbook to draft; recorded in its history. Returns
    whether anything changed. Only published playbooks fire."""
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if playbook.status == status:
        return False
    playbook.status = status
    playbook._change_reason = f"status set to {status}"  # read by django-simple-history
    playbook.save(update_fields=["status", "updated_at"])
    logger.info("playbook.status_set", extra={"playbook": playbook.key, "status": status})
    return True


# --- working a run ------------------------------------------------------------------------------


def _locked_run(run_id: int) -> PlayRun:
    return PlayRun.objects.select_for_update().get(id=run_id)


def _transition(*, run: PlayRun, to: str, actor: Any, reason: str = "", now: datetime) -> None:
    if not run.can_become(to):
        raise RunNotAllowed(f"A {run.status} run cannot become {to}.")
    RunTransition.objects.create(
        run=run, from_status=run.status, to_status=to, actor=actor, reason=reason, created_at=now
    )
    run.status = to
    if to in PlayRun.CLOSED_STATUSES:
        run.completed_at = now
        run.closed_by = actor


@transaction.atomic
def complete_step(
    *, run: PlayRun, step_id: int, actor: Any, now: datetime | None = None
) -> RunStep:
    """Tick one step. Ticking a step twice keeps the first time and person."""
    run = _locked_run(run.id)
    if run.status != PlayRun.Status.OPEN:
        raise RunNotAllowed(f"Steps of a {run.status} run cannot change.")
    try:
        step = run.steps.get(id=step_id)
    except RunStep.DoesNotExist:
        raise UnknownStep(f"Run {run.id} has no step {step_id}.") from None
    if step.done_at is None:
        step.done_at = now or timezone.now()
        step.done_by = actor
        step.save(update_fields=["done_at", "done_by", "updated_at"])
    return step


@transaction.atomic
def complete_run(
    *, run: PlayRun, actor: Any, outcome: str, note: str = "", now: datetime | None = None
) -> PlayRun:
    """Close a run as completed. Required steps left undone are allowed and recorded
    (`required_steps_done = False`): they count against consistency."""
    run = _locked_run(run.id)
    now = now or timezone.now()
    _transition(run=run, to=PlayRun.Status.COMPLETED, actor=actor, now=now)
    run.outcome = outcome
    run.note = note
    run.required_steps_done = not run.steps.filter(required=True, done_at__isnull=True).exists()
    run.save()
    return run


@transaction.atomic
def skip_run(*, run: PlayRun, actor: Any, reason: str, now: datetime | None = None) -> PlayRun:
    run = _locked_run(run.id)
    now = now or timezone.now()
    _transition(run=run, to=PlayRun.Status.SKIPPED, actor=actor, reason=reason, now=now)
    run.note = reason
    run.save()
    return run
