"""Bulk inserts on the event → run hot path, used by journeys and playbooks alike.

On PostgreSQL rows go through COPY, which skips the per-row SQL compilation of bulk_create;
ids, where the caller needs them, are taken from the table's sequence first. Elsewhere
(SQLite under `make run`) both fall back to bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def _copy(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    # wrap_database_errors turns psycopg's errors into Django's (IntegrityError and so on), as
    # for any other query: COPY runs on the raw cursor.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert plain tuples (in `fields` order) when nobody needs their ids."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(model, [model._meta.get_field(name).column for name in fields], rows)
        return
    attnames = [model._meta.get_field(name).attname for name in fields]
    model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows])


def insert_instances(objs: list[M]) -> list[M]:
    """Insert unsaved instances of one model and set their primary keys, like bulk_create.
    Only for models without JSON or other fields that need adapting beyond psycopg's own."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return type(objs[0]).objects.bulk_create(objs)
    model = type(objs[0])
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj in objs:
        for name in ("created_at", "updated_at"):
            if getattr(obj, name, None) is None:
                setattr(obj, name, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    _copy(
        model,
        ["id", *(f.column for f in fields)],
        [(obj.pk, *(getattr(obj, f.attname) for f in fields)) for obj in objs],
    )
    return objs
