"""The public pages of cited works, and the reference downloads (BibTeX, RIS, CSL-JSON) of a
work and of a claim's reference list. Only what published claims cite is public."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import citation_page, detail, formats, views


@require_safe
def citation_detail(request, pk):
    """/citations/<id>/: the work, its links and notice, and the published claims it bears on."""
    work = citation_page.published_citation(pk)
    if work is None:
        raise Http404("No published claim cites a work with this id.")
    page = citation_page.citation_page(work, request.GET.get("stance"), request.GET.get("page"))
    context = {
        "citation": work,
        "page": page,
        "bound": citation_page.COUNT_BOUND,
        "nav": "claims",
    }
    return render(request, "claims/citation_detail.html", context)


def _download(works, fmt: str, filename: str) -> HttpResponse:
    if fmt not in formats.FORMATS:
        raise Http404("Downloads are .bib, .ris or .json.")
    content_type, extension = formats.FORMATS[fmt]
    response = HttpResponse(formats.WRITERS[fmt](works), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


@require_safe
def citation_download(request, pk, fmt):
    """/citations/<id>.bib|.ris|.json"""
    work = citation_page.published_citation(pk)
    if work is None:
        raise Http404("No published claim cites a work with this id.")
    return _download([work], fmt, f"citation-{work.pk}")


@require_safe
def claim_references(request, slug, fmt):
    """/claims/<slug>/references.bib|.ris|.json: the works the claim page lists, in its
    order, read by the page's own query."""
    claim = detail.claim_for_page(slug)
    if claim is None:
        return views.moved_or_404(slug, "claims:claim-references", fmt)
    works = [
        link.citation
        for group in detail.evidence_groups(detail.evidence_links(claim))
        for link in group["links"]
    ]
    return _download(works, fmt, f"{claim.slug}-references")
