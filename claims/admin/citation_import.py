"""The admin's citation import page: paste or upload references, read the preview, confirm.

The preview writes nothing. The confirmed form carries the same text back (the upload's text
as a hidden field), which is parsed and checked again, and imported in one transaction.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import citation_import, limits
from ..filters import parse_id
from ..models import Claim
from ..references import MAX_ENTRIES, BatchRefused, decode, parse
from ..scales import Stance
from ..services import WorkflowError


class CitationImportForm(forms.Form):
    text = forms.CharField(
        label="References",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
        help_text=(
            "Paste DOIs or PMIDs (one a line), BibTeX, RIS, PubMed (MEDLINE .nbib) or CSL-JSON, "
            f"as Zotero, EndNote or PubMed export them; at most {MAX_ENTRIES} entries."
        ),
    )
    upload = forms.FileField(
        label="Or a file", required=False, help_text="A .bib, .ris, .json or .txt file."
    )
    claim = forms.IntegerField(widget=forms.HiddenInput, required=False)
    stance = forms.ChoiceField(
        label="Stance on the claim",
        choices=[("", "—"), *Stance.choices],
        required=False,
        help_text="The stance every imported work takes on the claim (change each after).",
    )

    def clean(self):
        """The references as text: an upload's (refused on its size before it is read, then
        read no further than the limit), else the paste's; either within the one limit."""
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is not None:
            limits.check_citation_import_size(upload.size, "This file is")
            try:
                cleaned["text"] = decode(upload.read(limits.citation_import_max_bytes() + 1))
            except BatchRefused as refused:
                raise forms.ValidationError(str(refused)) from None
        text = cleaned.get("text") or ""
        # Also a file's text: Latin-1 grows in UTF-8, and the confirming form sends it back.
        limits.check_citation_import_size(
            len(text.encode("utf-8", "surrogatepass")), "These references are"
        )
        if not text.strip():
            raise forms.ValidationError("Paste references or choose a file.")
        if cleaned.get("claim") is not None and not cleaned.get("stance"):
            self.add_error("stance", "Choose the stance the works take on the claim.")
        return cleaned


def import_view(model_admin, request):
    """GET: the form. POST: the preview; POST with `_confirm`: the import, then back to the
    claim (or the list of cited works)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    claim = None
    raw_claim = request.POST.get("claim") or request.GET.get("claim")
    if raw_claim:
        claim_id = parse_id(raw_claim)
        claim = Claim.objects.filter(pk=claim_id).first() if claim_id else None
        if claim is None:
            messages.error(request, "There is no claim with that id.")
    form = CitationImportForm(
        request.POST or None, request.FILES or None, initial={"claim": claim and claim.pk}
    )
    rows = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        stance = form.cleaned_data["stance"] if claim else ""
        try:
            if "_confirm" in request.POST:
                done = citation_import.import_batch(
                    text, user=request.user, claim=claim, stance=stance
                )
                messages.success(request, _summary(done))
                target = (
                    reverse("admin:claims_claim_change", args=[claim.pk])
                    if claim
                    else reverse("admin:claims_citation_changelist")
                )
                return HttpResponseRedirect(target)
            rows = citation_import.plan(parse(text))
        except (BatchRefused, WorkflowError) as refused:
            form.add_error(None, f"Nothing was saved: {refused}")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import references",
        "form": form,
        "claim": claim,
        "rows": rows,
        "counts": _counts(rows) if rows is not None else None,
        "text": form.cleaned_data.get("text", "") if form.is_bound and form.is_valid() else "",
    }
    return TemplateResponse(request, "admin/claims/citation/import.html", context)


def _counts(rows) -> dict:
    return {
        outcome: sum(row.outcome == outcome for row in rows)
        for outcome in (citation_import.CREATE, citation_import.REUSE, citation_import.REFUSE)
    }


def _summary(done: citation_import.Outcome) -> str:
    text = f"Imported: {done.created} new, {done.reused} already here, {done.refused} refused."
    if done.attached and done.revision:
        text += f" {done.attached} linked to the claim as a revision, waiting for an editor."
    elif done.attached:
        text += f" {done.attached} linked to the claim."
    return text
