"""Turn the curated seed (an article and its claims as JSON) into a Django fixture.

The seed lives in fixtures/seed/; the fixture it produces, fixtures/kratom_article.json, is
committed so `loaddata kratom_article` needs nothing else. `build_seed_fixture` regenerates it.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from django.utils.text import slugify

from .models import SLUG_MAX_LENGTH, normalize_doi
from .services import publication_problems
from .text import sort_key

# The seed records no review dates; the demo data states this one (when it was curated and
# first published).
SEED_REVIEWED_AT = datetime(2026, 11, 27, tzinfo=UTC)


def citation_key(entry: dict) -> str:
    """The identity of a cited work: its DOI, else its URL, else its title."""
    return normalize_doi(entry["doi"]) or entry["url"].strip() or entry["title"].strip().lower()


def build_fixture(seed_json: Path, *, source_pk: int = 1) -> list[dict]:
    """Return fixture objects for one seed file: its source, claims, citations and evidence."""
    seed = json.loads(seed_json.read_text(encoding="utf-8"))
    meta = seed["source"]
    text = (seed_json.parent / meta["text_file"]).read_text(encoding="utf-8")
    stamp = SEED_REVIEWED_AT.isoformat().replace("+00:00", "Z")
    objects: list[dict] = [
        {
            "model": "claims.source",
            "pk": source_pk,
            "fields": {
                "title": meta["title"],
                "kind": meta["kind"],
                "url": meta["url"],
                "publisher": meta["publisher"],
                "author": meta["author"],
                "published_on": meta["published_on"],
                "text": text,
                "note": meta.get("note", ""),
                "created_at": stamp,
                "updated_at": stamp,
            },
        }
    ]
    citations: dict[str, int] = {}
    citation_objects: list[dict] = []
    evidence_objects: list[dict] = []
    slugs: set[str] = set()
    for claim_pk, claim in enumerate(seed["claims"], start=1):
        quote = text[claim["quote_start"] : claim["quote_end"]]
        if quote != claim["quote"]:
            raise ValueError(f"seed claim {claim_pk}: quote does not match the text at its offsets")
        stances = [entry["stance"] for entry in claim["citations"]]
        if problem := publication_problems(
            grade=claim["grade"],
            verdict=claim["verdict"],
            rationale=claim["rationale"],
            stances=stances,
        ):
            raise ValueError(f"seed claim {claim_pk} cannot be published: {problem}")
        slug = base = slugify(claim["claim"])[: SLUG_MAX_LENGTH - 8].strip("-")
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        objects.append(
            {
                "model": "claims.claim",
                "pk": claim_pk,
                "fields": {
                    "source": source_pk,
                    "slug": slug,
                    "statement": claim["claim"],
                    # loaddata writes rows as they are, past Claim.save(): give the key.
                    "statement_sort_key": sort_key(claim["claim"]),
                    "quote": claim["quote"],
                    "quote_start": claim["quote_start"],
                    "quote_end": claim["quote_end"],
                    "subject": claim["subject"],
                    "outcome": claim["outcome"],
                    "claim_type": claim["claim_type"],
                    "status": "published",
                    "grade": claim["grade"],
                    "verdict": claim["verdict"],
                    "rationale": claim["rationale"],
                    "reviewed_by": None,
                    "reviewed_at": stamp,
                    "published_at": stamp,
                    "version": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            }
        )
        # Its quote is its first appearance (loaddata bypasses Claim.save(), which makes it).
        objects.append(
            {
                "model": "claims.appearance",
                "pk": claim_pk,
                "fields": {
                    "claim": claim_pk,
                    "source": source_pk,
                    "quote": claim["quote"],
                    "quote_start": claim["quote_start"],
                    "quote_end": claim["quote_end"],
                    "found_at": stamp,
                    "added_by": None,
                },
            }
        )
        for entry in claim["citations"]:
            key = citation_key(entry)
            if key not in citations:
                citations[key] = len(citations) + 1
                citation_objects.append(
                    {
                        "model": "claims.citation",
                        "pk": citations[key],
                        "fields": {
                            "title": entry["title"],
                            "authors": entry["authors"],
                            "year": entry["year"],
                            "venue": entry["venue"],
                            "doi": normalize_doi(entry["doi"]),
                            "pmid": entry["pmid"],
                            "url": entry["url"],
                            "study_design": entry["study_design"],
                            "design_note": entry["design_note"],
                            "is_retracted": bool(entry.get("retracted", False)),
                            "created_at": stamp,
                            "updated_at": stamp,
                        },
                    }
                )
            evidence_objects.append(
                {
                    "model": "claims.evidence",
                    "pk": len(evidence_objects) + 1,
                    "fields": {
                        "claim": claim_pk,
                        "citation": citations[key],
                        "stance": entry["stance"],
                        "finding": entry["finding"],
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                }
            )
    return objects + citation_objects + evidence_objects


def dump_fixture(objects: list[dict]) -> str:
    return json.dumps(objects, ensure_ascii=False, indent=1) + "\n"
