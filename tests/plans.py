"""What PostgreSQL would do with a queryset, for tests that guard an index's use."""

from django.db import connection


def plan_without_sorting(queryset) -> str:
    """EXPLAIN of `queryset` with sorts and sequential scans priced out, so that a query whose
    ORDER BY no index matches still shows its Sort (instead of a plan that hides it)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
