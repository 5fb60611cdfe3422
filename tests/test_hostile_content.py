"""Hostile text stored in every text field renders as inert text on every page that shows it."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from claims.models import Citation, Claim, Evidence, PublicChange, Source, validate_no_nul
from claims.scales import ChangeKind, Grade, Stance, Status, StudyDesign, Verdict
from tests import payloads
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory, SourceFactory

pytestmark = pytest.mark.django_db

LEAD = "Intro sentence. "


def limit(model, field):
    return model._meta.get_field(field).max_length


def store_everywhere(payload: str):
    """A published claim whose source, citation and evidence carry `payload` in every text field."""
    url = payloads.URL_PAYLOADS["url_breakout"]
    source = Source(
        title=payloads.fit(payload, limit(Source, "title")),
        publisher=payloads.fit(payload, limit(Source, "publisher")),
        author=payloads.fit(payload, limit(Source, "author")),
        text=f"{LEAD}{payload} Closing sentence.",
        note=payload,
        url=url,
    )
    source.full_clean()
    source.save()
    claim = Claim(
        source=source,
        statement=payloads.fit(payload, limit(Claim, "statement")),
        quote=payload,
        quote_start=len(LEAD),
        quote_end=len(LEAD) + len(payload),
        subject=payloads.fit(payload, limit(Claim, "subject")),
        outcome=payloads.fit(payload, limit(Claim, "outcome")),
        status=Status.PUBLISHED,
        grade=Grade.LOW,
        verdict=Verdict.MISLEADING,
        rationale=payload,
        published_at=timezone.now(),
    )
    claim.full_clean()
    claim.save()
    citation = Citation(
        title=payloads.fit(payload, limit(Citation, "title")),
        authors=payloads.fit(payload, limit(Citation, "authors")),
        venue=payloads.fit(payload, limit(Citation, "venue")),
        year=2020,
        url=payloads.URL_PAYLOADS["url_attribute"],
        study_design=StudyDesign.OTHER,
        design_note=payloads.fit(payload, limit(Citation, "design_note")),
    )
    citation.full_clean()
    citation.save()
    evidence = Evidence(claim=claim, citation=citation, stance=Stance.SUPPORTS, finding=payload)
    evidence.full_clean()
    evidence.save()
    return claim


def page_text(html: str) -> str:
    return " ".join("".join(payloads.parse_page(html).text).split())


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def public_urls(claim):
    q = quote(claim.statement[:40])
    return [
        reverse("claims:claim-list"),
        f"{reverse('claims:claim-list')}?q={q}",
        f"{reverse('claims:claim-list')}?subject={quote(claim.subject)}",
        f"{reverse('claims:claim-list')}?source={claim.source_id}&grade=low",
        claim.get_absolute_url(),
        reverse("claims:source-list"),
        claim.source.get_absolute_url(),
        reverse("claims:methodology"),
    ]


def admin_urls(claim):
    evidence = claim.evidence.get()
    return [
        reverse("admin:claims_claim_changelist"),
        f"{reverse('admin:claims_claim_changelist')}?q={quote(claim.statement[:30])}",
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:claims_claim_history", args=[claim.pk]),
        reverse("admin:claims_source_changelist"),
        reverse("admin:claims_source_change", args=[claim.source_id]),
        reverse("admin:claims_citation_changelist"),
        reverse("admin:claims_citation_change", args=[evidence.citation_id]),
        reverse("admin:claims_citation_history", args=[evidence.citation_id]),
    ]


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_payload_is_inert_on_every_public_page(client, name):
    claim = store_everywhere(payloads.ALL[name])

    pages = {url: fetch(client, url) for url in public_urls(claim)}

    assert {url: payloads.live_markup(html) for url, html in pages.items()} == {
        url: [] for url in pages
    }


@pytest.mark.parametrize("name", sorted(payloads.MARKUP))
def test_markup_payload_shows_as_text(client, name):
    payload = payloads.MARKUP[name]
    claim = store_everywhere(payload)
    shown = " ".join(payload.split())

    claim_page = page_text(fetch(client, claim.get_absolute_url()))
    source_page = page_text(fetch(client, claim.source.get_absolute_url()))
    list_page = page_text(fetch(client, reverse("claims:claim-list")))

    assert shown in claim_page
    assert shown in source_page
    assert " ".join(claim.statement.split()) in list_page


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_json_ld_stays_one_valid_block(client, name):
    claim = store_everywhere(payloads.ALL[name])

    html = fetch(client, claim.get_absolute_url())
    blocks = payloads.json_ld_blocks(html)
    raw = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S)

    assert len(blocks) == 1
    assert blocks[0]["claimReviewed"] == claim.statement
    assert len(raw) == 1
    assert "</script" not in raw[0].lower()
    assert "<" not in raw[0]


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_admin_pages_keep_payload_inert(admin_client, name):
    claim = store_everywhere(payloads.ALL[name])

    pages = {url: fetch(admin_client, url) for url in admin_urls(claim)}

    assert {url: payloads.live_markup(html) for url, html in pages.items()} == {
        url: [] for url in pages
    }


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_sitemap_stays_well_formed(client, name):
    claim = store_everywhere(payloads.ALL[name])

    index = ET.fromstring(fetch(client, "/sitemap.xml"))
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = []
    for loc in index.findall(".//sm:loc", ns):
        section = ET.fromstring(fetch(client, urlsplit(loc.text).path))
        locations += [u.text for u in section.findall(".//sm:loc", ns)]

    cited = [f"/citations/{link.citation_id}/" for link in claim.evidence.all()]
    pages = ["/claims/", "/sources/", "/methodology/"]
    assert sorted(urlsplit(u).path for u in locations) == sorted(
        [*pages, claim.get_absolute_url(), claim.source.get_absolute_url(), *cited]
    )


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_feeds_stay_well_formed_and_carry_the_text_as_text(client, name):
    claim = store_everywhere(payloads.ALL[name])
    PublicChange.objects.create(
        claim=claim, kind=ChangeKind.UPDATE, approved_at=timezone.now(), old_grade=claim.grade,
        new_grade=claim.grade, old_verdict=claim.verdict, new_verdict=claim.verdict,
        summary=payloads.fit(payloads.ALL[name], 500), note=payloads.ALL[name],
    )  # fmt: skip

    for url in ("/feeds/claims.atom", "/feeds/corrections.atom"):
        body = fetch(client, url)
        feed = feedparser.parse(body.encode())
        ET.fromstring(body)  # well-formed XML
        assert not feed.bozo, feed.get("bozo_exception")
        # XML turns CR into LF, and feedparser strips titles: compare the words.
        titles = [" ".join(entry.title.removeprefix("Update:").split()) for entry in feed.entries]
        assert titles == [" ".join(claim.statement.split())]
        # The summary is HTML (type="html"): the text in it must be escaped, no tag but <p>.
        for summary in ET.fromstring(body).iter("{http://www.w3.org/2005/Atom}summary"):
            assert set(re.findall(r"<\s*(/?[a-zA-Z!?][^\s>/]*)", summary.text)) <= {"p", "/p"}


def read_csv(client, query=""):
    body = fetch(client, reverse("claims:claim-export") + query)
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize("name", sorted(payloads.ALL))
def test_csv_cells_are_formula_safe(client, name):
    payload = payloads.ALL[name]
    claim = store_everywhere(payload)

    rows = read_csv(client)

    starts = payloads.FORMULA_STARTS
    assert [(k, v) for row in rows for k, v in row.items() if v.startswith(starts)] == []
    expected = f"'{claim.statement}" if claim.statement.startswith(starts) else claim.statement
    assert [row["claim"] for row in rows] == [expected]


# Bad values: refused by validation, with a message that says what is wrong.

TEXT_FIELDS = [
    (model, field.name)
    for model in (Source, Claim, Citation, Evidence)
    for field in model._meta.get_fields()
    if isinstance(field, models.CharField | models.TextField)
    and not field.choices
    and field.editable
    and field.name not in {"slug"}
]
NUL_FIELDS = [
    (model, name)
    for model, name in TEXT_FIELDS
    if validate_no_nul in model._meta.get_field(name).validators
]
# DOI and PMID have format validators that speak first; they are tested in test_models.
LIMITED_FIELDS = [
    (model, name)
    for model, name in TEXT_FIELDS
    if model._meta.get_field(name).max_length and name not in {"doi", "pmid"}
]
# The quote must match its source; test_models covers it.
STORABLE_FIELDS = [p for p in NUL_FIELDS if p != (Claim, "quote")]


def valid_instance(model):
    claim = ClaimFactory.build(source=SourceFactory())
    instances = {
        Source: SourceFactory.build(),
        Claim: claim,
        Citation: CitationFactory.build(),
        Evidence: EvidenceFactory.build(claim=ClaimFactory(), citation=CitationFactory()),
    }
    return instances[model]


def field_id(param):
    return f"{param[0].__name__}.{param[1]}"


@pytest.mark.parametrize(("model", "name"), LIMITED_FIELDS, ids=map(field_id, LIMITED_FIELDS))
def test_text_over_the_field_limit_is_refused_with_a_clear_message(model, name):
    max_length = model._meta.get_field(name).max_length
    instance = valid_instance(model)
    setattr(instance, name, payloads.long_string(max_length + 1))

    with pytest.raises(ValidationError) as refused:
        instance.full_clean()

    expected = f"Ensure this value has at most {max_length} characters (it has {max_length + 1})."
    assert expected in refused.value.message_dict[name]


@pytest.mark.parametrize(("model", "name"), STORABLE_FIELDS, ids=map(field_id, STORABLE_FIELDS))
def test_text_at_the_field_limit_is_stored_exactly(model, name):
    max_length = model._meta.get_field(name).max_length or 5000
    value = payloads.long_string(max_length)
    instance = valid_instance(model)
    setattr(instance, name, value)

    instance.full_clean()
    instance.save()

    assert getattr(model.objects.get(pk=instance.pk), name) == value


@pytest.mark.parametrize(("model", "name"), NUL_FIELDS, ids=map(field_id, NUL_FIELDS))
def test_null_character_is_refused_with_a_clear_message(model, name):
    instance = valid_instance(model)
    setattr(instance, name, payloads.NUL)

    with pytest.raises(ValidationError) as refused:
        instance.full_clean()

    assert any("null character" in m for m in refused.value.message_dict[name])


def test_every_free_text_field_refuses_null_characters():
    unchecked = sorted(
        field_id(p) for p in TEXT_FIELDS if p not in NUL_FIELDS and p[1] not in {"doi", "pmid"}
    )

    assert unchecked == ["Citation.url", "Source.url"]  # URLValidator refuses them instead


@pytest.mark.parametrize("model", [Source, Citation])
def test_javascript_url_is_refused(model):
    instance = valid_instance(model)
    instance.url = payloads.JAVASCRIPT_URL

    with pytest.raises(ValidationError) as refused:
        instance.full_clean()

    assert refused.value.message_dict["url"] == ["Enter a valid URL."]


@pytest.mark.parametrize("model", [Source, Citation])
def test_url_with_a_null_character_is_refused(model):
    instance = valid_instance(model)
    instance.url = "https://example.org/\x00"

    with pytest.raises(ValidationError) as refused:
        instance.full_clean()

    assert "url" in refused.value.message_dict


@pytest.mark.parametrize(("model", "name"), STORABLE_FIELDS, ids=map(field_id, STORABLE_FIELDS))
def test_lone_surrogate_is_refused_with_a_clear_message(model, name):
    instance = valid_instance(model)
    setattr(instance, name, payloads.LONE_SURROGATE)

    with pytest.raises(ValidationError) as refused:
        instance.full_clean()

    assert refused.value.message_dict[name]


def test_admin_form_refuses_a_null_character_without_storing_it(admin_client):
    response = admin_client.post(
        reverse("admin:claims_source_add"),
        {"title": "Kratom\x00 facts", "kind": "web_article", "text": "Some text.", "url": ""},
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert Source.objects.count() == 0


# Invalid Unicode and NUL in requests: a clear answer, never a 500.

PARAMS = ["q", "subject", "source", "grade", "verdict", "claim_type", "sort", "page"]


@pytest.mark.parametrize("bad", payloads.INVALID_UTF8_QUERY)
@pytest.mark.parametrize("path", ["/claims/", "/claims/export.csv"])
def test_invalid_unicode_and_nul_in_the_query_string_are_not_server_errors(client, path, bad):
    ClaimFactory(published=True)
    client.raise_request_exception = False

    statuses = {param: client.get(f"{path}?{param}={bad}").status_code for param in PARAMS}

    assert {p: s for p, s in statuses.items() if s >= 500} == {}


@pytest.mark.parametrize("bad", payloads.INVALID_UTF8_QUERY)
def test_invalid_unicode_and_nul_in_paths_are_not_found(client, bad):
    client.raise_request_exception = False

    statuses = [
        client.get(f"/claims/{bad}/").status_code,
        client.get(f"/sources/{bad}/").status_code,
    ]

    assert statuses == [404, 404]


def test_admin_search_with_nul_is_not_a_server_error(admin_client):
    ClaimFactory(published=True)
    admin_client.raise_request_exception = False

    response = admin_client.get(reverse("admin:claims_claim_changelist") + "?q=a%00b")

    assert response.status_code < 500
