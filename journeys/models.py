"""Where the customer is: departments, teams, customers, the journey map, events and hits."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager
from simple_history.models import HistoricalRecords

from journeys.querysets import CustomerQuerySet, EventQuerySet


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Department(TimestampedModel):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(TimestampedModel):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="teams")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Journey(TimestampedModel):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(TimestampedModel):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="stages")
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["journey_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "key"], name="stage_unique_key_per_journey")
        ]

    def __str__(self) -> str:
        return f"{self.journey.key}/{self.key}"


class Touchpoint(TimestampedModel):
    """Reached when an event of `event_type` arrives for a customer (and `condition` holds)."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoints")
    # Plays refer to touchpoints by key alone (see the YAML format), so keys are global.
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100, db_index=True)
    condition = models.TextField(blank=True, help_text="rule-engine expression; empty = always")
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["stage__journey_id", "stage__position", "position", "id"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        from journeys.conditions import InvalidCondition, validate_condition

        try:
            validate_condition(self.condition)
        except InvalidCondition as exc:
            raise ValidationError({"condition": str(exc)}) from None


class Customer(TimestampedModel):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        AT_RISK = "at_risk", "At risk"
        CHURNED = "churned", "Churned"

    external_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    segment = models.CharField(max_length=64, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    arr = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    acquisition_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    started_on = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    attributes = models.JSONField(default=dict, blank=True)
    # Derived from hits: the stage of the hit with the latest occurred_at (not arrival order).
    current_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_stage_since = models.DateTimeField(null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="customer_arr_not_negative"),
            models.CheckConstraint(
                condition=Q(acquisition_cost__gte=0), name="customer_cac_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class Event(TimestampedModel):
    """Something that happened to a customer. Accepted events are never lost (see sweeper)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=100, blank=True, default="")
    # NULL, not "", means "no key": the unique constraint only covers events that have one.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    data = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=1)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="event_unique_idempotency_key_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="event_customer_time"),
            # The sweeper's query: accepted but not processed yet.
            models.Index(
                fields=["updated_at"],
                condition=Q(processed_at__isnull=True),
                name="event_unprocessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.customer_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class TouchpointHit(TimestampedModel):
    """The record that a customer reached a touchpoint through an event."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="hits")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="hits")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="hits")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["touchpoint", "event"], name="hit_unique_per_touchpoint_and_event"
            )
        ]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="hit_customer_time")]

    def __str__(self) -> str:
        return f"{self.touchpoint.key} by {self.customer_id}"


class ApiTokenManager(BaseAPIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        return super().get_usable_keys().select_related("user")


class ApiToken(AbstractAPIKey):
    """A hashed API token with scopes; optionally acting as a person (`--user`)."""

    class Scope(models.TextChoices):
        EVENTS_WRITE = "events:write", "Write events"
        CUSTOMERS_WRITE = "customers:write", "Write customers"
        CUSTOMERS_READ = "customers:read", "Read customers"
        RUNS_READ = "runs:read", "Read play runs"
        RUNS_WRITE = "runs:write", "Work play runs"
        SCORES_READ = "scores:read", "Read consistency scores"

    scopes = models.JSONField(default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )

    objects = ApiTokenManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
