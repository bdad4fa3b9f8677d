"""Bulk writes tuned for large JSON documents."""

from __future__ import annotations

import json

from django.db import connections, router
from django.db.models import JSONField, Model


def bulk_update_by_values(
    objects: list[Model], fields: list[str], *, batch_size: int = 500
) -> None:
    """Update ``fields`` of ``objects`` (all of one model, all stored) as
    ``bulk_update`` does, through ``UPDATE ... FROM (VALUES ...)``.

    Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` expression per
    field and object; for a thousand objects building and compiling it costs seconds.
    Here each object is one row of parameters, cast to the column's type. Query
    wrappers (the audit context) apply as to any query; ``auto_now`` is not applied.
    """
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ["pk", *(f"v{index}" for index in range(len(columns)))]
    assignments = ", ".join(
        f"{quote(column.column)} = v.v{index}::{column.db_type(connection)}"
        for index, column in enumerate(columns)
    )
    pk_type = meta.pk.db_type(connection)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            params = []
            for obj in batch:
                params.append(meta.pk.get_db_prep_value(obj.pk, connection))
                params.extend(
                    column.get_db_prep_save(getattr(obj, column.attname), connection)
                    for column in columns
                )
            # Only quoted names of the model and placeholders are formatted in.
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v({', '.join(names)}) "
                f"WHERE {table}.{quote(meta.pk.column)} = v.pk::{pk_type}",
                params,
            )


def bulk_create_by_copy(objects: list[Model]) -> list[Model]:
    """Insert ``objects`` (all of one model, none stored) with PostgreSQL ``COPY``,
    setting their primary keys, as ``bulk_create`` does; return them.

    The keys are drawn from the table's sequence first (``draw_keys``), unless
    every object has its key drawn already in this transaction; that statement
    runs through the connection's query wrappers, so the audit context
    (pghistory's session variables, local to the transaction) is set for the
    ``COPY`` that follows and its triggers. Must run inside a transaction. Fields
    are prepared as for a save (``auto_now_add`` set, JSON serialised).
    """
    if not objects:
        return objects
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_create_by_copy must run inside a transaction.")
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    quote = connection.ops.quote_name
    table = meta.db_table
    if any(obj.pk is None for obj in objects):
        keys = draw_keys(model, len(objects))
    else:  # keys drawn before (draw_keys), in this transaction
        keys = [obj.pk for obj in objects]
    with connection.cursor() as cursor:
        columns = ", ".join(quote(f.column) for f in (pk, *fields))
        # Rows are prepared as they are sent, so the server takes in each row while
        # the next is prepared. Errors as Django raises them (IntegrityError for a
        # duplicate key).
        with (
            connection.wrap_database_errors,
            cursor.copy(
                f"COPY {quote(table)} ({columns}) FROM STDIN"  # noqa: S608 quoted names
            ) as copy,
        ):
            for obj, key in zip(objects, keys, strict=True):
                obj.pk = key
                copy.write_row(
                    (
                        key,
                        *(
                            _copy_value(field, field.pre_save(obj, True), connection)
                            for field in fields
                        ),
                    )
                )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def draw_keys(model, count: int) -> list[int]:
    """Draw ``count`` primary keys of ``model`` from its table's sequence, in one
    statement (through the query wrappers: the audit context is set by it)."""
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        # A WITH statement (not a bare SELECT) so that pghistory adds its context.
        cursor.execute(
            "WITH keys AS (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS id "
            "FROM generate_series(1, %s)) SELECT id FROM keys ORDER BY id",
            [connection.ops.quote_name(meta.db_table), meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


# Fields whose database value is the Python value itself when it has exactly
# this type (an enum member, a subclass, takes the field's own preparation).
_AS_THEY_ARE = {
    "AutoField": int,
    "BigAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "SmallIntegerField": int,
    "BooleanField": bool,
    "CharField": str,
    "SlugField": str,
    "TextField": str,
}


def _copy_value(field, value, connection):
    if value is None:
        return None
    if isinstance(field, JSONField):
        return json.dumps(value, cls=field.encoder, separators=(",", ":"))
    if field.remote_field is not None:  # a foreign key: its target's key
        field = field.target_field
    if type(value) is _AS_THEY_ARE.get(field.get_internal_type()):
        return value
    return field.get_db_prep_save(value, connection)
