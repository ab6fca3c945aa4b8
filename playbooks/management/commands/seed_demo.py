"""`seed_demo`: an idempotent, realistic demo so every screen has something true to show.

Imports playbooks/demo/b2b_lifecycle.yaml, creates people who can log in, 50 customers and
about six weeks of history per customer, replayed through the same services the API and the
workers use (ingest, processing, working runs), with times in the past. Deterministic:
random.Random(42). Running it again adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from journeys.models import Customer, Department, Event, Team, Touchpoint
from journeys.services import EventInput, ingest_events, process_events, upsert_customer
from playbooks.as_code import import_playbooks
from playbooks.models import Play, PlayRun
from playbooks.services import complete_run, complete_step, skip_run

DEMO_YAML = Path(__file__).resolve().parents[2] / "demo" / "b2b_lifecycle.yaml"
DEMO_PASSWORD = "demo"
CUSTOMERS = 50
HISTORY_DAYS = 42

PREFIXES = [
    "Northwind",
    "Bluebird",
    "Cobalt",
    "Evergreen",
    "Granite",
    "Harbor",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchard",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
    "Union",
    "Vantage",
    "Willow",
    "Atlas",
    "Beacon",
    "Cascade",
    "Driftwood",
    "Ember",
]
SUFFIXES = [
    "Logistics",
    "Health",
    "Foods",
    "Analytics",
    "Manufacturing",
    "Retail",
    "Energy",
    "Labs",
    "Finance",
    "Media",
]
SEGMENTS = [("enterprise", 60_000, 240_000), ("mid-market", 15_000, 60_000), ("smb", 2_400, 15_000)]
REGIONS = ["emea", "north-america", "apac", "latam"]
PLANS = {"enterprise": "enterprise", "mid-market": "growth", "smb": "starter"}
OWNERS = ["ana", "ben", "cem", "iris", "jon"]
OUTCOMES = ["goal met", "customer engaged", "follow-up booked", "resolved", "escalated"]
SKIP_REASONS = ["customer on holiday", "duplicate of another run", "contact left the company"]

# The path most customers walk, in order; each customer gets as far as its depth.
LIFECYCLE = [
    "webinar.attended",
    "demo.requested",
    "trial.started",
    "contract.signed",
    "kickoff.completed",
    "first_value.reached",
    "ticket.opened",
    "csat.submitted",
    "invoice.overdue",
    "renewal.due",
    "renewal.signed",
]
AT_RISK = ["ticket.escalated", "usage.dropped", "payment.failed", "churn_risk.flagged"]


@dataclass(frozen=True)
class Plan:
    """One customer's generated profile and history."""

    external_id: str
    name: str
    segment: str
    arr: Decimal
    owner: str
    at_risk: bool
    events: list[tuple[datetime, str, dict[str, Any]]]


class Command(BaseCommand):
    help = "Load the demo journey, playbooks, teams, customers and a few weeks of history."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now().replace(microsecond=0)
        rng = random.Random(42)
        summary = import_playbooks(text=DEMO_YAML.read_text(encoding="utf-8"))
        self.stdout.write(f"Playbooks: {summary}")
        self._people()
        plans = [self._plan(index, rng, now) for index in range(CUSTOMERS)]
        fresh = self._customers(plans)
        events = self._history([p for p in plans if p.external_id in fresh])
        worked = self._work_runs(rng, now, {p.external_id for p in plans if p.external_id in fresh})
        self.stdout.write(
            f"Demo ready: {Customer.objects.count()} customers, {Event.objects.count()} events, "
            f"{PlayRun.objects.count()} runs ({events} events and {worked} worked runs added now); "
            f"{Touchpoint.objects.count()} touchpoints, {Play.objects.count()} plays, "
            f"{Department.objects.count()} departments, {Team.objects.count()} teams."
        )
        self.stdout.write(
            "Log in at http://127.0.0.1:8000/admin/ as admin / admin "
            f"(team members, e.g. ana, use the password {DEMO_PASSWORD!r})."
        )

    def _people(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username="admin").exists():
            users.objects.create_superuser("admin", "admin@example.com", "admin")
        for user in users.objects.filter(teams__isnull=False).distinct():
            if not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])

    def _plan(self, index: int, rng: random.Random, now: datetime) -> Plan:
        segment, low, high = SEGMENTS[0 if index % 5 == 0 else (1 if index % 5 < 3 else 2)]
        arr = Decimal(rng.randrange(low, high, 600))
        name = f"{PREFIXES[index % len(PREFIXES)]} {SUFFIXES[(index * 7) % len(SUFFIXES)]}"
        at_risk = rng.random() < 0.2
        depth = rng.randint(3, len(LIFECYCLE))
        moment = now - timedelta(days=HISTORY_DAYS - rng.uniform(0, 6))
        events: list[tuple[datetime, str, dict[str, Any]]] = []
        for event_type in LIFECYCLE[:depth]:
            data: dict[str, Any] = {}
            if event_type == "ticket.opened":
                data = {
                    "priority": rng.choice(["low", "normal", "urgent"]),
                    "subject": "Sync delay",
                }
            elif event_type == "csat.submitted":
                data = {"score": rng.choice([1, 2, 4, 5, 5])}
            elif event_type == "invoice.overdue":
                data = {"invoice": f"INV-{index:03d}-{rng.randint(100, 999)}", "days_overdue": 7}
            events.append((moment, event_type, data))
            moment += timedelta(days=rng.uniform(1.5, 4.5), hours=rng.uniform(0, 8))
            if moment > now - timedelta(hours=2):
                break
        if at_risk:
            risk_at = min(moment, now - timedelta(hours=rng.uniform(3, 72)))
            events.append((risk_at, rng.choice(AT_RISK), {"signal": "demo"}))
        return Plan(
            external_id=f"demo-{index + 1:03d}",
            name=name,
            segment=segment,
            arr=arr,
            owner=OWNERS[index % len(OWNERS)],
            at_risk=at_risk,
            events=sorted(events, key=lambda e: e[0]),
        )

    def _customers(self, plans: list[Plan]) -> set[str]:
        """Create the customers that are missing; returns those that need history."""
        existing = set(
            Event.objects.filter(source="demo").values_list("customer__external_id", flat=True)
        )
        for plan in plans:
            team = "onboarding-crew" if plan.owner in {"ana", "ben", "cem"} else "renewals-desk"
            first = plan.events[0][0].date()
            upsert_customer(
                external_id=plan.external_id,
                name=plan.name,
                segment=plan.segment,
                owner_username=plan.owner,
                team_key=team,
                arr=plan.arr,
                acquisition_cost=(plan.arr * Decimal("0.35")).quantize(Decimal("1")),
                started_on=first,
                renewal_date=date(first.year + 1, first.month, min(first.day, 28)),
                status=Customer.Status.AT_RISK if plan.at_risk else Customer.Status.ACTIVE,
                attributes={
                    "plan": PLANS[plan.segment],
                    "region": REGIONS[int(plan.external_id[-3:]) % len(REGIONS)],
                    "seats": int(plan.arr // 600),
                },
            )
        return {p.external_id for p in plans} - existing

    def _history(self, plans: list[Plan]) -> int:
        items = [
            (
                occurred,
                EventInput(
                    customer=plan.external_id,
                    type=event_type,
                    occurred_at=occurred,
                    source="demo",
                    idempotency_key=f"demo-{plan.external_id}-{n}",
                    data=data,
                ),
            )
            for plan in plans
            for n, (occurred, event_type, data) in enumerate(plan.events)
        ]
        items.sort(key=lambda pair: pair[0])
        with transaction.atomic():
            results = ingest_events(items=[item for _, item in items])
        # Replayed in the order things happened, each processed a few minutes after it occurred.
        for (occurred, _), result in zip(items, results, strict=True):
            process_events(event_ids=[result.event_id], now=occurred + timedelta(minutes=3))
        return len(items)

    def _work_runs(self, rng: random.Random, now: datetime, customers: set[str]) -> int:
        worked = 0
        runs = (
            PlayRun.objects.filter(customer__external_id__in=customers, status=PlayRun.Status.OPEN)
            .select_related("assignee", "team")
            .prefetch_related("steps", "team__members")
            .order_by("id")
        )
        for run in runs:
            window = run.due_at - run.fired_at
            if run.fired_at > now - timedelta(days=2) or rng.random() < 0.25:
                continue  # recent work, or left open (overdue once its due time passes)
            actor = run.assignee
            if actor is None and run.team is not None:
                actor = next(iter(run.team.members.all()), None)  # someone from the queue
            roll = rng.random()
            if roll < 0.08:
                at = min(now, run.fired_at + window * rng.uniform(0.1, 0.6))
                skip_run(run=run, actor=actor, reason=rng.choice(SKIP_REASONS), now=at)
                worked += 1
                continue
            late = roll > 0.80
            at = run.fired_at + window * (rng.uniform(1.1, 2.0) if late else rng.uniform(0.2, 0.9))
            at = min(now, at)
            missed_one = 0.70 < roll <= 0.80
            step_at = max(run.fired_at, at - timedelta(minutes=30))
            for step in run.steps.all():
                if step.required and missed_one:
                    missed_one = False
                    continue
                if step.required or rng.random() < 0.6:
                    complete_step(run=run, step_id=step.id, actor=actor, now=step_at)
            complete_run(run=run, actor=actor, outcome=rng.choice(OUTCOMES), now=at)
            worked += 1
        return worked
