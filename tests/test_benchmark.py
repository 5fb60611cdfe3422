import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

pytestmark = pytest.mark.django_db

PAGES = ["list_first", "list_deep", "search_common", "search_rare", "search_phrase", "claim",
         "source"]  # fmt: skip


def test_benchmark_refuses_a_database_that_is_not_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("checks the message on SQLite")

    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("benchmark", "--quick", stdout=StringIO())


def test_benchmark_refuses_to_shrink_a_larger_data_set(postgres_only, tmp_path):
    call_command("generate_claims", "--count", 60, stdout=StringIO())

    with pytest.raises(CommandError, match="holds 60 synthetic claims"):
        call_command("benchmark", "--claims", 50, "--output", tmp_path, stdout=StringIO())


@pytest.mark.django_db(transaction=True)  # the export subprocess must see the rows
def test_benchmark_quick_writes_json_and_markdown(postgres_only, tmp_path):
    call_command(
        "benchmark", "--quick", "--claims", 200, "--repeat", 2, "--warmup", 0,
        "--output", tmp_path, stdout=StringIO(),
    )  # fmt: skip

    result = json.loads((tmp_path / "benchmark.json").read_text())
    markdown = (tmp_path / "benchmark.md").read_text()
    assert [page["name"] for page in result["pages"]] == PAGES
    assert result["meta"]["claims"] == 200
    assert result["generation"]["claims"] == 200
    assert [len(page.get("runs_ms", [])) for page in result["pages"]] == [2] * len(PAGES)
    assert result["copy"]["rows"] == result["meta"]["published_claims"]
    assert "| Measurement | Median | Min–max | SQL floor | Queries | Target |" in markdown
    assert markdown.count("\n| ") == len(PAGES) + 3  # header, pages, COPY, export
