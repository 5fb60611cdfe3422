"""Full-text search over claims, ranked, with one query language on both databases.

What is searched: the statement (weighted highest), the subject and outcome, then the quote.
The rationale is not. PostgreSQL reads `Claim.search_vector` (kept by a trigger, migration
0002) through `websearch_to_tsquery('english', …)`. SQLite reads its FTS5 index (claims/fts.py,
migration 0012) through a MATCH expression built here from the parsed terms, each term a quoted
string, so no user input is ever FTS5 syntax.

The language is PostgreSQL's web-search syntax, read the same way for SQLite: words (all must
match), "a phrase", -word (must not match), and `or` between alternatives, AND binding tighter
than OR (`kratom hair or coffee` is `(kratom and hair) or coffee`, as websearch_to_tsquery
reads it). English stop words are ignored, as PostgreSQL ignores them ("kratom's" is kratom).
Nothing raises on any input. A search of more than MAX_TERMS words and phrases is refused by
the /claims/ form (`validate_term_count`); the SQLite search reads at most MAX_TERMS of them.
"""

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from . import fts

# Words and phrases a search may have, `or` alternatives and -exclusions included: enough for
# any real question, and a bound on the SQL one query string can make.
MAX_TERMS = 16
# `-` (not), a "quoted phrase", a quote without its closing one (ignored), or a word.
_TOKEN_RE = re.compile(r'(-)|"([^"]*)"|(")|([^\s"-][^\s"]*)')
# What both databases index as a word: letters and digits (FTS5's unicode61 and PostgreSQL's
# parser split on everything else, so "pain-relieving" is the phrase "pain relieving").
_WORD_RE = re.compile(r"[^\W_]+")
# PostgreSQL's English stop words (tsearch_data/english.stop): its searches ignore them.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()  # noqa: SIM905 (the file's words as PostgreSQL ships them)
)


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of several (in order), that must match or, negated, must not."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass
class ParsedQuery:
    """A search: it matches when any clause does, and a clause when all its terms do."""

    clauses: list[list[Term]] = field(default_factory=list)
    term_count: int = 0  # words and phrases written, stop words included: what the cap counts

    @property
    def positive_terms(self) -> list[str]:
        return [" ".join(t.words) for clause in self.clauses for t in clause if not t.negated]


# Characters no database accepts in a query: NUL (PostgreSQL), and lone surrogates, which
# cannot be encoded as UTF-8 (a command-line argument of invalid bytes decodes to them).
_UNQUERYABLE_RE = re.compile(r"[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop characters no database accepts in a query and collapse whitespace."""
    return " ".join(_UNQUERYABLE_RE.sub(" ", text or "").split())


def parse_query(text: str) -> ParsedQuery:
    """Read `text` as websearch_to_tsquery does; terms past MAX_TERMS are counted, not kept."""
    parsed = ParsedQuery()
    clause: list[Term] = []
    negated = after_term = False
    for match in _TOKEN_RE.finditer(clean_text(text)):
        dash, phrase, _, word = match.groups()
        if dash:
            negated, after_term = not negated, False
            continue
        if phrase is None and word is None:  # an unmatched quote
            continue
        if word is not None and word.lower() == "or" and after_term:
            parsed.clauses.append(clause)
            clause, after_term = [], False
            continue
        words = _WORD_RE.findall((phrase if word is None else word).lower())
        if not words:  # punctuation only: nothing to PostgreSQL either
            continue
        parsed.term_count += 1
        if (kept := _without_stop_words(words)) and parsed.term_count <= MAX_TERMS:
            clause.append(Term(tuple(kept), negated))
        negated, after_term = False, True
    parsed.clauses.append(clause)
    parsed.clauses = [clause for clause in parsed.clauses if clause]
    return parsed


def _without_stop_words(words: list[str]) -> list[str]:
    """The words without the stop words at either end (PostgreSQL drops those; one inside a
    phrase still holds its place there)."""
    start, end = 0, len(words)
    while start < end and words[start] in STOP_WORDS:
        start += 1
    while end > start and words[end - 1] in STOP_WORDS:
        end -= 1
    return words[start:end]


def validate_term_count(text: str) -> None:
    """Refuse a search of more than MAX_TERMS words and phrases (a form field validator)."""
    if (count := parse_query(text).term_count) > MAX_TERMS:
        raise ValidationError(
            f"Your search has {count} words and phrases: use at most {MAX_TERMS} (each word, "
            '"phrase", -exclusion and or-alternative counts).',
            code="too_many_terms",
        )


def search_filter(queryset: QuerySet, text: str) -> QuerySet:
    """Keep the claims that match `text`, without ranking or ordering (for counts and facets).

    One condition on the claims: PostgreSQL's `search_vector @@ query`, or on SQLite the ids
    the FTS5 index matches (and those it must not, for a clause of exclusions only).
    """
    text = clean_text(text)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_pg_query(text))
    wanted, unwanted = _fts_expressions(parse_query(text))
    conditions = [Q(pk__in=fts.matching(wanted))] if wanted else []
    conditions += [~Q(pk__in=fts.matching(expression)) for expression in unwanted]
    if not conditions:  # nothing but stop words: PostgreSQL matches nothing either
        return queryset.none()
    return queryset.filter(reduce(or_, conditions))


def search_claims(queryset: QuerySet, text: str) -> QuerySet:
    """Claims matching `text`, best first (ties broken by newest id), annotated with `rank`.

    PostgreSQL ranks with ts_rank over the weighted vector; SQLite with FTS5's bm25 over the
    same fields, weighted in the same ratios (statement 1, subject and outcome 0.4, quote 0.2),
    so a statement match outranks a quote-only match on both. A search whose only terms in
    some alternative are exclusions ranks every match equal on SQLite (newest first).
    """
    text = clean_text(text)
    if not text:
        return queryset.order_by("-pk")
    if connection.vendor == "postgresql":
        query = _pg_query(text)
        queryset = queryset.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
    else:
        wanted, unwanted = _fts_expressions(parse_query(text))
        if wanted and not unwanted:
            queryset = fts.ranked(queryset, wanted)
        else:
            queryset = search_filter(queryset, text).annotate(
                rank=Value(0.0, output_field=FloatField())
            )
    return queryset.order_by("-rank", "-pk")


def _pg_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config="english")


def _fts_expressions(parsed: ParsedQuery) -> tuple[str, list[str]]:
    """FTS5 MATCH expressions for `parsed`: one for its clauses that have a wanted term ("" if
    none), and one per clause of exclusions only (its claims are the ones not to match)."""
    wanted, unwanted = [], []
    for clause in parsed.clauses:
        want = " AND ".join(_fts_phrase(t) for t in clause if not t.negated)
        avoid = " OR ".join(_fts_phrase(t) for t in clause if t.negated)
        if not want:
            unwanted.append(avoid)
        else:
            wanted.append(f"(({want}) NOT ({avoid}))" if avoid else f"({want})")
    return " OR ".join(wanted), unwanted


def _fts_phrase(term: Term) -> str:
    # A quoted FTS5 string: its words are letters and digits only, so nothing in it is syntax.
    return '"' + " ".join(term.words) + '"'


def highlight_pattern(text: str) -> re.Pattern | None:
    """A regex that finds the query's positive words in text, or None when there are none.

    Matches whole words and their inflections by prefix ("hair" marks "hair" and "hairs";
    "regrow" marks "regrowth"), close to what the English stemmer matches.
    """
    words = {
        word.lower()
        for term in parse_query(text).positive_terms
        for word in _WORD_RE.findall(term)
        if len(word) > 1
    }
    if not words:
        return None
    stems = sorted((_stem(word) for word in words), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    """`text`, HTML-escaped, with each match of `pattern` wrapped in <mark>."""
    if pattern is None:
        return conditional_escape(text)
    parts = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(conditional_escape(text[last : match.start()]))
        parts.append(f"<mark>{conditional_escape(match.group())}</mark>")
        last = match.end()
    parts.append(conditional_escape(text[last:]))
    # Every piece of user or database text above went through conditional_escape.
    return mark_safe("".join(parts))  # nosec B308 B703 # its input is escaped above


def excerpt(text: str, pattern: re.Pattern | None, width: int = 90) -> str:
    """A window of `text` around the first match of `pattern`, with "…" where it was cut."""
    match = pattern.search(text) if pattern else None
    if match is None:
        return ""
    start = max(0, match.start() - width)
    end = min(len(text), match.end() + width)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", match.end(), end) if " " in text[match.end() : end] else end
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")
