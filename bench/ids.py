"""The ids generated rows may take: never one a deleted row had (bench/generate.py)."""

from django.db import connection


def last_used_id(model) -> int:
    """The highest id the table has ever handed out, deleted rows included.

    Not max(id): a new row with a deleted row's id inherits whatever still names that id (the
    history keeps deleted claims' ids), as a synthetic claim once inherited a deleted claim's
    corrections log. PostgreSQL's sequence and SQLite's sqlite_sequence (AUTOINCREMENT) keep
    the highest id used.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # nosec B608 # model names
        (highest,) = cursor.fetchone()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}"  # nosec B608 # a catalogue name
            )
        else:
            cursor.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
        (used,) = cursor.fetchone()
    return max(highest, used)


def advance_sequences(last_ids: dict) -> None:
    """Move PostgreSQL's sequences to the last loaded id per model (COPY does not move them).

    Never back: the ids were allocated above `last_used_id`. SQLite's AUTOINCREMENT counter
    follows explicit ids by itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model, last_id in last_ids.items():
            if last_id:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [model._meta.db_table, last_id],
                )
