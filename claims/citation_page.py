"""A cited work's public page: the work, and every published claim it bears on, grouped by
stance, each stance a page at a time.

A work cited by 10,000 claims stays fast: each link's claim is checked for being published
one by one (a lookup by primary key), reading the links in order from the index
(citation, stance, claim) and stopping as soon as a page, or a count's bound, is reached.
Counting every published claim exactly would check them all (tens of ms at 10,000; a join
instead reads every published claim's id): past COUNT_BOUND a stance says "over 1,000".
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from .models import Citation, Claim, Evidence
from .pagers import PER_PAGE, parse_page
from .scales import Stance, Status

PREVIEW = 10  # claims each stance shows on the work's page; the rest on the stance's pages
COUNT_BOUND = 1000
# Deeper than any stance's pages go, and shallow enough that OFFSET stays a bigint (a page
# number of 21 digits was a 500 on the work's page and in the API).
MAX_PAGE = 10**9
CITATION_COLUMNS = ("id", "title", "authors", "year", "venue", "doi", "pmid", "url",
                    "study_design", "design_note", "is_retracted", "retraction_status",
                    "retraction_date", "retraction_notice_doi", "retraction_reasons")  # fmt: skip


def published_links(citation) -> QuerySet:
    """The work's evidence links whose claim is published, each checked by its own lookup
    (a scalar subquery: the planner cannot turn it into a scan of every published claim)."""
    published = Claim.objects.filter(pk=OuterRef("claim_id"), status=Status.PUBLISHED)
    return (
        Evidence.objects.filter(citation=citation)
        # order_by(): neither the links' nor the claims' default ordering (a join, a sort).
        .order_by()
        .alias(published_claim=Subquery(published.order_by().values("pk")[:1]))
        .filter(published_claim__isnull=False)
    )


def published_citation(pk: int) -> Citation | None:
    """The work, when at least one published claim cites it; else None (a 404)."""
    return (
        Citation.objects.filter(pk=pk)
        .filter(Exists(published_links(OuterRef("pk"))))
        .only(*CITATION_COLUMNS)
        .order_by()
        .first()
    )


@dataclass
class Group:
    stance: Stance
    count: int  # exact up to COUNT_BOUND; COUNT_BOUND + 1 means "over COUNT_BOUND"
    links: list  # Evidence with its claim, newest claim first
    has_more: bool  # past these links

    @property
    def over_bound(self) -> bool:
        return self.count > COUNT_BOUND


@dataclass
class CitationPage:
    groups: list[Group]
    stance: Stance | None = None  # one stance's pages, or None: every stance's first claims
    number: int = 1
    message: str = ""

    @property
    def has_previous(self) -> bool:
        return self.stance is not None and self.number > 1

    @property
    def has_next(self) -> bool:
        return self.stance is not None and bool(self.groups) and self.groups[0].has_more


def _links(citation: Citation, stance: Stance, start: int, size: int) -> tuple[list, bool]:
    rows = list(
        published_links(citation)
        .filter(stance=stance)
        .select_related("claim")
        .only(
            "stance", "finding", "claim__slug", "claim__statement", "claim__grade", "claim__verdict"
        )  # fmt: skip
        .order_by("-claim_id")[start : start + size + 1]
    )
    return rows[:size], len(rows) > size


def _count(citation: Citation, stance: Stance) -> int:
    return published_links(citation).filter(stance=stance)[: COUNT_BOUND + 1].count()


def citation_page(citation: Citation, raw_stance: str | None, raw_page: str | None) -> CitationPage:
    """Every stance's count and first claims; or, with a stance, that stance a page at a time."""
    if raw_stance not in Stance.values:
        groups = []
        for stance in Stance:
            links, more = _links(citation, stance, 0, PREVIEW)
            if links:
                groups.append(
                    Group(stance, _count(citation, stance) if more else len(links), links, more)
                )
        message = f"“{raw_stance[:40]}” is not a stance." if raw_stance else ""
        return CitationPage(groups, message=message)
    stance = Stance(raw_stance)
    number, message = parse_page(raw_page)
    if number < 1:  # parse_page's "the last page": unknown past the bound
        number, message = 1, "Pages start at 1, so this is the first page."
    links, more = [], False
    if number <= MAX_PAGE:
        links, more = _links(citation, stance, (number - 1) * PER_PAGE, PER_PAGE)
    if not links and number > 1:
        message = f"There is no page {number} of these claims: this is the first."
        number = 1
        links, more = _links(citation, stance, 0, PER_PAGE)
    group = Group(stance, _count(citation, stance), links, more)
    return CitationPage([group] if links else [], stance, number, message)
