"""The public site: claims list, claim pages, sources, methodology, and the CSV download.

Each view parses the request, asks the module that knows (listing, detail, marks, export) and
renders; none builds a query of its own beyond a generic view's.
"""

from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import DetailView, ListView, TemplateView

from . import appearances, detail, export, grading, listing, merging, pagers, pictures, reports
from .clientip import client_address
from .filters import select_claims
from .findings import summary_of_findings
from .forms import ErrorReportForm
from .marks import Mark, mark_quotes
from .models import Appearance, Claim, Source
from .scales import (
    RATING_BEST,
    RATING_WORST,
    Grade,
    Stance,
    Status,
    StudyDesign,
    Verdict,
    grade_explanation,
)


def home(request):
    return redirect("claims:claim-list")


def claim_list(request):
    """/claims/: the same selection as select_claims() (and so the CSV), one page of it."""
    page = listing.claim_page(request.GET)
    return render(
        request, "claims/claim_list.html", {"page": page, "nav": "claims"}, status=page.status
    )


def claim_export(request):
    """/claims/export.csv: the same claims as /claims/ for this query string, all pages."""
    selection = select_claims(request.GET)
    if selection.errors:
        message = "This download cannot be made:\n" + "\n".join(selection.errors)
        return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")
    return export.csv_response(selection.queryset, excel=request.GET.get("excel") == "1")


@require_safe
def claim_detail(request, slug):
    """/claims/<slug>/: one claim, read in one query, rendered once per distinct content
    (detail.PAGES): the page of a claim whose data did not change is the same string."""
    claim = detail.claim_for_page(slug)
    if claim is None:
        return moved_or_404(slug, "claims:claim-detail")
    people = detail.credits(claim)
    key = detail.page_key(claim, people)
    page = detail.PAGES.get(key)
    if page is None:
        page = render_to_string(
            "claims/claim_detail.html", claim_context(claim, people), request=request
        )
        detail.PAGES.put(key, page)
    return HttpResponse(page)


def moved_or_404(slug: str, name: str, *args):
    """A merged claim's address (any of its pages) answers 301 with its survivor's; any other
    unpublished or unknown claim's is a 404."""
    survivor = merging.survivor_slug(slug)
    if survivor is None:
        raise Http404("No published claim has this address.")
    return redirect(reverse(name, args=[survivor, *args]), permanent=True)


def claim_context(claim, people) -> dict:
    links = detail.evidence_links(claim)
    groups = detail.evidence_groups(links)
    log = detail.corrections(claim)
    made_in = appearances.page_appearances(claim)
    review = detail.claim_review(claim, log, detail.contributors(people), made_in) if log else None
    return {
        "claim": claim,
        "nav": "claims",
        "evidence_groups": groups,
        "evidence_total": len(links),
        "findings": summary_of_findings(
            detail.loaded_assessment(claim), claim.grade_choice, claim.verdict_choice, links
        ),
        "corrections": log,
        "credits": people,
        "json_ld": detail.json_ld(review) if review else "",
        "context": detail.page_quote_context(claim),
        "grade": claim.grade_choice,
        "grade_explanation": grade_explanation(claim.grade_choice, claim.verdict_choice),
        "verdict": claim.verdict_choice,
        "source_quote_url": f"{claim.source.get_absolute_url()}#quote-{claim.pk}",
        "appearances": made_in,
        "more_appearances": max(0, claim.appearance_count - len({a.source_id for a in made_in})),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def claim_report(request, slug):
    """/claims/<slug>/report/: a reader tells the editors what is wrong with a claim's page.

    Its own page, so the claim page carries no form (and no CSRF token) and stays cacheable.
    Refused, with nothing written: a full hour's allowance for the client's address (429), an
    empty, too long or robot-filled report, an invalid email (400).
    """
    claim = Claim.objects.published().only("pk", "slug", "statement").filter(slug=slug).first()
    if claim is None:
        return moved_or_404(slug, "claims:claim-report")
    form, status = ErrorReportForm(), 200
    if request.method == "POST":
        key = reports.client_key(client_address(request))
        form = ErrorReportForm(request.POST)
        try:
            reports.check_rate(key)
            if form.is_valid():
                data = form.cleaned_data
                reports.file_report(claim=claim, text=data["text"], email=data["email"], key=key)
                return redirect(reverse("claims:claim-report", args=[slug]) + "?sent=1")
            status = 400
        except reports.RateLimited as limited:
            form.add_error(None, str(limited))
            status = 429
    context = {"claim": claim, "form": form, "sent": request.GET.get("sent") == "1"}
    return render(request, "claims/claim_report.html", context | {"nav": "claims"}, status=status)


class SourceListView(ListView):
    template_name = "claims/source_list.html"
    context_object_name = "sources"
    extra_context = {"nav": "sources"}
    paginate_by = 50

    def get_queryset(self):
        # No count per source here: counted in the same query, it would be computed for
        # every source before the page's fifty.
        return (
            Source.objects.with_published_claims()
            .only("title", "kind", "publisher", "published_on")
            .order_by(Lower("title"), "pk")
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        version = getattr(self.request, "data_version", None)  # public requests only
        return pagers.CountedPerVersionPaginator(queryset, per_page, version=version, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        raw = self.request.GET.get("page") or "1"
        page = paginator.get_page(raw)
        self.page_message = _page_message(raw if raw != "1" else None, paginator)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_message"] = self.page_message
        sources = context["sources"] = list(context["sources"])
        # The published claims each text makes (a claim made twice in one text counts once).
        counts = dict(
            Appearance.objects.filter(
                source__in=[source.pk for source in sources], claim__status=Status.PUBLISHED
            )
            .order_by()
            .values_list("source")
            .annotate(n=Count("claim", distinct=True))
        )
        for source in sources:
            source.published_count = counts.get(source.pk, 0)
        return context


def _page_message(raw: str | None, paginator: Paginator) -> str:
    """Explain a page number we could not honour (Django then shows the first or last page)."""
    if raw is None or raw == "":
        return ""
    number, message = pagers.parse_page(raw)
    if message or number <= paginator.num_pages:
        return message
    pages = f"{paginator.num_pages} page" + ("s" if paginator.num_pages != 1 else "")
    return f"There is no page {number}: this selection has {pages}. This is the last one."


class SourceDetailView(DetailView):
    queryset = Source.objects.with_published_claims()
    template_name = "claims/source_detail.html"
    context_object_name = "source"
    extra_context = {"nav": "sources"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = self.object
        # Every passage of this text that makes a published claim (a claim may be made twice).
        appearances = list(
            Appearance.objects.filter(source=source, claim__status=Status.PUBLISHED)
            .select_related("claim")
            .only(
                "pk",
                "quote_start",
                "quote_end",
                "claim__slug",
                "claim__statement",
                "claim__grade",
                "claim__verdict",
            )
            .order_by("quote_start", "pk")
        )
        by_id = {}
        for appearance in appearances:
            by_id.setdefault(appearance.claim_id, appearance.claim)
        claims = list(by_id.values())
        for number, claim in enumerate(claims, start=1):
            claim.number = number
        marks = [Mark(a.pk, by_id[a.claim_id], a.quote_start, a.quote_end) for a in appearances]
        present = {claim.verdict for claim in claims}
        list_url = reverse("claims:claim-list") + f"?source={source.pk}"
        return context | {
            "claims": claims,
            "paragraphs": mark_quotes(source.text, marks),
            "legend": [verdict for verdict in Verdict if verdict in present],
            "list_url": list_url,
            "scorecard": pictures.scorecard(claims, list_url),
        }


class MethodologyView(TemplateView):
    template_name = "claims/methodology.html"
    extra_context = {
        "nav": "methodology",
        "grades": list(Grade),
        "verdicts": list(Verdict),
        "designs": list(StudyDesign),
        "stances": list(Stance),
        "best": RATING_BEST,
        "worst": RATING_WORST,
        "down_domains": [grading.Rating(d, -1) for d in grading.DOWN_DOMAINS],
        "up_domains": [grading.Rating(d, 1) for d in grading.UP_DOMAINS],
        "rating_up_rule": grading.RATING_UP_RULE,
    }
