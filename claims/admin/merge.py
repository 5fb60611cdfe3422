"""Merging claims in the admin, and linking a candidate as an appearance of a claim.

- `admin:claims_claim_merge` (`<id>/merge/`): the claim to merge away; choose the claim to keep
  (by id, public address, admin address or a search), read both side by side, confirm. A
  reviewer whose merge needs an editor (claims/merging.py) gets a pending proposal, which an
  editor approves or sends back on the same page (the revisions queue links there).
- `admin:claims_claim_link` (`<candidate id>/link/`, POST `target`: the claim's id): link the
  candidate as an appearance of the target in one action (merging.link_candidate); answers
  with a redirect to the target's change page and a message.

Every refusal is a message or a form error; nothing here decides a rule (merging.py does).
"""

import re
from functools import partial

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator

from .. import merging, revisions, services
from ..filters import MAX_QUERY_LENGTH, parse_id
from ..models import Claim
from ..scales import Status
from ..search import clean_text, search_filter
from .matches import matches_context
from .revision import sentence

REFUSALS = (services.StaleEdit, services.WorkflowError, revisions.StaleRevision, ValidationError)
# Claims a search on the merge page lists at most.
MAX_CHOICES = 10
# A claim's public address (/claims/<slug>/…) or admin address (…/claims/claim/<id>/…).
PUBLIC_PATH_RE = re.compile(r"/claims/([-a-zA-Z0-9_]+)(?:/|$)")
ADMIN_PATH_RE = re.compile(r"/claims/claim/(\d{1,18})(?:/|$)")


class MergeForm(forms.Form):
    survivor = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    merged_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    survivor_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    revision_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why these are one claim. When the merge changes a published claim's public "
        "record, an editor's note is shown in the kept claim's corrections log.",
    )


def refusal(error: Exception) -> str:
    """The refusal in words; a stale page names which of the two claims moved."""
    if isinstance(error, services.StaleEdit):
        return f"claim #{error.claim.pk}: {error.message}"
    return sentence(error)


def find_claim(text: str) -> Claim | None:
    """The claim `text` names: its id ("123", "#123"), slug, public or admin address."""
    text = text.strip()
    if (pk := parse_id(text.removeprefix("#"))) is not None:
        return Claim.objects.filter(pk=pk).first()
    if match := ADMIN_PATH_RE.search(text):
        return Claim.objects.filter(pk=int(match.group(1))).first()
    match = PUBLIC_PATH_RE.search(text)
    slug = match.group(1) if match else text
    return Claim.objects.filter(slug=slug).first() if slug else None


def search_choices(text: str, exclude: Claim) -> list[Claim]:
    """A few claims matching the words, that a claim could be merged into."""
    text = clean_text(text)[:MAX_QUERY_LENGTH]
    if not text:
        return []
    found = search_filter(Claim.objects.filter(status__in=merging.MERGEABLE), text)
    return list(found.exclude(pk=exclude.pk).order_by("-pk")[:MAX_CHOICES])


def compare(claim: Claim, other: Claim) -> list[tuple[str, str, str]]:
    """Both claims side by side: what a reviewer checks before merging."""

    def facts(c: Claim) -> list[str]:
        # A claim's own quote is its first appearance (kept so by the database).
        return [
            f"#{c.pk}",
            c.statement,
            c.get_status_display(),
            f"{c.grade_choice.display} / {c.verdict_choice.label}",
            str(c.appearance_count),
            str(c.appearances.count()),
            str(c.evidence.count()),
            f"“{Truncator(c.quote).chars(120)}” in “{c.source.title}”",
        ]

    labels = ["Claim", "Statement", "Status", "Grade / verdict", "Texts", "Appearances",
              "Evidence links", "First appearance"]  # fmt: skip
    return list(zip(labels, facts(claim), facts(other), strict=True))


def merge_view(model_admin, request, object_id):
    """GET: choose the claim to keep and compare; POST: merge (or propose), or decide on the
    claim's pending merge proposal."""
    claim = get_object_or_404(Claim, pk=parse_id(object_id) or 0)
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    proposal = merging.open_merge_proposal(claim)
    query, choices, chosen, form = "", [], None, None
    if request.method == "POST":
        form = MergeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            chosen = Claim.objects.filter(pk=data["survivor"]).first()
            if chosen is None:
                form.add_error(None, "There is no claim with this id.")
            else:
                try:
                    return _act(request, claim, chosen, proposal, data)
                except REFUSALS as refused:
                    form.add_error(None, f"Not merged: {refusal(refused)}")
        else:
            chosen = find_claim(request.POST.get("survivor", "")[:MAX_QUERY_LENGTH])
    else:
        query = request.GET.get("survivor", "").strip()[:MAX_QUERY_LENGTH]
        chosen = find_claim(query) if query else (proposal.merge_into if proposal else None)
        choices = search_choices(query, claim) if query and chosen is None else []
    if chosen is not None and form is None:
        form = MergeForm(
            initial={
                "survivor": chosen.pk,
                "merged_version": claim.version,
                "survivor_version": chosen.version,
                "revision_version": proposal.version if proposal else None,
                "note": proposal.fields.get("note", "") if proposal else "",
            }
        )
    problem = ""
    if chosen is not None:
        try:
            merging.check_mergeable(claim, chosen)
        except services.WorkflowError as refused:
            problem = sentence(refused)
    user = request.user
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Claim._meta,
        "title": f"Merge claim #{claim.pk} into another claim",
        "claim": claim,
        "query": query,
        "choices": choices,
        "searched": bool(query) and chosen is None,
        "chosen": chosen,
        "rows": compare(claim, chosen) if chosen is not None else [],
        "problem": problem,
        "editor_needed": chosen is not None and not problem and merging.needs_editor(claim, chosen),
        "form": form,
        "proposal": proposal,
        "proposal_is_chosen": proposal is not None and chosen is not None
        and proposal.merge_into_id == chosen.pk,
        "can_publish": user.has_perm("claims.publish_claim"),
        "can_withdraw": proposal is not None
        and (proposal.proposed_by_id == user.pk or user.has_perm("claims.publish_claim")),
        "back": reverse("admin:claims_claim_change", args=[claim.pk]),
    }  # fmt: skip
    return TemplateResponse(request, "admin/claims/claim/merge.html", context)


def _act(request, claim: Claim, chosen: Claim, proposal, data: dict):
    """The POST's action: decide on the pending proposal, or merge (or propose) anew."""
    user, note = request.user, data["note"]
    seen = (data["merged_version"], data["survivor_version"])
    decision = {"_approve", "_send_back", "_withdraw"} & set(request.POST)
    if decision:
        if proposal is None or proposal.merge_into_id != chosen.pk:
            raise revisions.StaleRevision(
                "This merge proposal was decided or changed meanwhile: reload the page."
            )
        seen_revision = data["revision_version"] or 0
        if "_approve" in decision:
            result = merging.approve_merge(
                revision=proposal,
                editor=user,
                seen_revision=seen_revision,
                note=note,
                seen_versions=seen,
            )
            messages.success(request, f"Approved. {result.describe()}")
            return redirect("admin:claims_claim_change", chosen.pk)
        if "_send_back" in decision:
            revisions.return_revision(
                revision=proposal, editor=user, seen_revision=seen_revision, note=note
            )
            messages.success(request, "The merge proposal is sent back with your note.")
        else:
            revisions.withdraw_revision(revision=proposal, user=user)
            messages.success(request, "The merge proposal is withdrawn; nothing was merged.")
        return redirect("admin:claims_claim_change", claim.pk)
    outcome = merging.request_merge(
        merged=claim, survivor=chosen, user=user, note=note, seen_versions=seen
    )
    messages.success(request, outcome.message)
    return redirect("admin:claims_claim_change", (chosen if outcome.merge else claim).pk)


def link_view(model_admin, request, object_id):
    """POST `target`: link the candidate `object_id` as an appearance of claim `target`."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    candidate = get_object_or_404(Claim, pk=parse_id(object_id) or 0)
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    back = reverse("admin:claims_claim_change", args=[candidate.pk])
    target_id = parse_id(request.POST.get("target"))
    target = Claim.objects.filter(pk=target_id).first() if target_id is not None else None
    if target is None:
        messages.error(request, "Not linked: there is no claim with the id given as the target.")
        return redirect(back)
    try:
        outcome = merging.link_candidate(
            candidate=candidate, claim=target, user=request.user, note=request.POST.get("note", "")
        )
    except REFUSALS as refused:
        messages.error(request, f"Not linked: {refusal(refused)}")
        return redirect(back)
    messages.success(request, outcome.message)
    return redirect("admin:claims_claim_change", target.pk)


class MergeAdminMixin:
    """ClaimAdmin's merge and link pages; a merged claim is read-only (its record is kept as
    it was when it was merged)."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/merge/",
                wrap(partial(merge_view, self)),
                name="claims_claim_merge",
            ),
            path(
                "<path:object_id>/link/",
                wrap(partial(link_view, self)),
                name="claims_claim_link",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pk = parse_id(object_id)
        proposal = merging.open_merge_proposal(Claim(pk=pk)) if pk is not None else None
        extra_context = {**(extra_context or {}), "merge_proposal": proposal}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # A candidate's page suggests the existing claims it may repeat, to link in one click.
        if obj is not None and request.user.has_perm("claims.change_claim"):
            context.update(matches_context(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == Status.MERGED:
            return False
        return super().has_change_permission(request, obj)
