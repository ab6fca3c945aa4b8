"""Bulk inserts of rows nobody needs the ids of (run steps, transitions) on the hot path.

On PostgreSQL they go through COPY, which skips building a model instance and a parameter
list per row; elsewhere through bulk_create. Callers pass plain tuples in `fields` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        columns = ", ".join(
            connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
        )
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    attnames = [model._meta.get_field(name).attname for name in fields]
    model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows])
