"""Redelivery, concurrency and lost messages never double or lose work."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from journeys.models import Event
from journeys.services import process_events, requeue_stale_events
from journeys.tasks import process_events_task
from playbooks.models import PlayRun, RunStep
from tests.factories import CustomerFactory, EventFactory, PlayFactory, PlayStepFactory
from tests.waiting import wait_for


@pytest.mark.django_db
def test_task_delivered_twice_creates_no_duplicate_runs():
    play = PlayFactory(touchpoint__event_type="invoice.overdue")
    PlayStepFactory.create_batch(2, play=play)
    event = EventFactory(type="invoice.overdue")

    process_events_task.run([event.id])
    process_events_task.run([event.id])

    assert PlayRun.objects.filter(play=play).count() == 1
    assert RunStep.objects.filter(run__play=play).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_on_the_same_events_create_each_run_once():
    play = PlayFactory(touchpoint__event_type="invoice.overdue")
    PlayStepFactory.create_batch(2, play=play)
    events = [EventFactory(type="invoice.overdue") for _ in range(40)]
    ids = [e.id for e in events]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            process_events(event_ids=ids)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert PlayRun.objects.filter(play=play).count() == 40
    assert RunStep.objects.filter(run__play=play).count() == 80
    assert not Event.objects.unprocessed().exists()


@pytest.mark.django_db
def test_sweeper_requeues_only_events_unprocessed_past_the_grace_period(
    django_capture_on_commit_callbacks, settings
):
    stale = EventFactory()
    fresh = EventFactory()
    done = EventFactory(processed_at=timezone.now())
    Event.objects.filter(id__in=[stale.id, done.id]).update(
        updated_at=timezone.now() - settings.UNPROCESSED_EVENT_GRACE - timedelta(seconds=5)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        requeued = requeue_stale_events()

    assert requeued == 1
    assert [callback.args for callback in callbacks] == [([stale.id],)]
    stale.refresh_from_db()
    assert stale.enqueue_count == 2
    assert fresh.processed_at is None
    # re-queued just now: not again until another grace period has passed
    with django_capture_on_commit_callbacks() as again:
        assert requeue_stale_events() == 0
    assert again == []


@pytest.mark.django_db
def test_sweeper_gives_up_on_a_poison_event_after_max_tries(settings):
    settings.MAX_EVENT_ENQUEUES = 3
    poison = EventFactory(enqueue_count=3)
    Event.objects.filter(id=poison.id).update(
        updated_at=timezone.now() - settings.UNPROCESSED_EVENT_GRACE - timedelta(seconds=5)
    )

    assert requeue_stale_events() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_event_whose_message_was_lost_is_processed_after_the_sweeper_runs(celery_worker, settings):
    # given: an accepted event whose task never reached the broker
    play = PlayFactory(touchpoint__event_type="contract.signed")
    customer = CustomerFactory()
    event = EventFactory(customer=customer, type="contract.signed")
    Event.objects.filter(id=event.id).update(
        updated_at=timezone.now() - settings.UNPROCESSED_EVENT_GRACE - timedelta(seconds=1)
    )
    assert not PlayRun.objects.exists()

    # when: the beat tick runs (called directly) and the real worker picks the message up
    assert requeue_stale_events() == 1

    # then
    wait_for(lambda: PlayRun.objects.filter(play=play, customer=customer).exists())
    event.refresh_from_db()
    assert event.processed_at is not None


@pytest.mark.django_db
def test_task_takes_other_recently_queued_events_into_its_batch(settings):
    play = PlayFactory(touchpoint__event_type="invoice.overdue")
    mine, queued_meanwhile = (
        EventFactory(type="invoice.overdue"),
        EventFactory(type="invoice.overdue"),
    )
    old = EventFactory(type="invoice.overdue")
    Event.objects.filter(id=old.id).update(
        updated_at=timezone.now() - settings.UNPROCESSED_EVENT_GRACE - timedelta(seconds=5)
    )

    process_events_task.run([mine.id])

    assert set(PlayRun.objects.filter(play=play).values_list("hit__event", flat=True)) == {
        mine.id,
        queued_meanwhile.id,
    }
    old.refresh_from_db()
    assert old.processed_at is None  # left to the sweeper
