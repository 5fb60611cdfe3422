"""How big one source may be, how many candidates one import may propose, and how much one
citation import reads.

A source's text is held whole in memory (claims quote it by offsets, the extraction reads it
sentence by sentence, the source page marks it), and an import writes all its candidates in
one transaction. Both are bounded, the same way wherever a text comes in (the admin's source
form, `import_source`): DJANGO_SOURCE_TEXT_MAX_BYTES (default 2 MB) and
DJANGO_IMPORT_MAX_CANDIDATES (default 2,000). A citation import's references, pasted or
uploaded, are held whole as well: DJANGO_CITATION_IMPORT_MAX_BYTES (default 5 MB).
"""

from django.conf import settings
from django.core.exceptions import ValidationError


def source_text_max_bytes() -> int:
    """The largest text a source may hold, in bytes of UTF-8."""
    return settings.CLAIMS_SOURCE_TEXT_MAX_BYTES


def check_source_text_size(text: str) -> None:
    """Refuse (ValidationError on `text`) a text longer than the limit in UTF-8 bytes."""
    limit = source_text_max_bytes()
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ValidationError(
            {
                "text": f"This text is {size:,} bytes; a source's text may be at most "
                f"{limit:,} bytes (DJANGO_SOURCE_TEXT_MAX_BYTES). Split it into parts and "
                "store each as a source."
            },
            code="too_large",
        )


def check_candidate_count(count: int) -> None:
    """Refuse (ValidationError) an import that would propose more candidates than the cap."""
    cap = settings.CLAIMS_IMPORT_MAX_CANDIDATES
    if count > cap:
        raise ValidationError(
            f"This text yields {count:,} candidate claims; one import proposes at most {cap:,} "
            "(DJANGO_IMPORT_MAX_CANDIDATES), so nothing was stored. Split the text into parts "
            "and import each.",
            code="too_many_candidates",
        )


def citation_import_max_bytes() -> int:
    """The most one citation import reads: a file's bytes, or a paste's in UTF-8."""
    return settings.CLAIMS_CITATION_IMPORT_MAX_BYTES


def check_citation_import_size(size: int, what: str) -> None:
    """Refuse (ValidationError) `what` ("This file is", "These references are") of `size`
    bytes when it is over the citation import's limit."""
    limit = citation_import_max_bytes()
    if size > limit:
        raise ValidationError(
            f"{what} {size:,} bytes; one import reads at most {limit:,} bytes "
            "(DJANGO_CITATION_IMPORT_MAX_BYTES). Nothing was saved: split the references "
            "into smaller batches.",
            code="too_large",
        )
