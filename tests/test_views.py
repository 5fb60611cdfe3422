import datetime
import json
import re
from datetime import UTC

import pytest
from django.db import connection
from django.urls import reverse

from claims import detail, revisions
from claims.columns import PAGE_COLUMNS
from claims.models import Citation, Claim
from claims.scales import Grade, Stance, Status, Verdict, grade_explanation
from claims.tables import ClaimTable

from .factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    GradeAssessmentFactory,
    SourceFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db

LIST = "/claims/"
JSON_LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def _counts(response, name):
    facet = next(f for f in response.context["page"].facets if f.name == name)
    return {item.code: item.count for item in facet.items}


def test_home_redirects_to_claim_list(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == LIST


def test_table_columns_are_the_page_columns_in_order():
    assert list(ClaimTable.base_columns) == [column.name for column in PAGE_COLUMNS]
    assert [c.verbose_name for c in ClaimTable.base_columns.values()] == [
        column.label for column in PAGE_COLUMNS
    ]


def test_claim_list_shows_total_and_badges(client):
    ClaimFactory(published=True, statement="Kratom aids hair regrowth")
    ClaimFactory(status=Status.CANDIDATE, statement="Unpublished draft claim")

    response = client.get(LIST)
    html = response.content.decode()

    assert response.context["page"].counts.total == 1
    assert "1 claim</h2>" in html
    assert "Kratom aids hair regrowth" in html
    assert "Unpublished draft claim" not in html
    assert 'Very low <span class="symbols" aria-hidden="true">⊕◯◯◯</span>' in html


def test_counts_leave_out_their_own_filter(client):
    ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.SUPPORTED)
    ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.UNSUPPORTED)
    ClaimFactory(published=True, grade=Grade.VERY_LOW, verdict=Verdict.UNSUPPORTED)
    ClaimFactory(status=Status.IN_REVIEW, grade=Grade.HIGH, verdict=Verdict.SUPPORTED)

    response = client.get(LIST + "?grade=low&verdict=unsupported")

    assert response.context["page"].counts.total == 1
    assert _counts(response, "grade") == {"high": 0, "moderate": 0, "low": 1, "very_low": 1}
    assert _counts(response, "verdict") == {
        "supported": 1,
        "partly_supported": 0,
        "unsupported": 1,
        "misleading": 0,
        "contradicted": 0,
    }


def test_counts_follow_search_and_other_filters(client):
    ClaimFactory(published=True, grade=Grade.LOW, subject="kratom")
    ClaimFactory(published=True, grade=Grade.LOW, subject="coffee")

    response = client.get(LIST + "?subject=kratom")

    assert _counts(response, "grade")["low"] == 1


def test_count_links_add_and_remove_their_filter(client):
    ClaimFactory(published=True)

    response = client.get(LIST + "?q=hair&grade=low&sort=-grade&page=1")
    grade = {i.code: i for i in response.context["page"].facets[0].items}

    assert grade["very_low"].url == "?q=hair&grade=low&grade=very_low&sort=-grade"
    assert grade["low"].url == "?q=hair&sort=-grade"
    assert grade["low"].selected is True


def test_csv_link_carries_the_query(client):
    response = client.get(LIST + "?q=hair&grade=low&grade=very_low&page=2")

    assert response.context["page"].csv_url == "/claims/export.csv?q=hair&grade=low&grade=very_low"


def test_export_url_is_declared_before_the_slug_route():
    assert reverse("claims:claim-export") == "/claims/export.csv"


def test_export_with_bad_query_is_a_clear_400(client):
    response = client.get("/claims/export.csv?grade=best")

    assert response.status_code == 400
    assert "“best” is not a grade" in response.content.decode()


@pytest.mark.parametrize("query", ["grade=best", "sort=nope", "verdict=x&q=hair", "source=999"])
def test_the_400_page_offers_no_download_that_would_answer_400(client, query):
    response = client.get(f"{LIST}?{query}")
    links = re.findall(r'href="([^"]*export\.csv[^"]*)"', response.content.decode())

    assert response.status_code == 400
    assert "Download CSV" not in response.content.decode()
    assert [client.get(link.replace("&amp;", "&")).status_code for link in links] == [200]


LONG_TITLE = "Kratom for opioid withdrawal, hair loss during detox, and what the studies say"


def test_the_table_shows_a_long_source_title_shortened_and_the_csv_keeps_it_whole(client):
    claim = ClaimFactory(published=True, source=SourceFactory(title=LONG_TITLE))

    html = client.get(LIST).content.decode()
    csv_text = b"".join(client.get("/claims/export.csv").streaming_content).decode()
    claim_html = client.get(claim.get_absolute_url()).content.decode()

    assert f'{claim.source.get_absolute_url()}">Kratom for opioid withdrawal…</a>' in html
    assert LONG_TITLE not in html
    assert LONG_TITLE in csv_text
    assert f">{LONG_TITLE}</a>" in claim_html


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("Short title", "Short title"),
        ("x" * 32, "x" * 32),
        ("A headline that is thirty-three c", "A headline that is…"),
        ("Averyveryverylongwordwithoutanyspacesatall", "Averyveryverylongwordwithoutany…"),
    ],
)
def test_short_title_cuts_at_a_word(title, short):
    from claims.fasthtml import short_title

    assert short_title(title) == short


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?grade=excellent", "“excellent” is not a grade"),
        ("?verdict=fake", "“fake” is not a verdict"),
        ("?source=x1", "“x1” is not a source number"),
        ("?sort=price", "“price” is not a column to sort by"),
        ("?q=" + "word " * 2000, "Your search is too long"),
        ("?q=%00", "Null characters are not allowed."),
    ],
)
def test_bad_filter_values_give_a_page_with_a_message(client, query, message):
    ClaimFactory(published=True)

    response = client.get(LIST + query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["page"].counts.total == 0


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("abc", "“abc” is not a page number, so this is page 1."),
        ("99", "There is no page 99: this selection has 1 page. This is the last one."),
        ("0", "Pages start at 1, so this is the last page."),
        ("99999999999999999999999", "There is no page 99999999999999999999999"),
    ],
)
def test_bad_page_numbers_explain_themselves(client, number, message):
    ClaimFactory(published=True)

    response = client.get(f"{LIST}?page={number}")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(response.context["page"].rows) == 1


@pytest.mark.parametrize(
    "q", ['"', '"hair loss', "-", "hair -", "a or or b", "(hair) & !loss | <->", "'--"]
)
def test_quotes_and_operators_in_q_render(client, q):
    ClaimFactory(published=True)

    response = client.get(LIST, {"q": q})

    assert response.status_code == 200


def test_pagination_keeps_filters(client):
    ClaimFactory.create_batch(26, published=True)

    response = client.get(LIST + "?grade=very_low")

    assert 'href="?grade=very_low&amp;page=2"' in response.content.decode()
    assert len(response.context["page"].rows) == 25


def test_sort_links_keep_filters_and_drop_the_page_position(client):
    ClaimFactory.create_batch(2, published=True)

    response = client.get(LIST + "?sort=-grade&grade=very_low&page=1")

    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    assert '<a href="?grade=very_low&amp;sort=grade">Evidence grade' in html
    assert '<a href="?grade=very_low&amp;sort=claim">Claim' in html


def test_table_cells_escape_database_text(client):
    source = SourceFactory(title="<b>Title</b> & co")
    ClaimFactory(published=True, source=source, subject="<i>kratom</i>")

    html = client.get(LIST).content.decode()

    assert "&lt;b&gt;Title&lt;/b&gt; &amp; co</a>" in html
    assert '<td data-label="Subject" class="col-subject">&lt;i&gt;kratom&lt;/i&gt;</td>' in html


@pytest.mark.parametrize("n_claims", [1, 3])
def test_claim_list_query_count_is_flat(client, django_assert_num_queries, n_claims):
    ClaimFactory.create_batch(n_claims, published=True)

    # SQLite: the grade × verdict count grid, the page rows. PostgreSQL: the bounded search
    # (candidates, ranked page ids, and the word counts' grid of one word), the page rows.
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 2):
        response = client.get(LIST + "?q=kratom&grade=very_low")

    assert len(response.context["page"].table.rows) == n_claims


@pytest.mark.parametrize("n_claims", [1, 3])
def test_a_two_word_search_list_query_count_is_flat(client, django_assert_num_queries, n_claims):
    ClaimFactory.create_batch(n_claims, published=True)

    # PostgreSQL: the bounded search (candidates, grid, ranked page ids), the grid without the
    # grade filter (two words: no word counts), the page rows. SQLite: the grid, the rows.
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + (3 if connection.vendor == "postgresql" else 2)):
        response = client.get(LIST + "?q=kratom+hair&grade=very_low")

    assert len(response.context["page"].table.rows) == n_claims


@pytest.mark.parametrize("query", ["?grade=high", "?grade=high&after=5", "?grade=high&sort=claim"])
def test_an_empty_selection_reads_its_counts_and_no_rows(client, django_assert_num_queries, query):
    """The exact counts say nothing matches: no query looks for rows through every claim."""
    ClaimFactory.create_batch(3, published=True)  # very low

    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 1):
        response = client.get(LIST + query)

    assert response.context["page"].rows == []
    assert response.context["page"].notes == []


@pytest.mark.parametrize("n_sources", [1, 3])
def test_claim_list_source_filter_query_count_is_flat(client, django_assert_num_queries, n_sources):
    claims = [ClaimFactory(published=True) for _ in range(n_sources)]
    query = "&".join(f"source={c.source_id}" for c in claims)

    # the source ids checked (and their titles), the count grid, the page rows
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 3):
        response = client.get(f"{LIST}?{query}")

    assert response.context["page"].counts.total == n_sources


def _published_claim_with_evidence():
    claim = ClaimFactory(published=True, statement="Kratom aids hair regrowth")
    EvidenceFactory(
        claim=claim,
        stance=Stance.CONTRADICTS,
        citation=CitationFactory(title="A trial", pmid="123", url="https://ex.org/t"),
    )
    EvidenceFactory(
        claim=claim,
        stance=Stance.BACKGROUND,
        citation=CitationFactory(title="Withdrawn work", is_retracted=True),
    )
    return claim


def test_an_unsupported_claims_graded_findings_do_not_speak_of_what_the_evidence_shows(client):
    claim = ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.UNSUPPORTED)
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    GradeAssessmentFactory(claim=claim)  # observational, nothing rated: low certainty

    html = client.get(claim.get_absolute_url()).content.decode()

    assert 'id="findings-heading"' in html
    assert "No study that tests the claim was found" in html
    assert grade_explanation(Grade.LOW, Verdict.UNSUPPORTED) in html
    assert "what the evidence shows" not in html


def test_claim_page_shows_assessment_quote_and_grouped_citations(client):
    claim = _published_claim_with_evidence()

    response = client.get(claim.get_absolute_url())
    html = response.content.decode()

    assert [g["stance"] for g in response.context["evidence_groups"]] == [
        Stance.CONTRADICTS,
        Stance.BACKGROUND,
    ]
    assert Verdict.UNSUPPORTED.meaning in html
    # No study was found: the grade is not explained as "what the evidence shows".
    assert grade_explanation(Grade.VERY_LOW, Verdict.UNSUPPORTED) in html
    assert "what the evidence shows" not in html
    assert claim.rationale in html
    assert (
        '<mark class="verdict-unsupported">Kratom may help hair regrow after detox.</mark>' in html
    )
    assert f'href="/sources/{claim.source_id}/#quote-{claim.pk}"' in html
    withdrawn = Citation.objects.get(title="Withdrawn work")
    assert (
        '<strong class="retracted-flag">Retracted</strong> '
        f'<cite><a href="/citations/{withdrawn.pk}/">Withdrawn work</a></cite>'
    ) in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/123/"' in html
    assert 'href="https://doi.org/10.1000/' in html


def test_claim_page_json_ld_has_every_field(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    settings.SITE_NAME = "Example Checks"
    claim = _published_claim_with_evidence()

    html = client.get(claim.get_absolute_url()).content.decode()
    blocks = JSON_LD_RE.findall(html)
    data = json.loads(blocks[0])

    assert len(blocks) == 1
    assert data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == "Kratom aids hair regrowth"
    assert data["url"] == f"https://claims.example.org/claims/{claim.slug}/"
    assert data["author"] == {
        "@type": "Organization",
        "name": "Example Checks",
        "url": "https://claims.example.org",
    }
    assert data["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Unsupported: no evidence found",
    }
    assert data["itemReviewed"]["@type"] == "Claim"
    [appearance] = data["itemReviewed"]["appearance"]
    assert appearance["url"] == claim.source.url
    assert appearance["text"] == claim.quote
    assert data["itemReviewed"]["firstAppearance"] == appearance
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["datePublished"])


def test_claim_page_json_ld_cannot_break_out_of_its_script(client):
    claim = ClaimFactory(published=True, statement="</script><script>alert(1)</script> & more")

    html = client.get(claim.get_absolute_url()).content.decode()
    block = JSON_LD_RE.findall(html)[0]

    assert "</script>" not in block
    assert json.loads(block)["claimReviewed"] == ("</script><script>alert(1)</script> & more")


def test_corrections_log_lists_first_publication_then_approved_changes(client):
    editor = staff_in("Editors")
    claim = ClaimFactory(published=True, published_at=datetime.datetime(2026, 11, 27, tzinfo=UTC))
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    for grade, verdict, note in [
        (Grade.LOW, Verdict.UNSUPPORTED, "A second reading of the surveys."),
        (Grade.LOW, Verdict.MISLEADING, "The claim's wording implies more than was found."),
    ]:
        proposal = revisions.Proposal.live(claim)
        proposal.fields |= {"grade": grade, "verdict": verdict}
        revision = revisions.propose_revision(
            claim=claim, user=editor, seen_version=claim.version, seen_revision=None,
            proposal=proposal,
        )  # fmt: skip
        revisions.approve_revision(
            revision=revision, editor=editor, seen_revision=revision.version, note=note
        )
        claim.refresh_from_db()

    response = client.get(claim.get_absolute_url())

    log = response.context["corrections"]
    page = " ".join(response.content.decode().split())
    assert [(e.kind, e.grade, e.verdict) for e in log] == [
        ("published", Grade.VERY_LOW, Verdict.UNSUPPORTED),
        ("correction", Grade.LOW, Verdict.UNSUPPORTED),
        ("correction", Grade.LOW, Verdict.MISLEADING),
    ]
    assert "first published with evidence grade Very low ⊕◯◯◯" in page
    assert "Evidence grade changed from Very low ⊕◯◯◯ to Low ⊕⊕◯◯." in page
    assert "A second reading of the surveys." in page
    assert "Verdict changed from “Unsupported: no evidence found” to “Misleading”." in page


def test_corrections_log_dates_are_the_first_publication_and_the_approvals_in_order(client):
    editor = staff_in("Editors")
    claim = ClaimFactory(published=True, published_at=datetime.datetime(2026, 11, 27, tzinfo=UTC))
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    proposal = revisions.Proposal.live(claim)
    proposal.fields["rationale"] = "Rewritten for clarity."
    revision = revisions.propose_revision(
        claim=claim, user=editor, seen_version=1, seen_revision=None, proposal=proposal
    )
    change = revisions.approve_revision(revision=revision, editor=editor, seen_revision=1)

    response = client.get(claim.get_absolute_url())

    log = response.context["corrections"]
    assert [entry.date for entry in log] == [
        datetime.datetime(2026, 11, 27, tzinfo=UTC),
        change.approved_at,
    ]
    assert all(entry.date.tzinfo is not None for entry in log)
    # Without the page's annotation, corrections() reads the log itself: the same log.
    assert detail.corrections(Claim.objects.get(pk=claim.pk)) == log


def test_claim_page_evidence_is_newest_first_with_undated_works_last(client):
    claim = ClaimFactory(published=True)
    undated = EvidenceFactory(claim=claim, citation=CitationFactory(year=None))
    old = EvidenceFactory(claim=claim, citation=CitationFactory(year=1999))
    new = EvidenceFactory(claim=claim, citation=CitationFactory(year=2021, is_retracted=True))
    same_year = EvidenceFactory(claim=claim, citation=CitationFactory(year=1999))

    response = client.get(claim.get_absolute_url())

    links = [link for group in response.context["evidence_groups"] for link in group["links"]]
    assert [link.pk for link in links] == [new.pk, old.pk, same_year.pk, undated.pk]
    assert [link.citation.is_retracted for link in links] == [True, False, False, False]
    assert links[0].citation.get_study_design_display() == new.citation.get_study_design_display()
    assert "Retracted" in response.content.decode()


@pytest.mark.parametrize("n_citations", [1, 3])
def test_claim_page_query_count_is_flat(client, django_assert_num_queries, n_citations):
    claim = ClaimFactory(published=True)
    EvidenceFactory.create_batch(n_citations, claim=claim)

    # The claim and its source, with its evidence and published history as subqueries.
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 1):
        response = client.get(claim.get_absolute_url())

    assert response.context["evidence_total"] == n_citations


@pytest.mark.parametrize("status", [Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED])
def test_unpublished_claims_are_invisible_everywhere(client, status):
    hidden = ClaimFactory(status=status, statement="Secret draft about hair")
    shown = ClaimFactory(published=True)

    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get(LIST + "?q=hair").content.decode()
    assert client.get(LIST).context["page"].counts.total == 1
    assert client.get(hidden.source.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get("/sources/").content.decode()
    assert "Secret draft" not in client.get("/sitemap-claims.xml").content.decode()
    assert shown.slug in client.get("/sitemap-claims.xml").content.decode()


def test_source_page_hides_unpublished_quotes(client):
    source = SourceFactory()
    ClaimFactory(published=True, source=source)
    hidden = ClaimFactory(
        source=source,
        quote="It is said to ease opioid withdrawal symptoms.",
        quote_start=41,
        quote_end=88,
    )

    html = client.get(source.get_absolute_url()).content.decode()

    assert f"quote-{hidden.pk}" not in html
    assert hidden.get_absolute_url() not in html


def test_source_page_marks_each_quote_and_links_it(client):
    source = SourceFactory()
    first = ClaimFactory(published=True, source=source)
    second = ClaimFactory(
        published=True,
        source=source,
        verdict=Verdict.CONTRADICTED,
        quote="It is said to ease opioid withdrawal symptoms.",
        quote_start=41,
        quote_end=87,
    )

    html = client.get(source.get_absolute_url()).content.decode()

    assert (
        f'<mark id="quote-{first.pk}" class="verdict-unsupported"><a href="'
        f'{first.get_absolute_url()}">Kratom may help hair regrow after detox.</a></mark>'
    ) in html
    assert (
        f'<mark id="quote-{second.pk}" class="verdict-contradicted"><a href="'
        f'{second.get_absolute_url()}">It is said to ease opioid withdrawal symptoms.</a></mark>'
    ) in html
    assert '<h2 id="legend-heading">Key to the marks</h2>' in html


def test_source_page_splits_overlapping_quotes(client):
    source = SourceFactory(text="Alpha beta gamma delta.")
    outer = ClaimFactory(
        published=True, source=source, quote="Alpha beta gamma", quote_start=0, quote_end=16
    )
    inner = ClaimFactory(
        published=True, source=source, quote="beta gamma delta", quote_start=6, quote_end=22
    )

    response = client.get(source.get_absolute_url())
    segments = response.context["paragraphs"][0]

    assert [(s.text, s.claim, s.mark_id) for s in segments] == [
        ("Alpha ", outer, f"quote-{outer.pk}"),
        ("beta gamma", inner, f"quote-{inner.pk}"),
        (" delta", inner, ""),
        (".", None, ""),
    ]
    assert segments[1].overlap is True


def test_source_page_keeps_paragraphs(client):
    source = SourceFactory(
        text="Kratom may help hair regrow after detox.\nSecond paragraph.\n\nThird."
    )
    ClaimFactory(published=True, source=source)

    html = client.get(source.get_absolute_url()).content.decode()

    assert "<p>Second paragraph.</p>" in html
    assert "<p>Third.</p>" in html


@pytest.mark.parametrize("n_claims", [1, 3])
def test_source_page_query_count_is_flat(client, django_assert_num_queries, n_claims):
    source = SourceFactory()
    ClaimFactory.create_batch(n_claims, published=True, source=source)

    # source, its published claims
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 2):
        response = client.get(source.get_absolute_url())

    assert len(response.context["claims"]) == n_claims


@pytest.mark.parametrize("n_sources", [1, 3])
def test_source_list_query_count_is_flat(client, django_assert_num_queries, n_sources):
    for _ in range(n_sources):
        ClaimFactory(published=True)

    # the number of sources (for the pages), the page's sources, their claim counts
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 3):
        response = client.get("/sources/")
    # The number is kept under the data version: counted again only after a change.
    with django_assert_num_queries(1 + 2):
        client.get("/sources/?page=1")

    assert len(response.context["sources"]) == n_sources


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the bump is at commit
def test_the_source_list_counts_again_after_a_change(client):
    ClaimFactory(published=True)
    assert client.get("/sources/").context["paginator"].count == 1

    ClaimFactory(published=True)
    ClaimFactory()  # a draft's text is not listed

    assert client.get("/sources/").context["paginator"].count == 2


def test_source_list_counts_published_claims_only(client):
    source = SourceFactory()
    ClaimFactory.create_batch(2, published=True, source=source)
    ClaimFactory(source=source)

    response = client.get("/sources/")

    assert [s.published_count for s in response.context["sources"]] == [2]


def test_source_list_orders_by_title_ignoring_case_then_id(client):
    titles = ["beta", "Alpha", "alpha", "Gamma", "a source without published claims"]
    sources = [SourceFactory(title=title) for title in titles]
    for source in sources[:4]:
        ClaimFactory(published=True, source=source)
    ClaimFactory(source=sources[4])

    listed = client.get("/sources/").context["sources"]

    assert [s.title for s in listed] == ["Alpha", "alpha", "beta", "Gamma"]
    assert [s.published_count for s in listed] == [1, 1, 1, 1]


def test_methodology_renders_every_scale(client):
    html = client.get("/methodology/").content.decode()

    for grade in Grade:
        assert grade.meaning in html
    for verdict in Verdict:
        assert verdict.meaning in html


def test_pages_have_title_description_canonical_and_skip_link(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    claim = ClaimFactory(published=True, statement="Kratom aids hair regrowth")

    html = client.get(claim.get_absolute_url() + "?utm=x").content.decode()

    assert "<title>Kratom aids hair regrowth · Claims Tracker</title>" in html
    assert f'<link rel="canonical" href="https://claims.example.org/claims/{claim.slug}/">' in html
    assert '<meta name="description" content="Unsupported: no evidence found' in html
    assert '<a class="skip-link" href="#main">' in html
    assert "style=" not in html
    assert "<script>" not in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/claims/no-such-claim/")

    assert response.status_code == 404
    assert "There is no published page at this address" in response.content.decode()


def test_demo_data_tells_the_hair_story(client):
    from django.core.management import call_command

    call_command("loaddata", "kratom_article", verbosity=0)
    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")

    response = client.get(LIST + "?q=hair+regrowth")

    assert [row.record for row in response.context["page"].table.rows][0] == claim
    assert "Unsupported: no evidence found" in client.get(claim.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", ""),  # the quote is the whole text
        ("Short lead. ", " Short tail."),
        ("x" * 399 + " ", " " + "y" * 399),  # just inside the width
        ("x" * 400 + " ", " " + "y" * 400),  # just beyond: cut, with "…"
        ("Far away.\n" + "x" * 1000, "y" * 50 + "\nNext paragraph " + "z" * 2000),
        ("Other paragraph.\nThis one: ", "\n"),
        ("é" * 600, "—" * 600),  # characters, not bytes
    ],
)
def test_the_claim_page_reads_only_the_quotes_surroundings_and_shows_the_same_context(
    client, before, after
):
    quote = "Kratom may help hair regrow."
    source = SourceFactory(text=before + quote + after)
    claim = ClaimFactory(
        published=True,
        source=source,
        quote=quote,
        quote_start=len(before),
        quote_end=len(before) + len(quote),
    )

    loaded = detail.claim_page_queryset().get(pk=claim.pk)

    assert "text" not in vars(loaded.source)
    assert detail.page_quote_context(loaded) == Claim.objects.get(pk=claim.pk).quote_context()


def test_an_unchanged_claim_page_is_rendered_once_and_a_changed_one_again(client):
    claim = ClaimFactory(published=True)

    first = client.get(claim.get_absolute_url())
    again = client.get(claim.get_absolute_url())
    claim.source.title = "A retitled article"
    claim.source.save()
    changed = client.get(claim.get_absolute_url())

    assert [t.name for t in first.templates][0] == "claims/claim_detail.html"
    assert again.templates == []
    assert again.content == first.content
    assert "A retitled article" in changed.content.decode()
    assert [t.name for t in changed.templates][0] == "claims/claim_detail.html"


def test_the_sort_control_keeps_the_search_and_filters_and_shows_the_current_sort(client):
    ClaimFactory(published=True, grade=Grade.LOW)

    response = client.get(LIST + "?q=kratom&grade=low&sort=-reviewed_at&page=1&junk=1")
    html = response.content.decode()
    form = html[html.index('<form class="sort-control"') :]
    form = form[: form.index("</form>")]

    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form) == [
        ("q", "kratom"),
        ("grade", "low"),
    ]
    assert '<option value="-reviewed_at" selected>Reviewed, newest first</option>' in form
    assert '<option value="">Best match first</option>' in form
    assert [v for v, _, selected in response.context["page"].sort_options if selected] == [
        "-reviewed_at"
    ]
    assert len(response.context["page"].sort_options) == 1 + 2 * len(PAGE_COLUMNS)


def test_every_sort_the_control_offers_is_a_page(client):
    ClaimFactory(published=True)
    values = [value for value, _, _ in client.get(LIST).context["page"].sort_options]

    statuses = {value: client.get(LIST, {"sort": value}).status_code for value in values}

    assert set(statuses.values()) == {200}


def _next_link(response) -> str:
    return response.context["page"].pager.next_url


def test_after_next_the_page_still_says_which_page_it_is(client, django_assert_num_queries):
    ClaimFactory.create_batch(60, published=True)
    first = client.get(LIST)

    assert _next_link(first).endswith("&n=2")
    # the data version (caching), the counts' grid, the page with the row before it: as many
    # as a cursor page
    with django_assert_num_queries(1 + 2):
        second = client.get(LIST + _next_link(first))
    third = client.get(LIST + _next_link(second))

    pager = second.context["page"].pager
    assert (pager.number, pager.num_pages) == (2, 3)
    assert [number for number, _ in pager.links] == [1, 2, 3]
    assert second.context["page"].rows == client.get(LIST + "?page=2").context["page"].rows
    assert third.context["page"].pager.number == 3
    assert 'aria-current="page" href="?page=2"' in second.content.decode()
    assert "Published claims, page 2 of 3" in second.content.decode()


@pytest.mark.parametrize("shift", ["typed", "published since"])
def test_a_carried_page_number_that_is_no_longer_true_is_not_shown(client, shift):
    ClaimFactory.create_batch(60, published=True)
    link = _next_link(client.get(LIST))
    rows = client.get(LIST + link).context["page"].rows
    if shift == "typed":
        link = link.replace("n=2", "n=3")
    else:
        ClaimFactory(published=True)  # newest: every later claim moves down one place

    page = client.get(LIST + link).context["page"]

    assert page.pager.number is None
    assert page.rows == rows  # still the claims after the cursor
