"""Look-ups against a local stand-in for Crossref and NCBI E-utilities, answering with
responses written from the published formats of those APIs (including a 404, a 429 and a
timeout). Nothing here reaches the internet."""

import contextlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command

from claims import citation_import, lookups
from claims.models import Citation
from claims.references import parse
from claims.scales import Status, StudyDesign
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db
EMAIL = "editors@example.org"

CROSSREF_WORK = {
    "status": "ok",
    "message-type": "work",
    "message-version": "1.0.0",
    "message": {
        "DOI": "10.1000/found",
        "type": "journal-article",
        "title": ["Kratom use among US adults: a  national survey"],
        "author": [
            {"given": "Marc T.", "family": "Swogger", "sequence": "first", "affiliation": []},
            {"given": "Zach", "family": "Walsh", "sequence": "additional", "affiliation": []},
        ],
        "container-title": ["Journal of Psychoactive Drugs"],
        "publisher": "Informa UK Limited",
        "issued": {"date-parts": [[2021, 6, 2]]},
        "URL": "https://doi.org/10.1000/found",
    },
}
CROSSREF_NOTICES = {
    "status": "ok",
    "message-type": "work-list",
    "message": {
        "total-results": 1,
        "items": [
            {
                "DOI": "10.1000/retraction.9",
                "type": "journal-article",
                "title": ["Retraction notice to: Kratom use among US adults"],
                "update-to": [
                    {
                        "updated": {"date-parts": [[2024, 3, 5]], "timestamp": 1709596800000},
                        "DOI": "10.1000/found",
                        "type": "retraction",
                        "label": "Retraction",
                    }
                ],
            }
        ],
    },
}
ESUMMARY = {
    "header": {"type": "esummary", "version": "0.3"},
    "result": {
        "uids": ["31284119", "99999999"],
        "31284119": {
            "uid": "31284119",
            "pubdate": "2019 Sep 1",
            "source": "Drug Alcohol Depend",
            "authors": [
                {"name": "Coe MA", "authtype": "Author", "clusterid": ""},
                {"name": "Pillitteri JL", "authtype": "Author", "clusterid": ""},
            ],
            "title": "Kratom as a substitute for opioids: a randomized trial.",
            "pubtype": ["Journal Article", "Randomized Controlled Trial"],
            "articleids": [
                {"idtype": "pubmed", "idtypen": 1, "value": "31284119"},
                {"idtype": "doi", "idtypen": 3, "value": "10.1016/j.drugalcdep.2019.05.005"},
            ],
            "fulljournalname": "Drug and alcohol dependence",
            "sortpubdate": "2019/09/01 00:00",
        },
        "99999999": {"uid": "99999999", "error": "cannot get document summary"},
    },
}


class StandIn(BaseHTTPRequestHandler):
    calls: list  # (path, time, user agent), shared per server

    def log_message(self, *args):
        pass  # quiet tests

    def reply(self, status, body):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up: the timeout under test
            self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        self.server.calls.append((url.path, time.monotonic(), self.headers["User-Agent"]))
        query = parse_qs(url.query)
        if url.path == "/works/10.1000/found":
            return self.reply(200, CROSSREF_WORK)
        if url.path == "/works/10.1000/busy":
            busy = sum(path == url.path for path, _, _ in self.server.calls)
            return (
                self.reply(429, "Too Many Requests")
                if busy == 1
                else self.reply(200, CROSSREF_WORK)
            )
        if url.path == "/works/10.1000/slow":
            time.sleep(1)
            return self.reply(200, CROSSREF_WORK)
        if url.path == "/works" and query.get("filter") == ["updates:10.1000/found"]:
            return self.reply(200, CROSSREF_NOTICES)
        if url.path == "/works":
            return self.reply(200, {"status": "ok", "message": {"items": []}})
        if url.path == "/esummary.fcgi":
            ids = query["id"][0].split(",")
            result = {"uids": ids} | {
                i: ESUMMARY["result"].get(i, {"uid": i, "error": "cannot get document summary"})
                for i in ids
            }
            return self.reply(200, {"header": ESUMMARY["header"], "result": result})
        return self.reply(404, "Resource not found.")


@pytest.fixture
def stand_in(settings, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.daemon_threads = True
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    settings.CITATION_LOOKUPS, settings.CONTACT_EMAIL = True, EMAIL
    settings.CROSSREF_API, settings.EUTILS_API = url, url
    settings.CITATION_LOOKUP_TIMEOUT, settings.CITATION_LOOKUP_RETRIES = 0.2, 2
    monkeypatch.setattr(lookups, "BACKOFF", 0.01)
    yield server
    server.shutdown()
    server.server_close()


def test_a_batch_of_identifiers_is_looked_up_and_each_failure_is_that_entrys_alone(stand_in):
    text = "10.1000/found\n10.1000/missing\n10.1000/slow\n10.1000/busy\n31284119\n99999999"
    rows = citation_import.plan(parse(text))
    found, missing, slow, busy, pubmed, unknown = rows
    assert found.outcome == "create"
    work = found.citation
    assert (work.title, work.authors, work.year, work.venue) == (
        "Kratom use among US adults: a national survey",
        "Swogger MT, Walsh Z",
        2021,
        "Journal of Psychoactive Drugs",
    )
    assert (missing.outcome, missing.reason) == ("refuse", "Crossref knows no DOI 10.1000/missing.")
    assert slow.outcome == "refuse"
    assert (
        slow.reason
        == "Crossref did not answer in time for DOI 10.1000/slow, 3 tries; try again later."
    )
    # The 429 was retried; the answer is the work of line 1 again, so it is not created twice.
    assert (busy.outcome, busy.reason) == ("reuse", "The same work as line 1: 10.1000/found.")
    assert pubmed.outcome == "create"
    assert (pubmed.citation.title, pubmed.citation.authors, pubmed.citation.year) == (
        "Kratom as a substitute for opioids: a randomized trial",
        "Coe MA, Pillitteri JL",
        2019,
    )
    assert pubmed.citation.doi == "10.1016/j.drugalcdep.2019.05.005"
    assert pubmed.citation.study_design == StudyDesign.RCT
    assert (unknown.outcome, unknown.reason) == (
        "refuse",
        "PubMed has no record with PMID 99999999.",
    )
    agents = {agent for _, _, agent in stand_in.calls}
    assert agents == {f"ClaimsTracker/1.0 (citation import; mailto:{EMAIL})"}


def test_known_identifiers_are_not_looked_up(stand_in):
    CitationFactory(doi="10.1000/found")
    (row,) = citation_import.plan(parse("doi:10.1000/found"))
    assert row.outcome == "reuse"
    assert stand_in.calls == []


def test_ncbi_gets_at_most_three_requests_a_second(stand_in):
    from claims.references import Reference

    for _ in range(4):
        lookups.fill_from_pubmed([Reference("x", pmid="31284119")])
    times = [when for path, when, _ in stand_in.calls if path == "/esummary.fcgi"]
    assert len(times) == 4
    assert min(b - a for a, b in itertools.pairwise(times)) >= lookups.NCBI_INTERVAL - 0.02


def test_crossref_update_to_retracts_a_cited_work(stand_in):
    work = CitationFactory(doi="10.1000/found")
    EvidenceFactory(citation=work, claim=ClaimFactory(published=True))
    EvidenceFactory(citation__doi="10.1000/clean", claim=ClaimFactory(published=True))
    out = StringIO()
    call_command("import_retractions", "--crossref", stdout=out, stderr=StringIO())
    work.refresh_from_db()
    assert (work.is_retracted, work.retraction_notice_doi) == (True, "10.1000/retraction.9")
    assert str(work.retraction_date) == "2024-03-05"
    assert "1 newly flagged" in out.getvalue()
    assert Citation.objects.filter(is_retracted=True).count() == 1


def test_a_batch_asks_for_at_most_its_share_of_look_ups(stand_in, monkeypatch):
    monkeypatch.setattr(citation_import, "MAX_LOOKUPS", 2)
    rows = citation_import.plan(parse("10.1000/found\n10.1000/missing\n10.1000/third"))
    assert [row.outcome for row in rows] == ["create", "refuse", "refuse"]
    assert rows[2].reason.startswith("Only an identifier, past the 2 look-ups")
    assert len(stand_in.calls) == 2


def test_crossref_notices_are_asked_only_for_works_published_claims_cite(stand_in):
    EvidenceFactory(citation__doi="10.1000/found", claim=ClaimFactory(published=True))
    EvidenceFactory(citation__doi="10.1000/draft", claim=ClaimFactory(status=Status.IN_REVIEW))
    call_command("import_retractions", "--crossref", stdout=StringIO(), stderr=StringIO())
    assert [path for path, _, _ in stand_in.calls] == ["/works"]
