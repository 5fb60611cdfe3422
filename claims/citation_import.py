"""Importing cited works from a paste or a file: a preview of what will be created, reused or
refused, then the batch in one transaction, optionally attached to a claim with a stance.

A work already in the tracker is recognised by its normalised DOI, then its PMID, then its
normalised title with its year, and reused; so is a work listed twice in one batch.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from . import lookups, revisions, services
from .models import Citation, Claim, Evidence
from .references import Reference, parse
from .scales import Stance, Status, StudyDesign

CREATE, REUSE, REFUSE = "create", "reuse", "refuse"
# Look-ups run while the reviewer waits for the preview (and again on confirm): about a second
# each at worst, so a batch may ask for this many; paste larger ones as BibTeX, RIS or CSL-JSON.
MAX_LOOKUPS = 100
UNKNOWN_DESIGN_NOTE = "Design not recorded by the import: set it from the work itself."


@dataclass
class Row:
    """One entry of the preview: what the import will do with it, and why."""

    ref: Reference
    outcome: str
    reason: str = ""
    citation: Citation | None = None  # the existing work (reuse) or the one to create


def title_key(title: str, year: int | None) -> str:
    """A title as any two exports of the same work agree on it: case, punctuation and
    spacing removed, with its year."""
    words = re.sub(r"[\W_]+", " ", title.casefold()).split()
    return f"{' '.join(words)}|{year or ''}"


def _existing(refs: list[Reference]) -> tuple[dict, dict, dict]:
    """Works already stored that a batch's DOIs, PMIDs or titles name (three queries)."""
    dois = {ref.doi for ref in refs if ref.doi}
    pmids = {ref.pmid for ref in refs if ref.pmid}
    by_doi, by_pmid = {}, {}
    if dois or pmids:
        for work in Citation.objects.filter(Q(doi__in=dois) | Q(pmid__in=pmids)):
            if work.doi:
                by_doi[work.doi] = work
            if work.pmid:
                by_pmid[work.pmid] = work
    variants = set()
    for ref in refs:
        if ref.title:
            lowered = ref.title.lower().rstrip(".")
            variants |= {lowered, lowered + "."}
    by_title = {}
    if variants:
        found = Citation.objects.annotate(lowered=Lower("title")).filter(lowered__in=variants)
        for work in found:
            by_title.setdefault(title_key(work.title, work.year), work)
    return by_doi, by_pmid, by_title


def _fill_identifiers(refs: list[Reference]) -> None:
    """Look up bare DOIs and PMIDs the tracker does not have yet (when look-ups are on)."""
    by_doi, by_pmid, _ = _existing([r for r in refs if r.identifier_only and not r.error])
    missing = [r for r in refs if r.identifier_only and not r.error]
    missing = [r for r in missing if r.doi not in by_doi and r.pmid not in by_pmid]
    if not missing:
        return
    if lookups.enabled() and len(missing) > MAX_LOOKUPS:
        for ref in missing[MAX_LOOKUPS:]:
            ref.error = (
                f"Only an identifier, past the {MAX_LOOKUPS} look-ups one batch may ask for: "
                "import the rest in another batch, or export them from Zotero or PubMed."
            )
        missing = missing[:MAX_LOOKUPS]
    if not lookups.enabled():
        for ref in missing:
            ref.error = (
                "Only an identifier, and look-ups are off: paste this work as BibTeX, RIS or "
                "CSL-JSON (or ask an administrator to set DJANGO_CITATION_LOOKUPS)."
            )
        return
    for ref in missing:
        if ref.doi:
            lookups.fill_from_crossref(ref)
    lookups.fill_from_pubmed([ref for ref in missing if not ref.doi])


def _new_citation(ref: Reference) -> Citation:
    design = ref.study_design
    return Citation(
        title=ref.title,
        authors=ref.authors,
        year=ref.year,
        venue=ref.venue,
        doi=ref.doi,
        pmid=ref.pmid,
        url=ref.url,
        study_design=design or StudyDesign.OTHER,
        design_note="" if design else UNKNOWN_DESIGN_NOTE,
    )


def plan(refs: list[Reference]) -> list[Row]:
    """What importing these entries would do, entry by entry; writes nothing."""
    _fill_identifiers(refs)
    by_doi, by_pmid, by_title = _existing([r for r in refs if not r.error])
    seen: dict[str, Row] = {}
    rows = []
    for ref in refs:
        if ref.error:
            rows.append(Row(ref, REFUSE, ref.error))
            continue
        keys = [f"doi:{ref.doi}" if ref.doi else "", f"pmid:{ref.pmid}" if ref.pmid else ""]
        keys = [k for k in keys if k] + (
            [f"title:{title_key(ref.title, ref.year)}"] if ref.title else []
        )
        earlier = next((seen[k] for k in keys if k in seen), None)
        stored = (
            (ref.doi and by_doi.get(ref.doi))
            or (ref.pmid and by_pmid.get(ref.pmid))
            or (ref.title and by_title.get(title_key(ref.title, ref.year)))
        )
        if earlier is not None:
            row = Row(ref, REUSE, f"The same work as {earlier.ref.label}.", earlier.citation)
        elif stored:
            row = Row(ref, REUSE, f"Already in the tracker: {stored}.", stored)
        else:
            citation = _new_citation(ref)
            try:
                citation.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as invalid:
                rows.append(Row(ref, REFUSE, _sentence(invalid)))
                continue
            row = Row(
                ref, CREATE, "" if ref.study_design else "Design unknown: set it after.", citation
            )
        rows.append(row)
        for key in keys:
            seen.setdefault(key, row)
    return rows


def _sentence(invalid: ValidationError) -> str:
    if hasattr(invalid, "message_dict"):
        return " ".join(f"{name}: {' '.join(msgs)}" for name, msgs in invalid.message_dict.items())
    return " ".join(invalid.messages)


@dataclass
class Outcome:
    created: int
    reused: int
    refused: int
    attached: int
    revision: bool  # the links wait for an editor (the claim is published)


def import_batch(text: str, *, user, claim: Claim | None = None, stance: str = "") -> Outcome:
    """Create the batch's new works and attach every work to `claim` with `stance`, all in one
    transaction (a failure leaves nothing written). On a published claim the links are a
    revision for an editor; on any other claim they are saved at once, as one edit."""
    rows = plan(parse(text))
    try:
        with transaction.atomic():
            for row in rows:
                if row.outcome == CREATE and row.citation.pk is None:
                    row.citation.save()
            works = list(
                {row.citation.pk: row.citation for row in rows if row.outcome != REFUSE}.values()
            )
            attached = _attach(claim, works, stance, user) if claim is not None else 0
    except IntegrityError:
        raise services.WorkflowError(
            "another import stored one of these works meanwhile; nothing was saved, preview again"
        ) from None
    return Outcome(
        created=sum(row.outcome == CREATE for row in rows),
        reused=sum(row.outcome == REUSE for row in rows),
        refused=sum(row.outcome == REFUSE for row in rows),
        attached=attached,
        revision=claim is not None and claim.status == Status.PUBLISHED and attached > 0,
    )


def _attach(claim: Claim, works: list[Citation], stance: str, user) -> int:
    if stance not in Stance.values:
        raise services.WorkflowError("choose the stance the imported works take on the claim")
    if not user.has_perm("claims.change_claim"):
        raise services.WorkflowError("you do not have permission to change claims")
    claim = Claim.objects.get(pk=claim.pk)
    if claim.status == Status.PUBLISHED:
        proposal = revisions.current_proposal(claim)
        linked = {link["citation"] for link in proposal.evidence}
        new = [work for work in works if work.pk not in linked]
        if new:
            proposal.evidence += [{"citation": w.pk, "stance": stance, "finding": ""} for w in new]
            open_one = revisions.open_revision(claim)
            revisions.propose_revision(
                claim=claim,
                user=user,
                seen_version=claim.version,
                seen_revision=open_one.version if open_one else None,
                proposal=proposal,
            )
        return len(new)
    linked = set(claim.evidence.values_list("citation_id", flat=True))
    new = [work for work in works if work.pk not in linked]

    def save_links(saved: Claim) -> None:
        for work in new:  # one by one: each link gets its history row
            Evidence.objects.create(claim=saved, citation=work, stance=stance)

    if new:
        services.save_claim(
            claim=claim, user=user, seen_version=claim.version, save_related=save_links
        )
    return len(new)
