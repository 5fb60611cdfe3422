"""How big the data set is on disk: the database, and each of the app's tables with its
indexes and TOAST, side tables included (what an operator sizes disks and memory by)."""

# Tables smaller than this are summed into one line of the report.
SMALL_BYTES = 8 * 1024 * 1024


def measure(connection) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
            "ORDER BY pg_total_relation_size(c.oid) DESC"
        )
        tables = [
            {"table": name, "table_bytes": heap, "index_bytes": indexes}
            for name, heap, indexes in cursor.fetchall()
        ]
    return {"database_bytes": database, "tables": tables}


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def render(result: dict | None) -> list[str]:
    """The sizes' table of the benchmark's Markdown report."""
    if not result:
        return []
    lines = [
        "",
        f"On disk: the database {_mb(result['database_bytes'])}.",
        "",
        "| Table | Table (with TOAST) | Indexes |",
        "|---|---:|---:|",
    ]
    small = {"n": 0, "table_bytes": 0, "index_bytes": 0}
    for row in result["tables"]:
        if row["table_bytes"] + row["index_bytes"] < SMALL_BYTES:
            small["n"] += 1
            small["table_bytes"] += row["table_bytes"]
            small["index_bytes"] += row["index_bytes"]
            continue
        lines.append(
            f"| `{row['table']}` | {_mb(row['table_bytes'])} | {_mb(row['index_bytes'])} |"
        )
    if small["n"]:
        lines.append(
            f"| {small['n']} smaller tables | {_mb(small['table_bytes'])} | "
            f"{_mb(small['index_bytes'])} |"
        )
    return lines
