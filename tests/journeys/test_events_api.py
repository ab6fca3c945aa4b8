"""POST /api/v1/events/ and events/batch/ through the real API, with real hashed tokens."""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from journeys.models import Event
from tests.conftest import client_for
from tests.factories import CustomerFactory, EventFactory

EVENTS = "/api/v1/events/"
BATCH = "/api/v1/events/batch/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(external_id="acme-1")


def post_json(client: APIClient, url: str, body: object):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def assert_error_body(response) -> None:
    assert response.status_code < 500
    body = response.json()
    assert "detail" in body and "code" in body, body


# --- one event ----------------------------------------------------------------------------------


def test_accepted_event_answers_202_stores_fields_and_queues_one_callback(
    integration_client, customer, django_capture_on_commit_callbacks
):
    occurred = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(
            integration_client,
            EVENTS,
            {
                "customer": "acme-1",
                "type": "ticket.opened",
                "occurred_at": occurred.isoformat(),
                "idempotency_key": "zd-1",
                "source": "zendesk",
                "data": {"priority": "high", "n": 3},
            },
        )

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "accepted"
    event = Event.objects.get()
    assert body["id"] == event.id
    assert event.customer_id == customer.id
    assert event.type == "ticket.opened"
    assert event.occurred_at == occurred
    assert event.source == "zendesk"
    assert event.idempotency_key == "zd-1"
    assert event.data == {"priority": "high", "n": 3}
    assert len(callbacks) == 1


def test_event_without_occurred_at_is_stamped_now_with_empty_source_and_data(
    integration_client, customer
):
    before = timezone.now()
    response = post_json(integration_client, EVENTS, {"customer": "acme-1", "type": "x.y"})
    after = timezone.now()

    assert response.status_code == 202
    event = Event.objects.get(pk=response.json()["id"])
    assert before - timedelta(seconds=1) <= event.occurred_at <= after + timedelta(seconds=1)
    assert event.source == ""
    assert event.idempotency_key is None
    assert event.data == {}


def test_same_idempotency_key_answers_200_duplicate_with_first_id_and_queues_nothing(
    integration_client, customer, django_capture_on_commit_callbacks
):
    body = {"customer": "acme-1", "type": "ticket.opened", "idempotency_key": "k1", "source": "zd"}
    first = post_json(integration_client, EVENTS, body)
    assert first.status_code == 202

    with django_capture_on_commit_callbacks() as callbacks:
        again = post_json(integration_client, EVENTS, {**body, "data": {"other": True}})

    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "duplicate"}
    assert Event.objects.count() == 1
    assert Event.objects.get().data == {}
    assert callbacks == []


def test_same_idempotency_key_from_another_source_is_a_new_event(integration_client, customer):
    first = post_json(
        integration_client,
        EVENTS,
        {"customer": "acme-1", "type": "a", "idempotency_key": "k", "source": "zendesk"},
    )
    second = post_json(
        integration_client,
        EVENTS,
        {"customer": "acme-1", "type": "a", "idempotency_key": "k", "source": "hubspot"},
    )

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    assert Event.objects.count() == 2


def test_unknown_customer_answers_422_naming_it_and_stores_nothing(
    integration_client, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(
            integration_client, EVENTS, {"customer": "ghost-42", "type": "ticket.opened"}
        )

    assert response.status_code == 422
    assert_error_body(response)
    assert "ghost-42" in response.json()["detail"]
    assert response.json()["code"] == "unknown_customer"
    assert Event.objects.count() == 0
    assert callbacks == []


def test_unknown_customer_with_idempotency_key_answers_422(integration_client, customer):
    response = post_json(
        integration_client,
        EVENTS,
        {"customer": "ghost-42", "type": "a", "idempotency_key": "k", "source": "s"},
    )

    assert response.status_code == 422
    assert Event.objects.count() == 0


VALID = {"customer": "acme-1", "type": "ticket.opened"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([VALID], "non_field_errors"),
        ("ticket.opened", "non_field_errors"),
        (42, "non_field_errors"),
        ({"type": "ticket.opened"}, "customer"),
        ({"customer": "acme-1"}, "type"),
        ({**VALID, "type": 42}, "type"),
        ({**VALID, "type": True}, "type"),
        ({**VALID, "type": "ticket opened"}, "type"),
        ({**VALID, "type": ""}, "type"),
        ({**VALID, "customer": None}, "customer"),
        ({**VALID, "data": [1, 2]}, "data"),
        ({**VALID, "data": "text"}, "data"),
        ({**VALID, "occurred_at": "yesterday-ish"}, "occurred_at"),
        ({**VALID, "occurred_at": 12}, "occurred_at"),
        ({**VALID, "idempotency_key": "k" * 201}, "idempotency_key"),
    ],
    ids=[
        "body-array",
        "body-string",
        "body-number",
        "missing-customer",
        "missing-type",
        "type-number",
        "type-bool",
        "type-with-spaces",
        "type-empty",
        "customer-null",
        "data-list",
        "data-string",
        "occurred_at-not-a-date",
        "occurred_at-number",
        "idempotency_key-too-long",
    ],
)
def test_malformed_event_answers_400_with_field_errors_and_stores_nothing(
    integration_client, customer, django_capture_on_commit_callbacks, body, field
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(integration_client, EVENTS, body)

    assert response.status_code == 400, response.json()
    assert_error_body(response)
    assert field in response.json()["errors"]
    assert Event.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize(
    "raw", ['{"customer": "acme-1", "type": ', "not json", "{'single': 'quotes'}", "\xff"]
)
def test_malformed_json_answers_400_and_stores_nothing(integration_client, customer, raw):
    response = integration_client.post(EVENTS, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert_error_body(response)
    assert Event.objects.count() == 0


def test_event_body_over_max_event_body_bytes_answers_413(integration_client, customer, settings):
    settings.MAX_EVENT_BODY_BYTES = 200
    body = {**VALID, "data": {"blob": "x" * 300}}

    response = post_json(integration_client, EVENTS, body)

    assert response.status_code == 413
    assert_error_body(response)
    assert Event.objects.count() == 0

    small = post_json(integration_client, EVENTS, VALID)
    assert small.status_code == 202


def test_batch_body_over_data_upload_max_memory_size_answers_413(
    integration_client, customer, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    events = [{**VALID, "data": {"blob": "x" * 100}} for _ in range(20)]

    response = post_json(integration_client, BATCH, {"events": events})

    assert response.status_code == 413
    assert_error_body(response)
    assert Event.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_same_key_store_one_event_and_answer_202_and_200():
    CustomerFactory(external_id="acme-1")
    clients = [client_for("events:write"), client_for("events:write")]
    barrier = threading.Barrier(2)
    responses: list = [None, None]
    errors: list[BaseException] = []

    def post(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[i] = post_json(
                clients[i], EVENTS, {**VALID, "idempotency_key": "race-1", "source": "zd"}
            )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(r.status_code for r in responses) == [200, 202]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert sorted(r.json()["status"] for r in responses) == ["accepted", "duplicate"]
    assert list(Event.objects.values_list("id", flat=True)) == list(ids)


# --- batch --------------------------------------------------------------------------------------


def test_mixed_batch_answers_202_with_one_result_per_item(
    integration_client, customer, django_capture_on_commit_callbacks
):
    existing = EventFactory(customer=customer, source="zd", idempotency_key="old")
    events = [
        {**VALID, "idempotency_key": "new-1", "source": "zd"},  # 0 accepted
        {"customer": "ghost", "type": "a"},  # 1 unknown customer
        {"customer": "acme-1", "type": "has space"},  # 2 malformed
        "not an object",  # 3 non-object
        {**VALID, "idempotency_key": "old", "source": "zd"},  # 4 duplicate of existing
        {**VALID, "idempotency_key": "twice", "source": "zd"},  # 5 accepted
        {**VALID, "idempotency_key": "twice", "source": "zd"},  # 6 duplicate of 5
        {**VALID, "data": {"k": 1}},  # 7 accepted, no key
    ]

    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(integration_client, BATCH, {"events": events})

    assert response.status_code == 202, response.json()
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(events)))
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "duplicate",
        "accepted",
        "duplicate",
        "accepted",
    ]
    assert "ghost" in results[1]["errors"]["customer"][0]
    assert "type" in results[2]["errors"]
    assert "non_field_errors" in results[3]["errors"]
    assert all(results[i]["id"] is None for i in (1, 2, 3))
    assert results[4]["id"] == existing.id
    assert results[6]["id"] == results[5]["id"]
    assert all(results[i]["errors"] == {} for i in (0, 4, 5, 6, 7))

    new_ids = {results[i]["id"] for i in (0, 5, 7)}
    stored = set(Event.objects.exclude(pk=existing.pk).values_list("id", flat=True))
    assert stored == new_ids
    assert Event.objects.get(pk=results[7]["id"]).data == {"k": 1}
    assert len(callbacks) == 1  # one chunk for the three new events


def test_batch_repeated_answers_duplicates_and_stores_nothing_new(integration_client, customer):
    events = [{**VALID, "idempotency_key": f"k{i}", "source": "zd"} for i in range(3)]
    first = post_json(integration_client, BATCH, {"events": events}).json()["results"]

    again = post_json(integration_client, BATCH, {"events": events})

    assert again.status_code == 202
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in first]
    assert Event.objects.count() == 3


def test_batch_over_1000_events_answers_400_and_stores_nothing(integration_client, customer):
    response = post_json(integration_client, BATCH, {"events": [VALID] * 1001})

    assert response.status_code == 400
    assert_error_body(response)
    assert "events" in response.json()["errors"]
    assert Event.objects.count() == 0


def test_batch_of_exactly_1000_events_is_accepted(integration_client, customer):
    response = post_json(integration_client, BATCH, {"events": [VALID] * 1000})

    assert response.status_code == 202
    assert Event.objects.count() == 1000


@pytest.mark.parametrize(
    "body",
    [{}, {"events": "x"}, {"events": {"a": 1}}, {"events": 3}, {"events": None}, [VALID], "x"],
    ids=["missing", "string", "object", "number", "null", "bare-list", "bare-string"],
)
def test_batch_without_a_list_of_events_answers_400(integration_client, customer, body):
    response = post_json(integration_client, BATCH, body)

    assert response.status_code == 400
    assert_error_body(response)
    assert Event.objects.count() == 0


def test_batch_malformed_json_answers_400(integration_client, customer):
    response = integration_client.post(BATCH, data='{"events": [', content_type="application/json")

    assert response.status_code == 400
    assert_error_body(response)


def _batch_queries(client: APIClient, n: int, prefix: str) -> tuple[int, int]:
    """(queries other than the event INSERTs, event INSERT statements) for one batch of n."""
    events = [{**VALID, "idempotency_key": f"{prefix}-{i}", "source": "zd"} for i in range(n)]
    with CaptureQueriesContext(connection) as ctx:
        response = post_json(client, BATCH, {"events": events})
    assert response.status_code == 202
    assert [r["status"] for r in response.json()["results"]] == ["accepted"] * n
    inserts = [q for q in ctx.captured_queries if 'INSERT INTO "journeys_event"' in q["sql"]]
    return len(ctx.captured_queries) - len(inserts), len(inserts)


def _insert_statements_for(n: int) -> int:
    """How many INSERTs the backend needs for n events: one on PostgreSQL; SQLite's driver
    limit of 999 parameters splits a bulk insert into chunks of 999 // columns rows."""
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, [None] * n) or n
    return math.ceil(n / per_statement)


def test_batch_ingest_takes_the_same_number_of_queries_for_10_and_300_events(
    integration_client, customer
):
    _batch_queries(integration_client, 1, "warm")  # first-use costs (content types etc.)

    small_other, small_inserts = _batch_queries(integration_client, 10, "small")
    large_other, large_inserts = _batch_queries(integration_client, 300, "large")

    assert large_other == small_other
    assert small_inserts == _insert_statements_for(10) == 1
    assert large_inserts == _insert_statements_for(300)
    if connection.vendor == "postgresql":
        assert large_inserts == 1
    assert Event.objects.count() == 311
