"""Readers' error reports: filed from a claim's public page, under a rate limit per client
address, and closed by an editor with a note."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Claim, ErrorReport
from .scales import ReportStatus
from .services import WorkflowError


class RateLimited(Exception):
    """This client has filed as many reports as the hour allows."""


def client_key(address: str | None) -> str:
    """A keyed hash of a client address: it counts one client's reports without storing the
    address itself (claims.clientip.client_address says which address that is)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, (address or "unknown").encode(), hashlib.sha256).hexdigest()


def check_rate(key: str) -> None:
    """Refuse (RateLimited) a client that filed the hour's allowance of reports already."""
    limit = settings.CLAIMS_REPORTS_PER_HOUR
    since = timezone.now() - timedelta(hours=1)
    if ErrorReport.objects.filter(client_key=key, created_at__gte=since).count() >= limit:
        raise RateLimited(
            f"You have sent {limit} reports in the last hour, as many as we take from one "
            "address. Please try again in an hour; nothing was sent this time."
        )


@transaction.atomic
def file_report(*, claim: Claim, text: str, email: str, key: str) -> ErrorReport:
    """Store a reader's report on a published claim, if this client's hour allows it."""
    check_rate(key)
    report = ErrorReport(claim=claim, text=text.strip(), email=email.strip(), client_key=key)
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def close_report(*, report: ErrorReport, editor, note: str) -> ErrorReport:
    """Close a report, saying what was done (a correction, an update, or why nothing)."""
    if not editor.has_perm("claims.publish_claim"):
        raise WorkflowError("only an editor closes a reader's report")
    if not note.strip():
        raise WorkflowError("say what was done about the report: a closing note is required")
    report = ErrorReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.OPEN:
        raise WorkflowError("this report is closed already")
    report.status, report.closed_by = ReportStatus.CLOSED, editor
    report.closed_at, report.closing_note = timezone.now(), note.strip()
    report.full_clean()
    report.save()
    return report
