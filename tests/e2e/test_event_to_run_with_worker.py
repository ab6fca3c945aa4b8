"""Events posted over HTTP become play runs through a real worker on the real broker."""

from __future__ import annotations

import pytest

from playbooks.models import PlayRun
from tests.factories import (
    CustomerFactory,
    PlayFactory,
    PlayStepFactory,
    TouchpointFactory,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_posted_event_becomes_an_open_run_with_copied_steps(celery_worker, integration_client):
    # given
    touchpoint = TouchpointFactory(event_type="contract.signed")
    play = PlayFactory(touchpoint=touchpoint)
    PlayStepFactory(play=play, title="Send welcome pack", required=True, position=0)
    PlayStepFactory(play=play, title="Hold kickoff call", required=True, position=1)
    customer = CustomerFactory()

    # when
    response = integration_client.post(
        "/api/v1/events/",
        {"customer": customer.external_id, "type": "contract.signed"},
        format="json",
    )

    # then
    assert response.status_code == 202, response.content
    wait_for(lambda: PlayRun.objects.filter(play=play, customer=customer).exists(), timeout=5)
    run = PlayRun.objects.get(play=play, customer=customer)
    assert run.status == PlayRun.Status.OPEN
    assert run.assignee == customer.owner
    assert [s.title for s in run.steps.order_by("position")] == [
        "Send welcome pack",
        "Hold kickoff call",
    ]
    customer.refresh_from_db()
    assert customer.current_stage == touchpoint.stage
