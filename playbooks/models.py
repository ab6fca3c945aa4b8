"""What we do about it: playbooks, plays and their steps, runs, and automated action attempts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from journeys.models import Customer, Department, Team, TimestampedModel, Touchpoint, TouchpointHit
from playbooks.querysets import PlayQuerySet, PlayRunQuerySet


class Playbook(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Play(TimestampedModel):
    class Assign(models.TextChoices):
        OWNER = "owner", "Customer owner"
        TEAM = "team", "Team queue"
        ROUND_ROBIN = "round-robin", "Round robin in a team"
        USER = "user", "Named user"

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="plays")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.PROTECT, related_name="plays")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="plays")
    assign = models.CharField(max_length=20, choices=Assign.choices, default=Assign.OWNER)
    assign_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_minutes = models.PositiveIntegerField(default=2 * 24 * 60, help_text="SLA after firing")
    delay_minutes = models.PositiveIntegerField(default=0, help_text="fire this long after the hit")
    condition = models.TextField(blank=True, help_text="rule-engine expression; empty = always")
    action = models.JSONField(null=True, blank=True, help_text='e.g. {"type": "webhook", "url"}')
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    objects = PlayQuerySet.as_manager()

    class Meta:
        ordering = ["playbook_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "key"], name="play_unique_key_per_book"),
            models.CheckConstraint(
                condition=Q(assign="team", assign_team__isnull=False)
                | Q(assign="round-robin", assign_team__isnull=False)
                | Q(assign="user", assign_user__isnull=False)
                | Q(assign="owner"),
                name="play_assignment_target_present",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook.key}/{self.key}"

    def clean(self) -> None:
        from journeys.conditions import InvalidCondition, validate_condition

        errors: dict[str, str] = {}
        try:
            validate_condition(self.condition)
        except InvalidCondition as exc:
            errors["condition"] = str(exc)
        if self.assign in {self.Assign.TEAM, self.Assign.ROUND_ROBIN} and not self.assign_team_id:
            errors["assign_team"] = "A team queue or round robin needs a team."
        if self.assign == self.Assign.USER and not self.assign_user_id:
            errors["assign_user"] = "A named-user assignment needs a user."
        if self.action:
            from playbooks.actions import validate_action

            try:
                validate_action(self.action)
            except ValueError as exc:
                errors["action"] = str(exc)
        if errors:
            raise ValidationError(errors)

    @property
    def due(self) -> timedelta:
        return timedelta(minutes=self.due_minutes)

    @property
    def delay(self) -> timedelta:
        return timedelta(minutes=self.delay_minutes)


class PlayStep(TimestampedModel):
    play = models.ForeignKey(Play, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    required = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["play_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class PlayRun(TimestampedModel):
    """One firing of a play for one customer at one hit. Steps are copied at firing time."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled (delayed)"
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    # The status machine as data: every transition a service may make.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SCHEDULED: frozenset({Status.OPEN, Status.CANCELLED}),
        Status.OPEN: frozenset({Status.COMPLETED, Status.SKIPPED, Status.CANCELLED, Status.FAILED}),
        Status.COMPLETED: frozenset(),
        Status.SKIPPED: frozenset(),
        Status.CANCELLED: frozenset(),
        Status.FAILED: frozenset(),
    }
    CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.SKIPPED, Status.CANCELLED, Status.FAILED})

    play = models.ForeignKey(Play, on_delete=models.PROTECT, related_name="runs")
    hit = models.ForeignKey(TouchpointHit, on_delete=models.CASCADE, related_name="runs")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="runs")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_runs",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # When the play fires: the hit's occurred_at plus the play's delay.
    fire_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    required_steps_done = models.BooleanField(null=True, blank=True)

    objects = PlayRunQuerySet.as_manager()

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["play", "hit"], name="run_unique_per_play_and_hit"),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "open"]) | Q(completed_at__isnull=False),
                name="run_closed_has_completed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="open"), name="run_open_by_due"),
            models.Index(
                fields=["fire_at"], condition=Q(status="scheduled"), name="run_scheduled_by_fire"
            ),
            models.Index(fields=["assignee", "status"], name="run_assignee_status"),
            models.Index(fields=["team", "status"], name="run_team_status"),
            models.Index(fields=["customer", "fire_at"], name="run_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.play} for {self.customer_id} ({self.status})"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class RunStep(TimestampedModel):
    run = models.ForeignKey(PlayRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    required = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [
            # Makes copying steps idempotent when two workers fire the same run.
            models.UniqueConstraint(fields=["run", "position"], name="runstep_unique_position")
        ]

    def __str__(self) -> str:
        return self.title


class RunTransition(models.Model):
    """Every status change of a run, who made it and when."""

    run = models.ForeignKey(PlayRun, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # Not auto_now_add: replayed history (seed_demo) records when the change really happened.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.from_status or 'new'} → {self.to_status}"


class RoundRobinCursor(TimestampedModel):
    """Where round robin stands in a team; rows are locked while a batch assigns."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="round_robin")
    position = models.PositiveIntegerField(default=0)


class ActionAttempt(TimestampedModel):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed permanently"

    run = models.ForeignKey(PlayRun, on_delete=models.CASCADE, related_name="action_attempts")
    attempt = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices)
    request_url = models.URLField(max_length=500, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt"], name="action_attempt_unique")
        ]
