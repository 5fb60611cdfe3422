"""A claim made in many texts: its appearances, their counts, and where readers see them."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from claims import appearances
from claims.intake import import_source
from claims.models import Appearance, Claim
from claims.services import WorkflowError

from .factories import ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

QUOTE = "Kratom may help hair regrow after detox."
COPIED = "Buy now. Kratom may help hair regrow after detox. Ships in a day."


def copied_source(**fields):
    return SourceFactory(text=COPIED, **fields)


def link(claim, source, quote=QUOTE, **fields):
    return appearances.add_appearance(claim=claim, source=source, quote=quote, **fields)


def csv_rows(client, query=""):
    response = client.get(f"/claims/export.csv{query}")
    data = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(data, newline="")))


def json_ld(html):
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


# --- the model and its counts --------------------------------------------------------------


def test_a_new_claim_quote_is_its_first_appearance():
    claim = ClaimFactory()

    [first] = claim.appearances.all()

    assert (first.source_id, first.quote, first.quote_start, first.quote_end) == (
        claim.source_id,
        claim.quote,
        claim.quote_start,
        claim.quote_end,
    )
    assert first.found_at == claim.created_at
    assert Claim.objects.get(pk=claim.pk).appearance_count == 1


def test_editing_the_quote_moves_the_first_appearance_with_it():
    claim = ClaimFactory()
    claim = Claim.objects.get(pk=claim.pk)
    claim.quote, claim.quote_start, claim.quote_end = "Kratom", 0, 6
    claim.full_clean()
    claim.save()

    [first] = claim.appearances.all()
    assert (first.quote, first.quote_start, first.quote_end) == ("Kratom", 0, 6)


def test_linking_a_text_adds_an_appearance_located_in_it_and_counts_it():
    claim = ClaimFactory(published=True)
    other = copied_source()

    appearance = link(claim, other)

    assert (appearance.quote_start, appearance.quote_end) == (9, 9 + len(QUOTE))
    assert other.text[appearance.quote_start : appearance.quote_end] == appearance.quote
    assert Claim.objects.get(pk=claim.pk).appearance_count == 2


def test_a_quote_that_is_not_in_the_text_is_refused_and_nothing_is_written():
    claim = ClaimFactory(published=True)

    with pytest.raises(ValidationError, match="does not occur in the source text"):
        link(claim, SourceFactory(text="Nothing about hair here."))
    with pytest.raises(ValidationError, match="does not match the source"):
        link(claim, copied_source(), quote_start=0, quote_end=len(QUOTE))

    assert claim.appearances.count() == 1
    assert Claim.objects.get(pk=claim.pk).appearance_count == 1


def test_the_same_passage_twice_is_refused():
    claim = ClaimFactory(published=True)
    other = copied_source()
    link(claim, other)

    with pytest.raises(ValidationError, match="already an appearance"):
        link(claim, other)


def test_a_claim_made_twice_in_one_text_counts_that_text_once():
    claim = ClaimFactory(published=True)
    twice = SourceFactory(text=f"{QUOTE} And again: {QUOTE}")
    link(claim, twice, quote_start=0, quote_end=len(QUOTE))
    start = twice.text.rindex(QUOTE)
    link(claim, twice, quote_start=start, quote_end=start + len(QUOTE))

    assert claim.appearances.count() == 3
    assert Claim.objects.get(pk=claim.pk).appearance_count == 2


def test_counts_follow_any_writer_of_the_rows():
    """Rows written past the service (the ORM, a bulk insert, a delete) keep every count."""
    claim = ClaimFactory(published=True)
    sources = [copied_source() for _ in range(3)]
    Appearance.objects.bulk_create(
        Appearance(claim=claim, source=s, quote=QUOTE, quote_start=9, quote_end=9 + len(QUOTE))
        for s in sources
    )
    assert Claim.objects.get(pk=claim.pk).appearance_count == 4

    Appearance.objects.filter(source=sources[0]).delete()
    assert Claim.objects.get(pk=claim.pk).appearance_count == 3

    other = ClaimFactory(published=True)
    Appearance.objects.filter(source=sources[1]).update(claim=other)
    assert Claim.objects.get(pk=claim.pk).appearance_count == 2
    assert Claim.objects.get(pk=other.pk).appearance_count == 2


def test_a_merged_claim_takes_no_new_appearance():
    survivor = ClaimFactory(published=True)
    merged = ClaimFactory(status="merged", merged_into=survivor)

    with pytest.raises(WorkflowError, match="merged into claim"):
        link(merged, copied_source())


def test_linking_needs_the_permission_to_change_claims():
    with pytest.raises(WorkflowError, match="permission"):
        link(ClaimFactory(published=True), copied_source(), user=UserFactory())


def test_an_import_gives_every_candidate_its_first_appearance():
    result = import_source(
        text="Kratom aids hair regrowth in adults. Turmeric cures arthritis pain in weeks.",
        title="Two claims",
    )

    assert result.candidates
    for claim in result.candidates:
        [first] = Appearance.objects.filter(claim=claim)
        assert result.source.text[first.quote_start : first.quote_end] == first.quote
        assert first.quote == claim.quote
    counts = Claim.objects.filter(source=result.source).values_list("appearance_count", flat=True)
    assert set(counts) == {1}


# --- /claims/: ?source=, the sort, the CSV ---------------------------------------------------


def test_source_filter_selects_claims_made_in_that_text_in_list_counts_and_csv(client):
    copied = ClaimFactory(published=True, statement="Kratom aids hair regrowth")
    ClaimFactory(published=True, statement="Kratom eases withdrawal")
    other = copied_source(title="A copycat shop")
    link(copied, other)

    response = client.get(f"/claims/?source={other.pk}")
    page = response.context["page"]

    assert response.status_code == 200
    assert [row.pk for row in page.rows] == [copied.pk]
    assert page.counts.total == 1
    assert [row["id"] for row in csv_rows(client, f"?source={other.pk}")] == [str(copied.pk)]


def test_csv_takes_source_and_quote_from_the_first_appearance_and_counts_texts(client):
    claim = ClaimFactory(published=True)
    link(claim, copied_source(title="Later copy"))

    [row] = csv_rows(client)

    assert row["source_title"] == claim.source.title
    assert row["quote"] == claim.quote
    assert row["appearances"] == "2"
    assert list(row)[list(row).index("citations") + 1] == "appearances"


@pytest.mark.parametrize("sort", ["appearances", "-appearances"])
def test_sort_by_appearances_agrees_across_list_and_csv(client, sort):
    claims = [ClaimFactory(published=True) for _ in range(4)]
    for n, claim in enumerate(claims):
        for _ in range(n % 3):
            link(claim, copied_source())

    page = client.get(f"/claims/?sort={sort}").context["page"]
    listed = [row.pk for row in page.rows]
    exported = [int(row["id"]) for row in csv_rows(client, f"?sort={sort}")]

    counts = {c.pk: Claim.objects.get(pk=c.pk).appearance_count for c in claims}
    expected = sorted(counts, key=lambda pk: (counts[pk], pk), reverse=sort.startswith("-"))
    assert listed == exported == expected


# --- the claim page and the source pages -----------------------------------------------------


def test_claim_page_lists_every_appearance_oldest_first_linked_to_its_marked_passage(client):
    claim = ClaimFactory(published=True)
    later = link(claim, copied_source(title="Shop two"))
    earlier = link(claim, copied_source(title="Shop one"))
    Appearance.objects.filter(pk=earlier.pk).update(found_at=timezone.now() - timedelta(days=1))
    Appearance.objects.filter(pk=later.pk).update(found_at=timezone.now())

    Appearance.objects.filter(pk=later.pk).update(found_at=timezone.now())

    html = client.get(claim.get_absolute_url()).content.decode()

    assert "Made in 3 texts" in html
    titles = re.findall(r'<li><a href="/sources/\d+/#appearance-\d+">([^<]+)</a>', html)
    assert titles == ["Shop one", claim.source.title, "Shop two"]
    assert f'href="/sources/{later.source_id}/#appearance-{later.pk}"' in html


def test_an_older_text_linked_later_becomes_the_first_appearance_everywhere(client):
    claim = ClaimFactory(published=True)
    older = link(claim, copied_source(title="The original copy"))
    Appearance.objects.filter(pk=older.pk).update(found_at=claim.created_at - timedelta(days=9))

    claim.refresh_from_db()
    [row] = csv_rows(client)

    assert (claim.source_id, claim.quote_start) == (older.source_id, older.quote_start)
    assert row["source_title"] == "The original copy"
    assert claim.source.text[claim.quote_start : claim.quote_end] == claim.quote


def test_claim_review_lists_every_appearance_the_first_being_the_oldest(client):
    claim = ClaimFactory(published=True)
    second = link(claim, copied_source(title="Shop two", url=""))

    data = json_ld(client.get(claim.get_absolute_url()).content.decode())
    works = data["itemReviewed"]["appearance"]

    assert [w["name"] for w in works] == [claim.source.title, "Shop two"]
    assert data["itemReviewed"]["firstAppearance"] == works[0]
    assert works[0]["url"] == claim.source.url
    # A text without an address of its own is pointed to on our source page.
    assert works[1]["url"].endswith(f"/sources/{second.source_id}/#appearance-{second.pk}")
    assert works[1]["text"] == QUOTE


def test_claim_page_shows_a_new_appearance_at_once(client):
    """The page cache's key holds the appearances: a new one is never hidden by it."""
    claim = ClaimFactory(published=True)
    assert "Made in 1 text." in client.get(claim.get_absolute_url()).content.decode()

    link(claim, copied_source(title="Fresh copy"))

    assert "Fresh copy" in client.get(claim.get_absolute_url()).content.decode()


def test_a_text_that_only_repeats_a_published_claim_is_public_and_marks_it(client):
    claim = ClaimFactory(published=True)
    other = copied_source(title="Copycat")
    appearance = link(claim, other)

    html = client.get(other.get_absolute_url()).content.decode()

    assert f'<mark id="quote-{claim.pk}"' in html
    assert f'<span id="appearance-{appearance.pk}" class="anchor"></span>' in html
    assert f'<a href="{claim.get_absolute_url()}">{QUOTE}</a></mark>' in html
    listed = client.get("/sources/").context["sources"]
    assert {s.pk: s.published_count for s in listed}[other.pk] == 1


def test_a_claim_made_twice_in_one_text_is_marked_twice_and_listed_once(client):
    claim = ClaimFactory(published=True)
    twice = SourceFactory(text=f"{QUOTE} And again: {QUOTE}")
    link(claim, twice, quote_start=0, quote_end=len(QUOTE))
    start = twice.text.rindex(QUOTE)
    second = link(claim, twice, quote_start=start, quote_end=start + len(QUOTE))

    response = client.get(twice.get_absolute_url())
    html = response.content.decode()

    assert [c.pk for c in response.context["claims"]] == [claim.pk]
    assert html.count(f'<a href="{claim.get_absolute_url()}">{QUOTE}</a></mark>') == 2
    assert f'<mark id="appearance-{second.pk}"' in html


def test_a_text_made_only_by_unpublished_claims_stays_hidden(client):
    draft = ClaimFactory()
    other = copied_source(title="Zorblax copy")
    link(draft, other)

    assert client.get(other.get_absolute_url()).status_code == 404
    assert "Zorblax" not in client.get("/sources/").content.decode()


# --- the admin -------------------------------------------------------------------------------

ADD_URL = "/admin/claims/appearance/add/"


def add_form(claim, source, quote=QUOTE, start="", end=""):
    return {
        "claim": claim.pk,
        "source": source.pk,
        "quote": quote,
        "quote_start": start,
        "quote_end": end,
    }


def test_a_reviewer_links_a_text_through_the_admin_and_the_quote_is_located(client):
    from .factories import staff_in

    claim = ClaimFactory(published=True)
    other = copied_source()
    client.force_login(staff_in("Reviewers"))

    response = client.post(ADD_URL, add_form(claim, other))

    assert response.status_code == 302
    appearance = Appearance.objects.get(source=other)
    assert (appearance.claim_id, appearance.quote_start) == (claim.pk, 9)
    assert appearance.added_by.groups.filter(name="Reviewers").exists()
    assert Claim.objects.get(pk=claim.pk).appearance_count == 2
    assert appearance.history.count() == 1


@pytest.mark.parametrize(
    ("quote", "start", "end", "message"),
    [
        ("Not in this text at all.", "", "", "does not occur in the source text"),
        (QUOTE, "0", str(len(QUOTE)), "does not match the source"),
        (QUOTE, "9", "", "Give both quote offsets"),
    ],
)
def test_a_wrong_quote_in_the_admin_is_refused_with_a_message(client, quote, start, end, message):
    from .factories import staff_in

    claim = ClaimFactory(published=True)
    client.force_login(staff_in("Reviewers"))

    response = client.post(ADD_URL, add_form(claim, copied_source(), quote, start, end))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Appearance.objects.filter(claim=claim).count() == 1


def test_the_admin_refuses_a_passage_linked_twice_and_a_merged_claim(client):
    from .factories import staff_in

    claim = ClaimFactory(published=True)
    other = copied_source()
    link(claim, other)
    merged = ClaimFactory(status="merged", merged_into=claim)
    client.force_login(staff_in("Reviewers"))

    twice = client.post(ADD_URL, add_form(claim, other))
    into_merged = client.post(ADD_URL, add_form(merged, copied_source()))

    assert twice.status_code == into_merged.status_code == 200
    assert "already exists" in twice.content.decode()
    assert f"merged into claim #{claim.pk}" in into_merged.content.decode()
    assert Appearance.objects.count() == 3  # each claim's own, and the one link


def test_removing_a_public_claims_text_is_an_editors_and_never_its_last(client):
    from .factories import staff_in

    claim = ClaimFactory(published=True)
    copy = link(claim, copied_source())
    first = claim.appearances.exclude(pk=copy.pk).get()

    client.force_login(staff_in("Reviewers"))
    assert (
        client.post(f"/admin/claims/appearance/{copy.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )

    client.force_login(staff_in("Editors"))
    assert (
        client.post(f"/admin/claims/appearance/{copy.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert (
        client.post(f"/admin/claims/appearance/{first.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Claim.objects.get(pk=claim.pk).appearance_count == 1


def test_staff_without_a_group_cannot_link_a_text(client):
    from .factories import staff_in

    claim = ClaimFactory(published=True)
    client.force_login(staff_in(None))

    assert client.post(ADD_URL, add_form(claim, copied_source())).status_code == 403
    assert Appearance.objects.filter(claim=claim).count() == 1


def test_appearance_list_query_count_is_flat(client, django_assert_max_num_queries):
    from .factories import staff_in

    for _ in range(3):
        link(ClaimFactory(published=True), copied_source())
    client.force_login(staff_in("Reviewers"))

    with django_assert_max_num_queries(8):
        response = client.get("/admin/claims/appearance/")

    assert response.status_code == 200
    assert response.content.decode().count("/change/") >= 6


def test_a_claim_loaded_before_an_older_text_was_linked_does_not_undo_it_when_saved():
    claim = ClaimFactory(published=True)
    stale = Claim.objects.get(pk=claim.pk)
    older = link(claim, copied_source(title="The original copy"))
    Appearance.objects.filter(pk=older.pk).update(found_at=claim.created_at - timedelta(days=9))

    stale.rationale = "Edited after the link."
    stale.save()

    fresh = Claim.objects.get(pk=claim.pk)
    assert (fresh.source_id, fresh.quote_start) == (older.source_id, older.quote_start)
    assert (fresh.appearance_count, fresh.rationale) == (2, "Edited after the link.")


def test_sqlite_triggers_dropped_by_a_table_rebuild_come_back_after_migrate():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite rebuilds a table to alter it, dropping its triggers")
    claim = ClaimFactory(published=True)
    with connection.cursor() as cursor:
        for kind in ("insert", "delete", "update"):
            cursor.execute(f"DROP TRIGGER claims_appearance_count_{kind}")
    link(claim, copied_source())  # counted by nobody
    assert Claim.objects.get(pk=claim.pk).appearance_count == 1

    appearances.repair_after_migrate(sender=None)

    assert Claim.objects.get(pk=claim.pk).appearance_count == 2
    link(claim, copied_source())
    assert Claim.objects.get(pk=claim.pk).appearance_count == 3
