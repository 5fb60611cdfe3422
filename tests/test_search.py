import pytest
from django.db.models import Q
from django.http import QueryDict

from claims.filters import select_claims
from claims.models import Claim
from claims.search import highlight, highlight_pattern, parse_query, search_claims

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


def test_search_statement_match_outranks_quote_only_match(postgres_only):
    quote_only = _claim("Kratom is a stimulant")  # "hair" only in the quote
    statement = _claim("Kratom aids hair regrowth", quote_end=10)

    assert _search("hair") == [statement, quote_only]


def test_search_fallback_statement_match_outranks_quote_only_match():
    quote_only = _claim("Kratom is a stimulant")
    statement = _claim("Kratom aids hair regrowth", quote_end=10)

    assert _search("hair") == [statement, quote_only]


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


def test_parse_query_reads_web_search_syntax():
    parsed = parse_query('kratom "hair loss" -regrowth tea or coffee')

    assert parsed.groups == [["kratom"], ["hair loss"], ["tea", "coffee"]]
    assert parsed.excluded == ["regrowth"]


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
