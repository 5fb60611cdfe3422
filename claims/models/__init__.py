"""The tracker's data: sources, the claims taken from them, the works cited as evidence, the
links between claims and works, and GRADE assessments. One module per concern; import from here.
"""

from .appearance import Appearance
from .assessment import GradeAssessment
from .base import (
    DOI_RE,
    PMID_RE,
    TimeStamped,
    normalize_doi,
    validate_doi,
    validate_no_nul,
    validate_pmid,
)
from .citation import Citation, Evidence, citation_reference
from .claim import (
    QUOTE_CONTEXT_WIDTH,
    SLUG_MAX_LENGTH,
    Claim,
    ClaimQuerySet,
    QuoteContext,
    check_quote,
    locate_quote,
    quote_context,
    unique_slug,
    work_queue_rank,
)
from .profile import PublicProfile
from .report import MAX_REPORT_LENGTH, ErrorReport
from .revision import (
    REVISED_CITATION_FIELDS,
    REVISED_CLAIM_FIELDS,
    CitationRevision,
    ClaimRevision,
    PublicChange,
    last_public_change_at,
)
from .source import Source, SourceQuerySet

__all__ = [
    "Appearance",
    "PublicProfile",
    "MAX_REPORT_LENGTH",
    "ErrorReport",
    "REVISED_CITATION_FIELDS",
    "REVISED_CLAIM_FIELDS",
    "CitationRevision",
    "ClaimRevision",
    "PublicChange",
    "last_public_change_at",
    "DOI_RE",
    "PMID_RE",
    "QUOTE_CONTEXT_WIDTH",
    "QuoteContext",
    "quote_context",
    "SLUG_MAX_LENGTH",
    "Citation",
    "Claim",
    "ClaimQuerySet",
    "Evidence",
    "GradeAssessment",
    "Source",
    "SourceQuerySet",
    "TimeStamped",
    "citation_reference",
    "check_quote",
    "locate_quote",
    "normalize_doi",
    "unique_slug",
    "validate_doi",
    "validate_no_nul",
    "validate_pmid",
    "work_queue_rank",
]
