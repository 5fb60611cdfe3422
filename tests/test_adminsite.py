"""The admin's "view on site" shortcut leads only to public pages, and only for staff who may
view the object; the change form offers the link only where it leads somewhere."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from claims.models import Claim, Source
from claims.scales import Status
from tests.factories import ClaimFactory, SourceFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db

HIDDEN_STATUSES = [Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED]


def shortcut(model, pk):
    content_type = ContentType.objects.get_for_model(model)
    return reverse("admin:view_on_site", args=[content_type.pk, pk])


@pytest.fixture(params=["no group", "Reviewers", "Editors", "superuser"])
def staff(request, client):
    if request.param == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = staff_in(None if request.param == "no group" else request.param)
    client.force_login(user)
    return request.param


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_shortcut_never_leads_to_an_unpublished_claims_slug(client, staff, status):
    claim = ClaimFactory(status=status, statement="Zorblax secret statement")

    response = client.get(shortcut(Claim, claim.pk))

    assert response.status_code == 404
    assert claim.slug not in response.content.decode()
    assert claim.slug not in response.get("Location", "")


def test_shortcut_answers_a_hidden_claim_as_it_answers_a_missing_one(client):
    client.force_login(staff_in("Editors"))
    hidden = ClaimFactory(status=Status.IN_REVIEW)

    urls = [shortcut(Claim, hidden.pk), shortcut(Claim, hidden.pk + 1000)]

    answers = [client.get(url) for url in urls]

    # The same page, but for the address itself (the 404 page's canonical link names it).
    pages = [
        (r.status_code, r.content.decode().replace(url, ""))
        for r, url in zip(answers, urls, strict=True)
    ]
    assert pages[0] == pages[1]
    assert pages[0][0] == 404


@pytest.mark.parametrize(("group", "expected"), [(None, 404), ("Reviewers", 302), ("Editors", 302)])
def test_shortcut_to_a_published_claim_needs_permission_to_view_it(client, group, expected):
    client.force_login(staff_in(group))
    claim = ClaimFactory(published=True)

    response = client.get(shortcut(Claim, claim.pk))

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == claim.get_absolute_url()


def test_shortcut_to_a_source_leads_to_its_page_only_when_it_is_public(client):
    client.force_login(staff_in("Reviewers"))
    public = ClaimFactory(published=True).source
    unpublished = ClaimFactory(status=Status.CANDIDATE).source

    to_public = client.get(shortcut(Source, public.pk))
    to_unpublished = client.get(shortcut(Source, unpublished.pk))

    assert (to_public.status_code, to_public["Location"]) == (302, public.get_absolute_url())
    assert to_unpublished.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/admin/r/abc/1/",
        "/admin/r/99999999999999999999/1/",
        "/admin/r/%C2%B2/1/",
        "/admin/r/{claim_type}/abc/",
        "/admin/r/{claim_type}/99999999999999999999/",
        "/admin/r/{user_type}/{user}/",  # a model without a public page
        "/admin/r/{session_type}/1/",  # a model the admin does not register
    ],
)
def test_shortcut_answers_odd_addresses_with_a_404(client, path):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    ClaimFactory(published=True)
    url = path.format(
        claim_type=ContentType.objects.get_for_model(Claim).pk,
        user_type=ContentType.objects.get(app_label="auth", model="user").pk,
        user=user.pk,
        session_type=ContentType.objects.get(app_label="sessions", model="session").pk,
    )

    response = client.get(url)

    assert response.status_code == 404


def test_shortcut_sends_anonymous_visitors_to_the_login(client):
    claim = ClaimFactory(status=Status.CANDIDATE)

    response = client.get(shortcut(Claim, claim.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert claim.slug not in response["Location"]


@pytest.mark.parametrize("status", [*HIDDEN_STATUSES, Status.PUBLISHED])
def test_view_on_site_is_offered_only_for_published_claims(client, status):
    client.force_login(staff_in("Editors"))
    published = status == Status.PUBLISHED
    claim = ClaimFactory(published=True) if published else ClaimFactory(status=status)

    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()

    assert (f'href="{claim.get_absolute_url()}" class="viewsitelink"' in page) == published
    assert ("viewsitelink" in page) == published


def test_view_on_site_is_offered_only_for_sources_with_a_published_claim(client):
    client.force_login(staff_in("Editors"))
    public = ClaimFactory(published=True).source
    unpublished = SourceFactory()

    public_page = client.get(reverse("admin:claims_source_change", args=[public.pk]))
    unpublished_page = client.get(reverse("admin:claims_source_change", args=[unpublished.pk]))

    assert (
        f'href="{public.get_absolute_url()}" class="viewsitelink"' in public_page.content.decode()
    )
    assert "viewsitelink" not in unpublished_page.content.decode()


def test_every_model_in_the_admin_has_an_integer_key():
    # The admin refuses action ids that are not whole numbers (claims/adminsite.py): right
    # only while every registered model is keyed by an integer.
    from django.contrib import admin
    from django.db import models

    keys = {model._meta.label: type(model._meta.pk) for model in admin.site._registry}

    assert {
        label: key for label, key in keys.items() if not issubclass(key, models.AutoField)
    } == {}
