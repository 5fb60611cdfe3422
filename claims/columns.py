"""The one definition of a claim's columns, shared by the /claims/ table and the CSV report.

The public table shows the columns marked `on_page`; the CSV report writes every column, in
this order (PRODUCT.md fixes it). A column added here reaches both; tests guard the contract.
Values in the CSV are codes (grade, verdict, status, claim type), never labels.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimColumn:
    name: str  # the CSV header and the table's column name
    label: str  # the table header a reader sees
    field: str | None  # the ORM path or annotation the value comes from; None when computed
    on_page: bool = False
    description: str = ""


CLAIM_COLUMNS: tuple[ClaimColumn, ...] = (
    ClaimColumn("id", "ID", "pk", description="The claim's permanent number."),
    ClaimColumn(
        "claim",
        "Claim",
        "statement",
        on_page=True,
        description="The checkable statement, normalised.",
    ),
    ClaimColumn(
        "subject",
        "Subject",
        "subject",
        on_page=True,
        description="What the claim is about (e.g. kratom).",
    ),
    ClaimColumn("outcome", "Outcome", "outcome", description="The effect claimed."),
    ClaimColumn(
        "claim_type",
        "Claim type",
        "claim_type",
        description="efficacy, safety, mechanism, prevalence or other.",
    ),
    ClaimColumn(
        "grade",
        "Evidence grade",
        "grade",
        on_page=True,
        description="Certainty of evidence: high, moderate, low, very_low or ungraded.",
    ),
    ClaimColumn(
        "verdict",
        "Verdict",
        "verdict",
        on_page=True,
        description="supported, partly_supported, unsupported, misleading, contradicted "
        "or unrated.",
    ),
    ClaimColumn(
        "status",
        "Status",
        "status",
        description="Workflow status; always published in the public report.",
    ),
    ClaimColumn(
        "source_title",
        "Source",
        "source__title",
        on_page=True,
        description="Title of the text the claim was taken from.",
    ),
    ClaimColumn("source_url", "Source URL", "source__url", description="Where that text is."),
    ClaimColumn("quote", "Quote", "quote", description="The exact words of the source."),
    ClaimColumn(
        "rationale",
        "Rationale",
        "rationale",
        description="Why the reviewers gave this grade and verdict.",
    ),
    ClaimColumn(
        "supporting",
        "Supporting",
        "supporting",
        description="Number of cited works that support the claim.",
    ),
    ClaimColumn(
        "contradicting",
        "Contradicting",
        "contradicting",
        description="Number of cited works that contradict it.",
    ),
    ClaimColumn(
        "citations",
        "Citations",
        None,
        description="Every cited work as `Authors (Year) DOI-or-URL`, joined by ` | `.",
    ),
    ClaimColumn(
        "reviewed_at",
        "Reviewed",
        "reviewed_at",
        on_page=True,
        description="When a reviewer last graded it, ISO 8601 UTC.",
    ),
    ClaimColumn("url", "URL", None, description="The claim's public page."),
)

PAGE_COLUMNS = tuple(column for column in CLAIM_COLUMNS if column.on_page)
CSV_HEADER = tuple(column.name for column in CLAIM_COLUMNS)
