from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.filters import select_claims
from claims.models import Claim
from claims.search import (
    MAX_TERMS,
    Term,
    highlight,
    highlight_pattern,
    parse_query,
    search_claims,
    search_filter,
)

from .factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

TEXT = "Kratom may help hair regrow after detox. Regular use is said to ease withdrawal."


def _claim(statement, quote_end=40, **kwargs):
    source = SourceFactory(text=TEXT)
    return ClaimFactory(
        published=True,
        source=source,
        statement=statement,
        quote=TEXT[:quote_end],
        quote_start=0,
        quote_end=quote_end,
        subject=kwargs.pop("subject", "kratom"),
        outcome=kwargs.pop("outcome", "withdrawal"),
        **kwargs,
    )


def _search(text):
    return list(search_claims(Claim.objects.published(), text))


def test_search_requires_every_word():
    both = _claim("Kratom aids hair regrowth", quote_end=10)
    _claim("Kratom causes nausea", quote_end=10)

    assert _search("kratom hair") == [both]


def test_search_phrase_and_exclusion():
    phrase = _claim("Hair loss is common in detox", quote_end=10)
    _claim("Loss of hair is rare", quote_end=10)
    excluded = _claim("Hair loss is temporary", quote_end=10)

    assert _search('"hair loss" -temporary') == [phrase]
    assert set(_search('"hair loss"')) == {phrase, excluded}


def test_search_or_takes_either_word():
    nausea = _claim("Kratom causes nausea", quote_end=10)
    itch = _claim("Kratom causes itching", quote_end=10)
    _claim("Kratom is legal", quote_end=10)

    assert set(_search("nausea or itching")) == {nausea, itch}


def test_search_ignores_unpublished_claims():
    _claim("Kratom aids hair regrowth", quote_end=10)
    ClaimFactory(statement="Hair grows back with kratom")  # a candidate

    assert [c.statement for c in _search("hair")] == ["Kratom aids hair regrowth"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "-",
        "or",
        "or or or",
        "!!! && || :* <->",
        "'; DROP TABLE claims_claim; --",
        "hair & (loss | | ) !",
        "\x00hair",
        "ünïcödé ✓ 漢字",
        "x" * 5000,
        " ".join(f"w{i}" for i in range(200)),
    ],
)
def test_search_never_raises_on_odd_input(text):
    _claim("Kratom aids hair regrowth", quote_end=10)

    result = _search(text)

    assert isinstance(result, list)


def test_parse_query_reads_web_search_syntax_as_postgresql_does():
    parsed = parse_query('kratom "hair loss" -regrowth tea or coffee')

    # AND binds tighter than OR, as in websearch_to_tsquery: (… and tea) or coffee.
    assert parsed.clauses == [
        [
            Term(("kratom",)),
            Term(("hair", "loss")),
            Term(("regrowth",), negated=True),
            Term(("tea",)),
        ],
        [Term(("coffee",))],
    ]
    assert parsed.term_count == 5


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("kratom's", [[Term(("kratom",))]]),  # "s" is a stop word, as on PostgreSQL
        ("kratom’s", [[Term(("kratom",))]]),
        ("pain-relieving", [[Term(("pain", "relieving"))]]),
        ('"loss of hair"', [[Term(("loss", "of", "hair"))]]),  # inside a phrase it stays
        ("or hair", [[Term(("hair",))]]),  # `or` needs a term before it
        ("hair or", [[Term(("hair",))]]),
        ("hair or -coffee", [[Term(("hair",))], [Term(("coffee",), negated=True)]]),
        ("--hair", [[Term(("hair",))]]),
        ('"hair', [[Term(("hair",))]]),  # an unmatched quote is ignored
        ("the", []),
        ('NEAR( col: "*"', [[Term(("near",)), Term(("col",))]]),
    ],
)
def test_parse_query_edge_cases(text, clauses):
    assert parse_query(text).clauses == clauses


def test_highlight_marks_words_and_escapes_html():
    pattern = highlight_pattern("hair <b>")

    result = highlight("<script>Hair & hairs</script>", pattern)

    assert result == ("&lt;script&gt;<mark>Hair</mark> &amp; <mark>hairs</mark>&lt;/script&gt;")


def test_highlight_matches_inflections_by_prefix():
    pattern = highlight_pattern("regrow")

    assert highlight("aids regrowth", pattern) == "aids <mark>regrowth</mark>"


def test_list_page_highlights_matches_in_results(client):
    _claim("Kratom aids hair regrowth", quote_end=10)

    response = client.get("/claims/?q=hair")

    assert "Kratom aids <mark>hair</mark> regrowth" in response.content.decode()


def test_list_page_shows_quote_excerpt_for_quote_only_match(client):
    _claim("Kratom is a stimulant")

    response = client.get("/claims/?q=hair")

    assert "Quote: “Kratom may help <mark>hair</mark> regrow after detox.”" in (
        response.content.decode()
    )


def test_search_results_are_ordered_by_rank_then_newest(client):
    first = _claim("Kratom aids hair regrowth", quote_end=10)
    second = _claim("Kratom aids hair growth", quote_end=10)

    queryset = select_claims(QueryDict("q=hair")).queryset

    assert list(queryset) == [second, first]


def test_search_filter_and_search_agree_on_matches():
    _claim("Kratom aids hair regrowth", quote_end=10)
    _claim("Kratom is a stimulant")
    _claim("Coffee is a stimulant", quote_end=5)

    matched = set(search_claims(Claim.objects.published(), "kratom -coffee"))

    assert matched == set(Claim.objects.published().filter(~Q(statement__startswith="Coffee")))


# --- the same searches on SQLite (FTS5) and PostgreSQL ------------------------------------------


def _demo():
    call_command("loaddata", "kratom_article", stdout=StringIO())


def _found(text) -> set[int]:
    return {claim.pk for claim in select_claims(QueryDict(urlencode({"q": text}))).queryset}


KRATOM = {1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20}  # "kratom" in the demo data
OPIOID = {1, 5, 6, 7, 8, 15, 16, 17, 18}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-hydroxymitragynine", {5}),
        ("pain-relieving", {3}),
        ("kratom's", KRATOM),
        ("kratom’s", KRATOM),
        ("opioids", OPIOID),  # "opioid" in the texts: stemmed alike
        ("kratom", KRATOM),
        ("opioid", OPIOID),
    ],
)
def test_demo_searches_find_their_claims(text, expected):
    _demo()

    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"hair loss"', {13, 16, 17}),
        ('"loss hair"', set()),  # a phrase keeps its order
        ('"hair loss" -temporary', {13, 16}),
        ("hair -kratom", {16, 17}),
        ("-kratom", {3, 4, 5, 16, 17}),
        ("hair or stress", {13, 16, 17, 18, 20}),
        ("kratom hair or stress", {13, 18, 20}),  # (kratom and hair) or stress
        ("hair or -kratom", {3, 4, 5, 13, 16, 17, 18}),
        ("hormones or", {18, 19, 20}),  # a trailing `or` is dropped
        ("or", set()),  # a stop word: matches nothing, never "for" or "word"
        ("or hormones", {18, 19, 20}),
        ("the", set()),
    ],
)
def test_phrase_exclusion_and_or_select_the_same_claims_on_both_databases(text, expected):
    _demo()

    assert _found(text) == expected


def test_or_does_not_match_inside_words():
    sleep = _claim("Kratom helps sleep", quote_end=10)
    _claim("Kratom is good for memory", quote_end=10)  # "for", "memory": no word "or"

    assert _search("or sleep") == [sleep]
    assert _search("sleep or") == [sleep]


def test_statement_match_outranks_quote_only_match_on_both_databases():
    quote_only = _claim("Kratom is a stimulant")  # "hair" only in the quote
    statement = _claim("Kratom aids hair regrowth", quote_end=10)
    subject = _claim("Kratom aids regrowth", quote_end=10, subject="hair")

    assert _search("hair") == [statement, subject, quote_only]


HOSTILE = [
    '"',
    '"""',
    "*",
    "hair*",
    "NEAR(hair kratom)",
    "NEAR(",
    "col:",
    "statement:hair",
    "{statement quote}: hair",
    "^hair",
    "hair AND",
    "AND OR NOT",
    "NOT hair",
    "hair + kratom",
    "(hair",
    "hair)",
    "'",
    "_",
    "\u0301",
    "e\u0301clair",
    "\ue000",
    "-",
    "- -",
    " ".join(f"w{i} or" for i in range(15)),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_fts_syntax_in_a_search_is_text_not_syntax(client, text):
    _claim("Kratom aids hair regrowth", quote_end=10)

    ranked, listed = _search(text), client.get("/claims/", {"q": text})
    exported = client.get("/claims/export.csv", {"q": text})

    assert isinstance(ranked, list)
    assert (listed.status_code, exported.status_code) == (200, 200)
    b"".join(exported.streaming_content)


@pytest.mark.parametrize("url", ["/claims/", "/claims/export.csv"])
def test_more_search_terms_than_the_cap_is_a_400_that_says_the_limit(client, url):
    _claim("Kratom aids hair regrowth", quote_end=10)
    forty = " or ".join(f"word{i}" for i in range(40))

    response = client.get(url, {"q": forty})

    assert response.status_code == 400
    assert f"use at most {MAX_TERMS}" in response.content.decode()
    assert "40 words and phrases" in response.content.decode()


def test_a_search_at_the_cap_is_answered(client):
    claim = _claim("Kratom aids hair regrowth", quote_end=10)
    sixteen = " or ".join(["hair"] + [f"word{i}" for i in range(MAX_TERMS - 1)])

    response = client.get("/claims/", {"q": sixteen})

    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].rows] == [claim.pk]


@pytest.mark.parametrize(
    "query",
    [
        "q=hair",
        "q=hair&sort=claim",
        "q=hair&grade=very_low",
        "q=hair+-regrowth+or+tea",
        "q=-regrowth",
    ],
)
@pytest.mark.parametrize("url", ["/claims/", "/claims/export.csv"])
def test_each_query_applies_the_search_once(client, url, query):
    _claim("Kratom aids hair regrowth", quote_end=10)
    _claim("Kratom is a stimulant")
    predicate = "@@ websearch_to_tsquery" if connection.vendor == "postgresql" else " MATCH "

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}?{query}")
        if url.endswith(".csv"):
            b"".join(response.streaming_content)

    # (A query that only parses the search, the word counts' look-up, matches no claim.)
    sqls = [q["sql"].replace("@@ (websearch", "@@ websearch") for q in captured]
    searching = [sql for sql in sqls if predicate in sql]
    assert searching, "no query searched"
    for sql in searching:
        # A search of exclusions only says what not to match once per clause: here one clause.
        assert sql.count(predicate) == 1, sql
        assert " LIKE " not in sql, sql


SYNTAX = st.text(
    alphabet=st.one_of(st.sampled_from("\"*-():^+{}_' or AND NOT NEAR"), st.characters()),
    max_size=60,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=SYNTAX)
def test_no_search_text_raises_on_either_database(text):
    if not Claim.objects.exists():
        _claim("Kratom aids hair regrowth", quote_end=10)

    ranked = list(search_claims(Claim.objects.published(), text))
    matched = set(search_filter(Claim.objects.published(), text))

    assert set(ranked) == matched


@pytest.mark.parametrize("text", ["\ud800", "kratom \udcff", "\x00hair"])
def test_characters_no_database_can_query_are_dropped(text):
    """A lone surrogate (what invalid bytes in a command-line argument decode to) cannot be
    sent to PostgreSQL at all; NUL is refused by it."""
    claim = _claim("Kratom aids hair regrowth", quote_end=10)

    found = set(search_filter(Claim.objects.published(), text))

    assert found == {claim}  # no text left is no search; the words left match
    assert set(search_claims(Claim.objects.published(), text)) == found
