"""`seed_demo`: an idempotent, realistic demo so every screen has something true to show.

Imports playbooks/demo/b2b_lifecycle.yaml, lets the demo people log in, creates 50 customers
and replays about six weeks of their history through the same services the API and the workers
use (ingest, processing, releasing delayed runs, working runs), with times in the past.
Deterministic (random.Random(42), dates relative to today); running it again adds nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from journeys.models import Customer, Department, Event, Team, Touchpoint
from journeys.services import (
    EventInput,
    IngestResult,
    ingest_events,
    process_events,
    upsert_customer,
)
from playbooks.as_code import import_playbooks
from playbooks.models import Play, Playbook, PlayRun
from playbooks.querysets import OPS_ADMIN_GROUP
from playbooks.services import complete_run, complete_step, release_delayed_runs, skip_run

User = get_user_model()

DEMO_YAML = Path(__file__).resolve().parents[2] / "demo" / "b2b_lifecycle.yaml"
SOURCE = "demo"
SEED = 42
CUSTOMERS = 50
HISTORY = timedelta(days=42)
PROCESSING_LAG = timedelta(minutes=2)  # how long after an event a worker picked it up
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "admin"
DEMO_PASSWORD = "demo"
OPS_ADMIN = "olga"  # sees every run and edits playbooks in the admin, as an ops admin would

ACCOUNT_EXECUTIVES = ["sam", "sofia"]
CSMS = ["olivia", "priya", "tom"]
FULL_NAMES = {
    "maya": "Maya Okafor", "noah": "Noah Lindqvist", "sam": "Sam Patel", "sofia": "Sofia Rossi",
    "ana": "Ana Lima", "ben": "Ben Carter", "cem": "Cem Yilmaz", "dana": "Dana Cohen",
    "eli": "Eli Novak", "femi": "Femi Adeyemi", "gia": "Gia Tran", "hugo": "Hugo Martin",
    "iris": "Iris Berg", "jon": "Jon Evans", "olivia": "Olivia Grant", "priya": "Priya Nair",
    "tom": "Tom Becker", "vera": "Vera Sokolova",
}  # fmt: skip


@dataclass(frozen=True)
class SegmentProfile:
    count: int
    arr: tuple[int, int]
    # Acquisition cost as a share of first-year ARR; SMB deals are cheap to win but some are
    # won at a loss (CAC above ARR), which the money view should show.
    cac_ratio: tuple[float, float]
    plan: str
    seat_price: int  # list price per seat and year
    billing: str


SEGMENTS = {
    "enterprise": SegmentProfile(12, (60_000, 260_000), (0.9, 1.5), "enterprise", 540, "invoice"),
    "mid-market": SegmentProfile(18, (15_000, 60_000), (0.6, 1.1), "growth", 420, "invoice"),
    "smb": SegmentProfile(20, (3_000, 15_000), (0.3, 1.2), "starter", 300, "card"),
}
# Where each customer stands when the six weeks of history begin.
PHASES = {"prospect": 8, "new": 14, "established": 28}
AT_RISK = 7  # of the established customers; at least two of them enterprise accounts
CHURNED = 2  # of those at risk: gave notice during the six weeks

COMPANY_WORDS = [
    "Northwind", "Bluebird", "Cobalt", "Evergreen", "Granite", "Harbor", "Juniper", "Keystone",
    "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer", "Quartz", "Redwood", "Summit",
    "Tidewater", "Vantage", "Willow", "Atlas", "Beacon", "Cascade", "Driftwood", "Ember",
]  # fmt: skip
COMPANY_TRADES = [
    "Logistics", "Health", "Foods", "Analytics", "Manufacturing", "Retail", "Energy", "Labs",
    "Insurance", "Media", "Freight", "Robotics",
]  # fmt: skip
REGIONS = {
    "north-america": ["Inc.", "LLC"],
    "emea": ["GmbH", "Ltd", "B.V.", "SAS"],
    "apac": ["Pty Ltd", "Pte. Ltd."],
    "latam": ["S.A.", "Ltda."],
}
REGION_WEIGHTS = [5, 4, 2, 1]

WEBINARS = [
    "Cutting churn with journey analytics",
    "Onboarding playbooks that scale",
    "From NPS to net revenue retention",
]
ASSETS = ["Churn Virus white paper", "CX consistency benchmark 2026", "Renewal playbook template"]
TICKET_SUBJECTS = [
    "SSO login fails for newly provisioned users",
    "CSV export times out on large workspaces",
    "Webhook deliveries delayed by several minutes",
    "Dashboard numbers differ from the API",
    "Invoice shows the wrong VAT number",
    "Salesforce sync stopped overnight",
    "Users cannot reset their passwords",
    "Mobile app crashes when opening reports",
]
RISK_SIGNALS = ["usage down", "champion left", "low CSAT", "unpaid invoice", "competitor trial"]

# What people write when they close a run, by play; anything else gets a generic outcome.
OUTCOMES = {
    "webinar-follow-up": ["demo booked", "nurture: not ready yet", "disqualified: no budget"],
    "target-account-nurture": ["enrolled in nurture", "passed to account executive"],
    "demo-prep": ["demo held, trial agreed", "demo held, follow-up next week"],
    "trial-check-in": ["trial on track", "trial blocked on SSO, fixed", "trial extended a week"],
    "kickoff-call": ["kickoff held, success plan agreed", "kickoff held, go-live at risk"],
    "implementation-plan": ["go-live date agreed", "integration scoped, IT review pending"],
    "value-review": ["first success criterion met", "value reached, quote captured"],
    "smb-welcome": ["activated", "activated, admin invited"],
    "smb-activation-nudge": ["set-up finished", "nudged, set-up still open"],
    "urgent-ticket": ["fixed", "workaround provided", "bug filed with engineering"],
    "key-account-ticket": ["champion informed, calm", "champion frustrated, EBR booked"],
    "escalation-bridge": ["incident resolved, summary sent", "fix deployed next day"],
    "detractor-recovery": ["fix agreed, customer satisfied", "customer still unhappy"],
    "overdue-reminder": ["paid", "payment date promised", "invoice re-sent to new contact"],
    "large-invoice-overdue": ["PO issued, payment scheduled", "dispute resolved, paid"],
    "failed-payment": ["card updated, charge succeeded", "switched to invoice billing"],
    "save-play": ["re-onboarding agreed", "sponsor re-engaged"],
    "churn-risk-review": ["save plan agreed", "risk confirmed, forecast lowered"],
    "executive-save": ["concession approved, renewal likely", "sponsor committed to renew"],
    "renewal-prep": ["proposal sent", "proposal sent, EBR booked"],
    "renewal-thank-you": ["thank-you sent", "referral agreed"],
}
GENERIC_OUTCOMES = ["done", "customer engaged"]
LATE_NOTES = [
    "Waited on the customer's IT team.",
    "Out sick two days; picked up on return.",
    "Queue was overloaded this week.",
]
CHURN_REASONS = ["moved to a competitor", "budget cut", "acquired; parent uses another tool"]
SKIP_REASONS = [
    "Customer asked to pause until next quarter.",
    "Duplicate: handled in another run for the same issue.",
    "Contact left the company; new champion not named yet.",
    "Covered on the quarterly business review instead.",
]


@dataclass(frozen=True)
class Habits:
    """How one person tends to work, so per-person consistency differs as it does in life."""

    late: float = 0.12  # chance a run past its due time was closed late
    misses_step: float = 0.08  # chance a required step was left undone
    backlog: float = 0.3  # chance an older run is still open, overdue


HABITS = {
    "hugo": Habits(late=0.35, misses_step=0.15, backlog=0.35),
    "eli": Habits(late=0.25),
    "tom": Habits(late=0.15, misses_step=0.25, backlog=0.3),
    "priya": Habits(late=0.03, misses_step=0.02, backlog=0.05),
    "sofia": Habits(late=0.05, backlog=0.1),
}


@dataclass(frozen=True)
class PlannedEvent:
    at: datetime
    type: str
    data: dict[str, Any]
    # Customer fields that change when this happens (contract signed → the CSM owns it).
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class CustomerPlan:
    """One generated customer: how it starts, and what happens to it."""

    external_id: str
    name: str
    segment: str
    phase: str
    start: dict[str, Any]  # upsert_customer fields at the start of the history
    events: list[PlannedEvent] = field(default_factory=list)
    at_risk: bool = False
    churned: bool = False


class Command(BaseCommand):
    help = "Load the demo journey, playbooks, teams, customers and six weeks of history."

    def handle(self, *args: Any, **options: Any) -> None:
        self.now = timezone.now().replace(microsecond=0)
        rng = random.Random(SEED)
        text = DEMO_YAML.read_text(encoding="utf-8")
        self.stdout.write(f"Playbooks: {import_playbooks(text=text)}")
        admin_created = self._people(text)
        plans = self._plan_customers(rng)  # all of them, so the draws never depend on the DB
        existing = set(
            Customer.objects.filter(external_id__in=[p.external_id for p in plans]).values_list(
                "external_id", flat=True
            )
        )
        fresh = [plan for plan in plans if plan.external_id not in existing]
        # One transaction: a failure leaves no half-told history that a re-run would skip.
        with transaction.atomic(), _quiet("journeys.services"):
            customer_ids = self._create_customers(fresh)
            events = self._replay(fresh)
            worked = self._work_runs(customer_ids, rng)
        self._summary(len(fresh), events, worked, admin_created)

    # --- people -----------------------------------------------------------------------------

    def _people(self, text: str) -> bool:
        """An admin, an ops admin, and the demo teams' members able to log in."""
        admin_created = False
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
            admin_created = True
        # Only the people named in the demo file: a real team member who has no password yet
        # must not get a well-known one.
        members = {m for team in yaml.safe_load(text)["teams"] for m in team.get("members", [])}
        # One hash for everyone: the password is printed anyway, and hashing it twenty times
        # would take most of the command's run time.
        demo_hash = make_password(DEMO_PASSWORD)
        for user in User.objects.filter(username__in=members):
            changed = False
            if not user.has_usable_password():
                user.password, changed = demo_hash, True
            if not user.first_name and user.username in FULL_NAMES:
                user.first_name, user.last_name = FULL_NAMES[user.username].split(" ", 1)
                user.email, changed = user.email or f"{user.username}@example.com", True
            if changed:
                user.save(update_fields=["password", "first_name", "last_name", "email"])
        group, group_created = Group.objects.get_or_create(name=OPS_ADMIN_GROUP)
        if group_created:
            group.permissions.set(
                Permission.objects.filter(content_type__app_label__in=["journeys", "playbooks"])
            )
        ops_admin, created = User.objects.get_or_create(
            username=OPS_ADMIN,
            defaults={
                "first_name": "Olga",
                "last_name": "Ivanova",
                "email": "olga@example.com",
                "is_staff": True,
                "password": demo_hash,
            },
        )
        if created:
            ops_admin.groups.add(group)
        return admin_created

    # --- the plan ---------------------------------------------------------------------------

    def _plan_customers(self, rng: random.Random) -> list[CustomerPlan]:
        segments = [s for s, profile in SEGMENTS.items() for _ in range(profile.count)]
        phases = [p for p, n in PHASES.items() for _ in range(n)]
        rng.shuffle(segments)
        rng.shuffle(phases)
        names = rng.sample(sorted(product(COMPANY_WORDS, COMPANY_TRADES)), CUSTOMERS)
        established = [i for i, phase in enumerate(phases) if phase == "established"]
        big = [i for i in established if segments[i] == "enterprise"]
        at_risk = set(rng.sample(big, min(2, len(big))))
        at_risk |= set(
            rng.sample([i for i in established if i not in at_risk], AT_RISK - len(at_risk))
        )
        churned = set(rng.sample(sorted(at_risk), CHURNED))
        plans = []
        for index in range(CUSTOMERS):
            region = rng.choices(list(REGIONS), weights=REGION_WEIGHTS)[0]
            word, trade = names[index]
            plan = CustomerPlan(
                external_id=f"demo-{index + 1:03d}",
                name=f"{word} {trade} {rng.choice(REGIONS[region])}",
                segment=segments[index],
                phase=phases[index],
                start={},
                at_risk=index in at_risk,
                churned=index in churned,
            )
            terms = self._commercial_terms(rng, plan.segment, region)
            if plan.phase == "established":
                self._plan_established(rng, plan, terms, index)
            else:
                self._plan_newcomer(rng, plan, terms, index)
            plan.events.sort(key=lambda e: e.at)
            plans.append(plan)
        return plans

    def _commercial_terms(self, rng: random.Random, segment: str, region: str) -> dict[str, Any]:
        profile = SEGMENTS[segment]
        arr = Decimal(rng.randrange(*profile.arr, 500))
        cac = Decimal(round(float(arr) * rng.uniform(*profile.cac_ratio), -2))
        seats = max(3, int(arr / profile.seat_price * Decimal(rng.uniform(0.9, 1.1))))
        return {
            "arr": arr,
            "acquisition_cost": cac,
            "attributes": {
                "plan": profile.plan,
                "region": region,
                "seats": seats,
                "billing": profile.billing,
            },
        }

    def _plan_newcomer(
        self, rng: random.Random, plan: CustomerPlan, terms: dict[str, Any], index: int
    ) -> None:
        """Prospects walk marketing → sales; new customers go on to sign and onboard."""
        ae = ACCOUNT_EXECUTIVES[index % len(ACCOUNT_EXECUTIVES)]
        plan.start = {
            "owner": ae,
            "team": "account-executives",
            "status": Customer.Status.PROSPECT,
            "arr": Decimal(0),
            "acquisition_cost": Decimal(0),
            "attributes": {
                "region": terms["attributes"]["region"],
                "expected_arr": int(terms["arr"]),
            },
        }
        if plan.phase == "prospect":
            moment = self.now - timedelta(days=rng.uniform(3, 30))
            depth = rng.randint(1, 3)  # some stop at the webinar, some get to a trial
        else:
            moment = self.now - timedelta(days=rng.uniform(22, 42))
            depth = 5 if rng.random() < 0.15 else 6  # a few stall before first value
        seats = terms["attributes"]["seats"]
        steps: list[tuple[str, dict[str, Any], tuple[float, float]]] = [
            ("webinar.attended", {"webinar": rng.choice(WEBINARS)}, (0, 0)),
            ("demo.requested", {"seats_of_interest": seats, "via": "website"}, (1.5, 5)),
            ("trial.started", {"trial_seats": min(seats, 10)}, (1.5, 5)),
            ("contract.signed", {"term_months": 12, "arr": int(terms["arr"])}, (5, 10)),
            ("kickoff.completed", {}, (1, 4)),
            ("first_value.reached", {"criterion": "first workflow live"}, (5, 12)),
        ]
        if rng.random() < 0.4:
            steps.insert(1, ("content.downloaded", {"asset": rng.choice(ASSETS)}, (0.5, 3)))
            depth += 1
        for event_type, data, gap in steps[:depth]:
            moment += timedelta(days=rng.uniform(*gap), hours=rng.uniform(0, 6))
            if moment > self.now - timedelta(hours=1):
                break
            changes = self._changes_at(event_type, moment, plan, terms)
            plan.events.append(PlannedEvent(moment, event_type, data, changes))
        signed = any(e.type == "first_value.reached" for e in plan.events)
        if signed and rng.random() < 0.5:
            self._plan_tickets(rng, plan, moment, count=1, at_risk=False)

    def _changes_at(
        self, event_type: str, moment: datetime, plan: CustomerPlan, terms: dict[str, Any]
    ) -> dict[str, Any]:
        if event_type == "contract.signed":
            # The customer is won at the moment the event says, so plays see its ARR and owner.
            return {
                "owner": CSMS[int(plan.external_id[-3:]) % len(CSMS)],
                "team": "customer-success",
                "status": Customer.Status.ONBOARDING,
                "arr": terms["arr"],
                "acquisition_cost": terms["acquisition_cost"],
                "attributes": terms["attributes"],
                "started_on": moment.date(),
                "renewal_date": _shift_years(moment.date(), 1),
            }
        if event_type == "first_value.reached":
            return {"status": Customer.Status.ACTIVE}
        return {}

    def _plan_established(
        self, rng: random.Random, plan: CustomerPlan, terms: dict[str, Any], index: int
    ) -> None:
        """Customers for a year or more: tickets, invoices, usage, risk and renewals."""
        at_risk = plan.at_risk
        today = self.now.date()
        days_to_renewal = rng.randint(12, 40) if plan.churned else rng.randint(8, 150)
        renewal = today + timedelta(days=days_to_renewal)
        years = rng.choice([1, 1, 2])
        plan.start = {
            "owner": CSMS[index % len(CSMS)],
            "team": "customer-success",
            "status": Customer.Status.ACTIVE,
            "started_on": _shift_years(renewal, -years),
            "renewal_date": renewal,
            **terms,
        }
        window_start = self.now - HISTORY
        self._plan_tickets(rng, plan, window_start, count=rng.randint(1, 3), at_risk=at_risk)
        if rng.random() < 0.3:  # something came in since yesterday: fresh work in the queues
            fresh_from = self.now - timedelta(hours=40)
            self._plan_tickets(rng, plan, fresh_from, count=1, at_risk=at_risk, serious=True)
        billing = terms["attributes"]["billing"]
        if billing == "invoice" and rng.random() < (0.6 if at_risk else 0.3):
            amount = int(terms["arr"] / 4)  # billed quarterly
            plan.events.append(
                PlannedEvent(
                    self._moment_in_window(rng),
                    "invoice.overdue",
                    {
                        "invoice": f"INV-{today.year}-{rng.randint(1000, 9999)}",
                        "amount": amount,
                        "currency": "USD",
                        "days_overdue": rng.choice([7, 14, 30]),
                    },
                )
            )
        if billing == "card" and rng.random() < (0.6 if at_risk else 0.3):
            plan.events.append(
                PlannedEvent(
                    self._moment_in_window(rng),
                    "payment.failed",
                    {
                        "reason": rng.choice(["card_declined", "expired_card"]),
                        "amount": int(terms["arr"] / 12),
                        "currency": "USD",
                    },
                )
            )
        if at_risk:
            dropped = self.now - timedelta(days=rng.uniform(4, 30))
            plan.events.append(
                PlannedEvent(
                    dropped,
                    "usage.dropped",
                    {"metric": "weekly active users", "drop_pct": rng.randint(30, 60)},
                )
            )
            flagged = min(
                dropped + timedelta(days=rng.uniform(1, 5)), self.now - timedelta(hours=3)
            )
            plan.events.append(
                PlannedEvent(
                    flagged,
                    "churn_risk.flagged",
                    {
                        "health_score": rng.randint(18, 45),
                        "signals": rng.sample(RISK_SIGNALS, 2),
                    },
                    {"status": Customer.Status.AT_RISK},
                )
            )
        due_at = _at(renewal - timedelta(days=90), hour=6)  # what a renewal scheduler would send
        if window_start <= due_at <= self.now:
            plan.events.append(
                PlannedEvent(due_at, "renewal.due", {"renewal_date": renewal.isoformat()})
            )
        signed_from = max(due_at + timedelta(days=10), window_start)
        if not at_risk and signed_from < self.now - timedelta(days=2) and rng.random() < 0.55:
            signed = signed_from + (self.now - signed_from) * rng.uniform(0.1, 0.9)
            plan.events.append(
                PlannedEvent(
                    signed,
                    "renewal.signed",
                    {"term_months": 12, "uplift_pct": rng.choice([0, 3, 5, 8, 12])},
                )
            )

    def _plan_tickets(
        self,
        rng: random.Random,
        plan: CustomerPlan,
        after: datetime,
        *,
        count: int,
        at_risk: bool,
        serious: bool = False,
    ) -> None:
        for _ in range(count + (1 if at_risk and not serious else 0)):
            opened = after + (self.now - after) * rng.uniform(0.05, 0.97)
            ticket = f"ZD-{rng.randint(40000, 49999)}"
            weights = [0, 0, 2, 1] if serious else [3, 5, 2, 2 if at_risk else 1]
            priority = rng.choices(["low", "normal", "high", "urgent"], weights=weights)[0]
            plan.events.append(
                PlannedEvent(
                    opened,
                    "ticket.opened",
                    {
                        "ticket": ticket,
                        "priority": priority,
                        "subject": rng.choice(TICKET_SUBJECTS),
                        "channel": rng.choice(["email", "chat", "phone"]),
                    },
                )
            )
            if priority == "urgent" and rng.random() < (0.7 if at_risk else 0.4):
                escalated = opened + timedelta(hours=rng.uniform(2, 20))
                if escalated < self.now:
                    plan.events.append(
                        PlannedEvent(
                            escalated,
                            "ticket.escalated",
                            {"ticket": ticket, "tier": 2, "reason": "customer-impacting outage"},
                        )
                    )
            rated = opened + timedelta(days=rng.uniform(1, 4))
            if rated < self.now and rng.random() < 0.6:
                weights = [3, 3, 2, 1, 1] if at_risk else [1, 1, 2, 5, 6]
                score = rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
                plan.events.append(
                    PlannedEvent(rated, "csat.submitted", {"ticket": ticket, "score": score})
                )

    def _moment_in_window(self, rng: random.Random) -> datetime:
        return self.now - HISTORY + HISTORY * rng.uniform(0.03, 0.97)

    # --- writing it -------------------------------------------------------------------------

    def _create_customers(self, plans: list[CustomerPlan]) -> list[int]:
        ids = []
        for plan in plans:
            customer, _ = upsert_customer(
                external_id=plan.external_id,
                name=plan.name,
                segment=plan.segment,
                owner_username=plan.start["owner"],
                team_key=plan.start["team"],
                arr=plan.start["arr"],
                acquisition_cost=plan.start["acquisition_cost"],
                started_on=plan.start.get("started_on"),
                renewal_date=plan.start.get("renewal_date"),
                status=plan.start["status"],
                attributes=plan.start["attributes"],
            )
            ids.append(customer.id)
        return ids

    def _replay(self, plans: list[CustomerPlan]) -> int:
        """Ingest every event, then process them one by one in the order they happened, as a
        worker would have a couple of minutes after each; delayed runs are released as the
        replayed clock passes their fire time."""
        timeline = sorted(
            ((event, plan, n) for plan in plans for n, event in enumerate(plan.events)),
            key=lambda item: (item[0].at, item[1].external_id, item[2]),
        )
        results = ingest_events(
            items=[
                EventInput(
                    customer=plan.external_id,
                    type=event.type,
                    occurred_at=event.at,
                    source=SOURCE,
                    idempotency_key=f"demo-{plan.external_id}-{n}",
                    data=event.data,
                )
                for event, plan, n in timeline
            ]
        )
        for (event, plan, _), result in zip(timeline, results, strict=True):
            assert isinstance(result, IngestResult), result
            if event.changes:
                self._change_customer(plan, event)
            while release_delayed_runs(now=event.at):
                pass
            process_events(event_ids=[result.event_id], now=event.at + PROCESSING_LAG)
        while release_delayed_runs(now=self.now):
            pass
        for plan in plans:
            if plan.churned:  # notice of non-renewal came in after the last event
                reason = CHURN_REASONS[int(plan.external_id[-3:]) % len(CHURN_REASONS)]
                upsert_customer(
                    external_id=plan.external_id,
                    name=plan.name,
                    status=Customer.Status.CHURNED,
                    attributes={**plan.start["attributes"], "churn_reason": reason},
                    fields_given={"status", "attributes"},
                )
        return len(timeline)

    def _change_customer(self, plan: CustomerPlan, event: PlannedEvent) -> None:
        changes = dict(event.changes)
        given = set(changes)
        upsert_customer(
            external_id=plan.external_id,
            name=plan.name,
            owner_username=changes.pop("owner", None),
            team_key=changes.pop("team", None),
            fields_given=given,
            **changes,
        )

    def _work_runs(self, customer_ids: list[int], rng: random.Random) -> int:
        """Close most runs the way people really do: mostly on time with every required step,
        some late, some with a required step missed, a few skipped; recent ones stay open."""
        runs = (
            PlayRun.objects.filter(customer_id__in=customer_ids, status=PlayRun.Status.OPEN)
            .select_related("play", "customer", "assignee", "team")
            .prefetch_related("steps", "team__members")
            .order_by("fired_at", "id")
        )
        worked = 0
        for run in runs:
            actor = run.assignee or _first_responder(rng, run)
            window = run.due_at - run.fired_at
            if run.due_at > self.now:  # still inside its SLA: some are done already
                finished_by = run.fired_at + window * rng.uniform(0.2, 0.9)
                if finished_by < self.now and rng.random() < 0.3:
                    self._complete(rng, run, actor, finished_by, missing_step=False, note="")
                    worked += 1
                continue
            habits = HABITS.get(actor.username if actor else "", Habits())
            recent = run.fired_at > self.now - timedelta(days=5)
            if rng.random() < (0.6 if recent else habits.backlog):
                continue  # left open past its due time: overdue in every queue
            if rng.random() < 0.06:
                at = min(self.now, run.fired_at + window * rng.uniform(0.1, 0.7))
                skip_run(run=run, actor=actor, reason=rng.choice(SKIP_REASONS), now=at)
                worked += 1
                continue
            late = rng.random() < habits.late
            missing_step = rng.random() < habits.misses_step
            if late:
                at = min(self.now, run.due_at + window * rng.uniform(0.1, 1.5))
                note = rng.choice(LATE_NOTES)
            else:
                at = run.fired_at + window * rng.uniform(0.15, 0.95)
                note = ""
            self._complete(rng, run, actor, at, missing_step=missing_step, note=note)
            worked += 1
        return worked

    def _complete(
        self,
        rng: random.Random,
        run: PlayRun,
        actor: Any,
        at: datetime,
        *,
        missing_step: bool,
        note: str,
    ) -> None:
        steps = list(run.steps.all())
        required = [step for step in steps if step.required]
        left_out = rng.choice(required) if missing_step and required else None
        if left_out is not None and not note:
            note = f"Closed without: {left_out.title.lower()}."
        for position, step in enumerate(steps, start=1):
            if step is left_out or not (step.required or rng.random() < 0.6):
                continue
            done_at = run.fired_at + (at - run.fired_at) * position / (len(steps) + 1)
            complete_step(run=run, step_id=step.id, actor=actor, now=done_at)
        outcome = rng.choice(OUTCOMES.get(run.play.key, GENERIC_OUTCOMES))
        complete_run(run=run, actor=actor, outcome=outcome, note=note, now=at)

    # --- report -----------------------------------------------------------------------------

    def _summary(self, customers: int, events: int, worked: int, admin_created: bool) -> None:
        runs = PlayRun.objects.aggregate(
            total=Count("id"),
            open=Count("id", filter=Q(status=PlayRun.Status.OPEN)),
            overdue=Count("id", filter=Q(status=PlayRun.Status.OPEN, due_at__lt=self.now)),
            scheduled=Count("id", filter=Q(status=PlayRun.Status.SCHEDULED)),
            completed=Count("id", filter=Q(status=PlayRun.Status.COMPLETED)),
            skipped=Count("id", filter=Q(status=PlayRun.Status.SKIPPED)),
        )
        teams = Team.objects.filter(members__isnull=False).distinct().count()
        self.stdout.write(
            f"Journey: {Department.objects.count()} departments, "
            f"{Touchpoint.objects.count()} touchpoints; {Playbook.objects.count()} playbooks "
            f"with {Play.objects.count()} plays; {teams} teams, {User.objects.count()} users."
        )
        self.stdout.write(
            f"History: {Customer.objects.count()} customers, {Event.objects.count()} events, "
            f"{runs['total']} runs ({runs['completed']} completed, {runs['skipped']} skipped, "
            f"{runs['open']} open of which {runs['overdue']} overdue, "
            f"{runs['scheduled']} scheduled)."
        )
        self.stdout.write(
            f"Added now: {customers} customers, {events} events, {worked} runs worked."
            if customers
            else "Added now: nothing (the demo customers exist already)."
        )
        admin = f"{ADMIN_USERNAME} / {ADMIN_PASSWORD}" if admin_created else ADMIN_USERNAME
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at http://127.0.0.1:8000/admin/ as {admin} "
                f"(ops admin: {OPS_ADMIN} / {DEMO_PASSWORD}); the demo team members "
                f"(e.g. ana, dana, gia, olivia) have the password {DEMO_PASSWORD!r}."
            )
        )


def _first_responder(rng: random.Random, run: PlayRun) -> Any:
    """Who picked a team-queue run up."""
    if run.team is None:
        return None
    members = sorted(run.team.members.all(), key=lambda user: user.username)
    return rng.choice(members) if members else None


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _at(day: date, *, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


@contextmanager
def _quiet(*logger_names: str) -> Iterator[None]:
    """Hide per-batch INFO lines while replaying hundreds of events one at a time."""
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
