"""Importing cited works: deduplication across formats, and preview → confirm through the
admin's own views."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims import citation_import
from claims.models import Citation, ClaimRevision, Evidence
from claims.references import parse
from claims.scales import RevisionStatus, Stance, Status, StudyDesign
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory, staff_in
from tests.test_references import sample

pytestmark = pytest.mark.django_db
IMPORT = "/admin/claims/citation/import/"


def outcomes(rows):
    return [(row.outcome, row.reason) for row in rows]


def test_a_work_is_recognised_by_doi_then_pmid_then_title_and_year_across_formats():
    by_doi = CitationFactory(doi="10.1016/j.drugalcdep.2017.03.007")
    by_pmid = CitationFactory(doi="", pmid="28734185")
    by_title = CitationFactory(
        doi="", title="Traditional and non-traditional uses of mitragynine (kratom)", year=2016
    )
    bibtex = parse(sample("zotero.bib"))
    ris = parse(sample("endnote.ris").replace(": A survey of the literature", ""))
    ris[0].doi = ""  # found by its title alone
    rows = citation_import.plan([bibtex[0], ris[1], ris[0]])
    assert [(row.outcome, row.citation) for row in rows] == [
        ("reuse", by_doi),
        ("reuse", by_pmid),
        ("reuse", by_title),
    ]


def test_the_same_work_twice_in_a_batch_is_created_once():
    doi = "10.1007/s40122-020-00151-x"
    bibtex = f"@article{{e, title={{Kratom-Pharmacology}}, year={{2020}}, doi={{{doi}}}}}"
    refs = parse(sample("pubmed.ris")) + parse(bibtex)
    rows = citation_import.plan(refs)
    assert [row.outcome for row in rows] == ["create", "reuse"]
    assert rows[1].reason == "The same work as RIS record (line 1)."
    user = staff_in("Reviewers")
    done = citation_import.import_batch(
        sample("pubmed.ris") + "\n" + sample("pubmed.ris"), user=user
    )
    assert (done.created, done.reused, Citation.objects.filter(doi=doi).count()) == (1, 1, 1)


def test_bare_identifiers_are_reused_when_known_and_refused_when_look_ups_are_off(settings):
    settings.CITATION_LOOKUPS = False
    known = CitationFactory(doi="10.1000/known")
    rows = citation_import.plan(parse("https://doi.org/10.1000/KNOWN\n10.1000/unknown\n31284119"))
    assert [(row.outcome, row.citation) for row in rows[:1]] == [("reuse", known)]
    assert [row.outcome for row in rows[1:]] == ["refuse", "refuse"]
    assert "look-ups are off" in rows[1].reason


def test_imported_work_without_a_design_is_marked_other_with_a_note():
    (row,) = citation_import.plan(parse(sample("items.json"))[1:])
    assert row.citation.study_design == StudyDesign.OTHER
    assert row.citation.design_note == citation_import.UNKNOWN_DESIGN_NOTE


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_preview_writes_nothing_and_confirm_imports_and_links_to_a_draft_claim(client):
    claim = ClaimFactory(status=Status.IN_REVIEW)
    EvidenceFactory(claim=claim, citation__doi="10.2147/sar.s127341")
    client.force_login(staff_in("Reviewers"))
    upload = SimpleUploadedFile("library.bib", sample("zotero.bib").encode())
    preview = client.post(IMPORT, {"upload": upload, "claim": claim.pk, "stance": Stance.SUPPORTS})
    assert preview.status_code == 200
    assert Citation.objects.count() == 1
    rows = preview.context["rows"]
    assert [row.outcome for row in rows] == ["create", "reuse", "refuse", "create"]
    assert b"line 27" in preview.content
    confirm = client.post(
        IMPORT,
        {"text": preview.context["text"], "claim": claim.pk, "stance": Stance.SUPPORTS,
         "_confirm": "1"},
    )  # fmt: skip
    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("admin:claims_claim_change", args=[claim.pk])
    assert messages_of(confirm) == [
        "Imported: 2 new, 1 already here, 1 refused. 2 linked to the claim."
    ]
    assert Citation.objects.count() == 3
    assert set(claim.evidence.values_list("stance", flat=True)) == {Stance.SUPPORTS}
    assert claim.evidence.count() == 3
    claim.refresh_from_db()
    assert claim.version == 2  # one edit


def test_confirmed_links_to_a_published_claim_wait_for_an_editor(client):
    claim = ClaimFactory(published=True)
    client.force_login(staff_in("Reviewers"))
    response = client.post(
        IMPORT,
        {"text": sample("pubmed.ris"), "claim": claim.pk, "stance": Stance.CONTRADICTS,
         "_confirm": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "as a revision, waiting for an editor" in messages_of(response)[0]
    assert not Evidence.objects.filter(claim=claim).exists()
    revision = ClaimRevision.objects.get(claim=claim)
    assert revision.status == RevisionStatus.PENDING
    work = Citation.objects.get(pmid="32000295")
    assert revision.evidence == [{"citation": work.pk, "stance": "contradicts", "finding": ""}]


def test_bad_batches_are_refused_with_a_message_and_nothing_written(client):
    client.force_login(staff_in("Reviewers"))
    too_many = "\n".join(f"10.1000/{n}" for n in range(1001))
    response = client.post(IMPORT, {"text": too_many, "_confirm": "1"})
    assert response.status_code == 200
    assert "at most 1000 are imported at once" in response.content.decode()
    binary = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n\x00\x01\x02")
    response = client.post(IMPORT, {"upload": binary})
    assert "The file is not text" in response.content.decode()
    assert Citation.objects.count() == 0


def test_the_import_page_needs_the_right_to_add_cited_works(client):
    client.force_login(staff_in(None))
    assert client.get(IMPORT).status_code == 403
    client.force_login(staff_in("Reviewers"))
    page = client.get(IMPORT + "?claim=1")
    assert page.status_code == 200
    assert "There is no claim with that id." in messages_of(page)


def test_claim_change_page_links_to_the_import(client):
    claim = ClaimFactory(status=Status.IN_REVIEW)
    client.force_login(staff_in("Reviewers"))
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert f'href="{IMPORT}?claim={claim.pk}"' in page.content.decode()


# --- one size limit for what an import reads, pasted or uploaded (DJANGO_CITATION_IMPORT_MAX_BYTES)

LIMIT = 400
ENTRY = "@article{k, title={Kratom and sleep}, year={2020}, doi={10.1000/kratom.sleep}}\n"


def references_of(size: int) -> str:
    """One BibTeX entry padded with blank lines to exactly `size` UTF-8 bytes."""
    text = ENTRY + "\n" * (size - len(ENTRY))
    assert len(text.encode()) == size
    return text


@pytest.fixture
def small_import_limit(settings):
    settings.CLAIMS_CITATION_IMPORT_MAX_BYTES = LIMIT


def test_the_import_limit_defaults_to_five_megabytes():
    from django.conf import settings

    assert settings.CLAIMS_CITATION_IMPORT_MAX_BYTES == 5_000_000


@pytest.mark.usefixtures("small_import_limit")
def test_a_file_one_byte_over_the_limit_is_refused_and_nothing_written(client):
    client.force_login(staff_in("Reviewers"))
    upload = SimpleUploadedFile("library.bib", references_of(LIMIT + 1).encode())

    response = client.post(IMPORT, {"upload": upload, "_confirm": "1"})

    assert response.status_code == 200
    assert response.context["rows"] is None
    assert (
        f"This file is {LIMIT + 1} bytes; one import reads at most {LIMIT} bytes "
        "(DJANGO_CITATION_IMPORT_MAX_BYTES)"
    ) in response.content.decode()
    assert Citation.objects.count() == 0


@pytest.mark.usefixtures("small_import_limit")
def test_pasted_references_over_the_limit_are_refused_and_nothing_written(client):
    client.force_login(staff_in("Reviewers"))
    text = references_of(LIMIT - 1) + "é"  # two bytes in UTF-8: one over, in one character

    response = client.post(IMPORT, {"text": text, "_confirm": "1"})

    assert response.status_code == 200
    assert (
        f"These references are {LIMIT + 1} bytes; one import reads at most {LIMIT} bytes"
    ) in response.content.decode()
    assert Citation.objects.count() == 0


@pytest.mark.usefixtures("small_import_limit")
def test_a_file_at_the_limit_is_previewed_and_imported(client):
    client.force_login(staff_in("Reviewers"))
    upload = SimpleUploadedFile("library.bib", references_of(LIMIT).encode())

    preview = client.post(IMPORT, {"upload": upload})
    confirm = client.post(IMPORT, {"text": preview.context["text"], "_confirm": "1"})

    assert [row.outcome for row in preview.context["rows"]] == ["create"]
    # The confirming form is multipart: its text is counted as sent, not percent-encoded
    # three times over, against the request body limit (DATA_UPLOAD_MAX_MEMORY_SIZE).
    assert preview.content.decode().count('enctype="multipart/form-data"') == 2
    assert confirm.status_code == 302
    assert Citation.objects.filter(doi="10.1000/kratom.sleep").count() == 1


@pytest.mark.usefixtures("small_import_limit")
def test_an_upload_is_kept_only_to_one_byte_past_the_limit(client, monkeypatch):
    """A large file is counted, not stored: the request holds at most the limit plus one
    byte of it, in memory and on disk alike (a 306 MB file grew a worker by 300 MB)."""
    from claims import uploads

    kept = []
    complete = uploads.BoundedUploadHandler.file_complete

    def spy(handler, file_size):
        file = complete(handler, file_size)
        kept.append((file.size, len(file.file.getvalue())))
        return file

    monkeypatch.setattr(uploads.BoundedUploadHandler, "file_complete", spy)
    client.force_login(staff_in("Reviewers"))
    upload = SimpleUploadedFile("huge.bib", references_of(100 * LIMIT).encode())

    response = client.post(IMPORT, {"upload": upload})

    assert kept == [(100 * LIMIT, LIMIT + 1)]
    assert f"This file is {100 * LIMIT:,} bytes" in response.content.decode()
