"""People read and work play runs over the API, within what they may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from journeys.services import process_events
from playbooks.models import PlayRun
from playbooks.querysets import OPS_ADMIN_GROUP
from tests.conftest import client_for
from tests.factories import (
    CustomerFactory,
    EventFactory,
    PlayFactory,
    PlayRunFactory,
    PlayStepFactory,
    RunStepFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana")


@pytest.fixture
def ana_client(ana):
    return client_for("runs:read", "runs:write", "customers:read", user=ana)


def test_run_reads_as_the_contract_says(ana, ana_client):
    run = PlayRunFactory(assignee=ana, play__key="kickoff-call", play__playbook__key="onboarding")
    step = RunStepFactory(run=run, title="Send welcome pack", required=True)

    response = ana_client.get(f"/api/v1/play-runs/{run.id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["play"] == "kickoff-call"
    assert body["playbook"] == "onboarding"
    assert body["customer"] == run.customer.external_id
    assert body["touchpoint"] == run.hit.touchpoint.key
    assert body["assignee"] == "ana"
    assert body["status"] == "open"
    assert body["steps"] == [
        {
            "id": step.id,
            "title": "Send welcome pack",
            "required": True,
            "done_at": None,
            "done_by": None,
        }
    ]
    assert {"team", "fired_at", "due_at", "completed_at", "outcome", "note"} <= body.keys()


def test_member_sees_own_and_team_runs_but_not_other_teams(ana, ana_client):
    team = TeamFactory(members=[ana])
    mine = PlayRunFactory(assignee=ana)
    teams = PlayRunFactory(assignee=None, team=team)
    PlayRunFactory(assignee=UserFactory(), team=TeamFactory())

    response = ana_client.get("/api/v1/play-runs/")

    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {mine.id, teams.id}


def test_member_cannot_read_or_work_another_teams_run(ana_client):
    other = PlayRunFactory(assignee=UserFactory(), team=TeamFactory())

    assert ana_client.get(f"/api/v1/play-runs/{other.id}/").status_code == 404
    response = ana_client.post(f"/api/v1/play-runs/{other.id}/complete/", {"outcome": "done"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == PlayRun.Status.OPEN


def test_ops_admin_sees_every_run(ana, ana_client):
    ana.groups.add(Group.objects.create(name=OPS_ADMIN_GROUP))
    runs = PlayRunFactory.create_batch(3)

    response = ana_client.get("/api/v1/play-runs/")

    assert {r["id"] for r in response.json()["results"]} == {r.id for r in runs}


@pytest.mark.parametrize("field", ["customer", "play", "status", "assignee", "team"])
def test_runs_filter_by_each_contract_field(field, integration_client):
    team = TeamFactory()
    wanted = PlayRunFactory(team=team, status=PlayRun.Status.OPEN)
    PlayRunFactory(team=TeamFactory(), status=PlayRun.Status.SKIPPED, completed_at=timezone.now())
    value = {
        "customer": wanted.customer.external_id,
        "play": wanted.play.key,
        "status": "open",
        "assignee": wanted.assignee.username,
        "team": team.key,
    }[field]

    response = integration_client.get("/api/v1/play-runs/", {field: value})

    assert [r["id"] for r in response.json()["results"]] == [wanted.id]


def test_listing_runs_takes_the_same_queries_for_5_or_50_runs(
    integration_client, django_assert_max_num_queries
):
    def count_for(n: int) -> int:
        PlayRun.objects.all().delete()
        for run in PlayRunFactory.create_batch(n):
            RunStepFactory.create_batch(2, run=run)
        with django_assert_max_num_queries(12) as ctx:
            assert len(integration_client.get("/api/v1/play-runs/").json()["results"]) == n
        return len(ctx.captured_queries)

    assert count_for(5) == count_for(50)


def test_completing_steps_then_run_records_outcome_and_adherence(ana, ana_client):
    run = PlayRunFactory(assignee=ana)
    required = RunStepFactory(run=run, required=True)

    step_response = ana_client.post(f"/api/v1/play-runs/{run.id}/steps/{required.id}/complete/")
    response = ana_client.post(
        f"/api/v1/play-runs/{run.id}/complete/",
        {"outcome": "kickoff held", "note": "champion engaged"},
        format="json",
    )

    assert step_response.status_code == 200
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["outcome"] == "kickoff held"
    assert body["required_steps_done"] is True
    assert body["steps"][0]["done_by"] == "ana"
    run.refresh_from_db()
    assert run.closed_by == ana
    assert list(run.transitions.values_list("to_status", "actor__username")) == [
        ("completed", "ana")
    ]


def test_completing_with_required_steps_undone_is_allowed_and_recorded(ana, ana_client):
    run = PlayRunFactory(assignee=ana)
    RunStepFactory(run=run, required=True)

    response = ana_client.post(
        f"/api/v1/play-runs/{run.id}/complete/", {"outcome": "done"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["required_steps_done"] is False


def test_skipping_needs_a_reason_and_closes_the_run(ana, ana_client):
    run = PlayRunFactory(assignee=ana)

    missing = ana_client.post(f"/api/v1/play-runs/{run.id}/skip/", {}, format="json")
    response = ana_client.post(
        f"/api/v1/play-runs/{run.id}/skip/", {"reason": "customer on holiday"}, format="json"
    )

    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    assert response.status_code == 200
    assert response.json()["status"] == "skipped"
    assert response.json()["note"] == "customer on holiday"


def test_closed_run_cannot_be_completed_again(ana, ana_client):
    run = PlayRunFactory(assignee=ana)
    ana_client.post(f"/api/v1/play-runs/{run.id}/skip/", {"reason": "dup"}, format="json")

    response = ana_client.post(
        f"/api/v1/play-runs/{run.id}/complete/", {"outcome": "done"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


def test_completing_an_unknown_step_is_a_404_naming_it(ana, ana_client):
    run = PlayRunFactory(assignee=ana)

    response = ana_client.post(f"/api/v1/play-runs/{run.id}/steps/999999/complete/")

    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [{}, {"outcome": ""}, {"outcome": ["x"]}, {"outcome": "x" * 201}, "not json"]
)
def test_complete_with_bad_body_is_a_400_and_changes_nothing(ana, ana_client, body):
    run = PlayRunFactory(assignee=ana)

    response = ana_client.post(
        f"/api/v1/play-runs/{run.id}/complete/",
        body,
        format="json" if isinstance(body, dict) else None,
        content_type=None if isinstance(body, dict) else "application/json",
    )

    assert response.status_code == 400
    run.refresh_from_db()
    assert run.status == PlayRun.Status.OPEN


def test_read_only_token_cannot_work_runs(ana):
    run = PlayRunFactory(assignee=ana)
    client = client_for("runs:read", user=ana)

    response = client.post(f"/api/v1/play-runs/{run.id}/complete/", {"outcome": "x"})

    assert response.status_code == 403


def test_timeline_lists_events_hits_and_runs_in_time_order(integration_client):
    play = PlayFactory(touchpoint__event_type="contract.signed", key="kickoff-call")
    PlayStepFactory(play=play)
    customer = CustomerFactory()
    now = timezone.now()
    older = EventFactory(
        customer=customer, type="webinar.attended", occurred_at=now - timedelta(days=2)
    )
    signed = EventFactory(
        customer=customer, type="contract.signed", occurred_at=now - timedelta(days=1)
    )
    process_events(event_ids=[older.id, signed.id])

    response = integration_client.get(f"/api/v1/customers/{customer.external_id}/timeline/")

    assert response.status_code == 200
    assert [(e["kind"], e["summary"]) for e in response.json()] == [
        ("event", "webinar.attended"),
        ("event", "contract.signed"),
        ("hit", play.touchpoint.name),
        ("run", play.name),
    ]


def test_replayed_completion_records_its_transition_at_that_time(ana):
    from playbooks.services import complete_run

    run = PlayRunFactory(assignee=ana)
    then = run.fired_at + timedelta(hours=3)

    complete_run(run=run, actor=ana, outcome="done", now=then)

    assert run.transitions.get().created_at == then
