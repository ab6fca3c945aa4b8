"""seed_demo loads a demo with something true on every screen, and is idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from journeys.models import Customer, Department, Event, Team, Touchpoint
from playbooks.models import Play, PlayRun, RunStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=StringIO())


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Customer, Event, Touchpoint, Play, Team, PlayRun, RunStep)
    }


def test_demo_covers_the_whole_journey_with_enough_to_show(seeded):
    assert Touchpoint.objects.count() >= 12
    assert Play.objects.count() >= 15
    assert set(Department.objects.values_list("key", flat=True)) >= {
        "marketing",
        "sales",
        "onboarding",
        "support",
        "billing",
        "renewal",
    }
    assert Team.objects.annotate(n=Count("members")).filter(n__gt=0).count() >= 3
    assert Customer.objects.count() == 50
    assert not Customer.objects.filter(events__isnull=True).exists()
    assert not Play.objects.filter(steps__isnull=True).exists()


def test_demo_runs_are_in_every_working_state(seeded):
    statuses = set(PlayRun.objects.values_list("status", flat=True))

    assert {"open", "completed", "skipped"} <= statuses
    assert PlayRun.objects.filter(status="completed", required_steps_done=False).exists()
    assert PlayRun.objects.filter(status="completed", completed_at__gt=F("due_at")).exists()


def test_running_the_demo_twice_adds_nothing(seeded):
    before = counts()

    call_command("seed_demo", stdout=StringIO())

    assert counts() == before
