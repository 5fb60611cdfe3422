"""A claim made in more texts: linking an appearance, and a candidate that repeats a claim.

The writes here keep the quote invariant for every appearance and refuse what would make the
record wrong (a merged claim gaining appearances, the same passage twice). The number of texts
(`Claim.appearance_count`) is kept by the database (migration 0017), whatever writes the rows.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import Truncator

from .models import Appearance, Claim, Source, check_quote
from .scales import Status
from .services import WorkflowError, lock_claim


@transaction.atomic
def add_appearance(
    *,
    claim: Claim,
    source: Source,
    quote: str,
    quote_start: int | None = None,
    quote_end: int | None = None,
    user=None,
) -> Appearance:
    """Record that `source` makes `claim`, in `quote` (located when no offsets are given).

    Refuses (ValidationError) a quote that does not match the text, and the same passage
    linked twice; (WorkflowError) a claim merged away, or a user who may not change claims.
    """
    if user is not None and not user.has_perm("claims.change_claim"):
        raise WorkflowError("you do not have permission to change claims")
    current = lock_claim(claim=claim, seen_version=None)
    if current.status == Status.MERGED:
        raise WorkflowError(
            f"claim #{current.pk} was merged into claim #{current.merged_into_id}: "
            "link the appearance to that claim"
        )
    quote_start, quote_end = check_quote(source.text, quote, quote_start, quote_end)
    appearance = Appearance(
        claim=current,
        source=source,
        quote=quote,
        quote_start=quote_start,
        quote_end=quote_end,
        added_by=user,
    )
    appearance._history_user = user
    try:
        with transaction.atomic():
            appearance.save()
    except IntegrityError as error:  # the unique passage constraint, however it came twice
        raise ValidationError(
            f"This passage of “{Truncator(source.title).chars(60)}” is already an appearance "
            f"of claim #{current.pk}."
        ) from error
    return appearance


# --- what a claim page shows of them -------------------------------------------------------

# A claim page lists at most this many texts (oldest first) and says how many more there are.
PAGE_LIMIT = 100
# What the claim page reads of each appearance and its source, in this order.
APPEARANCE_FIELDS = ("id", "quote", "quote_start", "found_at")
SOURCE_FIELDS = ("id", "title", "url", "publisher", "author", "published_on")


@dataclass(frozen=True)
class Shown:
    """One appearance as a claim page shows it: the text that makes the claim, the quote."""

    pk: int
    quote: str
    quote_start: int
    found_at: datetime
    source_id: int
    title: str
    url: str
    publisher: str
    author: str
    published_on: date | None

    @property
    def marked_url(self) -> str:
        """The source page, at this passage (claims/marks.py gives every passage an anchor)."""
        return reverse("claims:source-detail", args=[self.source_id]) + f"#appearance-{self.pk}"

    def creative_work(self) -> dict:
        """schema.org CreativeWork for ClaimReview's itemReviewed.appearance."""
        work = {
            "@type": "CreativeWork",
            "name": self.title,
            "url": self.url or f"{settings.SITE_URL}{self.marked_url}",
            "text": self.quote,
        }
        if self.author:
            work["author"] = {"@type": "Person", "name": self.author}
        if self.publisher:
            work["publisher"] = {"@type": "Organization", "name": self.publisher}
        if self.published_on:
            work["datePublished"] = self.published_on.isoformat()
        return work


@cache
def _appearances_sql(vendor: str) -> str:
    quote = connection.ops.quote_name

    def columns(model, alias, names):
        return [f"{alias}.{quote(model._meta.get_field(name).column)}" for name in names]

    values = columns(Appearance, "a", APPEARANCE_FIELDS) + columns(Source, "s", SOURCE_FIELDS)
    inner = ", ".join(f"{value} AS v{i}" for i, value in enumerate(values))
    outer = ", ".join(f"p.v{i}" for i in range(len(values)))
    array = (
        f"json_agg(json_build_array({outer}) ORDER BY p.v3, p.v0)"
        if vendor == "postgresql"
        else f"json_group_array(json_array({outer}))"
    )
    appearance, source, claim = (
        quote(model._meta.db_table) for model in (Appearance, Source, Claim)
    )
    return (
        f"SELECT {array} FROM (SELECT {inner} FROM {appearance} a "
        f"JOIN {source} s ON s.{quote('id')} = a.{quote('source_id')} "
        f"WHERE a.{quote('claim_id')} = {claim}.{quote('id')} "
        f"ORDER BY a.{quote('found_at')}, a.{quote('id')} LIMIT {PAGE_LIMIT}) p"  # nosec B608 # model names and a constant
    )


def appearances_sql() -> RawSQL:
    """A subquery for the claim page's one query: its oldest PAGE_LIMIT appearances with their
    sources, as a JSON array of rows (APPEARANCE_FIELDS then SOURCE_FIELDS)."""
    return RawSQL(_appearances_sql(connection.vendor), [])  # nosec B611 # fixed SQL


def page_appearances(claim: Claim) -> list[Shown]:
    """The claim's appearances, oldest first, from its `appearance_rows` annotation."""
    raw = claim.appearance_rows
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    shown = []
    for pk, quote, quote_start, found_at, source_id, title, url, publisher, author, on in raw or []:
        if isinstance(found_at, str):  # JSON carries a timestamp as text
            found_at = parse_datetime(found_at)
            if timezone.is_naive(found_at):  # SQLite keeps UTC without an offset
                found_at = timezone.make_aware(found_at, UTC)
        published_on = parse_date(on[:10]) if isinstance(on, str) else on
        shown.append(
            Shown(pk, quote, quote_start, found_at, source_id, title, url or "",
                  publisher or "", author or "", published_on)
        )  # fmt: skip
    shown.sort(key=lambda item: (item.found_at, item.pk))
    return shown


# --- SQLite: the counting triggers after a migration -----------------------------------------


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver (SQLite): a migration that rebuilds claims_appearance drops its
    triggers (SQLite rebuilds a table to alter it); put them back and recount every claim.
    Nothing to do elsewhere, nor before migration 0017."""
    db = connections[using]
    if db.vendor != "sqlite":
        return
    wanted = import_module("claims.migrations.0017_appearances")
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND (name = 'claims_appearance' OR tbl_name = 'claims_appearance')"
        )
        present = {name for (name,) in cursor.fetchall()}
        triggers = {statement.split()[2] for statement in wanted.SQLITE_TRIGGERS}
        if "claims_appearance" not in present or triggers <= present:
            return
        for statement in [*wanted.SQLITE_DROP, *wanted.SQLITE_TRIGGERS]:
            cursor.execute(statement)
        for statement in RECOUNT_ALL:
            cursor.execute(statement)


# Every claim's count and first-appearance copy, by the restored triggers themselves (a no-op
# update of each appearance fires them); a claim left with none counts none.
RECOUNT_ALL = (
    "UPDATE claims_appearance SET claim_id = claim_id",
    "UPDATE claims_claim SET appearance_count = 0 WHERE appearance_count <> 0 AND NOT EXISTS "
    "(SELECT 1 FROM claims_appearance a WHERE a.claim_id = claims_claim.id)",
)
