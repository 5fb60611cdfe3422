"""Full-text search over claims: ranked on PostgreSQL, words-in-text on SQLite.

What is searched: the statement (weight A), the subject and outcome (B) and the quote (C), kept
in `Claim.search_vector` by a trigger (migration 0002). The rationale is not searched.

The query language is web-search syntax on both databases: words (all must match), "a phrase",
-word (must not match) and `or` between alternatives. No input ever raises: PostgreSQL's
`websearch_to_tsquery` accepts anything, and the SQLite parser below only builds `icontains`.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 16  # more terms than this add nothing but SQL; the rest are ignored
_SEARCHED_FIELDS = ("statement", "subject", "outcome", "quote")
# Rank weights of the SQLite fallback, in the spirit of the PostgreSQL vector's A/B/C.
_FALLBACK_WEIGHTS = (("statement", 4), ("subject", 2), ("outcome", 2), ("quote", 1))
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"\w+")


@dataclass
class ParsedQuery:
    """A web-search query split into groups: every group must match, any term within one."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def positive_terms(self) -> list[str]:
        return [term for group in self.groups for term in group]


def clean_text(text: str) -> str:
    """Drop characters no database accepts in a query (NUL) and collapse whitespace."""
    return " ".join((text or "").replace("\x00", " ").split())


def parse_query(text: str) -> ParsedQuery:
    """Split `text` like `websearch_to_tsquery` does: words, "phrases", -not, `or`."""
    parsed = ParsedQuery()
    join_next = False
    for match in _TOKEN_RE.finditer(clean_text(text)):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if word.lower() == "or" and parsed.groups:
                join_next = True
                continue
            negated = word.startswith("-")
            term = " ".join(_WORD_RE.findall(word))
        else:
            term = " ".join(_WORD_RE.findall(phrase))
        if not term:
            continue
        if len(parsed.groups) + len(parsed.excluded) >= MAX_TERMS:
            break
        if negated:
            parsed.excluded.append(term)
        elif join_next:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        join_next = False
    return parsed


def _matches(term: str) -> Q:
    condition = Q()
    for name in _SEARCHED_FIELDS:
        condition |= Q(**{f"{name}__icontains": term})
    return condition


def search_filter(queryset: QuerySet, text: str) -> QuerySet:
    """Keep the claims that match `text`, without ranking or ordering (for counts and facets)."""
    text = clean_text(text)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_pg_query(text))
    parsed = parse_query(text)
    if not parsed.groups and not parsed.excluded:
        return queryset.none()
    for group in parsed.groups:
        alternatives = Q()
        for term in group:
            alternatives |= _matches(term)
        queryset = queryset.filter(alternatives)
    for term in parsed.excluded:
        queryset = queryset.exclude(_matches(term))
    return queryset


def search_claims(queryset: QuerySet, text: str) -> QuerySet:
    """Claims matching `text`, best first (ties broken by newest id), annotated with `rank`.

    PostgreSQL ranks with ts_rank over the weighted stored vector (statement above subject and
    outcome above quote). SQLite scores each matched term by where it occurs, with the same
    order of weights, so a statement match outranks a quote-only match there too.
    """
    text = clean_text(text)
    if not text:
        return queryset.order_by("-pk")
    queryset = search_filter(queryset, text)
    if connection.vendor == "postgresql":
        rank = SearchRank(F("search_vector"), _pg_query(text))
    else:
        terms = parse_query(text).positive_terms
        rank = Value(0, output_field=IntegerField())
        for term in terms:
            for name, weight in _FALLBACK_WEIGHTS:
                rank = rank + Case(
                    When(**{f"{name}__icontains": term}, then=Value(weight)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
    return queryset.annotate(rank=rank).order_by("-rank", "-pk")


def _pg_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config="english")


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
