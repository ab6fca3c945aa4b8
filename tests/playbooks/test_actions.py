"""Automated actions reach a real HTTP peer on loopback, with attempts recorded and retried."""

from __future__ import annotations

import pytest

from journeys.services import process_events
from playbooks.actions import attempt_action
from playbooks.models import ActionAttempt, PlayRun
from tests.factories import CustomerFactory, EventFactory, PlayFactory, PlayRunFactory
from tests.http_peer import http_peer
from tests.waiting import wait_for


def webhook_run(url: str) -> PlayRun:
    return PlayRunFactory(play__action={"type": "webhook", "url": url})


@pytest.mark.django_db
def test_webhook_posts_the_run_and_records_success():
    with http_peer([200]) as peer:
        run = webhook_run(peer.url)

        outcome = attempt_action(run_id=run.id)

    assert outcome.status == ActionAttempt.Status.SUCCEEDED
    [request] = peer.received
    assert request["json"]["run"] == run.id
    assert request["json"]["customer"] == run.customer.external_id
    assert request["headers"]["Idempotency-Key"] == f"run-{run.id}"
    attempt = run.action_attempts.get()
    assert (attempt.attempt, attempt.response_status) == (1, 200)


@pytest.mark.django_db
def test_server_error_is_retried_with_backoff_and_then_succeeds():
    with http_peer([503, 200]) as peer:
        run = webhook_run(peer.url)

        first = attempt_action(run_id=run.id)
        second = attempt_action(run_id=run.id)

    assert first.status == ActionAttempt.Status.RETRYING
    assert first.retry_in.total_seconds() > 0
    assert second.status == ActionAttempt.Status.SUCCEEDED
    assert list(run.action_attempts.values_list("status", flat=True)) == ["retrying", "succeeded"]


@pytest.mark.django_db
def test_client_error_is_permanent_and_not_retried():
    with http_peer([404]) as peer:
        run = webhook_run(peer.url)

        outcome = attempt_action(run_id=run.id)
        again = attempt_action(run_id=run.id)

    assert outcome.status == ActionAttempt.Status.FAILED
    assert again is None
    assert len(peer.received) == 1


@pytest.mark.django_db
def test_unreachable_peer_is_retried_until_attempts_run_out(settings):
    settings.ACTION_MAX_ATTEMPTS = 2
    with http_peer() as peer:
        dead_url = peer.url  # the server stops when the block ends
    run = webhook_run(dead_url)

    first = attempt_action(run_id=run.id)
    second = attempt_action(run_id=run.id)

    assert (first.status, second.status) == ("retrying", "failed")
    assert "ConnectionError" in run.action_attempts.last().error


@pytest.mark.django_db
def test_redelivered_action_after_success_does_not_call_the_peer_again():
    with http_peer([200]) as peer:
        run = webhook_run(peer.url)
        attempt_action(run_id=run.id)

        assert attempt_action(run_id=run.id) is None

    assert len(peer.received) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_fired_run_with_webhook_action_reaches_the_peer_through_the_actions_queue(celery_worker):
    with http_peer([200]) as peer:
        play = PlayFactory(
            touchpoint__event_type="invoice.overdue",
            action={"type": "webhook", "url": peer.url},
        )
        event = EventFactory(customer=CustomerFactory(), type="invoice.overdue")

        process_events(event_ids=[event.id])

        wait_for(lambda: len(peer.received) == 1)
        wait_for(lambda: ActionAttempt.objects.filter(run__play=play, status="succeeded").exists())
    assert peer.received[0]["json"]["play"] == play.key
