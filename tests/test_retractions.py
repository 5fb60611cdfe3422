"""import_retractions: Retraction Watch's CSV flags cited works, queues the published claims
citing them, shows the flag on their pages at once, and changes nothing when run again."""

import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.models import Citation, Claim, ErrorReport
from claims.retractions import Notice, status_of
from claims.scales import RetractionStatus, Status
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory, staff_in

pytestmark = pytest.mark.django_db
CSV = Path(__file__).resolve().parent / "samples" / "retraction_watch.csv"
DEMO_DOI = "10.1016/j.drugalcdep.2019.05.005"


def run(path=CSV) -> str:
    out = StringIO()
    call_command("import_retractions", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_demo_citation_is_flagged_by_its_doi_and_its_published_claims_queued(client):
    call_command("loaddata", "kratom_article", stdout=StringIO())
    work = Citation.objects.get(doi=DEMO_DOI)
    citing = Claim.objects.filter(evidence__citation=work)
    published = list(citing.filter(status=Status.PUBLISHED))
    assert published, "the demo data should publish a claim citing this work"
    page = client.get(published[0].get_absolute_url())
    assert "Retracted on" not in page.content.decode()

    summary = run()

    work.refresh_from_db()
    assert (work.is_retracted, work.retraction_status) == (True, RetractionStatus.RETRACTED)
    assert work.retraction_date == date(2025, 11, 2)
    assert work.retraction_notice_doi == "10.1000/retraction.77"
    assert work.retraction_reasons == (
        "Concerns/Issues About Data; Duplication of Image; Investigation by Journal/Publisher"
    )
    reports = ErrorReport.objects.filter(
        text__startswith="Cites a work retracted on 2 November 2025"
    )
    assert sorted(r.claim_id for r in reports) == sorted(c.pk for c in published)
    assert "Notice: https://doi.org/10.1000/retraction.77" in reports[0].text
    assert f"{len(published)} published claims queued" in summary
    page = client.get(published[0].get_absolute_url()).content.decode()
    assert "Retracted on 2 November 2025" in page

    again = run()
    assert "0 newly flagged; 0 changed; 0 published claims queued" in again
    assert ErrorReport.objects.count() == len(published)


def test_correction_by_doi_and_concern_by_pmid_and_drafts_are_not_queued():
    corrected = CitationFactory(doi="10.1000/example.corrected")
    concern = CitationFactory(doi="", pmid="35000002")
    EvidenceFactory(citation=corrected, claim=ClaimFactory(published=True))
    EvidenceFactory(citation=concern, claim=ClaimFactory(status=Status.IN_REVIEW))
    summary = run()
    corrected.refresh_from_db()
    concern.refresh_from_db()
    assert (corrected.retraction_status, corrected.is_retracted) == ("corrected", False)
    assert corrected.retraction_reasons == "Error in Table"
    assert (concern.retraction_status, concern.retraction_date) == ("concern", date(2023, 1, 15))
    assert ErrorReport.objects.get().text.startswith("Cites a work corrected on 30 June 2024")
    assert "4 notices read (0 skipped); 2 cited works named; 2 newly flagged" in summary


def test_a_reinstatement_lifts_an_earlier_retraction():
    def notice(status, day):
        return Notice(status, date(2024, 1, day), "", "", "10.1/x", "")

    lifted = status_of([notice("retracted", 1), notice("reinstated", 9), notice("corrected", 3)])
    assert lifted.status == "corrected"
    assert status_of([notice("reinstated", 9), notice("retracted", 10)]).status == "retracted"
    assert status_of([notice("retracted", 1), notice("reinstated", 2)]) is None


def test_a_file_with_missing_or_renamed_columns_is_refused_naming_them(tmp_path):
    text = CSV.read_text(encoding="utf-8").replace("OriginalPaperDOI", "Original DOI", 1)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        run(renamed)
    assert "missing column: OriginalPaperDOI; unexpected column: Original DOI" in str(refused.value)
    assert not Citation.objects.filter(retraction_status__gt="").exists()


def test_unreadable_rows_are_skipped_and_named(tmp_path):
    path = tmp_path / "rw.csv"
    shutil.copy(CSV, path)
    with path.open("a", encoding="utf-8") as file:
        file.write(
            '9,"T","","","","","","","","","yesterday","",0,"","10.1/z",0,"Retraction","","",""\n'
        )
    err = StringIO()
    call_command("import_retractions", str(path), stdout=StringIO(), stderr=err)
    assert "record 9: unreadable RetractionDate 'yesterday'" in err.getvalue()


def test_the_admin_shows_the_notice_on_the_work(client):
    work = CitationFactory(doi="10.1000/example.corrected")
    run()
    client.force_login(staff_in("Reviewers"))
    page = client.get(f"/admin/claims/citation/{work.pk}/change/").content.decode()
    assert "<strong>Corrected</strong> — corrected on 30 June 2024" in page
    assert "Notice: 10.1000/correction.12. Reasons: Error in Table." in page
