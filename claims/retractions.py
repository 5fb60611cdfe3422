"""Publisher notices on cited works (retractions, expressions of concern, corrections), from
the Retraction Watch database's CSV or Crossref's `update-to` relations.

A data load run by an administrator: it applies directly (no revision). Each published claim
citing a newly flagged work gets an open report in the editors' queue saying so, and its
public page shows the flag beside the work at once. Re-running changes nothing new.
"""

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils.dateformat import format as format_date

from .models import Citation, ErrorReport, normalize_doi
from .scales import ReportStatus, RetractionStatus, Status

# The header exactly as Retraction Watch writes it (one string, as it is read in the file).
HEADER_LINE = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes"
)
HEADER = HEADER_LINE.split(",")
REINSTATED = "reinstated"
NATURES = {
    "retraction": RetractionStatus.RETRACTED,
    "expression of concern": RetractionStatus.CONCERN,
    "correction": RetractionStatus.CORRECTED,
    "reinstatement": REINSTATED,
}
# The notice that decides a work's status when it has several still in force.
RANK = {RetractionStatus.RETRACTED: 3, RetractionStatus.CONCERN: 2, RetractionStatus.CORRECTED: 1}
REPORTER = "import_retractions"  # the queue reports' client_key: no reader filed them
CHUNK = 500  # identifiers per query (SQLite's bound-parameter limit)


class BadFile(Exception):
    """The file is not the Retraction Watch CSV (columns missing or renamed)."""


@dataclass(frozen=True)
class Notice:
    status: str  # a RetractionStatus value or REINSTATED
    date: date | None
    notice_doi: str
    reasons: str
    doi: str  # the original paper's
    pmid: str


@dataclass
class Result:
    notices: int = 0
    matched: int = 0  # cited works a notice names
    flagged: int = 0  # newly retracted, corrected or under concern
    changed: int = 0  # any status change (flagged, reinstated, updated notice)
    claims_queued: int = 0
    skipped: list[str] = field(default_factory=list)  # unreadable rows, with why


def read_csv(lines) -> tuple[list[Notice], list[str]]:
    """Notices from the Retraction Watch CSV; BadFile naming its missing or renamed columns."""
    reader = csv.DictReader(lines)
    columns = [name.strip().lstrip("\ufeff") for name in reader.fieldnames or []]
    missing = [name for name in HEADER if name not in columns]
    unknown = [name for name in columns if name not in HEADER]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing column" + "s" * (len(missing) > 1) + ": " + ", ".join(missing))
        if unknown:
            problems.append(
                "unexpected column" + "s" * (len(unknown) > 1) + ": " + ", ".join(unknown)
            )
        raise BadFile("Not the Retraction Watch CSV: " + "; ".join(problems) + ".")
    reader.fieldnames = columns
    notices, skipped = [], []
    for row in reader:
        record = row.get("Record ID", "").strip() or f"line {reader.line_num}"
        nature = NATURES.get((row.get("RetractionNature") or "").strip().lower())
        if nature is None:
            skipped.append(f"record {record}: unknown RetractionNature {row['RetractionNature']!r}")
            continue
        try:
            when = _date(row["RetractionDate"])
        except ValueError:
            skipped.append(f"record {record}: unreadable RetractionDate {row['RetractionDate']!r}")
            continue
        notices.append(
            Notice(
                status=nature,
                date=when,
                notice_doi=_doi(row["RetractionDOI"]),
                reasons="; ".join(
                    r.strip().lstrip("+").strip() for r in row["Reason"].split(";") if r.strip("+ ")
                ),
                doi=_doi(row["OriginalPaperDOI"]),
                pmid=_pmid(row["OriginalPaperPubMedID"]),
            )
        )
    return notices, skipped


def _date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for pattern in ("%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 # a calendar date
        except ValueError:
            continue
    raise ValueError(value)


def _doi(value: str) -> str:
    doi = normalize_doi(value)
    return "" if doi.lower() in ("", "unavailable", "na", "n/a") else doi


def _pmid(value: str) -> str:
    value = (value or "").strip()
    return "" if value in ("", "0") or not value.isdigit() else value


def status_of(notices: list[Notice]) -> Notice | None:
    """The notice in force on a work: a reinstatement lifts the retractions and expressions
    of concern dated before it; of the rest, a retraction outranks a concern, a concern a
    correction, and a later notice an earlier one of the same kind."""
    in_force: list[Notice] = []
    for notice in sorted(notices, key=lambda n: n.date or date.min):
        if notice.status == REINSTATED:
            in_force = [n for n in in_force if n.status == RetractionStatus.CORRECTED]
        else:
            in_force.append(notice)
    if not in_force:
        return None
    return max(in_force, key=lambda n: (RANK[n.status], n.date or date.min))


def _works_named(notices: list[Notice]) -> list[Citation]:
    dois = sorted({n.doi for n in notices if n.doi})
    pmids = sorted({n.pmid for n in notices if n.pmid})
    works = {}
    for names, lookup in ((dois, "doi__in"), (pmids, "pmid__in")):
        for start in range(0, len(names), CHUNK):
            for work in Citation.objects.filter(**{lookup: names[start : start + CHUNK]}):
                works[work.pk] = work
    return list(works.values())


def apply(notices: list[Notice]) -> Result:
    """Give every cited work the notices name its status; queue the published claims that
    cite a newly flagged one. One transaction."""
    by_doi, by_pmid = defaultdict(list), defaultdict(list)
    for notice in notices:
        if notice.doi:
            by_doi[notice.doi].append(notice)
        elif notice.pmid:  # matched by PMID only when the notice gives no DOI
            by_pmid[notice.pmid].append(notice)
    result = Result(notices=len(notices))
    with transaction.atomic():
        for work in _works_named(notices):
            mine = by_doi.get(work.doi, []) if work.doi else []
            mine = mine or (by_pmid.get(work.pmid, []) if work.pmid else [])
            if not mine:
                continue
            result.matched += 1
            _apply_to(work, status_of(mine), result)
    return result


def _apply_to(work: Citation, notice: Notice | None, result: Result) -> None:
    new = {
        "retraction_status": notice.status if notice else "",
        "retraction_date": notice.date if notice else None,
        "retraction_notice_doi": notice.notice_doi if notice else "",
        "retraction_reasons": notice.reasons[:5000] if notice else "",
    }
    new["is_retracted"] = new["retraction_status"] == RetractionStatus.RETRACTED
    if all(getattr(work, name) == value for name, value in new.items()):
        return
    flagged = new["retraction_status"] and (
        new["retraction_status"] != work.retraction_status
        or new["is_retracted"] != work.is_retracted
    )
    for name, value in new.items():
        setattr(work, name, value)
    work.save(update_fields=[*new, "updated_at"])  # with its history row
    result.changed += 1
    if flagged:
        result.flagged += 1
        result.claims_queued += queue_claims(work)


def describe(work: Citation) -> str:
    """ "retracted on 2 November 2025" and its like, for the queue and the pages."""
    label = RetractionStatus(work.retraction_status).label.lower()
    if work.retraction_status == RetractionStatus.CONCERN:
        label = "under an expression of concern"
    when = f" on {format_date(work.retraction_date, 'j F Y')}" if work.retraction_date else ""
    return f"{label}{when}"


def queue_claims(work: Citation) -> int:
    """An open report on each published claim citing `work`, for the editors' queue."""
    claims = (
        work.evidence.filter(claim__status=Status.PUBLISHED)
        .values_list("claim_id", flat=True)
        .order_by("claim_id")
    )
    text = f"Cites a work {describe(work)}: {work}."
    if work.retraction_notice_doi:
        text += f" Notice: https://doi.org/{work.retraction_notice_doi}."
    if work.retraction_reasons:
        text += f" Reasons: {work.retraction_reasons}."
    text += " Check whether the claim's grade and verdict still hold."
    reports = [
        ErrorReport(claim_id=pk, text=text, client_key=REPORTER, status=ReportStatus.OPEN)
        for pk in claims
    ]
    ErrorReport.objects.bulk_create(reports, batch_size=1000)
    return len(reports)
