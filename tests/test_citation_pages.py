"""A cited work's public page and the reference downloads: only what published claims cite,
and each download read back by the import's own parsers."""

from datetime import date

import pytest

from claims import citation_page
from claims.references import parse
from claims.scales import RetractionStatus, Stance, Status
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def test_a_work_only_unpublished_claims_cite_has_no_page_and_no_downloads(client):
    work = CitationFactory()
    EvidenceFactory(citation=work, claim=ClaimFactory(status=Status.IN_REVIEW))
    uncited = CitationFactory()
    for target in (work, uncited):
        for suffix in ("/", ".bib", ".ris", ".json"):
            assert client.get(f"/citations/{target.pk}{suffix}").status_code == 404


def test_the_page_lists_published_claims_by_stance_and_never_an_unpublished_one(client):
    work = CitationFactory(
        title="Kratom and withdrawal", pmid="31284119", url="https://example.org/k"
    )
    public = ClaimFactory(published=True, statement="Kratom eases withdrawal.")
    EvidenceFactory(citation=work, claim=public, stance=Stance.SUPPORTS, finding="Less craving.")
    against = ClaimFactory(published=True, statement="Kratom is harmless.")
    EvidenceFactory(citation=work, claim=against, stance=Stance.CONTRADICTS)
    draft = ClaimFactory(status=Status.IN_REVIEW, statement="A draft nobody may read.")
    EvidenceFactory(citation=work, claim=draft, stance=Stance.MIXED, finding="Secret finding.")
    html = client.get(f"/citations/{work.pk}/").content.decode()
    assert html.index("Supports (1 claim)") < html.index("Contradicts (1 claim)")
    assert f'href="{public.get_absolute_url()}"' in html
    assert "Finding: Less craving." in html
    assert "A draft nobody may read." not in html
    assert "Secret finding." not in html
    assert "Mixed" not in html
    assert f'href="https://doi.org/{work.doi}"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31284119/"' in html
    assert "None known to us." in html
    mixed = client.get(f"/citations/{work.pk}/?stance=mixed").content.decode()
    assert "Secret finding." not in mixed
    assert "No published claims." in mixed


def test_a_page_number_past_any_stance_is_the_first_page_with_a_note(client):
    work = CitationFactory()
    EvidenceFactory(citation=work, claim=ClaimFactory(published=True), stance=Stance.SUPPORTS)

    page = citation_page.citation_page(work, "supports", "257638787547388477440")
    response = client.get(f"/citations/{work.pk}/?stance=supports&page=257638787547388477440")

    assert (page.number, page.message) == (
        1,
        "There is no page 257638787547388477440 of these claims: this is the first.",
    )
    assert response.status_code == 200


def test_the_page_shows_the_notice_and_pages_through_many_claims(client, monkeypatch):
    monkeypatch.setattr(citation_page, "COUNT_BOUND", 20)
    work = CitationFactory(
        is_retracted=True,
        retraction_status=RetractionStatus.RETRACTED,
        retraction_date=date(2025, 11, 2),
        retraction_notice_doi="10.1000/retraction.77",
        retraction_reasons="Duplication of Image",
    )
    supporting = [
        EvidenceFactory(citation=work, claim=ClaimFactory(published=True)) for _ in range(27)
    ]
    EvidenceFactory(citation=work, claim=ClaimFactory(published=True), stance=Stance.BACKGROUND)
    EvidenceFactory(citation=work, claim=ClaimFactory(status=Status.CANDIDATE))
    first = client.get(f"/citations/{work.pk}/").content.decode()
    assert "Retracted on 2 November 2025" in first
    assert 'href="https://doi.org/10.1000/retraction.77"' in first
    assert "Reasons given: Duplication of Image." in first
    assert "Supports (over 20 claims)" in first
    assert "Background (1 claim)" in first
    assert first.count('class="citing-claim"') == citation_page.PREVIEW + 1
    assert '<a href="?stance=supports">' in first
    page_one = client.get(f"/citations/{work.pk}/?stance=supports").content.decode()
    assert page_one.count('class="citing-claim"') == 25
    assert 'href="?stance=supports&amp;page=2"' in page_one
    page_two = client.get(f"/citations/{work.pk}/?stance=supports&page=2").content.decode()
    assert page_two.count('class="citing-claim"') == 2
    assert "Next page" not in page_two
    shown = {c.claim.slug for c in supporting if c.claim.get_absolute_url() in page_one + page_two}
    assert len(shown) == 27
    # Newest claims first: the two oldest are on page 2.
    assert supporting[0].claim.get_absolute_url() in page_two
    assert supporting[-1].claim.get_absolute_url() in page_one
    beyond = client.get(f"/citations/{work.pk}/?stance=supports&page=9").content.decode()
    assert "There is no page 9 of these claims" in beyond
    odd = client.get(f"/citations/{work.pk}/?stance=supports&page=x").content.decode()
    assert "is not a page number" in odd


def test_the_page_reads_a_bounded_number_of_rows(client, django_assert_max_num_queries):
    work = CitationFactory()
    for stance in Stance:
        EvidenceFactory(citation=work, claim=ClaimFactory(published=True), stance=stance)
    with django_assert_max_num_queries(1 + len(Stance) + 2):  # work, a slice per stance, session
        assert client.get(f"/citations/{work.pk}/").status_code == 200


def _fields(ref):
    return (ref.title, ref.authors, ref.year, ref.venue, ref.doi, ref.pmid, ref.url)


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_downloaded_citation_reads_back_the_same(client, fmt):
    work = CitationFactory(
        title="Kratom use & misuse: a survey — 50% of users",
        authors="Coe MA, Pillitteri JL, World Health Organization",
        year=2019,
        venue="Drug and Alcohol Dependence",
        doi="10.1016/j.drugalcdep.2019.05.005",
        pmid="31284119",
        url="https://pubmed.ncbi.nlm.nih.gov/31284119/",
    )
    EvidenceFactory(citation=work, claim=ClaimFactory(published=True))
    response = client.get(f"/citations/{work.pk}.{fmt}")
    assert response.status_code == 200
    assert f'filename="citation-{work.pk}.{fmt}"' in response["Content-Disposition"]
    (ref,) = parse(response.content.decode())
    assert ref.error == ""
    assert _fields(ref) == (
        "Kratom use & misuse: a survey — 50% of users",
        "Coe MA, Pillitteri JL, World Health Organization",
        2019,
        "Drug and Alcohol Dependence",
        "10.1016/j.drugalcdep.2019.05.005",
        "31284119",
        "https://pubmed.ncbi.nlm.nih.gov/31284119/",
    )


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_claims_reference_list_downloads_in_page_order(client, fmt):
    claim = ClaimFactory(published=True)
    older = EvidenceFactory(claim=claim, citation__year=2001, citation__title="Older work")
    newer = EvidenceFactory(claim=claim, citation__year=2020, citation__title="Newer work")
    response = client.get(f"/claims/{claim.slug}/references.{fmt}")
    assert response.status_code == 200
    refs = parse(response.content.decode())
    assert [(r.title, r.doi) for r in refs] == [
        ("Newer work", newer.citation.doi),
        ("Older work", older.citation.doi),
    ]


def test_downloads_of_unpublished_claims_and_unknown_formats_are_404(client):
    draft = ClaimFactory(status=Status.IN_REVIEW)
    EvidenceFactory(claim=draft)
    assert client.get(f"/claims/{draft.slug}/references.bib").status_code == 404
    public = ClaimFactory(published=True)
    assert client.get(f"/claims/{public.slug}/references.pdf").status_code == 404
    page = client.get(public.get_absolute_url()).content.decode()
    assert f'href="/claims/{public.slug}/references.ris"' not in page  # no works, no list
