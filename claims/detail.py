"""What a claim page shows besides the claim's own fields: its evidence, its corrections log
and its ClaimReview JSON-LD, all read in the page's one query (see `claim_page_queryset`).
"""

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, connections
from django.db.models import F, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Substr
from django.db.models.query import get_related_populators
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import mark_safe

from .appearances import Shown, appearances_sql
from .models import (
    QUOTE_CONTEXT_WIDTH,
    Citation,
    Claim,
    Evidence,
    GradeAssessment,
    PublicChange,
    PublicProfile,
    QuoteContext,
    quote_context,
)
from .routing import read_database
from .scales import RATING_BEST, RATING_WORST, Grade, Stance, Verdict


def claim_page_queryset() -> QuerySet:
    """Published claims with their source, GRADE assessment, evidence and public log, in one
    query.

    Not loaded: what the page never shows (the search vector, the source's note, timestamps
    of edits) and the source's text, of which the page shows only the quote's surroundings:
    `quote_window` holds those (see `page_quote_context`).
    """
    window_start = Greatest(F("quote_start") - QUOTE_CONTEXT_WIDTH - 1, Value(0))
    return (
        Claim.objects.published()
        .select_related("source", "assessment")
        .defer(
            "search_vector",
            "updated_at",
            "version",
            "source__text",
            "source__note",
            "source__created_at",
            "source__updated_at",
            "assessment__created_at",
            "assessment__updated_at",
        )
        .annotate(
            public_changes_rows=public_changes_sql(),
            evidence_rows=evidence_sql(),
            appearance_rows=appearances_sql(),
            quote_window_start=window_start,
            quote_window=Substr(
                "source__text",
                window_start + 1,
                F("quote_end") + QUOTE_CONTEXT_WIDTH + 1 - window_start,
            ),
        )
    )


class PageQuery:
    """claim_page_queryset() for one slug, compiled once per process and database.

    Building and compiling the queryset (its annotations, the join, the deferred columns)
    took most of the time of a claim page whose rendering was cached; the statement never
    changes but for the slug. The rows become instances as Django's ModelIterable makes
    them, with the compiler's converters (SQLite's dates are text).
    """

    SLUG = "\x01slug\x01"  # stands for the slug among the compiled parameters

    def __init__(self, using: str):
        self.using = using
        compiler = claim_page_queryset().filter(slug=self.SLUG).query.get_compiler(using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slug_at = self.params.index(self.SLUG)
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _, _ in compiler.select])
        fields = compiler.klass_info["select_fields"]
        self.claim_columns = slice(fields[0], fields[-1] + 1)
        self.init_list = [col.target.attname for col, _, _ in compiler.select[self.claim_columns]]
        self.populators = get_related_populators(compiler.klass_info, compiler.select, using)
        self.annotations = dict(compiler.annotation_col_map)
        self.prepared_sql: str | None = None
        # Names the prepared statement: a process whose query changed (a deploy) prepares anew.
        self.digest = hashlib.sha256(self.sql.encode()).hexdigest()[:12]

    def get(self, slug: str) -> Claim | None:
        connection = connections[self.using]
        with connection.cursor() as cursor:
            # Not behind a transaction pooler: the next transaction may find another session.
            plain = connection.in_atomic_block or settings.DB_TRANSACTION_POOLING
            if connection.vendor == "postgresql" and not plain:
                row = self._execute_prepared(connection, cursor, slug)
            else:
                row = self._execute_plain(cursor, slug)
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        claim = Claim.from_db(self.using, self.init_list, row[self.claim_columns])
        for populator in self.populators:
            populator.populate(row, claim)
        for name, position in self.annotations.items():
            setattr(claim, name, row[position])
        return claim

    def _execute_prepared(self, connection, cursor, slug: str):
        """The row, through a statement prepared once per database session.

        PostgreSQL spends about half of this query's time planning it: a prepared statement
        is planned once. Its constants are inlined, so only the slug is a
        parameter and the generic plan stays the index lookup. Not inside a transaction (an
        error there would abort it); and if the statement went missing (a pooler that does
        not keep sessions), the plain query answers and the next request prepares again.
        """
        name = f"claims_page_{self.digest}"
        if getattr(connection, "_claims_page_session", None) is not connection.connection:
            connection._claims_page_session = None
            if self.prepared_sql is None:
                composed = connection.ops.compose_sql(self.sql, self.params)  # holds SLUG
                self.prepared_sql = composed.replace(
                    connection.ops.compose_sql("%s", [self.SLUG]), "$1"
                )
            try:
                cursor.execute(f"PREPARE {name}(text) AS {self.prepared_sql}")
            except DatabaseError as error:
                if "already exists" not in str(error):
                    raise
            connection._claims_page_session = connection.connection
        try:
            cursor.execute(f"EXECUTE {name}(%s)", [slug])
        except DatabaseError:
            connection._claims_page_session = None
            return self._execute_plain(cursor, slug)
        return cursor.fetchone()

    def _execute_plain(self, cursor, slug: str):
        params = list(self.params)
        params[self.slug_at] = slug
        cursor.execute(self.sql, params)
        return cursor.fetchone()


_page_queries: dict[str, PageQuery] = {}


def claim_for_page(slug: str, using: str | None = None) -> Claim | None:
    """The published claim with this slug, as claim_page_queryset() loads it, or None."""
    using = using or read_database()
    query = _page_queries.get(using)
    if query is None:
        query = _page_queries[using] = PageQuery(using)
    return query.get(slug)


def page_quote_context(claim: Claim) -> QuoteContext:
    """The quote in its paragraph, from the window claim_page_queryset read."""
    return quote_context(
        claim.quote_window,
        claim.quote_window_start,
        claim.quote_start,
        claim.quote_end,
        QUOTE_CONTEXT_WIDTH,
    )


class PageCache:
    """Rendered claim pages by what they show, the least recently used dropped first.

    The key is every value the page's one query loaded (and the settings and people it
    names), so a page is never stale: the database is still asked on every request, and a
    page whose data changed has a new key. What is saved is the rendering (most of a claim
    page's time). Thread-safe (gunicorn's gthread workers); one per process.
    """

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: str) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


PAGES = PageCache(settings.CLAIMS_PAGE_CACHE_SIZE)


def page_key(claim: Claim, people: "Credits | None") -> str:
    """Everything a claim page shows, as one string (see PageCache)."""

    def loaded(obj) -> list:
        return sorted((k, v) for k, v in vars(obj).items() if not k.startswith("_"))

    named = None
    if people is not None:
        named = [
            [(p.public_name, p.conflicts) for p in group]
            for group in (people.reviewers, people.editors)
        ] + [people.unnamed]
    assessment = loaded_assessment(claim)
    return repr(
        (
            settings.SITE_NAME,
            settings.SITE_URL,
            loaded(claim),
            loaded(claim.source),
            assessment and loaded(assessment),
            named,
        )
    )


def loaded_assessment(claim: Claim) -> GradeAssessment | None:
    """The claim's GRADE assessment as its page's query loaded it, None when it has none."""
    try:
        return claim.assessment
    except GradeAssessment.DoesNotExist:
        return None


def evidence_groups(links: list[Evidence]) -> list[dict]:
    """A claim's evidence links grouped by stance (in Stance order), in `links`' order."""
    by_stance = {stance: [] for stance in Stance}
    for link in links:
        by_stance[Stance(link.stance)].append(link)
    return [{"stance": stance, "links": items} for stance, items in by_stance.items() if items]


def json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json"> block; </script> cannot break out."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)  # nosec B308 B703 # <, > and & are escaped above


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def claim_review(
    claim: Claim, log: list, people: list[dict] = (), appearances: list[Shown] = ()
) -> dict | None:
    """The schema.org ClaimReview for a published claim; None when its verdict is unrated.

    `log` is the claim's public log (`corrections`): datePublished is its first publication,
    which never moves; dateModified its last approved change. `appearances` (oldest first):
    every text that makes the claim, the first being `firstAppearance`.
    """
    verdict = claim.verdict_choice
    if verdict.rating_value is None:
        return None
    works = [appearance.creative_work() for appearance in appearances]
    item = {"@type": "Claim", "appearance": works}
    if works:
        item["firstAppearance"] = works[0]
    if published_on := works and works[0].get("datePublished"):
        item["datePublished"] = published_on
    organisation = {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": absolute(claim.get_absolute_url()),
        "claimReviewed": claim.statement,
        "datePublished": log[0].date.date().isoformat(),
        "dateModified": log[-1].date.date().isoformat(),
        "author": organisation,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": verdict.rating_value,
            "bestRating": RATING_BEST,
            "worstRating": RATING_WORST,
            "alternateName": verdict.label,
        },
        "itemReviewed": item,
    } | ({"contributor": list(people)} if people else {})


# What the corrections log shows of each approved change (claim_detail.html).
CHANGE_FIELDS = ("approved_at", "kind", "old_grade", "new_grade", "old_verdict", "new_verdict",
                 "summary", "note", "id")  # fmt: skip


@cache
def _public_changes_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    values = ", ".join(
        f"p.{quote(PublicChange._meta.get_field(name).column)}" for name in CHANGE_FIELDS
    )
    array = (
        f"json_agg(json_build_array({values}))"
        if vendor == "postgresql"
        else f"json_group_array(json_array({values}))"
    )
    return (
        f"SELECT {array} FROM {quote(PublicChange._meta.db_table)} p "
        f"WHERE p.{quote('claim_id')} = {quote(Claim._meta.db_table)}.{quote('id')}"  # nosec B608 # model names; values bound
    )


def public_changes_sql() -> RawSQL:
    """A subquery for the claim page's one query: its approved changes (PublicChange), as a
    JSON array of rows in CHANGE_FIELDS order."""
    return RawSQL(_public_changes_sql(connection.vendor), [])  # nosec B611 # fixed SQL; values bound


# What the claim page shows of each evidence link and its citation (claim_detail.html).
EVIDENCE_FIELDS = ("id", "stance", "finding")
# The notice fields are part of each row, and so of the page's cache key (page_key): a work
# flagged by import_retractions shows its flag on every citing page at once.
CITATION_FIELDS = ("id", "title", "authors", "year", "venue", "doi", "pmid", "url",
                   "study_design", "design_note", "is_retracted", "retraction_status",
                   "retraction_date")  # fmt: skip
_RETRACTED_AT = CITATION_FIELDS.index("is_retracted")
_NOTICE_DATE_AT = CITATION_FIELDS.index("retraction_date")


@cache
def _evidence_sql(vendor: str) -> str:
    quote = connection.ops.quote_name

    def columns(model, alias, names):
        return [f"{alias}.{quote(model._meta.get_field(name).column)}" for name in names]

    values = ", ".join(
        columns(Evidence, "e", EVIDENCE_FIELDS) + columns(Citation, "c", CITATION_FIELDS)
    )
    array = (
        f"json_agg(json_build_array({values}))"
        if vendor == "postgresql"
        else f"json_group_array(json_array({values}))"
    )
    return (
        f"SELECT {array} FROM {quote(Evidence._meta.db_table)} e "
        f"JOIN {quote(Citation._meta.db_table)} c ON c.{quote('id')} = e.{quote('citation_id')} "
        f"WHERE e.{quote('claim_id')} = {quote(Claim._meta.db_table)}.{quote('id')}"  # nosec B608 # model names; values bound
    )


def evidence_sql() -> RawSQL:
    """A subquery for the claim page's one query: the claim's evidence links with their
    citations, as a JSON array of rows (EVIDENCE_FIELDS then CITATION_FIELDS)."""
    return RawSQL(_evidence_sql(connection.vendor), [])  # nosec B611 # fixed SQL; values bound


def evidence_links(claim: Claim) -> list[Evidence]:
    """The claim's evidence links (each with its citation), newest work first, works without
    a year last, then by link id: from the claim's `evidence_rows` annotation."""
    raw = claim.evidence_rows
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    links = []
    split = len(EVIDENCE_FIELDS)
    for row in raw or []:
        link = Evidence.from_db("default", EVIDENCE_FIELDS, row[:split])
        values = list(row[split:])
        values[_RETRACTED_AT] = bool(values[_RETRACTED_AT])  # SQLite's JSON writes 0 or 1
        if isinstance(values[_NOTICE_DATE_AT], str):  # JSON carries a date as text
            values[_NOTICE_DATE_AT] = parse_date(values[_NOTICE_DATE_AT][:10])
        link.citation = Citation.from_db("default", CITATION_FIELDS, values)
        link.claim = claim
        links.append(link)
    links.sort(key=lambda link: (link.citation.year is None, -(link.citation.year or 0), link.pk))
    return links


def _aware(value) -> datetime:
    when = parse_datetime(value) if isinstance(value, str) else value
    # SQLite keeps UTC without an offset (USE_TZ); PostgreSQL's JSON carries "+00:00".
    return timezone.make_aware(when, UTC) if timezone.is_naive(when) else when


@dataclass(frozen=True)
class LogEntry:
    """One line of a claim's public log: its first publication, or an approved change."""

    date: datetime
    kind: str  # "published", or a ChangeKind
    grade: Grade  # after the change
    verdict: Verdict
    old_grade: Grade | None = None
    old_verdict: Verdict | None = None
    summary: str = ""
    note: str = ""

    @property
    def grade_changed(self) -> bool:
        return self.old_grade is not None and self.old_grade != self.grade

    @property
    def verdict_changed(self) -> bool:
        return self.old_verdict is not None and self.old_verdict != self.verdict


def corrections(claim: Claim) -> list[LogEntry]:
    """The claim's public log, oldest first: its first publication (with the grade and verdict
    it had then), then each approved change. Reads the claim's `public_changes` annotation
    when it was loaded with one (claim_page_queryset), else asks."""
    raw = getattr(claim, "public_changes_rows", None)
    if raw is None and not hasattr(claim, "public_changes_rows"):
        raw = [[getattr(c, name) for name in CHANGE_FIELDS] for c in claim.public_changes.all()]
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    rows = sorted(
        (_aware(when), pk, kind, old_g, new_g, old_v, new_v, summary, note)
        for when, kind, old_g, new_g, old_v, new_v, summary, note, pk in raw or []
    )
    changes = [
        LogEntry(when, kind, Grade(new_g), Verdict(new_v), Grade(old_g), Verdict(old_v),
                 summary, note)
        for when, _, kind, old_g, new_g, old_v, new_v, summary, note in rows
    ]  # fmt: skip
    if claim.published_at is None:
        return changes
    first = changes[0] if changes else None
    published = LogEntry(
        _aware(claim.published_at),
        "published",
        first.old_grade if first else claim.grade_choice,
        first.old_verdict if first else claim.verdict_choice,
    )
    return [published, *changes]


def date_modified(log: list[LogEntry]) -> datetime | None:
    """ClaimReview's dateModified: the last approved change, else the first publication."""
    return log[-1].date if log else None


@dataclass(frozen=True)
class Credits:
    """Who reviewed a claim and who approved it, as readers may see them: by the public
    profile each keeps (an account without one is counted, never named)."""

    reviewers: list[PublicProfile]
    editors: list[PublicProfile]
    unnamed: int


def credits(claim: Claim) -> Credits | None:
    """The claim's reviewers (who graded its live version, who proposed an approved change)
    and editors (who first published it, who approved a change); None unless the setting
    DJANGO_PUBLIC_REVIEWERS names people. Asks the database (two queries)."""
    if not settings.PUBLIC_REVIEWERS:
        return None
    changes = list(
        claim.public_changes.values_list("approved_by_id", "claim_revision__proposed_by_id")
    )
    reviewer_ids = {claim.reviewed_by_id, *(proposer for _, proposer in changes)} - {None}
    editor_ids = {claim.published_by_id, *(editor for editor, _ in changes)} - {None}
    profiles = PublicProfile.objects.in_bulk(reviewer_ids | editor_ids, field_name="user_id")

    def named(ids):
        return sorted((profiles[pk] for pk in ids if pk in profiles), key=lambda p: p.public_name)

    return Credits(
        named(reviewer_ids), named(editor_ids), len((reviewer_ids | editor_ids) - profiles.keys())
    )


def contributors(people: Credits | None) -> list[dict]:
    """schema.org Persons for ClaimReview's `contributor`: public names only."""
    if people is None:
        return []
    named = {p.user_id: p for p in [*people.reviewers, *people.editors]}.values()
    return [{"@type": "Person", "name": p.public_name} for p in named]
