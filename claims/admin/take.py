"""Take a claim from a source by selecting text: the source page shows the text with the
quotes already taken marked, and a claim is created from exactly the selected span.

With JavaScript (static/js/take-claim.js) a reviewer selects any passage; without it, a
numbered list of the text's sentences links to the same form. Either way the new claim goes
through services.save_claim, like a claim added by hand.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator

from .. import extraction, services
from ..models import Claim, Source
from ..scales import ClaimType
from ..sentences import sentence_spans, strip_marker
from ..spans import selected_span

# The no-JavaScript list names every sentence up to this many; a longer text is rare, and its
# later sentences are still reachable by selecting them.
MAX_LISTED_SENTENCES = 5000


class TakeClaimForm(forms.Form):
    start = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    end = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    statement = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80, "class": "vLargeTextField"}),
        help_text="One checkable statement, without the marketing framing.",
    )
    subject = forms.CharField(max_length=100, required=False)
    outcome = forms.CharField(max_length=200, required=False)
    claim_type = forms.ChoiceField(choices=ClaimType.choices, label="Claim type")


def take_url(source: Source, start: int, end: int, unit: str = "char") -> str:
    url = reverse("admin:claims_source_take_claim", args=[source.pk])
    return f"{url}?{urlencode({'start': start, 'end': end, 'unit': unit})}"


def marked_text(source: Source):
    """The source's text, every character in place, with the quotes of its claims in <mark>.

    One sweep over the quote boundaries (sorted once), so a text with thousands of claims
    renders in time proportional to its size.
    """
    text = source.text
    quotes = list(source.claims.values_list("pk", "quote_start", "quote_end"))
    events = sorted({0, len(text), *(p for _, s, e in quotes for p in (s, e) if p <= len(text))})
    starts, ends = {}, {}
    for pk, start, end in quotes:
        starts.setdefault(start, []).append(pk)
        ends.setdefault(end, []).append(pk)
    covering: set[int] = set()
    pieces = []
    for begin, finish in zip(events, events[1:], strict=False):
        covering.difference_update(ends.get(begin, ()))
        covering.update(starts.get(begin, ()))
        piece = text[begin:finish]
        if covering:
            numbers = ", ".join(f"#{pk}" for pk in sorted(covering))
            pieces.append(format_html('<mark title="Claim {}">{}</mark>', numbers, piece))
        else:
            pieces.append(format_html("{}", piece))
    return format_html_join("", "{}", ((p,) for p in pieces))


def sentence_links(source: Source):
    items = []
    for start, end in sentence_spans(source.text)[:MAX_LISTED_SENTENCES]:
        start = strip_marker(source.text, start, end)
        items.append((take_url(source, start, end), Truncator(source.text[start:end]).chars(160)))
    return format_html_join("", '<li><a href="{}">{}</a></li>', items)


def take_claim_panel(source: Source):
    return format_html(
        '<p class="help" id="take-claim-help">Select a passage of the text, then choose '
        "“Take a claim from the selection”. Marked passages are already claims. Without "
        "JavaScript, pick a sentence from the numbered list below the text.</p>"
        '<p class="take-claim-actions"><a class="button" id="take-claim-link" hidden '
        'data-url="{}" href="{}">Take a claim from the selection</a> '
        '<span id="take-claim-status" role="status" aria-live="polite"></span></p>'
        '<div class="source-text" id="source-text" tabindex="0" role="region" '
        'aria-label="Source text">{}</div>'
        "<details><summary>Take a claim from a sentence (numbered list)</summary>"
        '<ol class="sentence-list">{}</ol></details>',
        reverse("admin:claims_source_take_claim", args=[source.pk]),
        "#source-text",
        marked_text(source),
        sentence_links(source),
    )


def take_claim_view(model_admin, request, object_id):
    """GET: the selected quote with suggestions to edit; POST: store it as a claim."""
    source = get_object_or_404(Source, pk=object_id)
    if not request.user.has_perm("claims.add_claim"):
        raise PermissionDenied
    back = reverse("admin:claims_source_change", args=[source.pk])
    data = request.POST if request.method == "POST" else request.GET
    try:
        start, end = selected_span(
            source.text, data.get("start"), data.get("end"), data.get("unit", "char")
        )
    except ValidationError as refused:
        messages.error(request, f"No claim taken: {' '.join(refused.messages)}")
        return redirect(back)
    quote = source.text[start:end]
    suggestion = extraction.describe(quote, start, end, extraction.topic_of(source.text))[0]
    if request.method == "POST":
        form = TakeClaimForm(request.POST)
        if form.is_valid():
            claim = Claim(
                source=source,
                quote=quote,
                quote_start=start,
                quote_end=end,
                statement=form.cleaned_data["statement"],
                subject=form.cleaned_data["subject"],
                outcome=form.cleaned_data["outcome"],
                claim_type=form.cleaned_data["claim_type"],
                hedged=suggestion.hedged,
                check_worthiness=suggestion.worthiness,
            )
            try:
                services.save_claim(
                    claim=claim, user=request.user, seen_version=None, save_related=_nothing
                )
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                messages.success(request, f"Claim #{claim.pk} taken from “{source.title}”.")
                return redirect("admin:claims_claim_change", claim.pk)
    else:
        form = TakeClaimForm(
            initial={
                "start": start,
                "end": end,
                "statement": suggestion.statement,
                "subject": suggestion.subject,
                "outcome": suggestion.outcome,
                "claim_type": suggestion.claim_type,
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Take a claim",
        "source": source,
        "quote": quote,
        "start": start,
        "end": end,
        "hedged": suggestion.hedged,
        "form": form,
        "back": back,
    }
    return TemplateResponse(request, "admin/claims/source/take_claim.html", context)


def _nothing(claim):
    """A claim taken from a selection has no evidence or assessment yet."""
