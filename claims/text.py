"""Text compared and sorted the same way on SQLite and PostgreSQL.

- `Lowered`: LOWER() that lower-cases every letter on both databases. SQLite's own lower() knows
  only ASCII ("Ärger" stays "Ärger"), so on SQLite it calls Python's `str.lower`, registered on
  each new connection as `claims_lower`. On PostgreSQL it is plain LOWER(), the expression the
  claims' Lower() indexes hold, so those indexes still serve it.
- `sort_key`: the statement as the claim list sorts it (`Claim.statement_sort_key`): lower case,
  accents removed ("Éclair" sorts with "eclair"), computed in Python so both databases store the
  same key; `CodepointOrder` then compares keys by code point on both (SQLite's BINARY, and
  COLLATE "C" on PostgreSQL, whose default collation may ignore spaces and punctuation).
"""

import unicodedata

from django.db.models import Func
from django.db.models.functions import Lower

SORT_KEY_LENGTH = 300  # the statement's own maximum; a longer key (NFKD expands "ﬁ") is cut
SQLITE_LOWER = "claims_lower"


def sort_key(text: str) -> str:
    """`text` case-folded, compatibility-decomposed and without combining marks."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    key = "".join(char for char in decomposed if not unicodedata.combining(char))
    return key[:SORT_KEY_LENGTH]


class Lowered(Lower):
    """LOWER() that lower-cases non-ASCII letters on SQLite too."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_LOWER, **extra_context)


class CodepointOrder(Func):
    """Its argument, compared by code point on both databases (sorts and their index)."""

    arity = 1
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template='%(expressions)s COLLATE "C"', **extra_context
        )


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def register_sqlite_functions(sender, connection, **kwargs):
    """connection_created receiver: the functions our SQL uses on SQLite. Deterministic, so
    SQLite may use them anywhere an expression must give the same result every time."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_LOWER, 1, _lower, deterministic=True)
