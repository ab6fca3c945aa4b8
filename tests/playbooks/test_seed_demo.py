"""seed_demo loads a demo with something true on every screen, and running it again adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from journeys.models import (
    Customer,
    Department,
    Event,
    Journey,
    Stage,
    Team,
    Touchpoint,
    TouchpointHit,
)
from playbooks.models import (
    ActionAttempt,
    Play,
    Playbook,
    PlayRun,
    PlayStep,
    RunStep,
    RunTransition,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

SIX_DEPARTMENTS = {"marketing", "sales", "onboarding", "support", "billing", "renewal"}
EVERY_MODEL = (
    User,
    Group,
    Department,
    Team,
    Journey,
    Stage,
    Touchpoint,
    Playbook,
    Play,
    PlayStep,
    Customer,
    Event,
    TouchpointHit,
    PlayRun,
    RunStep,
    RunTransition,
    ActionAttempt,
)


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seeds once for the module (it takes seconds) in a transaction rolled back at the end;
    each test still runs in its own savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in EVERY_MODEL}


def test_demo_journey_crosses_all_six_departments_with_at_least_twelve_touchpoints(seeded):
    journey = Journey.objects.get(key="b2b-lifecycle")

    assert set(journey.stages.values_list("department__key", flat=True)) == SIX_DEPARTMENTS
    assert set(Department.objects.values_list("key", flat=True)) == SIX_DEPARTMENTS
    assert Touchpoint.objects.filter(stage__journey=journey).count() >= 12


def test_demo_has_at_least_fifteen_plays_each_with_steps_and_a_required_one(seeded):
    plays = Play.objects.annotate(
        steps_count=Count("steps"), required=Count("steps", filter=Q(steps__required=True))
    )

    assert plays.count() >= 15
    assert Playbook.objects.filter(status="published").count() >= 5
    assert not plays.filter(steps_count=0).exists()
    assert not plays.filter(required=0).exists()


def test_demo_plays_use_every_assignment_rule_delays_and_conditions(seeded):
    plays = Play.objects.all()

    assert set(plays.values_list("assign", flat=True)) == set(Play.Assign.values)
    assert plays.filter(delay_minutes__gt=0).exists()
    assert plays.filter(condition__contains="customer.").exists()
    assert plays.filter(condition__contains="event.data.").exists()


def test_demo_webhook_action_is_only_in_a_draft_playbook_and_never_fires(seeded):
    with_action = Play.objects.filter(action__isnull=False)

    assert with_action.exists()
    assert set(with_action.values_list("playbook__status", flat=True)) == {"draft"}
    assert not PlayRun.objects.filter(play__in=with_action).exists()
    assert not ActionAttempt.objects.exists()


def test_demo_teams_have_members_who_can_log_in_with_the_demo_password(seeded):
    teams_with_members = Team.objects.annotate(n=Count("members")).filter(n__gt=0)
    admin = User.objects.get(username="admin")

    assert teams_with_members.count() >= 3
    assert authenticate(username="admin", password="admin") == admin
    assert admin.is_superuser
    assert authenticate(username="ana", password="demo") is not None
    assert authenticate(username="gia", password="demo") is not None
    assert "admin / admin" in seeded


def test_demo_has_fifty_customers_in_three_segments_each_with_processed_events(seeded):
    customers = Customer.objects.all()

    assert customers.count() == 50
    assert set(customers.values_list("segment", flat=True)) == {"enterprise", "mid-market", "smb"}
    assert not customers.filter(events__isnull=True).exists()
    assert not customers.filter(current_stage__isnull=True).exists()
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    assert set(customers.values_list("status", flat=True)) >= {"prospect", "active", "at_risk"}


def test_demo_customers_arr_follows_their_segment(seeded):
    paying = Customer.objects.exclude(status="prospect")
    largest = dict(paying.values_list("segment").annotate(Max("arr")))

    assert largest["smb"] <= 15_000 < largest["mid-market"] <= 60_000 < largest["enterprise"]
    assert not paying.filter(segment="enterprise", arr__lt=60_000).exists()
    assert not paying.filter(acquisition_cost=0).exists()


def test_demo_history_spans_six_weeks_in_the_past(seeded):
    now = timezone.now()

    assert not Event.objects.filter(occurred_at__gt=now).exists()
    assert not Event.objects.filter(occurred_at__lt=now - timedelta(days=43)).exists()
    assert Event.objects.filter(occurred_at__lt=now - timedelta(days=35)).exists()
    assert not PlayRun.objects.filter(completed_at__gt=now).exists()
    assert not PlayRun.objects.filter(completed_at__lt=F("fired_at")).exists()
    assert not PlayRun.objects.due_to_fire(now).exists()


def test_demo_runs_are_completed_skipped_and_open_with_real_lapses(seeded):
    runs = PlayRun.objects.all()
    now = timezone.now()
    closed = runs.filter(status__in=["completed", "skipped"]).count()

    assert {"open", "completed", "skipped"} <= set(runs.values_list("status", flat=True))
    assert 0.6 <= closed / runs.count() <= 0.8
    assert runs.filter(status="completed", completed_at__gt=F("due_at")).exists()
    assert runs.filter(status="completed", required_steps_done=False).exists()
    assert runs.filter(status="completed", completed_at__lte=F("due_at")).count() > closed / 2
    assert runs.overdue(now).exists()
    assert runs.open().filter(due_at__gt=now).exists()
    assert not runs.filter(status="skipped", note="").exists()


def test_running_the_demo_twice_adds_nothing(seeded):
    before = row_counts()
    versions = dict(Playbook.objects.values_list("key", "version"))

    call_command("seed_demo", stdout=StringIO())

    assert row_counts() == before
    assert dict(Playbook.objects.values_list("key", "version")) == versions
