"""A cited work's public page: the work, and every published claim it bears on, grouped by
stance, a page at a time.

A work cited by 10,000 claims stays fast: one count per stance, then each stance's slice of
the page read in claim order from the index (citation, stance, claim).
"""

from dataclasses import dataclass

from django.db.models import Count

from .listing import PER_PAGE, fit_page, parse_page
from .models import Citation, Evidence
from .scales import Stance, Status

PAGE_SIZE = PER_PAGE  # fit_page counts pages of this size
CITATION_COLUMNS = ("id", "title", "authors", "year", "venue", "doi", "pmid", "url",
                    "study_design", "design_note", "is_retracted", "retraction_status",
                    "retraction_date", "retraction_notice_doi", "retraction_reasons")  # fmt: skip


def published_citation(pk: int) -> Citation | None:
    """The work, when at least one published claim cites it; else None (a 404)."""
    cited = Evidence.objects.filter(citation=pk, claim__status=Status.PUBLISHED)
    return (
        Citation.objects.filter(pk=pk, pk__in=cited.values("citation"))
        .only(*CITATION_COLUMNS)
        .first()
    )


@dataclass
class Group:
    stance: Stance
    total: int  # on every page
    links: list  # this page's Evidence, each with its claim


@dataclass
class ClaimsPage:
    number: int
    pages: int
    total: int
    message: str
    groups: list[Group]

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def claims_page(citation: Citation, raw_page: str | None) -> ClaimsPage:
    """The published claims citing the work, by stance (in Stance order), newest first."""
    published = Evidence.objects.filter(citation=citation, claim__status=Status.PUBLISHED)
    counts = dict(published.order_by().values_list("stance").annotate(n=Count("pk")))
    total = sum(counts.values())
    number, message = parse_page(raw_page)
    number, message = fit_page(number, total, message)
    pages = max(1, -(-total // PAGE_SIZE))
    start, end = (number - 1) * PAGE_SIZE, number * PAGE_SIZE
    groups, before = [], 0
    for stance in Stance:
        count = counts.get(stance.value, 0)
        low, high = max(start - before, 0), min(end - before, count)
        if count and low < high:
            links = list(
                published.filter(stance=stance)
                .select_related("claim")
                .only(
                    "stance",
                    "finding",
                    "claim__slug",
                    "claim__statement",
                    "claim__grade",
                    "claim__verdict",
                )  # fmt: skip
                .order_by("-claim_id")[low:high]
            )
            groups.append(Group(stance, count, links))
        before += count
    return ClaimsPage(number, pages, total, message, groups)
