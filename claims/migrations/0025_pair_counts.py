"""Exact counts for a two-word phrase without reading its matches (PostgreSQL only).

A phrase search (`/claims/?q="hair loss"`) counted its grade × verdict grid over the first
`CLAIMS_SEARCH_BOUND` + 1 matches, after the GIN index had found every claim holding both words
and each candidate's vector had been read again to check that they stand side by side: a cost
that grows with the data (four times from 1M to 5M claims), for a lower bound. claims_paircount
holds the published claims per (lexeme, next lexeme, grade, verdict), the lexemes at adjacent
positions of the claim's search vector, which is what `'first' <-> 'second'` matches: a
two-word phrase filtered by nothing but grade and verdict (claims/sidetables.py `_word_grid`)
sums at most twenty rows, exactly, at any size.

Kept like migration 0024's word counts, by statement-level triggers on claims_claim in the
writer's transaction; `claims_paircount_fill` computes it from scratch, and
`check_listing_tables` compares against it and repairs.
"""

from importlib import import_module

from django.db import migrations

# Kept by the same triggers as the word counts, from this table's contribution.
words = import_module("claims.migrations.0024_word_counts")

KEY = "first, second, grade, verdict"


def positions(vector: str) -> str:
    return f"(SELECT u.lexeme, pos FROM unnest({vector}) u, unnest(u.positions) pos)"


def contribution(claims: str, sign: int, extra: str = "") -> str:
    """(first, second, grade, verdict, ±1) for every pair of lexemes at adjacent positions of
    every published claim in `claims`, once a claim."""
    vector = "coalesce(c.search_vector, ''::tsvector)"
    return (
        f"SELECT pair.first, pair.second, c.grade, c.verdict, {sign} AS d FROM {claims} c "
        "CROSS JOIN LATERAL (SELECT DISTINCT a.lexeme AS first, b.lexeme AS second "
        f"FROM {positions(vector)} a JOIN {positions(vector)} b ON b.pos = a.pos + 1) pair "
        f"WHERE c.status = 'published'{extra}"
    )


FORWARD, BACKWARD = words.kept_by_triggers(
    "claims_paircount", "first text NOT NULL,\n    second text NOT NULL", KEY, contribution
)


class Migration(migrations.Migration):
    dependencies = [("claims", "0024_word_counts")]

    operations = [words.on_postgres(FORWARD, BACKWARD)]
