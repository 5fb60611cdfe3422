"""The one definition of a claim's columns, shared by the /claims/ table and the CSV report.

The public table shows the columns marked `on_page`; the CSV report writes every column, in
this order (docs/csv-report.md gives it). A column added here reaches both; tests guard the contract.
Values in the CSV are codes (grade, verdict, status, claim type), never labels.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimColumn:
    name: str  # the CSV header and the table's column name
    label: str  # the table header a reader sees
    field: str | None  # the ORM path or annotation the value comes from; None when computed
    on_page: bool = False
    # What the value is: free "text" (made formula-safe in the CSV), a "code" of a scale,
    # a "number" or a "timestamp"; a column without a field is computed by the export.
    value: str = "text"
    # Its key in the JSON API when not `name` (there, "appearances" lists the texts).
    json_key: str = ""

    @property
    def key(self) -> str:
        return self.json_key or self.name


CLAIM_COLUMNS: tuple[ClaimColumn, ...] = (
    ClaimColumn("id", "ID", "pk", value="number"),
    ClaimColumn("claim", "Claim", "statement", on_page=True),
    ClaimColumn("subject", "Subject", "subject", on_page=True),
    ClaimColumn("outcome", "Outcome", "outcome"),
    ClaimColumn("claim_type", "Claim type", "claim_type", value="code"),
    ClaimColumn("grade", "Evidence grade", "grade", on_page=True, value="code"),
    ClaimColumn("verdict", "Verdict", "verdict", on_page=True, value="code"),
    ClaimColumn("status", "Status", "status", value="code"),
    ClaimColumn("source_title", "Source", "source__title", on_page=True),
    ClaimColumn("source_url", "Source URL", "source__url"),
    ClaimColumn("quote", "Quote", "quote"),
    ClaimColumn("rationale", "Rationale", "rationale"),
    # Counted from the claim's evidence links, and listed: computed by the export.
    ClaimColumn("supporting", "Supporting", None, value="number"),
    ClaimColumn("contradicting", "Contradicting", None, value="number"),
    ClaimColumn("citations", "Citations", None),
    # In how many texts the claim is made (its appearances' distinct sources).
    ClaimColumn(
        "appearances",
        "Texts",
        "appearance_count",
        on_page=True,
        value="number",
        json_key="appearance_count",
    ),
    ClaimColumn("reviewed_at", "Reviewed", "reviewed_at", on_page=True, value="timestamp"),
    ClaimColumn("url", "URL", None, value="url"),
)

PAGE_COLUMNS = tuple(column for column in CLAIM_COLUMNS if column.on_page)
CSV_HEADER = tuple(column.name for column in CLAIM_COLUMNS)
