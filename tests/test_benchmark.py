import json
import os
import subprocess
import sys
import uuid
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from bench import peer
from bench.measure import database_url, maintenance_connection
from claims.models import Claim

pytestmark = pytest.mark.django_db

PAGES = ["list_first", "list_deep", "search_common", "search_rare", "search_phrase",
         "list_deep_numbered", "list_filtered", "list_sorted", "search_filtered",
         "search_sorted", "claim", "source", "sources", "citation", "list_by_appearances",
         "claim_widest", "list_source_copies", "list_rated_down"]  # fmt: skip
# Each /claims/ page's API twin, the claim document's, then the texts' and works' lists.
CLAIM_LISTS = [name for name in PAGES if name.startswith(("list_", "search_"))]
PAGES += [
    *(f"api_{name}" if name != "claim" else "api_claim"
      for name in PAGES if name in CLAIM_LISTS or name == "claim"),
    "api_sources", "api_sources_deep", "api_citations", "api_citations_deep",
]  # fmt: skip
# A revalidation (a 304 with the page's ETag) of some of them, then of the two exports.
REVALIDATIONS = [
    *(f"304_{name}" for name in PAGES if name in (
        "list_first", "list_deep", "search_common", "search_filtered", "claim", "sources",
        "api_list_first", "api_search_common", "api_claim")),
    "304_csv", "304_ndjson",
]  # fmt: skip


def test_benchmark_refuses_a_database_that_is_not_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("checks the message on SQLite")

    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("benchmark", "--quick", stdout=StringIO())


def test_benchmark_refuses_to_shrink_a_larger_data_set(postgres_only, tmp_path):
    call_command("generate_claims", "--count", 60, stdout=StringIO())

    with pytest.raises(CommandError, match="holds 60 synthetic claims"):
        call_command("benchmark", "--claims", 50, "--output", tmp_path, stdout=StringIO())


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # the export subprocess must see the rows
def test_benchmark_quick_writes_json_and_markdown(postgres_only, tmp_path):
    call_command(
        "benchmark", "--quick", "--claims", 200, "--repeat", 2, "--warmup", 0,
        "--output", tmp_path, "--peer-bin", tmp_path, stdout=StringIO(),
    )  # fmt: skip

    result = json.loads((tmp_path / "benchmark.json").read_text())
    markdown = (tmp_path / "benchmark.md").read_text()
    assert [page["name"] for page in result["pages"]] == PAGES
    assert result["meta"]["claims"] == 200
    assert result["generation"]["claims"] == 200
    assert [len(page.get("runs_ms", [])) for page in result["pages"]] == [2] * len(PAGES)
    assert result["copy"]["rows"] == result["meta"]["published_claims"]
    assert "| Measurement | Median | Min–max | SQL floor | Queries | Target |" in markdown
    assert all(page["status"] == 200 for page in result["pages"])
    revalidations = result["revalidation"]
    assert [row["name"] for row in revalidations] == REVALIDATIONS
    assert all((row["status"], row["queries"], row["error"]) == (304, 1, None)
               for row in revalidations)  # fmt: skip
    assert "| 304 of /claims/export.csv (the export not started) |" in markdown
    table = markdown.split("\n\n")[1]
    # header, pages, revalidations, COPY, export, matching, matrix, dump
    assert table.count("\n| ") == len(PAGES) + len(REVALIDATIONS) + 5
    dump = result["dump"]
    assert (dump["claims"], dump["error"]) == (result["meta"]["published_claims"], None)
    assert min(dump["bytes"], dump["claims_per_s"], dump["peak_rss_mb"]) > 0
    assert "NDJSON dump (`export_claims_report --format ndjson`)" in markdown
    assert "match suggestion for one candidate" in markdown
    matrix = result["matrix"]
    assert {page["name"] for page in matrix["pages"]} <= set(PAGES)
    assert len(matrix["pages"]) >= 10
    assert "grade × verdict matrix (counts + matrix)" in markdown
    # Through gunicorn: the claim page (one with a GRADE assessment) and the floor page.
    served = result["served"]
    assert [served[name]["requests"] for name in ("claim", "methodology")] == [41, 41]
    claim = next(page for page in result["pages"] if page["name"] == "claim")
    assert served["claim"]["path"] == claim["url"]
    assert Claim.objects.get(pk=claim["claim_id"]).assessment
    assert "Through gunicorn" in markdown
    assert "No Datasette comparison" in markdown  # --peer-bin holds no datasette
    # What the data set takes on disk, side tables included.
    sizes = {row["table"]: row for row in result["sizes"]["tables"]}
    assert {"claims_claim", "claims_searchdoc", "claims_wordcount"} <= set(sizes)
    assert result["sizes"]["database_bytes"] > sizes["claims_claim"]["table_bytes"] > 0
    assert "On disk: the database" in markdown


def _url(name: str) -> str:
    settings_dict = connection.settings_dict
    return (
        f"postgres://{quote(settings_dict['USER'] or '')}@{settings_dict['HOST'] or 'localhost'}"
        f":{settings_dict['PORT'] or 5432}/{name}"
    )


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_benchmark_leaves_a_database_with_real_claims_unmigrated(postgres_only, tmp_path):
    """Pointed at a real database by mistake, it must not build indexes there first."""
    name = f"bench_real_{uuid.uuid4().hex[:12]}"
    with maintenance_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _url(name)
        # Real claims (the demo data needs today's schema), then migrations left unapplied.
        assert _manage(url, "migrate", "-v0").returncode == 0
        assert _manage(url, "loaddata", "fixtures/kratom_article.json", "-v0").returncode == 0
        assert _manage(url, "migrate", "claims", "0005", "-v0").returncode == 0

        done = _manage(url, "benchmark", "--quick", "--claims", "30", "--output", str(tmp_path))
        shown = _manage(url, "showmigrations", "claims").stdout

        assert done.returncode != 0
        assert "holds 20 non-synthetic claim(s) and unapplied migrations" in done.stderr
        assert "[ ] 0006" in shown
    finally:
        with maintenance_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_benchmark_names_a_server_it_cannot_use():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")
    settings_dict = connection.settings_dict
    url = (
        f"postgres://no_such_role_h@{settings_dict['HOST'] or 'localhost'}"
        f":{settings_dict['PORT'] or 5432}/whatever"
    )

    done = _manage(url, "benchmark", "--quick")

    assert done.returncode != 0
    assert "Cannot connect to the database 'whatever'" in done.stderr
    assert "Traceback" not in done.stderr


def test_benchmark_creates_and_migrates_a_missing_database(postgres_only, tmp_path):
    """From a fresh clone the one command needs only a PostgreSQL server to talk to."""
    name = f"bench_new_{uuid.uuid4().hex[:12]}"
    try:
        done = _manage(
            _url(name), "benchmark", "--quick", "--claims", "30", "--repeat", "1",
            "--warmup", "0", "--skip-export", "--output", str(tmp_path),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"Creating the database '{name}'" in done.stdout
        assert "Applying migrations" in done.stdout
        result = json.loads((tmp_path / "benchmark.json").read_text())
        assert result["meta"]["database"] == name
        assert result["generation"]["claims"] == 30
    finally:
        with maintenance_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claim_page_beside_datasette(postgres_only, tmp_path):
    found = peer.find_peer(None)
    if found is None:
        pytest.skip("datasette and sqlite-utils are not installed (make bench-peer)")
    call_command("generate_claims", "--count", 200, stdout=StringIO())
    claim = Claim.objects.filter(status="published").first()

    result = peer.datasette_comparison(
        database_url(), claim_path=claim.get_absolute_url(), claim_id=claim.pk, peer=found,
        workdir=tmp_path, runs=1, repeat=5,
    )  # fmt: skip

    assert result["peer"].startswith("Datasette ")
    assert result["runs"][0]["ours_ms"] > 0
    assert result["runs"][0]["peer_ms"] > 0
    assert not (tmp_path / "claims.db").exists()
