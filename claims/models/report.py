"""Readers' reports of an error in a published claim, for the editors to answer."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.text import Truncator

from ..scales import ReportStatus
from .base import TimeStamped, validate_no_nul

MAX_REPORT_LENGTH = 10_000


class ErrorReport(TimeStamped):
    """What a reader says is wrong with a claim's page, and what an editor did about it.

    The reader's address is not kept: `client_key` is a keyed hash of it, enough to count one
    client's reports for the rate limit and nothing more.
    """

    claim = models.ForeignKey("Claim", models.CASCADE, related_name="error_reports")
    text = models.TextField(
        validators=[validate_no_nul, MaxLengthValidator(MAX_REPORT_LENGTH)],
        help_text="What the reader says is wrong.",
    )
    email = models.EmailField(blank=True, help_text="For the editors only; never shown.")
    client_key = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=16, choices=ReportStatus, default=ReportStatus.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True, validators=[validate_no_nul])

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="errorreport_status_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="errorreport_text_not_empty"),
            # Closing a report says what was done about it.
            models.CheckConstraint(
                condition=Q(status=ReportStatus.OPEN) | ~Q(closing_note=""),
                name="errorreport_closed_with_note",
            ),
        ]
        indexes = [
            # The rate limit: one client's reports of the last hour.
            models.Index(fields=["client_key", "created_at"], name="errorreport_client_idx"),
            # The editors' queue: open reports, oldest first.
            models.Index(
                fields=["claim", "created_at"],
                name="errorreport_open_idx",
                condition=Q(status=ReportStatus.OPEN),
            ),
        ]

    def __str__(self):
        return f"Report on claim #{self.claim_id}: {Truncator(self.text).chars(60)}"
