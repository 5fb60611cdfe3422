import datetime as dt

import feedparser
import pytest
from django.utils import timezone

from claims import feeds
from claims.models import Claim
from claims.scales import ChangeKind, Grade, Status, Verdict

from .factories import ClaimFactory, PublicChangeFactory

pytestmark = pytest.mark.django_db

SITE = "https://claims.example.org"
CLAIMS = "/feeds/claims.atom"
CORRECTIONS = "/feeds/corrections.atom"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.SITE_NAME = "Claims Watch"


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def published(days_ago: int, **kwargs) -> Claim:
    return ClaimFactory(
        published=True, published_at=timezone.now() - dt.timedelta(days=days_ago), **kwargs
    )


def test_claim_feed_lists_published_claims_newest_publication_first(client):
    # Created in one order, published in another: the feed follows publication.
    first, second, third = (published(days_ago=d) for d in (1, 3, 2))

    feed = parse(client.get(CLAIMS))

    assert [e.title for e in feed.entries] == [first.statement, third.statement, second.statement]
    assert feed.feed.title == "Claims Watch: newly published claims"
    assert feed.feed.author == "Claims Watch"
    assert feed.feed.id == f"{SITE}{CLAIMS}"
    assert feed.entries[0].link == f"{SITE}/claims/{first.slug}/"
    assert feed.entries[0].id == f"{SITE}/claims/{first.slug}/"
    assert feed.entries[0].published_parsed[:3] == first.published_at.utctimetuple()[:3]


def test_claim_feed_entry_names_the_verdict_and_grade_in_words(client):
    ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.CONTRADICTED)

    entry = parse(client.get(CLAIMS)).entries[0]

    assert entry.summary == "<p>Verdict: Contradicted by evidence. Evidence grade: Low ⊕⊕◯◯.</p>"
    assert [tag.term for tag in entry.tags] == ["kratom"]


def test_claim_feed_leaves_out_every_claim_not_published_now(client):
    shown = published(days_ago=2)
    for status in (Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED):
        ClaimFactory(status=status, statement=f"Zorblax {status}")
    ClaimFactory(
        status=Status.MERGED, merged_into=shown, published_at=timezone.now(), statement="Zorblax m"
    )
    # Public once, taken off since: its first publication date stays, the feed drops it.
    ClaimFactory(status=Status.IN_REVIEW, published_at=timezone.now(), statement="Zorblax off")

    response = client.get(CLAIMS)

    assert [e.title for e in parse(response).entries] == [shown.statement]
    assert b"Zorblax" not in response.content


def test_claim_feed_entry_is_updated_by_an_approved_change(client):
    claim = published(days_ago=10)
    change = PublicChangeFactory(claim=claim, approved_at=timezone.now() - dt.timedelta(days=1))

    entry = parse(client.get(CLAIMS)).entries[0]

    assert entry.updated_parsed[:3] == change.approved_at.utctimetuple()[:3]
    assert entry.published_parsed[:3] == claim.published_at.utctimetuple()[:3]


def test_claim_feed_holds_the_newest_claims_only(client, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_LENGTH", 2)
    newest = [published(days_ago=d) for d in (1, 2)]
    published(days_ago=3)

    feed = parse(client.get(CLAIMS))

    assert [e.title for e in feed.entries] == [c.statement for c in newest]


def test_feed_text_is_escaped_not_markup(client):
    claim = ClaimFactory(published=True, statement="Kratom <script>alert(1)</script> & co")

    response = client.get(CLAIMS)

    assert b"<script" not in response.content
    assert parse(response).entries[0].title == claim.statement


def test_claim_feed_for_one_subject_matches_it_in_any_case(client):
    kratom = published(days_ago=1, subject="Kratom")
    published(days_ago=2, subject="kava")

    feed = parse(client.get(CLAIMS, {"subject": "KRATOM"}))

    assert [e.title for e in feed.entries] == [kratom.statement]
    assert feed.feed.title == "Claims Watch: newly published claims about Kratom"
    assert feed.feed.id == f"{SITE}{CLAIMS}?subject=Kratom"
    assert feed.feed.link == f"{SITE}/claims/?subject=Kratom"


@pytest.mark.parametrize("url", [CLAIMS, CORRECTIONS])
def test_a_subject_no_published_claim_has_is_not_found(client, url):
    ClaimFactory(status=Status.IN_REVIEW, subject="zorblax")

    hidden = client.get(url, {"subject": "zorblax"})
    never = client.get(url, {"subject": "never-heard-of-it"})

    assert hidden.status_code == never.status_code == 404
    assert b"zorblax" not in hidden.content


@pytest.mark.parametrize("url", [CLAIMS, CORRECTIONS])
@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("subject=a%00b", 400),
        ("subject=" + "k" * 101, 400),
        ("subject=kratom&subject=kava", 400),
        ("subject=%25", 404),
        ("subject=%27%3B--", 404),
        ("subject=%E2%80%AE%F0%9F%92%A5", 404),
        ("subject=%ff%fe", 404),
        ("subject=+", 200),  # blank: the whole site
        ("subject[]=kratom&page=2", 200),  # unknown parameters are ignored
    ],
)
def test_hostile_subjects_never_fail(client, url, query, status):
    published(days_ago=1)

    response = client.get(f"{url}?{query}")

    assert response.status_code == status


def test_corrections_feed_lists_approved_changes_newest_first(client):
    claim = published(days_ago=30, statement="Kratom regrows hair")
    older = PublicChangeFactory(
        claim=claim,
        approved_at=timezone.now() - dt.timedelta(days=5),
        kind=ChangeKind.UPDATE,
        old_grade=Grade.VERY_LOW,
        old_verdict=Verdict.UNSUPPORTED,
        summary="A second study added.",
        note="",
    )
    newer = PublicChangeFactory(claim=claim, approved_at=timezone.now() - dt.timedelta(days=1))

    feed = parse(client.get(CORRECTIONS))

    assert [e.title for e in feed.entries] == [
        "Correction: Kratom regrows hair",
        "Update: Kratom regrows hair",
    ]
    assert [e.id for e in feed.entries] == [
        f"{SITE}/claims/{claim.slug}/#change-{newer.pk}",
        f"{SITE}/claims/{claim.slug}/#change-{older.pk}",
    ]
    assert feed.entries[0].link == f"{SITE}/claims/{claim.slug}/#corrections-heading"
    assert feed.entries[0].summary == (
        "<p>Verdict: Supported → Unsupported: no evidence found.</p>"
        "<p>Evidence grade: Low ⊕⊕◯◯ → Very low ⊕◯◯◯.</p>"
        "<p>Editor’s note: A new trial found no effect.</p>"
    )
    assert feed.entries[1].summary == (
        "<p>A second study added.</p>"
        "<p>Verdict: Unsupported: no evidence found. Evidence grade: Very low ⊕◯◯◯.</p>"
    )
    assert feed.entries[0].updated_parsed[:3] == newer.approved_at.utctimetuple()[:3]
    assert feed.feed.title == "Claims Watch: corrections and updates"


def test_correction_of_the_verdict_alone_says_the_grade_is_unchanged(client):
    PublicChangeFactory(old_grade=Grade.VERY_LOW)

    entry = parse(client.get(CORRECTIONS)).entries[0]

    assert "<p>Evidence grade: Very low ⊕◯◯◯ (unchanged).</p>" in entry.summary


def test_corrections_feed_leaves_out_changes_of_claims_not_published_now(client):
    shown = PublicChangeFactory()
    for status in (Status.IN_REVIEW, Status.MERGED):
        gone = PublicChangeFactory(claim__statement=f"Zorblax {status}").claim
        Claim.objects.filter(pk=gone.pk).update(
            status=status, merged_into=shown.claim if status == Status.MERGED else None
        )

    response = client.get(CORRECTIONS)

    assert [e.title for e in parse(response).entries] == [f"Correction: {shown.claim.statement}"]
    assert b"Zorblax" not in response.content


def test_corrections_feed_for_one_subject(client):
    kava = PublicChangeFactory(claim__subject="Kava")
    PublicChangeFactory(claim__subject="kratom")
    published(days_ago=1, subject="betel")  # a subject without changes: an empty feed

    feed = parse(client.get(CORRECTIONS, {"subject": "kava"}))
    empty = parse(client.get(CORRECTIONS, {"subject": "Betel"}))

    assert [e.title for e in feed.entries] == [f"Correction: {kava.claim.statement}"]
    assert empty.entries == []


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize(("url", "queries"), [(CLAIMS, 1), (CORRECTIONS, 1)])
def test_feed_query_count_is_flat(client, django_assert_num_queries, n, url, queries):
    for _ in range(n):
        PublicChangeFactory()

    # 1 +: the data version the caching middleware reads for the response's validator.
    with django_assert_num_queries(1 + queries):
        response = client.get(url)
    with django_assert_num_queries(1 + queries + 1):  # the subject's spelling
        by_subject = client.get(url, {"subject": "kratom"})

    assert len(parse(response).entries) == len(parse(by_subject).entries) == n
