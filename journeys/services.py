"""Writes on journey data: customers, event ingest, and turning events into touchpoint hits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Subquery
from django.utils import timezone

from journeys.bulk import insert_instances
from journeys.conditions import condition_holds, customer_facts, event_facts
from journeys.exceptions import UnknownCustomer, UnknownReference
from journeys.handoff import touchpoints_reached
from journeys.models import Customer, Event, Team, Touchpoint, TouchpointHit

logger = logging.getLogger(__name__)

User = get_user_model()


# --- customers ----------------------------------------------------------------------------------


@transaction.atomic
def upsert_customer(
    *,
    external_id: str,
    name: str,
    segment: str | None = None,
    owner_username: str | None = None,
    team_key: str | None = None,
    arr: Decimal | None = None,
    acquisition_cost: Decimal | None = None,
    started_on: Any = None,
    renewal_date: Any = None,
    status: str | None = None,
    attributes: dict[str, Any] | None = None,
    fields_given: set[str] | None = None,
) -> tuple[Customer, bool]:
    """Create or update a customer by `external_id`. Only the fields given are changed on
    update (`fields_given`; None means all). Unknown owner or team → UnknownReference."""
    given = (
        fields_given
        if fields_given is not None
        else {
            "name",
            "segment",
            "owner",
            "team",
            "arr",
            "acquisition_cost",
            "started_on",
            "renewal_date",
            "status",
            "attributes",
        }
    )
    values: dict[str, Any] = {"name": name}
    if "owner" in given:
        values["owner"] = _user_by_username(owner_username) if owner_username else None
    if "team" in given:
        values["team"] = _team_by_key(team_key) if team_key else None
    for key, value in (
        ("segment", segment),
        ("arr", arr),
        ("acquisition_cost", acquisition_cost),
        ("started_on", started_on),
        ("renewal_date", renewal_date),
        ("status", status),
        ("attributes", attributes),
    ):
        if key in given and value is not None:
            values[key] = value
    customer, created = Customer.objects.select_for_update().get_or_create(
        external_id=external_id, defaults=values
    )
    if not created:
        for key, value in values.items():
            setattr(customer, key, value)
        customer.save()
    return customer, created


def _user_by_username(username: str) -> Any:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise UnknownReference(f"Unknown owner {username!r}: no user has that username.") from None


def _team_by_key(key: str) -> Team:
    try:
        return Team.objects.get(key=key)
    except Team.DoesNotExist:
        raise UnknownReference(f"Unknown team {key!r}.") from None


# --- ingest -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    customer: str
    type: str
    occurred_at: datetime | None = None
    source: str = ""
    idempotency_key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    event_id: int
    duplicate: bool


def _enqueue_processing(event_ids: list[int]) -> None:
    """Queue processing after commit, in chunks; the sweeper catches anything this loses."""
    from django.conf import settings

    size = settings.EVENTS_PER_TASK
    for start in range(0, len(event_ids), size):
        chunk = event_ids[start : start + size]
        transaction.on_commit(partial(_send_quietly, chunk))


def _send_quietly(event_ids: list[int]) -> None:
    # The event is committed already: a broker outage must not turn a 202 into a 500. The
    # sweeper re-queues whatever was not sent.
    from journeys.tasks import process_events_task

    try:
        process_events_task.delay(event_ids)
    except Exception:
        logger.exception("events.enqueue_failed", extra={"event_ids": event_ids[:10]})


def ingest_event(*, item: EventInput) -> IngestResult:
    """Store one event and queue its processing after commit. The same (source, idempotency
    key) again returns the first event, marked duplicate, and queues nothing.

    The hot path is one statement: the customer is looked up inside the INSERT, and a
    duplicate key or an unknown customer is told apart only when that INSERT fails.
    """
    event = Event(
        customer_id=Subquery(Customer.objects.filter(external_id=item.customer).values("id")),
        type=item.type,
        occurred_at=item.occurred_at or timezone.now(),
        source=item.source,
        idempotency_key=item.idempotency_key,
        data=item.data,
    )
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint keeps the caller's transaction usable
                event.save(force_insert=True)
        else:
            event.save(force_insert=True)  # autocommit: one round trip, no BEGIN/COMMIT
    except IntegrityError:
        if item.idempotency_key is not None:
            existing = _existing_event_id(item.source, item.idempotency_key)
            if existing is not None:
                return IngestResult(event_id=existing, duplicate=True)
        if not Customer.objects.filter(external_id=item.customer).exists():
            raise UnknownCustomer(item.customer) from None
        raise
    _enqueue_processing([event.id])
    return IngestResult(event_id=event.id, duplicate=False)


def _existing_event_id(source: str, idempotency_key: str | None) -> int | None:
    return (
        Event.objects.filter(source=source, idempotency_key=idempotency_key)
        .values_list("id", flat=True)
        .first()
    )


def ingest_events(*, items: list[EventInput]) -> list[IngestResult | UnknownCustomer]:
    """Store many events with one customer look-up, one duplicate check and one bulk insert.
    Each item stands alone: an unknown customer rejects that item only."""
    external_ids = {item.customer for item in items}
    customer_ids = dict(
        Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "id")
    )
    keyed = {(item.source, item.idempotency_key) for item in items if item.idempotency_key}
    existing = _existing_event_ids(keyed)

    results: list[IngestResult | UnknownCustomer | None] = [None] * len(items)
    to_insert: list[tuple[int, Event]] = []
    first_in_batch: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        customer_id = customer_ids.get(item.customer)
        if customer_id is None:
            results[index] = UnknownCustomer(item.customer)
            continue
        key = (item.source, item.idempotency_key) if item.idempotency_key else None
        if key is not None and key in existing:
            results[index] = IngestResult(event_id=existing[key], duplicate=True)
            continue
        if key is not None and key in first_in_batch:
            continue  # resolved to the first occurrence's id after the insert
        if key is not None:
            first_in_batch[key] = index
        to_insert.append((index, _new_event(customer_id, item)))

    if to_insert:
        try:
            with transaction.atomic():
                Event.objects.bulk_create([event for _, event in to_insert])
                _enqueue_processing([event.id for _, event in to_insert])
            for index, event in to_insert:
                results[index] = IngestResult(event_id=event.id, duplicate=False)
        except IntegrityError:
            # A concurrent request inserted one of our keys first: go one at a time, so each
            # item still gets its own answer.
            for index, _ in to_insert:
                try:
                    results[index] = ingest_event(item=items[index])
                except UnknownCustomer as exc:
                    results[index] = exc

    for index, item in enumerate(items):
        if results[index] is None:
            first = results[first_in_batch[(item.source, item.idempotency_key)]]
            assert isinstance(first, IngestResult)
            results[index] = IngestResult(event_id=first.event_id, duplicate=True)
    return results  # type: ignore[return-value]


def _new_event(customer_id: int, item: EventInput) -> Event:
    return Event(
        customer_id=customer_id,
        type=item.type,
        occurred_at=item.occurred_at or timezone.now(),
        source=item.source,
        idempotency_key=item.idempotency_key,
        data=item.data,
    )


def _existing_event_ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not keys:
        return {}
    rows = Event.objects.filter(
        source__in={source for source, _ in keys},
        idempotency_key__in={key for _, key in keys},
    ).values_list("source", "idempotency_key", "id")
    return {(source, key): event_id for source, key, event_id in rows if (source, key) in keys}


# --- processing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessingResult:
    events: int
    hits: list[TouchpointHit]


def process_events(
    *, event_ids: list[int], also_pending: int = 0, now: datetime | None = None
) -> ProcessingResult:
    """Turn accepted events into touchpoint hits, move customers along their journey and hand
    the hits to the playbooks, all in one transaction with a constant number of queries.

    Safe to run twice and concurrently: events already processed are skipped, and events that
    another worker holds are skipped too (SKIP LOCKED) — that worker will finish them.
    `also_pending` claims up to that many other recently queued, unprocessed events in the same
    batch: under load, single-event tasks queue up faster than one event per transaction can
    drain them, and this turns the backlog into batches (their own tasks then find nothing left
    to do). Only events queued within the sweeper's grace period are claimed, so an event that
    keeps failing is left to the sweeper and cannot hold up everyone else's batches for long.
    `now` is for replaying history (seed_demo); workers leave it unset.
    """
    from django.conf import settings

    now = now or timezone.now()
    claim = Q(id__in=event_ids)
    if also_pending:
        recent = (
            Event.objects.unprocessed()
            .filter(updated_at__gte=now - settings.UNPROCESSED_EVENT_GRACE)
            .order_by("updated_at")
            .values("id")[:also_pending]
        )
        claim |= Q(id__in=Subquery(recent))
    with transaction.atomic():
        events = list(
            Event.objects.unprocessed()
            .filter(claim)
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))
        )
        if not events:
            return ProcessingResult(events=0, hits=[])
        # Customers are locked in pk order, so two batches touching the same customer serialize
        # on the stage update instead of overwriting each other (and cannot deadlock).
        customers = {
            customer.id: customer
            for customer in Customer.objects.filter(id__in={e.customer_id for e in events})
            .select_related("owner", "team", "current_stage")
            .order_by("id")
            .select_for_update(of=("self",))
        }
        touchpoints_by_type: dict[str, list[Touchpoint]] = {}
        for touchpoint in Touchpoint.objects.filter(
            event_type__in={e.type for e in events}
        ).select_related("stage"):
            touchpoints_by_type.setdefault(touchpoint.event_type, []).append(touchpoint)

        hits: list[TouchpointHit] = []
        for event in events:
            event.customer = customers[event.customer_id]
            candidates = touchpoints_by_type.get(event.type, ())
            facts = None
            for touchpoint in candidates:
                if touchpoint.condition:
                    facts = facts or {
                        "customer": customer_facts(event.customer),
                        "event": event_facts(event),
                    }
                    if not condition_holds(touchpoint.condition, facts):
                        continue
                hits.append(
                    TouchpointHit(
                        touchpoint=touchpoint,
                        event=event,
                        customer=event.customer,
                        occurred_at=event.occurred_at,
                    )
                )
        if hits:
            insert_instances(hits)
            _move_customers(hits)
        Event.objects.filter(id__in=[e.id for e in events]).update(processed_at=now)
        if hits:
            touchpoints_reached.send(sender=TouchpointHit, hits=hits, now=now)
    logger.info("events.processed", extra={"events": len(events), "hits": len(hits)})
    return ProcessingResult(events=len(events), hits=hits)


def _move_customers(hits: list[TouchpointHit]) -> None:
    """Set each customer's stage to that of their latest hit by occurred_at, so a late event
    for an earlier moment never moves a customer backwards."""
    changed: dict[int, Customer] = {}
    for hit in hits:
        customer = hit.customer
        since = customer.current_stage_since
        if since is None or hit.occurred_at >= since:
            customer.current_stage = hit.touchpoint.stage
            customer.current_stage_since = hit.occurred_at
            changed[customer.id] = customer
    if changed:
        _set_stages(list(changed.values()))


def _set_stages(customers: list[Customer]) -> None:
    """One UPDATE … FROM (VALUES …) for every changed customer. bulk_update's CASE WHEN per
    row cost more than the rest of stage tracking together."""
    ops = connection.ops
    row = (
        "(%s::bigint, %s::bigint, %s::timestamptz)"
        if connection.vendor == "postgresql"
        else ("(%s, %s, %s)")
    )
    params: list[Any] = []
    for customer in customers:
        params += [
            customer.id,
            customer.current_stage.id,
            ops.adapt_datetimefield_value(customer.current_stage_since),
        ]
    table = ops.quote_name(Customer._meta.db_table)
    sql = (
        f"UPDATE {table} SET current_stage_id = v.stage_id, current_stage_since = v.since, "
        f"updated_at = %s FROM (SELECT column1 AS id, column2 AS stage_id, column3 AS since "
        f"FROM (VALUES {', '.join([row] * len(customers))}) AS vals) AS v "
        f"WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ops.adapt_datetimefield_value(timezone.now()), *params])


def stale_event_ids(*, now: datetime | None = None, limit: int) -> list[int]:
    from django.conf import settings

    queued_before = (now or timezone.now()) - settings.UNPROCESSED_EVENT_GRACE
    return list(
        Event.objects.stale(queued_before=queued_before)
        .filter(enqueue_count__lt=settings.MAX_EVENT_ENQUEUES)
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )


def requeue_stale_events(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Re-queue accepted events that no worker processed within the grace period since they
    were last queued (broker down, worker killed, message lost). Processing is idempotent, so
    a slow worker is harmless; an event is re-queued at most once per grace period, and after
    MAX_EVENT_ENQUEUES tries it waits for an operator (admin: "Re-queue selected events")."""
    ids = stale_event_ids(now=now, limit=limit)
    if not ids:
        return 0
    requeue_events(event_ids=ids, now=now)
    logger.warning("events.requeued", extra={"count": len(ids)})
    return len(ids)


@transaction.atomic
def requeue_events(*, event_ids: list[int], now: datetime | None = None) -> int:
    """Queue these events' processing again (after commit); processed ones are left alone."""
    from django.db.models import F

    ids = list(Event.objects.unprocessed().filter(id__in=event_ids).values_list("id", flat=True))
    Event.objects.filter(id__in=ids).update(
        enqueue_count=F("enqueue_count") + 1, updated_at=now or timezone.now()
    )
    _enqueue_processing(ids)
    return len(ids)
