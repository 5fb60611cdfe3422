"""How generate_claims writes its rows: bulk_create on SQLite; COPY on PostgreSQL, with the
secondary indexes dropped and rebuilt once, and the triggers whose work is cheaper done once
at the end (the export summary, the appearance counts) switched off during the load.
"""

from django.db import connection

from claims.models import Appearance, Citation, Claim, Evidence, Source


class SqliteLoader:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def load(self, model, fields, rows) -> int:
        n = 0
        objs = []
        for row in rows:
            objs.append(model(**dict(zip(fields, row, strict=True))))
            n += 1
            if len(objs) >= 2000:
                model.objects.bulk_create(objs)
                objs = []
        if objs:
            model.objects.bulk_create(objs)
        return n


# The export summary's insert trigger on the evidence (migration 0005), off during the load.
SUMMARY_INSERT_TRIGGER = "claims_claimsummary_evidence_insert"
# The appearances' insert trigger (migration 0017), off during the load.
APPEARANCES = Appearance._meta.db_table
APPEARANCE_TRIGGER = "claims_appearance_insert"
# What a claim's dump line is built from (migration 0021's claims_claimrecord_fill).
RECORD_SOURCES = tuple(
    model._meta.db_table for model in (Claim, Source, Evidence, Citation, Appearance)
)


class PostgresLoader:
    """COPY rows in; drop the secondary indexes first and rebuild them once at the end.

    Index and constraint definitions are read from the catalogue, so indexes added by later
    migrations are rebuilt too. All of it runs inside the caller's transaction: on failure the
    rollback restores every index.
    """

    # claims_searchdoc: the published claims' search rows, written by the claims table's
    # triggers (migration 0004); its GIN index too is cheaper rebuilt once than kept per COPY.
    TABLES = (
        Claim._meta.db_table,
        Evidence._meta.db_table,
        Citation._meta.db_table,
        Appearance._meta.db_table,
        "claims_searchdoc",
    )

    def __enter__(self):
        self.cursor = connection.cursor()
        # Run the foreign-key checks still queued in this transaction (from the deletes):
        # pending trigger events forbid ALTER TABLE and CREATE INDEX.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(self.TABLES)],
        )
        self.indexes = self.cursor.fetchall()
        # Foreign keys are DEFERRABLE: checked row by row at commit, and their pending events
        # block CREATE INDEX. Re-adding them checks every row in one join instead.
        self.cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(self.TABLES)],
        )
        self.foreign_keys = self.cursor.fetchall()
        for table, name, _ in self.foreign_keys:
            self.cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in self.indexes:
            self.cursor.execute(f'DROP INDEX "{name}"')
        self.cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # The export summary (migration 0005) is filled once at the end, one grouped pass over
        # the new links, rather than by its trigger after every batch's COPY (twice as slow).
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{Evidence._meta.db_table}"')  # nosec B608 # model names; values bound
        (self.last_evidence_id,) = self.cursor.fetchone()
        self.cursor.execute(
            f'ALTER TABLE "{Evidence._meta.db_table}" DISABLE TRIGGER {SUMMARY_INSERT_TRIGGER}'
        )
        # Appearance counts and the search rows' source tags (migration 0017): one grouped
        # pass at the end instead of a recount per COPY.
        self.cursor.execute(f'ALTER TABLE "{APPEARANCES}" DISABLE TRIGGER {APPEARANCE_TRIGGER}')
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{APPEARANCES}"')  # nosec B608 # model names
        (self.last_appearance_id,) = self.cursor.fetchone()
        # The dump's lines (migration 0021), the word and pair counts (0024, 0025): built once at the end
        # for the new claims, rather than by every COPY of claims, links and appearances.
        self.cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE (tgname LIKE 'claims_claimrecord%%' OR tgname LIKE 'claims_wordcount%%' "
            "OR tgname LIKE 'claims_paircount%%') "
            "AND tgrelid::regclass::text = ANY(%s)",
            [list(self.TABLES)],
        )
        self.record_triggers = self.cursor.fetchall()
        for table, name in self.record_triggers:
            self.cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{Claim._meta.db_table}"')  # nosec B608 # model names
        (self.last_claim_id,) = self.cursor.fetchone()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.cursor.execute(
                f'ALTER TABLE "{Evidence._meta.db_table}" ENABLE TRIGGER {SUMMARY_INSERT_TRIGGER}'
            )
            # One grouped pass over the new links (migration 0005's function).
            self.cursor.execute(
                "SELECT claims_claimsummary_refresh_after(%s)", [self.last_evidence_id]
            )
            self.cursor.execute(f'ALTER TABLE "{APPEARANCES}" ENABLE TRIGGER {APPEARANCE_TRIGGER}')
            # Every claim's first appearance is its own quote (the count's default, 1): only
            # the claims copied into other texts are recounted, and their search rows tagged.
            # (Recounting every claim rewrote every search row: minutes, and a table twice
            # its size.)
            self.cursor.execute(
                "SELECT claims_appearance_recount(ARRAY(SELECT claim_id FROM "
                f'"{APPEARANCES}" WHERE id > %s GROUP BY claim_id HAVING count(*) > 1))',  # nosec B608 # model names; values bound
                [self.last_appearance_id],
            )
            for _, definition in self.indexes:
                self.cursor.execute(definition)
            for table, name in self.record_triggers:
                self.cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
            if self.record_triggers:
                # Fresh statistics first: planned on the empty tables' estimates, the fill
                # joined a million claims by nested loops (still running after 16 minutes).
                self.cursor.execute(f"ANALYZE {', '.join(RECORD_SOURCES)}")
                self.cursor.execute("SELECT claims_claimrecord_fill(%s)", [self.last_claim_id])
                for counts in ("claims_wordcount", "claims_paircount"):
                    if any(name.startswith(counts) for _, name in self.record_triggers):
                        self.cursor.execute(f"SELECT {counts}_fill(%s)", [self.last_claim_id])
            for table, name, definition in self.foreign_keys:
                self.cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.cursor.close()
        return False

    def load(self, model, fields, rows) -> int:
        n = 0
        columns = ", ".join(f'"{f}"' for f in fields)
        raw = self.cursor.cursor if hasattr(self.cursor, "cursor") else self.cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n


def analyze() -> None:
    """Refresh planner statistics; VACUUM too when not inside a transaction (sets the
    visibility map, so index-only scans work on the fresh rows)."""
    tables = ", ".join(m._meta.db_table for m in (Source, Claim, Citation, Evidence, Appearance))
    tables += ", claims_searchdoc, claims_facetcount, claims_facettotal"  # migration 0004
    tables += ", claims_claimsummary"  # migration 0005
    tables += ", claims_gradeassessment, claims_rateddowncount"  # migration 0020
    tables += ", claims_claimrecord"  # migration 0021
    tables += ", claims_wordcount, claims_paircount"  # migrations 0024, 0025
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
