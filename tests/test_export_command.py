import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from claims.scales import Grade, Verdict
from tests.factories import ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def run_export(tmp_path, *args) -> bytes:
    target = tmp_path / "report.csv"
    call_command("export_claims_report", "-o", str(target), *args, verbosity=0)
    return target.read_bytes()


@pytest.fixture
def seeded():
    call_command("loaddata", "kratom_article", verbosity=0)


@pytest.mark.parametrize(
    "query",
    ["", "q=hair", "grade=very_low&grade=low", "verdict=unsupported&sort=-claim", "excel=1"],
)
def test_command_writes_the_same_bytes_as_the_web_export(client, tmp_path, seeded, query):
    web = client.get(f"{reverse('claims:claim-export')}?{query}")

    extra = ["--excel"] if "excel=1" in query else []
    data = run_export(tmp_path, "--query", query, *extra)

    assert data == b"".join(web.streaming_content)
    assert data.count(b"\n") > 1


def test_one_option_per_parameter_merges_into_the_query(tmp_path, seeded):
    by_options = run_export(
        tmp_path, "--q", "kratom", "--grade", "low", "--grade", "very_low", "--sort", "claim"
    )

    by_query = run_export(tmp_path, "--query", "?q=kratom&grade=low&grade=very_low&sort=claim")

    assert by_options == by_query
    assert by_options.count(b"\n") > 1


def test_command_writes_to_stdout_by_default(capsysbinary):
    claim = ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.MISLEADING)
    EvidenceFactory(claim=claim)

    call_command("export_claims_report", "--verdict", "misleading")

    out = capsysbinary.readouterr().out
    assert out.startswith(b"id,claim,subject,")
    assert out.splitlines()[1].startswith(f"{claim.pk},".encode())
    assert len(out.splitlines()) == 2


def test_bad_query_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match="grade") as excinfo:
        call_command("export_claims_report", "--grade", "excellent", "-o", str(tmp_path / "x"))

    assert "excellent" in str(excinfo.value)
    assert not (tmp_path / "x").exists()


def test_unwritable_output_is_a_clear_command_error(tmp_path):
    missing = tmp_path / "no-such-dir" / "report.csv"

    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_claims_report", "-o", str(missing))
