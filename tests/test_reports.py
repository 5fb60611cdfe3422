"""Readers report errors on a claim's own page; editors see and close the reports."""

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import ErrorReport
from claims.scales import ReportStatus

from .factories import ClaimFactory, staff_in

pytestmark = pytest.mark.django_db

TEXT = "The 2019 survey you cite reports withdrawal, not hair regrowth."


def report_url(claim) -> str:
    return reverse("claims:claim-report", args=[claim.slug])


def send(client, claim, **fields):
    return client.post(report_url(claim), {"text": TEXT, "email": "", "website": ""} | fields)


def test_the_claim_page_links_to_its_report_page_and_holds_no_form(client):
    claim = ClaimFactory(published=True)

    html = client.get(claim.get_absolute_url()).content.decode()

    assert f'href="{report_url(claim)}"' in html
    assert "<form" not in html.split("<main", 1)[1].split("</main>")[0]
    assert "csrfmiddlewaretoken" not in html


def test_a_report_is_stored_for_the_editors_and_the_reader_is_thanked(client):
    claim = ClaimFactory(published=True)

    response = send(client, claim, email="reader@example.org")

    assert response.status_code == 302
    assert response["Location"] == report_url(claim) + "?sent=1"
    report = ErrorReport.objects.get()
    assert (report.claim, report.text, report.email, report.status) == (
        claim,
        TEXT,
        "reader@example.org",
        ReportStatus.OPEN,
    )
    assert "127.0.0.1" not in report.client_key  # a keyed hash, not the address
    thanks = client.get(response["Location"]).content.decode()
    assert "the editors have your report" in thanks


def test_an_unpublished_claim_has_no_report_page(client):
    claim = ClaimFactory()

    assert client.get(report_url(claim)).status_code == 404
    assert send(client, claim).status_code == 404
    assert ErrorReport.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "x" * 10_001}, "Your report is too long (10001 characters)"),
        ({"text": "  "}, "Write what is wrong, please: the report is empty."),
        ({"email": "not an address"}, "This is not an email address"),
        ({"website": "http://spam.example"}, "a field that people leave empty was filled in"),
        ({"text": "nul \x00 byte"}, "Null characters are not allowed."),
    ],
)
def test_a_bad_report_is_refused_with_a_message_and_writes_nothing(client, fields, message):
    claim = ClaimFactory(published=True)

    response = send(client, claim, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ErrorReport.objects.count() == 0


def test_the_rate_limit_counts_per_client_address(client, settings):
    settings.CLAIMS_REPORTS_PER_HOUR = 2
    claim = ClaimFactory(published=True)
    other = Client(REMOTE_ADDR="203.0.113.9")

    first = [send(client, claim).status_code for _ in range(2)]
    refused = send(client, claim)
    elsewhere = send(other, claim)

    assert first == [302, 302]
    assert refused.status_code == 429
    assert "as many as we take from one address" in refused.content.decode()
    assert elsewhere.status_code == 302
    assert ErrorReport.objects.count() == 3


def test_behind_a_proxy_the_rate_limit_counts_the_real_client_not_its_claims(settings):
    settings.CLAIMS_REPORTS_PER_HOUR = 1
    settings.PROXY_COUNT = 1
    claim = ClaimFactory(published=True)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # our proxy; it appends the address it saw
    alice = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    bob = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    # Alice again, pretending to be someone else in the part of the header she writes.
    spoofing = Client(**proxy, HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.1")

    results = [send(c, claim).status_code for c in (alice, bob, spoofing)]

    assert results == [302, 302, 429]


def test_the_report_form_is_csrf_protected():
    claim = ClaimFactory(published=True)

    response = send(Client(enforce_csrf_checks=True), claim)

    assert response.status_code == 403
    assert ErrorReport.objects.count() == 0


def test_editors_see_open_reports_in_the_queue_and_close_them_with_a_note(client):
    claim = ClaimFactory(published=True)
    send(client, claim)
    report = ErrorReport.objects.get()
    editor = staff_in("Editors", username="ed")
    client.force_login(editor)

    queue = client.get(reverse("admin:claims_claim_changelist") + "?reported=open")
    change = reverse("admin:claims_errorreport_change", args=[report.pk])
    client.post(change, {"closing_note": ""})  # not closed without a note
    still_open = ErrorReport.objects.get().status
    client.post(change, {"closing_note": "Corrected: see the claim's log."})

    assert [c.pk for c in queue.context["cl"].result_list] == [claim.pk]
    assert "1 open" in queue.content.decode()
    assert still_open == ReportStatus.OPEN
    report.refresh_from_db()
    assert (report.status, report.closed_by, report.closing_note) == (
        ReportStatus.CLOSED,
        editor,
        "Corrected: see the claim's log.",
    )


def test_a_reviewer_reads_reports_but_does_not_close_them(client):
    claim = ClaimFactory(published=True)
    send(client, claim)
    report = ErrorReport.objects.get()
    client.force_login(staff_in("Reviewers"))

    listed = client.get(reverse("admin:claims_errorreport_changelist"))
    client.post(
        reverse("admin:claims_errorreport_change", args=[report.pk]), {"closing_note": "Done."}
    )

    assert listed.status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
