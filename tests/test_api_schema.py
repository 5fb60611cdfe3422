"""The API's OpenAPI contract (claims/api/schema.py): valid OpenAPI 3.1, true of the live API
(schemathesis through WSGI, offline), complete, and readable at /api/v1/docs/."""

import re
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from claims.api import schema as api_schema
from claims.api.reading import anchor
from claims.models import Citation, Claim, Source
from claims.scales import Stance, Status
from claims.search import MAX_TERMS, parse_query

from .factories import CitationFactory, ClaimFactory, EvidenceFactory, SourceFactory

pytestmark = pytest.mark.django_db

# Generated requests per operation and mode; operations without parameters have one request
# to make, and Hypothesis stops there.
EXAMPLES = 60
MIN_REQUESTS = 500


def test_document_is_valid_openapi_3_1():
    loaded = schemathesis.openapi.from_dict(api_schema.document())

    loaded.validate()  # OpenAPI 3.1's own JSON Schema (schemathesis bundles it)

    assert api_schema.document()["openapi"] == "3.1.0"


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    paths = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            paths += _routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name != "unknown":
            paths.append(prefix + str(pattern.pattern))
    return paths


def test_document_lists_exactly_the_api_routes():
    resolver = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    )
    routes = {"/" + re.sub(r"<\w+:(\w+)>", r"{\1}", route) for route in _routes(resolver)}
    documented = {path.replace("{id}", "{pk}") for path in api_schema.document()["paths"]}

    assert documented == routes


def test_docs_page_shows_every_path_and_schema(client):
    document = api_schema.document()

    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    page = response.content.decode()
    missing = [path for path in document["paths"] if f"<code>{path}</code>" not in page]
    missing += [
        name for name in document["components"]["schemas"] if f'id="{anchor(name)}"' not in page
    ]
    assert missing == []


def test_every_path_answers_other_methods_with_405_and_allow():
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF token
    server = api_schema.document()["servers"][0]["url"]
    prefix = reverse("api:index").rstrip("/")
    assert server.endswith(prefix)

    answers = {
        path: client.generic(method, prefix + path.replace("{slug}", "x").replace("{id}", "1"))
        for path in api_schema.document()["paths"]
        for method in ("POST", "PUT", "DELETE")
    }

    assert {(r.status_code, r["Allow"], r["Content-Type"]) for r in answers.values()} == {
        (405, "GET, HEAD", "application/problem+json")
    }


# --- schemathesis against the app ---------------------------------------------------------------


@pytest.fixture
def app():
    """Django's WSGI app, called in the test's thread (so it sees the test's transaction).
    As Django's test client does, keep the request signals from closing the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data():
    """The demo article's 20 claims, plus a second text, a claim merged into a published one,
    and unpublished claims whose slugs and works must stay hidden."""
    call_command("loaddata", "kratom_article", verbosity=0)
    hidden = ClaimFactory(statement="An unpublished draft about kratom")
    EvidenceFactory(claim=hidden, citation=CitationFactory(title="Cited only by a draft"))
    ClaimFactory(status=Status.REJECTED, statement="A rejected claim")
    merged = ClaimFactory(
        status=Status.MERGED, published_at=hidden.created_at, source=SourceFactory()
    )
    EvidenceFactory(claim=merged.merged_into, stance=Stance.CONTRADICTS)
    return {
        # A published claim's, a merged claim's (301) or a draft's (404), alike often.
        "slugs": st.one_of(
            st.sampled_from(list(Claim.objects.published().values_list("slug", flat=True))),
            st.just(merged.slug),
            st.just(hidden.slug),
        ),
        "source": list(Source.objects.with_published_claims().values_list("pk", flat=True)),
        "id": list(Citation.objects.values_list("pk", flat=True)),
    }


def steer(case, known: dict, draw) -> None:
    """Make a generated request meet what the schema cannot say: ids that exist (most of the
    time), a search within the word limit, not both cursors. Positive cases only: the API
    must accept every one of them (schemathesis' positive_data_acceptance)."""
    query = case.query if isinstance(case.query, dict) else None
    path_parameters = case.path_parameters or {}
    if "slug" in path_parameters and draw(st.booleans()):
        path_parameters["slug"] = draw(known["slugs"])
    if "id" in path_parameters and draw(st.booleans()):
        known_ids = known["source"] if case.operation.path.startswith("/sources") else known["id"]
        path_parameters["id"] = draw(st.sampled_from(known_ids))
    if case.meta is not None and not case.meta.generation.mode.is_positive or query is None:
        return
    if query.get("source"):
        sources = query["source"] if isinstance(query["source"], list) else [query["source"]]
        query["source"] = [known["source"][int(v) % len(known["source"])] for v in sources]
    if "q" in query:
        words = str(query["q"]).split()
        while parse_query(" ".join(words)).term_count > MAX_TERMS:
            words.pop()
        query["q"] = " ".join(words)
    if "after" in query and "before" in query and case.operation.path != "/claims/":
        del query["before"]


# A negative case runs every default check but negative_data_rejection: the claims list (as
# the /claims/ page does) answers an unusable page number or cursor with page 1 and a note,
# not a 400. A positive case runs every default check.
NEGATIVE_EXCLUDED = [negative_data_rejection]


def fuzz(operation, mode: GenerationMode, known: dict, requests: Counter, answers: set):
    """One operation's generated requests in one mode, each validated by schemathesis;
    `requests` counts them by operation, `answers` collects (operation, status)."""
    excluded = NEGATIVE_EXCLUDED if mode is GenerationMode.NEGATIVE else []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(st.data())
    def run(drawn):
        case = drawn.draw(operation.as_strategy(generation_mode=mode))
        steer(case, known, drawn.draw)
        requests[operation.label] += 1
        # schemathesis' WSGI client asks for gzip (requests' default header) but does not
        # decode it; the compressed bodies are tested in test_caching.py.
        response = case.call_and_validate(
            headers={"Accept-Encoding": "identity"}, excluded_checks=excluded
        )
        answers.add((operation.label, response.status_code))

    return run


def test_schemathesis_finds_no_failures(app, data):
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    requests, answers, failures = Counter(), set(), []

    # schemathesis leaves out the operation that serves the schema (/openapi.json): the first
    # test checks that document.
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.path == "/claims.ndjson":
            continue  # its body is lines of JSON, not JSON: not fuzzed here
        modes = [GenerationMode.POSITIVE]
        if operation.query or operation.path_parameters:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                fuzz(operation, mode, data, requests, answers)()
            except Exception as error:  # noqa: BLE001 # report every operation's failures
                failures.append(f"{operation.label} ({mode}): {error}")

    assert failures == []
    assert sum(requests.values()) >= MIN_REQUESTS, requests
    # Not vacuous: every operation found something, and every kind of answer was checked.
    assert {label for label, status in answers if status == 200} == set(requests)
    assert {status for _, status in answers} == {200, 301, 400, 404}
