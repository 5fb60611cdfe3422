"""The admin's half of the editorial record: a published claim's change form works on a
proposal (its open revision, else its live version), and what a save proposes; the readable
diff an editor approves from; and the editors' queue of revisions.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .. import revisions, services
from ..models import (
    REVISED_CITATION_FIELDS,
    REVISED_CLAIM_FIELDS,
    Citation,
    CitationRevision,
    Claim,
    ClaimRevision,
    GradeAssessment,
)
from ..revisions import ASSESSMENT_FIELDS, Proposal
from ..scales import RevisionStatus, Stance


def formset_kwargs(proposal: Proposal, model) -> dict:
    """The inline formset's arguments for a proposal: its rows as initial data, no live rows."""
    if model is GradeAssessment:
        initial = [proposal.assessment] if proposal.assessment else []
    else:
        initial = [dict(link) for link in proposal.evidence]
    return {"queryset": model.objects.none(), "initial": initial, "proposing": True}


def _rows(formset, fields: tuple[str, ...]) -> list[dict] | None:
    """The rows a proposal formset submits (None when the user could not edit it: then the
    proposal's stay)."""
    if not set(fields) <= set(formset.form.base_fields):
        return None
    rows = []
    for form in formset.forms:
        if not form.has_changed() or formset._should_delete_form(form):
            continue
        data = form.cleaned_data
        rows.append({name: getattr(data.get(name), "pk", data.get(name)) for name in fields})
    return rows


def proposal_from_forms(current: Proposal, form, formsets) -> Proposal:
    """What a save of the change form proposes: the form's claim fields, and the inlines' rows
    where the user could edit them (else `current`'s)."""
    fields = {name: getattr(form.instance, name) for name in REVISED_CLAIM_FIELDS}
    evidence, assessment = current.evidence, current.assessment
    for formset in formsets:
        if formset.model is GradeAssessment:
            rows = _rows(formset, ASSESSMENT_FIELDS)
            if rows is not None:
                assessment = rows[0] if rows else None
        else:
            rows = _rows(formset, ("citation", "stance", "finding"))
            if rows is not None:
                evidence = [{**row, "finding": row["finding"] or ""} for row in rows]
    return Proposal(fields, evidence, assessment)


# --- the diff an editor reads ----------------------------------------------------------------


def _display(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if value in (None, ""):
        return "—"
    return Truncator(str(value)).chars(300)


def _status_line(revision) -> str:
    line = format_html(
        "<p><strong>{}</strong>: revision {} by {}, {}.</p>",
        revision.get_status_display(),
        revision.version,
        revision.proposed_by or "someone",
        revision.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
    )
    if revision.status == RevisionStatus.RETURNED:
        line += format_html(
            "<p>Sent back by {} on {}: “{}”</p>",
            revision.decided_by,
            revision.decided_at.strftime("%Y-%m-%d"),
            revision.decision_note,
        )
    return line


def claim_revision_diff(claim: Claim, revision: ClaimRevision) -> str:
    """The revision beside the live version: each changed field, link and GRADE domain."""
    live, proposed = Proposal.live(Claim.objects.get(pk=claim.pk)), Proposal.of(revision)
    rows = [
        (Claim._meta.get_field(name).verbose_name, _display(Claim, name, live.fields[name]),
         _display(Claim, name, proposed.fields[name]))
        for name in REVISED_CLAIM_FIELDS
        if live.fields[name] != proposed.fields[name]
    ]  # fmt: skip
    before = {link["citation"]: link for link in live.evidence}
    after = {link["citation"]: link for link in proposed.evidence}
    works = Citation.objects.in_bulk(before.keys() | after.keys())
    for pk in sorted(before.keys() | after.keys()):
        old, new = before.get(pk), after.get(pk)
        if old == new:
            continue
        label = f"evidence: {works[pk]}" if pk in works else f"evidence: work #{pk}"
        rows.append((label, _link_text(old), _link_text(new)))
    if live.assessment != proposed.assessment:
        for name in ASSESSMENT_FIELDS:
            old = (live.assessment or {}).get(name)
            new = (proposed.assessment or {}).get(name)
            if old != new:
                rows.append(
                    (
                        f"GRADE: {GradeAssessment._meta.get_field(name).verbose_name}",
                        _display(GradeAssessment, name, old),
                        _display(GradeAssessment, name, new),
                    )
                )
    return _status_line(revision) + _table(rows)


def _link_text(link: dict | None) -> str:
    if link is None:
        return "(no link)"
    finding = f": {link['finding']}" if link["finding"] else ""
    return f"{Stance(link['stance']).label}{finding}"


def _table(rows) -> str:
    if not rows:
        return format_html("<p>{}</p>", "It changes nothing the public sees.")
    return format_html(
        '<table class="revision-diff"><thead><tr><th scope="col">What</th>'
        '<th scope="col">Live (public now)</th><th scope="col">Proposed</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
            rows,
        ),
    )


def citation_revision_diff(revision: CitationRevision) -> str:
    rows = [
        (
            Citation._meta.get_field(name).verbose_name,
            _display(Citation, name, revision.base[name]),
            _display(Citation, name, revision.fields[name]),
        )
        for name in REVISED_CITATION_FIELDS
        if revision.base[name] != revision.fields[name]
    ]
    return _status_line(revision) + _table(rows)


# --- the editors' queue ----------------------------------------------------------------------


class RevisionQueueAdmin(admin.ModelAdmin):
    """Revisions waiting for an editor first, oldest first; each links to its change page,
    where it is read and decided. The queue itself changes nothing."""

    list_display = ("subject_link", "status", "version", "proposed_by", "created_at", "decided_by")
    list_filter = ("status",)
    # A revision's page is for reading: its diff, and a link to where it is decided. Every
    # field read-only, so no form field is built: a claim field took ClaimAdmin's ordering,
    # by an annotation only the claim list makes (a FieldError, a 500 for every account).
    fields = ("subject_link", "diff", "decided_by", "decided_at", "decision_note")
    readonly_fields = fields

    def get_queryset(self, request):
        waiting = Case(
            When(status=RevisionStatus.PENDING, then=Value(0)),
            When(status=RevisionStatus.RETURNED, then=Value(1)),
            default=Value(2),
        )
        # Not super(): it orders by `waiting` before the annotation exists (a FieldError).
        queryset = self.model._default_manager.get_queryset().annotate(waiting=waiting)
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["waiting", "created_at", "pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClaimRevision)
class ClaimRevisionAdmin(RevisionQueueAdmin):
    list_select_related = ("claim", "proposed_by", "decided_by")

    @admin.display(description="claim")
    def subject_link(self, obj):
        if obj.merge_into_id is not None:  # decided on the merge page (admin/merge.py)
            url = reverse("admin:claims_claim_merge", args=[obj.claim_id])
            return format_html(
                '<a href="{}">Merge into claim #{}: {}</a>',
                url,
                obj.merge_into_id,
                Truncator(obj.claim.statement).chars(60),
            )
        url = reverse("admin:claims_claim_change", args=[obj.claim_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.claim.statement).chars(80))

    @admin.display(description="changes")
    def diff(self, obj):
        if obj.merge_into_id is not None:
            return _status_line(obj) + format_html(
                "<p>A proposal to merge this claim into claim #{}: read and decided on the "
                "merge page (above).</p>{}",
                obj.merge_into_id,
                format_html("<p>Note: “{}”</p>", obj.fields["note"])
                if obj.fields.get("note")
                else "",
            )
        diff = claim_revision_diff(obj.claim, obj)
        if obj.is_open:
            return diff
        return format_html(
            "<p>Decided: compared with the live version now, not the one it was proposed "
            "against (the claim's history has that).</p>{}",
            diff,
        )


@admin.register(CitationRevision)
class CitationRevisionAdmin(RevisionQueueAdmin):
    list_select_related = ("citation", "proposed_by", "decided_by")

    @admin.display(description="cited work")
    def subject_link(self, obj):
        url = reverse("admin:claims_citation_change", args=[obj.citation_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.citation.title).chars(80))

    @admin.display(description="changes")
    def diff(self, obj):
        return citation_revision_diff(obj)  # against the reference it started from


def note_of(request) -> str:
    return request.POST.get("public_note", "")


def sentence(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


REFUSALS = (revisions.StaleRevision, services.WorkflowError, ValidationError)


def save_revision(request, form, formsets) -> tuple[int, str]:
    """A published claim's save: propose the form as its revision, then do what the button
    asks. Returns the message for the user."""
    claim, user = form.instance, request.user
    if "_withdraw" in request.POST:
        return _withdraw(claim.open_revision, user)
    revision = revisions.propose_revision(
        claim=claim,
        user=user,
        seen_version=form.cleaned_data.get("seen_version"),
        seen_revision=form.cleaned_data.get("revision_version"),
        proposal=proposal_from_forms(claim.proposal, form, formsets),
    )
    return _decide(request, revision, revisions.approve_revision, revisions.return_revision)


def save_citation_revision(request, citation, form) -> tuple[int, str]:
    """A cited work's save, when a published claim cites it: the same, for its reference."""
    if "_withdraw" in request.POST:
        return _withdraw(citation.open_revision, request.user)
    revision = revisions.propose_citation_revision(
        citation=citation,
        user=request.user,
        seen_revision=form.cleaned_data.get("revision_version"),
        fields={name: form.cleaned_data[name] for name in REVISED_CITATION_FIELDS},
    )
    return _decide(
        request, revision, revisions.approve_citation_revision, revisions.return_citation_revision
    )


def _withdraw(revision, user) -> tuple[int, str]:
    if revision is None:
        return messages.WARNING, "There was no revision to withdraw."
    revisions.withdraw_revision(revision=revision, user=user)
    return messages.SUCCESS, "The revision is withdrawn; the live version stays as it is."


def _decide(request, revision, approve, send_back) -> tuple[int, str]:
    """After a proposal: approve it or send it back when the button says so. A decision the
    rules refuse leaves the proposal saved (only its own savepoint rolls back)."""
    if revision is None:
        return messages.INFO, "Nothing differs from the public version: no revision is waiting."
    decision = {"seen_revision": revision.version, "note": note_of(request)}
    try:
        with transaction.atomic():
            if "_approve" in request.POST:
                approve(revision=revision, editor=request.user, **decision)
                return messages.SUCCESS, (
                    "Approved: the change is public and listed in the corrections log."
                )
            if "_send_back" in request.POST:
                send_back(revision=revision, editor=request.user, **decision)
                return messages.SUCCESS, "Sent back to the reviewer with your note."
    except REFUSALS as refused:
        return messages.ERROR, (
            f"Saved as a revision awaiting an editor, but not approved: {sentence(refused)}."
        )
    return messages.SUCCESS, (
        "Saved as a revision awaiting an editor: the public pages show the live version until "
        "an editor approves it."
    )
