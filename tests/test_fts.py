"""SQLite's full-text index (claims.fts) stays exact through every write path, and comes back
after a migration rebuilds the claims table; migrations 0011 and 0012 index what is stored."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims import appearances, fts
from claims.models import Claim
from claims.search import search_filter

from .factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index; PostgreSQL searches search_vector")


def _matches(text: str) -> list[int]:
    return sorted(search_filter(Claim.objects.all(), text).values_list("pk", flat=True))


def _check_index() -> None:
    """FTS5's own check that the index holds exactly the claims table's text."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {fts.TABLE} ({fts.TABLE}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.usefixtures("sqlite_only")
def test_every_write_path_keeps_the_index_exact():
    saved = ClaimFactory(statement="Kratom eases cravings")
    bulk = Claim.objects.bulk_create([ClaimFactory.build(source=saved.source, slug="bulk")])[0]
    gone = ClaimFactory(source=saved.source, statement="Kratom causes nausea")

    saved.statement = "Kratom eases insomnia"
    saved.save()
    Claim.objects.filter(pk=bulk.pk).update(outcome="tachycardia")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE claims_claim SET subject = 'mitragynine' WHERE id = %s", [gone.pk])
    gone.delete()

    assert _matches("cravings") == []
    assert _matches("insomnia") == [saved.pk]
    assert _matches("tachycardia") == [bulk.pk]
    assert _matches("nausea or mitragynine") == []
    _check_index()


@pytest.mark.usefixtures("sqlite_only")
def test_repair_after_migrate_restores_dropped_triggers_and_reindexes():
    claim = ClaimFactory(statement="Kratom eases cravings")
    with connection.cursor() as cursor:  # what Django's rebuild of the table does to them
        for name in fts.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Claim.objects.filter(pk=claim.pk).update(statement="Kratom eases insomnia")

    fts.repair_after_migrate(sender=None, using="default")
    Claim.objects.filter(pk=claim.pk).update(statement="Kratom eases restlessness")

    assert fts.state(connection) == (True, set(fts.TRIGGERS))
    assert (_matches("insomnia"), _matches("restlessness")) == ([], [claim.pk])
    _check_index()


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    # What `migrate` does next (post_migrate): SQLite's triggers back on rebuilt tables.
    fts.repair_after_migrate(sender=None)
    appearances.repair_after_migrate(sender=None)
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_give_stored_claims_their_sort_key_and_index_them():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("claims")[0]
    apps = _migrate(("claims", "0014_extraction_hints"))
    try:
        source = apps.get_model("claims", "Source").objects.create(
            title="T", text="Kratom may help.", kind="web_article"
        )
        claim = apps.get_model("claims", "Claim").objects.create(
            source=source, slug="s", statement="Éclair de génie", quote="Kratom", quote_start=0,
            quote_end=6,
        )  # fmt: skip

        apps = _migrate(("claims", "0016_sqlite_full_text_search"))

        stored = apps.get_model("claims", "Claim").objects.get(pk=claim.pk)
        assert stored.statement_sort_key == "eclair de genie"
        if connection.vendor == "sqlite":
            assert _matches("génie") == [claim.pk]
            _check_index()
    finally:
        _migrate(leaf)
