"""Processing events fires plays: assignment, conditions, due times, delays and copied steps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from journeys.services import process_events
from playbooks.models import Play, Playbook, PlayRun
from playbooks.services import release_delayed_runs
from tests.factories import (
    CustomerFactory,
    EventFactory,
    PlayFactory,
    PlayStepFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def fire(*events) -> list[PlayRun]:
    process_events(event_ids=[e.id for e in events])
    return list(PlayRun.objects.filter(hit__event__in=events).order_by("id"))


@pytest.fixture
def touchpoint():
    return TouchpointFactory(event_type="contract.signed")


def test_owner_rule_assigns_the_customers_owner_and_team(touchpoint):
    team = TeamFactory()
    customer = CustomerFactory(team=team)
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.OWNER)

    [run] = fire(EventFactory(customer=customer))

    assert (run.assignee, run.team) == (customer.owner, team)


def test_owner_rule_without_owner_leaves_run_in_the_customers_team_queue(touchpoint):
    team = TeamFactory()
    customer = CustomerFactory(owner=None, team=team)
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.OWNER)

    [run] = fire(EventFactory(customer=customer))

    assert (run.assignee, run.team) == (None, team)


def test_team_rule_puts_run_in_the_team_queue_unassigned(touchpoint):
    team = TeamFactory(members=[UserFactory()])
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.TEAM, assign_team=team)

    [run] = fire(EventFactory())

    assert (run.assignee, run.team) == (None, team)


def test_named_user_rule_assigns_that_user(touchpoint):
    user = UserFactory(username="billing-lead")
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.USER, assign_user=user)

    [run] = fire(EventFactory())

    assert run.assignee == user


def test_round_robin_rotates_through_team_members_across_batches(touchpoint):
    ana, ben, cem = (
        UserFactory(username="ana"),
        UserFactory(username="ben"),
        UserFactory(username="cem"),
    )
    team = TeamFactory(members=[ana, ben, cem])
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.ROUND_ROBIN, assign_team=team)

    first_batch = fire(EventFactory(), EventFactory())
    second_batch = fire(EventFactory(), EventFactory())

    assignees = [run.assignee.username for run in first_batch + second_batch]
    assert assignees == ["ana", "ben", "cem", "ana"]
    assert {run.team for run in first_batch + second_batch} == {team}


def test_round_robin_in_an_empty_team_leaves_run_in_the_queue(touchpoint):
    team = TeamFactory()
    PlayFactory(touchpoint=touchpoint, assign=Play.Assign.ROUND_ROBIN, assign_team=team)

    [run] = fire(EventFactory())

    assert (run.assignee, run.team) == (None, team)


@pytest.mark.parametrize(
    ("condition", "arr", "segment", "fires"),
    [
        ('customer.arr >= 50000 and customer.segment == "enterprise"', "60000", "enterprise", True),
        (
            'customer.arr >= 50000 and customer.segment == "enterprise"',
            "40000",
            "enterprise",
            False,
        ),
        ('customer.arr >= 50000 and customer.segment == "enterprise"', "60000", "smb", False),
        ('event.data.priority == "urgent"', "1", "smb", True),
        ("customer.attributes.plan == 'pro'", "1", "smb", False),  # missing attribute
        ("", "1", "smb", True),
    ],
)
def test_play_fires_only_when_its_condition_holds(touchpoint, condition, arr, segment, fires):
    PlayFactory(touchpoint=touchpoint, condition=condition)
    customer = CustomerFactory(arr=Decimal(arr), segment=segment)

    runs = fire(EventFactory(customer=customer, data={"priority": "urgent"}))

    assert len(runs) == (1 if fires else 0)


def test_touchpoint_condition_decides_whether_it_is_reached():
    urgent = TouchpointFactory(
        event_type="ticket.opened", condition='event.data.priority == "urgent"'
    )
    PlayFactory(touchpoint=urgent)
    customer = CustomerFactory()

    runs = fire(
        EventFactory(customer=customer, type="ticket.opened", data={"priority": "low"}),
        EventFactory(customer=customer, type="ticket.opened", data={"priority": "urgent"}),
    )

    assert [run.hit.event.data["priority"] for run in runs] == ["urgent"]


def test_due_time_counts_from_when_the_touchpoint_was_reached(touchpoint):
    PlayFactory(touchpoint=touchpoint, due_minutes=2 * 24 * 60)
    occurred = timezone.now() - timedelta(hours=5)

    [run] = fire(EventFactory(occurred_at=occurred))

    assert run.due_at == occurred + timedelta(days=2)
    assert run.status == PlayRun.Status.OPEN


def test_delayed_play_is_scheduled_then_released_when_its_time_comes(touchpoint):
    PlayFactory(touchpoint=touchpoint, delay_minutes=60, due_minutes=120)
    occurred = timezone.now()

    [run] = fire(EventFactory(occurred_at=occurred))

    assert run.status == PlayRun.Status.SCHEDULED
    assert run.fired_at is None
    assert run.fire_at == occurred + timedelta(hours=1)
    assert run.due_at == occurred + timedelta(hours=3)
    assert release_delayed_runs(now=occurred + timedelta(minutes=59)) == 0
    with time_machine.travel(occurred + timedelta(minutes=61), tick=False):
        assert release_delayed_runs() == 1
    run.refresh_from_db()
    assert run.status == PlayRun.Status.OPEN
    assert run.fired_at == occurred + timedelta(minutes=61)
    assert list(run.transitions.values_list("from_status", "to_status")) == [
        ("", "scheduled"),
        ("scheduled", "open"),
    ]


def test_late_event_past_its_delay_fires_at_once(touchpoint):
    PlayFactory(touchpoint=touchpoint, delay_minutes=60)

    [run] = fire(EventFactory(occurred_at=timezone.now() - timedelta(hours=2)))

    assert run.status == PlayRun.Status.OPEN


def test_steps_are_copied_so_later_edits_do_not_rewrite_runs(touchpoint):
    play = PlayFactory(touchpoint=touchpoint)
    step = PlayStepFactory(play=play, title="Send welcome pack", required=True)

    [run] = fire(EventFactory())
    step.title = "Something else"
    step.save()

    assert [(s.title, s.required) for s in run.steps.all()] == [("Send welcome pack", True)]


@pytest.mark.parametrize("status", [Playbook.Status.DRAFT, Playbook.Status.ARCHIVED])
def test_plays_of_unpublished_playbooks_do_not_fire(touchpoint, status):
    PlayFactory(touchpoint=touchpoint, playbook__status=status)

    assert fire(EventFactory()) == []


def test_event_of_another_type_reaches_no_touchpoint(touchpoint):
    PlayFactory(touchpoint=touchpoint)

    assert fire(EventFactory(type="invoice.paid")) == []


def test_customer_stage_follows_the_latest_occurred_at_not_arrival_order():
    early = TouchpointFactory(event_type="trial.started")
    late = TouchpointFactory(event_type="contract.signed")
    customer = CustomerFactory()
    now = timezone.now()

    fire(EventFactory(customer=customer, type="contract.signed", occurred_at=now))
    fire(EventFactory(customer=customer, type="trial.started", occurred_at=now - timedelta(days=3)))

    customer.refresh_from_db()
    assert customer.current_stage == late.stage
    assert early.stage != late.stage


def test_processing_twice_creates_no_second_hit_or_run(touchpoint):
    PlayFactory(touchpoint=touchpoint)
    event = EventFactory()

    fire(event)
    fire(event)

    assert PlayRun.objects.count() == 1
    assert event.hits.count() == 1


def test_queries_per_batch_stay_constant_as_events_and_plays_grow(django_assert_max_num_queries):
    team = TeamFactory(members=[UserFactory(), UserFactory()])
    touchpoints = [TouchpointFactory(event_type=f"type.{n}") for n in range(4)]
    for tp in touchpoints:
        for assign in (Play.Assign.OWNER, Play.Assign.ROUND_ROBIN, Play.Assign.TEAM):
            play = PlayFactory(
                touchpoint=tp, assign=assign, assign_team=team, condition="customer.arr > 0"
            )
            PlayStepFactory.create_batch(3, play=play)
    small = [EventFactory(type="type.0") for _ in range(2)]
    # 10 events keep every bulk insert within SQLite's 999 parameters per statement, so the
    # comparison holds on both databases (PostgreSQL has no such split at any size).
    large = [EventFactory(type=f"type.{n % 4}") for n in range(10)]

    with django_assert_max_num_queries(20) as small_ctx:
        process_events(event_ids=[e.id for e in small])
    with django_assert_max_num_queries(20) as large_ctx:
        process_events(event_ids=[e.id for e in large])

    assert len(large_ctx.captured_queries) == len(small_ctx.captured_queries)
    assert PlayRun.objects.count() == 12 * 3
